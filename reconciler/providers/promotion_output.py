"""`reconciler output Promotion/name`: the winner a Promotion recorded, for CI to use.

`commands/output.py` calls `promotion_output(stack, clients, address)` (its dispatch by kind).
It lists the API key's project's files once, as plan does, and reads the Promotion's winner
record (`evals.winners`: the last winner an apply recorded, which stays the output while no
candidate passes) and the winning run's result file of the same digest (`evals.summary`: its
pass rate and mean score per criterion, latency). The winning run's template and criteria
names come from the manifests when they still declare it. Returns (data for `--format json`
and `$GITHUB_OUTPUT`, lines for people).
"""

from __future__ import annotations

from typing import Any

from reconciler.errors import ConfigError
from reconciler.evals import summary as summaries
from reconciler.evals import winners
from reconciler.manifests import Stack
from reconciler.models.eval import EvalSpec
from reconciler.models.eval_run import EvalRunSpec
from reconciler.providers.client import Clients
from reconciler.providers.files import list_files
from reconciler.state import HOME_PROJECT


def promotion_output(
    stack: Stack, clients: Clients, address: str
) -> tuple[dict[str, Any], list[str]]:
    """The recorded winner of the Promotion at `address`: (data, lines); a ConfigError when
    it has none yet."""
    name = address.partition("/")[2]
    files = list_files(clients, HOME_PROJECT)
    records = [
        (int(f.created_at or 0), record)
        for f in files
        if (record := winners.parse_filename(stack.name, str(f.filename))) is not None
        and record.promotion == name
    ]
    if not records:
        declared = address in stack.resources
        why = "run `reconciler apply`" if declared else f"no manifest declares {address} either"
        raise ConfigError(
            f"{address} has no winner recorded in stack '{stack.name}' ({why}; a Promotion "
            "whose candidates all fail their gates records none: see `reconciler plan`)"
        )
    winner = max(records, key=lambda pair: pair[0])[1]
    run = _run_manifest(stack, winner.run_address)
    names = _criteria_names(stack, run)
    found = None
    for file in files:
        parsed = summaries.parse_filename(stack.name, str(file.filename))
        if parsed is not None and parsed[0] == winner.run and parsed[1].digest == winner.digest:
            found = parsed[1]
    data: dict[str, Any] = {
        "promotion": address,
        "model": winner.model,
        "winner": winner.run_address,
        "digest": winner.digest,
        "template": _template(run),
        "scores": _scores(found, names),
        "latency_ms": (
            {"p50": found.latency_ms[0], "p95": found.latency_ms[1]}
            if found is not None and found.latency_ms is not None
            else None
        ),
    }
    lines = [
        f"{address}: {winner.model}",
        f"  winner:   {winner.run_address} (digest {winner.digest})",
    ]
    if found is None:
        lines.append("  scores:   its result file is gone (the record names the model only)")
    else:
        counts = f"{found.items} items" + (f", {found.errors} failed" if found.errors else "")
        lines.append(f"  scores:   {counts}")
        lines += [f"    {line}" for line in found.lines(names)]
        if found.latency_ms is not None:
            p50, p95 = found.latency_ms
            lines.append(f"  latency:  p50 {p50} ms, p95 {p95} ms")
    if data["template"]:
        lines.append("  template:")
        for message in data["template"]:
            content = str(message.get("content"))
            lines.append(f"    {message.get('role')}: " + content.replace("\n", "\n      "))
    return data, lines


def _run_manifest(stack: Stack, address: str) -> EvalRunSpec | None:
    resource = stack.resources.get(address)
    if resource is None or not isinstance(resource.spec, EvalRunSpec):
        return None
    return resource.spec


def _criteria_names(stack: Stack, run: EvalRunSpec | None) -> list[str]:
    evaluation = stack.resources.get(run.eval) if run is not None else None
    if evaluation is None or not isinstance(evaluation.spec, EvalSpec):
        return []
    return [c.name for c in evaluation.spec.testing_criteria]


def _template(run: EvalRunSpec | None) -> list[dict[str, Any]] | None:
    if run is None:
        return None
    return [
        m.model_dump(mode="json", exclude_none=True)
        for m in run.data_source.input_messages.template
    ]


def _scores(found: summaries.Summary | None, names: list[str]) -> dict[str, Any] | None:
    if found is None:
        return None
    total = found.items + found.errors
    return {
        (names[i] if i < len(names) else f"criterion {i + 1}"): {
            "pass_rate": round(found.pass_rate(i), 4),
            "passed": result.passed,
            "items": total,
            "mean": result.mean,
        }
        for i, result in enumerate(found.criteria)
    }
