"""Planning logic of `ProjectMember`: which live membership a manifest manages, and its role.

Called by `planner.build_plan` through `reconciler.kinds.PLANNERS`. A membership is the pair
(project id, email). The manifest manages the membership the ownership registry binds to it;
else the project's member with that email, adopted (apply records it, so removing the
manifest later leaves an adopted member in place; a member added by an interrupted apply of
the stack is recorded as the stack's own). The user must be in the organization (listed once
by `providers/org_users.py`); a user managed by SCIM (`is_scim_managed`) is read-only here, so a
manifest that would add it or change its role is blocked, saying so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
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
from reconciler.kinds.org_user import org_user
from reconciler.kinds.scoped import (
    NO_PROJECT,
    desired_project,
    made_by_interrupted_apply,
    project_dependency,
)
from reconciler.models.base import Resource
from reconciler.models.project_member import ProjectMemberSpec
from reconciler.plan import UNKNOWN, FieldChange
from reconciler.state import LiveObject


def member_key(project: str, email: str) -> str:
    return f"{project}/{email.lower()}"


def group_member_key(project: str, group_id: str) -> str:
    return f"{project}/group:{group_id}"


class ProjectMemberPlanner:
    kind = "ProjectMember"

    def desired(self, resource: Resource, ctx: PlanContext) -> Desired:
        found = self._desired(resource, ctx)
        spec = resource.spec
        assert isinstance(spec, ProjectMemberSpec)
        if spec.roles is None or found.blocked:
            return found
        return _with_roles(resource, ctx, found)

    def _desired(self, resource: Resource, ctx: PlanContext) -> Desired:
        spec = resource.spec
        assert isinstance(spec, ProjectMemberSpec)
        project, references = desired_project(resource, ctx)
        if project is None:
            return Desired(view={}, payload={}, blocked=NO_PROJECT)
        if spec.group is not None:
            return _desired_group(resource, ctx, project, references)
        assert spec.email is not None
        email = spec.email.lower()
        view = {"project": project, "email": email, "role": spec.role}
        user = org_user(email, ctx)
        if user is None:
            blocked = (
                f"{spec.email} is not a user of the organization: invite them first (a project "
                "admits only users of its organization)"
            )
            return Desired(view=view, payload=dict(view), references=references, blocked=blocked)
        return Desired(view=view, payload=dict(view), references=references)

    def match(self, resource: Resource, desired: Desired, ctx: PlanContext) -> Match:
        found = self._match(resource, desired, ctx)
        if "group" in desired.view:
            return found
        user = org_user(str(desired.view["email"]), ctx)
        if user is None or not user.info.get("is_scim_managed"):
            return found
        current = found.current
        if current is not None and current.attributes.get("role") == desired.view["role"]:
            return found
        return Match(
            blocked=f"{desired.view['email']} is managed by SCIM (is_scim_managed): its project "
            "membership is read-only here; change it in your identity provider, or make this "
            "manifest match the live membership"
        )

    def _match(self, resource: Resource, desired: Desired, ctx: PlanContext) -> Match:
        members = ctx.live.of_kind(self.kind)
        entry = ctx.live.ownership.entry(resource.address)
        if entry is not None and entry.live_id is not None:
            bound = next((m for m in members if m.live_id == entry.live_id), None)
            if bound is not None:
                return Match(current=bound, created_by_stack=entry.created)
        project = str(desired.view["project"])
        if project == UNKNOWN:
            return Match()
        if "group" in desired.view:
            if desired.view["group"] == UNKNOWN:
                return Match()
            key = group_member_key(project, str(desired.view["group"]))
        else:
            key = member_key(project, str(desired.view["email"]))
        live = next((m for m in members if m.key == key), None)
        if live is None:
            return Match()
        if live.address is not None and live.address in ctx.stack.resources:
            warning = (
                f"{live.address} declares the same membership ({_who(desired.view)} in "
                f"project {project}); only one manifest should"
            )
            return Match(current=live, adopt=True, warnings=(warning,))
        return Match(
            current=live, adopt=True, created_by_stack=made_by_interrupted_apply(live, ctx)
        )

    def import_spec(self, live: LiveObject, ctx: ImportContext) -> Imported:
        """The member's email and role in its project; recorded as adopted, so the next plan
        matches it through the registry (removing the manifest later leaves it in place)."""
        if "group" in live.attributes:
            return Imported(
                name=str(live.live_id),
                reason="a group's membership is not imported yet: declare it with "
                "`group: Group/<name>` (docs/organization.md)",
            )
        email = str(live.attributes.get("email") or "")
        project = str(live.attributes.get("project") or "")
        ref = ctx.project_ref(project)
        name = manifest_name(email.split("@")[0], ref.removeprefix("Project/"))
        spec = {"project": ref, "email": email, "role": live.attributes.get("role")}
        return Imported(name=name, spec=spec, record=True)

    def create_reason(self, resource: Resource, desired: Desired, match: Match) -> str:
        return f"{_who(desired.view)} is not a member of project {desired.view['project']}"

    def noop_reason(self, desired: Desired, current: LiveObject) -> str:
        return f"{_who(desired.view)} is already {desired.view['role']} of the project"

    def change_reason(self, changes: Sequence[FieldChange], *, replace: bool) -> str:
        role = next((c for c in changes if c.path == "spec.role"), None)
        if role is not None and len(changes) == 1 and not replace:
            return f"role {role.old} → {role.new}"
        return default_change_reason(changes, replace=replace)

    def adopt_reason(self, match: Match, ctx: PlanContext) -> str:
        assert match.current is not None
        found = f"{_who(match.current.attributes)} in project "
        found += str(match.current.attributes.get("project"))
        return adopt_reason_for(found, match, ctx, made="added")

    def delete_reason(self, obj: LiveObject) -> str:
        return (
            f"no manifest declares {obj.address} any more ({_who(obj.attributes)} in "
            f"project {obj.attributes.get('project')})"
        )

    def live_dependencies(self, obj: LiveObject, ctx: PlanContext) -> tuple[str, ...]:
        return project_dependency(obj, ctx)


def _who(view: Mapping[str, Any]) -> str:
    """The member in words: its email, or `group <id>`."""
    if "group" in view:
        return f"group {view['group']}"
    return str(view.get("email"))


def _desired_group(
    resource: Resource, ctx: PlanContext, project: str, references: dict[str, str]
) -> Desired:
    """A group's membership: the group's live id (known after apply when this plan creates
    it), its role; apply resolves `group` from the Group reference."""
    spec = resource.spec
    assert isinstance(spec, ProjectMemberSpec)
    reference = next((r for r in resource.references if r.field[:1] == ("group",)), None)
    assert reference is not None  # `group` is a reference field
    group_id = ctx.known_ids.get(reference.address) or UNKNOWN
    view = {"project": project, "group": group_id, "role": spec.role}
    return Desired(
        view=view, payload=dict(view), references={**references, "group": reference.address}
    )


def _with_roles(resource: Resource, ctx: PlanContext, found: Desired) -> Desired:
    """`found` with the custom project roles of `roles` (role ids, UNKNOWN for one this plan
    creates) and the references apply resolves (`roles.<i>` -> `Role/x`); blocked when one is
    not a role of the member's project."""
    spec = resource.spec
    assert isinstance(spec, ProjectMemberSpec)
    ids: list[str] = []
    references = dict(found.references)
    for index, reference in enumerate(r for r in resource.references if r.field[:1] == ("roles",)):
        target = ctx.stack.resources.get(reference.address)
        role_project = getattr(target.spec, "project", None) if target is not None else None
        if role_project is None or role_project != spec.project:
            where = role_project or "the organization"
            return replace(
                found,
                blocked=f"{reference.address} is a role of {where}, not of this member's "
                f"project ({spec.project or 'the default project'}): roles: names custom roles "
                "of the same project",
            )
        known = ctx.known_ids.get(reference.address)
        ids.append(known.partition(".")[2] if known else UNKNOWN)
        references[f"roles.{index}"] = reference.address
    view = {**found.view, "roles": sorted(ids)}
    return replace(
        found, view=view, payload={**found.payload, "roles": sorted(ids)}, references=references
    )
