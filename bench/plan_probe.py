"""Run `python -m reconciler ARGS...` and record when HTTP requests were in flight.

Used by bench_plan.py: `python bench/plan_probe.py OUT.json plan DIR --format json`. The SDK's
transport is wrapped (before the CLI imports anything else) so that each request's send and
answer are timed; OUT.json gets the time at least one request was in flight (overlaps counted
once), the span from the first request sent to the last answer (the read phase), and the number
of requests. `BENCH_READ_CONCURRENCY=1` reads one listing at a time (the
sequential baseline).
"""

from __future__ import annotations

import atexit
import json
import os
import runpy
import sys
import threading
import time
from typing import Any

import httpx2

_intervals: list[tuple[float, float]] = []
_lock = threading.Lock()
_send = httpx2.HTTPTransport.handle_request


def _timed(self: httpx2.HTTPTransport, request: httpx2.Request) -> Any:
    start = time.perf_counter()
    try:
        response = _send(self, request)
        response.read()  # the body too: listing pages are read whole
        return response
    finally:
        with _lock:
            _intervals.append((start, time.perf_counter()))


def in_flight(intervals: list[tuple[float, float]]) -> float:
    """Seconds during which at least one interval was open."""
    total, end = 0.0, float("-inf")
    for start, stop in sorted(intervals):
        if stop <= end:
            continue
        total += stop - max(start, end)
        end = stop
    return total


def _write(out: str) -> None:
    with _lock:
        span = max(e for _, e in _intervals) - min(s for s, _ in _intervals) if _intervals else 0
        data = {
            "http_seconds": in_flight(_intervals),
            "span_seconds": span,
            "requests": len(_intervals),
        }
    with open(out, "w", encoding="utf-8") as handle:
        json.dump(data, handle)


def main() -> None:
    out, *args = sys.argv[1:]
    httpx2.HTTPTransport.handle_request = _timed  # type: ignore[method-assign]
    if "BENCH_READ_CONCURRENCY" in os.environ:
        import reconciler.providers.live as live

        live.READ_CONCURRENCY = int(os.environ["BENCH_READ_CONCURRENCY"])
    atexit.register(_write, out)
    sys.argv = ["reconciler", *args]
    runpy.run_module("reconciler", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
