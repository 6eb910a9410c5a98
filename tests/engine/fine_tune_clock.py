"""Helper of the FineTune end-to-end tests: time passes in the sandbox between two looks at a
job (`reconciler wait`, `apply --wait`) without the test sleeping."""

from __future__ import annotations

import pytest

from reconciler.commands import wait
from reconciler.providers.base import JobProgress
from reconciler.providers.fine_tuning import FineTuneProvider
from reconciler.sandbox import SandboxHandle

from .e2e import advance_clock


def clock_moves_on_each_look(
    monkeypatch: pytest.MonkeyPatch, sandbox: SandboxHandle, seconds: float
) -> list[JobProgress]:
    """Each look at a job moves the sandbox's clock on first (time passing between polls);
    the progress seen is recorded."""
    seen: list[JobProgress] = []
    look = FineTuneProvider.progress

    def progress(self: FineTuneProvider, live_id: str, project: str) -> JobProgress:
        advance_clock(sandbox, seconds)
        seen.append(look(self, live_id, project))
        return seen[-1]

    monkeypatch.setattr(FineTuneProvider, "progress", progress)
    monkeypatch.setattr(wait, "DEFAULT_INTERVAL", "0s")
    return seen
