"""check_dataset: one pass over a JSONL file -> DatasetReport (problems, stats, cost).

Called by `validate` and `plan` for every Dataset. Small files are scanned in-process while
hashing; larger ones are cut into newline-aligned chunks scanned by a process pool (every core)
while this process computes the sha256. Chunk results are merged in file order, then the
file-level rules run (counts, sizes, duplicates, custom_ids) and the cost is estimated.
Reports are cached by file identity when a cache directory is given.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import threading
from dataclasses import dataclass, field, replace
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from reconciler.datasets.batch_rules import (
    MAX_EMBEDDING_INPUTS,
    MAX_FILE_BYTES,
    MAX_REQUESTS,
    SUPPORTED_ENDPOINTS,
)
from reconciler.datasets.cache import DatasetCache, FileIdentity
from reconciler.datasets.fingerprints import DuplicateFinder, ExampleFingerprints, find_shared
from reconciler.datasets.formats import (
    FORMATS,
    FORMATS_FOR_PURPOSE,
    CheckOptions,
    ChunkTally,
    detect_format,
)
from reconciler.datasets.prices import PriceTable
from reconciler.datasets.problems import DataProblem, ProblemLog, default_hint
from reconciler.datasets.report import DatasetReport, DatasetStats
from reconciler.datasets.scan import ChunkResult, LineScanner, init_worker, scan_range
from reconciler.datasets.tables import base_model, model_info
from reconciler.datasets.tokens import encoding_for_model, load_encoding

RULES_VERSION = "1"
CHUNK_BYTES = 4 << 20
INLINE_MAX_BYTES = 8 << 20
READ_BLOCK = 4 << 20
PRESCAN_LINES = 20
PRESCAN_BYTES = 4 << 20
MIN_EXAMPLES = 10
RECOMMENDED_MIN_EXAMPLES = 50
MANY_EXAMPLES = 50_000
MAX_CUSTOM_IDS = 100_000
# The cookbook's rule for OpenAI's automatic epoch count.
TARGET_EPOCHS, MIN_TARGET_EXAMPLES, MAX_TARGET_EXAMPLES = 3, 100, 25_000
MIN_DEFAULT_EPOCHS, MAX_DEFAULT_EPOCHS = 1, 25


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


def sha256_of(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


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


def default_epochs(examples: int) -> int:
    """OpenAI's automatic epoch count for a dataset size (data-preparation cookbook rule)."""
    epochs = TARGET_EPOCHS
    if examples == 0:
        return epochs
    if examples * TARGET_EPOCHS < MIN_TARGET_EXAMPLES:
        epochs = min(MAX_DEFAULT_EPOCHS, MIN_TARGET_EXAMPLES // examples)
    elif examples * TARGET_EPOCHS > MAX_TARGET_EXAMPLES:
        epochs = max(MIN_DEFAULT_EPOCHS, MAX_TARGET_EXAMPLES // examples)
    return epochs


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
    digest, merged = _scan(path, size, opts, request.workers, prescan.average_line)
    log.merge(merged.log.kept, merged.log.counts, 0)
    _file_checks(log, merged, fmt, request.purpose, size)
    stats = _stats(merged, log, fmt, request, model, opts)
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


class Merged:
    """The chunk results of one file, merged in order as they arrive."""

    def __init__(self, expected_examples: int) -> None:
        self.log = ProblemLog()
        self.lines = 0
        self.tally = ChunkTally()
        self.fingerprints = ExampleFingerprints()
        self.duplicates = DuplicateFinder(expected_examples)
        self._custom_ids: dict[str, int] = {}

    def add(self, result: ChunkResult) -> None:
        offset, part, total = self.lines, result.tally, self.tally
        self.log.merge(result.kept, result.counts, offset)
        for name in (
            "examples",
            "token_examples",
            "tokens_total",
            "assistant_tokens",
            "billed_tokens",
            "images",
            "image_examples",
            "embedding_inputs",
        ):
            setattr(total, name, getattr(total, name) + getattr(part, name))
        if part.tokens_min is not None and (
            total.tokens_min is None or part.tokens_min < total.tokens_min
        ):
            total.tokens_min = part.tokens_min
        total.tokens_max = max(total.tokens_max, part.tokens_max)
        self.fingerprints.values.extend(part.fingerprints)
        self.duplicates.add(part.fingerprints)
        self.fingerprints.skipped_lines.extend([line + offset for line in part.skipped_lines])
        for custom_id, line in part.custom_ids:
            self._add_custom_id(custom_id, line + offset)
        self.lines += result.lines

    def _add_custom_id(self, custom_id: str, line: int) -> None:
        first = self._custom_ids.get(custom_id)
        if first is not None:
            self.log.add(
                "duplicate_custom_id",
                line,
                f"custom_id {custom_id!r} is already used on line {first}",
            )
        elif len(self._custom_ids) < MAX_CUSTOM_IDS:
            self._custom_ids[custom_id] = line


def _scan(
    path: Path, size: int, opts: CheckOptions, workers: int | None, average_line: float
) -> tuple[str, Merged]:
    merged = Merged(int(size / max(average_line, 32.0)))
    count = workers or _cpu_count()
    if size <= INLINE_MAX_BYTES or count < 2:
        return _scan_inline(path, opts, merged), merged
    spans = _chunk_spans(path, size)
    if opts.encoding:
        load_encoding(opts.encoding)  # forked workers inherit the loaded tables
    with _pool_context().Pool(min(count, len(spans)), init_worker, (str(path), opts)) as pool:
        results = pool.imap(scan_range, spans)
        hasher = BackgroundDigest(path)  # hashlib releases the GIL: runs beside the workers
        for result in results:
            merged.add(result)
        return hasher.result(), merged


class BackgroundDigest(threading.Thread):
    """sha256 of a file computed on a thread; `result()` waits and re-raises read errors."""

    def __init__(self, path: Path) -> None:
        super().__init__(name="dataset-sha256", daemon=True)
        self.path = path
        self.digest: str | None = None
        self.error: OSError | None = None
        self.start()

    def run(self) -> None:
        try:
            self.digest = sha256_of(self.path)
        except OSError as exc:
            self.error = exc

    def result(self) -> str:
        self.join()
        if self.error is not None:
            raise self.error
        assert self.digest is not None
        return self.digest


def _scan_inline(path: Path, opts: CheckOptions, merged: Merged) -> str:
    """Hash and scan in one read of the file, in this process."""
    hasher = hashlib.sha256()
    scanner = LineScanner(opts)
    pending: list[bytes] = []  # the start of a line that spans blocks
    with open(path, "rb") as handle:
        while block := handle.read(READ_BLOCK):
            hasher.update(block)
            cut = block.rfind(b"\n")
            if cut < 0:
                pending.append(block)
                continue
            head = b"".join([*pending, block[:cut]]) if pending else block[:cut]
            scanner.scan_lines(head.split(b"\n"))
            pending = [block[cut + 1 :]] if cut + 1 < len(block) else []
    if pending:
        scanner.scan_lines([b"".join(pending)])
    merged.add(scanner.result())
    return hasher.hexdigest()


def _chunk_spans(path: Path, size: int) -> list[tuple[int, int]]:
    """Byte ranges of about CHUNK_BYTES, each ending just after a newline (or at the end)."""
    spans, start = [], 0
    with open(path, "rb") as handle:
        while start < size:
            end = min(size, _next_line_start(handle, start + CHUNK_BYTES, size))
            spans.append((start, end))
            start = end
    return spans


def _next_line_start(handle: BinaryIO, position: int, size: int) -> int:
    """The offset just after the first newline at or after `position` (or `size`)."""
    handle.seek(position)
    while position < size:
        block = handle.read(1 << 16)
        if not block:
            break
        newline = block.find(b"\n")
        if newline >= 0:
            return position + newline + 1
        position += len(block)
    return size


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _pool_context() -> BaseContext:
    """fork when this process has a single thread (fast, shares loaded encodings), else safer."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        return multiprocessing.get_context("forkserver")
    return multiprocessing.get_context("spawn")


def _file_checks(log: ProblemLog, merged: Merged, fmt: str, purpose: str, size: int) -> None:
    tally = merged.tally
    examples = tally.examples
    if examples == 0:
        log.add("empty_file", 0, "the file has no examples")
    elif purpose == "fine-tune":
        _size_checks(log, examples, tally.image_examples, fmt)
    if fmt == "batch":
        if size > MAX_FILE_BYTES:
            log.add(
                "file_too_large",
                0,
                f"the file is {size / 2**20:,.0f} MB; the Batch API takes at most 200 MB",
            )
        if examples > MAX_REQUESTS:
            log.add(
                "batch_too_many_requests",
                0,
                f"the file has {examples:,} requests; a batch takes at most {MAX_REQUESTS:,}",
            )
        if tally.embedding_inputs > MAX_EMBEDDING_INPUTS:
            log.add(
                "batch_too_many_embedding_inputs",
                0,
                f"{tally.embedding_inputs:,} "
                f"embedding inputs; a batch takes at most {MAX_EMBEDDING_INPUTS:,}",
            )
    fingerprints = merged.fingerprints
    for index, first in merged.duplicates.duplicates(fingerprints.values):
        log.add(
            "duplicate_example",
            fingerprints.line_of(index),
            f"the example repeats line {fingerprints.line_of(first)}",
        )


def _size_checks(log: ProblemLog, examples: int, image_examples: int, fmt: str) -> None:
    if examples < MIN_EXAMPLES:
        log.add(
            "too_few_examples",
            0,
            f"the file has {examples} examples; fine-tuning needs at least {MIN_EXAMPLES}",
        )
    elif examples < RECOMMENDED_MIN_EXAMPLES:
        log.add(
            "few_examples",
            0,
            f"the file has {examples} examples; results usually improve "
            f"from {RECOMMENDED_MIN_EXAMPLES}-100 well-crafted ones",
        )
    if fmt == "reinforcement" and examples > MANY_EXAMPLES:
        log.add(
            "too_many_examples",
            0,
            f"the file has {examples:,} examples; reinforcement "
            f"fine-tuning takes at most {MANY_EXAMPLES:,}",
        )
    elif examples > MANY_EXAMPLES:
        log.add(
            "many_examples",
            0,
            f"the file has {examples:,} examples: the automatic epoch "
            "count drops to 1 and cost grows linearly",
        )
    if image_examples > MANY_EXAMPLES:
        log.add(
            "too_many_image_examples",
            0,
            f"{image_examples:,} examples contain images; the limit is {MANY_EXAMPLES:,}",
        )


def _stats(
    merged: Merged,
    log: ProblemLog,
    fmt: str,
    request: CheckRequest,
    model: str | None,
    opts: CheckOptions,
) -> DatasetStats:
    tally, prices = merged.tally, request.prices
    counted = opts.encoding is not None
    examples = tally.examples
    common: dict[str, Any] = dict(
        examples=examples,
        lines=merged.lines,
        model=model,
        encoding=opts.encoding,
        token_limit=opts.token_limit,
        images=tally.images,
        image_examples=tally.image_examples,
        over_limit_examples=log.counts.get(opts.limit_code, 0),
        price_date=prices.price_date,
    )
    if counted:
        common.update(
            total_tokens=tally.tokens_total,
            min_tokens=tally.tokens_min,
            max_tokens=tally.tokens_max if tally.token_examples else None,
            mean_tokens=(
                tally.tokens_total / tally.token_examples if tally.token_examples else None
            ),
        )
        if fmt != "batch":
            common["assistant_tokens"] = tally.assistant_tokens
    if fmt == "batch":
        cost = prices.batch_input_cost(model, tally.tokens_total) if counted else None
        return DatasetStats(
            **common,
            requests=examples,
            batch_endpoint=opts.batch_url,
            est_input_tokens=tally.tokens_total if counted else None,
            estimated_cost_usd=cost[1] if cost else None,
            cost_basis=f"{cost[0]} batch input price" if cost else None,
        )
    if request.purpose != "fine-tune":
        return DatasetStats(**common)
    epochs = request.n_epochs or default_epochs(examples)
    # Reinforcement fine-tuning is billed per training hour, not per token.
    billed = tally.billed_tokens * epochs if counted and fmt != "reinforcement" else None
    training = prices.training_cost(model, billed) if billed is not None else None
    return DatasetStats(
        **common,
        epochs=epochs,
        epochs_source="declared" if request.n_epochs else "auto",
        billed_tokens=billed,
        estimated_cost_usd=training[1] if training else None,
        cost_basis=f"{training[0]} training price" if training else None,
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
