"""Models coming to an end: the dated shutdown table shipped in `reconciler/data/`.

`validation.py` (validate) and `kinds/fine_tune.py` (plan) ask `shutdown_warning(model)` for
every model a manifest uses and `job_creation_closed()` before planning a new fine-tuning job.
Each table entry carries its date and its source; `RECONCILER_TODAY` (YYYY-MM-DD) sets the
date the checks compare with (tests, or a CI run that wants to look ahead).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from importlib import resources

WARN_DAYS = 90
"""A model that shuts down within this many days (or already has) is warned about."""

TODAY_VARIABLE = "RECONCILER_TODAY"


@dataclass(frozen=True)
class Shutdown:
    """One entry: models whose id starts with `match` (and their `ft:` fine-tunes)."""

    match: str
    shutdown_date: date
    source: str
    includes_fine_tunes: bool = True


@dataclass(frozen=True)
class ShutdownTable:
    as_of: str
    job_creation_closes: date
    job_creation_closes_source: str
    models: tuple[Shutdown, ...]

    def lookup(self, model: str) -> Shutdown | None:
        base, is_fine_tune = _base_of(model)
        for entry in self.models:
            if base.startswith(entry.match) and (entry.includes_fine_tunes or not is_fine_tune):
                return entry
        return None


@cache
def shipped_table() -> ShutdownTable:
    text = resources.files("reconciler.data").joinpath("model_shutdowns.json").read_text("utf-8")
    data = json.loads(text)
    return ShutdownTable(
        as_of=data["as_of"],
        job_creation_closes=date.fromisoformat(data["job_creation_closes"]),
        job_creation_closes_source=data["job_creation_closes_source"],
        models=tuple(
            Shutdown(
                entry["match"],
                date.fromisoformat(entry["shutdown_date"]),
                entry["source"],
                bool(entry.get("includes_fine_tunes", True)),
            )
            for entry in data["models"]
        ),
    )


def today() -> date:
    """The date checks compare with: `RECONCILER_TODAY` when set, else today (UTC)."""
    written = os.environ.get(TODAY_VARIABLE)
    if written:
        return date.fromisoformat(written)
    return datetime.now(UTC).date()


def shutdown_warning(model: str, table: ShutdownTable | None = None) -> str | None:
    """A warning when `model` shuts down within WARN_DAYS days or already has, else None."""
    entry = (table or shipped_table()).lookup(model)
    if entry is None:
        return None
    days = (entry.shutdown_date - today()).days
    if days > WARN_DAYS:
        return None
    when = (
        f"shut down on {entry.shutdown_date} ({-days} days ago)"
        if days < 0
        else f"shuts down on {entry.shutdown_date}, in {days} days"
    )
    return f"model '{model}' {when} (source: {entry.source})"


def job_creation_closed(table: ShutdownTable | None = None) -> str | None:
    """Why no new fine-tuning job can be created any more, or None while it still can."""
    table = table or shipped_table()
    if today() < table.job_creation_closes:
        return None
    return (
        f"fine-tuning jobs can no longer be created: job creation closed for every "
        f"organization on {table.job_creation_closes} ({table.job_creation_closes_source}); "
        "existing fine-tuned models still answer until their base model shuts down"
    )


def _base_of(model: str) -> tuple[str, bool]:
    """`ft:gpt-4o-mini-2024-07-18:org::x` → (`gpt-4o-mini-2024-07-18`, True)."""
    if model.startswith("ft:"):
        return model.split(":")[1], True
    return model, False
