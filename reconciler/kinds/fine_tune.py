"""Planning logic of `FineTune`: one fine-tuning job per spec, found by its metadata tags.

Called by `planner.build_plan` through `reconciler.kinds.PLANNERS`. A job's identity is the
ownership tags apply writes into its `metadata` (`reconciler-stack`, `reconciler-name`,
`reconciler-digest` of the spec), read by `providers/fine_tuning.py`; `metadata.id` pins (adopts)
a job made outside Git. Jobs are never changed: a new digest, new training data, or a job that
failed or was cancelled outside Git means a replace (a new job; a running old one is cancelled,
its model kept unless `on_delete: delete_model`). A job still in progress is a no-op whose
reason shows its progress; what continues from it (`model: FineTune/x`) waits, blocked.

`on_delete: delete_model` is remembered in the stack's ownership registry (an entry
`FineTuneOnDelete/<name>`, written by apply), since the manifest is gone once the FineTune is
removed. `model_deletes` (called by the planner once every resource is planned) gives each
model to delete its own irreversible plan line: the models of earlier jobs once the job that
replaced them succeeded, and every model of a removed FineTune, as long as `GET /models` still
lists them (the reader lists models only where such a model may be).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from reconciler.datasets import DatasetReport, PriceTable, compare_datasets
from reconciler.kinds.base import (
    Desired,
    ImportContext,
    Imported,
    Match,
    PlanContext,
    default_change_reason,
    manifest_name,
)
from reconciler.kinds.uses import MODEL_KIND, shutdown_table
from reconciler.models.base import Resource
from reconciler.models.fine_tune import FORMAT_OF_METHOD, FineTuneSpec, canonical_model
from reconciler.models.shutdowns import (
    ShutdownTable,
    job_creation_closed,
    shutdown_warning,
)
from reconciler.plan import UNKNOWN, Action, Cost, FieldChange, ResourceChange
from reconciler.state import (
    HOME_PROJECT,
    LiveObject,
    Ownership,
    objects_by_address,
)

IN_PROGRESS = ("validating_files", "queued", "running", "paused")
ENDED_BADLY = ("failed", "cancelled")
DIGEST_LENGTH = 16
SHARE_REFERENCE = "share_with#"  # payload keys apply fills with the ids of new projects
STACK_TAG, NAME_TAG, DIGEST_TAG = "reconciler-stack", "reconciler-name", "reconciler-digest"
DELETE_MODEL = "delete_model"
ON_DELETE_KIND = "FineTuneOnDelete"
"""Registry entries `FineTuneOnDelete/<name>` (live id `delete_model`): what a removed
FineTune's manifest said about its models."""
REMEMBERED = "on_delete_remembered"
"""Payload key: whether the registry says delete_model when the plan was made."""
"""Live objects of `GET /models` (key = live id = the model id; attributes: project,
shutdown_date), read by `providers/fine_tuning.py` once per plan in the API key's project (the
shutdown dates) and where a model may be deleted."""


def on_delete_address(name: str) -> str:
    """The registry address remembering `on_delete: delete_model` of `FineTune/<name>`."""
    return f"{ON_DELETE_KIND}/{name}"


SHARED_KIND = "FineTuneShared"
"""Registry entries `FineTuneShared/<name>` (live id `shared`): apply shared the FineTune's
model, so a plan reads its checkpoint permissions even once `share_with` is gone (to revoke);
a FineTune that never shared costs no permission read."""
SHARED = "shared"
SHARED_REMEMBERED = "share_with_remembered"
"""Payload key: whether the registry says the model is shared when the plan was made."""


def shared_address(name: str) -> str:
    return f"{SHARED_KIND}/{name}"


def remembers_sharing(ownership: Ownership, name: str) -> bool:
    """Whether the registry says apply shared FineTune/<name>'s model (`share_with`)."""
    entry = ownership.entry(shared_address(name))
    return entry is not None and entry.live_id == SHARED


def remembers_delete_model(ownership: Ownership, name: str) -> bool:
    """Whether the registry says FineTune/<name> deletes its models (`on_delete`)."""
    entry = ownership.entry(on_delete_address(name))
    return entry is not None and entry.live_id == DELETE_MODEL


def spec_digest(spec: FineTuneSpec) -> str:
    """The digest of what the job is made from (not `on_delete`/`share_with`): its tag."""
    declared = spec.model_dump(mode="json", exclude={"on_delete", "share_with"})
    text = json.dumps(declared, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:DIGEST_LENGTH]


class FineTunePlanner:
    kind = "FineTune"
    warns_shutdowns = True  # its own warning names the base model behind FineTune/x
    create_hidden_fields = frozenset({"digest", "status"})  # compared, never declared
    data_plane = True  # not in the audit log (attributed drift says so)

    def desired(self, resource: Resource, ctx: PlanContext) -> Desired:
        spec = resource.spec
        assert isinstance(spec, FineTuneSpec)
        references: dict[str, str] = {}
        project = _desired_project(resource, ctx, references)
        model, waiting = _desired_model(spec.model, ctx)
        if waiting is not None:
            return Desired(view={}, payload={}, blocked=waiting)
        view: dict[str, Any] = {"model": model}
        for field_name in ("training_file", "validation_file"):
            address = getattr(spec, field_name)
            if address is not None:
                view[field_name] = ctx.known_ids.get(address) or UNKNOWN
                references[field_name] = address
        method = spec.method.model_dump(mode="json", exclude_none=True)
        digest = spec_digest(spec)
        shared, share_references = _desired_sharing(resource, ctx)
        view |= {
            "method": method,
            "suffix": spec.suffix,
            "seed": spec.seed,
            "metadata": dict(spec.metadata),
            "project": project,
            "digest": digest,
            "status": "succeeded",
            "share_with": shared,
        }
        # keep_model (the default) is no registry entry: None, never a change on its own
        view["on_delete"] = DELETE_MODEL if spec.on_delete == DELETE_MODEL else None
        references |= share_references
        tags = {STACK_TAG: ctx.stack.name, NAME_TAG: resource.name, DIGEST_TAG: digest}
        payload = {
            **{k: v for k, v in view.items() if k not in ("status", "metadata")},
            "metadata": {**spec.metadata, **tags},
            "on_delete": spec.on_delete,
            REMEMBERED: remembers_delete_model(ctx.live.ownership, resource.name),
            SHARED_REMEMBERED: remembers_sharing(ctx.live.ownership, resource.name),
        }
        data = _DataFacts(spec, ctx)
        blocked = data.format_problem()
        return Desired(
            view=view,
            payload=payload,
            references=references,
            details=(*data.details(model), *_model_fate(resource, digest, ctx)),
            cost=data.cost(model),
            warnings=(
                *_shutdown_warnings(resource, spec.model, model, shutdown_table(ctx)),
                *data.warnings(),
            ),
            blocked=blocked,
        )

    def match(self, resource: Resource, desired: Desired, ctx: PlanContext) -> Match:
        jobs = _jobs_of(resource, ctx)
        pinned = resource.metadata.id
        if pinned is not None and not jobs:
            return Match(blocked=f"metadata.id {pinned}: no such fine-tuning job in its project")
        if not jobs:
            return _refused_if_closed(Match(), ctx)
        current = max(jobs, key=lambda job: _preference(job, desired))
        deposed = tuple(job for job in jobs if job is not current and job.status in IN_PROGRESS)
        if pinned is not None:  # adopted as it is: its spec is the one it was made with
            tagged = {**current.attributes, "digest": desired.view["digest"]}
            current = current.model_copy(update={"attributes": tagged})
        remembered = remembers_delete_model(ctx.live.ownership, resource.name)
        seen = _as_seen(current, desired, remembered=remembered)
        needs_new_job = seen.attributes.get("digest") != desired.view["digest"] or str(
            seen.attributes.get("status")
        ).startswith(ENDED_BADLY)
        match = Match(current=seen, deposed=deposed, created_by_stack=current.owned)
        if needs_new_job:
            return _refused_if_closed(match, ctx)
        if current.status in IN_PROGRESS:
            return replace(match, wait=f"job {current.live_id} is {_progress(current.info)}")
        return match

    def import_spec(self, live: LiveObject, ctx: ImportContext) -> Imported:
        """The job pinned by `metadata.id` (adopted as it is, never re-run): its base model,
        method and files as `Dataset/<name>` references, which must be datasets of this stack
        (the API does not give fine-tuning files back, so import cannot write their data)."""
        attributes = live.attributes
        suffix = attributes.get("suffix")
        name = manifest_name(str(suffix or ""), live.live_id.removeprefix("ftjob-")[:12])
        files: dict[str, str] = {}
        for field_name in ("training_file", "validation_file"):
            file_id = attributes.get(field_name)
            if not file_id:
                continue
            dataset = next(
                (d for d in ctx.live.of_kind("Dataset") if d.live_id == file_id and d.address),
                None,
            )
            if dataset is None or dataset.address not in ctx.stack.resources:
                return Imported(
                    name=name,
                    reason=f"its {field_name} {file_id} is not a Dataset of this stack: declare "
                    "that data as a Dataset first (the API does not give fine-tuning files back)",
                )
            files[field_name] = str(dataset.address)
        spec: dict[str, Any] = {"model": attributes.get("model"), **files}
        method = attributes.get("method")
        if isinstance(method, dict) and method.get("type"):
            spec["method"] = method
        if suffix:
            spec["suffix"] = suffix
        if attributes.get("seed") is not None:
            spec["seed"] = attributes["seed"]
        project = str(attributes.get("project") or "")
        if project and project != HOME_PROJECT:
            spec["project"] = ctx.project_ref(project)
        return Imported(name=name, spec=spec, pin_id=True)

    def create_reason(self, resource: Resource, desired: Desired, match: Match) -> str:
        model = desired.view["model"]
        return f"no fine-tuning job of {resource.address} yet: a new job trains {model}"

    def noop_reason(self, desired: Desired, current: LiveObject) -> str:
        status = current.info.get("status")
        if status in IN_PROGRESS:
            return f"job {current.live_id} is {_progress(current.info)}"
        return f"job {current.live_id} succeeded: model {current.info.get('fine_tuned_model')}"

    def change_reason(self, changes: Sequence[FieldChange], *, replace: bool) -> str:
        status = next((c for c in changes if c.path == "spec.status"), None)
        if status is not None:
            return f"the job {status.old}; a new job replaces it"
        if not replace:
            sharing = [c for c in changes if c.path.startswith("spec.share_with")]
            on_delete = [c for c in changes if c.path == "spec.on_delete"]
            if len(sharing) + len(on_delete) == len(changes):
                parts = [_sharing_reason(sharing)] if sharing else []
                return "; ".join(parts + [_on_delete_reason(c) for c in on_delete])
        shown = [c for c in changes if c.path not in ("spec.digest", "spec.status")]
        if not shown:
            return "forces replacement: the spec changed (a new job)"
        return default_change_reason(shown, replace=replace) + " (a new job)"

    def adopt_reason(self, match: Match, ctx: PlanContext) -> str:
        return f"adopts job {match.current.live_id if match.current else '?'} (metadata.id)"

    def extra_changes(
        self, ctx: PlanContext, changes: Mapping[str, ResourceChange]
    ) -> list[tuple[ResourceChange, LiveObject]]:
        """The planner's hook after every line is planned: the model deletes."""
        return model_deletes(ctx, changes)

    def orphan_needs_delete(self, obj: LiveObject) -> bool:
        """Only a job still in progress has anything to undo (a job cannot be deleted; its
        model is `model_deletes`' business): an ended one is no plan line, so plans converge."""
        return obj.status in IN_PROGRESS

    def delete_reason(self, obj: LiveObject) -> str:
        return f"no manifest declares {obj.address} any more ({obj.live_id}): cancels the job"

    def live_dependencies(self, obj: LiveObject, ctx: PlanContext) -> tuple[str, ...]:
        project = ctx.live.find("Project", str(obj.attributes.get("project")))
        if project is None or project.address is None:
            return ()
        return (project.address,)


def model_deletes(
    ctx: PlanContext, changes: Mapping[str, ResourceChange]
) -> list[tuple[ResourceChange, LiveObject]]:
    """A delete of each model `on_delete: delete_model` retires, with the listed model it is
    based on (the plan's state digest covers it): the models of a declared FineTune's earlier
    jobs once its current job succeeded (its change is a no-op or an update), and every model
    of a FineTune no manifest declares whose registry entry says delete_model."""
    listed = {model.live_id: model for model in ctx.live.of_kind(MODEL_KIND)}
    if not listed:
        return []
    found = []
    jobs = objects_by_address(job for job in ctx.live.of_kind("FineTune") if job.owned)
    for address, owned in sorted(jobs.items()):
        name = address.partition("/")[2]
        resource = ctx.stack.resources.get(address)
        if resource is None:
            if not remembers_delete_model(ctx.live.ownership, name):
                continue
            kept, why = None, f"no manifest declares {address} any more"
        else:
            change = changes.get(address)
            if getattr(resource.spec, "on_delete", None) != DELETE_MODEL or change is None:
                continue
            if change.action not in (Action.NOOP, Action.UPDATE) or change.live_id is None:
                continue  # the job replacing it has not succeeded yet: the model still serves
            kept, why = change.live_id, f"job {change.live_id} replaced it and succeeded"
        for job in sorted(owned, key=lambda j: (j.created_at, j.live_id)):
            model = job.info.get("fine_tuned_model")
            if job.live_id == kept or not model or model not in listed:
                continue
            delete = ResourceChange(
                address=f"{address}#{model}",
                kind="FineTune",
                name=name,
                action=Action.DELETE,
                reason=f"model {model} of job {job.live_id}: {why} (on_delete: delete_model)",
                live_id=str(model),
                live_attributes={
                    "project": job.attributes.get("project", HOME_PROJECT),
                    "fine_tuned_model": model,
                },
                desired={"delete_model": model},
                irreversible=True,
                delete_verb="delete model",
                location=str(resource.location) if resource is not None else None,
            )
            found.append((delete, listed[str(model)]))
    return found


def _model_fate(resource: Resource, digest: str, ctx: PlanContext) -> tuple[str, ...]:
    """What happens to the model of the job a new digest replaces (a detail line)."""
    done = [
        job
        for job in ctx.live.at_address("FineTune", resource.address)
        if job.owned and job.info.get("fine_tuned_model")
    ]
    if not done:
        return ()
    newest = max(done, key=lambda job: job.created_at)
    if newest.attributes.get("digest") == digest:
        return ()
    model = newest.info["fine_tuned_model"]
    if getattr(resource.spec, "on_delete", None) == DELETE_MODEL:
        return (
            f"the model {model} of job {newest.live_id} is deleted once the new job succeeds "
            "(on_delete: delete_model: its own plan line then, irreversible)",
        )
    return (f"the model {model} of job {newest.live_id} is kept (on_delete: keep_model)",)


def _on_delete_reason(change: FieldChange) -> str:
    if change.new == DELETE_MODEL:
        return (
            "on_delete: delete_model (remembered in the ownership registry): a model this "
            "FineTune no longer uses is deleted"
        )
    return "on_delete: keep_model: its models are kept"


def _desired_project(resource: Resource, ctx: PlanContext, references: dict[str, str]) -> str:
    reference = next((r for r in resource.references if r.field[:1] == ("project",)), None)
    if reference is not None:
        references["project"] = reference.address
        return ctx.known_ids.get(reference.address) or UNKNOWN
    return ctx.stack.config.default_project_id or HOME_PROJECT


def _desired_model(model: str, ctx: PlanContext) -> tuple[str, str | None]:
    """The model to train from; for `FineTune/x`, x's model once its job succeeded, else why
    this one waits."""
    if not model.startswith("FineTune/"):
        return canonical_model(model), None
    trained, running = fine_tune_outcome(model, ctx)
    if trained is not None:
        return trained, None
    if running is not None:
        return model, f"waits for {model}: job {running.live_id} is {_progress(running.info)}"
    return model, f"waits for {model}: its model exists once its job succeeds"


def fine_tune_outcome(address: str, ctx: PlanContext) -> tuple[str | None, LiveObject | None]:
    """What `FineTune/x` has made so far: the model of its newest succeeded job, else its
    newest job still in progress (what a dependent waits for)."""
    jobs = ctx.live.at_address("FineTune", address)
    done = [job for job in jobs if job.info.get("fine_tuned_model")]
    if done:
        return str(max(done, key=lambda job: job.created_at).info["fine_tuned_model"]), None
    running = [job for job in jobs if job.status in IN_PROGRESS]
    return None, max(running, key=lambda job: job.created_at) if running else None


def _desired_sharing(resource: Resource, ctx: PlanContext) -> tuple[list[str], dict[str, str]]:
    """`share_with` as sorted project ids (UNKNOWN for a project this plan creates), and the
    references apply resolves for those (`share_with#<i>` -> `Project/x`)."""
    spec = resource.spec
    assert isinstance(spec, FineTuneSpec)
    ids = sorted(ctx.known_ids.get(address) or UNKNOWN for address in spec.share_with)
    references = {
        f"{SHARE_REFERENCE}{index}": address
        for index, address in enumerate(spec.share_with)
        if not ctx.known_ids.get(address)
    }
    return ids, references


def _sharing_reason(changes: Sequence[FieldChange]) -> str:
    """The words of a share_with update (checkpoint permissions on the final checkpoint).
    The lists are sorted, so a diff by index shifts values: a project only on the new side
    is shared, one only on the old side revoked."""
    old = {str(v) for c in changes for v in _values(c.old)}
    new = {str(v) for c in changes for v in _values(c.new)}
    parts = []
    if new - old:
        parts.append("shares the final checkpoint with " + ", ".join(sorted(new - old)))
    if old - new:
        parts.append("revokes " + ", ".join(sorted(old - new)))
    return "; ".join(parts) or "checkpoint permissions differ from share_with"


def _values(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _jobs_of(resource: Resource, ctx: PlanContext) -> list[LiveObject]:
    jobs = ctx.live.of_kind("FineTune")
    if resource.metadata.id is not None:
        return [job for job in jobs if job.live_id == resource.metadata.id]
    return [job for job in jobs if job.address == resource.address and job.owned]


def _preference(job: LiveObject, desired: Desired) -> tuple[bool, int, int, str]:
    """Same digest, then succeeded over running over ended badly, then the newest."""
    rank = 2 if job.status == "succeeded" else 1 if job.status in IN_PROGRESS else 0
    return (
        job.attributes.get("digest") == desired.view["digest"],
        rank,
        job.created_at,
        job.live_id,
    )


def _as_seen(job: LiveObject, desired: Desired, *, remembered: bool) -> LiveObject:
    """The job through the declared fields. With the same digest its declared fields are the
    spec's (the API resolves 'auto' values, which are no change); a job in progress or
    succeeded is 'succeeded' as far as the plan goes (nothing to change: it waits), one that
    failed or was cancelled says so with the API's error message (replaced). `on_delete` is
    what the registry remembers (`remembered`: delete_model), not a property of the job."""
    attributes = dict(job.attributes)
    if remembered:
        attributes["on_delete"] = DELETE_MODEL
    if attributes.get("digest") == desired.view["digest"]:
        for name in ("method", "suffix", "seed", "metadata"):
            attributes[name] = desired.view[name]
    else:  # a value the API resolved from a declared 'auto' is no change
        attributes["method"] = _with_autos(attributes.get("method"), desired.view["method"])
        if desired.view["seed"] is None:  # nor the seed the API picks when none is declared
            attributes.pop("seed", None)
    if job.status != "succeeded" or "share_with" not in attributes:
        # no final checkpoint yet (or not read): sharing waits until the job succeeds
        attributes["share_with"] = desired.view["share_with"]
    if job.status in ENDED_BADLY:
        message = job.info.get("error")
        attributes["status"] = f"{job.status}: {message}" if message else job.status
        attributes["status"] = f"{job.live_id} {attributes['status']}"
    else:
        attributes["status"] = "succeeded"
    return job.model_copy(update={"attributes": attributes})


def _with_autos(live: Any, declared: Any) -> Any:
    """`live` with "auto" wherever `declared` says "auto"."""
    if declared == "auto":
        return "auto"
    if isinstance(live, dict) and isinstance(declared, dict):
        return {key: _with_autos(value, declared.get(key)) for key, value in live.items()}
    return live


def _refused_if_closed(match: Match, ctx: PlanContext) -> Match:
    closed = job_creation_closed(shutdown_table(ctx))
    if closed is None:
        return match
    return Match(current=match.current, blocked=closed)


def _progress(info: dict[str, Any]) -> str:
    parts = [str(info.get("status", "in progress"))]
    if info.get("step") is not None and info.get("total_steps"):
        parts.append(f"step {info['step']} of {info['total_steps']}")
    if info.get("trained_tokens"):
        parts.append(f"{info['trained_tokens']:,} trained tokens")
    finish = info.get("estimated_finish")
    if isinstance(finish, int):
        when = datetime.fromtimestamp(finish, UTC).strftime("%Y-%m-%d %H:%M UTC")
        parts.append(f"estimated finish {when}")
    return ", ".join(parts)


def _shutdown_warnings(
    resource: Resource, written: str, model: str, table: ShutdownTable
) -> list[str]:
    found = shutdown_warning(model, table) or (
        shutdown_warning(written, table) if written != model else None
    )
    return [f"{resource.location_of('spec', 'model')}: {found}"] if found else []


class _DataFacts:
    """What the dataset checks say about this job's training and validation files."""

    def __init__(self, spec: FineTuneSpec, ctx: PlanContext) -> None:
        self.spec = spec
        self.training = _report(ctx, spec.training_file)
        self.validation = _report(ctx, spec.validation_file)
        prices = ctx.stack.config.prices
        self.prices = PriceTable.load(ctx.stack.resolve_path(prices) if prices else None)

    def format_problem(self) -> str | None:
        wanted = FORMAT_OF_METHOD[self.spec.method.type]
        for role, report in (("training", self.training), ("validation", self.validation)):
            if report is not None and report.format != wanted:
                return (
                    f"the {role} file is {report.format}; method '{self.spec.method.type}' "
                    f"trains on {wanted} files"
                )
        return None

    def details(self, model: str) -> tuple[str, ...]:
        report = self.training
        if report is None:
            return ()
        lines = [f"training file: {report.stats.examples:,} examples ({report.format})"]
        cost = self._cost_line(report, model)
        if cost:
            lines.append(cost)
        if self.validation is not None:
            lines.append(
                f"validation file: {self.validation.stats.examples:,} examples "
                "(no training cost is charged for it)"
            )
        return tuple(lines)

    def _cost_line(self, report: DatasetReport, model: str) -> str | None:
        if self.spec.method.type == "reinforcement":
            return "training cost: reinforcement fine-tuning is billed per training hour"
        priced = self._priced(report, model)
        if priced is None:
            return None
        basis, key, usd = priced
        if key is None or usd is None:
            return f"training cost: {basis}; no training price for {model}"
        return (
            f"training cost: est. ${usd:,.2f} ({basis} at the {key} training price of "
            f"{self.prices.price_date})"
        )

    def cost(self, model: str) -> Cost | None:
        """The estimated training spend of the job, for the plan's cost summary."""
        if self.training is None:
            return None
        if self.spec.method.type == "reinforcement":
            return Cost(category="training", basis="billed per training hour: not estimated")
        priced = self._priced(self.training, model)
        if priced is None:
            return None
        basis, key, usd = priced
        where = f"{key} training price of {self.prices.price_date}" if key else "no price"
        return Cost(category="training", usd=usd, basis=f"{basis}, {where}")

    def _priced(
        self, report: DatasetReport, model: str
    ) -> tuple[str, str | None, float | None] | None:
        """(basis, price key, USD) of training on `report`, or None without token counts."""
        stats = report.stats
        if not stats.billed_tokens or not stats.epochs:
            return None
        per_epoch = stats.billed_tokens // stats.epochs
        hyper = self.spec.method.hyperparameters
        declared = hyper.n_epochs if hyper is not None else "auto"
        epochs = declared if isinstance(declared, int) else stats.epochs
        billed = per_epoch * epochs
        priced = self.prices.training_cost(model, billed)
        source = "declared" if isinstance(declared, int) else "auto"
        basis = f"{per_epoch:,} tokens × {epochs} epochs ({source}) = {billed:,} billed tokens"
        if priced is None:
            return basis, None, None
        return basis, priced[0], priced[1]

    def warnings(self) -> list[str]:
        found = []
        report = self.training
        if report is not None and any(p.code == "few_examples" for p in report.problems):
            found.append(
                f"{self.spec.training_file}: the training file has {report.stats.examples} "
                "examples; OpenAI suggests starting with 50-100 well-crafted ones"
            )
        if self.training is not None and self.validation is not None:
            for problem in compare_datasets(self.training, self.validation):
                found.append(
                    f"{self.spec.validation_file}:{problem.line}: {problem.message} "
                    f"[{problem.code}]"
                )
        return found


def _report(ctx: PlanContext, address: str | None) -> DatasetReport | None:
    if address is None:
        return None
    facts = ctx.facts.get(address)
    return facts if isinstance(facts, DatasetReport) else None
