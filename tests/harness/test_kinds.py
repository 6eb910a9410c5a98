"""(e) Every kind has an example in `kinds/`, so every harness test holds it to the same bar;
the stack built from the examples (scaled too) is valid, offline."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.models import KINDS

from .stack import KINDS_DIR, build_stack, missing_examples


def test_every_kind_has_an_example_in_the_harness() -> None:
    missing = missing_examples()
    assert not missing, (
        f"kinds without a harness example: {', '.join(missing)}. Add tests/harness/kinds/"
        "<Kind>.yaml (one valid manifest; its data files under tests/harness/kinds/data/): the "
        "fault, kill and concurrency tests then hold the kind to their bar without other edits"
    )


def test_the_harness_stack_validates_and_scales(tmp_path: Path) -> None:
    stack = build_stack(tmp_path / "stack", {kind: 3 for kind in KINDS})
    result = CliRunner().invoke(cli, ["validate", str(stack.root)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert {kind: stack.count(kind) for kind in KINDS} == {kind: 3 for kind in KINDS}
    assert len(set(stack.addresses)) == len(stack.addresses)
    print(f"\nkinds: {sorted(KINDS)}, examples in {KINDS_DIR}, {len(stack.addresses)} objects")
