"""`reconciler validate --format github|json`: GitHub workflow annotations at each diagnostic's
file:line:col (escaped as the runner requires), and the same diagnostics as JSON."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.errors import Diagnostics, SourceLocation
from reconciler.render import render_diagnostics_github, render_diagnostics_json

from .conftest import SPECS


@pytest.fixture
def broken(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(SPECS, tmp_path / "specs", ignore=shutil.ignore_patterns(".reconciler"))
    monkeypatch.chdir(tmp_path)
    project = tmp_path / "specs" / "project.yaml"
    project.write_text(
        project.read_text(encoding="utf-8").replace("  name: TechCorp", "  nmae: TechCorp"),
        encoding="utf-8",
    )
    datasets = tmp_path / "specs" / "datasets.yaml"
    datasets.write_text(
        datasets.read_text(encoding="utf-8").replace(
            "data/support-train.jsonl", "data/support-trian.jsonl", 1
        ),
        encoding="utf-8",
    )
    return Path("specs")


def test_github_annotations_point_at_file_line_col(broken: Path) -> None:
    result = CliRunner().invoke(cli, ["validate", str(broken), "--format", "github"])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert (
        "::error file=specs/project.yaml,line=7,col=3,title=reconciler::specs/project.yaml:7:3: "
        "spec: unknown field 'nmae'%0Ahint: did you mean 'name'?"
    ) in lines
    assert any(
        line.startswith("::error file=specs/datasets.yaml,line=8,col=")
        and "support-trian.jsonl" in line
        for line in lines
    )
    assert all(line.startswith(("::error ", "::warning ")) for line in lines[:-1])
    assert lines[-1].endswith("warning(s)") and not lines[-1].startswith("0 error")


def test_github_format_of_a_valid_stack_exits_0(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(SPECS, tmp_path / "specs", ignore=shutil.ignore_patterns(".reconciler"))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["validate", "specs", "--format", "github"])
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-1] == "specs: valid."
    assert "::error" not in result.stdout


def test_json_lists_every_diagnostic_with_its_location(broken: Path) -> None:
    result = CliRunner().invoke(cli, ["validate", str(broken), "--format", "json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["valid"] is False and report["error_count"] >= 2
    assert {
        "severity": "error",
        "code": None,
        "message": "spec: unknown field 'nmae'",
        "hint": "did you mean 'name'?",
        "file": "specs/project.yaml",
        "line": 7,
        "column": 3,
    } in report["diagnostics"]


def test_annotation_values_are_escaped_so_nothing_can_inject_a_command() -> None:
    found = Diagnostics()
    found.error(
        "50% off\r\n::error file=x::injected",
        SourceLocation("dir,with:odd%name.yaml", 3, 5),
        hint="a, b: c",
        code="x:y",
    )
    found.warning("no location")
    text = render_diagnostics_github(found)
    warning, error, counts = text.splitlines()  # sorted by location: none first
    assert error == (
        "::error file=dir%2Cwith%3Aodd%25name.yaml,line=3,col=5,title=reconciler x%3Ay::"
        "dir,with:odd%25name.yaml:3:5: 50%25 off%0D%0A::error file=x::injected%0Ahint: a, b: c"
    )
    assert warning == "::warning title=reconciler::no location"
    assert counts == "1 error(s), 1 warning(s)"
    assert json.loads(render_diagnostics_json(found))["diagnostics"][0]["file"] is None
