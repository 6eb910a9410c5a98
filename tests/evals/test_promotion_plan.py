"""The Promotion planner with live state as data: a recorded winner that is still the best is
a no-op, a better candidate is an update of the record, and when no candidate passes the
Promotion is blocked while the previous winner stays the output of `Promotion/x`."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.evals.summary import CriterionResult, Summary, filename
from reconciler.evals.winners import Winner
from reconciler.evals.winners import filename as winner_filename
from reconciler.kinds.facts import check_datasets
from reconciler.manifests import load_stack
from reconciler.plan import Action, Plan
from reconciler.planner import build_plan
from reconciler.state import LiveObject, LiveState, Ownership

EVAL = """apiVersion: reconciler/v1
kind: Eval
metadata: {name: e}
spec:
  data_source_config: {type: custom, item_schema: {type: object}, include_sample_schema: true}
  testing_criteria:
    - {type: string_check, name: exact, input: "{{sample.output_text}}", reference: x,
       operation: eq}
"""
RUN = """---
apiVersion: reconciler/v1
kind: EvalRun
metadata: {name: %s}
spec:
  eval: Eval/e
  data_source:
    type: responses
    source: {type: file_content, content: [{item: {q: a}}, {item: {q: b}}]}
    input_messages: {type: template, template: [{role: user, content: "%s {{item.q}}"}]}
    model: %s
  via: responses
"""
PROMOTION = """---
apiVersion: reconciler/v1
kind: Promotion
metadata: {name: p}
spec:
  candidates: [EvalRun/a, EvalRun/b]
  gate: [{criterion: exact, min_pass_rate: 0.5}]
"""


def _stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "reconciler.yaml").write_text("stack: test\n")
    runs = RUN % ("a", "A", "model-a") + RUN % ("b", "B", "model-b")
    consumer = RUN % ("c", "C", "Promotion/p")
    (tmp_path / "stack.yaml").write_text(EVAL + runs + consumer + PROMOTION)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _plan(root: Path, *objects: LiveObject) -> Plan:
    stack = load_stack(root)
    return build_plan(
        stack, LiveState(objects=objects, ownership=Ownership()), reports=check_datasets(stack)
    )


def _digests(root: Path) -> dict[str, str]:
    plan = _plan(root)
    return {c.address: str(c.desired.get("digest")) for c in plan.changes}


def _result(name: str, digest: str, passed: int) -> LiveObject:
    key = filename("test", name, Summary(digest, 2, 0, (CriterionResult(passed, passed * 500),)))
    return LiveObject(
        kind="EvalRun",
        key=key,
        live_id=f"file-{name}",
        attributes={"digest": digest},
        address=f"EvalRun/{name}",
        created_at=1,
        info={"stack": "test"},
    )


def _record(run: str, model: str) -> LiveObject:
    return LiveObject(
        kind="Promotion",
        key=winner_filename("test", Winner("p", run, "0" * 16, model)),
        live_id="file-record",
        attributes={"winner": f"EvalRun/{run}", "model": model},
        owned=True,
        address="Promotion/p",
        created_at=1,
    )


def _change(plan: Plan, address: str) -> tuple[Action, str]:
    change = next(c for c in plan.changes if c.address == address)
    return change.action, change.reason


def test_the_recorded_winner_a_better_candidate_and_none_passing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _stack(tmp_path, monkeypatch)
    digests = _digests(root)
    a, b = digests["EvalRun/a"], digests["EvalRun/b"]

    same = _plan(root, _result("a", a, 2), _result("b", b, 1), _record("a", "model-a"))
    assert _change(same, "Promotion/p") == (
        Action.NOOP,
        "promotes EvalRun/a (model model-a)",
    )

    better = _plan(root, _result("a", a, 1), _result("b", b, 2), _record("a", "model-a"))
    action, reason = _change(better, "Promotion/p")
    assert action is Action.UPDATE and reason.startswith("a new winner: winner: 'EvalRun/a' →")

    none = _plan(root, _result("a", a, 0), _result("b", b, 0), _record("a", "model-a"))
    action, reason = _change(none, "Promotion/p")
    assert action is Action.BLOCKED
    assert reason.endswith("the previous winner EvalRun/a (model model-a) stays the output")
    consumer = next(c for c in none.changes if c.address == "EvalRun/c")
    assert consumer.action is Action.CREATE and consumer.desired["model"] == "model-a"


def test_github_output_appends_scalars_with_a_delimiter_for_multi_line_values(
    tmp_path: Path,
) -> None:
    from reconciler.commands.output import write_github_output

    target = tmp_path / "out"
    write_github_output(target, {"model": "m-1", "ok": True, "note": "a\nb", "scores": {"x": 1}})
    lines = target.read_text().splitlines()
    assert lines[:2] == ["model=m-1", "ok=true"]
    assert lines[2].startswith("note<<EOF_") and lines[3:5] == ["a", "b"]
    assert lines[5] == lines[2].partition("<<")[2] and len(lines) == 6
