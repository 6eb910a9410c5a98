"""`reconciler import`: write manifests for live objects no manifest accounts for.

Called by `cli.import_command`. Reads the stack's live state as `plan` does, then everything that
may be imported (`providers.importing.read_importable`), and plans: a live object the plan matches
to a declared manifest is accounted for. Each other object in scope (one `KIND ID`, or with `--all`
every project, user, group, custom role and pending invite of the organization (objects without a
`project`), or every object of `--project`) goes through its kind planner's `import_spec` hook
(`kinds.base.Imported`): a spec (validated with the kind's model), the id to pin, whether the
ownership registry records it as adopted, or the reason it cannot be imported. A kind added later
is covered by giving its planner that hook; nothing here names a kind. New documents go to `--out`
(default `imported.yaml` in the stack's folder; appended to an existing file, whose text is left as
it is). `--in-place` instead edits the manifests that already declare objects in scope, pinning
`metadata.id` and setting the spec to the live values (a ruamel round trip: comments and layout are
kept). The next `plan` is a no-op.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from reconciler import cli as commands
from reconciler.errors import ConfigError
from reconciler.kinds import PLANNERS
from reconciler.kinds.base import ImportContext, Imported
from reconciler.models import KINDS
from reconciler.models.base import API_VERSION
from reconciler.plan import Action, Plan
from reconciler.state import HOME_PROJECT, LiveObject, LiveState

DEFAULT_OUT = "imported.yaml"
_DECLARED = "already declared by"


@dataclass
class Outcome:
    """What one import did: new documents, edited manifests, and what was skipped and why."""

    written: list[tuple[str, LiveObject, Imported]] = field(default_factory=list)
    edited: list[tuple[str, str]] = field(default_factory=list)  # address, file
    skipped: list[tuple[LiveObject, str]] = field(default_factory=list)
    quiet: list[tuple[LiveObject, str]] = field(default_factory=list)  # not reported by --all
    notes: list[str] = field(default_factory=list)  # what could not be read, and why


def run_import(
    path: Path,
    target: tuple[str, str] | None,
    *,
    all_objects: bool,
    project: str | None,
    out: Path | None,
    in_place: bool,
    use_sandbox: bool,
    stack_name: str | None,
) -> None:
    from reconciler.planner import build_plan
    from reconciler.providers import read_live_state
    from reconciler.providers.importing import ORGANIZATION_KINDS, read_importable

    if target is None and not all_objects:
        raise ConfigError("import what? give `KIND ID` (e.g. `Project proj_abc`) or --all")
    if target is not None and target[0] not in KINDS:
        raise ConfigError(f"import {target[0]}: no such kind; kinds: {', '.join(sorted(KINDS))}")
    stack, reports = commands._load_offline(path, stack_name)
    with commands._clients(use_sandbox, stack.root) as clients:
        live = read_live_state(stack, clients)
        first = build_plan(stack, live, reports=reports, manifests_path=str(path))
        refs = _declared_projects(first, stack.resources)
        scope_projects = _scope_projects(target, project, refs, stack)
        organization = (target is None and project is None) or (
            target is not None and target[0] in ORGANIZATION_KINDS
        )
        importable = read_importable(
            stack.name,
            clients,
            live,
            scope_projects,
            organization=organization,
            complete=target is not None,
        )
        live = importable.live
        planned = build_plan(stack, live, reports=reports, manifests_path=str(path))
        accounted = _accounted(planned, stack.resources)
        objects = _in_scope(live, target, all_objects, scope_projects, importable.notes)
        outcome = _import(stack, live, objects, accounted, refs, in_place=in_place)
        outcome.notes = importable.notes
        if target is not None and (outcome.skipped or outcome.quiet):
            obj, reason = (outcome.skipped or outcome.quiet)[0]
            raise ConfigError(f"cannot import {obj.kind} {obj.live_id}: {reason}")
        destination = out if out is not None else stack.root / DEFAULT_OUT
        if outcome.written:
            _write_documents(destination, outcome.written)
            _record_adopted(clients, stack.name, outcome.written)
    _report(outcome, destination)


def parse_arguments(args: tuple[str, ...]) -> tuple[tuple[str, str] | None, Path]:
    """`[PATH]` or `KIND ID [PATH]`."""
    if args and args[0][:1].isupper():
        if len(args) < 2:
            raise ConfigError(f"import {args[0]}: give the live id too (`import {args[0]} ID`)")
        if len(args) > 3:
            raise ConfigError("import takes KIND ID [PATH]")
        return (args[0], args[1]), Path(args[2] if len(args) == 3 else ".")
    if len(args) > 1:
        raise ConfigError("import takes [PATH] with --all, or KIND ID [PATH]")
    return None, Path(args[0] if args else ".")


# -- what is in scope, what is accounted for -----------------------------------------------------


def _declared_projects(plan: Plan, declared: Any) -> dict[str, str]:
    """Live project id -> the `Project/name` that declares it."""
    return {
        c.live_id: c.address
        for c in plan.changes
        if c.kind == "Project" and c.live_id and c.address in declared
    }


def _scope_projects(
    target: tuple[str, str] | None, project: str | None, refs: dict[str, str], stack: Any
) -> set[str]:
    """The projects whose collections are read: `--project`, the target's own, else (for a
    target without a project in its id) the stack's declared projects and the project its
    data goes to by default (`default_project`, else the API key's own)."""
    if project is not None:
        if project.startswith("Project/"):
            by_address = {a: i for i, a in refs.items()}
            if project not in by_address:
                raise ConfigError(
                    f"--project {project}: no such Project in the stack (or not yet applied)"
                )
            return {by_address[project]}
        return {project}
    if target is not None and "." in target[1] and target[1].startswith("proj_"):
        return {target[1].partition(".")[0]}
    if target is None or target[0] == "Project" or target[0] in _organization_kinds():
        return set()  # --all alone: the organization's own objects (projects, users, ...)
    found = set(refs)
    found.add(stack.config.default_project_id or HOME_PROJECT)
    return found


def _organization_kinds() -> tuple[str, ...]:
    from reconciler.providers.importing import ORGANIZATION_KINDS

    return ORGANIZATION_KINDS


def _accounted(plan: Plan, declared: Any) -> dict[str, str]:
    """Live id -> the declared address whose manifest manages it."""
    return {
        c.live_id: c.address
        for c in plan.changes
        if c.live_id and c.address in declared and c.action is not Action.BLOCKED
    }


def _in_scope(
    live: LiveState,
    target: tuple[str, str] | None,
    all_objects: bool,
    projects: set[str],
    notes: list[str],
) -> list[LiveObject]:
    if target is not None:
        kind, live_id = target
        found = live.find(kind, live_id)
        if found is None:
            where = f" in project(s) {', '.join(sorted(projects))}" if projects else ""
            unread = "".join(f"; {note}" for note in notes)
            raise ConfigError(f"import {kind} {live_id}: no such live object{where}{unread}")
        return [found]
    importable = [k for k, p in PLANNERS.items() if hasattr(p, "import_spec")]
    chosen = []
    for obj in live.objects:
        if obj.kind not in importable or (obj.status != "active" and obj.kind == "Project"):
            continue
        if obj.kind == "Project":
            if not projects or obj.live_id in projects:  # --all alone: every project
                chosen.append(obj)
        elif "project" in obj.attributes:
            if obj.attributes["project"] in projects:
                chosen.append(obj)
        elif not projects:  # --all alone: the organization's users, groups, roles, invites
            chosen.append(obj)
    order = {kind: i for i, kind in enumerate(sorted(importable))}
    order["Project"] = -1  # first: the others write their project as its new `Project/name`
    return sorted(chosen, key=lambda o: (order.get(o.kind, 99), o.key))


# -- turning live objects into documents ---------------------------------------------------------


def _import(
    stack: Any,
    live: LiveState,
    objects: list[LiveObject],
    accounted: dict[str, str],
    refs: dict[str, str],
    *,
    in_place: bool,
) -> Outcome:
    outcome = Outcome()
    project_refs = dict(refs)
    used: set[str] = {address for address in stack.resources}
    for obj in objects:
        hook = getattr(PLANNERS.get(obj.kind), "import_spec", None)
        if hook is None:
            outcome.skipped.append((obj, f"{obj.kind} cannot be imported (no import_spec)"))
            continue
        imported: Imported = hook(obj, ImportContext(stack, live, project_refs))
        if imported.spec is None:
            skipped = outcome.quiet if imported.quiet else outcome.skipped
            skipped.append((obj, imported.reason or "cannot be imported"))
            continue
        problem = _spec_problem(obj.kind, imported.spec)
        if problem is not None:
            outcome.skipped.append((obj, f"the live object does not fit a manifest: {problem}"))
            continue
        if obj.live_id in accounted:
            address = accounted[obj.live_id]
            if in_place:
                edited = _edit_in_place(stack.resources[address], imported, obj)
                if edited is not None:
                    outcome.edited.append((address, edited))
                continue
            outcome.skipped.append((obj, f"{_DECLARED} {address}"))
            continue
        name = _unique(obj, imported.name, used)
        address = f"{obj.kind}/{name}"
        used.add(address)
        if obj.kind == "Project":
            project_refs[obj.live_id] = address
        outcome.written.append((address, obj, imported))
    return outcome


def _unique(obj: LiveObject, suggested: str, used: set[str]) -> str:
    """The registry's old name for an orphan the stack owns, else `suggested`, made unique."""
    if obj.address and obj.address not in used and obj.address.startswith(f"{obj.kind}/"):
        return obj.address.partition("/")[2]
    name, n = suggested, 2
    while f"{obj.kind}/{name}" in used:
        name = f"{suggested[:59]}-{n}"
        n += 1
    return name


def _spec_problem(kind: str, spec: dict[str, Any]) -> str | None:
    from pydantic import ValidationError

    try:
        KINDS[kind].spec_model.model_validate(spec)
    except ValidationError as error:
        first = error.errors()[0]
        return f"spec.{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
    return None


def _document(address: str, obj: LiveObject, imported: Imported) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": address.partition("/")[2]}
    if imported.pin_id:
        metadata["id"] = obj.live_id
    return {
        "apiVersion": API_VERSION,
        "kind": obj.kind,
        "metadata": metadata,
        "spec": imported.spec,
    }


def _yaml() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 100
    return yaml


def _write_documents(path: Path, written: list[tuple[str, LiveObject, Imported]]) -> None:
    """Append the new documents to `path` (its existing text is kept as it is)."""
    yaml = _yaml()
    parts = []
    for address, obj, imported in written:
        text = io.StringIO()
        yaml.dump(_document(address, obj, imported), text)
        where = (
            ""
            if obj.attributes.get("project") in (None, HOME_PROJECT)
            else (f" in project {obj.attributes['project']}")
        )
        head = f"# imported from {obj.live_id}{where} by `reconciler import`"
        if imported.note:
            head += f"\n# {imported.note}"
        parts.append(f"{head}\n{text.getvalue()}")
    existing = path.read_text(encoding="utf-8") if path.is_file() else ""
    if existing and not existing.endswith("\n"):
        existing += "\n"
    separator = "---\n" if existing.strip() else ""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(existing + separator + "---\n".join(parts), encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"cannot write {path}: {error.strerror or error}; choose --out") from None


def _edit_in_place(resource: Any, imported: Imported, obj: LiveObject) -> str | None:
    """Pin `metadata.id` and set the spec to the live values in the manifest that declares
    `obj`, keeping the file's comments and layout; the file, or None when nothing changed.
    References (`Kind/name`) and `key_sink` are left as written."""
    path = Path(resource.location.file)
    yaml = _yaml()
    documents = list(yaml.load_all(path.read_text(encoding="utf-8")))
    document = next(
        d
        for d in documents
        if isinstance(d, dict)
        and d.get("kind") == obj.kind
        and (d.get("metadata") or {}).get("name") == resource.name
    )
    changed = False
    if imported.pin_id and document["metadata"].get("id") != obj.live_id:
        document["metadata"]["id"] = obj.live_id
        changed = True
    spec = document.setdefault("spec", {})
    for key, value in (imported.spec or {}).items():
        current = spec.get(key)
        if key == "key_sink" and current is not None:
            continue
        if isinstance(current, str) and "/" in current and current[:1].isupper():
            continue  # a reference: it resolves to the same object, keep it readable
        if current != value:
            spec[key] = value
            changed = True
    if not changed:
        return None
    text = io.StringIO()
    yaml.dump_all(documents, text)
    path.write_text(text.getvalue(), encoding="utf-8")
    return str(path)


def _record_adopted(
    clients: Any, stack_name: str, written: list[tuple[str, LiveObject, Imported]]
) -> None:
    """Bind what the registry matches by (members, service accounts) to the new manifests, as
    adopted: the next plan finds them, and never deletes them."""
    from reconciler.providers.ownership import OwnershipStore

    recorded = [(address, obj) for address, obj, imported in written if imported.record]
    if not recorded:
        return
    store = OwnershipStore(clients, stack_name)
    for address, obj in recorded:
        store.record(address, obj.live_id, created=False)


def _report(outcome: Outcome, destination: Path) -> None:
    if outcome.written:
        click.echo(f"Imported {len(outcome.written)} object(s) into {destination}:")
        for address, obj, imported in outcome.written:
            pinned = " (metadata.id pinned)" if imported.pin_id else ""
            adopted = " (recorded as adopted)" if imported.record else ""
            click.echo(f"  + {address} ← {obj.live_id}{pinned}{adopted}")
    for address, file in outcome.edited:
        click.echo(f"  ~ {address}: {file} edited in place (id pinned, spec set to live values)")
    declared = [obj for obj, reason in outcome.skipped if reason.startswith(_DECLARED)]
    for obj, reason in outcome.skipped:
        if not reason.startswith(_DECLARED):
            click.echo(f"  skipped {obj.kind} {obj.live_id}: {reason}")
    if declared:
        click.echo(f"  {len(declared)} object(s) in scope already declared by a manifest")
    for note in outcome.notes:
        click.echo(f"  {note}")
    if not outcome.written and not outcome.edited:
        click.echo(
            "Nothing to import: every object in scope is accounted for or cannot be imported."
        )
    else:
        click.echo("Run `reconciler plan` to check: it shows no change for what was imported.")


@click.command("import")
@click.argument("args", nargs=-1, metavar="[KIND ID] [PATH]")
@click.option(
    "--all",
    "all_objects",
    is_flag=True,
    help="Every object no manifest accounts for: the organization's projects, users, groups, "
    "custom roles and pending invites, or with --project every member, service account, "
    "custom role and fine-tuning job of that project (its jobs "
    "need a key of that project: OPENAI_API_KEY's own, or one named under project_keys).",
)
@click.option(
    "--project", metavar="PROJECT", help="A project id or Project/name: import what is in it."
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help=f"Where the new manifests go (default: {DEFAULT_OUT} in the stack's folder; an "
    "existing file is appended to).",
)
@click.option(
    "--in-place",
    is_flag=True,
    help="Also edit the manifests that already declare objects in scope: pin metadata.id and "
    "set the spec to the live values (comments and layout kept).",
)
@commands.sandbox_option
@commands.stack_option
def import_command(
    args: tuple[str, ...],
    all_objects: bool,
    project: str | None,
    out: Path | None,
    in_place: bool,
    use_sandbox: bool,
    stack_name: str | None,
) -> None:
    """Write manifests for live objects: `import KIND ID [PATH]` (e.g. `import Project
    proj_abc`) or `import --all [--project P] [PATH]`; the next plan is a no-op."""
    target, path = parse_arguments(args)
    if not path.exists():
        raise ConfigError(f"import: {path} does not exist (give the stack's folder)")
    run_import(
        path,
        target,
        all_objects=all_objects,
        project=project,
        out=out,
        in_place=in_place,
        use_sandbox=use_sandbox,
        stack_name=stack_name,
    )
