"""Inputs over the Batch API's limits, cut into parts: one batch per part, joined as one.

The Batch API takes at most 50,000 requests and 200 MB per input file. `providers/batches.py`
streams a generation's requests through `write_parts`, which starts a new temporary file before
either limit would be passed; each part becomes its own batch, tagged `reconciler_part: k/n`,
and the results of all parts are joined by `custom_id` like those of replays. The planner shows
how many parts it expects (`expected_parts`). `limits()` reads the thresholds, which tests
lower with `RECONCILER_BATCH_MAX_REQUESTS` and `RECONCILER_BATCH_MAX_BYTES`; the plan carries
them to apply, so both use the same cut.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

from reconciler.batches.requests import RequestLine

MAX_REQUESTS = 50_000
MAX_BYTES = 200 * 1024 * 1024
REQUESTS_VARIABLE = "RECONCILER_BATCH_MAX_REQUESTS"
BYTES_VARIABLE = "RECONCILER_BATCH_MAX_BYTES"


@dataclass(frozen=True)
class Limits:
    """The most requests and bytes one batch's input file may hold."""

    max_requests: int = MAX_REQUESTS
    max_bytes: int = MAX_BYTES

    def to_json(self) -> dict[str, int]:
        return {"max_requests": self.max_requests, "max_bytes": self.max_bytes}

    @classmethod
    def from_json(cls, data: object) -> Limits:
        if not isinstance(data, dict):
            return cls()
        return cls(
            int(data.get("max_requests", MAX_REQUESTS)), int(data.get("max_bytes", MAX_BYTES))
        )


def limits() -> Limits:
    """The API's limits, or lower ones from the environment (never higher: the API refuses)."""
    return Limits(_from_env(REQUESTS_VARIABLE, MAX_REQUESTS), _from_env(BYTES_VARIABLE, MAX_BYTES))


def _from_env(name: str, default: int) -> int:
    try:
        value = int(os.environ.get(name, "") or default)
    except ValueError:
        return default
    return min(max(value, 1), default)


def expected_parts(requests: int, size: int, found: Limits) -> int:
    """How many batches `requests` requests of about `size` bytes in all need (at least 1)."""
    by_count = math.ceil(requests / found.max_requests)
    by_size = math.ceil(size / found.max_bytes)
    return max(1, by_count, by_size)


@dataclass
class Part:
    """One part's temporary file (positioned at its start), its requests and bytes."""

    handle: IO[bytes]
    requests: int = 0
    size: int = 0


@contextmanager
def write_parts(requests: Iterable[RequestLine], found: Limits) -> Iterator[list[Part]]:
    """Stream `requests` into temporary files of at most `found`'s requests and bytes each;
    the files are removed on exit. A single request larger than `max_bytes` gets a part of its
    own (the API will refuse it with its own message)."""
    parts: list[Part] = []
    try:
        for request in requests:
            line = json.dumps(request.request, ensure_ascii=False).encode() + b"\n"
            current = parts[-1] if parts else None
            if (
                current is None
                or current.requests >= found.max_requests
                or (current.requests and current.size + len(line) > found.max_bytes)
            ):
                current = Part(tempfile.TemporaryFile())  # noqa: SIM115 (closed in finally)
                parts.append(current)
            current.handle.write(line)
            current.requests += 1
            current.size += len(line)
        for part in parts:
            part.handle.seek(0)
        yield parts
    finally:
        for part in parts:
            part.handle.close()


def part_tag(index: int, total: int) -> str:
    """`2/3`: the value of a part's `reconciler_part` tag (1-based)."""
    return f"{index}/{total}"


def parse_part(tag: str | None) -> tuple[int, int]:
    """(index, total) of a `reconciler_part` tag; (1, 1) for a batch made before parts."""
    try:
        index, total = (int(x) for x in str(tag).split("/"))
    except ValueError:
        return 1, 1
    return (index, total) if 1 <= index <= total else (1, 1)
