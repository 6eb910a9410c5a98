"""The `Project` kind over the Admin API (`organization/projects`): read, create, rename, archive.

`live.read_live_state` calls `read_projects` (one paginated list, archived ones included) and
apply calls `ProjectProvider`. Projects carry no metadata, so the stack's ownership registry
(`ownership.py`) binds them to manifests: the live id is recorded right after each create. A
retried create first looks for the project an earlier attempt may have made, so a project is
never created twice; an apply killed between the create and the binding left its lock behind,
and the next plan recognises the project by its name and creation time (kinds/project.py). A
first attempt lists nothing: the plan was just made from a fresh read under the stack's lock,
and the Administration API allows only a few requests a minute.

Settings (`rate_limits`, `spend_limit`, `model_permissions`, `hosted_tool_permissions`,
`data_retention`) are read only where a manifest declares them (`read_setting`: one paginated
listing of rate limits, one GET for each other setting) and written only where the plan shows a
change: one write per changed model or setting. A created project gets its declared settings
right after the create and its binding (`residency` goes with the create: it cannot change).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from reconciler.errors import PermanentApiError, TemporaryApiError
from reconciler.models.project import RATE_LIMIT_FIELDS
from reconciler.providers.base import KindProvider, Operation
from reconciler.providers.client import Clients
from reconciler.providers.errors import api_errors
from reconciler.providers.organization import list_certificates, set_active_certificates
from reconciler.providers.ownership import OwnershipStore
from reconciler.providers.project_api_keys import revoke_key
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
        attributes={"name": project.name, "residency": getattr(project, "residency", None)},
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
            live_id = self._create(name, op.address, op.payload.get("residency"))
        self._registry.record(op.address, live_id, created=True)
        self._settle_new_project(live_id, op.payload)
        return live_id

    def _create(self, name: str, address: str, residency: Any) -> str:
        self._sent.add(address)
        extra = {"residency": residency} if residency is not None else {}
        try:
            with api_errors(f"create project '{name}'"):
                projects = self._clients.writer().admin.organization.projects
                return str(projects.create(name=name, **extra).id)
        except TemporaryApiError as error:
            if error.status == 429:  # refused before anything was done
                self._sent.discard(address)
            raise

    def update(self, op: Operation) -> str:
        live_id = op.live_id
        name = str(op.payload["name"])
        if any(change.path == "spec.name" for change in op.change.changes):
            with api_errors(f"rename project {live_id} to '{name}'"):
                self._clients.writer().admin.organization.projects.update(live_id, name=name)
        changed = {
            c.path.removeprefix("spec.").split(".")[0].split("[")[0] for c in op.change.changes
        }
        live = op.change.live_attributes or {}
        for setting in SETTINGS:
            if setting in changed and op.payload.get(setting) is not None:
                write_setting(self._clients, live_id, setting, op.payload[setting], live)
        if "record_ownership" in op.payload:
            created = bool(op.payload["record_ownership"])
            self._registry.record(op.address, live_id, created=created)
        return live_id

    def _settle_new_project(self, live_id: str, payload: Mapping[str, Any]) -> None:
        """The declared settings of a project just created (a retry writes what differs)."""
        declared = [s for s in SETTINGS if payload.get(s) is not None]
        live: dict[str, Any] = {}
        if "rate_limits" in declared:
            live = read_setting(self._clients, live_id, "rate_limits")[0]
        for setting in declared:
            write_setting(self._clients, live_id, setting, payload[setting], live)

    def delete(self, op: Operation) -> None:
        key_id = op.payload.get("revoke_api_key")
        if key_id:  # an unmanaged API key of a kept project (kinds/project_api_keys.py)
            revoke_key(self._clients, str(op.payload["project"]), str(key_id))
            return
        live_id = op.live_id
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


# -- settings ---------------------------------------------------------------------------------

SETTINGS = (
    "rate_limits",
    "spend_limit",
    "spend_alerts",
    "model_permissions",
    "hosted_tool_permissions",
    "data_retention",
    "certificates",
)
"""The project settings a manifest may declare, each read and written on its own."""


def read_setting(clients: Clients, project_id: str, setting: str) -> tuple[dict[str, Any], int]:
    """`setting` of one project as Project attributes, and the requests it needs at least.

    `rate_limits` becomes `{model: {field: value}}` plus `rate_limit_ids` (`{model: id}`, what
    an update needs); the others their declared shape (`spend_limit` None when there is none).
    """
    if setting == "rate_limits":
        rows = _list_rate_limits(clients, project_id)
        return {
            "rate_limits": {row.model: _limits_of(row) for row in rows},
            "rate_limit_ids": {row.model: row.id for row in rows},
        }, max(1, -(-len(rows) // PAGE_SIZE))
    if setting == "certificates":
        listed = list_certificates(clients, project_id)
        active = sorted(str(c.id) for c in listed if c.active)
        return {"certificates": active}, max(1, -(-len(listed) // PAGE_SIZE))
    if setting == "spend_alerts":
        alerts = _list_spend_alerts(clients, project_id)
        return {
            "spend_alerts": {str(a.threshold_amount): _alert_view(a) for a in alerts},
        }, max(1, -(-len(alerts) // PAGE_SIZE))
    what = f"read {setting} of project {project_id}"
    with clients.admin_slots, api_errors(what, missing_ok=True):
        answer = getattr(clients.reader().admin.organization.projects, setting).retrieve(project_id)
        return {setting: _setting_view(setting, answer)}, 1
    return {setting: None}, 1  # 404: no spend limit set


def _list_rate_limits(clients: Clients, project_id: str) -> list[Any]:
    with clients.admin_slots, api_errors(f"list the rate limits of project {project_id}"):
        limits = clients.reader().admin.organization.projects.rate_limits
        return list(limits.list_rate_limits(project_id, limit=PAGE_SIZE))


def _list_spend_alerts(clients: Clients, project_id: str) -> list[Any]:
    with clients.admin_slots, api_errors(f"list the spend alerts of project {project_id}"):
        alerts = clients.reader().admin.organization.projects.spend_alerts
        return list(alerts.list(project_id, limit=PAGE_SIZE))


_ALERT_FIELDS = ("threshold_amount", "currency", "interval", "notification_channel")


def _alert_view(alert: Any) -> dict[str, Any]:
    """A spend alert as declared: unset optional fields (`subject_prefix`) left out."""
    data = alert.model_dump(exclude_none=True)
    return {
        k: data[k] for k in ("threshold_amount", "currency", "interval", "notification_channel")
    }


def _limits_of(row: Any) -> dict[str, int]:
    return {f: getattr(row, f) for f in RATE_LIMIT_FIELDS if getattr(row, f, None) is not None}


def _setting_view(setting: str, answer: Any) -> Any:
    data = answer.model_dump()
    if setting == "spend_limit":
        return {k: data.get(k) for k in ("threshold_amount", "currency", "interval")}
    if setting == "model_permissions":
        return {"mode": data.get("mode"), "model_ids": list(data.get("model_ids") or [])}
    if setting == "data_retention":
        return {"retention_type": data.get("type")}
    return {k: {"enabled": v.get("enabled")} for k, v in data.items() if isinstance(v, dict)}


def write_setting(
    clients: Clients, project_id: str, setting: str, wanted: Any, live: Mapping[str, Any]
) -> None:
    """Write the declared `wanted` value of `setting`; rate limits model by model, sending the
    fields that differ from `live` (the plan's live attributes, or a fresh listing)."""
    if setting == "rate_limits":
        _write_rate_limits(clients, project_id, wanted, live)
        return
    if setting == "spend_alerts":
        _write_spend_alerts(clients, project_id, wanted)
        return
    if setting == "certificates":
        set_active_certificates(clients, list(wanted), project_id)
        return
    projects = clients.writer().admin.organization.projects
    with clients.admin_slots, api_errors(f"set {setting} of project {project_id}"):
        getattr(projects, setting).update(project_id, **wanted)


def _write_rate_limits(
    clients: Clients, project_id: str, wanted: Mapping[str, Any], live: Mapping[str, Any]
) -> None:
    current, ids = live.get("rate_limits") or {}, live.get("rate_limit_ids") or {}
    limits = clients.writer().admin.organization.projects.rate_limits
    for model, fields in wanted.items():
        if model not in ids:
            raise PermanentApiError(
                f"set the rate limits of project {project_id}: the project has no rate limit "
                f"for model '{model}'"
            )
        changed = {k: v for k, v in fields.items() if current.get(model, {}).get(k) != v}
        if changed:
            with clients.admin_slots, api_errors(f"set the {model} rate limits of {project_id}"):
                limits.update_rate_limit(ids[model], project_id=project_id, **changed)


def _write_spend_alerts(clients: Clients, project_id: str, wanted: Mapping[str, Any]) -> None:
    """Make the project's alerts exactly the declared ones (by threshold). Lists them first,
    so a retry after a lost answer updates the alert it made instead of making another."""
    alerts = clients.writer().admin.organization.projects.spend_alerts
    kept: set[str] = set()
    for alert in _list_spend_alerts(clients, project_id):
        threshold = str(alert.threshold_amount)
        if threshold not in wanted or threshold in kept:
            with clients.admin_slots, api_errors(f"delete spend alert {alert.id}", missing_ok=True):
                alerts.delete(alert.id, project_id=project_id)
            continue
        kept.add(threshold)
        if _alert_view(alert) != wanted[threshold]:
            with clients.admin_slots, api_errors(f"update spend alert {alert.id}"):
                alerts.update(alert.id, project_id=project_id, **wanted[threshold])
    for threshold in sorted(set(wanted) - kept, key=int):
        with clients.admin_slots, api_errors(f"add a spend alert to project {project_id}"):
            alerts.create(project_id, **wanted[threshold])
