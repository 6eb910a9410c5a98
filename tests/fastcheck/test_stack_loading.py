"""Stacks read through the YAML subset reader equal the stacks ruamel reads.

`read_stack` reads files in the plain subset of YAML with `fastcheck.yaml_subset` (plan, apply
and drift load 1,000 manifests in a tenth of the time) and everything again with ruamel when
there is any error. For every stack of the test suite (the plan cases, the demo specs, the rich
fast-path stack and a sample of its single-line mutations, the broken-manifest table) the
result must be the one ruamel alone gives: the same resources (specs, locations of every field
and reference), config, warnings and diagnostics.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

from reconciler.fastcheck.yaml_subset import read_located_documents
from reconciler.manifests.stack import StackReading, _read_stack, read_stack
from reconciler.models import KINDS

from .conftest import SPECS
from .stacks import RICH_STACK, write_stack
from .test_equivalence import mutations, write_case

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "manifests"))
from test_broken_manifests import CASES, Case

PLAN_CASES = sorted((Path(__file__).resolve().parents[1] / "engine" / "cases").glob("*/manifests"))


def assert_same_reading(fast: StackReading, slow: StackReading) -> None:
    assert fast.stack == slow.stack
    assert fast.resources == slow.resources
    assert fast.diagnostics.items == slow.diagnostics.items
    if slow.stack is not None:
        assert fast.stack is not None
        for address, resource in slow.stack.resources.items():
            read = fast.stack.resources[address]
            assert dict(read.field_locations) == dict(resource.field_locations), address
            assert read.location == resource.location, address
            assert [r.location for r in read.references] == [
                r.location for r in resource.references
            ], address


def in_subset(folder: Path) -> int:
    """How many YAML files under `folder` the subset reader reads (the rest go to ruamel)."""
    texts = [path.read_text(encoding="utf-8") for path in folder.rglob("*.y*ml")]
    return sum(read_located_documents(text) is not None for text in texts)


@pytest.mark.parametrize("folder", [*PLAN_CASES, SPECS], ids=lambda p: p.parent.name)
def test_every_plan_case_and_the_demo_load_the_same_stack(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(folder)
    fast, slow = read_stack(folder), read_stack(folder, subset=False)

    assert slow.stack is not None and not slow.diagnostics.has_errors
    assert_same_reading(fast, slow)
    assert in_subset(folder) == len(list(folder.rglob("*.y*ml")))  # no file went to ruamel


def test_the_rich_stack_loads_the_same_stack(in_tmp: Path) -> None:
    write_stack(in_tmp, RICH_STACK)

    slow = read_stack(in_tmp, subset=False)
    assert slow.stack is not None and len(slow.stack.resources) >= 5
    assert_same_reading(read_stack(in_tmp), slow)


# 150 of about 1,800 single-line edits: valid and invalid stacks, in and out of the subset.
SAMPLE = random.Random(20261202).sample(mutations(RICH_STACK), 150)


@pytest.mark.parametrize(("mutation_id", "name", "text"), SAMPLE, ids=[m[0] for m in SAMPLE])
def test_every_mutation_reads_as_ruamel_reads_it(
    mutation_id: str, name: str, text: str, in_tmp: Path
) -> None:
    write_stack(in_tmp, {**RICH_STACK, name: text})
    slow = read_stack(in_tmp, subset=False)

    assert_same_reading(read_stack(in_tmp), slow)
    # Even before the fallback, the subset's positions explain errors at the same places.
    alone = _read_stack(in_tmp.absolute(), None, KINDS, subset=True)
    assert alone.diagnostics.items == slow.diagnostics.items, mutation_id


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_every_broken_stack_reports_what_ruamel_reports(case: Case, in_tmp: Path) -> None:
    write_case(in_tmp, case)
    kinds = None
    if case.widgets:
        from manifest_helpers import KINDS_WITH_WIDGET

        kinds = KINDS_WITH_WIDGET
    fast = read_stack(in_tmp, stack_name=case.stack_name, kinds=kinds)
    slow = read_stack(in_tmp, stack_name=case.stack_name, kinds=kinds, subset=False)

    assert slow.diagnostics.has_errors
    assert_same_reading(fast, slow)
