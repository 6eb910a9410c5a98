"""The stack's lock: one writer at a time, held in the platform itself so every machine sees it.

`cli.py apply` takes it (`StackLock.acquire`) before reading the live state and releases it
after the last write; `reconciler force-unlock LOCK_ID` breaks one (`force_unlock`). The lock
is a small `user_data` file in the API key's project whose filename says it all (files of that
purpose cannot be downloaded, and listing them costs no extra request):

    reconciler--<stack>--lock--<lock id>--<holder>.json     created_at = when it was taken

Taking it: upload our lock file, then list; we hold the lock only if every other live lock
of the stack is strictly newer than ours (its owner listed after ours was there, so it sees ours
as older and steps back). Locks taken in the same second are contenders: both step back and try
again after a short random pause. So at most one wins. While it is held,
a heartbeat uploads another file of the same lock every `HEARTBEAT_SECONDS` (the previous
heartbeat's file is then deleted; the first file stays and dates the lock), so a lock whose
newest file is older than `STALE_SECONDS` belongs to an apply that died: it is broken by the
next apply, which says so. Times come from the server's `created_at` of our
own upload, never from the local clock.
"""

from __future__ import annotations

import getpass
import os
import random
import re
import secrets
import socket
import threading
import time
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, TypeVar

from reconciler.errors import ApiError, ConfigError, TemporaryApiError
from reconciler.providers.client import Clients
from reconciler.providers.errors import api_errors
from reconciler.providers.files import list_files
from reconciler.state import FILENAME_PREFIX, HOME_PROJECT

PURPOSE: Final = "user_data"
HEARTBEAT_SECONDS: Final = 120.0
STALE_SECONDS: Final = 900
POLL_SECONDS: Final = 5.0
WRITE_ATTEMPTS: Final = 5
CONTENDER_RETRIES: Final = 8

T = TypeVar("T")

_HELD: set[str] = set()  # lock ids this process holds (its own lock is not a leftover)
# Stale locks broken through each Clients (one organization): their applies were cut short.
_BROKEN: weakref.WeakKeyDictionary[Clients, dict[str, LockInfo]] = weakref.WeakKeyDictionary()
_HELD_GUARD = threading.Lock()


class StackLockedError(ConfigError):
    """Another apply holds the stack's lock (exit 1, with who holds it and how to break it)."""


@dataclass(frozen=True)
class LockInfo:
    """One live lock of a stack, as read back from its filename."""

    stack: str
    lock_id: str
    holder: str
    since: int  # created_at of its first file (server time)
    heartbeat: int  # created_at of its newest file
    file_ids: tuple[str, ...]

    def describe(self) -> str:
        return f"{self.holder} since {_when(self.since)} (lock id {self.lock_id})"


def lock_prefix(stack: str) -> str:
    return f"{FILENAME_PREFIX}--{stack}--lock--"


def held_lock_ids() -> frozenset[str]:
    with _HELD_GUARD:
        return frozenset(_HELD)


def unfinished_applies(clients: Clients, stack: str, files: Iterable[Any]) -> list[LockInfo]:
    """Applies of `stack` that started and have not finished: the locks among `files` that
    this process does not hold, and the stale ones it broke. What they created may not be
    recorded in the ownership registry yet."""
    with _HELD_GUARD:
        known = _BROKEN.get(clients, {})
        held, broken = set(_HELD), [b for b in known.values() if b.stack == stack]
    leftover = [lock for lock in read_locks(stack, files) if lock.lock_id not in held]
    seen = {lock.lock_id for lock in leftover}
    return leftover + [lock for lock in broken if lock.lock_id not in seen]


def read_locks(stack: str, files: Iterable[Any]) -> list[LockInfo]:
    """The stack's locks among `files` of the home project, oldest first."""
    found: dict[str, list[Any]] = {}
    pattern = re.compile(
        rf"^{re.escape(lock_prefix(stack))}(?P<id>lk[0-9a-f]+)--(?P<holder>.+)\.json$"
    )
    holders: dict[str, str] = {}
    for file in files:
        match = pattern.match(file.filename)
        if match is not None:
            found.setdefault(match["id"], []).append(file)
            holders[match["id"]] = match["holder"]
    locks = [
        LockInfo(
            stack=stack,
            lock_id=lock_id,
            holder=holders[lock_id],
            since=min(f.created_at for f in items),
            heartbeat=max(f.created_at for f in items),
            file_ids=tuple(f.id for f in sorted(items, key=lambda f: (f.created_at, f.id))),
        )
        for lock_id, items in found.items()
    ]
    return sorted(locks, key=lambda lock: (lock.since, lock.lock_id))


def holder_name(environ: dict[str, str] | None = None) -> str:
    """Who is applying: `user@host`, plus the CI run when there is one; safe in a filename."""
    env = dict(os.environ) if environ is None else environ
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    name = f"{user}@{socket.gethostname()}-pid{os.getpid()}"
    run = env.get("GITHUB_RUN_ID")
    if run:
        name += f"-gha{run}"
    name = re.sub(r"[^A-Za-z0-9@._+-]", "_", name)
    return re.sub(r"-{2,}", "-", name)[:80]


class StackLock:
    """The lock of one stack for one apply: `acquire`, then `release` (or use `with`)."""

    def __init__(
        self,
        clients: Clients,
        stack: str,
        *,
        holder: str | None = None,
        on_notice: Callable[[str], None] | None = None,
        heartbeat_seconds: float = HEARTBEAT_SECONDS,
        stale_seconds: int = STALE_SECONDS,
        poll_seconds: float = POLL_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._clients = clients
        self.stack = stack
        self.lock_id = "lk" + secrets.token_hex(6)
        self.holder = holder or holder_name()
        self._notice = on_notice or (lambda message: None)
        self._heartbeat_seconds = heartbeat_seconds
        self._stale_seconds = stale_seconds
        self._poll_seconds = poll_seconds
        self._sleep = sleep
        self._first_id: str | None = None  # the file taken first: its time is `since`
        self._beat_id: str | None = None  # the latest heartbeat's file
        self._uncertain = False  # an upload failed after it may have landed
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._guard = threading.Lock()
        self.lost: str | None = None  # why the lock was lost while held, if it was

    @property
    def filename(self) -> str:
        return f"{lock_prefix(self.stack)}{self.lock_id}--{self.holder}.json"

    def acquire(self, timeout: float = 0.0) -> None:
        """Hold the lock, waiting up to `timeout` seconds for another apply to finish.

        A contender that took its lock in the same second as ours is no holder: both step
        back and try again after a short random pause, whatever the timeout."""
        deadline = time.monotonic() + max(0.0, timeout)
        announced: str | None = None
        ties = 0
        while True:
            holder, tie = self._try_once()
            if holder is None:
                self._start_heartbeat()
                return
            if tie and ties < CONTENDER_RETRIES:
                ties += 1
                self._sleep(random.uniform(0.1, 1.0))
                continue
            if time.monotonic() >= deadline:
                raise StackLockedError(_locked_message(self.stack, holder, timeout))
            if announced != holder.lock_id:
                self._notice(f"stack '{self.stack}' is locked by {holder.describe()}; waiting…")
                announced = holder.lock_id
            pause = min(self._poll_seconds * random.uniform(0.5, 1.5), deadline - time.monotonic())
            self._sleep(max(0.0, pause))

    def _try_once(self) -> tuple[LockInfo | None, bool]:
        """(None, _) when we now hold the lock; else the lock in our way, and whether it was
        taken in the same second as ours (a contender, not a holder).

        We hold it when every other live lock is strictly newer than ours: those were taken
        after ours was listed-visible, so their owners see ours as older and step back."""
        mine = self._upload()
        locks = read_locks(self.stack, list_files(self._clients, HOME_PROJECT))
        now = next((lock.since for lock in locks if lock.lock_id == self.lock_id), None)
        if now is None:
            self._delete([mine])
            raise ConfigError(
                f"the lock file just uploaded for stack '{self.stack}' is not in the file list "
                "of the API key's project: is OPENAI_PROJECT_ID pointing elsewhere? Nothing was "
                "changed."
            )
        others = [lock for lock in locks if lock.lock_id != self.lock_id]
        for stale in [lock for lock in others if self._is_stale(lock, now)]:
            why = self._why_stale(stale, now)
            self._notice(
                f"breaking the lock of stack '{self.stack}' held by {stale.describe()}: {why}"
            )
            self._delete(stale.file_ids)
            with _HELD_GUARD:
                _BROKEN.setdefault(self._clients, {})[stale.lock_id] = stale
            others.remove(stale)
        in_the_way = [lock for lock in others if lock.since <= now]
        if in_the_way:
            self._delete([mine])
            return in_the_way[0], in_the_way[0].since == now
        self._first_id = mine
        with _HELD_GUARD:
            _HELD.add(self.lock_id)
        return None, False

    def _is_stale(self, lock: LockInfo, now: int) -> bool:
        return now - lock.heartbeat > self._stale_seconds or _holder_died_here(
            lock.holder, lock.lock_id
        )

    def _why_stale(self, lock: LockInfo, now: int) -> str:
        if _holder_died_here(lock.holder, lock.lock_id):
            return "its process on this machine is gone (an apply that was killed)"
        return f"no heartbeat for {(now - lock.heartbeat) // 60} minutes (its apply died)"

    def still_held(self, home_files: Iterable[Any] | None = None) -> bool:
        """Whether our lock file is still there, in `home_files` (a fresh listing of the API
        key's project) or in a listing of its own; sets `lost` when it is not."""
        if self.lost is not None:
            return False
        if home_files is None:
            home_files = list_files(self._clients, HOME_PROJECT)
        locks = read_locks(self.stack, home_files)
        if any(lock.lock_id == self.lock_id for lock in locks):
            return True
        self.lost = "its lock file was removed (force-unlock, or broken as stale)"
        return False

    def release(self) -> None:
        """Remove our lock file(s); a failure is a notice, not an error (the lock goes stale)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        with self._guard:
            try:
                if self._uncertain:  # an upload may have landed unseen: remove all of ours
                    files = list_files(self._clients, HOME_PROJECT)
                    ours = [
                        lk for lk in read_locks(self.stack, files) if lk.lock_id == self.lock_id
                    ]
                    self._delete([file_id for lock in ours for file_id in lock.file_ids])
                else:
                    self._delete([i for i in (self._beat_id, self._first_id) if i is not None])
                self._first_id = self._beat_id = None
            except ApiError as error:
                self._notice(
                    f"could not remove the lock of stack '{self.stack}' ({error}): it goes "
                    f"stale in {self._stale_seconds // 60} minutes, or break it with "
                    f"`reconciler force-unlock {self.lock_id}`"
                )
        with _HELD_GUARD:
            _HELD.discard(self.lock_id)

    def __enter__(self) -> StackLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    # -- heartbeat ---------------------------------------------------------------------------

    def _start_heartbeat(self) -> None:
        self._thread = threading.Thread(target=self._beat, name="stack-lock", daemon=True)
        self._thread.start()

    def _beat(self) -> None:
        while not self._stop.wait(self._heartbeat_seconds):
            try:
                self._refresh()
            except Exception as error:  # a missed beat is not fatal; a stale lock is
                self._notice(f"could not refresh the lock of stack '{self.stack}': {error}")

    def _refresh(self) -> None:
        """A new heartbeat file, then the previous one removed (the first file stays)."""
        with self._guard:
            if self._first_id is None:
                return
            new_id = self._upload()
            old, self._beat_id = self._beat_id, new_id
        if old is not None:
            self._delete([old])

    # -- files -------------------------------------------------------------------------------

    def _upload(self) -> str:
        body = f'{{"stack": "{self.stack}", "lock_id": "{self.lock_id}"}}'.encode()

        def upload() -> str:
            with api_errors(f"take the lock of stack '{self.stack}'"):
                file = self._clients.writer().files.create(
                    file=(self.filename, body, "application/json"), purpose=PURPOSE
                )
            return str(file.id)

        try:
            return self._retrying(upload)
        except ApiError:
            self._uncertain = True
            raise

    def _delete(self, file_ids: Iterable[str]) -> None:
        for file_id in file_ids:

            def delete(file_id: str = file_id) -> None:
                with api_errors(f"remove a lock file of stack '{self.stack}'", missing_ok=True):
                    self._clients.writer(HOME_PROJECT).files.delete(file_id)

            self._retrying(delete)

    def _retrying(self, call: Callable[[], T]) -> T:
        """`call()`, again after a temporary error (as the apply engine does for changes)."""
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                return call()
            except TemporaryApiError as error:
                if attempt == WRITE_ATTEMPTS:
                    raise
                if "take the lock" in str(error):
                    self._uncertain = True
                self._sleep(min(30.0, error.retry_after or 0.5 * 2**attempt))
        raise AssertionError("unreachable")


def force_unlock(clients: Clients, stack: str, lock_id: str) -> LockInfo:
    """Delete every file of lock `lock_id`; a ConfigError naming the live locks if none."""
    locks = read_locks(stack, list_files(clients, HOME_PROJECT))
    chosen = next((lock for lock in locks if lock.lock_id == lock_id), None)
    if chosen is None:
        live = "; ".join(lock.describe() for lock in locks) or "none"
        raise ConfigError(
            f"stack '{stack}' has no lock {lock_id} (its locks: {live}). Nothing was changed."
        )
    for file_id in chosen.file_ids:
        with api_errors(f"remove lock {lock_id} of stack '{stack}'", missing_ok=True):
            clients.writer(HOME_PROJECT).files.delete(file_id)
    return chosen


def _holder_died_here(holder: str, lock_id: str) -> bool:
    """The holder ran on this machine (same user and host) and its process no longer exists."""
    match = re.fullmatch(r"(?P<who>.+)-pid(?P<pid>\d+)(?:-gha.*)?", holder)
    if match is None or not holder_name().startswith(match["who"] + "-pid"):
        return False
    pid = int(match["pid"])
    if pid == os.getpid():  # an earlier apply in this process (tests): dead unless held
        return lock_id not in held_lock_ids()
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def _locked_message(stack: str, holder: LockInfo, timeout: float) -> str:
    waited = f" (waited {timeout:g}s)" if timeout > 0 else ""
    return (
        f"stack '{stack}' is locked by {holder.describe()}{waited}: another apply is running. "
        "Wait for it to finish, or retry with --lock-timeout 10m to wait. If that apply is dead "
        f"(a killed CI job), its lock goes stale after {STALE_SECONDS // 60} minutes without a "
        f"heartbeat, or break it now with `reconciler force-unlock {holder.lock_id}`. Nothing "
        "was changed."
    )


def _when(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
