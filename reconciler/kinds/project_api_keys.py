"""`revoke_unmanaged_keys` of a Project: the inventory of its unmanaged API keys, and their
revokes (planning, pure).

`ProjectPlanner` calls `unmanaged_key_warnings` from `match` and `key_revokes` from its
`extra_changes` hook, with the keys `providers/project_api_keys.py` merged into the live
project's attributes (`api_keys`; read only for a Project declaring `revoke_unmanaged_keys`,
and never holding the run's own key). A key is accounted for when its owner is a service
account this stack manages (a ServiceAccount bound to one of its manifests); every other key
is unmanaged: a user's key, or a key of a service account made outside this stack.

- `revoke_unmanaged_keys: false`: each unmanaged key is a plan (and drift) warning: its id,
  name, the API's redacted value, owner (e-mail or service account name), created, last used.
- `true`: each user's key becomes a delete line (`DELETE .../api_keys/{id}`, run with
  --allow-delete); a key of a service account stays a warning, as the API revokes a service
  account's keys only with the account (it answers 400 to the key's delete).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from reconciler.kinds.base import PlanContext
from reconciler.models.base import Resource
from reconciler.plan import Action, ResourceChange
from reconciler.state import LiveObject

API_KEYS = "api_keys"
"""The live Project attribute holding its listed keys (absent when they were not read)."""

REVOKE_VERB = "revoke API key"


def unmanaged_keys(project: LiveObject, ctx: PlanContext) -> list[dict[str, Any]]:
    """The listed keys of `project` that no manifest accounts for, oldest first."""
    keys = project.attributes.get(API_KEYS) or []
    managed = {
        obj.live_id.partition(".")[2]
        for obj in ctx.live.of_kind("ServiceAccount")
        if obj.address is not None and obj.live_id.partition(".")[0] == project.live_id
    }
    found = [
        k
        for k in keys
        if k.get("owner_type") != "service_account" or k.get("service_account_id") not in managed
    ]
    return sorted(found, key=lambda k: (int(k.get("created_at") or 0), str(k["id"])))


def describe(key: Mapping[str, Any]) -> str:
    """One key in words, without its secret: id, name, redacted value, owner, dates."""
    owner = (
        f"service account '{key.get('owner')}' ({key.get('service_account_id')})"
        if key.get("owner_type") == "service_account"
        else f"user {key.get('owner') or 'unknown'}"
    )
    redacted = f" ({key['redacted_value']})" if key.get("redacted_value") else ""
    used = _when(key.get("last_used_at")) if key.get("last_used_at") else "never"
    return (
        f"API key {key['id']} '{key.get('name') or ''}'{redacted} of {owner}, "
        f"created {_when(key.get('created_at'))}, last used {used}"
    )


def unmanaged_key_warnings(resource: Resource, current: LiveObject, ctx: PlanContext) -> list[str]:
    """The inventory: a warning per unmanaged key that is not revoked by a delete line."""
    revoke = getattr(resource.spec, "revoke_unmanaged_keys", None)
    if revoke is None:
        return []
    warnings = []
    for key in unmanaged_keys(current, ctx):
        if key.get("owner_type") != "service_account":
            if revoke:
                continue  # a delete line says it
            warnings.append(
                f"unmanaged {describe(key)}: no manifest accounts for it "
                "(revoke_unmanaged_keys: true revokes it)"
            )
            continue
        warnings.append(
            f"unmanaged {describe(key)}: this stack declares no such service account; "
            "declare it as a ServiceAccount, or remove the account (the API revokes a "
            "service account's keys only with the account)"
        )
    return warnings


def key_revokes(
    ctx: PlanContext, changes: Mapping[str, ResourceChange]
) -> list[tuple[ResourceChange, LiveObject]]:
    """A delete line per user's key of each declared Project with `revoke_unmanaged_keys:
    true` whose live project is kept (a no-op or an update), with the project it is based on."""
    found = []
    for resource in ctx.stack.of_kind("Project"):
        if getattr(resource.spec, "revoke_unmanaged_keys", None) is not True:
            continue
        change = changes.get(resource.address)
        if change is None or change.action not in (Action.NOOP, Action.UPDATE):
            continue
        project = ctx.live.find("Project", change.live_id or "")
        if project is None:
            continue
        for key in unmanaged_keys(project, ctx):
            if key.get("owner_type") == "service_account":
                continue
            delete = ResourceChange(
                address=f"{resource.address}#{key['id']}",
                kind="Project",
                name=resource.name,
                action=Action.DELETE,
                reason=f"{describe(key)}: no manifest accounts for it "
                "(revoke_unmanaged_keys: true)",
                live_id=str(key["id"]),
                live_attributes={"project": project.live_id, "name": key.get("name") or ""},
                desired={"revoke_api_key": str(key["id"]), "project": project.live_id},
                delete_verb=REVOKE_VERB,
                location=str(resource.location),
            )
            found.append((delete, project))
    return found


def _when(timestamp: Any) -> str:
    if not timestamp:
        return "unknown"
    return datetime.fromtimestamp(int(timestamp), UTC).strftime("%Y-%m-%d %H:%M UTC")
