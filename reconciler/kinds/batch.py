"""Planning logic of `Batch`: one generation of batches per spec + input, found by its tags.

Called by `planner.build_plan` through `reconciler.kinds.PLANNERS`. The live batches of a
manifest carry the stack's tags in `metadata` (`providers/batches.py` reads them); a
*generation* is the batches whose digest tag matches the spec and input content (the first
batch and its replays). No generation yet: create (a replace when a batch of an older spec or
input exists; a still-running one is cancelled). A running generation: a no-op that says to
wait, with `request_counts` progress. Finished with requests that did not finish and replays
left (`retry_failed`): an update that replays only those requests. Finished and its results
not yet written to `output`/`failures` (per the record under the stack's cache folder): an
update that writes them. Otherwise a no-op: the results stay available.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.batches import estimate, requests, split
from reconciler.batches.results import ResultsRecord
from reconciler.kinds.base import Desired, Match, PlanContext, default_change_reason, short
from reconciler.kinds.eval_run import resolve_model
from reconciler.kinds.moderation_policy import policy_findings
from reconciler.models.base import Resource
from reconciler.models.batch import RUNNING_STATUSES, BatchSpec
from reconciler.models.dataset import DatasetSpec
from reconciler.models.moderation_policy import ModerationPolicySpec
from reconciler.moderation.batches import flagged_words
from reconciler.plan import UNKNOWN, Cost, FieldChange
from reconciler.state import HOME_PROJECT, LiveObject, content_digest

UP_TO_DATE = "complete"


class BatchPlanner:
    kind = "Batch"
    data_plane = True  # not in the audit log (attributed drift says so)

    def desired(self, resource: Resource, ctx: PlanContext) -> Desired:
        spec = _spec(resource)
        project, references = _desired_project(resource, ctx)
        model = spec.template.get("model") if spec.template is not None else None
        if isinstance(model, str) and model.startswith(MODEL_REFERENCES):
            if model not in ctx.stack.resources:
                why = f"template.model: {model} is not declared in this stack"
                return Desired(view={}, payload={}, blocked=why)
            resolved, waiting = resolve_model(model, ctx)
            if waiting is not None:
                return Desired(view={}, payload={"waiting": waiting}, references=references)
            spec = spec.model_copy(
                update={"template": {**(spec.template or {}), "model": resolved}}
            )
        source_address = spec.input_file or spec.items or ""
        source = ctx.stack.resources.get(source_address)
        facts = ctx.facts.get(source_address)
        if source is None or facts is None:
            return Desired(view={}, payload={}, blocked=f"{source_address} was not checked")
        if facts.has_errors:
            return Desired(view={}, payload={}, blocked=f"{source_address} has errors")
        source_path = source.base_dir / _dataset_spec(source).file
        cache_key = None
        if spec.template is not None:
            cache_key = requests.template_cache_key(ctx.stack.name, resource.name, spec.template)
            input_digest = _sha(facts.sha256, requests.canonical(spec.template))
        else:
            input_digest = facts.sha256
        try:
            found = _estimate(spec, source_path, facts, cache_key, ctx.stack.cache_dir)
        except (requests.TemplateError, ValueError) as error:
            where = f"{_relative(source_path, ctx.stack.root)}"
            return Desired(view={}, payload={}, blocked=f"{where}: {error}")
        gate = gate_of(resource, spec, ctx)
        if gate.missing is not None:
            return Desired(view={}, payload={}, blocked=gate.missing)
        if gate.blocked:  # the requests submitted are not the whole input: a new digest
            input_digest = _sha(input_digest, requests.canonical(sorted(gate.blocked)))
        view = {
            "endpoint": spec.endpoint,
            "input": content_digest(input_digest),
            "completion_window": spec.completion_window,
            "metadata": dict(spec.metadata),
            "project": project,
        }
        digest = _sha(requests.canonical({k: v for k, v in view.items() if k != "project"}))[:16]
        generation = _generation(resource, ctx, digest, project)
        submitted = found.requests - len(gate.blocked)
        limits = split.limits()
        parts = split.expected_parts(submitted, _size(source_path, spec), limits)
        details = (*found.lines(), *gate.details)
        if parts > 1:
            details += (
                f"split into {parts} batches (at most {limits.max_requests:,} requests and "
                f"{limits.max_bytes:,} bytes each), joined as one",
            )
        state = _state(resource, spec, ctx, generation, submitted, gate, found.cost_usd)
        payload = {
            "stack": ctx.stack.name,
            "name": resource.name,
            "project": project,
            "endpoint": spec.endpoint,
            "completion_window": spec.completion_window,
            "metadata": dict(spec.metadata),
            "digest": digest,
            "input": input_digest[:16],
            "mode": "template" if spec.template is not None else "file",
            "source": _relative(source_path, ctx.stack.root),
            "template": spec.template,
            "cache_key": cache_key,
            "output": _local(resource, spec.output, ctx),
            "failures": _local(resource, spec.failures, ctx),
            "requests": found.requests,
            "blocked": {str(line): reason for line, reason in sorted(gate.blocked.items())},
            "moderation": gate.payload,
            "split": limits.to_json(),
            "cache_dir": _relative(ctx.stack.cache_dir, ctx.stack.root),
            **state,
        }
        view["results"] = UP_TO_DATE
        basis = f"{found.input_tokens:,} input tokens at batch prices ({found.cost_basis})"
        cost = Cost(category="batch", usd=found.cost_usd, basis=basis + "; output not counted")
        return Desired(
            view=view,
            payload=payload,
            references=references,
            details=details,
            warnings=gate.warnings,
            cost=cost,
        )

    def match(self, resource: Resource, desired: Desired, ctx: PlanContext) -> Match:
        payload = desired.payload
        if payload.get("waiting"):  # its model is a Promotion's winner or a FineTune's model
            pending = LiveObject(
                kind=self.kind, key=resource.name, live_id=f"pending:{resource.name}"
            )
            return Match(current=pending, wait=str(payload["waiting"]))
        batches = [o for o in ctx.live.of_kind(self.kind) if o.address == resource.address]
        generation = [b for b in batches if _in_generation(b, payload)]
        if generation:
            newest = max(generation, key=lambda b: (b.created_at, b.live_id))
            attributes = {**desired.view, "results": payload["results"]}
            info = {**newest.info, "reason": payload["reason"]}
            current = newest.model_copy(update={"attributes": attributes, "info": info})
            reason = str(payload["reason"])
            if reason.startswith("wait: "):  # a batch of this generation is still running
                return Match(current=current, created_by_stack=True, wait=reason[len("wait: ") :])
            return Match(current=current, created_by_stack=True)
        if not batches:
            return Match()
        current = max(batches, key=lambda b: (b.created_at, b.live_id))
        deposed = tuple(b for b in batches if b is not current and b.status in RUNNING_STATUSES)
        shown = current.model_copy(update={"attributes": {**current.attributes, "results": ""}})
        return Match(current=shown, deposed=deposed, created_by_stack=True)

    def create_reason(self, resource: Resource, desired: Desired, match: Match) -> str:
        return f"no batch of this spec and input ({short(desired.view['input'])}) yet"

    def noop_reason(self, desired: Desired, current: LiveObject) -> str:
        return str(current.info.get("reason", "batch is complete"))

    def change_reason(self, changes: Sequence[FieldChange], *, replace: bool) -> str:
        if not replace and len(changes) == 1 and changes[0].path == "spec.results":
            return str(changes[0].old)
        shown = [c for c in changes if c.path != "spec.results"]
        if replace and any(c.path == "spec.input" for c in shown):
            others = [c for c in shown if c.path != "spec.input"]
            words = "input changed: a new batch"
            return words + ("; " + default_change_reason(others, replace=True) if others else "")
        return default_change_reason(shown or changes, replace=replace)

    def adopt_reason(self, match: Match, ctx: PlanContext) -> str:
        raise AssertionError("batches are found by their tags, never adopted")

    def delete_reason(self, obj: LiveObject) -> str:
        return f"no manifest declares {obj.address} any more: cancel running {obj.live_id}"

    def live_dependencies(self, obj: LiveObject, ctx: PlanContext) -> tuple[str, ...]:
        return ()


MODEL_REFERENCES = ("Promotion/", "FineTune/")
"""A template's `model` may name these, resolved as an EvalRun's model is
(`kinds.eval_run.resolve_model`): a Promotion's winner's model (the previous winner's while
none passes), a FineTune's model once its job succeeded; until then the batch waits."""


def _state(
    resource: Resource,
    spec: BatchSpec,
    ctx: PlanContext,
    generation: list[LiveObject],
    total: int,
    gate: Gate,
    estimated: float | None = None,
) -> dict[str, Any]:
    """What the generation needs next (`next`), in words (`results`, `reason`), and the
    batches apply reads results from (oldest first)."""
    ordered = sorted(generation, key=lambda b: (b.created_at, b.live_id))
    batches = [
        {
            "id": b.live_id,
            "status": b.status,
            "replay": b.info.get("replay", 0),
            "output_file_id": b.info.get("output_file_id"),
            "error_file_id": b.info.get("error_file_id"),
        }
        for b in ordered
    ]
    newest = max((int(b.info.get("replay", 0)) for b in ordered), default=-1)
    state: dict[str, Any] = {
        "batches": batches,
        "replay": newest + 1,
        "next": "none",
        "record_ids": [b.live_id for b in ordered] + list(gate.record_ids),
    }
    if not ordered:
        return state | {"results": "", "reason": ""}
    parts = [
        split.parse_part(b.info.get("part")) for b in ordered if b.info.get("replay", 0) == newest
    ]
    expected = max(total for _index, total in parts)
    if len({index for index, _total in parts}) < expected:  # an apply stopped between parts
        missing = expected - len({index for index, _total in parts})
        words = f"submit the {missing} missing of {expected} parts (replay {newest})"
        return state | {"next": "resume", "replay": newest, "results": words, "reason": words}
    running = [b for b in ordered if b.status in RUNNING_STATUSES]
    if running:
        counts = running[-1].info.get("request_counts") or {}
        done, failed = counts.get("completed", 0), counts.get("failed", 0)
        of = counts.get("total", 0) or "?"
        reason = (
            f"wait: {running[-1].live_id} is {running[-1].status}, {done}/{of} requests done, "
            f"{failed} failed"
        )
        return state | {"results": UP_TO_DATE, "reason": reason}
    completed = sum(int((b.info.get("request_counts") or {}).get("completed", 0)) for b in ordered)
    unfinished = max(0, total - completed)
    replays = newest
    if unfinished and replays < spec.retry_failed:
        words = (
            f"replay the {unfinished} of {total} requests that did not finish "
            f"(replay {replays + 1} of {spec.retry_failed})"
        )
        return state | {"next": "replay", "results": words, "reason": words}
    files = [_absolute(resource, spec.output), _absolute(resource, spec.failures)]
    record = ResultsRecord.load(
        ResultsRecord.path(ctx.stack.cache_dir, ctx.stack.name, resource.name)
    )
    ids = [b["id"] for b in batches]
    where = spec.output or "nowhere (no output declared)"
    summary = f"{completed}/{total} requests succeeded"
    if gate.blocked:
        summary += f", {len(gate.blocked)} blocked by moderation before submit"
    if unfinished or gate.blocked:
        summary += f", in {spec.failures or 'failures (not written: no path)'}"
    record_ids = [*ids, *gate.record_ids]
    current = record is not None and record.is_current(record_ids, files)
    if (spec.output or spec.failures) and not current:
        words = f"write the results of {', '.join(ids)} to {where} ({summary})"
        if gate.payload is not None:
            words += f"; outputs moderated by {gate.payload['policy']}"
        return state | {"next": "write", "results": words, "reason": words}
    reason = f"complete: {summary}; results in {where}"
    actual = estimate.Actual.from_json(record.actual if record is not None else None)
    if actual is not None:
        reason += f"; {actual.words()}"
        if estimated is not None:
            reason += f" vs est. {estimate.usd(estimated)} (input only)"
    return state | {"reason": reason, "results": UP_TO_DATE}


@dataclass(frozen=True)
class Gate:
    """What `moderation: ModerationPolicy/x` does to a Batch: the input lines it blocks (line
    -> reason, sent to `failures`), the policy apply moderates the outputs with (`payload`),
    and the words of the plan. `missing` blocks the Batch when the policy was not read."""

    blocked: dict[int, str] = field(default_factory=dict)
    payload: dict[str, Any] | None = None
    details: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    missing: str | None = None

    @property
    def record_ids(self) -> tuple[str, ...]:
        """Added to the results record, so new thresholds rewrite the results."""
        if self.payload is None:
            return ()
        return (f"moderation:{_sha(requests.canonical(self.payload))[:16]}",)


def gate_of(resource: Resource, spec: BatchSpec, ctx: PlanContext) -> Gate:
    """The Batch's moderation gate from what its policy's reader found in the input."""
    if spec.moderation is None:
        return Gate()
    policy = ctx.stack.resources.get(spec.moderation)
    findings = policy_findings(ctx, spec.moderation)
    if policy is None or not isinstance(policy.spec, ModerationPolicySpec) or findings is None:
        return Gate(missing=f"{spec.moderation} did not moderate the requests")
    payload = {
        "policy": spec.moderation,
        "model": policy.spec.model,
        "categories": {str(c): t for c, t in sorted(policy.spec.categories.items())},
        "action": policy.spec.action,
    }
    found = findings.datasets.get(resource.address)
    if found is None:
        return Gate(missing=f"{spec.moderation} did not moderate the requests")
    details: tuple[str, ...] = (
        f"moderation: {spec.moderation} on the requests: {found.summary()}",
    )
    if not found.flagged:
        return Gate(payload=payload, details=details)
    if policy.spec.action == "warn":
        warning = f"{spec.moderation} flags {len(found.flagged)} requests: {found.first_findings()}"
        return Gate(payload=payload, details=details, warnings=(warning,))
    blocked = {
        line: flagged_words(spec.moderation, categories, "input")
        for line, categories in found.flagged.items()
    }
    details += (
        f"{len(blocked)} flagged request(s) left out, written to failures: "
        f"{found.first_findings()}",
    )
    return Gate(blocked=blocked, payload=payload, details=details)


def _size(source: Path, spec: BatchSpec) -> int:
    """The input's size in bytes as sent: the file itself (a template's requests are about
    as large as their items: the plan does not render them twice to measure)."""
    try:
        return source.stat().st_size
    except OSError:
        return 0


def _generation(
    resource: Resource, ctx: PlanContext, digest: str, project: str
) -> list[LiveObject]:
    return [
        b
        for b in ctx.live.of_kind("Batch")
        if b.address == resource.address
        and _in_generation(b, {"digest": digest, "project": project})
    ]


def _in_generation(batch: LiveObject, payload: dict[str, Any]) -> bool:
    same_project = batch.attributes.get("project") == payload["project"]
    return bool(batch.info.get("digest") == payload["digest"] and same_project)


def _file_cached_tokens(source: Path, sha256: str, cache_dir: Path) -> int:
    """`estimate.file_cached_tokens` of a batch-format file, kept by content hash under the
    stack's cache folder (the file is read once per content, not once per plan)."""
    import json

    from reconciler.datasets.tokens import count_tokens

    kept = cache_dir / "batches" / f"cached-prefix-{sha256[:32]}.json"
    try:
        return int(json.loads(kept.read_text(encoding="utf-8"))["cached_tokens"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    model = _file_model(source)
    cached = estimate.file_cached_tokens(
        requests.file_requests(source), lambda text: count_tokens(text, model)
    )
    try:
        kept.parent.mkdir(parents=True, exist_ok=True)
        kept.write_text(json.dumps({"cached_tokens": cached}), encoding="utf-8")
    except OSError:
        pass  # a read-only checkout: counted again next time
    return cached


def _file_model(source: Path) -> str | None:
    """The model of the first request of a batch-format file (for token counts and prices)."""
    try:
        first = next(requests.file_requests(source), None)
    except (OSError, ValueError):
        return None
    body = first.request.get("body") if first is not None else None
    model = body.get("model") if isinstance(body, dict) else None
    return model if isinstance(model, str) else None


def _estimate(
    spec: BatchSpec, source: Path, facts: Any, cache_key: str | None, cache_dir: Path
) -> estimate.Estimate:
    stats = getattr(facts, "stats", None)
    if spec.template is None or cache_key is None:
        count = int(getattr(stats, "requests", None) or 0)
        tokens = int(getattr(stats, "est_input_tokens", None) or 0)
        cost = getattr(stats, "estimated_cost_usd", None)
        cached = min(tokens, _file_cached_tokens(source, str(facts.sha256), cache_dir))
        if cost is not None and tokens:  # the cached part at the cached rate
            model = _file_model(source)
            cost -= cost / tokens * cached * (1 - estimate.cached_factor(model))
        return estimate.Estimate(count, tokens, cached, cost, getattr(stats, "cost_basis", None))
    from reconciler.datasets.prices import PriceTable
    from reconciler.datasets.tokens import count_tokens

    model = spec.template.get("model")
    model_name = model if isinstance(model, str) else None
    table = PriceTable.load()

    def price() -> tuple[str, float, float] | None:
        found = table.lookup(model_name)
        if found is None or found[1].input is None:
            return None
        per_token = found[1].input * (1 - table.batch_discount) / 1_000_000
        basis = f"{found[0]} input, {table.price_date} prices"
        return basis, per_token, estimate.cached_factor(model_name)

    built = requests.template_requests(source, spec.template, spec.endpoint, cache_key)
    prefix = count_tokens(requests.prefix_text(spec.template), model_name)
    return estimate.estimate_requests(
        built, prefix_tokens=prefix, count=lambda t: count_tokens(t, model_name), price=price
    )


def _desired_project(resource: Resource, ctx: PlanContext) -> tuple[str, dict[str, str]]:
    reference = next((r for r in resource.references if r.field[:1] == ("project",)), None)
    if reference is not None:
        return (ctx.known_ids.get(reference.address) or UNKNOWN), {"project": reference.address}
    spec = _spec(resource)
    if spec.project is not None and not spec.project.startswith("Project/"):
        return spec.project, {}
    return ctx.stack.config.default_project_id or HOME_PROJECT, {}


def _spec(resource: Resource) -> BatchSpec:
    assert isinstance(resource.spec, BatchSpec)
    return resource.spec


def _dataset_spec(resource: Resource) -> DatasetSpec:
    assert isinstance(resource.spec, DatasetSpec)
    return resource.spec


def _sha(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _absolute(resource: Resource, written: str | None) -> Path | None:
    return None if written is None else resource.base_dir / written


def _local(resource: Resource, written: str | None, ctx: PlanContext) -> str | None:
    path = _absolute(resource, written)
    return None if path is None else _relative(path, ctx.stack.root)


def _relative(path: Path, root: Path) -> str:
    try:
        return path.absolute().relative_to(root.absolute()).as_posix()
    except ValueError:
        return path.absolute().as_posix()
