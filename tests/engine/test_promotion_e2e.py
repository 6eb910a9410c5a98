"""End to end (issue 11): a Promotion over two EvalRuns through the CLI against the sandbox.

Before the runs have results the Promotion waits; once they have, plan picks the candidate
that passes every gate and shows the decision as a table; a gate nobody passes blocks it and
apply exits 1. The sandbox's base model echoes the question's key words, so the run whose
template asks for the keyword passes `mentions`; `exact` (eq) passes for nobody.
"""

from __future__ import annotations

import json
import re

import openai

from .e2e import Workspace

ITEMS = [
    {"question": "How do I reset my password?", "keyword": "password"},
    {"question": "Where is my invoice for March?", "keyword": "invoice"},
]
RUN = """---
apiVersion: reconciler/v1
kind: EvalRun
metadata: {{name: {name}}}
spec:
  eval: Eval/answers
  data_source:
    type: responses
    source: {{type: file_id, id: Dataset/questions}}
    input_messages:
      type: template
      template: [{{role: user, content: "{content}"}}]
    model: {model}
  via: responses
"""


def _write_stack(ws: Workspace, gate: str) -> None:
    (ws.specs / "data" / "questions.jsonl").write_text(
        "".join(json.dumps({"item": item}) + "\n" for item in ITEMS)
    )
    manifests = """apiVersion: reconciler/v1
kind: Dataset
metadata: {name: questions}
spec: {file: data/questions.jsonl, purpose: evals, format: eval}
---
apiVersion: reconciler/v1
kind: Eval
metadata: {name: answers}
spec:
  data_source_config:
    type: custom
    item_schema: {type: object, properties: {question: {type: string}, keyword: {type: string}}}
    include_sample_schema: true
  testing_criteria:
    - {type: string_check, name: mentions, input: "{{sample.output_text}}",
       reference: "{{item.keyword}}", operation: ilike}
    - {type: string_check, name: exact, input: "{{sample.output_text}}",
       reference: "{{item.keyword}}", operation: eq}
"""
    keyword = "{{item.question}} {{item.keyword}}"
    manifests += RUN.format(name="keyword", content=keyword, model="gpt-4.1-mini")
    manifests += RUN.format(name="greeting", content="Hello there!", model="gpt-4.1-mini")
    manifests += RUN.format(name="promoted", content=keyword, model="Promotion/answer-model")
    manifests += f"""---
apiVersion: reconciler/v1
kind: Promotion
metadata: {{name: answer-model}}
spec:
  candidates: [EvalRun/greeting, EvalRun/keyword]
  baseline: EvalRun/greeting
  gate:
    - {gate}
"""
    (ws.specs / "evals.yaml").write_text(manifests)


def test_promotion_waits_then_picks_the_candidate_passing_its_gates(
    ws: Workspace, client: openai.OpenAI
) -> None:
    _write_stack(ws, "{criterion: mentions, min_pass_rate: 0.9}")
    planned = ws.run("plan", "specs")
    assert planned.exit_code == 0, planned.output
    assert (
        "Promotion/answer-model  create: decided once EvalRun/greeting, EvalRun/keyword ran"
        in planned.output
    )
    assert "EvalRun/promoted  wait: waits for Promotion/answer-model" in planned.output

    applied = ws.run("apply", "specs", "--auto-approve")  # runs both, then decides
    assert applied.exit_code == 0, applied.output
    records = [f.filename for f in client.files.list() if "--Promotion--" in f.filename]
    assert records == [
        "reconciler--demo--Promotion--answer-model--winner.keyword--"
        f"{records[0].split('--')[5]}--gpt~4.1~mini.json"
    ]

    decided = ws.run("plan", "specs", "--detailed-exitcode")
    assert decided.exit_code == 2, decided.output  # the promoted model's run can start now
    assert "EvalRun/promoted  create" in decided.output
    assert "2 requests (Responses API, gpt-4.1-mini)" in decided.output
    assert "promotes EvalRun/keyword (model gpt-4.1-mini)" in decided.output
    assert "EvalRun/greeting fails mentions 0% < 90%" in decided.output
    table = ws.run("plan", "specs", "--format", "json")  # the table is in the details
    assert "+100% vs baseline" in table.output, table.output
    assert "p50/p95" in table.output and re.search(r"\d+/\d+ ms", table.output)
    assert re.search(r"\$\d+\.\d\d", table.output)  # cost per 1,000 items

    assert ws.run("apply", "specs", "--auto-approve").exit_code == 0
    done = ws.run("plan", "specs", "--detailed-exitcode")
    assert done.exit_code == 0, done.output

    _write_stack(ws, "{criterion: exact, min_pass_rate: 0.5}")
    blocked = ws.run("plan", "specs")
    assert blocked.exit_code == 1, blocked.output
    assert "no candidate passes every gate" in blocked.output
    assert "the previous winner EvalRun/keyword (model gpt-4.1-mini) stays" in blocked.output
    assert "EvalRun/promoted  blocked" not in blocked.output  # it keeps the previous winner


def test_output_prints_the_recorded_winner_for_ci(ws: Workspace) -> None:
    _write_stack(ws, "{criterion: mentions, min_pass_rate: 0.9}")
    none_yet = ws.run("output", "Promotion/answer-model", "specs")
    assert none_yet.exit_code == 1 and "has no winner recorded" in none_yet.output
    assert "reconciler apply" in none_yet.output and "Traceback" not in none_yet.output
    unknown = ws.run("output", "Dataset/questions", "specs")
    assert unknown.exit_code == 1 and "give Batch/name or Promotion/name" in unknown.output

    assert ws.run("apply", "specs", "--auto-approve").exit_code == 0
    shown = ws.run("show", "Promotion/answer-model", "specs")  # the decision table
    assert shown.exit_code == 0, shown.output
    assert shown.output.startswith("Promotion/answer-model: promotes EvalRun/keyword")
    assert re.search(r"^candidate +model +mentions +exact +p50/p95", shown.output, re.M)
    assert re.search(r"^EvalRun/keyword +gpt-4\.1-mini +100% .*pass \(winner\)$", shown.output,
                     re.M), shown.output  # fmt: skip
    human = ws.run("output", "Promotion/answer-model", "specs")
    assert human.exit_code == 0, human.output
    lines = human.output.splitlines()
    assert lines[0] == "Promotion/answer-model: gpt-4.1-mini"
    assert "winner:   EvalRun/keyword (digest " in lines[1]
    assert "mentions: 100% pass (2/2), mean 1.000" in human.output
    assert "user: {{item.question}} {{item.keyword}}" in human.output
    assert ws.run("output", "Promotion/answer-model", "specs", "--format", "model").output == (
        "gpt-4.1-mini\n"
    )

    github = ws.specs / "github_output.txt"
    github.write_text("earlier=1\n")
    ws.env["GITHUB_OUTPUT"] = str(github)
    try:
        machine = ws.run("output", "Promotion/answer-model", "specs", "--format", "json")
    finally:
        del ws.env["GITHUB_OUTPUT"]
    data = json.loads(machine.output)
    assert data["model"] == "gpt-4.1-mini" and data["winner"] == "EvalRun/keyword"
    assert data["scores"]["mentions"] == {"pass_rate": 1.0, "passed": 2, "items": 2, "mean": 1.0}
    assert data["scores"]["exact"]["pass_rate"] == 0.0
    assert data["latency_ms"]["p95"] >= data["latency_ms"]["p50"]
    written = github.read_text().splitlines()
    assert written[0] == "earlier=1"  # appended, never overwritten
    assert "model=gpt-4.1-mini" in written and "winner=EvalRun/keyword" in written
    assert f"digest={data['digest']}" in written

    # no candidate passes any more: the previous winner stays the output
    _write_stack(ws, "{criterion: exact, min_pass_rate: 0.5}")
    assert ws.run("apply", "specs", "--auto-approve").exit_code == 1
    kept = ws.run("output", "Promotion/answer-model", "specs", "--format", "model")
    assert kept.exit_code == 0 and kept.output == "gpt-4.1-mini\n"
