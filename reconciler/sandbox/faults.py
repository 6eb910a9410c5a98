"""Switchable faults: 429 with Retry-After, 500/503, added latency, dropped connections, and an
admin-API rate limit (per endpoint, as users report the real one: about 7 requests a minute
each), applied per route by an ASGI middleware in front of every /v1 route.

Rules come from `SANDBOX_FAULTS` (a JSON list), the `--fault` flag of `sandbox serve`, or the
control route `POST /_sandbox/faults`. Randomness is seeded, so a given rule set and request
sequence fail the same way every run.
"""

from __future__ import annotations

import asyncio
import fnmatch
import json
import logging
import os
import random
import re
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

FaultKind = Literal["429", "500", "503", "latency", "drop"]
FAULT_KINDS: tuple[str, ...] = ("429", "500", "503", "latency", "drop")


@dataclass
class FaultRule:
    """Apply `kind` to requests whose path matches `route` (a glob, e.g. `/v1/files*`)."""

    kind: FaultKind
    route: str = "/v1/*"
    method: str = "*"
    rate: float = 1.0  # probability per matching request
    count: int | None = None  # stop after this many hits (None = forever)
    retry_after: float = 1.0  # seconds, for 429/503
    latency_ms: int = 500  # for "latency"

    def matches(self, method: str, path: str) -> bool:
        return (self.method in ("*", method)) and fnmatch.fnmatchcase(path, self.route)


@dataclass
class Faults:
    rules: list[FaultRule] = field(default_factory=list)
    admin_rate_limit_per_minute: int | None = None
    seed: int = 0
    _rng: random.Random = field(default_factory=random.Random, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _admin_hits: dict[str, deque[float]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._rng.seed(self.seed)

    @classmethod
    def from_env(cls) -> Faults:
        faults = cls()
        raw = os.environ.get("SANDBOX_FAULTS")
        if raw:
            faults.set_rules(json.loads(raw))
        limit = os.environ.get("SANDBOX_ADMIN_RATE_LIMIT")
        if limit:
            faults.admin_rate_limit_per_minute = int(limit)
        return faults

    def set_rules(self, rules: list[dict[str, Any]]) -> None:
        parsed = [FaultRule(**rule) for rule in rules]
        for rule in parsed:
            if rule.kind not in FAULT_KINDS:
                raise ValueError(f"unknown fault kind {rule.kind!r}; use one of {FAULT_KINDS}")
        with self._lock:
            self.rules = parsed
            self._rng.seed(self.seed)

    def describe(self) -> dict[str, Any]:
        return {
            "rules": [asdict(rule) for rule in self.rules],
            "admin_rate_limit_per_minute": self.admin_rate_limit_per_minute,
        }

    def pick(self, method: str, path: str) -> FaultRule | None:
        """The rule that fires for this request, if any (consumes one `count`)."""
        with self._lock:
            for rule in self.rules:
                if not rule.matches(method, path):
                    continue
                if rule.count is not None and rule.count <= 0:
                    continue
                if self._rng.random() >= rule.rate:
                    continue
                if rule.count is not None:
                    rule.count -= 1
                return rule
        return None

    def admin_retry_after(self, path: str, method: str = "GET") -> float | None:
        """Seconds to wait when the admin-API rate limit of this endpoint (method and path
        template, `admin_endpoint`) is spent in the last minute, else None (and count it)."""
        if self.admin_rate_limit_per_minute is None or not path.startswith(
            ("/v1/organization", "/v1/projects/")
        ):
            return None
        now = time.monotonic()
        with self._lock:
            hits = self._admin_hits.setdefault(admin_endpoint(method, path), deque())
            while hits and now - hits[0] >= 60:
                hits.popleft()
            if len(hits) >= self.admin_rate_limit_per_minute:
                return max(1.0, 60 - (now - hits[0]))
            hits.append(now)
        return None


def admin_endpoint(method: str, path: str) -> str:
    """`GET /v1/organization/projects/{id}/users`: the endpoint a request counts against (ids,
    which hold digits, capitals or `@`, become `{id}`; collection names are lowercase words)."""
    segments = ["{id}" if _IS_ID.search(s) else s for s in path.split("/")]
    return f"{method} {'/'.join(segments)}"


_IS_ID = re.compile(r"^(?!v1$).*[0-9A-Z@.]")


def _error_body(message: str, type_: str, code: str | None) -> bytes:
    return orjson.dumps({"error": {"message": message, "type": type_, "param": None, "code": code}})


class FaultMiddleware:
    """Pure ASGI middleware; only /v1 paths are affected (never the /_sandbox control routes)."""

    def __init__(self, app: ASGIApp, faults: Faults) -> None:
        self.app = app
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        wait = self.faults.admin_retry_after(path, method)
        if wait is not None:
            await _send_error(
                send,
                429,
                "Rate limit reached for admin API requests per min (RPM).",
                "requests",
                "rate_limit_exceeded",
                retry_after=wait,
            )
            return
        rule = self.faults.pick(method, path)
        if rule is None:
            await self.app(scope, receive, send)
        elif rule.kind == "latency":
            await asyncio.sleep(rule.latency_ms / 1000)
            await self.app(scope, receive, send)
        elif rule.kind == "429":
            await _send_error(
                send,
                429,
                "Rate limit reached (sandbox fault injection).",
                "requests",
                "rate_limit_exceeded",
                retry_after=rule.retry_after,
            )
        elif rule.kind == "drop":
            await _drop(send)
        else:
            status = int(rule.kind)
            message = (
                "The server had an error while processing your request. Sorry about that!"
                if status == 500
                else "The engine is currently overloaded, please try again later."
            )
            await _send_error(
                send,
                status,
                message,
                "server_error",
                None,
                retry_after=rule.retry_after if status == 503 else None,
            )


async def _send_error(
    send: Send,
    status: int,
    message: str,
    type_: str,
    code: str | None,
    *,
    retry_after: float | None = None,
) -> None:
    body = _error_body(message, type_, code)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if retry_after is not None:
        headers.append((b"retry-after", str(round(retry_after) or 1).encode()))
        headers.append((b"retry-after-ms", str(int(retry_after * 1000)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _drop(send: Send) -> None:
    """Promise a body and close before sending it: the client sees the connection drop."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"1000")],
        }
    )
    try:
        await send({"type": "http.response.body", "body": b"{", "more_body": False})
    except Exception:  # the server refuses the short body and closes the connection: intended
        raise DroppedConnection from None


class DroppedConnection(Exception):
    """Raised through uvicorn on purpose so that it closes the connection mid-response."""


class _HideDroppedConnections(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], DroppedConnection))


logging.getLogger("uvicorn.error").addFilter(_HideDroppedConnections())
