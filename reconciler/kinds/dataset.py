"""Planning logic of `Dataset`: content-addressed files, never changed in place.

Called by `planner.build_plan` through `reconciler.kinds.PLANNERS`. The desired view is the
content digest, the purpose and the project; the live match is the stack's file whose filename
carries this manifest's name (preferring the one with the wanted content). New content, a new
purpose or another project means a new file: a replace, naming what changed. Other files with
the same name are superseded copies left by an interrupted replace (deposed, then deleted).
A name holding `--` is blocked: it could not be read back from the filename unambiguously.
A dataset a `block` ModerationPolicy flags is blocked (line numbers and scores, never text);
a `warn` policy's findings are warnings (both read from the policies' live objects).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path, PurePath

from reconciler.kinds.base import (
    Desired,
    ImportContext,
    Imported,
    Match,
    PlanContext,
    default_change_reason,
    short,
)
from reconciler.models.base import Resource
from reconciler.models.dataset import DatasetSpec
from reconciler.moderation import PolicyFindings
from reconciler.plan import UNKNOWN, FieldChange
from reconciler.state import (
    HOME_PROJECT,
    LiveObject,
    content_digest,
    dataset_filename,
)


class DatasetPlanner:
    kind = "Dataset"
    warns_shutdowns = True  # its model only counts tokens: nothing runs on it
    data_plane = True  # not in the audit log (attributed drift says so)

    def desired(self, resource: Resource, ctx: PlanContext) -> Desired:
        spec = resource.spec
        assert isinstance(spec, DatasetSpec)
        project, references = _desired_project(resource, ctx)
        facts = ctx.facts.get(resource.address)
        if facts is None:
            return Desired(view={}, payload={}, blocked=f"{spec.file} was not checked")
        details = tuple(facts.summary_lines())
        if facts.has_errors:
            blocked = f"{spec.file} has errors (run `reconciler validate` to see them)"
            return Desired(view={}, payload={}, details=details, blocked=blocked)
        suffix = PurePath(spec.file).suffix or ".jsonl"
        filename = dataset_filename(ctx.stack.name, resource.name, facts.sha256, suffix)
        view = {"file": content_digest(facts.sha256), "purpose": spec.purpose, "project": project}
        payload = {
            "filename": filename,
            "path": _relative_to_root(resource.base_dir / spec.file, ctx.stack.root),
            "purpose": spec.purpose,
            "sha256": facts.sha256,
            "bytes": facts.size,
            "project": project,
        }
        warnings = tuple(
            f"{spec.file}{f':{p.line}' if p.line else ''}: {p.message} [{p.code}]"
            for p in facts.problems
            if p.severity == "warning"
        )
        moderation = _moderation_findings(ctx)
        blocks = [b for f in moderation if (b := f.blocked_reason(resource.address)) is not None]
        warnings += tuple(w for f in moderation if (w := f.warning(resource.address)) is not None)
        if blocks:
            return Desired(view={}, payload={}, details=details, blocked="; ".join(blocks))
        return Desired(
            view=view,
            payload=payload,
            references=references,
            details=details,
            warnings=warnings,
        )

    def match(self, resource: Resource, desired: Desired, ctx: PlanContext) -> Match:
        copies = ctx.live.at_address(self.kind, resource.address)
        if not copies:
            return Match()
        current = max(copies, key=lambda obj: _preference(obj, desired))
        deposed = tuple(obj for obj in copies if obj is not current)
        return Match(current=current, deposed=deposed, created_by_stack=True)

    def import_spec(self, live: LiveObject, ctx: ImportContext) -> Imported:
        """Never: a Dataset is its local file, and the API does not give back the content of
        fine-tuning files (nor of `user_data` files); a file the stack did not upload has no
        name the stack could own it by."""
        return Imported(
            name=live.key,
            reason="a Dataset is declared with its local file (`spec.file`), and the API does not "
            "give back the content of fine-tuning or user_data files: put the JSONL file in the "
            "stack's folder and declare it; apply uploads it under the stack's name",
        )

    def create_reason(self, resource: Resource, desired: Desired, match: Match) -> str:
        return f"sha256 {short(desired.view['file'])} is not uploaded yet"

    def noop_reason(self, desired: Desired, current: LiveObject) -> str:
        return f"sha256 {short(desired.view['file'])} is already uploaded as {current.live_id}"

    def change_reason(self, changes: Sequence[FieldChange], *, replace: bool) -> str:
        parts = []
        for change in changes:
            if change.path == "spec.file":
                parts.append(f"content changed: sha256 {short(change.old)} → {short(change.new)}")
            elif change.path == "spec.project":
                parts.append(f"project changed: {change.old} → {change.new}")
        if not parts:
            return default_change_reason(changes, replace=replace)
        return "; ".join(parts)

    def adopt_reason(self, match: Match, ctx: PlanContext) -> str:
        raise AssertionError("datasets are found by their filename mark, never adopted")

    def delete_reason(self, obj: LiveObject) -> str:
        return f"no manifest declares {obj.address} any more ({obj.key})"

    def live_dependencies(self, obj: LiveObject, ctx: PlanContext) -> tuple[str, ...]:
        project = ctx.live.find("Project", str(obj.attributes.get("project")))
        if project is None or project.address is None:
            return ()
        return (project.address,)


def _moderation_findings(ctx: PlanContext) -> list[PolicyFindings]:
    """The findings of the stack's moderation policies (their readers' live objects)."""
    found = (PolicyFindings.from_info(obj.info) for obj in ctx.live.of_kind("ModerationPolicy"))
    return sorted((f for f in found if f is not None), key=lambda f: f.policy)


def _desired_project(resource: Resource, ctx: PlanContext) -> tuple[str, dict[str, str]]:
    """The live id of the dataset's project (or UNKNOWN), and the reference that fills it."""
    reference = next((r for r in resource.references if r.field[:1] == ("project",)), None)
    if reference is not None:
        live_id = ctx.known_ids.get(reference.address)
        return (live_id or UNKNOWN), {"project": reference.address}
    spec = resource.spec
    assert isinstance(spec, DatasetSpec)
    if spec.project is not None and not spec.project.startswith("Project/"):
        return spec.project, {}
    return ctx.stack.config.default_project_id or HOME_PROJECT, {}


def _preference(obj: LiveObject, desired: Desired) -> tuple[bool, bool, bool, int, str]:
    """Same content, then same project and purpose, then the newest."""
    attributes, view = obj.attributes, desired.view
    return (
        attributes.get("file") == view.get("file"),
        attributes.get("project") == view.get("project"),
        attributes.get("purpose") == view.get("purpose"),
        obj.created_at,
        obj.live_id,
    )


def _relative_to_root(path: Path, root: Path) -> str:
    try:
        return path.absolute().relative_to(root.absolute()).as_posix()
    except ValueError:
        return path.absolute().as_posix()
