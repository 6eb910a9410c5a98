"""Planning logic of `EvalRun`: one run per digest, found by the name of its result file.

Called by `planner.build_plan` through `reconciler.kinds.PLANNERS`. The digest covers what
decides the result: the Eval's spec, the items' content, the resolved model id, the template,
the API and the sampling params. A result file of this digest (read by
`providers/eval_runs.py`) → a no-op that shows the pass rate per criterion; one of an older
digest only → replace (a new run; the old summary stays); none → create, with the request
count, tokens and cost estimate. A run whose model is a FineTune that has not finished waits.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.evals.items import Item, read_items, render_messages
from reconciler.evals.summary import Summary
from reconciler.kinds.base import Desired, Match, PlanContext
from reconciler.kinds.eval import eval_digest
from reconciler.kinds.fine_tune import fine_tune_outcome
from reconciler.models.base import Resource
from reconciler.models.batch import RUNNING_STATUSES
from reconciler.models.dataset import DatasetSpec
from reconciler.models.eval import EvalSpec
from reconciler.models.eval_run import EvalRunSpec, FileIdSource
from reconciler.plan import UNKNOWN, Cost, FieldChange
from reconciler.state import HOME_PROJECT, LiveObject


class EvalRunPlanner:
    kind = "EvalRun"
    data_plane = True  # not in the audit log (attributed drift says so)
    create_hidden_fields = frozenset({"digest", "results"})  # the run's identity and state

    def desired(self, resource: Resource, ctx: PlanContext) -> Desired:
        spec = resource.spec
        assert isinstance(spec, EvalRunSpec)
        found = run_identity(resource, ctx)
        if isinstance(found, str):
            return Desired(view={}, payload={}, blocked=found)
        evaluation, items, where = found.evaluation, found.items, found.where
        digest, model, waiting = found.digest, found.model, found.waiting
        template = [
            m.model_dump(mode="json", exclude_none=True)
            for m in spec.data_source.input_messages.template
        ]
        project, references = _desired_project(resource, ctx)
        payload = {
            "stack": ctx.stack.name,
            "name": resource.name,
            "project": project,
            "digest": digest,
            "api": spec.data_source.type,
            "model": model,
            "template": template,
            "sampling_params": spec.data_source.sampling_params.model_dump(exclude_none=True),
            "criteria": [
                g.model_dump(mode="json", exclude_none=True) for g in evaluation.testing_criteria
            ],
            "cache_dir": _relative(ctx.stack.cache_dir, ctx.stack.root),
            "python_graders": ctx.stack.config.evals.python_graders,
            "python_timeout": ctx.stack.config.evals.python_grader_timeout,
            "wordnet": (
                str(ctx.stack.resolve_path(ctx.stack.config.evals.wordnet))
                if ctx.stack.config.evals.wordnet is not None
                else None
            ),
            **where,
            "via": spec.via,
            "waiting": waiting,
            "batch": _finished_batch(resource, ctx, digest),
        }
        cost = None if waiting else _estimate(spec, model, template, items)
        details = () if cost is None else cost[0]
        if not waiting:
            details = (*details, *_grader_lines(spec, payload["criteria"], items))
        view: dict[str, Any] = {"digest": digest}
        if spec.via == "batch":  # a finished batch not graded yet differs here: an update
            view["results"] = "graded"
        return Desired(
            view=view,
            payload=payload,
            details=details,
            references=references,
            cost=None if cost is None else cost[1],
        )

    def match(self, resource: Resource, desired: Desired, ctx: PlanContext) -> Match:
        digest = desired.payload["digest"]
        runs = [o for o in ctx.live.of_kind(self.kind) if o.address == resource.address]
        waiting = desired.payload.get("waiting")
        if waiting:
            pending = LiveObject(
                kind=self.kind,
                key=resource.name,
                live_id=f"pending:{resource.name}",
                attributes=dict(desired.view),
            )
            return Match(current=pending, wait=waiting)
        results = [r for r in runs if not r.info.get("batch")]
        batches = [r for r in runs if r.info.get("batch")]
        same = [r for r in results if r.attributes.get("digest") == digest]
        if same:
            return Match(current=min(same, key=_age))
        deposed = tuple(
            b
            for b in batches
            if b.attributes.get("digest") != digest and b.status in RUNNING_STATUSES
        )
        ours = [b for b in batches if b.attributes.get("digest") == digest]
        running = [b for b in ours if b.status in RUNNING_STATUSES]
        if running:
            batch = max(running, key=_age)
            return Match(current=batch, wait=_batch_progress(batch), deposed=deposed)
        if desired.payload.get("batch"):
            done = next(b for b in ours if b.live_id == desired.payload["batch"]["id"])
            return Match(current=done, deposed=deposed)
        if results:
            return Match(current=max(results, key=_age), deposed=deposed)
        return Match(deposed=deposed)

    def create_reason(self, resource: Resource, desired: Desired, match: Match) -> str:
        digest = str(desired.view["digest"])[:8]
        return f"no run of this eval, items, model and template yet (digest {digest})"

    def noop_reason(self, desired: Desired, current: LiveObject) -> str:
        summary = summary_of(current)
        names = [str(c.get("name")) for c in desired.payload.get("criteria", [])]
        if summary is None:
            return "run complete"
        counts = f"{summary.items} items" + (f", {summary.errors} failed" if summary.errors else "")
        return f"run complete ({counts}): " + "; ".join(summary.lines(names))

    def change_reason(self, changes: Sequence[FieldChange], *, replace: bool) -> str:
        digest = next((c for c in changes if c.path.endswith("digest")), None)
        if not replace:
            return "its batch finished: grade the output locally and write the result file"
        if digest is None:
            return "a new run"
        return (
            f"the eval, items, model, template or sampling params changed (digest "
            f"{str(digest.old)[:8]} → {str(digest.new)[:8]}): a new run; the old results stay"
        )

    def adopt_reason(self, match: Match, ctx: PlanContext) -> str:
        raise AssertionError("eval runs are found by their result files, never adopted")

    def delete_reason(self, obj: LiveObject) -> str:
        if obj.info.get("batch"):
            return f"no manifest declares {obj.address} any more: cancel running {obj.live_id}"
        return f"no manifest declares {obj.address} any more: its results are kept"

    def live_dependencies(self, obj: LiveObject, ctx: PlanContext) -> tuple[str, ...]:
        return ()


@dataclass(frozen=True)
class RunIdentity:
    """What decides a run's result, and its digest."""

    digest: str
    model: str
    waiting: str | None
    evaluation: EvalSpec
    items: list[Item]
    where: dict[str, Any]


def run_identity(resource: Resource, ctx: PlanContext) -> RunIdentity | str:
    """The digest of the eval spec, items, resolved model, template and sampling params; or
    why the run is blocked."""
    spec = resource.spec
    assert isinstance(spec, EvalRunSpec)
    evaluation = ctx.stack.resources.get(spec.eval)
    if evaluation is None or not isinstance(evaluation.spec, EvalSpec):
        return f"{spec.eval} is not declared"
    source = _items_source(spec, ctx)
    if isinstance(source, str):
        return source
    items_hash, items, where = source
    model, waiting = resolve_model(spec.data_source.model, ctx)
    data_source = spec.data_source.model_dump(mode="json", exclude={"source", "model"})
    identity = {
        "eval": eval_digest(evaluation.spec),
        "items": items_hash,
        "model": model,
        "data_source": data_source,
    }
    digest = _sha(json.dumps(identity, sort_keys=True, separators=(",", ":")))[:16]
    return RunIdentity(digest, model, waiting, evaluation.spec, items, where)


def run_summary(resource: Resource, ctx: PlanContext) -> tuple[RunIdentity | str, Summary | None]:
    """The run's identity and the summary of its result file of that digest, if any."""
    found = run_identity(resource, ctx)
    if isinstance(found, str) or found.waiting:
        return found, None
    for obj in ctx.live.of_kind("EvalRun"):
        if obj.address == resource.address and not obj.info.get("batch"):
            summary = summary_of(obj)
            if summary is not None and summary.digest == found.digest:
                return found, summary
    return found, None


def _desired_project(resource: Resource, ctx: PlanContext) -> tuple[str, dict[str, str]]:
    """Where the samples run: the declared project, else the stack's default project."""
    reference = next((r for r in resource.references if r.field[:1] == ("project",)), None)
    if reference is not None:
        return (ctx.known_ids.get(reference.address) or UNKNOWN), {"project": reference.address}
    spec = resource.spec
    assert isinstance(spec, EvalRunSpec)
    if spec.project is not None and not spec.project.startswith("Project/"):
        return spec.project, {}
    return ctx.stack.config.default_project_id or HOME_PROJECT, {}


def _age(obj: LiveObject) -> tuple[int, str]:
    return obj.created_at or 0, obj.live_id


def _batch_progress(batch: LiveObject) -> str:
    counts = batch.info.get("request_counts") or {}
    done, of = counts.get("completed", 0), counts.get("total", 0) or "?"
    return f"batch {batch.live_id} is {batch.status}, {done}/{of} requests done"


def _finished_batch(resource: Resource, ctx: PlanContext, digest: str) -> dict[str, Any] | None:
    """The completed batch of this digest to grade, when no result file exists yet."""
    runs = [o for o in ctx.live.of_kind("EvalRun") if o.address == resource.address]
    if any(not r.info.get("batch") and r.attributes.get("digest") == digest for r in runs):
        return None
    done = [
        r
        for r in runs
        if r.info.get("batch") and r.attributes.get("digest") == digest and r.status == "completed"
    ]
    if not done:
        return None
    batch = max(done, key=_age)
    return {
        "id": batch.live_id,
        "output_file_id": batch.info.get("output_file_id"),
        "error_file_id": batch.info.get("error_file_id"),
    }


def summary_of(obj: LiveObject) -> Summary | None:
    """The summary a result file's name carries (read by the provider into `info`)."""
    from reconciler.evals.summary import parse_filename

    parsed = parse_filename(str(obj.info.get("stack", "")), obj.key)
    return parsed[1] if parsed else None


def resolve_model(model: str, ctx: PlanContext) -> tuple[str, str | None]:
    """The model id to sample; for `FineTune/x`, x's model once its job succeeded; for
    `Promotion/x`, its winner's model; else why the run waits."""
    if model.startswith("Promotion/"):
        return _promoted_model(model, ctx)
    if not model.startswith("FineTune/"):
        return model, None
    trained, running = fine_tune_outcome(model, ctx)
    if trained is not None:
        return trained, None
    if running is not None:
        return model, f"waits for {model}: job {running.live_id} is {running.status}"
    return model, f"waits for {model}: its model exists once its job succeeds"


_RESOLVING: ContextVar[frozenset[str]] = ContextVar("resolving", default=frozenset())


def _promoted_model(address: str, ctx: PlanContext) -> tuple[str, str | None]:
    from reconciler.kinds.promotion import decide, previous_winner
    from reconciler.models.promotion import PromotionSpec

    promotion = ctx.stack.resources.get(address)
    if promotion is None or not isinstance(promotion.spec, PromotionSpec):
        return address, f"waits for {address}: not declared"
    resolving = _RESOLVING.get()
    if address in resolving:
        return address, f"waits for {address}: it depends on this run's own result"
    token = _RESOLVING.set(resolving | {address})
    try:
        decision = decide(promotion.spec, ctx)
    finally:
        _RESOLVING.reset(token)
    if decision.winner is not None:
        return decision.winner.model, None
    record = previous_winner(address, ctx)
    if record is not None:  # no winner now: the previous one stays the output
        return str(record.attributes["model"]), None
    why = decision.waiting or decision.blocked or "its winner is decided by this apply"
    return address, f"waits for {address}: {why}"


def _items_source(
    spec: EvalRunSpec, ctx: PlanContext
) -> str | tuple[str, list[Item], dict[str, Any]]:
    """(content hash, items, where the provider reads them), or why the run is blocked."""
    source = spec.data_source.source
    if isinstance(source, FileIdSource):
        dataset = ctx.stack.resources.get(source.id)
        facts = ctx.facts.get(source.id)
        if dataset is None or facts is None or not isinstance(dataset.spec, DatasetSpec):
            return f"{source.id} was not checked"
        if facts.has_errors:
            return f"{source.id} has errors"
        path = dataset.base_dir / dataset.spec.file
        items = list(read_items(path))
        return facts.sha256, items, {"source": _relative(path, ctx.stack.root)}
    rows = [row.item for row in source.content]
    content_hash = _sha(json.dumps(rows, sort_keys=True, separators=(",", ":")))
    items = [Item(index, row) for index, row in enumerate(rows, start=1)]
    return content_hash, items, {"content": rows}


def _estimate(
    spec: EvalRunSpec, model: str, template: list[dict[str, Any]], items: list[Item]
) -> tuple[tuple[str, ...], Cost]:
    """The plan's lines about requests, tokens and cost, and the cost for the summary."""
    from reconciler.batches.estimate import cacheable, cached_factor
    from reconciler.datasets.prices import PriceTable
    from reconciler.datasets.tokens import count_tokens

    counted = None if model.startswith("FineTune/") else model
    tokens = sum(
        count_tokens(json.dumps(render_messages(template, item.data)), counted) for item in items
    )
    # prompt caching: the messages before the first one that names the item are the same in
    # every request, so each request after the first should be served that prefix from cache
    prefix = _stable_prefix(template)
    prefix_tokens = count_tokens(json.dumps(prefix), counted) if prefix else 0
    cached = min(cacheable(prefix_tokens) * max(0, len(items) - 1), tokens)
    share = f" ({cached / tokens:.0%} cached: the template's stable prefix)" if tokens else ""
    limit = spec.data_source.sampling_params.max_completion_tokens
    output = f"≤ {limit * len(items):,} output tokens" if limit else "output tokens unbounded"
    api = "Responses API" if spec.data_source.type == "responses" else "Chat Completions"
    lines = [f"{len(items):,} requests ({api}, {model}), ~{tokens:,} input tokens{share}, {output}"]
    found = PriceTable.load().lookup(counted)
    if found is None or found[1].input is None:
        lines.append("cost unknown (no price for the model)")
        return tuple(lines), Cost(category="eval", basis=f"no price for {model}")
    billed = tokens - cached + cached * cached_factor(counted)
    cost = billed * found[1].input / 1_000_000
    if limit and found[1].output is not None:
        cost += limit * len(items) * found[1].output / 1_000_000
    prices = "full prices"
    if spec.via == "batch":
        table = PriceTable.load()
        cost *= 1 - table.batch_discount
        prices = "batch prices"
    bound = "at most " if limit else "input only: "
    lines.append(f"est. {bound}${cost:,.4f} at {prices} ({found[0]}); graded locally")
    basis = f"{len(items):,} requests, {bound}{prices} ({found[0]})"
    return tuple(lines), Cost(category="eval", usd=cost, basis=basis)


def _stable_prefix(template: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The template's messages before the first one with a `{{...}}` variable."""
    prefix = []
    for message in template:
        if "{{" in json.dumps(message.get("content")):
            break
        prefix.append(message)
    return prefix


def _grader_lines(
    spec: EvalRunSpec, criteria: list[dict[str, Any]], items: list[Item]
) -> list[str]:
    """Per model criterion: its requests (one per item), input tokens (its messages filled
    with each item and an empty sample, plus the samples' output bound) and cost estimate,
    at batch prices for `via: batch`."""
    from reconciler.datasets.prices import PriceTable
    from reconciler.datasets.tokens import count_tokens
    from reconciler.evals.model_graders import is_model_grader, request

    table = PriceTable.load()
    sample_bound = spec.data_source.sampling_params.max_completion_tokens
    lines = []
    for criterion in (c for c in criteria if is_model_grader(c)):
        model = str(criterion["model"])
        empty = {"output_text": ""}
        tokens = sum(
            count_tokens(json.dumps(request(criterion, item.data, empty)["input"]), model)
            for item in items
        )
        tokens += (sample_bound or 0) * len(items)
        line = (
            f"+ {len(items):,} grader requests ({criterion['name']} with {model}), "
            f"~{tokens:,} input tokens"
        )
        found = table.lookup(model)
        params = criterion.get("sampling_params") or {}
        limit = params.get("max_completions_tokens", params.get("max_completion_tokens"))
        if found is None or found[1].input is None:
            lines.append(line + "; cost unknown (no price for the model)")
            continue
        cost = tokens * found[1].input / 1_000_000
        if limit and found[1].output is not None:
            cost += int(limit) * len(items) * found[1].output / 1_000_000
        prices = "full prices"
        if spec.via == "batch":
            cost *= 1 - table.batch_discount
            prices = "batch prices"
        bound = "at most " if limit else "input only: "
        lines.append(f"{line}; est. {bound}${cost:,.4f} at {prices}")
    return lines


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _relative(path: Path, root: Path) -> str:
    try:
        return path.absolute().relative_to(root.absolute()).as_posix()
    except ValueError:
        return path.absolute().as_posix()
