"""Helpers of the planners of project-scoped Administration API kinds (members, service
accounts): which project a manifest names, and how a live object binds to its manifest.

Used by `kinds/project_member.py` and `kinds/service_account.py`; pure, like every planner.
"""

from __future__ import annotations

from typing import Any

from reconciler.kinds.base import PlanContext
from reconciler.models.base import Resource
from reconciler.plan import UNKNOWN
from reconciler.state import LiveObject

NO_PROJECT = (
    "names no project: set `project: Project/<name>` (or a project id), or `default_project` "
    "in reconciler.yaml"
)


def desired_project(resource: Resource, ctx: PlanContext) -> tuple[str | None, dict[str, str]]:
    """The live id of the resource's project (UNKNOWN until a created project exists), the
    reference that fills it at apply time, or None when it names no project at all."""
    reference = next((r for r in resource.references if r.field[:1] == ("project",)), None)
    if reference is not None:
        return (ctx.known_ids.get(reference.address) or UNKNOWN), {"project": reference.address}
    project: Any = getattr(resource.spec, "project", None)
    if isinstance(project, str) and project:
        return project, {}
    return ctx.stack.config.default_project_id, {}


def bound_object(address: str, objects: list[LiveObject]) -> LiveObject | None:
    """The live object the ownership registry binds to `address`, if it is still there."""
    return next((obj for obj in objects if obj.address == address), None)


def made_by_interrupted_apply(obj: LiveObject, ctx: PlanContext) -> bool:
    """Created since an unfinished apply of this stack started: that apply's own object."""
    since = ctx.live.ownership.unfinished_since
    return since is not None and obj.created_at >= since


def project_dependency(obj: LiveObject, ctx: PlanContext) -> tuple[str, ...]:
    project = ctx.live.find("Project", str(obj.attributes.get("project")))
    if project is None or project.address is None:
        return ()
    return (project.address,)
