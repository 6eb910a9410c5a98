"""check_dataset: one pass over a JSONL file -> DatasetReport (problems, stats, cost).

Called by `validate` and `plan` for every Dataset. Reads the first lines to settle the format
(and a batch's endpoint and model), runs the scan pipeline (`pipeline.py`: sha256, line rules,
tokens, on every core), then the file-level rules and the cost (`file_rules.py`). Reports are
cached by file identity when a cache directory is given.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import orjson

from reconciler.datasets.batch_rules import SUPPORTED_ENDPOINTS
from reconciler.datasets.cache import DatasetCache, FileIdentity
from reconciler.datasets.eval_rules import schema_problem
from reconciler.datasets.file_rules import dataset_stats, default_epochs, file_checks
from reconciler.datasets.fingerprints import ExampleFingerprints, find_shared
from reconciler.datasets.formats import FORMATS, FORMATS_FOR_PURPOSE, detect_format
from reconciler.datasets.pipeline import scan_file, sha256_of
from reconciler.datasets.prices import PriceTable
from reconciler.datasets.problems import DataProblem, ProblemLog, default_hint
from reconciler.datasets.report import DatasetReport, DatasetStats
from reconciler.datasets.rulebase import CheckOptions
from reconciler.datasets.tables import base_model, model_info
from reconciler.datasets.tokens import encoding_for_model

RULES_VERSION = "4"
PRESCAN_LINES = 20
PRESCAN_BYTES = 4 << 20
__all__ = ["check_dataset", "compare_datasets", "default_epochs", "file_sha256", "sha256_of"]


@dataclass(frozen=True)
class CheckRequest:
    purpose: str
    format: str | None
    model: str | None
    n_epochs: int | None
    batch_endpoint: str | None
    item_schema: dict[str, Any] | None
    prices: PriceTable
    count_tokens: bool
    workers: int | None

    def cache_key(self) -> str:
        return json.dumps(
            [
                RULES_VERSION,
                self.purpose,
                self.format,
                self.model,
                self.n_epochs,
                self.batch_endpoint,
                self.item_schema,
                self.prices.digest(),
                self.count_tokens,
            ],
            sort_keys=True,
            default=str,
        )


def check_dataset(
    path: Path,
    *,
    purpose: str,
    format: str | None = None,
    model: str | None = None,
    n_epochs: int | None = None,
    batch_endpoint: str | None = None,
    item_schema: dict[str, Any] | None = None,
    cache_dir: Path | None = None,
    prices: PriceTable | None = None,
    count_tokens: bool = True,
    workers: int | None = None,
) -> DatasetReport:
    """Check a local dataset file for `purpose` (OpenAI file purpose) and estimate its cost.

    `format` is chat | preference | reinforcement | batch | eval (detected when None); `model`
    is the base model (context limit, encoding, price). `cache_dir=None` disables the cache.
    `workers` caps the scan processes (default: every core).
    """
    path = Path(path)
    if format is not None and format not in FORMATS:
        raise ValueError(f"unknown dataset format {format!r}; use one of {', '.join(FORMATS)}")
    request = CheckRequest(
        purpose,
        format,
        model,
        n_epochs,
        batch_endpoint,
        item_schema,
        prices or PriceTable.load(),
        count_tokens,
        workers,
    )
    try:
        stat = path.stat()
        if not path.is_file():
            raise IsADirectoryError(f"{path} is not a file")
    except OSError as exc:
        return _unreadable_report(path, request, exc)
    identity = FileIdentity.of(path, stat)
    cache = DatasetCache(cache_dir) if cache_dir is not None else None
    if cache is not None:
        cached = cache.load_report(identity, request.cache_key())
        if cached is not None:
            return replace(cached, path=str(path))
    report = _check_file(path, stat.st_size, request)
    if cache is not None:
        cache.store_report(identity, request.cache_key(), report)
        cache.store_sha256(identity, report.sha256)
    return report


def file_sha256(path: Path, cache_dir: Path | None = None) -> str:
    """sha256 of a file, cached by (path, size, mtime_ns, inode) when `cache_dir` is given."""
    path = Path(path)
    identity = FileIdentity.of(path)
    cache = DatasetCache(cache_dir) if cache_dir is not None else None
    digest = cache.load_sha256(identity) if cache is not None else None
    if digest is None:
        digest = sha256_of(path)
        if cache is not None:
            cache.store_sha256(identity, digest)
    return digest


def compare_datasets(training: DatasetReport, validation: DatasetReport) -> list[DataProblem]:
    """Warnings for validation examples that also appear in the training file.

    Lines are the validation file's; each hint names the training line. Up to 5 problems, each
    message giving the total. Empty when a report has no fingerprints (e.g. from a saved plan).
    """
    if training.fingerprints is None or validation.fingerprints is None:
        return []
    kept: list[tuple[int, int]] = []
    total = 0
    for pair in find_shared(training.fingerprints.values, validation.fingerprints.values):
        total += 1
        if len(kept) < 5:
            kept.append(pair)
    return [
        DataProblem(
            "shared_example",
            validation.fingerprints.line_of(v),
            f"this validation example is also line {training.fingerprints.line_of(t)} "
            f"of the training file {training.path} ({total:,} shared in total)",
            "warning",
            default_hint("shared_example"),
        )
        for v, t in kept
    ]


@dataclass
class Prescan:
    samples: list[dict[str, Any]] = field(default_factory=list)
    first_url: str | None = None
    first_model: str | None = None
    average_line: float = 1024.0


def _prescan(path: Path) -> Prescan:
    """The first lines that parse as objects, for format detection and the batch's url/model."""
    found = Prescan()
    read = lines = 0
    with open(path, "rb") as handle:
        while read < PRESCAN_BYTES and len(found.samples) < PRESCAN_LINES:
            raw = handle.readline(PRESCAN_BYTES)
            if not raw:
                break
            read += len(raw)
            lines += 1
            try:
                example = orjson.loads(raw)
            except orjson.JSONDecodeError:
                continue
            if type(example) is dict:
                found.samples.append(example)
    if lines:
        found.average_line = read / lines
    for sample in found.samples:
        url, body = sample.get("url"), sample.get("body")
        if found.first_url is None and type(url) is str:
            found.first_url = url
        if found.first_model is None and type(body) is dict and type(body.get("model")) is str:
            found.first_model = body["model"]
    return found


def _check_file(path: Path, size: int, request: CheckRequest) -> DatasetReport:
    prescan = _prescan(path)
    detected = request.format is None
    fmt = request.format or _detect(prescan, request.purpose)
    if fmt is None:
        return _raw_report(path, size, request)
    log = ProblemLog()
    allowed = FORMATS_FOR_PURPOSE.get(request.purpose)
    if allowed is not None and fmt not in allowed:
        log.add(
            "purpose_format_mismatch",
            0,
            f"a {fmt} file cannot be uploaded with purpose "
            f"{request.purpose!r} (expects {' or '.join(allowed)})",
        )
    model = request.model
    if fmt == "batch":
        model = prescan.first_model or model
        _check_endpoint(request.batch_endpoint, log)
    opts = _options(fmt, request, model, prescan)
    if fmt == "eval" and opts.item_schema is not None:
        reason = schema_problem(opts.item_schema)
        if reason is not None:
            log.add(
                "invalid_item_schema", 0, f"the item_schema is not a valid JSON Schema: {reason}"
            )
            opts = replace(opts, item_schema=None)
    digest, merged = scan_file(path, size, opts, request.workers, prescan.average_line)
    log.merge(merged.log.kept, merged.log.counts, 0)
    file_checks(log, merged, fmt, request.purpose, size)
    stats = dataset_stats(
        merged, log, fmt, request.purpose, request.n_epochs, request.prices, model, opts
    )
    return DatasetReport(
        str(path),
        digest,
        size,
        fmt,
        detected,
        log.problems(),
        dict(log.counts),
        stats,
        request.purpose,
        merged.fingerprints,
    )


def _detect(prescan: Prescan, purpose: str) -> str | None:
    if purpose not in FORMATS_FOR_PURPOSE:
        return None  # user_data, assistants, vision...: not checked unless a format is named
    return detect_format(prescan.samples, purpose)


def _check_endpoint(endpoint: str | None, log: ProblemLog) -> None:
    if endpoint is not None and endpoint not in SUPPORTED_ENDPOINTS:
        log.add(
            "batch_unsupported_endpoint",
            0,
            f"the batch endpoint {endpoint!r} is not one the Batch API supports",
            "supported: " + ", ".join(SUPPORTED_ENDPOINTS),
        )


def _options(fmt: str, request: CheckRequest, model: str | None, prescan: Prescan) -> CheckOptions:
    info = model_info(model)
    limit, code = None, "example_too_long"
    if fmt == "batch":
        limit, code = (info.context_window if info else None), "request_too_long"
    elif request.purpose == "fine-tune" and info is not None:
        limit = info.training_example_limit
    return CheckOptions(
        format=fmt,
        purpose=request.purpose,
        encoding=encoding_for_model(model) if request.count_tokens else None,
        token_limit=limit,
        limit_code=code,
        limit_model=base_model(model) if model else None,
        batch_url=(request.batch_endpoint or prescan.first_url) if fmt == "batch" else None,
        batch_model=prescan.first_model if fmt == "batch" else None,
        item_schema=request.item_schema,
    )


def _raw_report(path: Path, size: int, request: CheckRequest) -> DatasetReport:
    """Files whose purpose has no line format (user_data, assistants...): hash and size only."""
    return DatasetReport(
        str(path),
        sha256_of(path),
        size,
        "raw",
        False,
        (),
        {},
        DatasetStats(price_date=request.prices.price_date),
        request.purpose,
        ExampleFingerprints(),
    )


def _unreadable_report(path: Path, request: CheckRequest, exc: OSError) -> DatasetReport:
    log = ProblemLog()
    log.add("file_not_found", 0, f"cannot read the dataset file: {exc.strerror or exc}")
    return DatasetReport(
        str(path),
        "",
        0,
        request.format or "raw",
        False,
        log.problems(),
        dict(log.counts),
        DatasetStats(),
        request.purpose,
    )
