"""Build a Plan from the desired state (a Stack) and the live state (a LiveState): pure.

`cli.py` loads the stack, has the providers read a `LiveState`, checks the datasets, then calls
`build_plan`; tests call it with live state written as data. Nothing here calls the API. Each
resource gets exactly one action (in dependency order), owned live objects no manifest declares
get a delete (and kinds may add lines once the rest is planned: a planner's optional
`extra_changes` hook), and the plan records digests of its inputs so `apply PLANFILE` can
refuse it once they change (`check_plan_is_current`; `changed_manifests` is the offline part
`show` warns with).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from reconciler.config import CONFIG_FILENAME
from reconciler.diff import diff_attributes
from reconciler.errors import StalePlanError
from reconciler.graph import DependencyGraph
from reconciler.kinds import PLANNERS, DatasetFacts, Desired, Match, PlanContext
from reconciler.kinds.project_keys import waiting_for_project_key
from reconciler.kinds.uses import declared_facts, shutdown_warnings
from reconciler.manifests import Stack
from reconciler.manifests.discovery import stack_root
from reconciler.models import KINDS, KindInfo, Resource
from reconciler.plan import Action, Plan, ResourceChange
from reconciler.state import OWNERSHIP_STATE_KEY, LiveObject, LiveState, fingerprint

Mode = Literal["apply", "drift"]


def build_plan(
    stack: Stack,
    live: LiveState,
    *,
    reports: Mapping[str, DatasetFacts],
    manifest_digests: Mapping[str, str] | None = None,
    mode: Mode = "apply",
    manifests_path: str | None = None,
    created_at: str | None = None,
) -> Plan:
    """The changes that make `live` match `stack`; `reports` holds dataset checks by address."""
    planning = _Planning(stack, live, reports)
    for address in DependencyGraph.from_resources(stack.resources.values()).order():
        planning.plan_resource(stack.resources[address])
    planning.plan_orphans()
    planning.plan_extra_changes()
    digests = dict(manifest_digests or {})
    state_digests = planning.state_digests()
    return Plan(
        mode=mode,
        stack=stack.name,
        created_at=created_at or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        manifests_path=manifests_path or str(stack.root),
        manifest_fingerprint=fingerprint(digests),
        state_fingerprint=fingerprint(state_digests),
        manifest_digests=digests,
        state_digests=state_digests,
        changes=tuple(planning.changes.values()),
        requests=live.requests,
        minimum_requests=live.minimum_requests,
        refresh=live.refresh,
        warnings=(
            *(f"{d.location}: {d.message}" for d in stack.warnings),
            *planning.live_warnings,
        ),
    )


class _Planning:
    """The state of one planning pass: changes so far, live ids known, live objects looked at."""

    def __init__(self, stack: Stack, live: LiveState, reports: Mapping[str, DatasetFacts]):
        self.stack = stack
        self.live = live
        self.changes: dict[str, ResourceChange] = {}
        self.known_ids: dict[str, str | None] = {}
        self.consulted: dict[str, LiveObject] = {}
        self.live_warnings: list[str] = _unfinished_apply_warnings(stack, live)
        self.ctx = PlanContext(stack, live, reports, self.known_ids)

    def plan_resource(self, resource: Resource) -> None:
        base = _base_fields(resource) | declared_facts(resource, self.ctx)
        self.known_ids[resource.address] = None
        blocking = next(
            (d for d in base["depends_on"] if self._action_of(d) is Action.BLOCKED), None
        )
        if blocking is not None:
            self._add(ResourceChange(action=Action.BLOCKED, reason=_blocked_by(blocking), **base))
            return
        no_key = waiting_for_project_key(resource, self.stack, self._action_of)
        if no_key is not None:
            self._add(ResourceChange(action=Action.BLOCKED, reason=no_key, **base))
            return
        planner = PLANNERS[resource.kind]
        desired = planner.desired(resource, self.ctx)
        base["details"], base["warnings"] = desired.details, desired.warnings
        if not getattr(planner, "warns_shutdowns", False):  # every other model a spec names
            base["warnings"] = (*desired.warnings, *shutdown_warnings(resource, self.ctx))
        base["cost"] = desired.cost
        match = Match() if desired.blocked else planner.match(resource, desired, self.ctx)
        self.live_warnings += [f"{resource.address}: {w}" for w in match.warnings]
        blocked = desired.blocked or match.blocked
        if blocked is not None:
            self._add(ResourceChange(action=Action.BLOCKED, reason=blocked, **base))
            return
        if match.wait is not None and match.current is not None:
            self._consult(match.current)  # a plan made while it runs is stale once it ends
            self._add(
                ResourceChange(
                    action=Action.WAIT,
                    reason=match.wait,
                    live_id=match.current.live_id,
                    live_attributes=dict(match.current.attributes),
                    **base,
                )
            )
            return
        self._add(self._change_for(resource, desired, match, base))
        for obj in match.deposed:
            self._add(self._deposed_delete(resource, obj))

    def _change_for(
        self, resource: Resource, desired: Desired, match: Match, base: dict[str, Any]
    ) -> ResourceChange:
        planner = PLANNERS[resource.kind]
        base |= {"desired": desired.payload, "references": desired.references}
        current = match.current
        if current is None:
            reason = planner.create_reason(resource, desired, match)
            # fields a kind compares but nobody declares (a digest, the status it waits for)
            # are not shown as added: a reviewer reads what the manifest asks for
            hidden: frozenset[str] = getattr(planner, "create_hidden_fields", frozenset())
            shown = {k: v for k, v in desired.view.items() if k not in hidden}
            base["changes"] = diff_attributes(shown, {})
            return ResourceChange(action=Action.CREATE, reason=reason, **base)
        self._consult(current)
        base["live_id"] = current.live_id
        base["live_attributes"] = dict(current.attributes)
        self.known_ids[resource.address] = current.live_id
        changes = diff_attributes(
            desired.view, current.attributes, replace_fields=_replace_fields(KINDS[resource.kind])
        )
        base["changes"] = changes
        if any(change.forces_replace for change in changes):
            self.known_ids[resource.address] = None
            reason = planner.change_reason(changes, replace=True)
            return ResourceChange(action=Action.REPLACE, reason=reason, **base)
        if match.adopt:
            base["desired"] = {**desired.payload, "record_ownership": match.created_by_stack}
            reason = planner.adopt_reason(match, self.ctx)
            if changes:
                reason += "; " + planner.change_reason(changes, replace=False)
            return ResourceChange(action=Action.UPDATE, reason=reason, **base)
        if changes:
            reason = planner.change_reason(changes, replace=False)
            return ResourceChange(action=Action.UPDATE, reason=reason, **base)
        reason = planner.noop_reason(desired, current)
        return ResourceChange(action=Action.NOOP, reason=reason, **base)

    def _deposed_delete(self, resource: Resource, obj: LiveObject) -> ResourceChange:
        self._consult(obj)
        info = KINDS[resource.kind]
        return ResourceChange(
            address=f"{resource.address}#{obj.live_id}",
            kind=resource.kind,
            name=resource.name,
            action=Action.DELETE,
            reason=f"superseded copy {obj.key}, left by an interrupted replace",
            live_id=obj.live_id,
            live_attributes=dict(obj.attributes),
            delete_verb=info.delete_verb,
            irreversible=info.delete_irreversible,
            deposed=True,
        )

    def plan_orphans(self) -> None:
        """A delete for each live object the stack created that no manifest declares; a no-op
        saying so for each one it adopted (it is left as it is)."""
        for obj in sorted(self.live.objects, key=lambda o: (o.address or "", o.live_id)):
            if not (obj.is_active and obj.address is not None):
                continue
            if obj.address in self.stack.resources or obj.kind not in PLANNERS:
                continue
            if not obj.owned:
                self._release_adopted(obj)
                continue
            planner = PLANNERS[obj.kind]
            if not getattr(planner, "orphan_needs_delete", _always)(obj):
                continue  # nothing left to do to it (a fine-tuning job that ended)
            self._consult(obj)
            address = obj.address
            if address in self.changes:
                address = f"{obj.address}#{obj.live_id}"
            info = KINDS[obj.kind]
            self._add(
                ResourceChange(
                    address=address,
                    kind=obj.kind,
                    name=obj.address.partition("/")[2],
                    action=Action.DELETE,
                    reason=planner.delete_reason(obj),
                    live_id=obj.live_id,
                    live_attributes=dict(obj.attributes),
                    depends_on=planner.live_dependencies(obj, self.ctx),
                    irreversible=info.delete_irreversible,
                    delete_verb=info.delete_verb,
                    delete_flag=info.delete_flag,
                )
            )

    def plan_extra_changes(self) -> None:
        """Lines a kind adds once the rest is planned, from what the other lines say (its
        planner's optional `extra_changes` hook; e.g. the fine-tuned models `on_delete:
        delete_model` retires once the job replacing them succeeded), each with the live
        object it is based on (the plan's state digest covers it)."""
        for planner in PLANNERS.values():
            hook = getattr(planner, "extra_changes", None)
            if hook is None:
                continue
            for change, obj in hook(self.ctx, self.changes):
                self._consult(obj)
                self._add(change)

    def _release_adopted(self, obj: LiveObject) -> None:
        """An adopted object whose manifest is gone: never deleted, so the plan says so."""
        assert obj.address is not None
        entry = self.live.ownership.entry(obj.address)
        if entry is None or entry.created or entry.live_id != obj.live_id:
            return  # not adopted through the registry (e.g. a finished batch): nothing to say
        if obj.address in self.changes:
            return
        self._add(
            ResourceChange(
                address=obj.address,
                kind=obj.kind,
                name=obj.address.partition("/")[2],
                action=Action.NOOP,
                reason=f"no manifest declares it any more: {obj.kind} '{obj.key}' "
                f"({obj.live_id}) was adopted, not created by stack '{self.stack.name}', so "
                "it is left as it is and no longer managed",
                live_id=obj.live_id,
            )
        )

    def state_digests(self) -> dict[str, str]:
        digests = {key: obj.digest() for key, obj in self.consulted.items()}
        digests[OWNERSHIP_STATE_KEY] = self.live.ownership.digest()
        return digests

    def _consult(self, obj: LiveObject) -> None:
        self.consulted[obj.state_key] = obj

    def _add(self, change: ResourceChange) -> None:
        self.changes[change.address] = change

    def _action_of(self, address: str) -> Action | None:
        change = self.changes.get(address)
        return None if change is None else change.action


def _always(obj: LiveObject) -> bool:
    return True


def _unfinished_apply_warnings(stack: Stack, live: LiveState) -> list[str]:
    """What the live state says is off beyond single resources: an apply still running."""
    since = live.ownership.unfinished_since
    if since is None:
        return []
    started = datetime.fromtimestamp(since, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return [
        f"an apply of stack '{stack.name}' started at {started} has not finished (it is "
        "running, or died holding the stack's lock): this plan may change once it ends; "
        "`reconciler apply` waits for it or breaks its lock when it is dead"
    ]


def _base_fields(resource: Resource) -> dict[str, Any]:
    graph_dependencies = sorted({reference.address for reference in resource.references})
    return {
        "address": resource.address,
        "kind": resource.kind,
        "name": resource.name,
        "depends_on": tuple(graph_dependencies),
        "location": str(resource.location),
    }


def _blocked_by(address: str) -> str:
    return f"depends on {address}, which is blocked"


def _replace_fields(info: KindInfo) -> frozenset[str]:
    if info.immutable:
        fields = set(info.spec_model.model_fields) - info.local_fields
        return frozenset(fields | info.replace_fields)
    return info.replace_fields


# -- fingerprints of the inputs ---------------------------------------------------------------


def digest_manifests(stack: Stack, reports: Mapping[str, DatasetFacts]) -> dict[str, str]:
    """sha256 per manifest file, the stack config and every data file, relative to the root."""
    digests: dict[str, str] = {}
    config = stack.root / CONFIG_FILENAME
    if config.is_file():
        digests[_relative(config, stack.root)] = _file_sha256(config)
    manifests: set[str] = set()  # a file of many documents is hashed once
    for resource in stack.resources.values():
        if resource.location.file not in manifests:
            manifests.add(resource.location.file)
            manifest = Path(resource.location.file)
            digests.setdefault(_relative(manifest, stack.root), _file_sha256(manifest))
        facts = reports.get(resource.address)
        for field_name in sorted(KINDS[resource.kind].file_fields):
            data_file = resource.base_dir / str(getattr(resource.spec, field_name))
            digest = facts.sha256 if facts is not None else _file_sha256(data_file)
            digests[_relative(data_file, stack.root)] = digest
    return digests


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return "missing"
    return digest.hexdigest()


def _relative(path: Path, root: Path) -> str:
    try:
        return path.absolute().relative_to(root.absolute()).as_posix()
    except ValueError:
        return path.absolute().as_posix()


def stale_reasons(saved: Plan, fresh: Plan) -> list[str]:
    """What changed between the inputs of a saved plan and those of a fresh one."""
    reasons = []
    if saved.stack != fresh.stack:
        reasons.append(f"the stack is now '{fresh.stack}', the plan was made for '{saved.stack}'")
    reasons += _differences("manifest", saved.manifest_digests, fresh.manifest_digests)
    reasons += _differences("live object", saved.state_digests, fresh.state_digests)
    return reasons


def _differences(what: str, before: Mapping[str, str], after: Mapping[str, str]) -> list[str]:
    found = []
    for key in sorted(set(before) | set(after)):
        if key not in after:
            found.append(f"{what} {key} is gone")
        elif key not in before:
            found.append(f"{what} {key} is new")
        elif before[key] != after[key]:
            found.append(f"{what} {key} changed")
    return found


def changed_manifests(saved: Plan) -> list[str]:
    """Without the API: the files `saved` was made from that changed or went away since
    (none when its manifests folder is not here: shown from another folder)."""
    root = stack_root(Path(saved.manifests_path))
    if not root.is_dir():
        return []
    now = {key: _file_sha256(root / key) for key in saved.manifest_digests}
    present = {key: digest for key, digest in now.items() if digest != "missing"}
    return _differences("manifest", saved.manifest_digests, present)


def check_plan_is_current(saved: Plan, fresh: Plan) -> None:
    """Raise StalePlanError naming what changed since `saved` was made."""
    reasons = stale_reasons(saved, fresh)
    if reasons:
        listed = "\n".join(f"  - {reason}" for reason in reasons)
        raise StalePlanError(
            f"the saved plan is stale: its inputs changed since it was made ({saved.created_at}):"
            f"\n{listed}\nRun `reconciler plan` again."
        )
