"""Helpers of the end-to-end tests: a checkout of the demo stack, the real CLI pointed at the
sandbox of `tests/conftest.py` through the environment, and read-backs through the SDK."""

from __future__ import annotations

import hashlib
import json
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openai
from click.testing import CliRunner, Result

from reconciler.cli import cli
from reconciler.sandbox import SandboxHandle

SPECS = Path(__file__).parents[2] / "specs"


@dataclass
class Workspace:
    """A checkout of the demo stack and a way to run `reconciler ...` in it."""

    root: Path
    env: dict[str, str]

    @property
    def specs(self) -> Path:
        return self.root / "specs"

    def run(self, *args: str) -> Result:
        return CliRunner().invoke(cli, list(args), env=self.env, catch_exceptions=False)

    def run_with_input(self, text: str, *args: str) -> Result:
        runner = CliRunner()
        return runner.invoke(cli, list(args), input=text, env=self.env, catch_exceptions=False)

    def sha256(self, relative: str) -> str:
        return hashlib.sha256((self.specs / relative).read_bytes()).hexdigest()

    def edit(self, relative: str, edit: Callable[[str], str]) -> None:
        path = self.specs / relative
        path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")


def set_faults(sandbox: SandboxHandle, rules: list[dict[str, Any]]) -> None:
    """Switch sandbox faults on through its control route (outside /v1)."""
    _control(sandbox, "/faults", {"rules": rules})


def advance_clock(sandbox: SandboxHandle, seconds: float) -> None:
    """Move the sandbox's clock forward (what `created_at` of new objects reads)."""
    _control(sandbox, "/clock/advance", {"seconds": seconds})


def freeze_clock(sandbox: SandboxHandle) -> None:
    """Stop the sandbox's clock: from now on only `advance_clock` moves it.

    Lifecycle tests that assert an intermediate status (validating, in_progress) use it, so a slow
    machine cannot carry an object past that status between two steps of the test.
    """
    _control(sandbox, "/clock/advance", {"seconds": 0, "speed": 0})


def set_switches(sandbox: SandboxHandle, switches: dict[str, bool]) -> None:
    """Turn sandbox behaviour switches on or off (`audit_logs_disabled`, ...)."""
    _control(sandbox, "/switches", dict(switches))


def _control(sandbox: SandboxHandle, route: str, body: dict[str, Any]) -> None:
    request = urllib.request.Request(
        sandbox.control_url + route,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200


def active_projects(admin_client: openai.OpenAI, name: str) -> list[Any]:
    projects = admin_client.admin.organization.projects.list(limit=100)
    return [p for p in projects if p.name == name]


def files_named(client: openai.OpenAI, project: str, fragment: str) -> list[Any]:
    scoped = client.with_options(project=project)
    return [f for f in scoped.files.list() if fragment in f.filename]


def home_files_named(client: openai.OpenAI, fragment: str) -> list[Any]:
    """Files of the API key's own project (where data without a `project:` goes)."""
    return [f for f in client.files.list() if fragment in f.filename]


def project_key(admin_client: openai.OpenAI, project: str, name: str = "test-key-holder") -> str:
    """A key of `project`, as a user makes one: a service account's (a project key acts only
    in its own project)."""
    accounts = admin_client.admin.organization.projects.service_accounts
    account = accounts.create(project, name=name)
    assert account.api_key is not None
    return account.api_key.value


SUPPORT_KEY_VARIABLE = "SUPPORT_OPENAI_KEY"


def use_support_project(ws: Workspace, admin_client: openai.OpenAI) -> tuple[str, str]:
    """Put the demo's data in Project/support, as a two-project stack does: the project made
    beforehand (the stack adopts it by name), a key of it in SUPPORT_OPENAI_KEY, named under
    `project_keys`. Returns the project's id and its key."""
    project = admin_client.admin.organization.projects.create(name="TechCorp Support")
    key = project_key(admin_client, project.id)
    ws.env[SUPPORT_KEY_VARIABLE] = key
    (ws.specs / "reconciler.yaml").write_text(
        "stack: demo\n"
        "default_project: Project/support\n"
        f"project_keys: {{Project/support: {SUPPORT_KEY_VARIABLE}}}\n",
        encoding="utf-8",
    )
    return project.id, key
