"""Models coming to an end: the dated shutdown table shipped in `reconciler/data/`.

`validation.py` (validate) and `kinds/fine_tune.py` (plan) ask `shutdown_warning(model)` for
every model a manifest uses and `job_creation_closed()` before planning a new fine-tuning job.
Each table entry carries its date and its source; `RECONCILER_TODAY` (YYYY-MM-DD) sets the
date the checks compare with (tests, or a CI run that wants to look ahead).

`load_table` gives the table a stack uses: the shipped one, under the `shutdown_date`s that
`GET /v1/models` lists (plan only: the FineTune reader lists the models once per plan), under
the stack's own `model_shutdowns:` file from `reconciler.yaml` (JSON, same shape as the
shipped file, every key optional; its `job_creation_closes` moves the close date). The file
wins over the API, the API over the shipped table.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from reconciler.errors import ConfigError

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
    exact: bool = False  # `match` is a whole model id (a date `GET /v1/models` listed)

    def matches(self, base: str) -> bool:
        return base == self.match if self.exact else base.startswith(self.match)


API_SOURCE = "GET /v1/models (shutdown_date)"


@dataclass(frozen=True)
class ShutdownTable:
    as_of: str
    job_creation_closes: date
    job_creation_closes_source: str
    models: tuple[Shutdown, ...]

    def lookup(self, model: str) -> Shutdown | None:
        base, is_fine_tune = _base_of(model)
        for entry in self.models:
            if entry.matches(base) and (entry.includes_fine_tunes or not is_fine_tune):
                return entry
        return None

    def with_api_dates(self, dates: Mapping[str, date]) -> ShutdownTable:
        """The table with the dates the API lists for exact model ids put first."""
        listed = tuple(
            Shutdown(model, day, API_SOURCE, exact=True) for model, day in sorted(dates.items())
        )
        return replace(self, models=listed + self.models)

    def with_override(self, data: Mapping[str, Any], source: str) -> ShutdownTable:
        """The table under an override file's entries (first) and job-creation close date."""
        closes = data.get("job_creation_closes")
        entries = tuple(_entry(item, source) for item in data.get("models", ()))
        return replace(
            self,
            job_creation_closes=(
                date.fromisoformat(str(closes)) if closes else self.job_creation_closes
            ),
            job_creation_closes_source=(
                str(data.get("job_creation_closes_source") or source)
                if closes
                else self.job_creation_closes_source
            ),
            models=entries + self.models,
        )


def _entry(item: Mapping[str, Any], source: str) -> Shutdown:
    return Shutdown(
        str(item["match"]),
        date.fromisoformat(str(item["shutdown_date"])),
        str(item.get("source") or source),
        bool(item.get("includes_fine_tunes", True)),
    )


def api_dates(models: list[tuple[str, Any]]) -> dict[str, date]:
    """`(model id, shutdown_date)` pairs from `GET /v1/models` as dates (none or unreadable
    dates left out)."""
    found = {}
    for model, written in models:
        try:
            found[model] = date.fromisoformat(str(written)) if written else None
        except ValueError:
            continue
    return {model: day for model, day in found.items() if day is not None}


def load_table(
    override: Path | None = None, dates: Mapping[str, date] | None = None
) -> ShutdownTable:
    """The shipped table, under the API's `dates`, under the `override` file (ConfigError
    naming the file when it cannot be read)."""
    table = shipped_table()
    if dates:
        table = table.with_api_dates(dates)
    if override is None:
        return table
    source = f"{override.name} (reconciler.yaml model_shutdowns)"
    try:
        data = json.loads(override.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        return table.with_override(data, source)
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ConfigError(
            f"cannot read the model shutdown table {override}: {error}; it is JSON like "
            '{"job_creation_closes": "YYYY-MM-DD", "models": [{"match": "gpt-4o", '
            '"shutdown_date": "YYYY-MM-DD", "source": "..."}]}'
        ) from None


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
