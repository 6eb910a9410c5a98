"""Line scanner: parse, check, fingerprint and count one chunk of a JSONL file.

`pipeline.py` runs `scan_range` in worker processes over newline-aligned byte ranges (or
`LineScanner` in-process for small files) and merges the `ChunkResult`s in file order. Line
numbers here are chunk-local (1-based); the merge shifts them. Memory per chunk: the chunk's
bytes plus 8 bytes of fingerprint per example.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import orjson

from reconciler.datasets.batch_rules import check_batch
from reconciler.datasets.eval_rules import check_eval
from reconciler.datasets.formats import check_chat, check_preference, check_reinforcement
from reconciler.datasets.problems import ProblemLog
from reconciler.datasets.rulebase import (
    CheckOptions,
    ChunkTally,
    ExampleCheck,
    LineContext,
    json_type,
)
from reconciler.datasets.tokens import TokenCounter

CHECKS: dict[str, ExampleCheck] = {
    "chat": check_chat,
    "preference": check_preference,
    "reinforcement": check_reinforcement,
    "batch": check_batch,
    "eval": check_eval,
}
BOM = b"\xef\xbb\xbf"


@dataclass
class ChunkResult:
    lines: int
    kept: list[tuple[str, int, int, str, str | None]]
    counts: dict[str, int]
    tally: ChunkTally


def fingerprint(line: bytes) -> int:
    """8-byte identity of an example: sha256 of the line without surrounding whitespace."""
    return int.from_bytes(hashlib.sha256(line.strip()).digest()[:8], "little")


class LineScanner:
    """Checks consecutive lines of one chunk; `result()` hands back what it found."""

    def __init__(self, opts: CheckOptions) -> None:
        self.opts = opts
        self.log = ProblemLog()
        self.tally = ChunkTally()
        counter = TokenCounter(opts.encoding) if opts.encoding else None
        self.ctx = LineContext(self.log, counter)
        self.check = CHECKS[opts.format]
        self.line = 0

    def scan_lines(self, lines: list[bytes]) -> None:
        ctx, opts, tally, check = self.ctx, self.opts, self.tally, self.check
        loads, sha256, from_bytes = orjson.loads, hashlib.sha256, int.from_bytes
        add_fingerprint = tally.fingerprints.append
        line = self.line
        for raw in lines:
            line += 1
            try:
                example = loads(raw)
            except orjson.JSONDecodeError as exc:
                self._invalid_line(raw, line, exc)
                continue
            if type(example) is not dict:
                self.log.add(
                    "data_type", line, f"the line is {json_type(example)}, not a JSON object"
                )
                tally.skipped_lines.append(line)
                continue
            tally.examples += 1
            add_fingerprint(from_bytes(sha256(raw.strip()).digest()[:8], "little"))
            ctx.line = line
            ctx.raw = raw
            check(example, ctx, opts, tally)
        self.line = line

    def _invalid_line(self, raw: bytes, line: int, exc: orjson.JSONDecodeError) -> None:
        self.tally.skipped_lines.append(line)
        if not raw.strip():
            self.log.add("blank_line", line, "the line is empty")
            return
        hint = None
        if raw.startswith(BOM):
            hint = "save the file as UTF-8 without a byte order mark"
        elif "UTF-8" in exc.msg:
            hint = "save the file as UTF-8"
        elif raw.lstrip().startswith(b"[") and line == 1:
            hint = "JSONL is one object per line, not a JSON array"
        self.log.add("invalid_json", line, f"invalid JSON: {exc.msg}", hint, max(exc.colno, 0))

    def result(self) -> ChunkResult:
        return ChunkResult(self.line, self.log.kept, self.log.counts, self.tally)


def scan_bytes(data: bytes, opts: CheckOptions) -> ChunkResult:
    """Scan a newline-aligned chunk (the last line may lack its newline)."""
    lines = data.split(b"\n")
    if lines and not lines[-1]:
        lines.pop()
    scanner = LineScanner(opts)
    scanner.scan_lines(lines)
    return scanner.result()


_worker: dict[str, Any] = {}


def init_worker(path: str, opts: CheckOptions) -> None:
    """Pool initializer: remember the file and options once per worker process."""
    _worker["path"] = path
    _worker["opts"] = opts


def scan_range(span: tuple[int, int]) -> ChunkResult:
    """Worker task: read bytes [start, end) of the file and scan them."""
    start, end = span
    with open(_worker["path"], "rb") as handle:
        handle.seek(start)
        data = handle.read(end - start)
    return scan_bytes(data, _worker["opts"])
