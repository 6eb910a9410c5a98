"""The EvalRun planner with live state as data (no API): a run waits for a FineTune that has
not finished, samples the fine-tuned model once it has, is a no-op with the pass rates once
its result file exists, and a replace when only an older digest's result file does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.evals.summary import CriterionResult, Summary, filename
from reconciler.kinds.facts import check_datasets
from reconciler.manifests import load_stack
from reconciler.plan import Action, Plan
from reconciler.planner import build_plan
from reconciler.state import LiveObject, LiveState, Ownership

MANIFESTS = """apiVersion: reconciler/v1
kind: Dataset
metadata: {name: train}
spec: {file: train.jsonl, purpose: fine-tune, format: chat}
---
apiVersion: reconciler/v1
kind: FineTune
metadata: {name: ft}
spec: {model: gpt-4.1-mini-2025-04-14, training_file: Dataset/train}
---
apiVersion: reconciler/v1
kind: Eval
metadata: {name: triage}
spec:
  data_source_config:
    type: custom
    item_schema: {type: object, properties: {email: {type: string}, label: {type: string}}}
    include_sample_schema: true
  testing_criteria:
    - {type: string_check, name: exact, input: "{{sample.output_text}}",
       reference: "{{item.label}}", operation: eq}
---
apiVersion: reconciler/v1
kind: EvalRun
metadata: {name: ft-run}
spec:
  eval: Eval/triage
  data_source:
    type: responses
    source:
      type: file_content
      content:
        - {item: {email: "my invoice is wrong", label: billing}}
        - {item: {email: "the app crashes", label: technical}}
    input_messages:
      type: template
      template: [{role: user, content: "{{item.email}}"}]
    model: FineTune/ft
"""


def _job(status: str, model: str | None = None) -> LiveObject:
    return LiveObject(
        kind="FineTune",
        key="ftjob-1",
        live_id="ftjob-1",
        attributes={},
        owned=True,
        address="FineTune/ft",
        status=status,
        created_at=1,
        info={"fine_tuned_model": model} if model else {},
    )


def _result(digest: str) -> LiveObject:
    summary = Summary(digest, 2, 0, (CriterionResult(1, 500),))
    name = filename("test", "ft-run", summary)
    return LiveObject(
        kind="EvalRun",
        key=name,
        live_id="file-result",
        attributes={"digest": digest, "results": "graded"},
        address="EvalRun/ft-run",
        created_at=2,
        info={"stack": "test"},
    )


def _plan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *objects: LiveObject) -> Plan:
    (tmp_path / "reconciler.yaml").write_text("stack: test\n")
    line = {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}
    (tmp_path / "train.jsonl").write_text((json.dumps(line) + "\n") * 12)
    (tmp_path / "stack.yaml").write_text(MANIFESTS)
    monkeypatch.chdir(tmp_path)
    stack = load_stack(tmp_path)
    live = LiveState(objects=objects, ownership=Ownership())
    return build_plan(stack, live, reports=check_datasets(stack))


def _run(plan: Plan) -> tuple[Action, str, dict[str, object]]:
    change = next(c for c in plan.changes if c.address == "EvalRun/ft-run")
    return change.action, change.reason, dict(change.desired)


def test_a_run_waits_for_its_fine_tune(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    action, reason, _ = _run(_plan(tmp_path, monkeypatch, _job("running")))
    assert action is Action.WAIT
    assert reason == "waits for FineTune/ft: job ftjob-1 is running"


def test_a_finished_fine_tune_is_sampled_by_its_model_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    action, reason, desired = _run(_plan(tmp_path, monkeypatch, _job("succeeded", "ft:m:1")))
    assert action is Action.CREATE, reason
    assert desired["model"] == "ft:m:1"


def test_a_run_with_its_result_file_is_a_noop_with_pass_rates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, _, desired = _run(_plan(tmp_path, monkeypatch, _job("succeeded", "ft:m:1")))
    digest = str(desired["digest"])
    done = _plan(tmp_path, monkeypatch, _job("succeeded", "ft:m:1"), _result(digest))
    action, reason, _ = _run(done)
    assert action is Action.NOOP
    assert reason == "run complete (2 items): exact: 50% pass (1/2), mean 0.500"

    other = _plan(tmp_path, monkeypatch, _job("succeeded", "ft:m:2"), _result(digest))
    action, reason, _ = _run(other)  # a new model: a new run, the old result stays
    assert action is Action.REPLACE
    assert "a new run; the old results stay" in reason
