"""The `Project` kind over the Admin API (`organization/projects`): read, create, rename, archive.

`live.read_live_state` calls `read_projects` (one paginated list, archived ones included) and
apply calls `ProjectProvider`. Projects carry no metadata, so the stack's ownership registry
(`ownership.py`) binds them to manifests: the live id is recorded right after each create. A
retried create first looks for the project an earlier attempt may have made, so a project is
never created twice; an apply killed between the create and the binding left its lock behind,
and the next plan recognises the project by its name and creation time (kinds/project.py). A
first attempt lists nothing: the plan was just made from a fresh read under the stack's lock,
and the Administration API allows only a few requests a minute.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from reconciler.errors import TemporaryApiError
from reconciler.providers.base import KindProvider, Operation
from reconciler.providers.client import Clients
from reconciler.providers.errors import api_errors
from reconciler.providers.ownership import OwnershipStore
from reconciler.state import LiveObject, Ownership

PAGE_SIZE = 100


def warm_up(clients: Clients) -> object:
    """Load the SDK's Administration API modules (no request): a plan does it on a worker
    while its first listing is in flight, instead of between two listings."""
    return clients.reader().admin.organization.projects


def list_projects(clients: Clients) -> list[Any]:
    """Every project of the organization, archived ones too (one request per 100), holding
    one of the Administration API's `admin_slots` while the pages are read."""
    with clients.admin_slots, api_errors("list projects"):
        projects = clients.reader().admin.organization.projects
        return list(projects.list(limit=PAGE_SIZE, include_archived=True))


def read_projects(clients: Clients, ownership: Ownership) -> list[LiveObject]:
    return project_objects(list_projects(clients), ownership)


def project_objects(projects: Iterable[Any], ownership: Ownership) -> list[LiveObject]:
    """The listed projects as live objects, bound through `ownership` (one pass over it)."""
    addresses = {e.live_id: a for a, e in ownership.entries.items() if e.live_id is not None}
    return [project_object(project, ownership, addresses) for project in projects]


def project_object(
    project: Any, ownership: Ownership, addresses: Mapping[str, str] | None = None
) -> LiveObject:
    """`project` as a live object; `addresses` (bound live id -> address) saves registry scans."""
    if addresses is None:
        addresses = {project.id: a} if (a := ownership.address_of(project.id)) else {}
    address = addresses.get(project.id)
    entry = ownership.entry(address) if address is not None else None
    status = project.status or ("archived" if project.archived_at else "active")
    return LiveObject(
        kind="Project",
        key=project.name or "",
        live_id=project.id,
        attributes={"name": project.name},
        owned=bool(entry and entry.created),
        address=address,
        status=status,
        created_at=project.created_at,
    )


class ProjectProvider(KindProvider):
    kind = "Project"

    def __init__(self, clients: Clients, registry: OwnershipStore) -> None:
        self._clients = clients
        self._registry = registry
        self._sent: set[str] = set()  # addresses whose create may have reached the API

    def create(self, op: Operation) -> str:
        name = str(op.payload["name"])
        live_id = self._find_unbound(name, op.address) if op.address in self._sent else None
        if live_id is None:
            live_id = self._create(name, op.address)
        self._registry.record(op.address, live_id, created=True)
        return live_id

    def _create(self, name: str, address: str) -> str:
        self._sent.add(address)
        try:
            with api_errors(f"create project '{name}'"):
                return str(self._clients.writer().admin.organization.projects.create(name=name).id)
        except TemporaryApiError as error:
            if error.status == 429:  # refused before anything was done
                self._sent.discard(address)
            raise

    def update(self, op: Operation) -> str:
        live_id = _live_id(op)
        name = str(op.payload["name"])
        if any(change.path == "spec.name" for change in op.change.changes):
            with api_errors(f"rename project {live_id} to '{name}'"):
                self._clients.writer().admin.organization.projects.update(live_id, name=name)
        if "record_ownership" in op.payload:
            created = bool(op.payload["record_ownership"])
            self._registry.record(op.address, live_id, created=created)
        return live_id

    def delete(self, op: Operation) -> None:
        live_id = _live_id(op)
        with api_errors(f"archive project {live_id}", missing_ok=True):
            self._clients.writer().admin.organization.projects.archive(live_id)
        self._registry.forget(op.address)

    def _find_unbound(self, name: str, address: str) -> str | None:
        """An active project named `name` no other manifest is bound to (an earlier attempt)."""
        ownership = self._registry.ownership()
        for project in list_projects(self._clients):
            bound_to = ownership.address_of(project.id)
            active = (project.status or "active") == "active" and not project.archived_at
            if project.name == name and active and bound_to in (None, address):
                return str(project.id)
        return None


def _live_id(op: Operation) -> str:
    if op.change.live_id is None:
        raise ValueError(f"{op.address}: the plan has no live id to {op.change.action.value}")
    return op.change.live_id
