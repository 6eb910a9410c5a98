"""Runs `action.yml`'s steps the way the Actions runner does, for the tests: each step's `if:`
and `${{ }}` expressions evaluated, its `env:` set, `run:` scripts under `bash -e -o pipefail`
with their own GITHUB_OUTPUT, outputs passed to later steps. The marketplace actions are stood
in for: setup-python (this interpreter is on PATH) and the pip install of the action (it is
installed already) do nothing; upload-artifact and download-artifact copy files to and from
a folder per run id."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

ROOT = Path(__file__).parents[2]
_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
_NAME = re.compile(r"\b(inputs|steps|github|runner)((?:\.[A-Za-z_][\w-]*)+)")


@dataclass
class ActionRun:
    """One use of the action: its inputs, the job's environment, what the steps did."""

    inputs: dict[str, str]
    env: dict[str, str]
    workdir: Path
    artifacts: Path  # <artifacts>/<run id>/<name>/...
    run_id: str = "4242"
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)
    ran: list[str] = field(default_factory=list)

    def value(self, dotted: str) -> str:
        parts = dotted.split(".")
        if parts[0] == "inputs":
            return self.inputs.get(parts[1], "")
        if parts[0] == "steps":
            return self.outputs.get(parts[1], {}).get(parts[3], "")
        if dotted == "github.action_path":
            return str(ROOT)
        if dotted == "github.token":
            return self.env.get("GITHUB_TOKEN", "")
        if dotted == "runner.temp":
            return self.env["RUNNER_TEMP"]
        raise AssertionError(f"the stand-in runner does not know {dotted}")

    def evaluate(self, expression: str) -> Any:
        python = _NAME.sub(lambda m: repr(self.value(m[1] + m[2])), expression)
        python = python.replace("&&", " and ").replace("||", " or ")
        return eval(python, {"__builtins__": {}})

    def substitute(self, text: str) -> str:
        return _EXPRESSION.sub(lambda m: str(self.evaluate(m[1])), text)


def run_action(run: ActionRun) -> int:
    """The action's steps in order; the exit code of the first failing step, else 0."""
    action = YAML(typ="safe").load((ROOT / "action.yml").read_text(encoding="utf-8"))
    for name, spec in action["inputs"].items():
        default = str(spec.get("default", ""))
        run.inputs.setdefault(name, run.substitute(default))
    for step in action["runs"]["steps"]:
        condition = step.get("if")
        if condition is not None and not run.evaluate(condition):
            continue
        run.ran.append(step.get("name") or step.get("uses", ""))
        code = _step(run, step)
        if code != 0:
            return code
    return 0


def _step(run: ActionRun, step: dict[str, Any]) -> int:
    with_ = {k: run.substitute(str(v)) for k, v in (step.get("with") or {}).items()}
    uses = step.get("uses", "")
    if uses.startswith("actions/setup-python@"):
        return 0
    if uses.startswith("actions/upload-artifact@"):
        target = run.artifacts / run.run_id / with_["name"]
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(with_["path"], target)
        return 0
    if uses.startswith("actions/download-artifact@"):
        source = run.artifacts / with_["run-id"] / with_["name"]
        shutil.copytree(source, with_["path"], dirs_exist_ok=True)
        return 0
    assert "run" in step, f"no stand-in for {uses}"
    if "pip install" in step["run"]:
        return 0  # installed already (and the shared environment must not change)
    output = run.workdir / f"output-{len(run.ran)}"
    output.write_text("", encoding="utf-8")
    env = {**run.env, **{k: run.substitute(str(v)) for k, v in (step.get("env") or {}).items()}}
    env["GITHUB_OUTPUT"] = str(output)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", step["run"]],
        cwd=run.workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    run.log.append(done.stdout + done.stderr)
    lines = output.read_text(encoding="utf-8").splitlines()
    if "id" in step:
        run.outputs[step["id"]] = dict(line.split("=", 1) for line in lines if "=" in line)
    return done.returncode
