"""After the changes of an apply ran, under its lock: tidy the registry, or resolve twins.

`cli.py apply` calls `settle_apply` once `apply_plan` returned and before it releases the
stack's lock. Normally that is one look at the lock (still ours?) and, after a clean run, the
ownership registry tidied (exactly one binding per object). When the lock was lost during the
apply (broken with force-unlock, or as stale), another apply may have created the same objects
at the same time: each object this run created is compared with its twins (same name, or same
marked filename) in one listing per collection, and the oldest is kept, as the other apply
does too, so both converge on one. Returns notices for the console; never raises for a twin.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from reconciler.apply import ApplyResult
from reconciler.errors import ApiError
from reconciler.plan import Action, Plan, ResourceChange
from reconciler.providers.client import Clients
from reconciler.providers.errors import api_errors
from reconciler.providers.files import list_files
from reconciler.providers.lock import StackLock
from reconciler.providers.projects import list_projects
from reconciler.providers.registry import Providers
from reconciler.state import HOME_PROJECT


def settle_apply(
    clients: Clients, providers: Providers, plan: Plan, result: ApplyResult, lock: StackLock
) -> list[str]:
    home_files = list_files(clients, HOME_PROJECT)  # one listing serves both checks below
    if lock.still_held(home_files):
        if result.ok:
            providers.registry.load_from(home_files)
            removed = providers.registry.tidy()
            return [f"removed {removed} superseded ownership binding(s)"] if removed else []
        return []
    notices = [
        f"the lock of stack '{plan.stack}' was lost during this apply ({lock.lost}): another "
        "apply may have run at the same time, so what this one created is checked for twins"
    ]
    try:
        notices += _resolve_project_twins(clients, providers, plan, result)
        notices += _resolve_dataset_twins(clients, plan, result)
    except ApiError as error:
        notices.append(f"could not finish the twin check ({error}): run `reconciler apply` again")
    return notices


def _created(plan: Plan, result: ApplyResult, kind: str) -> Iterator[tuple[ResourceChange, str]]:
    for address in result.succeeded:
        change = plan.change(address)
        if change.kind == kind and change.action in (Action.CREATE, Action.REPLACE):
            yield change, result.live_ids[address]


def _oldest(objects: list[Any]) -> Any:
    return min(objects, key=lambda obj: (obj.created_at, obj.id))


def _resolve_project_twins(
    clients: Clients, providers: Providers, plan: Plan, result: ApplyResult
) -> list[str]:
    created = list(_created(plan, result, "Project"))
    if not created:
        return []
    listing = [p for p in list_projects(clients) if (p.status or "active") == "active"]
    ownership = providers.registry.ownership()
    notices = []
    for change, ours in created:
        name = change.desired.get("name")
        twins = [
            p
            for p in listing
            if p.id == ours
            or (p.name == name and ownership.address_of(p.id) in (None, change.address))
        ]
        kept = _oldest(twins)
        if kept.id == ours:
            continue
        with api_errors(f"archive project {ours}, a twin of {kept.id}", missing_ok=True):
            clients.writer().admin.organization.projects.archive(ours)
        providers.registry.record(change.address, kept.id, created=True)
        result.live_ids[change.address] = kept.id
        notices.append(
            f"{change.address}: another apply created project {kept.id} first; archived this "
            f"apply's twin {ours} and kept {kept.id}"
        )
    return notices


def _resolve_dataset_twins(clients: Clients, plan: Plan, result: ApplyResult) -> list[str]:
    by_project: dict[str, list[tuple[ResourceChange, str]]] = {}
    for change, ours in _created(plan, result, "Dataset"):
        by_project.setdefault(_project_of(change, result), []).append((change, ours))
    notices = []
    for project, created in sorted(by_project.items()):
        files = list_files(clients, project)
        for change, ours in created:
            filename = change.desired.get("filename")
            twins = [f for f in files if f.filename == filename and f.status != "error"]
            kept = _oldest(twins) if twins else None
            if kept is None or kept.id == ours:
                continue
            with api_errors(f"delete file {ours}, a twin of {kept.id}", missing_ok=True):
                clients.writer(project).files.delete(ours)
            result.live_ids[change.address] = kept.id
            notices.append(
                f"{change.address}: another apply uploaded {filename} first ({kept.id}); "
                f"deleted this apply's twin {ours}"
            )
    return notices


def _project_of(change: ResourceChange, result: ApplyResult) -> str:
    reference = change.references.get("project")
    if reference is not None:
        return result.live_ids.get(reference, HOME_PROJECT)
    return str(change.desired.get("project") or HOME_PROJECT)
