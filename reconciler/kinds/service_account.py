"""Planning logic of `ServiceAccount`: which live account a manifest manages, its name and role.

Called by `planner.build_plan` through `reconciler.kinds.PLANNERS`. The manifest manages the
account the ownership registry binds to it (so a new `name` is a rename in place). Without a
binding, an account of the project with the declared name is: made by an interrupted apply of
this stack (created since its lock): recorded as the stack's own when its key reached the
`key_sink` file; otherwise its key is lost, so a new account is created and that one removed;
made elsewhere: adopted (apply records it; no key is issued, its keys stay where they are).
`key_sink` is local: the payload carries it (never a key), the live object never does.
With `max_key_age`, the view declares `key_rotation_due: false`; the reader sets it true once
the account's newest key is that old, which plans an update that replaces the account
(`ServiceAccountProvider.update`, `providers/key_rotation.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
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
from reconciler.kinds.scoped import (
    NO_PROJECT,
    bound_object,
    desired_project,
    made_by_interrupted_apply,
    project_dependency,
)
from reconciler.models.base import Resource
from reconciler.models.service_account import GithubOutputSink, ServiceAccountSpec
from reconciler.plan import UNKNOWN, FieldChange
from reconciler.state import LiveObject

KEY_ROTATION_DUE = "key_rotation_due"


class ServiceAccountPlanner:
    kind = "ServiceAccount"

    def desired(self, resource: Resource, ctx: PlanContext) -> Desired:
        spec = resource.spec
        assert isinstance(spec, ServiceAccountSpec)
        project, references = desired_project(resource, ctx)
        if project is None:
            return Desired(view={}, payload={}, blocked=NO_PROJECT)
        view: dict[str, Any] = {"project": project, "name": spec.name, "role": spec.role}
        if spec.max_key_age is not None:
            view[KEY_ROTATION_DUE] = False  # the reader says True once the newest key is old
        payload = {**view, "key_sink": _sink_payload(resource, spec, ctx.stack.root)}
        return Desired(view=view, payload=payload, references=references)

    def match(self, resource: Resource, desired: Desired, ctx: PlanContext) -> Match:
        accounts = ctx.live.of_kind(self.kind)
        entry = ctx.live.ownership.entry(resource.address)
        bound = bound_object(resource.address, accounts)
        if bound is not None and entry is not None:
            return Match(current=bound, created_by_stack=entry.created)
        project = str(desired.view["project"])
        if project == UNKNOWN:
            return Match()
        named = [
            a
            for a in accounts
            if a.address is None
            and a.attributes.get("project") == project
            and a.attributes.get("name") == desired.view["name"]
        ]
        ours = [a for a in named if made_by_interrupted_apply(a, ctx)]
        if ours:
            newest = max(ours, key=lambda a: (a.created_at, a.live_id))
            deposed = tuple(a for a in ours if a is not newest)
            if _key_file_exists(desired, ctx.stack.root):
                return Match(current=newest, adopt=True, created_by_stack=True, deposed=deposed)
            return Match(
                deposed=tuple(ours),
                note="the account an interrupted apply made lost its key: it is removed",
            )
        if len(named) > 1:
            ids = ", ".join(a.live_id for a in named)
            return Match(
                blocked=f"{len(named)} service accounts of project {project} are named "
                f"'{desired.view['name']}' ({ids}): remove the extra ones"
            )
        if named:
            return Match(current=named[0], adopt=True)
        return Match()

    def import_spec(self, live: LiveObject, ctx: ImportContext) -> Imported:
        """The account's name and role; recorded as adopted. `key_sink` is required: a file
        under `secrets/`, which receives a key only if the account is ever replaced (adopting
        issues no key; its existing keys stay where they are)."""
        account = str(live.attributes.get("name") or "")
        ref = ctx.project_ref(str(live.attributes.get("project") or ""))
        name = manifest_name(account, ref.removeprefix("Project/"))
        spec = {
            "project": ref,
            "name": account,
            "role": live.attributes.get("role"),
            "key_sink": {"file": f"secrets/{name}.key"},
        }
        note = "adopted: no key is issued; key_sink gets one only if the account is replaced"
        return Imported(name=name, spec=spec, record=True, note=note)

    def create_reason(self, resource: Resource, desired: Desired, match: Match) -> str:
        sink = desired.payload["key_sink"]
        where = f"file {sink['file']}" if "file" in sink else f"output {sink['github_output']}"
        reason = (
            f"no service account '{desired.view['name']}' in project {desired.view['project']}; "
            f"its key goes to {where}"
        )
        return f"{reason} ({match.note})" if match.note else reason

    def noop_reason(self, desired: Desired, current: LiveObject) -> str:
        return f"'{desired.view['name']}' is already {desired.view['role']} of the project"

    def change_reason(self, changes: Sequence[FieldChange], *, replace: bool) -> str:
        rotation = any(c.path == f"spec.{KEY_ROTATION_DUE}" for c in changes)
        others = [c for c in changes if c.path != f"spec.{KEY_ROTATION_DUE}"]
        if not rotation:
            return default_change_reason(changes, replace=replace)
        reason = (
            "rotate the key: the newest is max_key_age old or older; a new account of the same "
            "name and role gets a key, in the sink first, then the old account and its keys "
            "are removed"
        )
        if not others:
            return reason
        return f"{default_change_reason(others, replace=replace)}; {reason}"

    def adopt_reason(self, match: Match, ctx: PlanContext) -> str:
        assert match.current is not None
        found = (
            f"service account '{match.current.attributes.get('name')}' ({match.current.live_id})"
        )
        reason = adopt_reason_for(found, match, ctx, how=" by its name")
        if match.created_by_stack:
            return reason
        return f"{reason} (no key is issued: its keys stay where they are)"

    def delete_reason(self, obj: LiveObject) -> str:
        return (
            f"no manifest declares {obj.address} any more (service account "
            f"'{obj.attributes.get('name')}' of project {obj.attributes.get('project')}; "
            "its keys are revoked)"
        )

    def live_dependencies(self, obj: LiveObject, ctx: PlanContext) -> tuple[str, ...]:
        return project_dependency(obj, ctx)


def _sink_payload(resource: Resource, spec: ServiceAccountSpec, root: Path) -> dict[str, Any]:
    sink = spec.key_sink
    if isinstance(sink, GithubOutputSink):
        return {"github_output": sink.github_output}
    path = Path(sink.file)
    if path.is_absolute():
        return {"file": path.as_posix()}
    absolute = (resource.base_dir / path).absolute()
    try:
        return {"file": absolute.relative_to(root.absolute()).as_posix()}
    except ValueError:
        return {"file": absolute.as_posix()}


def _key_file_exists(desired: Desired, root: Path) -> bool:
    """Whether the key reached its sink (a file relative to the stack's folder, or absolute);
    an output of an earlier CI job cannot be checked, so it counts as delivered."""
    sink = desired.payload["key_sink"]
    return "file" not in sink or (root / str(sink["file"])).is_file()
