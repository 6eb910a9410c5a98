"""What `reconciler import` reads beyond a plan's live state: everything that may be imported.

`commands/import_.py` first reads the stack's live state as a plan does (so it knows which live
objects the manifests already account for), then `read_importable` adds every project of the
organization and, in each project asked for, its members, service accounts, custom roles and
fine-tuning jobs (list calls only: one listing per collection and project, in the read pool); for
`--all` alone or one organization object, also the organization's users, groups, custom roles and
pending invites (one listing each) and the members of each group (one listing per group, for at
most `GROUP_MEMBER_LISTINGS` groups: the others are imported without `users`); in the API key's own
project (`HOME_PROJECT`: where a stack without `default_project` puts its data, its id not known
here), its jobs only. Objects already in the plan's state are kept as they were read (only
attributes the plan did not read are added: a group's members); jobs the stack did not tag are
added unbound (`address` None), so the planner leaves them alone.

Projects, members and service accounts are Administration API objects: the admin key reads them in
every project. Fine-tuning jobs are data-plane objects: a project's jobs are listed with its key
from `project_keys` (bound while the live state was read), else with `OPENAI_API_KEY`, which acts
only in its own project. When the API refuses that (`401 mismatched_project`) and `project_keys`
names no key for the project, its jobs are skipped with a note saying what to add
(`Importable.notes`), and the rest is imported.
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
from reconciler.providers.groups import group_object, list_group_users, list_groups
from reconciler.providers.org_users import (
    invite_object,
    list_invites,
    list_org_users,
    org_user_object,
)
from reconciler.providers.project_members import list_project_users, member_object
from reconciler.providers.projects import list_projects, project_objects
from reconciler.providers.roles import list_org_roles, list_project_roles, role_object
from reconciler.providers.service_accounts import account_object, list_service_accounts
from reconciler.state import HOME_PROJECT, LiveObject, LiveState, Ownership

ORGANIZATION_KINDS = ("OrgUser", "Group", "Role", "Invite")
"""Kinds of the organization itself (not of a project): read when `organization` is asked."""
GROUP_MEMBER_LISTINGS = 100
"""At most this many groups get their members listed (one listing each); the others are
imported without `users` (their members left unmanaged), with a note."""


@dataclass
class Importable:
    """What may be imported, and what could not be read (one note per project and kind)."""

    live: LiveState
    notes: list[str] = field(default_factory=list)


def read_importable(
    stack_name: str,
    clients: Clients,
    base: LiveState,
    projects: Iterable[str],
    *,
    organization: bool = False,
    complete: bool = False,
) -> Importable:
    """`base` plus the organization's projects and the members, service accounts, custom
    roles and fine-tuning jobs of `projects` (ids); with `organization`, also the
    organization's users, groups (and their members), custom roles and pending invites.
    `complete` (one object asked for by id) keeps predefined roles and invites that are not
    pending too, so the import can say why they are not imported."""
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
        roles = {p: pool.submit(list_project_roles, clients, p) for p in administered}
        jobs = {p: pool.submit(list_jobs, clients, p) for p in wanted}
        if organization:
            found.extend(_organization(clients, pool, ownership, complete, notes))
        found.extend(project_objects(listed_projects.result(), ownership))
        members = bound_addresses("ProjectMember", ownership)
        bound_accounts = bound_addresses("ServiceAccount", ownership)
        for project in administered:
            for member in users[project].result() or ():
                found.append(member_object(project, member, ownership, members))
            for account in accounts[project].result() or ():
                found.append(account_object(project, account, ownership, bound_accounts))
        bound_roles = bound_addresses("Role", ownership)
        for project in administered:
            for role in roles[project].result() or ():
                if complete or not role.predefined_role:
                    found.append(role_object(project, role, ownership, bound_roles))
        for project in wanted:
            listed = _data_plane(clients, project, jobs[project], notes)
            found.extend(_jobs(stack_name, project, listed))
    by_id = {(obj.kind, obj.live_id): obj for obj in found}
    have = {(obj.kind, obj.live_id) for obj in base.objects}
    extra = tuple(obj for obj in found if (obj.kind, obj.live_id) not in have)
    live = base.model_copy(
        update={
            "objects": (*(_completed(o, by_id) for o in base.objects), *extra),
            "requests": base.requests + clients.requests - start,
        }
    )
    return Importable(live, notes)


def _completed(obj: LiveObject, listed: dict[tuple[str, str], LiveObject]) -> LiveObject:
    """`obj` as the plan read it, with the attributes only the listing has (the members of a
    group the stack neither declares nor owns: the plan did not list them)."""
    other = listed.get((obj.kind, obj.live_id))
    if other is None or other.attributes.keys() <= obj.attributes.keys():
        return obj
    return obj.model_copy(update={"attributes": {**other.attributes, **obj.attributes}})


def _organization(
    clients: Clients,
    pool: ThreadPoolExecutor,
    ownership: Ownership,
    complete: bool,
    notes: list[str],
) -> list[LiveObject]:
    """The organization's users, groups (members of the first `GROUP_MEMBER_LISTINGS`),
    custom roles and pending invites, built as the kinds' readers build them."""
    users = pool.submit(list_org_users, clients, None)
    groups = pool.submit(list_groups, clients)
    roles = pool.submit(list_org_roles, clients)
    invites = pool.submit(list_invites, clients)
    found: list[LiveObject] = []
    addresses = bound_addresses("OrgUser", ownership)
    found += [org_user_object(user, ownership, addresses) for user in users.result()]
    listed = sorted(groups.result(), key=lambda g: (int(g.created_at or 0), str(g.id)))
    members = {
        str(g.id): pool.submit(list_group_users, clients, str(g.id))
        for g in listed[:GROUP_MEMBER_LISTINGS]
    }
    if len(listed) > GROUP_MEMBER_LISTINGS:
        notes.append(
            f"listed the members of the first {GROUP_MEMBER_LISTINGS} of {len(listed)} groups "
            "only (one request each): the others are imported without `users` (members left "
            "unmanaged); add `users:` to their manifests to manage them"
        )
    addresses = bound_addresses("Group", ownership)
    for group in listed:
        listing = members.get(str(group.id))
        in_group = None if listing is None else listing.result()
        found.append(group_object(group, in_group, ownership, addresses))
    addresses = bound_addresses("Role", ownership)
    for role in roles.result():
        if complete or not role.predefined_role:
            found.append(role_object(None, role, ownership, addresses))
    addresses = bound_addresses("Invite", ownership)
    for invite in invites.result():
        if complete or invite.status == "pending":
            found.append(invite_object(invite, ownership, addresses))
    return found


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
