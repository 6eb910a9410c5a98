"""The `Organization` kind over the Administration API: `organization/spend_limit`,
`organization/spend_alerts` and `organization/data_retention`.

`OrganizationReader` is registered in `providers/registry.py` (`READERS`): it reads only the
settings the stack's Organization manifest declares (one request each; the alerts one listing)
and returns the one live organization (`live_id` `organization`). `OrganizationProvider.update`
writes each changed setting; spend alerts are made exactly the declared ones by threshold,
listing them first, so a retry after a lost answer updates the alert it made.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.kinds.organization import ORGANIZATION, SETTINGS
from reconciler.manifests import Stack
from reconciler.providers.admin_scoped import PAGE_SIZE
from reconciler.providers.base import KindProvider, Operation, ReadContext, ReadResult
from reconciler.providers.client import Clients
from reconciler.providers.errors import api_errors
from reconciler.state import LiveObject, Ownership

LIVE_ID = "organization"
_ALERT_FIELDS = ("threshold_amount", "currency", "interval", "notification_channel")


def _declared(stack: Stack) -> list[str]:
    found: set[str] = set()
    for resource in stack.of_kind(ORGANIZATION):
        found.update(s for s in SETTINGS if getattr(resource.spec, s, None) is not None)
    return sorted(found)


def _list_alerts(clients: Clients) -> list[Any]:
    with clients.admin_slots, api_errors("list the organization's spend alerts"):
        return list(clients.reader().admin.organization.spend_alerts.list(limit=PAGE_SIZE))


def _alert_view(alert: Any) -> dict[str, Any]:
    data = alert.model_dump(exclude_none=True)
    return {k: data[k] for k in _ALERT_FIELDS if k in data}


def list_certificates(clients: Clients, project: str | None = None) -> list[Any]:
    """The organization's certificates, with `active` in the organization (or in `project`)."""
    what = "the certificates" + ("" if project is None else f" of project {project}")
    with clients.admin_slots, api_errors(f"list {what}"):
        org = clients.reader().admin.organization
        if project is None:
            return list(org.certificates.list(limit=PAGE_SIZE))
        return list(org.projects.certificates.list(project, limit=PAGE_SIZE))


def certificate_ids(certificates: list[Any]) -> dict[str, str]:
    """id -> id, and name -> id for names that only one certificate has."""
    known = {str(c.id): str(c.id) for c in certificates}
    names = [str(c.name) for c in certificates if c.name]
    for c in certificates:
        if c.name and names.count(str(c.name)) == 1:
            known.setdefault(str(c.name), str(c.id))
    return known


def set_active_certificates(clients: Clients, wanted: list[str], project: str | None) -> None:
    """Activate the `wanted` certificates that are not, deactivate the active others (in the
    organization, or in `project`), 10 ids a request; a fresh listing first, so a retry does
    nothing twice."""
    listed = list_certificates(clients, project)
    active = {str(c.id) for c in listed if c.active}
    org = clients.writer().admin.organization
    where = "the organization" if project is None else f"project {project}"
    for verb, ids in (
        ("activate", sorted(set(wanted) - active)),
        ("deactivate", sorted(active - set(wanted))),
    ):
        for start in range(0, len(ids), 10):
            chunk = ids[start : start + 10]
            with clients.admin_slots, api_errors(f"{verb} certificates {chunk} in {where}"):
                if project is None:
                    getattr(org.certificates, verb)(certificate_ids=chunk)
                else:
                    getattr(org.projects.certificates, verb)(project, certificate_ids=chunk)


def read_setting(clients: Clients, setting: str) -> tuple[Any, int]:
    """One organization setting in its declared shape (None when unset), and its pages."""
    if setting == "spend_alerts":
        alerts = _list_alerts(clients)
        view = {str(a.threshold_amount): _alert_view(a) for a in alerts}
        return view, max(1, -(-len(alerts) // PAGE_SIZE))
    with clients.admin_slots, api_errors(f"read the organization's {setting}", missing_ok=True):
        data = getattr(clients.reader().admin.organization, setting).retrieve().model_dump()
        if setting == "spend_limit":
            return {k: data.get(k) for k in ("threshold_amount", "currency", "interval")}, 1
        return {"retention_type": data.get("type")}, 1
    return None, 1  # 404: not set


class OrganizationReader:
    kind = ORGANIZATION

    def is_needed(self, stack: Stack, ownership: Ownership) -> bool:
        return bool(stack.of_kind(ORGANIZATION))

    def read(self, ctx: ReadContext) -> ReadResult:
        ctx.clients.require_admin_key(f"read the organization's settings for '{ctx.stack.name}'")
        declared = _declared(ctx.stack)
        reads = {
            s: ctx.submit(read_setting, ctx.clients, s) for s in declared if s != "certificates"
        }
        certificates = (
            ctx.submit(list_certificates, ctx.clients) if "certificates" in declared else None
        )
        attributes: dict[str, Any] = {}
        minimum = 0
        for setting, future in reads.items():
            attributes[setting], pages = future.result()
            minimum += pages
        info: dict[str, Any] = {}
        if certificates is not None:
            listed = certificates.result()
            attributes["certificates"] = sorted(str(c.id) for c in listed if c.active)
            info["certificate_ids"] = certificate_ids(listed)
            minimum += max(1, -(-len(listed) // PAGE_SIZE))
        obj = LiveObject(
            kind=ORGANIZATION, key=LIVE_ID, live_id=LIVE_ID, attributes=attributes, info=info
        )
        return ReadResult((obj,), minimum)


class OrganizationProvider(KindProvider):
    kind = ORGANIZATION

    def __init__(self, clients: Clients) -> None:
        self._clients = clients

    def create(self, op: Operation) -> str:
        return self.update(op)

    def update(self, op: Operation) -> str:
        changed = {
            c.path.removeprefix("spec.").split(".")[0].split("[")[0] for c in op.change.changes
        }
        org = self._clients.writer().admin.organization
        for setting in sorted(changed & set(op.payload)):
            wanted = op.payload[setting]
            if setting == "spend_alerts":
                self._write_alerts(wanted)
                continue
            if setting == "certificates":
                set_active_certificates(self._clients, list(wanted), None)
                continue
            with self._clients.admin_slots, api_errors(f"set the organization's {setting}"):
                getattr(org, setting).update(**wanted)
        return LIVE_ID

    def _write_alerts(self, wanted: Mapping[str, Any]) -> None:
        alerts = self._clients.writer().admin.organization.spend_alerts
        kept: set[str] = set()
        for alert in _list_alerts(self._clients):
            threshold = str(alert.threshold_amount)
            if threshold not in wanted or threshold in kept:
                with (
                    self._clients.admin_slots,
                    api_errors(f"delete spend alert {alert.id}", missing_ok=True),
                ):
                    alerts.delete(alert.id)
                continue
            kept.add(threshold)
            if _alert_view(alert) != wanted[threshold]:
                with self._clients.admin_slots, api_errors(f"update spend alert {alert.id}"):
                    alerts.update(alert.id, **wanted[threshold])
        for threshold in sorted(set(wanted) - kept, key=int):
            with self._clients.admin_slots, api_errors("add a spend alert to the organization"):
                alerts.create(**wanted[threshold])

    def delete(self, op: Operation) -> None:
        return None  # never planned: the organization has no address, so no delete
