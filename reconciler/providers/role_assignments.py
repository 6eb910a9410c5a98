"""Custom organization roles assigned to users and groups (`OrgUser.roles`, `Group.roles`):
`organization/{users|groups}/{id}/roles`, one listing per principal that declares `roles` (the
API has no listing of every assignment), and the assignments apply adds or removes.

Used by `providers/org_users.py` and `providers/groups.py`. Only custom roles are compared:
a user's predefined role (its `role`, listed here too) is the OrgUser's `role` field.
"""

from __future__ import annotations

from typing import Any

from reconciler.providers.admin_scoped import PAGE_SIZE, list_admin
from reconciler.providers.client import Clients
from reconciler.providers.errors import api_errors


def _collection(org: Any, principal_type: str) -> Any:
    return org.users.roles if principal_type == "user" else org.groups.roles


def list_custom_roles(clients: Clients, principal_type: str, principal_id: str) -> list[str]:
    """The ids of the custom roles the user or group holds, sorted."""
    listed = list_admin(
        clients,
        f"the roles of {principal_type} {principal_id}",
        lambda org: _collection(org, principal_type).list(principal_id, limit=PAGE_SIZE),
    )
    return sorted(str(r.id) for r in listed if not getattr(r, "predefined_role", False))


def set_custom_roles(
    clients: Clients, principal_type: str, principal_id: str, wanted: list[str]
) -> None:
    """Assign the missing roles of `wanted`, then unassign the custom roles not in it."""
    held = set(list_custom_roles(clients, principal_type, principal_id))
    roles = _collection(clients.writer().admin.organization, principal_type)
    owner = {f"{principal_type}_id": principal_id}
    for role_id in sorted(set(wanted) - held):
        with clients.admin_slots, api_errors(f"assign role {role_id} to {principal_id}"):
            roles.create(principal_id, role_id=role_id)
    for role_id in sorted(held - set(wanted)):
        what = f"unassign role {role_id} from {principal_id}"
        with clients.admin_slots, api_errors(what, missing_ok=True):
            roles.delete(role_id, **owner)
