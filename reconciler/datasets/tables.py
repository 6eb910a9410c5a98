"""Model facts the dataset checks need: encoding, context window, training example limit.

Read from the shipped `models.json` (dated). `base_model` maps fine-tuned ids (`ft:...`) to their
base; `lookup_model_key` resolves a versioned id to its table key ("gpt-4.1-mini-2025-04-14" ->
"gpt-4.1-mini"), and nothing else: "gpt-4.1-mni-2025-04-14" is not "gpt-4.1", it is unknown and
`unknown_model_warning` says so, with the closest known id. Used by `tokens.py`, `prices.py`,
`check.py` and the manifest checks (`validation.py`).
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

DEFAULT_ENCODING = "o200k_base"
_VERSION = re.compile(r"(?:-(?:\d{4}-\d{2}-\d{2}|\d{4}|latest|preview))+$")
"""What may follow a table key in a model id: dates (2025-04-14, 0613), `latest`, `preview`."""


@dataclass(frozen=True)
class ModelInfo:
    key: str
    encoding: str
    context_window: int | None
    training_example_limit: int | None


def base_model(model: str) -> str:
    """`ft:gpt-4.1-mini-2025-04-14:org:suffix:id` -> `gpt-4.1-mini-2025-04-14`."""
    model = model.strip()
    if model.startswith("ft:"):
        parts = model.split(":")
        return parts[1] if len(parts) > 1 and parts[1] else model
    return model


def lookup_model_key(model: str, keys: Iterable[str]) -> str | None:
    """The key equal to the base model id, or that the id extends with a version only."""
    name = base_model(model).lower()
    known = set(keys)
    if name in known:
        return name
    unversioned = _VERSION.sub("", name)
    return unversioned if unversioned in known else None


def unknown_model_warning(model: str) -> tuple[str, str | None] | None:
    """(message, hint) when `model` is not in the model table: its tokens are counted with the
    default encoding, no limit is checked and no cost is estimated; None for a known model."""
    if model_info(model) is not None:
        return None
    message = (
        f"unknown model '{model}' (not in the model table of {table_date()}): tokens are "
        f"counted with {DEFAULT_ENCODING}, no context limit is checked, and no cost is "
        "estimated unless `prices:` in reconciler.yaml names it"
    )
    return message, model_suggestion(model)


def model_suggestion(model: str) -> str | None:
    """`did you mean 'gpt-4.1-mini-2025-04-14'?` for `gpt-4.1-mni-2025-04-14` (version kept)."""
    name = base_model(model)
    unversioned = _VERSION.sub("", name.lower())
    close = difflib.get_close_matches(unversioned, list(_model_table()), n=1, cutoff=0.6)
    if not close:
        return None
    suggested = close[0] + name[len(unversioned) :]
    return f"did you mean '{model.replace(name, suggested, 1)}'?"


def load_package_json(name: str) -> dict[str, Any]:
    text = resources.files("reconciler.datasets").joinpath(name).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@cache
def _model_table() -> dict[str, ModelInfo]:
    raw = load_package_json("models.json")["models"]
    return {
        key: ModelInfo(
            key, entry["encoding"], entry["context_window"], entry["training_example_limit"]
        )
        for key, entry in raw.items()
    }


def model_info(model: str | None) -> ModelInfo | None:
    """Facts for a (possibly dated or fine-tuned) model id, or None when the table lacks it."""
    if not model:
        return None
    table = _model_table()
    key = lookup_model_key(model, table)
    return table[key] if key else None


def table_date() -> str:
    return str(load_package_json("models.json")["table_date"])
