"""The apply engine with in-memory providers: order, references, retries, skips, guards.

The providers here implement the provider protocol over a dict (the SDK is not involved:
end-to-end tests in test_cli_e2e.py run the real providers against the sandbox).
"""

from __future__ import annotations

import threading
import time
from typing import Any

from reconciler.apply import ApplyEvent, RetryPolicy, apply_plan
from reconciler.errors import PermanentApiError, TemporaryApiError
from reconciler.plan import Action, Plan, ResourceChange
from reconciler.providers.base import KindProvider, Operation


class MemoryProvider(KindProvider):
    """Keeps objects in a dict; `fail` maps an address to errors raised on its next calls."""

    def __init__(self, kind: str, log: list[str], fail: dict[str, list[Exception]]) -> None:
        self.kind = kind  # type: ignore[misc]
        self.log = log
        self.fail = fail
        self.objects: dict[str, dict[str, Any]] = {}
        self.running = 0
        self.max_running = 0
        self._lock = threading.Lock()

    def _call(self, op: Operation, verb: str) -> str:
        with self._lock:
            self.running += 1
            self.max_running = max(self.max_running, self.running)
        try:
            time.sleep(0.01)
            errors = self.fail.get(op.address)
            if errors:
                raise errors.pop(0)
            with self._lock:
                self.log.append(f"{verb} {op.address}")
            live_id = op.change.live_id or f"id-{op.change.name}"
            self.objects[live_id] = op.payload
            return live_id
        finally:
            with self._lock:
                self.running -= 1

    def create(self, op: Operation) -> str:
        return self._call(op, "create")

    def update(self, op: Operation) -> str:
        return self._call(op, "update")

    def delete(self, op: Operation) -> None:
        self._call(op, "delete")


def change(address: str, action: Action, **fields: Any) -> ResourceChange:
    kind, _, name = address.partition("/")
    return ResourceChange(
        address=address, kind=kind, name=name, action=action, reason="test", **fields
    )


def make_plan(*changes: ResourceChange) -> Plan:
    return Plan(
        stack="demo",
        created_at="2026-11-25T12:00:00Z",
        manifests_path="specs",
        manifest_fingerprint="m",
        state_fingerprint="s",
        changes=changes,
    )


def providers(
    log: list[str], fail: dict[str, list[Exception]] | None = None
) -> dict[str, MemoryProvider]:
    errors = fail if fail is not None else {}
    return {kind: MemoryProvider(kind, log, errors) for kind in ("Project", "Dataset")}


PROJECT = change("Project/support", Action.CREATE, desired={"name": "Support"})
TRAIN = change(
    "Dataset/train",
    Action.CREATE,
    desired={"project": "(known after apply)"},
    references={"project": "Project/support"},
    depends_on=("Project/support",),
)


def test_dependencies_first_and_references_resolved() -> None:
    log: list[str] = []
    found = providers(log)
    result = apply_plan(make_plan(TRAIN, PROJECT), found)
    assert log == ["create Project/support", "create Dataset/train"]
    assert found["Dataset"].objects["id-train"] == {"project": "id-support"}
    assert result.ok and result.live_ids["Dataset/train"] == "id-train"


def test_noop_dependency_resolves_to_its_live_id() -> None:
    existing = change("Project/support", Action.NOOP, live_id="proj_1")
    found = providers([])
    apply_plan(make_plan(existing, TRAIN), found)
    assert found["Dataset"].objects["id-train"] == {"project": "proj_1"}


def test_failed_change_skips_its_dependents_with_the_cause() -> None:
    log: list[str] = []
    other = change("Dataset/other", Action.CREATE)
    denied = PermanentApiError("create project 'Support': HTTP 403: denied", status=403)
    events: list[ApplyEvent] = []
    result = apply_plan(
        make_plan(PROJECT, TRAIN, other),
        providers(log, {"Project/support": [denied]}),
        on_event=events.append,
    )
    assert log == ["create Dataset/other"]
    assert result.failed == {"Project/support": str(denied)}
    assert result.skipped["Dataset/train"].startswith("depends on Project/support, which failed")
    assert ("skipped", "Dataset/train") in [(e.type, e.address) for e in events]


def test_temporary_errors_are_retried_after_the_delay_asked_for() -> None:
    log: list[str] = []
    slept: list[float] = []
    busy = TemporaryApiError("HTTP 429", retry_after=7.0, status=429)
    down = TemporaryApiError("HTTP 500", status=500)
    result = apply_plan(
        make_plan(PROJECT),
        providers(log, {"Project/support": [busy, down]}),
        retry=RetryPolicy(attempts=3, base_delay=0.5),
        sleep=slept.append,
    )
    assert result.ok and log == ["create Project/support"]
    assert slept == [7.0, 1.0]  # the server's Retry-After, then backoff for attempt 2


def test_retries_give_up_after_the_last_attempt() -> None:
    errors: list[Exception] = [TemporaryApiError("HTTP 503", retry_after=0.0) for _ in range(3)]
    result = apply_plan(
        make_plan(PROJECT),
        providers([], {"Project/support": errors}),
        retry=RetryPolicy(attempts=3),
        sleep=lambda _: None,
    )
    assert list(result.failed) == ["Project/support"]


ORPHAN_FILE = change("Dataset/old", Action.DELETE, live_id="file-1", depends_on=("Project/legacy",))
ORPHAN_PROJECT = change(
    "Project/legacy", Action.DELETE, live_id="proj_9", irreversible=True, delete_verb="archive"
)
DEPOSED = change("Dataset/train#file-0", Action.DELETE, live_id="file-0", deposed=True)


def test_deletes_need_their_flags_but_deposed_copies_do_not() -> None:
    log: list[str] = []
    result = apply_plan(make_plan(ORPHAN_PROJECT, ORPHAN_FILE, DEPOSED), providers(log))
    assert log == ["delete Dataset/train#file-0"]
    assert result.skipped["Dataset/old"] == "delete needs --allow-delete"
    assert "needs --allow-delete" in result.skipped["Project/legacy"]


def test_archive_needs_its_own_flag() -> None:
    log: list[str] = []
    result = apply_plan(make_plan(ORPHAN_PROJECT, ORPHAN_FILE), providers(log), allow_delete=True)
    assert log == ["delete Dataset/old"]
    assert "needs --allow-archive" in result.skipped["Project/legacy"]


def test_deletes_run_after_creates_and_dependents_first() -> None:
    log: list[str] = []
    plan = make_plan(ORPHAN_PROJECT, ORPHAN_FILE, PROJECT, TRAIN)
    apply_plan(plan, providers(log), allow_delete=True, allow_archive=True, concurrency=8)
    assert log == [
        "create Project/support",
        "create Dataset/train",
        "delete Dataset/old",
        "delete Project/legacy",
    ]


def test_concurrency_is_bounded() -> None:
    many = [change(f"Dataset/d{i}", Action.CREATE) for i in range(12)]
    found = providers([])
    result = apply_plan(make_plan(*many), found, concurrency=3)
    assert len(result.succeeded) == 12
    assert 1 < found["Dataset"].max_running <= 3


def test_blocked_changes_skip_their_dependents() -> None:
    blocked = change("Project/support", Action.BLOCKED)
    log: list[str] = []
    result = apply_plan(make_plan(blocked, TRAIN), providers(log))
    assert log == []
    assert result.skipped["Dataset/train"].startswith(
        "depends on Project/support, which is blocked"
    )


def test_a_local_file_problem_is_described_with_its_path() -> None:
    gone = FileNotFoundError(2, "No such file or directory", "specs/data/train.jsonl")
    result = apply_plan(make_plan(TRAIN, PROJECT), providers([], {"Dataset/train": [gone]}))
    assert result.failed == {
        "Dataset/train": "specs/data/train.jsonl: No such file or directory "
        "(did it change since the plan?)"
    }


def test_an_unexpected_error_names_its_type() -> None:
    result = apply_plan(make_plan(PROJECT), providers([], {"Project/support": [KeyError("x")]}))
    assert result.failed == {"Project/support": "KeyError: 'x'"}
