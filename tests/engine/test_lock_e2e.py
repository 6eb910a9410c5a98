"""The stack's lock end to end: one writer at a time, with who holds it, waits, stale locks,
force-unlock, and what an apply does when its lock was lost (twins resolved, oldest kept).

Every test runs the real CLI or the real providers over HTTP against the sandbox.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import openai
import pytest

from reconciler.apply import apply_plan
from reconciler.kinds.facts import check_datasets
from reconciler.manifests import load_stack
from reconciler.planner import build_plan
from reconciler.providers import Clients, Credentials, make_providers, read_live_state
from reconciler.providers.lock import StackLock, StackLockedError, force_unlock, read_locks
from reconciler.providers.settle import settle_apply
from reconciler.sandbox import SandboxHandle

from .e2e import Workspace, active_projects, advance_clock

NAME = "TechCorp Support"


@pytest.fixture
def clients(sandbox: SandboxHandle) -> Iterator[Clients]:
    credentials = Credentials(
        api_key=sandbox.project_key, admin_key=sandbox.admin_key, base_url=sandbox.base_url
    )
    with Clients(credentials) as made:
        yield made


@contextmanager
def held_elsewhere(clients: Clients, holder: str = "ci@runner-7-pid1") -> Iterator[StackLock]:
    """The demo stack's lock, held as another machine's apply would hold it."""
    lock = StackLock(clients, "demo", holder=holder, heartbeat_seconds=3600)
    lock.acquire()
    try:
        yield lock
    finally:
        lock.release()


def lock_files(client: openai.OpenAI) -> list[str]:
    return [f.filename for f in client.files.list() if "--lock--" in f.filename]


def test_apply_refuses_a_locked_stack_naming_the_holder_and_changes_nothing(
    ws: Workspace, clients: Clients, client: openai.OpenAI, admin_client: openai.OpenAI
) -> None:
    with held_elsewhere(clients) as other:
        result = ws.run("apply", "specs", "--auto-approve")
        assert result.exit_code == 1
        assert "stack 'demo' is locked by ci@runner-7-pid1 since" in result.output
        assert f"reconciler force-unlock {other.lock_id}" in result.output
        assert "Nothing was changed" in result.output
        assert active_projects(admin_client, NAME) == []
        assert lock_files(client) == [other.filename]  # ours was taken back


def test_apply_waits_for_the_lock_with_lock_timeout_then_applies(
    ws: Workspace,
    sandbox: SandboxHandle,
    clients: Clients,
    client: openai.OpenAI,
    admin_client: openai.OpenAI,
) -> None:
    with held_elsewhere(clients) as other:
        advance_clock(sandbox, 5)  # held for a while (in the same second it is a contender)
        threading.Timer(1.5, other.release).start()
        result = ws.run("apply", "specs", "--auto-approve", "--lock-timeout", "60s")
    assert result.exit_code == 0, result.output
    assert "is locked by ci@runner-7-pid1" in result.output and "waiting" in result.output
    assert len(active_projects(admin_client, NAME)) == 1
    assert lock_files(client) == []  # released after the last write


@pytest.mark.parametrize("timeout", ["ten minutes", "-5s", "5d"])
def test_a_lock_timeout_that_is_not_a_duration_is_refused(ws: Workspace, timeout: str) -> None:
    result = ws.run("apply", "specs", "--auto-approve", "--lock-timeout", timeout)
    assert result.exit_code == 1
    assert "--lock-timeout" in result.output and "30s, 10m or 1h" in result.output


def test_force_unlock_breaks_a_lock_by_its_id(
    ws: Workspace, clients: Clients, client: openai.OpenAI, admin_client: openai.OpenAI
) -> None:
    dead = StackLock(clients, "demo", holder="ci@runner-7-pid1", heartbeat_seconds=3600)
    dead.acquire()  # never released: its job was killed
    wrong = ws.run("force-unlock", "lk000000000000", "specs")
    assert wrong.exit_code == 1
    assert "has no lock lk000000000000 (its locks: ci@runner-7-pid1 since" in wrong.output
    broken = ws.run("force-unlock", dead.lock_id, "specs")
    assert broken.exit_code == 0, broken.output
    assert "Broke the lock of stack 'demo' held by ci@runner-7-pid1" in broken.output
    assert lock_files(client) == []
    assert ws.run("apply", "specs", "--auto-approve").exit_code == 0
    dead.release()  # the heartbeat thread; its file is already gone


def test_a_lock_without_heartbeat_goes_stale_and_the_next_apply_breaks_it(
    ws: Workspace, sandbox: SandboxHandle, clients: Clients, client: openai.OpenAI
) -> None:
    dead = StackLock(clients, "demo", holder="ci@runner-7-pid1", heartbeat_seconds=3600)
    dead.acquire()
    advance_clock(sandbox, 16 * 60)
    result = ws.run("apply", "specs", "--auto-approve")
    assert result.exit_code == 0, result.output
    assert "breaking the lock of stack 'demo' held by ci@runner-7-pid1" in result.output
    assert "no heartbeat for 16 minutes" in result.output
    assert lock_files(client) == []
    dead.release()


def test_a_lock_of_a_dead_process_on_this_machine_is_broken_at_once(
    ws: Workspace, clients: Clients, client: openai.OpenAI
) -> None:
    from reconciler.providers.lock import holder_name

    here = holder_name().rsplit("-pid", 1)[0]
    dead = StackLock(clients, "demo", holder=f"{here}-pid999999999", heartbeat_seconds=3600)
    dead.acquire()
    result = ws.run("apply", "specs", "--auto-approve")
    assert result.exit_code == 0, result.output
    assert "its process on this machine is gone" in result.output
    dead.release()


def test_the_lock_is_released_after_a_no_change_apply_and_after_a_failed_one(
    ws: Workspace, client: openai.OpenAI
) -> None:
    assert ws.run("apply", "specs", "--auto-approve").exit_code == 0
    assert "No changes." in ws.run("apply", "specs", "--auto-approve").stdout
    assert lock_files(client) == []
    ws.edit("datasets.yaml", lambda text: text.replace("support-train.jsonl", "gone.jsonl"))
    assert ws.run("apply", "specs", "--auto-approve").exit_code == 1
    assert lock_files(client) == []


def test_two_writers_racing_for_the_lock_never_both_hold_it(clients: Clients) -> None:
    holders: list[str] = []
    overlap = threading.Event()
    inside = threading.Semaphore(1)

    def writer(name: str) -> None:
        for _ in range(4):
            lock = StackLock(clients, "race", holder=name, poll_seconds=0.05)
            try:
                lock.acquire(timeout=30)
            except StackLockedError:
                continue
            if not inside.acquire(blocking=False):
                overlap.set()
            holders.append(name)
            time.sleep(0.02)
            inside.release()
            lock.release()

    threads = [threading.Thread(target=writer, args=(f"w{i}",)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not overlap.is_set()
    assert len(holders) == 12


def test_an_apply_that_lost_its_lock_keeps_the_oldest_of_twins(
    ws: Workspace, sandbox: SandboxHandle, clients: Clients, admin_client: openai.OpenAI
) -> None:
    """Another writer created the project between our plan and our create; our lock was
    broken meanwhile: ours is archived, theirs (the oldest) is kept and bound."""
    stack = load_stack(ws.specs)
    reports = check_datasets(stack)
    lock = StackLock(clients, "demo")
    lock.acquire()
    planned = build_plan(stack, read_live_state(stack, clients), reports=reports)
    theirs = admin_client.admin.organization.projects.create(name=NAME)
    advance_clock(sandbox, 5)  # (in the same second, the smaller id would be "oldest")
    providers = make_providers(clients, "demo", ws.specs)
    result = apply_plan(planned, providers.by_kind)
    assert result.ok, result.failed
    ours = result.live_ids["Project/support"]
    force_unlock(clients, "demo", lock.lock_id)
    notices = settle_apply(clients, providers, planned, result, lock)
    lock.release()
    assert any("was lost during this apply" in n for n in notices), notices
    assert any(f"archived this apply's twin {ours} and kept {theirs.id}" in n for n in notices)
    assert [p.id for p in active_projects(admin_client, NAME)] == [theirs.id]
    again = ws.run("apply", "specs", "--auto-approve")  # the datasets follow the kept project
    assert again.exit_code == 0, again.output
    assert ws.run("plan", "specs", "--detailed-exitcode").exit_code == 0


def test_plan_reports_a_duplicate_project_with_its_id_and_never_adopts_it(
    ws: Workspace, admin_client: openai.OpenAI
) -> None:
    assert ws.run("apply", "specs", "--auto-approve").exit_code == 0
    twin = admin_client.admin.organization.projects.create(name=NAME)
    for command in ("plan", "drift"):
        result = ws.run(command, "specs")
        assert result.exit_code == 0, result.output
        assert "1 other active project(s) named 'TechCorp Support'" in result.output
        assert twin.id in result.output
    assert ws.run("apply", "specs", "--auto-approve").exit_code == 0
    assert twin.id in {p.id for p in active_projects(admin_client, NAME)}  # left alone


def test_read_locks_ignores_files_that_only_look_alike(tmp_path: Path) -> None:
    class File:
        def __init__(self, name: str, created: int) -> None:
            self.filename, self.created_at, self.id = name, created, f"file-{created}"

    files = [
        File("reconciler--demo--lock--lkabc123abc123--me@host-pid1.json", 10),
        File("reconciler--demo--lock--lkabc123abc123--me@host-pid1.json", 20),
        File("reconciler--demo--x--lock--lkdef--me.json", 30),
        File("reconciler--demo2--lock--lk0123--me.json", 40),
    ]
    (lock,) = read_locks("demo", files)
    assert (lock.lock_id, lock.since, lock.heartbeat) == ("lkabc123abc123", 10, 20)


def test_the_heartbeat_keeps_the_first_file_and_one_fresh_file(
    sandbox: SandboxHandle, clients: Clients, client: openai.OpenAI
) -> None:
    lock = StackLock(clients, "demo", holder="me@here-pid1", heartbeat_seconds=0.2)
    lock.acquire()
    advance_clock(sandbox, 600)  # ten minutes pass; the beats keep the lock fresh
    time.sleep(1.0)
    (seen,) = read_locks("demo", client.files.list())
    lock.release()
    assert len(seen.file_ids) == 2  # the first file and the latest beat, never more
    assert seen.heartbeat - seen.since >= 600
    assert lock_files(client) == []


def test_a_lock_broken_in_one_organization_says_nothing_about_another(
    clients: Clients, client: openai.OpenAI
) -> None:
    """The stale locks a process broke are remembered per Clients (per organization): a test
    process, or a tool driving several organizations, must not see another one's leftovers."""
    from reconciler.providers.lock import unfinished_applies

    dead = StackLock(clients, "demo", holder="ci@runner-7-pid1", heartbeat_seconds=3600)
    dead.acquire()
    fresh = StackLock(clients, "demo", stale_seconds=-1)  # everything else is stale
    fresh.acquire()
    files = list(client.files.list())
    assert [u.lock_id for u in unfinished_applies(clients, "demo", files)] == [dead.lock_id]
    with Clients(Credentials(api_key="sk-other", base_url="http://127.0.0.1:9/v1")) as other:
        assert unfinished_applies(other, "demo", []) == []
    fresh.release()
    dead.release()
