"""Incremental refresh of the Administration API reads: a snapshot kept in the platform.

The Administration API allows a few requests a minute, and a stack of 50 projects reads
hundreds of collections. With `refresh: {mode: incremental}` in reconciler.yaml (or
`--refresh=incremental`), `live.read_live_state` calls `begin_refresh` once the API key's
files are listed (the listing every plan makes, so finding the snapshot costs nothing):

- the snapshot is a file of purpose `batch` (the purpose whose content the API gives back) in
  the API key's project, `reconciler--<stack>--snapshot--admin-reads--<time>.jsonl`, shared by
  every CI job: one JSON line per Administration API GET of the last full read (path and query
  -> the answer), after a header line (local time taken, the audit log's newest entry then);
- incremental: download it (1 request), list the audit log since its newest entry (1 request
  a page), and mark which collections the entries touched (`touched_by`: a project's settings
  for `project.updated`, every project's members for `user.*`, ...; an event type not known
  here means a full read). Every GET of the read then goes through `ReadCacheTransport`: an
  untouched collection is answered from the snapshot (no request, not counted), anything
  else is read from the API;
- full: when there is no snapshot, it is older than `max_age`, the audit log is unavailable
  (off, refused, or more entries than `MAX_AUDIT_PAGES` pages), or `--refresh=full` (the
  scheduled drift job). Every GET is recorded and the new snapshot uploaded after the read,
  older ones deleted.

The plan says which was done (`Plan.refresh`). The snapshot holds what the reads return
(names, emails, settings), never a key: the Administration API does not return secrets.
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx2

from reconciler.errors import ApiError
from reconciler.providers.errors import api_errors

SNAPSHOT_FORMAT = 1
MAX_AUDIT_PAGES = 5
AUDIT_PAGE_SIZE = 100
_ADMIN_PATH = re.compile(r"^(?:/[^/]+)*?/v1(/organization/.*)$|^(/organization/.*)$")
_AUDIT_PATH = "/organization/audit_logs"


def snapshot_prefix(stack: str) -> str:
    return f"reconciler--{stack}--snapshot--admin-reads--"


def admin_path(url_path: str) -> str | None:
    """`/organization/...` for an Administration API path (whatever the base URL), else None."""
    match = _ADMIN_PATH.match(url_path)
    if match is None:
        return None
    return match.group(1) or match.group(2)


def collection_of(path: str) -> str:
    """The collection a GET reads, as the audit-log rules name it: `projects`,
    `project:<id>:<sub>` (members, service accounts, rate limits, one setting...), `org:<sub>`."""
    parts = path.strip("/").split("/")[1:]  # after "organization"
    if not parts:
        return "org:"
    if parts[0] == "projects":
        if len(parts) == 1:
            return "projects"
        if len(parts) == 2:
            return f"project:{parts[1]}:"
        return f"project:{parts[1]}:{parts[2]}"
    return f"org:{parts[0]}"


def cache_key(path: str, query: str) -> str:
    pairs = sorted(parse_qsl(query, keep_blank_values=True))
    return f"{path}?{urlencode(pairs)}" if pairs else path


# -- which collections an audit entry touches ----------------------------------------------------

FULL = "*"
_ALL_MEMBERS = ("org:users", "project:*:users", "project:*:groups", "project:*:roles")
_RULES: dict[str, tuple[str, ...]] = {
    "project.created": ("projects",),
    "project.archived": ("projects",),
    "project.deleted": ("projects",),
    "rate_limit.updated": ("project:*:rate_limits",),
    "rate_limit.deleted": ("project:*:rate_limits",),
    "user.added": _ALL_MEMBERS,
    "user.updated": _ALL_MEMBERS,
    "user.deleted": _ALL_MEMBERS,
    "service_account.created": ("project:*:service_accounts",),
    "service_account.updated": ("project:*:service_accounts",),
    "service_account.deleted": ("project:*:service_accounts",),
    "api_key.created": ("project:*:api_keys", "org:admin_api_keys"),
    "api_key.updated": ("project:*:api_keys", "org:admin_api_keys"),
    "api_key.deleted": ("project:*:api_keys", "org:admin_api_keys"),
    "invite.sent": ("org:invites",),
    "invite.deleted": ("org:invites",),
    "invite.accepted": ("org:invites", *_ALL_MEMBERS),
    "group.created": ("org:groups", "project:*:groups"),
    "group.updated": ("org:groups", "project:*:groups"),
    "group.deleted": ("org:groups", "project:*:groups"),
    "role.created": ("org:roles", "project:*:roles", *_ALL_MEMBERS),
    "role.updated": ("org:roles", "project:*:roles", *_ALL_MEMBERS),
    "role.deleted": ("org:roles", "project:*:roles", *_ALL_MEMBERS),
    "role.assignment.created": ("org:roles", "org:groups", *_ALL_MEMBERS),
    "role.assignment.deleted": ("org:roles", "org:groups", *_ALL_MEMBERS),
    "organization.updated": ("org:*",),
    "certificate.created": ("org:certificates", "project:*:certificates"),
    "certificate.updated": ("org:certificates", "project:*:certificates"),
    "certificate.deleted": ("org:certificates", "project:*:certificates"),
    "certificates.activated": ("org:certificates", "project:*:certificates"),
    "certificates.deactivated": ("org:certificates", "project:*:certificates"),
}
_NOTHING_READ = ("login.", "logout.", "checkpoint.permission.")


def touched_by(event_type: str, resource_id: str | None) -> tuple[str, ...]:
    """The collections (fnmatch patterns) an audit entry may have changed; `(FULL,)` when the
    event type is not known here (a full read is the safe answer)."""
    if event_type == "project.updated":  # a rename or any project setting
        return ("projects", f"project:{resource_id}:*") if resource_id else (FULL,)
    if event_type.startswith(_NOTHING_READ):
        return ()
    return _RULES.get(event_type, (FULL,))


# -- the snapshot and the transport that serves it ---------------------------------------------


@dataclass
class Snapshot:
    """The answers of one full read: cache key -> JSON body, and when it was taken."""

    taken_at: float
    watermark: dict[str, Any] | None  # the audit log's newest entry then: {"id", "at"}
    bodies: dict[str, Any] = field(default_factory=dict)

    def to_bytes(self) -> bytes:
        header = {"format": SNAPSHOT_FORMAT, "taken_at": self.taken_at, "audit": self.watermark}
        lines = [json.dumps(header, sort_keys=True)]
        lines += [json.dumps({"key": k, "body": v}, sort_keys=True) for k, v in self.bodies.items()]
        return ("\n".join(lines) + "\n").encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Snapshot | None:
        lines = data.decode("utf-8", errors="replace").splitlines()
        try:
            header = json.loads(lines[0])
            if header.get("format") != SNAPSHOT_FORMAT:
                return None
            bodies = {}
            for line in lines[1:]:
                if line.strip():
                    item = json.loads(line)
                    bodies[str(item["key"])] = item["body"]
        except (IndexError, ValueError, KeyError, TypeError, AttributeError):
            return None
        return cls(float(header["taken_at"]), header.get("audit"), bodies)


class ReadCacheTransport(httpx2.BaseTransport):
    """Wraps the SDK's transport. Inactive (a pass-through) unless a refresh is under way:
    then Administration API GETs are recorded (full read) or served from the snapshot when
    their collection is untouched (incremental)."""

    def __init__(self, inner: httpx2.BaseTransport) -> None:
        self._inner = inner
        self._lock = threading.Lock()
        self.snapshot: Snapshot | None = None  # serve from it (incremental)
        self.touched: tuple[str, ...] = ()
        self.recording: dict[str, Any] | None = None  # record into it (full and incremental)
        self.served = 0
        self.reread: set[str] = set()

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        path = admin_path(request.url.path) if request.method == "GET" else None
        if (
            path is None
            or path == _AUDIT_PATH
            or (self.snapshot is None and self.recording is None)
        ):
            return self._inner.handle_request(request)
        key = cache_key(path, request.url.query.decode())
        if self.snapshot is not None and key in self.snapshot.bodies and not self._touched(path):
            with self._lock:
                self.served += 1
            body = self.snapshot.bodies[key]
            if self.recording is not None:
                self.recording[key] = body
            return httpx2.Response(200, json=body, request=request)
        response = self._inner.handle_request(request)
        with self._lock:
            self.reread.add(collection_of(path))
        if self.recording is not None and response.status_code == 200:
            response.read()
            try:
                body = json.loads(response.content)
            except ValueError:
                return response
            with self._lock:
                self.recording[key] = body
        return response

    def _touched(self, path: str) -> bool:
        return _is_touched(path, self.touched)

    def close(self) -> None:
        self._inner.close()


def make_transport(
    wrap: Callable[[httpx2.BaseTransport], httpx2.BaseTransport] | None = None,
) -> ReadCacheTransport:
    """The SDK's default transport (its connection limits), wrapped by `wrap` (what only
    requests that reach the network go through), then by the snapshot."""
    from openai._constants import DEFAULT_CONNECTION_LIMITS

    network: httpx2.BaseTransport = httpx2.HTTPTransport(limits=DEFAULT_CONNECTION_LIMITS)
    return ReadCacheTransport(network if wrap is None else wrap(network))


# -- one refresh ---------------------------------------------------------------------------------


@dataclass
class Refresh:
    """One read's refresh: what was decided (`description`) and what to do after the read."""

    mode: str  # "full" or "incremental"
    description: str
    transport: ReadCacheTransport | None = None
    stack: str = ""
    old_files: tuple[str, ...] = ()
    watermark: dict[str, Any] | None = None
    requests: int = 0  # requests of the refresh itself (download, audit log, upload)

    def finish(self, clients: Any) -> str:
        """After the read: save the snapshot (after a full read; after an incremental one that
        re-read something, merged, keeping the full read's time for `max_age`); the plan's
        line."""
        transport = self.transport
        if transport is None:
            return self.description
        recorded = transport.recording or {}
        base, touched = transport.snapshot, transport.touched
        reread, served = len(transport.reread), transport.served
        transport.snapshot, transport.recording, transport.touched = None, None, ()
        if self.mode == "incremental":
            line = f"{self.description}: {served} listing(s) from the snapshot, {reread} re-read"
            if base is None or not transport.reread:
                return line
            kept = {k: v for k, v in base.bodies.items() if not _is_touched(k, touched)}
            self._save(clients, Snapshot(base.taken_at, self.watermark, {**kept, **recorded}))
            return line + "; snapshot updated"
        self._save(clients, Snapshot(time.time(), self.watermark, recorded))
        return f"{self.description}; snapshot of {len(recorded)} listing(s) saved"

    def _save(self, clients: Any, snapshot: Snapshot) -> None:
        start = clients.requests
        name = f"{snapshot_prefix(self.stack)}{int(time.time())}.jsonl"
        with api_errors("save the snapshot of the Administration API reads"):
            files = clients.writer().files
            files.create(file=(name, snapshot.to_bytes()), purpose="batch")
            for old in self.old_files:
                with contextlib.suppress(Exception):  # an old snapshot left behind is harmless
                    files.delete(old)
        self.requests += clients.requests - start


def _is_touched(key: str, touched: tuple[str, ...]) -> bool:
    collection = collection_of(key.partition("?")[0])
    return any(fnmatch.fnmatchcase(collection, pattern) for pattern in touched)


def begin_refresh(
    stack: str,
    clients: Any,
    home_files: Iterable[Any],
    *,
    mode: str,
    max_age_seconds: float,
) -> Refresh | None:
    """Decide full or incremental and arm the transport; None when the stack does not use
    snapshots (mode `off`: every read goes to the API, nothing is saved)."""
    transport: ReadCacheTransport | None = getattr(clients, "read_cache", None)
    if mode == "off" or transport is None or not clients.has_admin_key:
        return None
    start = clients.requests
    prefix = snapshot_prefix(stack)
    mine = sorted(
        (f for f in home_files if str(f.filename).startswith(prefix)),
        key=lambda f: (int(f.created_at or 0), str(f.id)),
    )
    old_ids = tuple(str(f.id) for f in mine)
    refresh = Refresh("full", "", transport, stack, old_ids)
    reason = _full_reason(mode, mine)
    snapshot = None
    if reason is None:
        snapshot = _download(clients, str(mine[-1].id))
        if snapshot is None:
            reason = "the snapshot could not be read"
        elif time.time() - snapshot.taken_at > max_age_seconds:
            reason = f"the snapshot is older than {_duration(max_age_seconds)}"
    touched: tuple[str, ...] = ()
    watermark = None
    if reason is None and snapshot is not None:
        touched, watermark, reason = _audit_since(clients, snapshot.watermark)
    if reason is not None or snapshot is None:
        refresh.watermark = _newest_entry(clients)
        transport.recording = {}
        refresh.description = f"full read of the Administration API ({reason})"
    else:
        refresh.mode = "incremental"
        refresh.watermark = watermark
        transport.snapshot, transport.touched, transport.recording = snapshot, touched, {}
        age = _duration(time.time() - snapshot.taken_at)
        refresh.description = (
            f"incremental read of the Administration API (snapshot taken {age} ago; "
            f"{len(touched)} collection pattern(s) touched since, per the audit log)"
        )
    refresh.requests = clients.requests - start
    return refresh


def _full_reason(mode: str, snapshots: list[Any]) -> str | None:
    if mode == "full":
        return "--refresh=full"
    if not snapshots:
        return "no snapshot yet"
    return None


def _download(clients: Any, file_id: str) -> Snapshot | None:
    try:
        with api_errors("read the snapshot of the Administration API reads"):
            data = clients.reader().files.content(file_id).read()
    except ApiError:
        return None
    return Snapshot.from_bytes(data)


def _audit_since(
    clients: Any, watermark: dict[str, Any] | None
) -> tuple[tuple[str, ...], dict[str, Any] | None, str | None]:
    """(collections touched, the newest entry, None) or ((), None, why a full read)."""
    params: dict[str, Any] = {"limit": AUDIT_PAGE_SIZE}
    if watermark is not None:
        params["effective_at"] = {"gte": int(watermark["at"])}
    entries: list[Any] = []
    try:
        with clients.admin_slots, api_errors("read the audit log"):
            page = clients.reader().admin.organization.audit_logs.list(**params)
            for number in range(MAX_AUDIT_PAGES):
                entries.extend(page.data)
                if not page.has_next_page():
                    break
                if number == MAX_AUDIT_PAGES - 1:
                    return (), None, "more audit-log entries than one incremental read takes"
                page = page.get_next_page()
    except ApiError as error:
        return (), None, f"the audit log is unavailable: {str(error)[:120]}"
    newest = {"id": entries[0].id, "at": entries[0].effective_at} if entries else watermark
    touched: set[str] = set()
    for entry in entries:  # newest first: stop at the snapshot's newest entry
        if watermark is not None and entry.id == watermark.get("id"):
            break
        details = entry.to_dict().get(entry.type)
        resource = details.get("id") if isinstance(details, dict) else None
        patterns = touched_by(str(entry.type), None if resource is None else str(resource))
        if FULL in patterns:
            return (), None, f"the audit log has a '{entry.type}' entry since the snapshot"
        touched.update(patterns)
    return tuple(sorted(touched)), newest, None


def _newest_entry(clients: Any) -> dict[str, Any] | None:
    """The audit log's newest entry before a full read (where the next incremental starts)."""
    try:
        with clients.admin_slots, api_errors("read the audit log"):
            page = clients.reader().admin.organization.audit_logs.list(limit=1)
    except ApiError:
        return None
    return {"id": page.data[0].id, "at": page.data[0].effective_at} if page.data else None


def _duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    return f"{seconds // 3600}h"


def parse_duration(text: str) -> float:
    """`30s`, `10m`, `6h` or `2d` in seconds (reconciler.yaml's `refresh.max_age`)."""
    match = re.fullmatch(r"\s*(\d+)\s*([smhd])\s*", text)
    if match is None:
        raise ValueError(text)
    return float(match[1]) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[match[2]]
