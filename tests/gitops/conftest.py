"""Fixtures of the action's tests: a stand-in GitHub API, and a checkout of the demo stack in
which `python -m reconciler.gitops ...` runs as the action runs it (a subprocess, which runs the
real `reconciler` CLI against the test's sandbox)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from reconciler.sandbox import SandboxHandle

from .github_standin import GitHubState, github_standin

SPECS = Path(__file__).parents[2] / "specs"
PR = 7


@dataclass
class Loop:
    """A repository checkout (`specs/`), the stand-in GitHub and the Actions environment."""

    root: Path
    github: GitHubState
    env: dict[str, str]

    @property
    def specs(self) -> Path:
        return self.root / "specs"

    def edit(self, relative: str, old: str, new: str) -> None:
        path = self.specs / relative
        text = path.read_text(encoding="utf-8")
        assert old in text
        path.write_text(text.replace(old, new), encoding="utf-8")

    def run(self, *args: str, sha: str = "a" * 40) -> subprocess.CompletedProcess[str]:
        """`python -m reconciler.gitops ARGS` in the checkout, with fresh output files."""
        for name in ("output", "summary"):
            (self.root / name).write_text("", encoding="utf-8")
        env = {**self.env, "GITHUB_SHA": sha}
        return subprocess.run(
            [sys.executable, "-m", "reconciler.gitops", *args],
            cwd=self.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    def outputs(self) -> dict[str, str]:
        lines = (self.root / "output").read_text(encoding="utf-8").splitlines()
        return dict(line.split("=", 1) for line in lines if "=" in line)

    def summary(self) -> str:
        return (self.root / "summary").read_text(encoding="utf-8")


@pytest.fixture
def loop(sandbox: SandboxHandle, tmp_path: Path) -> Iterator[Loop]:
    root = tmp_path / "checkout"
    shutil.copytree(SPECS, root / "specs", ignore=shutil.ignore_patterns(".reconciler"))
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": PR}}), encoding="utf-8")
    with github_standin() as (url, state):
        state.add_pull_request(PR)
        keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
        env = {
            **keep,
            "OPENAI_API_KEY": sandbox.project_key,
            "OPENAI_ADMIN_KEY": sandbox.admin_key,
            "OPENAI_BASE_URL": sandbox.base_url,
            "GITHUB_API_URL": url,
            "GITHUB_REPOSITORY": state.repository,
            "GITHUB_TOKEN": "ghs_test_token",
            "GITHUB_EVENT_PATH": str(event),
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_RUN_ID": "4242",
            "GITHUB_OUTPUT": str(root / "output"),
            "GITHUB_STEP_SUMMARY": str(root / "summary"),
        }
        yield Loop(root, state, env)
