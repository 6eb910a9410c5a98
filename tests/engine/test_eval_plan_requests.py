"""The requests a plan of EvalRuns makes do not grow with the number of runs: their result
files are found in one listing of the API key's project's files, their batches (via: batch) in
one listing of its batches; Evals and Promotions read nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from .e2e import Workspace

EVAL = """apiVersion: reconciler/v1
kind: Eval
metadata: {name: e}
spec:
  data_source_config: {type: custom, item_schema: {type: object}, include_sample_schema: true}
  testing_criteria:
    - {type: string_check, name: any, input: "{{sample.output_text}}", reference: "",
       operation: like}
"""
RUN = """---
apiVersion: reconciler/v1
kind: EvalRun
metadata: {name: run-%d}
spec:
  eval: Eval/e
  data_source:
    type: responses
    source: {type: file_content, content: [{item: {q: "question %d"}}]}
    input_messages: {type: template, template: [{role: user, content: "{{item.q}}"}]}
    model: gpt-4.1-mini
  via: %s
"""


def _stack(root: Path, count: int, via: str) -> Path:
    specs = root / f"evals-{count}-{via}"
    specs.mkdir()
    (specs / "reconciler.yaml").write_text("stack: scale\n")
    (specs / "stack.yaml").write_text(EVAL + "".join(RUN % (i, i, via) for i in range(count)))
    return specs


def _requests(output: str) -> int:
    return int(output.split("(", 1)[1].split(" API request", 1)[0])


@pytest.mark.parametrize("via", ["responses", "batch"])
def test_plan_requests_do_not_grow_with_the_number_of_runs(ws: Workspace, via: str) -> None:
    counts = []
    for count in (2, 12):
        specs = _stack(ws.root, count, via)
        applied = ws.run("apply", str(specs), "--auto-approve")
        assert applied.exit_code == 0, applied.output
        planned = ws.run("plan", str(specs))
        assert planned.exit_code == 0, planned.output
        counts.append(_requests(planned.output))
    # the home project's files (core), the same files again (EvalRun's reader), the batches
    expected = 3 if via == "batch" else 2
    assert counts == [expected, expected]
