"""The scan pipeline: one read of a file -> merged chunk results and its sha256.

`check.py` calls `scan_file`. Files up to INLINE_MAX_BYTES are scanned in-process, hashing each
block as it is read; larger ones are cut into newline-aligned ranges that a process pool scans
(`scan.py`) while a background thread hashes the file (hashlib releases the GIL). `Merged`
joins the chunk results in file order: shifted line numbers, fingerprints, custom_ids.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import threading
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import BinaryIO

from reconciler.datasets.fingerprints import DuplicateFinder, ExampleFingerprints
from reconciler.datasets.problems import ProblemLog
from reconciler.datasets.rulebase import CheckOptions, ChunkTally
from reconciler.datasets.scan import ChunkResult, LineScanner, init_worker, scan_range
from reconciler.datasets.tokens import load_encoding

CHUNK_BYTES = 4 << 20
INLINE_MAX_BYTES = 8 << 20
READ_BLOCK = 4 << 20
MAX_CUSTOM_IDS = 100_000


def sha256_of(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


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


def scan_file(
    path: Path, size: int, opts: CheckOptions, workers: int | None, average_line: float
) -> tuple[str, Merged]:
    merged = Merged(int(size / max(average_line, 32.0)))
    count = workers or _cpu_count()
    if size <= INLINE_MAX_BYTES or count < 2:
        return _scan_inline(path, opts, merged), merged
    spans = _chunk_spans(path, size)
    if opts.encoding:
        load_encoding(opts.encoding)  # forked workers inherit the loaded tables
    with pool_context().Pool(min(count, len(spans)), init_worker, (str(path), opts)) as pool:
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


def pool_context() -> BaseContext:
    """fork when this process has a single thread (fast, shares loaded encodings), else safer."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        return multiprocessing.get_context("forkserver")
    return multiprocessing.get_context("spawn")
