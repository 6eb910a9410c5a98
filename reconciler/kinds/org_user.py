"""Planning logic of `OrgUser` (a user of the organization and their role) and the organization
user view other kinds read (`org_user`, `ORG_USER`).

Called by `planner.build_plan` through `reconciler.kinds.PLANNERS`. The live users come from
one listing of the organization's users (`providers/org_users.py`), keyed by email (lowercase).
A user is never created: the manifest adopts the user with its email (apply records the
binding, as managed by the stack, so removing the manifest later plans a removal that needs
`--allow-delete --allow-remove-users`). A user not in the organization waits on an `Invite` of
the stack that names them, else is blocked. A user managed by SCIM (`is_scim_managed`) is
read-only: a manifest that would change one is blocked, saying so.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from reconciler.kinds.base import (
    Desired,
    ImportContext,
    Imported,
    Match,
    PlanContext,
    default_change_reason,
    manifest_name,
)
from reconciler.kinds.role import desired_roles
from reconciler.models.base import Resource
from reconciler.models.org_user import REMOVE_USERS_FLAG, OrgUserSpec
from reconciler.plan import UNKNOWN, FieldChange
from reconciler.state import LiveObject

ORG_USER = "OrgUser"
"""Live objects of the organization's users: key = email (lowercase)."""
INVITE = "Invite"


def org_user(email: str, ctx: PlanContext) -> LiveObject | None:
    """The organization's user with `email` (any case), if the reader saw one."""
    wanted = email.lower()
    return next((u for u in ctx.live.of_kind(ORG_USER) if u.key == wanted), None)


def is_scim_managed(user: LiveObject) -> bool:
    return bool(user.info.get("is_scim_managed"))


def day(timestamp: object) -> str:
    """A unix time as a UTC date (`2026-12-03`), or '?' when the API gave none."""
    if not isinstance(timestamp, int) or timestamp <= 0:
        return "?"
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")


def pending_invite(email: str, ctx: PlanContext) -> LiveObject | None:
    """The live pending invite to `email`, if any."""
    wanted = email.lower()
    return next(
        (i for i in ctx.live.of_kind(INVITE) if i.key == wanted and i.status == "pending"), None
    )


class OrgUserPlanner:
    kind = ORG_USER

    def desired(self, resource: Resource, ctx: PlanContext) -> Desired:
        spec = resource.spec
        assert isinstance(spec, OrgUserSpec)
        view: dict[str, object] = {"email": spec.email.lower(), "role": spec.role}
        if spec.roles is None:
            return Desired(view=view, payload=dict(view))
        view["roles"], references, blocked = desired_roles(resource, ctx)
        return Desired(view=view, payload=dict(view), references=references, blocked=blocked)

    def match(self, resource: Resource, desired: Desired, ctx: PlanContext) -> Match:
        email = str(desired.view["email"])
        user = org_user(email, ctx)
        if user is None:
            return _not_yet_a_user(email, ctx)
        if is_scim_managed(user) and user.attributes.get("role") != desired.view["role"]:
            return Match(
                blocked=f"{email} is managed by SCIM (is_scim_managed): the user is read-only "
                "here; change their role in your identity provider, or make this manifest "
                f"match the live role ({user.attributes.get('role')})"
            )
        warnings = tuple(
            f"{other.address} declares the same user ({email}); only one manifest should"
            for other in ctx.stack.of_kind(ORG_USER)
            if other.address != resource.address
            and isinstance(other.spec, OrgUserSpec)
            and other.spec.email.lower() == email
        )
        entry = ctx.live.ownership.entry(resource.address)
        if entry is not None and entry.live_id == user.live_id:
            return Match(current=user, warnings=warnings)
        # Users are only ever adopted; the binding marks the user as the stack's to manage.
        return Match(current=user, adopt=True, created_by_stack=True, warnings=warnings)

    def import_spec(self, live: LiveObject, ctx: ImportContext) -> Imported:
        """The user's email and organization role; recorded as adopted (the planner matches a
        user by email, and a user without a binding is planned as an adoption), so the next
        plan is a no-op and removing the manifest later leaves the user in the organization.
        Custom role assignments (`roles`) are left out: not managed until declared."""
        email = str(live.attributes.get("email") or "")
        spec = {"email": email, "role": live.attributes.get("role")}
        return Imported(name=manifest_name(email.split("@")[0]), spec=spec, record=True)

    def create_reason(self, resource: Resource, desired: Desired, match: Match) -> str:
        return f"{desired.view['email']} is not a user of the organization"  # never planned

    def noop_reason(self, desired: Desired, current: LiveObject) -> str:
        return f"{desired.view['email']} is {desired.view['role']} of the organization"

    def change_reason(self, changes: Sequence[FieldChange], *, replace: bool) -> str:
        role = next((c for c in changes if c.path == "spec.role"), None)
        if role is not None and len(changes) == 1 and not replace:
            return f"organization role {role.old} → {role.new}"
        return default_change_reason(changes, replace=replace)

    def adopt_reason(self, match: Match, ctx: PlanContext) -> str:
        assert match.current is not None
        return (
            f"adopt {match.current.key} (joined {day(match.current.created_at)}); apply records "
            f"the user as managed by stack '{ctx.stack.name}' (removing this manifest later "
            f"removes the user, with --allow-delete {REMOVE_USERS_FLAG})"
        )

    def delete_reason(self, obj: LiveObject) -> str:
        scim = " (managed by SCIM: the API may refuse)" if is_scim_managed(obj) else ""
        return (
            f"no manifest declares {obj.address} any more: remove {obj.key} from the "
            f"organization{scim}; needs --allow-delete {REMOVE_USERS_FLAG}"
        )

    def live_dependencies(self, obj: LiveObject, ctx: PlanContext) -> tuple[str, ...]:
        return ()


def _not_yet_a_user(email: str, ctx: PlanContext) -> Match:
    """A user the organization does not have yet: wait on the stack's invite, else blocked."""
    invites = [
        r for r in ctx.stack.of_kind(INVITE) if str(getattr(r.spec, "email", "")).lower() == email
    ]
    if not invites:
        return Match(
            blocked=f"{email} is not a user of the organization: users are never created; "
            "declare an Invite for them (or invite them), and the user is adopted once they "
            "accept"
        )
    invite = pending_invite(email, ctx)
    if invite is not None:
        wait = (
            f"waiting for {email} to accept {invites[0].address} (pending since "
            f"{day(invite.created_at)}, expires {day(invite.info.get('expires_at'))})"
        )
        return Match(current=invite, wait=wait)
    # The invite is sent by this plan: the user is adopted by a later one.
    sent = LiveObject(kind=INVITE, key=email, live_id=UNKNOWN, status="pending")
    return Match(current=sent, wait=f"waiting for {email} to accept {invites[0].address}")
