"""What `reconciler import` reads beyond a plan's live state: everything that may be imported.

`commands/import_.py` first reads the stack's live state as a plan does (so it knows which live
objects the manifests already account for), then `read_importable` adds every project of the
organization and, in each project asked for, its members, service accounts and fine-tuning jobs
(list calls only: one listing per collection and project, in the read pool); in the API key's
own project (`HOME_PROJECT`: where a stack without `default_project` puts its data, its id not
known here), its jobs only. Objects already in the plan's state are kept as they were read;
jobs the stack did not tag are added unbound (`address` None), so the planner leaves them alone.

Projects, members and service accounts are Administration API objects: the admin key reads
them in every project. Fine-tuning jobs are data-plane objects: a project's jobs are listed
with its key from `project_keys` (bound while the live state was read), else with
`OPENAI_API_KEY`, which acts only in its own project. When the API refuses that
(`401 mismatched_project`) and `project_keys` names no key for the project, its jobs are
skipped with a note saying what to add (`Importable.notes`), and the rest is imported.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from reconciler.errors import PermanentApiError
from reconciler.providers.admin_scoped import bound_addresses
from reconciler.providers.client import READ_CONCURRENCY, Clients
from reconciler.providers.fine_tuning import job_object, list_jobs
from reconciler.providers.project_members import list_project_users, member_object
from reconciler.providers.projects import list_projects, project_objects
from reconciler.providers.service_accounts import account_object, list_service_accounts
from reconciler.state import HOME_PROJECT, LiveObject, LiveState


@dataclass
class Importable:
    """What may be imported, and what could not be read (one note per project and kind)."""

    live: LiveState
    notes: list[str] = field(default_factory=list)


def read_importable(
    stack_name: str, clients: Clients, base: LiveState, projects: Iterable[str]
) -> Importable:
    """`base` plus the organization's projects and the members, service accounts and
    fine-tuning jobs of `projects` (ids)."""
    clients.require_admin_key("import objects of the organization")
    start = clients.requests
    ownership = base.ownership
    wanted = sorted(set(projects))
    found: list[LiveObject] = []
    notes: list[str] = []
    with ThreadPoolExecutor(READ_CONCURRENCY, thread_name_prefix="reconciler-import") as pool:
        listed_projects = pool.submit(list_projects, clients)
        administered = [p for p in wanted if p != HOME_PROJECT]  # the key's own: id unknown
        users = {p: pool.submit(list_project_users, clients, p) for p in administered}
        accounts = {p: pool.submit(list_service_accounts, clients, p) for p in administered}
        jobs = {p: pool.submit(list_jobs, clients, p) for p in wanted}
        found.extend(project_objects(listed_projects.result(), ownership))
        members = bound_addresses("ProjectMember", ownership)
        bound_accounts = bound_addresses("ServiceAccount", ownership)
        for project in administered:
            for member in users[project].result() or ():
                found.append(member_object(project, member, ownership, members))
            for account in accounts[project].result() or ():
                found.append(account_object(project, account, ownership, bound_accounts))
        for project in wanted:
            listed = _data_plane(clients, project, jobs[project], notes)
            found.extend(_jobs(stack_name, project, listed))
    have = {(obj.kind, obj.live_id) for obj in base.objects}
    extra = tuple(obj for obj in found if (obj.kind, obj.live_id) not in have)
    live = base.model_copy(
        update={
            "objects": (*base.objects, *extra),
            "requests": base.requests + clients.requests - start,
        }
    )
    return Importable(live, notes)


def _data_plane(
    clients: Clients, project: str, listing: Future[list[Any]], notes: list[str]
) -> list[Any]:
    """A data-plane listing of `project`; none, with a note, when the API says the key is not
    that project's and `project_keys` names no key for it (a key given there that is not the
    project's is an error: it is what the user asked for)."""
    try:
        return listing.result()
    except PermanentApiError as error:
        if error.code != "mismatched_project" or clients.has_project_key(project):
            raise
    notes.append(
        f"skipped the fine-tuning jobs of project {project}: OPENAI_API_KEY is not a key of "
        "that project (a project key acts only in its own project), and `project_keys` in "
        f"reconciler.yaml names none for it; add `project_keys: {{{project}: VARIABLE}}` with "
        "a key of that project in VARIABLE to import them (docs/credentials.md)"
    )
    return []


def _jobs(stack_name: str, project: str, jobs: list[Any]) -> list[LiveObject]:
    found = []
    for job in jobs:
        obj = job_object(stack_name, project, job, {job.id: "imported"})
        if obj is not None and obj.address == "FineTune/imported":
            obj = obj.model_copy(update={"address": None})
        if obj is not None:
            found.append(obj)
    return found
