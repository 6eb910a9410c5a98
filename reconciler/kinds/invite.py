"""Planning logic of `Invite`: whether the person is in the organization, invited, or to invite.

Called by `planner.build_plan` through `reconciler.kinds.PLANNERS`. Reads the organization's
users and invites (one listing each, `providers/org_users.py`). In that order: a user with the
email already in the organization means the invite is done (`accepted`: a no-op that says
when they joined); a `pending` invite to the email is the live invite (a no-op that says when
it expires, or a replace when `role` or `projects` differ: invites cannot be edited); only an
`expired` invite, or none, means one is sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reconciler.kinds.base import (
    Desired,
    ImportContext,
    Imported,
    Match,
    PlanContext,
    adopt_reason_for,
    default_change_reason,
    manifest_name,
)
from reconciler.kinds.org_user import INVITE, day, org_user, pending_invite
from reconciler.kinds.scoped import made_by_interrupted_apply
from reconciler.models.base import Resource
from reconciler.models.invite import InviteSpec
from reconciler.plan import UNKNOWN, FieldChange
from reconciler.state import LiveObject


def invite_projects(projects: Sequence[Any]) -> list[dict[str, str]]:
    """The comparable view of an invite's projects: `{id, role}` sorted by id."""
    view = [{"id": str(p["id"]), "role": str(p["role"])} for p in projects]
    return sorted(view, key=lambda p: p["id"])


class InvitePlanner:
    kind = INVITE

    def desired(self, resource: Resource, ctx: PlanContext) -> Desired:
        spec = resource.spec
        assert isinstance(spec, InviteSpec)
        references: dict[str, str] = {}
        projects = []
        for index, grant in enumerate(spec.projects):
            reference = next(
                (r for r in resource.references if r.field == ("projects", index, "id")), None
            )
            project_id = grant.id
            if reference is not None:
                project_id = ctx.known_ids.get(reference.address) or UNKNOWN
                references[f"projects.{index}.id"] = reference.address
            projects.append({"id": project_id, "role": grant.role})
        view = {
            "email": spec.email.lower(),
            "role": spec.role,
            "projects": invite_projects(projects),
        }
        payload = {"email": spec.email, "role": spec.role, "projects": projects}
        return Desired(view=view, payload=payload, references=references)

    def match(self, resource: Resource, desired: Desired, ctx: PlanContext) -> Match:
        email = str(desired.view["email"])
        user = org_user(email, ctx)
        if user is not None:  # accepted (or in the organization some other way): done
            accepted = LiveObject(
                kind=INVITE,
                key=email,
                live_id=f"accepted:{user.live_id}",
                attributes=dict(desired.view),
                status="accepted",
                created_at=user.created_at,
            )
            return Match(current=accepted)
        live = pending_invite(email, ctx)
        if live is None:
            expired = [i for i in ctx.live.of_kind(INVITE) if i.key == email]
            note = None
            if expired:
                last = max(expired, key=lambda i: i.created_at)
                note = f"the last invite to {email} (sent {day(last.created_at)}) is {last.status}"
            return Match(note=note)
        entry = ctx.live.ownership.entry(resource.address)
        if entry is not None and entry.live_id == live.live_id:
            return Match(current=live, created_by_stack=entry.created)
        warnings: tuple[str, ...] = ()
        if live.address is not None and live.address in ctx.stack.resources:
            warnings = (f"{live.address} declares the same invite ({email}); only one should",)
        return Match(
            current=live,
            adopt=True,
            created_by_stack=made_by_interrupted_apply(live, ctx),
            warnings=warnings,
        )

    def import_spec(self, live: LiveObject, ctx: ImportContext) -> Imported:
        """A pending invite's email, role and projects (as `Project/name` where the stack
        declares the project, else its id); recorded as adopted. An accepted invite is done
        (import the `OrgUser`); an expired one would be sent again by the next apply."""
        email = str(live.attributes.get("email") or "")
        name = manifest_name("invite", email.split("@")[0])
        if live.status != "pending":
            what = (
                "it was accepted: the user is in the organization (import the OrgUser instead)"
                if live.status == "accepted"
                else f"it is {live.status}: a manifest for it would send a new invite"
            )
            return Imported(name=name, reason=what, quiet=True)
        projects = [
            {"id": ctx.project_ref(str(p["id"])), "role": p["role"]}
            for p in live.attributes.get("projects") or ()
        ]
        spec = {"email": email, "role": live.attributes.get("role"), "projects": projects}
        return Imported(name=name, spec=spec, record=True)

    def create_reason(self, resource: Resource, desired: Desired, match: Match) -> str:
        email = desired.view["email"]
        if match.note is not None:
            return f"{match.note}: invite {email} again"
        return f"{email} is not in the organization and has no pending invite"

    def noop_reason(self, desired: Desired, current: LiveObject) -> str:
        email = desired.view["email"]
        if current.status == "accepted":
            return f"accepted: {email} is in the organization (since {day(current.created_at)})"
        return (
            f"pending: sent to {email} {day(current.created_at)}, expires "
            f"{day(current.info.get('expires_at'))}"
        )

    def change_reason(self, changes: Sequence[FieldChange], *, replace: bool) -> str:
        reason = default_change_reason(changes, replace=replace)
        if replace:
            return reason + " (an invite cannot be edited: the pending one is revoked first)"
        return reason

    def adopt_reason(self, match: Match, ctx: PlanContext) -> str:
        assert match.current is not None
        found = f"the pending invite to {match.current.key} ({match.current.live_id})"
        return adopt_reason_for(found, match, ctx, made="sent")

    def delete_reason(self, obj: LiveObject) -> str:
        return (
            f"no manifest declares {obj.address} any more: revoke the {obj.status} invite to "
            f"{obj.key}"
        )

    def live_dependencies(self, obj: LiveObject, ctx: PlanContext) -> tuple[str, ...]:
        return ()
