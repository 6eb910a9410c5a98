"""Look up a dataset's cached report the way `reconciler.datasets.check_dataset` would.

Used by `fastcheck.stack` for every Dataset file. Without importing `reconciler.datasets`
(orjson, multiprocessing, the format rules), it rebuilds the cache key `check_dataset` uses
when `validate` calls it (a test compares the two) and reads the entry written by
`reconciler.datasets.cache.DatasetCache`. A missing, stale or unreadable entry is None: the
fast path then falls back and the slow path checks (and caches) the file.
"""

from __future__ import annotations

import importlib
import json
import os
from functools import cache
from pathlib import Path

import reconciler

TYPE_CHECKING = False  # typing itself costs start-up time
if TYPE_CHECKING:
    from types import ModuleType
    from typing import Any

# Must equal reconciler.datasets.check.RULES_VERSION (tests/fastcheck compares the keys).
DATASET_RULES_VERSION = "4"
PRICE_FIELDS = ("training", "input", "output")
SHIPPED_PRICES = Path(reconciler.__file__).parent / "datasets" / "prices.json"


class CachedProblem:
    """One problem of a cached report, read as `DataProblem.from_dict` reads it."""

    __slots__ = ("code", "column", "hint", "line", "message", "severity")

    def __init__(self, data: dict[str, Any]) -> None:
        hint = data.get("hint")
        self.code = str(data["code"])
        self.line = int(str(data["line"]))
        self.column = int(str(data.get("column", 0)))
        self.message = str(data["message"])
        self.severity = "error" if data["severity"] == "error" else "warning"
        self.hint = None if hint is None else str(hint)


@cache
def shipped_price_digest() -> str:
    """`PriceTable.load().digest()`: sha256 of the shipped table in its normalised form."""
    data = json.loads(SHIPPED_PRICES.read_text(encoding="utf-8"))
    models = {
        str(name): {
            field: _price(entry[field])
            for field in PRICE_FIELDS
            if field in entry and entry[field] is not None
        }
        for name, entry in dict(data.get("models", {})).items()
    }
    normalised = {
        "price_date": str(data["price_date"]),
        "batch_discount": float(data.get("batch_discount", 0.5)),
        "models": dict(sorted(models.items())),
    }
    return sha256_hex(json.dumps(normalised, sort_keys=True).encode())


def _price(value: Any) -> float:
    number = float(value)
    if number < 0:
        raise ValueError(f"negative price {number}")  # PriceTable.load() refuses the table
    return number


def options_key(spec: dict[str, Any]) -> str:
    """`CheckRequest.cache_key()` for the options `validation.py` passes for this spec."""
    options = (spec["purpose"], spec.get("format"), spec.get("model"), spec.get("batch_endpoint"))
    return _options_key(*options)


@cache
def _options_key(
    purpose: str, format_: str | None, model: str | None, batch_endpoint: str | None
) -> str:
    n_epochs = item_schema = None
    count_tokens = True
    return json.dumps(
        [
            DATASET_RULES_VERSION,
            purpose,
            format_,
            model,
            n_epochs,
            batch_endpoint,
            item_schema,
            shipped_price_digest(),
            count_tokens,
        ],
        sort_keys=True,
        default=str,
    )


def cached_problems(
    path: Path, spec: dict[str, Any], cache_dir: Path
) -> list[CachedProblem] | None:
    """The problems of the cached report for `path` checked with `spec`'s options, or None
    when there is no current entry (also when its fingerprints file is missing)."""
    stat = path.stat()
    identity = [os.path.realpath(path), stat.st_size, stat.st_mtime_ns, stat.st_ino]
    name = sha256_hex(f"{identity[0]}\0{options_key(spec)}".encode())[:32]
    base = cache_dir / f"report-{name}"
    try:
        entry = json.loads((base.with_suffix(".json")).read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(entry, dict) or entry.get("identity") != identity:
        return None
    if not os.path.isfile(base.with_suffix(".fp")):
        return None
    return [CachedProblem(problem) for problem in entry["report"]["problems"]]


def sha256_hex(data: bytes) -> str:
    """hashlib.sha256, through Python's own module when it has one (hashlib loads OpenSSL,
    which costs a few milliseconds of start-up)."""
    digest: str = _sha256_module().sha256(data).hexdigest()
    return digest


@cache
def _sha256_module() -> ModuleType:
    for name in ("_sha256", "_sha2"):  # Python 3.11; 3.12 and later
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    return importlib.import_module("hashlib")
