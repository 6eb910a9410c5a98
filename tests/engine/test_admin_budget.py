"""The Administration API budget: one limiter for reads and writes, Retry-After shared by every
admin request, and the estimate said before a long read (`providers/admin_budget.py`)."""

from __future__ import annotations

import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from reconciler.manifests import Stack, load_stack
from reconciler.providers.admin_budget import AdminBudget
from reconciler.providers.admin_reads import admin_reads_needed, announce_admin_reads
from reconciler.state import OwnedEntry, Ownership


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 3))
        self.now += seconds


def request(path: str) -> Any:
    return SimpleNamespace(url=SimpleNamespace(path=path))


def response(path: str, status: int, headers: dict[str, str]) -> Any:
    return SimpleNamespace(status_code=status, headers=headers, request=request(path))


def test_at_most_per_minute_admin_requests_in_any_minute() -> None:
    time = FakeTime()
    budget = AdminBudget(3, clock=time.clock, sleep=time.sleep)
    for _ in range(7):
        budget.before(request("/v1/organization/projects"))
    assert time.slept == [60.0, 60.0]  # 3 at once, 3 a minute later, 1 a minute after that
    assert budget.waited == 120.0


def test_other_routes_are_never_held() -> None:
    time = FakeTime()
    budget = AdminBudget(1, clock=time.clock, sleep=time.sleep)
    for _ in range(5):
        budget.before(request("/v1/files"))
    assert time.slept == []


def test_a_429_pauses_every_admin_request_for_its_retry_after() -> None:
    time = FakeTime()
    budget = AdminBudget(None, clock=time.clock, sleep=time.sleep)
    budget.after(response("/v1/organization/projects/p/users", 429, {"retry-after": "12"}))
    budget.before(request("/v1/organization/projects"))  # another endpoint waits too
    assert time.slept == [12.0]
    budget.before(request("/v1/organization/projects"))
    assert time.slept == [12.0]  # the pause is over
    budget.after(response("/v1/files", 429, {"retry-after": "30"}))  # not an admin route
    budget.before(request("/v1/organization/users"))
    assert time.slept == [12.0]


def test_threads_share_one_limiter() -> None:
    budget = AdminBudget(4, sleep=lambda seconds: None)
    delays: list[float] = []
    lock = threading.Lock()

    def send() -> None:
        delay = budget.reserve()
        with lock:
            delays.append(delay)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(1 for d in delays if d < 1) == 4  # four go at once, four wait about a minute
    assert sum(1 for d in delays if 59 < d <= 60) == 4


def test_seconds_for_a_read() -> None:
    assert AdminBudget(None).seconds_for(500) == 0
    assert AdminBudget(7).seconds_for(7) == 0
    assert AdminBudget(7).seconds_for(8) == 60
    assert AdminBudget(7).seconds_for(401) == 57 * 60


PROJECT = """apiVersion: reconciler/v1
kind: Project
metadata: {{name: p{index}}}
spec:
  name: Budget {index}
  spend_limit: {{threshold_amount: 5000}}
  data_retention: {{retention_type: zero_data_retention}}
"""


def budget_stack(root: Path, projects: int, per_minute: int) -> Stack:
    root.mkdir()
    (root / "reconciler.yaml").write_text(
        f"stack: budget\nadmin_requests_per_minute: {per_minute}\n", encoding="utf-8"
    )
    documents = "---\n".join(PROJECT.format(index=i) for i in range(projects))
    (root / "projects.yaml").write_text(documents, encoding="utf-8")
    return load_stack(root)


def test_a_long_read_is_announced_with_its_requests_and_duration(tmp_path: Path) -> None:
    stack = budget_stack(tmp_path / "stack", projects=50, per_minute=7)
    budget = AdminBudget(stack.config.admin_requests_per_minute)
    said: list[str] = []
    assert admin_reads_needed(stack, Ownership()) == 1 + 50 * 2  # the listing, two settings each
    announce_admin_reads(stack, Ownership(), budget, said.append)
    assert said == [
        "reading the live state needs about 101 Administration API requests: at 7 a minute "
        "(admin_requests_per_minute in reconciler.yaml) that takes about 14 min"
    ]


def test_a_short_read_is_not_announced(tmp_path: Path) -> None:
    stack = budget_stack(tmp_path / "stack", projects=3, per_minute=7)  # 7 requests: at once
    said: list[str] = []
    announce_admin_reads(stack, Ownership(), AdminBudget(7), said.append)
    assert said == []


MEMBER = """apiVersion: reconciler/v1
kind: ProjectMember
metadata: {{name: alice-p{index}}}
spec: {{project: Project/p{index}, email: alice@example.com, role: member}}
"""


def test_a_project_whose_members_are_declared_and_recorded_is_counted_once(
    tmp_path: Path,
) -> None:
    stack = budget_stack(tmp_path / "stack", projects=2, per_minute=7)
    (tmp_path / "stack" / "members.yaml").write_text(
        "---\n".join(MEMBER.format(index=i) for i in range(2)), encoding="utf-8"
    )
    stack = load_stack(tmp_path / "stack")
    before_apply = admin_reads_needed(stack, Ownership())
    applied = Ownership(
        entries={
            **{f"Project/p{i}": OwnedEntry(live_id=f"proj_{i}", created=True) for i in range(2)},
            **{
                f"ProjectMember/alice-p{i}": OwnedEntry(live_id=f"proj_{i}.user_a")
                for i in range(2)
            },
        }
    )
    # the listing, two settings of each project, one member listing per project, the org's users
    assert before_apply == admin_reads_needed(stack, applied) == 1 + 2 * 2 + 2 + 1
