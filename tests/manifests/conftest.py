"""Fixtures for the manifest tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run in tmp_path, so diagnostics show short relative paths like `a.yaml:3:7`."""
    monkeypatch.chdir(tmp_path)
    return tmp_path
