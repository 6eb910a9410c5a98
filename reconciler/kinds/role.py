"""Planning logic of `Role`: which live custom role a manifest manages, and its permissions.

Called by `planner.build_plan` through `reconciler.kinds.PLANNERS`. Live roles come from one
listing of the organization's roles and one of each project's roles where the stack declares
or owns a project role (`providers/roles.py`). Scope: `organization`, or the project's id. A
manifest manages the role its registry binding names; else the custom role with its name in
its scope (adopted). A predefined role of that name cannot be managed: blocked, saying so.
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
from reconciler.kinds.scoped import made_by_interrupted_apply
from reconciler.models.base import Resource
from reconciler.models.role import RoleSpec
from reconciler.plan import UNKNOWN, FieldChange
from reconciler.state import LiveObject

ROLE = "Role"
ORGANIZATION = "organization"


def role_key(scope: str, name: str) -> str:
    return f"{scope}/{name}"


class RolePlanner:
    kind = ROLE

    def desired(self, resource: Resource, ctx: PlanContext) -> Desired:
        spec = resource.spec
        assert isinstance(spec, RoleSpec)
        view: dict[str, object] = {
            "role_name": spec.role_name,
            "permissions": sorted(set(spec.permissions)),
        }
        if spec.description is not None:
            view["description"] = spec.description
        references: dict[str, str] = {}
        reference = next((r for r in resource.references if r.field[:1] == ("project",)), None)
        if reference is not None:
            view["project"] = ctx.known_ids.get(reference.address) or UNKNOWN
            references["project"] = reference.address
        return Desired(view=view, payload=dict(view), references=references)

    def match(self, resource: Resource, desired: Desired, ctx: PlanContext) -> Match:
        roles = ctx.live.of_kind(ROLE)
        entry = ctx.live.ownership.entry(resource.address)
        if entry is not None and entry.live_id is not None:
            bound = next((r for r in roles if r.live_id == entry.live_id), None)
            if bound is not None:
                return Match(current=bound, created_by_stack=entry.created)
        scope = str(desired.view.get("project", ORGANIZATION))
        if scope == UNKNOWN:
            return Match()
        key = role_key(scope, str(desired.view["role_name"]))
        named = [r for r in roles if r.key == key]
        if any(r.info.get("predefined_role") for r in named):
            return Match(
                blocked=f"'{desired.view['role_name']}' is a predefined role ({scope}): "
                "predefined roles cannot be changed; give the custom role another role_name"
            )
        free = [r for r in named if r.address is None or r.address not in ctx.stack.resources]
        if not free:
            return Match()
        chosen = free[0]
        return Match(
            current=chosen, adopt=True, created_by_stack=made_by_interrupted_apply(chosen, ctx)
        )

    def import_spec(self, live: LiveObject, ctx: ImportContext) -> Imported:
        """A custom role's name, permissions and description (and `project` as the
        `Project/name` of its project, which the stack must declare or import in the same run);
        recorded as adopted. Predefined roles are not the stack's to manage."""
        role_name = str(live.attributes.get("role_name") or "")
        project = live.attributes.get("project")
        name = manifest_name(role_name, "" if project is None else str(project))
        if live.info.get("predefined_role"):
            return Imported(
                name=name,
                reason=f"'{role_name}' is a predefined role: it cannot be changed or managed",
                quiet=True,
            )
        spec: dict[str, object] = {
            "role_name": role_name,
            "permissions": list(live.attributes.get("permissions") or ()),
        }
        if live.attributes.get("description") is not None:
            spec["description"] = live.attributes["description"]
        if project is not None:
            ref = ctx.project_ref(str(project))
            if not ref.startswith("Project/"):
                return Imported(
                    name=name,
                    reason=f"its project {project} is not declared by the stack: import the "
                    f"project too (`import --all --project {project}`), or declare it",
                )
            spec["project"] = ref
            name = manifest_name(role_name, ref.removeprefix("Project/"))
        return Imported(name=name, spec=spec, record=True)

    def create_reason(self, resource: Resource, desired: Desired, match: Match) -> str:
        scope = desired.view.get("project", ORGANIZATION)
        where = "the organization" if scope == ORGANIZATION else f"project {scope}"
        return f"no custom role '{desired.view['role_name']}' in {where}"

    def noop_reason(self, desired: Desired, current: LiveObject) -> str:
        count = len(current.attributes.get("permissions") or ())
        return f"role '{current.attributes.get('role_name')}' has its {count} permission(s)"

    def change_reason(self, changes: Sequence[FieldChange], *, replace: bool) -> str:
        return set_change_reason(
            changes,
            "permissions",
            replace=replace,
            verbs=("grant", "revoke"),
            unchanged="permissions reordered",
        )

    def adopt_reason(self, match: Match, ctx: PlanContext) -> str:
        assert match.current is not None
        found = f"role '{match.current.attributes.get('role_name')}' ({match.current.live_id})"
        return adopt_reason_for(found, match, ctx)

    def delete_reason(self, obj: LiveObject) -> str:
        return f"no manifest declares {obj.address} any more (role '{obj.key}', {obj.live_id})"

    def live_dependencies(self, obj: LiveObject, ctx: PlanContext) -> tuple[str, ...]:
        project = obj.attributes.get("project")
        found = ctx.live.find("Project", str(project)) if project else None
        return () if found is None or found.address is None else (found.address,)


def desired_roles(
    resource: Resource, ctx: PlanContext
) -> tuple[list[str], dict[str, str], str | None]:
    """The live ids of the organization roles in the resource's `roles` (UNKNOWN for one this
    plan creates), the references apply resolves (`roles.<i>` -> `Role/x`), and why the
    resource is blocked when one names a project role."""
    ids: list[str] = []
    references: dict[str, str] = {}
    for reference in (r for r in resource.references if r.field[:1] == ("roles",)):
        target = ctx.stack.resources.get(reference.address)
        if target is not None and isinstance(target.spec, RoleSpec) and target.spec.project:
            blocked = (
                f"{reference.address} is a project role ({target.spec.project}): "
                f"{resource.kind} roles are organization roles"
            )
            return [], {}, blocked
        references[f"roles.{len(ids)}"] = reference.address
        ids.append(ctx.known_ids.get(reference.address) or UNKNOWN)
    return sorted(ids), references, None


def resolved_roles(payload: dict[str, object]) -> list[str]:
    """The role ids of a payload once apply resolved its `roles.<i>` references."""
    return sorted(str(value) for key, value in payload.items() if key.startswith("roles."))
