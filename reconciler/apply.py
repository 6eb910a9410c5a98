"""Execute a Plan: dependency order, bounded concurrency, retries, skipped dependents, events.

`cli.py` calls `apply_plan(plan, providers, ...)` with a checked plan and the providers of
`reconciler.providers.make_providers`. Creates, updates and replaces run first, each once its
dependencies succeeded; deletes run after them, dependents first. Temporary API errors are
retried with backoff (the server's `Retry-After` when it gives one); the dependents of a change
that failed are skipped with the cause. Ctrl-C stops it cleanly: the requests in flight finish,
waits for a retry end at once, nothing new starts, and the result says it was interrupted.
Progress is reported through `on_event`; nothing here prints. The plan is executed as it is:
apply never diffs again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Literal

from reconciler.errors import ReconcilerError, TemporaryApiError
from reconciler.plan import Action, Plan, ResourceChange
from reconciler.providers.base import KindProvider, Operation

EventType = Literal["started", "progress", "retrying", "succeeded", "failed", "skipped"]


@dataclass(frozen=True)
class ApplyEvent:
    """Something that happened to one change; `done`/`total` are bytes for uploads."""

    type: EventType
    address: str
    action: Action
    message: str = ""
    done: int = 0
    total: int = 0
    live_id: str | None = None


EventHandler = Callable[[ApplyEvent], None]


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry a change after a temporary API error."""

    attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 60.0

    def delay(self, attempt: int, error: TemporaryApiError) -> float:
        if error.retry_after is not None:
            return min(self.max_delay, error.retry_after)
        return min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))


@dataclass
class ApplyResult:
    """What happened: live ids by address, and which changes succeeded, failed or were skipped."""

    live_ids: dict[str, str] = field(default_factory=dict)
    succeeded: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    interrupted: bool = False  # stopped by Ctrl-C: what did not run is in `skipped`

    @property
    def ok(self) -> bool:
        return not self.failed and not self.interrupted


class _Skip(Exception):
    """A change that will not run (a guard flag is missing), with the reason."""


class _Interrupted(Exception):
    """Raised in a worker that was waiting to retry when apply was interrupted."""


INTERRUPTED = "apply was interrupted before it ran"


def apply_plan(
    plan: Plan,
    providers: Mapping[str, KindProvider],
    *,
    allow_delete: bool = False,
    allow_archive: bool = False,
    allow_flags: frozenset[str] = frozenset(),
    concurrency: int = 4,
    on_event: EventHandler | None = None,
    retry: RetryPolicy | None = None,
    sleep: Callable[[float], None] | None = None,
) -> ApplyResult:
    """Run every change of `plan` through `providers`; never raises for one failed change.

    `sleep` waits between retries (default: a wait that Ctrl-C ends at once).
    """
    run = _Run(plan, providers, on_event, retry or RetryPolicy(), sleep)
    guards = _Guards(allow_delete=allow_delete, allow_archive=allow_archive, flags=allow_flags)
    changes = [c for c in plan.changes if c.is_change]
    forward = [c for c in changes if c.action is not Action.DELETE]
    deletes = [c for c in changes if c.action is Action.DELETE]
    try:
        run.run_phase(forward, lambda c: c.depends_on, guards, concurrency)
        run.run_phase(deletes, _dependents_among(deletes), guards, concurrency)
    except KeyboardInterrupt:
        run.result.interrupted = True
        for change in changes:
            if change.address not in run.outcome:
                run.skip(change, INTERRUPTED)
    return run.result


@dataclass(frozen=True)
class _Guards:
    allow_delete: bool
    allow_archive: bool
    flags: frozenset[str] = frozenset()  # the kind-specific delete flags given

    def check(self, change: ResourceChange) -> None:
        if change.action is not Action.DELETE or change.deposed:
            return
        if not self.allow_delete:
            raise _Skip(f"{change.delete_verb} needs --allow-delete")
        if change.irreversible and not self.allow_archive:
            raise _Skip(f"{change.delete_verb} cannot be undone: it needs --allow-archive too")
        if change.delete_flag is not None and change.delete_flag not in self.flags:
            raise _Skip(f"{change.delete_verb} needs {change.delete_flag} too")


def _dependents_among(
    deletes: list[ResourceChange],
) -> Callable[[ResourceChange], Iterable[str]]:
    """Deletes wait for the deletes of what depends on them (delete in reverse order)."""

    def waits_for(change: ResourceChange) -> Iterable[str]:
        return [other.address for other in deletes if change.address in other.depends_on]

    return waits_for


class _Run:
    def __init__(
        self,
        plan: Plan,
        providers: Mapping[str, KindProvider],
        on_event: EventHandler | None,
        retry: RetryPolicy,
        sleep: Callable[[float], None] | None,
    ) -> None:
        self.providers = providers
        self.retry = retry
        self.sleep = sleep
        self.stop = threading.Event()  # set on Ctrl-C: no new attempt starts
        self.result = ApplyResult()
        self._on_event = on_event
        self._event_lock = threading.Lock()
        self.outcome: dict[str, str] = {}  # address -> "ok" | cause of a failure or skip
        for change in plan.changes:
            if change.action is Action.BLOCKED:
                self.outcome[change.address] = f"is blocked ({change.reason})"
            elif not change.is_change:
                self.outcome[change.address] = "ok"
                if change.live_id:
                    self.result.live_ids[change.address] = change.live_id

    def emit(self, event: ApplyEvent) -> None:
        if self._on_event is not None:
            with self._event_lock:
                self._on_event(event)

    def run_phase(
        self,
        changes: list[ResourceChange],
        waits_for: Callable[[ResourceChange], Iterable[str]],
        guards: _Guards,
        concurrency: int,
    ) -> None:
        waiting = {change.address: change for change in changes}
        in_phase = set(waiting)
        running: dict[Future[str | None], ResourceChange] = {}
        pool = ThreadPoolExecutor(max_workers=max(1, concurrency))
        try:
            while waiting or running:
                for change in self._ready(waiting, in_phase, waits_for, guards):
                    self.emit(ApplyEvent("started", change.address, change.action))
                    operation = self._operation(change)
                    running[pool.submit(self._execute, operation)] = change
                if not running:
                    for change in waiting.values():  # unreachable with an acyclic plan
                        self.skip(change, "its dependencies never became ready")
                    return
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    self._finish(running.pop(future), future)
        except KeyboardInterrupt:
            self._wind_down(pool, running)
            raise
        finally:
            pool.shutdown(wait=True)

    def _wind_down(
        self, pool: ThreadPoolExecutor, running: dict[Future[str | None], ResourceChange]
    ) -> None:
        """After Ctrl-C: let the requests in flight finish (and record them), retry nothing."""
        self.stop.set()
        pool.shutdown(wait=True, cancel_futures=True)
        for future, change in running.items():
            self._finish(change, future)

    def _ready(
        self,
        waiting: dict[str, ResourceChange],
        in_phase: set[str],
        waits_for: Callable[[ResourceChange], Iterable[str]],
        guards: _Guards,
    ) -> list[ResourceChange]:
        """Remove from `waiting` what can start now (or must be skipped); return the former."""
        ready = []
        for address, change in list(waiting.items()):
            dependencies = [d for d in waits_for(change) if d != address]
            failed = next((d for d in dependencies if self.outcome.get(d, "ok") != "ok"), None)
            if failed is not None:
                del waiting[address]
                self.skip(change, f"depends on {failed}, which {self.outcome[failed]}")
                continue
            if any(d in in_phase and d not in self.outcome for d in dependencies):
                continue
            del waiting[address]
            try:
                guards.check(change)
            except _Skip as skip:
                self.skip(change, str(skip))
                continue
            ready.append(change)
        return ready

    def _operation(self, change: ResourceChange) -> Operation:
        payload = dict(change.desired)
        for field_name, address in change.references.items():
            payload[field_name] = self.result.live_ids[address]

        def progress(done: int, total: int) -> None:
            self.emit(ApplyEvent("progress", change.address, change.action, done=done, total=total))

        return Operation(change, payload, progress)

    def _execute(self, op: Operation) -> str | None:
        provider = self.providers[op.change.kind]
        attempt = 1
        while True:
            try:
                return _dispatch(provider, op)
            except TemporaryApiError as error:
                if attempt >= self.retry.attempts:
                    raise
                delay = self.retry.delay(attempt, error)
                message = f"attempt {attempt} failed ({error}); retrying in {delay:.1f}s"
                self.emit(ApplyEvent("retrying", op.address, op.change.action, message))
                self._pause(delay)
                attempt += 1

    def _pause(self, delay: float) -> None:
        if self.sleep is not None:
            self.sleep(delay)
        else:
            self.stop.wait(delay)
        if self.stop.is_set():
            raise _Interrupted

    def _finish(self, change: ResourceChange, future: Future[str | None]) -> None:
        if future.cancelled():
            self.skip(change, INTERRUPTED)
            return
        try:
            live_id = future.result()
        except _Interrupted:
            self.skip(change, "apply was interrupted while it waited to retry")
            return
        except Exception as error:  # one failed change must not stop the others
            message = _describe_failure(error)
            self.outcome[change.address] = f"failed ({message})"
            self.result.failed[change.address] = message
            self.emit(ApplyEvent("failed", change.address, change.action, message))
            return
        self.outcome[change.address] = "ok"
        self.result.succeeded.append(change.address)
        if live_id is not None:
            self.result.live_ids[change.address] = live_id
        self.emit(ApplyEvent("succeeded", change.address, change.action, live_id=live_id))

    def skip(self, change: ResourceChange, reason: str) -> None:
        self.outcome[change.address] = f"was skipped ({reason})"
        self.result.skipped[change.address] = reason
        self.emit(ApplyEvent("skipped", change.address, change.action, reason))


def _dispatch(provider: KindProvider, op: Operation) -> str | None:
    action = op.change.action
    if action is Action.CREATE:
        return provider.create(op)
    if action is Action.UPDATE:
        return provider.update(op)
    if action is Action.REPLACE:
        return provider.replace(op)
    if action is Action.DELETE:
        provider.delete(op)
        return None
    raise ValueError(f"{op.address}: nothing to apply for action {action.value}")


def _describe_failure(error: Exception) -> str:
    """A failed change's cause in words: our errors as they are, a local file problem with its
    path, anything else with its type (a bug to report, but not a traceback)."""
    if isinstance(error, ReconcilerError):
        return str(error)
    if isinstance(error, OSError) and error.filename is not None:
        return f"{error.filename}: {error.strerror or error} (did it change since the plan?)"
    return f"{type(error).__name__}: {error}"
