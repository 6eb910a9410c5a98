"""Planning logic of `Group`: which live group a manifest manages, its name and its members.

Called by `planner.build_plan` through `reconciler.kinds.PLANNERS`. Live groups come from one
listing of the organization's groups, plus one listing of the members of each group the stack
declares or owns (`providers/groups.py`). A manifest manages the group its registry binding
names; else a group with its name (adopted). Members are compared as sets of emails; a declared
member who is not in the organization yet is left out (with a warning) and added by a later
apply once they are. The payload carries the user ids apply needs (`user_ids`). A group managed
by SCIM is read-only: a manifest that would change it is blocked, saying so.
"""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.kinds.base import (
    Desired,
    ImportContext,
    Imported,
    Match,
    PlanContext,
    adopt_reason_for,
    manifest_name,
    set_change_reason,
)
from reconciler.kinds.org_user import org_user
from reconciler.kinds.role import desired_roles
from reconciler.kinds.scoped import made_by_interrupted_apply
from reconciler.models.base import Resource
from reconciler.models.group import GroupSpec
from reconciler.plan import FieldChange
from reconciler.state import LiveObject

GROUP = "Group"


class GroupPlanner:
    kind = GROUP

    def desired(self, resource: Resource, ctx: PlanContext) -> Desired:
        spec = resource.spec
        assert isinstance(spec, GroupSpec)
        view: dict[str, object] = {"name": spec.name}
        payload: dict[str, object] = {"name": spec.name}
        warnings: tuple[str, ...] = ()
        if spec.users is not None:
            user_ids: dict[str, str] = {}
            missing = []
            for email in sorted({e.lower() for e in spec.users}):
                user = org_user(email, ctx)
                if user is None:
                    missing.append(email)
                else:
                    user_ids[email] = user.live_id
            view["users"] = sorted(user_ids)
            payload |= {"users": sorted(user_ids), "user_ids": user_ids}
            if missing:
                warnings = (
                    f"not in the organization yet, so not added: {', '.join(missing)} (invite "
                    "them; a later apply adds them once they accept)",
                )
        references: dict[str, str] = {}
        blocked = None
        if spec.roles is not None:
            view["roles"], references, blocked = desired_roles(resource, ctx)
            payload["roles"] = view["roles"]
        return Desired(
            view=view, payload=payload, references=references, warnings=warnings, blocked=blocked
        )

    def match(self, resource: Resource, desired: Desired, ctx: PlanContext) -> Match:
        found = self._match(resource, desired, ctx)
        current = found.current
        if current is None or not current.info.get("is_scim_managed"):
            return found
        differs = [  # SCIM owns the name and the members; role assignments stay ours
            k
            for k in ("name", "users")
            if k in desired.view and current.attributes.get(k) != desired.view[k]
        ]
        if not differs:
            return found
        return Match(
            blocked=f"group '{current.key}' ({current.live_id}) is managed by SCIM "
            f"(is_scim_managed): it is read-only here ({', '.join(differs)} would change); "
            "change it in your identity provider, or make this manifest match it"
        )

    def _match(self, resource: Resource, desired: Desired, ctx: PlanContext) -> Match:
        groups = ctx.live.of_kind(GROUP)
        entry = ctx.live.ownership.entry(resource.address)
        if entry is not None and entry.live_id is not None:
            bound = next((g for g in groups if g.live_id == entry.live_id), None)
            if bound is not None:
                return Match(current=bound, created_by_stack=entry.created)
        named = [g for g in groups if g.key == desired.view["name"]]
        free = [g for g in named if g.address is None or g.address not in ctx.stack.resources]
        if not free:
            return Match()
        chosen = min(free, key=lambda g: (g.created_at, g.live_id))
        warnings = tuple(
            f"another group is named '{g.key}' ({g.live_id}); only {chosen.live_id} is managed"
            for g in named
            if g is not chosen
        )
        return Match(
            current=chosen,
            adopt=True,
            created_by_stack=made_by_interrupted_apply(chosen, ctx),
            warnings=warnings,
        )

    def import_spec(self, live: LiveObject, ctx: ImportContext) -> Imported:
        """The group's name and members (by email, when its members were listed: else `users`
        is left out, which leaves them unmanaged); recorded as adopted, so the next plan finds
        it through the registry even when another group has the same name. Custom role
        assignments (`roles`) are left out: not managed until declared."""
        spec: dict[str, object] = {"name": live.key}
        users = live.attributes.get("users")
        note = None
        if users is not None:
            spec["users"] = list(users)
        else:
            note = "its members were not listed: `users` is left out (members unmanaged)"
        return Imported(name=manifest_name(live.key), spec=spec, record=True, note=note)

    def create_reason(self, resource: Resource, desired: Desired, match: Match) -> str:
        return f"no group named '{desired.view['name']}' in the organization"

    def noop_reason(self, desired: Desired, current: LiveObject) -> str:
        users = current.attributes.get("users")
        members = "" if users is None else f" with {len(users)} member(s)"
        return f"group '{current.key}'{members} matches"

    def change_reason(self, changes: Sequence[FieldChange], *, replace: bool) -> str:
        return set_change_reason(changes, "users", replace=replace)

    def adopt_reason(self, match: Match, ctx: PlanContext) -> str:
        assert match.current is not None
        return adopt_reason_for(
            f"group '{match.current.key}' ({match.current.live_id})", match, ctx
        )

    def delete_reason(self, obj: LiveObject) -> str:
        return f"no manifest declares {obj.address} any more (group '{obj.key}', {obj.live_id})"

    def live_dependencies(self, obj: LiveObject, ctx: PlanContext) -> tuple[str, ...]:
        return ()
