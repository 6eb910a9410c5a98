"""Fixtures of the engine tests: `ws`, a copy of the demo stack wired to the test's sandbox."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.sandbox import SandboxHandle

from .e2e import SPECS, Workspace


@pytest.fixture
def ws(
    sandbox: SandboxHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Workspace]:
    shutil.copytree(SPECS, tmp_path / "specs", ignore=shutil.ignore_patterns(".reconciler"))
    monkeypatch.chdir(tmp_path)
    for name in ("OPENAI_PROJECT_ID", "OPENAI_ORG_ID", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    env = {
        "OPENAI_API_KEY": sandbox.project_key,
        "OPENAI_ADMIN_KEY": sandbox.admin_key,
        "OPENAI_BASE_URL": sandbox.base_url,
    }
    yield Workspace(tmp_path, env)
