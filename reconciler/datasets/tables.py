"""Model facts the dataset checks need: encoding, context window, training example limit.

Read from the shipped `models.json` (dated). `base_model` maps fine-tuned ids (`ft:...`) to their
base; `lookup_model_key` resolves a dated or suffixed id to the longest table key it extends
("gpt-4.1-mini-2025-04-14" -> "gpt-4.1-mini"). Used by `tokens.py`, `prices.py` and `check.py`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

DEFAULT_ENCODING = "o200k_base"


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
    """The longest key equal to the base model id or that the id extends with `-...`."""
    name = base_model(model).lower()
    best: str | None = None
    for key in keys:
        if (name == key or name.startswith(key + "-")) and (best is None or len(key) > len(best)):
            best = key
    return best


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
