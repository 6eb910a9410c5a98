"""`reconciler schema` writes the same JSON Schemas that are committed under schemas/."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from reconciler.cli import cli

COMMITTED = Path(__file__).parents[1] / "schemas"


def test_schema_lists_kinds() -> None:
    result = CliRunner().invoke(cli, ["schema"])
    assert result.exit_code == 0
    assert "reconciler/v1 Dataset" in result.output
    assert "reconciler/v1 Project" in result.output


def test_schema_out_writes_the_committed_files(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["schema", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == sorted(p.name for p in COMMITTED.glob("*.json"))
    for name in written:
        assert (tmp_path / name).read_text() == (COMMITTED / name).read_text()
