"""The sandbox clock: every lifecycle (fine-tune jobs, batches, uploads) reads time from here.

Sandbox time runs at `speed` × wall time from its start, plus whatever tests add with
`POST /_sandbox/clock/advance` instead of sleeping. The latest time seen is kept in the store, so
time never goes backwards across a restart with the same state file.
"""

from __future__ import annotations

import threading
import time

from .store import Store

_LAST_KEY = "clock.last"


class Clock:
    def __init__(self, store: Store, *, speed: float = 1.0) -> None:
        self._store = store
        self._lock = threading.Lock()
        self.speed = speed
        self._wall_anchor = time.time()
        self._anchor = max(self._wall_anchor, float(store.get_setting(_LAST_KEY, 0.0)))
        self._offset = 0.0

    def now_float(self) -> float:
        with self._lock:
            current = self._anchor + (time.time() - self._wall_anchor) * self.speed + self._offset
            self._store.set_setting(_LAST_KEY, current)
        return current

    def now(self) -> int:
        """Unix seconds, as every `created_at` / `finished_at` in the API."""
        return int(self.now_float())

    def advance(self, seconds: float) -> int:
        with self._lock:
            self._offset += max(0.0, seconds)
        return self.now()

    def set_speed(self, speed: float) -> None:
        with self._lock:
            now = time.time()
            self._anchor += (now - self._wall_anchor) * self.speed
            self._wall_anchor = now
            self.speed = speed
