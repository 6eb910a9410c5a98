"""What `reconciler import` reads beyond a plan's live state: everything that may be imported.

`commands/import_.py` first reads the stack's live state as a plan does (so it knows which live
objects the manifests already account for), then `read_importable` adds every project of the
organization and, in each project asked for, its members, service accounts and fine-tuning jobs
(list calls only: one listing per collection and project, in the read pool). Objects already in
the plan's state are kept as they were read; jobs the stack did not tag are added unbound
(`address` None), so the planner leaves them alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from reconciler.providers.admin_scoped import bound_addresses
from reconciler.providers.client import READ_CONCURRENCY, Clients
from reconciler.providers.fine_tuning import job_object, list_jobs
from reconciler.providers.project_members import list_project_users, member_object
from reconciler.providers.projects import list_projects, project_objects
from reconciler.providers.service_accounts import account_object, list_service_accounts
from reconciler.state import LiveObject, LiveState


def read_importable(
    stack_name: str, clients: Clients, base: LiveState, projects: Iterable[str]
) -> LiveState:
    """`base` plus the organization's projects and the members, service accounts and
    fine-tuning jobs of `projects` (ids)."""
    clients.require_admin_key("import objects of the organization")
    start = clients.requests
    ownership = base.ownership
    wanted = sorted(set(projects))
    found: list[LiveObject] = []
    with ThreadPoolExecutor(READ_CONCURRENCY, thread_name_prefix="reconciler-import") as pool:
        listed_projects = pool.submit(list_projects, clients)
        users = {p: pool.submit(list_project_users, clients, p) for p in wanted}
        accounts = {p: pool.submit(list_service_accounts, clients, p) for p in wanted}
        jobs = {p: pool.submit(list_jobs, clients, p) for p in wanted}
        found.extend(project_objects(listed_projects.result(), ownership))
        members = bound_addresses("ProjectMember", ownership)
        bound_accounts = bound_addresses("ServiceAccount", ownership)
        for project in wanted:
            for member in users[project].result() or ():
                found.append(member_object(project, member, ownership, members))
            for account in accounts[project].result() or ():
                found.append(account_object(project, account, ownership, bound_accounts))
            found.extend(_jobs(stack_name, project, jobs[project].result()))
    have = {(obj.kind, obj.live_id) for obj in base.objects}
    extra = tuple(obj for obj in found if (obj.kind, obj.live_id) not in have)
    return base.model_copy(
        update={
            "objects": (*base.objects, *extra),
            "requests": base.requests + clients.requests - start,
        }
    )


def _jobs(stack_name: str, project: str, jobs: list[Any]) -> list[LiveObject]:
    found = []
    for job in jobs:
        obj = job_object(stack_name, project, job, {job.id: "imported"})
        if obj is not None and obj.address == "FineTune/imported":
            obj = obj.model_copy(update={"address": None})
        if obj is not None:
            found.append(obj)
    return found
