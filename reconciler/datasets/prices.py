"""Dated price table for dataset cost estimates, shipped as `prices.json`, overridable.

`PriceTable.load(path)` returns the shipped table, with a user JSON file of the same shape merged
over it field by field (config: a new price, a new model). `check.py` uses it for the training
cost of fine-tuning files and the input cost of batch files at the batch discount.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.datasets.tables import load_package_json, lookup_model_key
from reconciler.errors import ConfigError

PRICE_FIELDS = ("training", "input", "output")


@dataclass(frozen=True)
class ModelPrice:
    """USD per 1M tokens; None where the model has no such price."""

    training: float | None = None
    input: float | None = None
    output: float | None = None


@dataclass(frozen=True)
class PriceTable:
    price_date: str
    batch_discount: float
    models: Mapping[str, ModelPrice] = field(default_factory=dict)
    source: str = "shipped"

    @classmethod
    def load(cls, path: Path | str | None = None) -> PriceTable:
        """The shipped table, with the JSON file at `path` (if any) merged over it."""
        data = load_package_json("prices.json")
        if path is None:
            return cls.from_dict(data)
        try:
            override = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read price table {path}: {exc}") from exc
        return cls.from_dict(merge_price_data(data, override), source=str(path))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "shipped") -> PriceTable:
        try:
            models = {
                str(name): ModelPrice(
                    **{k: _price(v) for k, v in entry.items() if k in PRICE_FIELDS}
                )
                for name, entry in dict(data.get("models", {})).items()
            }
            return cls(
                str(data["price_date"]), float(data.get("batch_discount", 0.5)), models, source
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ConfigError(f"invalid price table ({source}): {exc}") from exc

    def to_dict(self) -> dict[str, Any]:
        return {
            "price_date": self.price_date,
            "batch_discount": self.batch_discount,
            "models": {
                name: {k: getattr(p, k) for k in PRICE_FIELDS if getattr(p, k) is not None}
                for name, p in sorted(self.models.items())
            },
        }

    def digest(self) -> str:
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()

    def lookup(self, model: str | None) -> tuple[str, ModelPrice] | None:
        """(table key, prices) for a model id (dated or `ft:`), or None."""
        if not model:
            return None
        key = lookup_model_key(model, self.models)
        return (key, self.models[key]) if key else None

    def training_cost(self, model: str | None, billed_tokens: int) -> tuple[str, float] | None:
        found = self.lookup(model)
        if found is None or found[1].training is None:
            return None
        return found[0], billed_tokens / 1_000_000 * found[1].training

    def batch_input_cost(self, model: str | None, input_tokens: int) -> tuple[str, float] | None:
        found = self.lookup(model)
        if found is None or found[1].input is None:
            return None
        rate = found[1].input * (1 - self.batch_discount)
        return found[0], input_tokens / 1_000_000 * rate


def _price(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    if number < 0:
        raise ValueError(f"negative price {number}")
    return number


def merge_price_data(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Override top-level fields, and per model the price fields it names."""
    if not isinstance(override, Mapping):
        raise ConfigError("a price table override must be a JSON object")
    merged = dict(base)
    for key, value in override.items():
        if key != "models":
            merged[key] = value
    models = {name: dict(entry) for name, entry in dict(base.get("models", {})).items()}
    for name, entry in dict(override.get("models", {})).items():
        if not isinstance(entry, Mapping):
            raise ConfigError(f"price table override: models.{name} must be an object")
        models.setdefault(name, {}).update(entry)
    merged["models"] = models
    return merged
