"""One budget for the Administration API: a limiter shared by every admin read and write of a
run, the server's `Retry-After` obeyed by all of them, and a word before a long read.

The Administration API allows only a few requests a minute (about 7 per endpoint, users
report). `Clients` sends every request that reaches the network through `BudgetTransport`
(inside the snapshot's transport, so an answer served from the incremental-refresh snapshot
spends nothing): `AdminBudget.before` holds an admin request (`/organization/` in its path)
until the limiter lets it go, reads and writes alike, from every thread; `AdminBudget.after`
turns a 429's `Retry-After` into a pause that every admin request waits out, not only the
refused one.
`admin_requests_per_minute` in reconciler.yaml sets the rate (at most that many admin requests
in any 60 s; unset: no limit of ours, and the server's 429s still pace the run).
`live.read_live_state` configures it and first says how long its admin reads will take when
that is more than 30 s (`admin_reads.py`).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import httpx2

from reconciler.providers.errors import retry_after_seconds

WINDOW_SECONDS = 60.0
DEFAULT_PAUSE_SECONDS = 1.0  # a 429 without Retry-After


def is_admin_path(path: str) -> bool:
    return "/organization/" in path or path.endswith("/organization")


class AdminBudget:
    """At most `per_minute` admin requests in any 60 s (None: no limit), and a shared pause
    after a 429. Thread-safe; `clock` and `sleep` are injectable for tests."""

    def __init__(
        self,
        per_minute: int | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.per_minute = per_minute
        self.waited = 0.0  # seconds spent held back, for the record
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._sent: deque[float] = deque()  # when the last admin requests go (reserved slots)
        self._paused_until = 0.0

    def configure(self, per_minute: int | None) -> None:
        with self._lock:
            self.per_minute = per_minute

    def reserve(self) -> float:
        """Reserve the next slot; the seconds to wait before sending in it."""
        with self._lock:
            now = self._clock()
            start = max(now, self._paused_until)
            if self.per_minute:
                while self._sent and start - self._sent[0] >= WINDOW_SECONDS:
                    self._sent.popleft()
                if len(self._sent) >= self.per_minute:
                    start = max(start, self._sent[-self.per_minute] + WINDOW_SECONDS)
                self._sent.append(start)
            return start - now

    def pause(self, seconds: float) -> None:
        """No admin request leaves before `seconds` from now (the server said so)."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)

    def before(self, request: Any) -> None:
        """Hold an admin request until the budget allows it."""
        if not is_admin_path(request.url.path):
            return
        delay = self.reserve()
        if delay > 0:
            with self._lock:
                self.waited += delay
            self._sleep(delay)

    def after(self, response: Any, request: Any = None) -> None:
        """After an answer (to `request`, else `response.request`): a 429 on an admin route
        pauses every admin request."""
        sent = response.request if request is None else request
        if response.status_code != 429 or not is_admin_path(sent.url.path):
            return
        delay = retry_after_seconds(response.headers)
        self.pause(DEFAULT_PAUSE_SECONDS if delay is None else delay)

    def seconds_for(self, requests: int) -> float:
        """How long `requests` admin requests take at this rate from a fresh window."""
        if not self.per_minute or requests <= self.per_minute:
            return 0.0
        return math.ceil(requests / self.per_minute - 1) * WINDOW_SECONDS


class BudgetTransport(httpx2.BaseTransport):
    """Wraps the network transport: every admin request waits for the budget, every 429 on
    one pauses them all."""

    def __init__(self, inner: httpx2.BaseTransport, budget: AdminBudget) -> None:
        self._inner = inner
        self._budget = budget

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        self._budget.before(request)
        response = self._inner.handle_request(request)
        self._budget.after(response, request)
        return response

    def close(self) -> None:
        self._inner.close()
