"""End to end (issue 11): an Eval and an EvalRun through the CLI against the sandbox.

plan (requests, tokens, cost) → apply (samples through the Responses API, grades locally,
uploads the result file whose name carries the summary) → plan is a no-op showing the pass
rate per criterion → a changed template is a replace (a new run) and the old summary stays.
The sandbox's base model answers with a sentence that echoes the question's key words, so an
`ilike` check for the item's keyword passes and an `eq` check against a label fails.
"""

from __future__ import annotations

import json
import re

import openai

from reconciler.sandbox import SandboxHandle

from .e2e import Workspace, advance_clock, set_faults

ITEMS = [
    {"question": "How do I reset my password?", "keyword": "password"},
    {"question": "Where is my invoice for March?", "keyword": "invoice"},
    {"question": "Can I upgrade my subscription plan?", "keyword": "subscription"},
]


def _write_stack(ws: Workspace, *, system: str = "Answer briefly.", via: str = "responses") -> None:
    (ws.specs / "data" / "questions.jsonl").write_text(
        "".join(json.dumps({"item": item}) + "\n" for item in ITEMS)
    )
    (ws.specs / "evals.yaml").write_text(
        f"""apiVersion: reconciler/v1
kind: Dataset
metadata: {{name: questions}}
spec:
  file: data/questions.jsonl
  purpose: evals
  format: eval
---
apiVersion: reconciler/v1
kind: Eval
metadata: {{name: support-answers}}
spec:
  data_source_config:
    type: custom
    item_schema:
      type: object
      properties: {{question: {{type: string}}, keyword: {{type: string}}}}
      required: [question, keyword]
    include_sample_schema: true
  testing_criteria:
    - {{type: string_check, name: mentions, input: "{{{{sample.output_text}}}}",
       reference: "{{{{item.keyword}}}}", operation: ilike}}
    - {{type: string_check, name: exact, input: "{{{{sample.output_text}}}}",
       reference: "{{{{item.keyword}}}}", operation: eq}}
    - {{type: text_similarity, name: close, input: "{{{{sample.output_text}}}}",
       reference: "{{{{item.question}}}}", evaluation_metric: fuzzy_match, pass_threshold: 0.2}}
---
apiVersion: reconciler/v1
kind: EvalRun
metadata: {{name: base}}
spec:
  eval: Eval/support-answers
  data_source:
    type: responses
    source: {{type: file_id, id: Dataset/questions}}
    input_messages:
      type: template
      template:
        - {{role: developer, content: "{system}"}}
        - {{role: user, content: "{{{{item.question}}}}"}}
    model: gpt-4.1-mini
    sampling_params: {{temperature: 0, max_completion_tokens: 40}}
  via: {via}
"""
    )


def _results(client: openai.OpenAI) -> list[str]:
    return sorted(
        f.filename
        for f in client.files.list()
        if f.filename.startswith("reconciler--demo--EvalRun--") and f.filename.endswith(".json")
    )


def test_eval_run_plan_apply_noop_then_replace_on_a_new_template(
    ws: Workspace, client: openai.OpenAI
) -> None:
    _write_stack(ws)
    assert ws.run("validate", "specs").exit_code == 0

    planned = ws.run("plan", "specs")
    assert planned.exit_code == 0, planned.output
    assert "EvalRun/base" in planned.output
    assert "3 requests (Responses API, gpt-4.1-mini)" in planned.output
    assert "input tokens" in planned.output and "at full prices" in planned.output

    applied = ws.run("apply", "specs", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    first = _results(client)
    assert len(first) == 1 and "--n3e0--3p1000_0p0_" in first[0], first

    again = ws.run("plan", "specs", "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert "run complete (3 items)" in again.output
    assert "mentions: 100% pass (3/3)" in again.output
    assert "exact: 0% pass (0/3)" in again.output
    details = list((ws.specs / ".reconciler").rglob("*.results.jsonl"))
    assert len(details) == 1 and len(details[0].read_text().splitlines()) == 3

    _write_stack(ws, system="Answer briefly and politely.")
    changed = ws.run("plan", "specs", "--detailed-exitcode")
    assert changed.exit_code == 2, changed.output
    assert "a new run; the old results stay" in changed.output

    replaced = ws.run("apply", "specs", "--auto-approve")
    assert replaced.exit_code == 0, replaced.output
    second = _results(client)
    assert len(second) == 2 and first[0] in second  # the old summary stays readable
    final = ws.run("plan", "specs", "--detailed-exitcode")
    assert final.exit_code == 0, final.output


def test_a_retried_run_resumes_without_sampling_an_item_twice(
    ws: Workspace, client: openai.OpenAI, sandbox: SandboxHandle
) -> None:
    _write_stack(ws)
    # one sample fails (500): the others are recorded, the apply engine retries the create,
    # and the retry samples only the missing item
    set_faults(sandbox, [{"kind": "500", "route": "/v1/responses", "method": "POST", "count": 1}])
    applied = ws.run("apply", "specs", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert "EvalRun/base" in applied.output and "retrying" in applied.output
    assert len(_results(client)) == 1
    progress = list((ws.specs / ".reconciler").rglob("demo--base--*[0-9a-f].jsonl"))
    assert len(progress) == 1
    lines = [json.loads(line)["line"] for line in progress[0].read_text().splitlines()]
    assert sorted(lines) == [1, 2, 3]  # each item sampled once


def _in_every_project(admin_client: openai.OpenAI) -> list[openai.OpenAI]:
    """Where the demo stack's runs go: the API key's own project (it names no other)."""
    return [admin_client]


def test_a_run_via_batch_waits_then_is_graded_from_the_batch_output(
    ws: Workspace, client: openai.OpenAI, admin_client: openai.OpenAI, sandbox: SandboxHandle
) -> None:
    _write_stack(ws, via="batch")
    planned = ws.run("plan", "specs")
    assert planned.exit_code == 0, planned.output
    assert "at batch prices" in planned.output

    submitted = ws.run("apply", "specs", "--auto-approve")
    assert submitted.exit_code == 0, submitted.output
    batches = [  # in the stack's default project, where the samples run
        b
        for scoped in _in_every_project(admin_client)
        for b in scoped.batches.list()
        if (b.metadata or {}).get("reconciler_evalrun")
    ]
    assert len(batches) == 1 and _results(client) == []

    waiting = ws.run("plan", "specs")
    assert f"wait: batch {batches[0].id} is" in waiting.output, waiting.output

    advance_clock(sandbox, 120)
    grading = ws.run("plan", "specs", "--detailed-exitcode")
    assert grading.exit_code == 2, grading.output
    assert "its batch finished: grade the output locally" in grading.output

    graded = ws.run("apply", "specs", "--auto-approve")
    assert graded.exit_code == 0, graded.output
    results = _results(client)
    assert len(results) == 1 and "--n3e0--3p1000_0p0_" in results[0], (results, graded.output)
    inputs = [
        f
        for scoped in _in_every_project(admin_client)
        for f in scoped.files.list()
        if f.filename.endswith("--input.jsonl")
    ]
    assert inputs == []  # deleted once graded

    final = ws.run("plan", "specs", "--detailed-exitcode")
    assert final.exit_code == 0, final.output
    assert "mentions: 100% pass (3/3)" in final.output


def test_a_long_stable_prefix_plans_a_cached_share_and_a_cheaper_estimate(
    ws: Workspace,
) -> None:
    """The developer message before the first `{{item...}}` is the same in every request: with
    1,024+ tokens, each request after the first is expected to be served it from the cache."""
    _write_stack(ws, system="Answer briefly.")
    short = ws.run("plan", "specs")
    assert short.exit_code == 0, short.output
    assert "(0% cached: the template's stable prefix)" in short.output

    rules = " ".join(f"Rule {i}: answer politely and briefly, in English." for i in range(150))
    _write_stack(ws, system=rules)
    long = ws.run("plan", "specs")
    assert long.exit_code == 0, long.output
    share = re.search(r"\((\d+)% cached: the template's stable prefix\)", long.output)
    assert share is not None and int(share[1]) > 50, long.output
    # 3 requests: the 2nd and 3rd read the prefix from the cache, priced at the cached rate
    uncached = re.search(r"est\. at most \$([\d.]+) at full prices", long.output)
    assert uncached is not None
    tokens = re.search(r"~([\d,]+) input tokens \(", long.output)
    assert tokens is not None
    full_input = int(tokens[1].replace(",", "")) * 0.40 / 1_000_000  # gpt-4.1-mini input price
    assert float(uncached[1]) < full_input + 3 * 40 * 1.60 / 1_000_000
