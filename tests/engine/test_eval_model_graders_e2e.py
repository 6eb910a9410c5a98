"""End to end (issue 11): `score_model`, `label_model` and `multi` graders through the CLI.

The samples and the graders' requests go through the same machinery: Responses API calls for
`via: responses`, a second batch (the run's `grade` phase) for `via: batch`. The sandbox's
stand-in answers a grading request from how many of the answer's words (the last line of the
grader's user message) the reference has (docs/sandbox/inference.md), so the expected scores
are known: a right label scores 5 of [1, 5] and is `correct`, a wrong one 1 and `incorrect`.
"""

from __future__ import annotations

import json
import re

import openai
from evals.tiny_wordnet import write_tiny_wordnet

from reconciler.sandbox import SandboxHandle

from .e2e import Workspace, advance_clock

ITEMS = [  # the base model answers the label the email names; the third names none: billing
    {"email": "Billing question: my invoice was charged twice", "label": "billing"},
    {"email": "Technical problem: the app crashes at login", "label": "technical"},
    {"email": "Can I get a discount for fifty seats?", "label": "sales"},
]


ANSWER = "Expected: {{item.label}}\\nAnswer: {{sample.output_text}}"  # the sample: last line


def _write_stack(ws: Workspace, *, via: str) -> None:
    (ws.specs / "data").mkdir(exist_ok=True)
    (ws.specs / "data" / "emails.jsonl").write_text(
        "".join(json.dumps({"item": item}) + "\n" for item in ITEMS)
    )
    (ws.specs / "evals.yaml").write_text(
        f"""apiVersion: reconciler/v1
kind: Dataset
metadata: {{name: emails}}
spec: {{file: data/emails.jsonl, purpose: evals, format: eval}}
---
apiVersion: reconciler/v1
kind: Eval
metadata: {{name: triage}}
spec:
  data_source_config:
    type: custom
    item_schema:
      type: object
      properties: {{email: {{type: string}}, label: {{type: string}}}}
      required: [email, label]
    include_sample_schema: true
  testing_criteria:
    - {{type: string_check, name: exact, input: "{{{{sample.output_text}}}}",
       reference: "{{{{item.label}}}}", operation: eq}}
    - type: score_model
      name: judged
      model: gpt-4.1
      range: [1, 5]
      pass_threshold: 4
      input:
        - {{role: system, content: "Rate 1-5 how well the answer matches the expected label."}}
        - {{role: user, content: "{ANSWER}"}}
    - type: label_model
      name: verdict
      model: gpt-4.1-mini
      labels: [correct, incorrect]
      passing_labels: [correct]
      input:
        - {{role: system, content: "Say whether the answer is the expected label."}}
        - {{role: user, content: "{ANSWER}"}}
    - type: multi
      name: combined
      calculate_output: (exact + close) / 2
      graders:
        exact: {{type: string_check, name: exact, input: "{{{{sample.output_text}}}}",
                reference: "{{{{item.label}}}}", operation: eq}}
        close: {{type: text_similarity, name: close, input: "{{{{sample.output_text}}}}",
                reference: "{{{{item.label}}}}", evaluation_metric: fuzzy_match,
                pass_threshold: 0.5}}
    - {{type: text_similarity, name: near, input: "{{{{sample.output_text}}}}",
       reference: "{{{{item.label}}}}", evaluation_metric: cosine, pass_threshold: 0.9}}
---
apiVersion: reconciler/v1
kind: EvalRun
metadata: {{name: base}}
spec:
  eval: Eval/triage
  data_source:
    type: responses
    source: {{type: file_id, id: Dataset/emails}}
    input_messages:
      type: template
      template:
        - {{role: developer, content: "Classify the email as billing, technical or sales."}}
        - {{role: user, content: "{{{{item.email}}}}"}}
    model: gpt-4.1-mini
    sampling_params: {{temperature: 0, max_completion_tokens: 20}}
  via: {via}
"""
    )


def _results(client: openai.OpenAI) -> list[str]:
    return sorted(
        f.filename
        for f in client.files.list()
        if f.filename.startswith("reconciler--demo--EvalRun--") and f.filename.endswith(".json")
    )


# exact: 2 of 3; judged: scores 5, 5, 1 (mean 3.667), 2 pass at 4; verdict: 2 correct;
# combined: 1, 1 and (0 + fuzzy_match("billing", "sales") = 1/6) / 2: mean 0.694;
# near (cosine of the sandbox's embeddings): 1, 1 and ~0.016 for billing / sales
EXPECTED = "--n3e0--2p667_2p3667_2p667_2p694_2p672--"


def test_model_graders_via_responses(ws: Workspace, client: openai.OpenAI) -> None:
    _write_stack(ws, via="responses")
    validated = ws.run("validate", "specs")
    assert validated.exit_code == 0, validated.output
    planned = ws.run("plan", "specs")
    assert re.search(
        r"\+ 3 grader requests \(judged with gpt-4\.1\), ~\d+ input tokens; "
        r"est\. input only: \$\d+\.\d{4} at full prices",
        planned.output,
    ), planned.output
    assert "+ 3 grader requests (verdict with gpt-4.1-mini)" in planned.output
    applied = ws.run("apply", "specs", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    results = _results(client)
    assert len(results) == 1 and EXPECTED in results[0], results
    details = next((ws.specs / ".reconciler").rglob("*.results.jsonl")).read_text()
    grades = [json.loads(line)["grades"] for line in details.splitlines()]
    assert [g["judged"]["score"] for g in grades] == [5.0, 5.0, 1.0]
    assert [g["verdict"]["passed"] for g in grades] == [True, True, False]
    again = ws.run("plan", "specs", "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert "judged: 67% pass (2/3), mean 3.667" in again.output


def _batches(admin_client: openai.OpenAI) -> list[object]:
    """The eval run's batches: in the API key's project (the demo stack names no other)."""
    return [b for b in admin_client.batches.list() if (b.metadata or {}).get("reconciler_evalrun")]


def test_model_graders_via_batch_run_in_grading_batches(
    ws: Workspace, client: openai.OpenAI, admin_client: openai.OpenAI, sandbox: SandboxHandle
) -> None:
    _write_stack(ws, via="batch")
    assert ws.run("apply", "specs", "--auto-approve").exit_code == 0
    assert len(_batches(admin_client)) == 1
    advance_clock(sandbox, 120)
    sampled = ws.run("apply", "specs", "--auto-approve")  # grading batches
    assert sampled.exit_code == 0, sampled.output
    batches = _batches(admin_client)
    phases = sorted((b.metadata or {}).get("reconciler_phase", "sample") for b in batches)  # type: ignore[attr-defined]
    # a batch has one model: one grading batch per grader model
    assert phases == ["grade:gpt-4.1", "grade:gpt-4.1-mini", "sample"], phases
    assert _results(client) == []
    waiting = ws.run("plan", "specs")
    assert "wait: batch" in waiting.output, waiting.output
    advance_clock(sandbox, 120)
    graded = ws.run("apply", "specs", "--auto-approve")
    assert graded.exit_code == 0, graded.output
    results = _results(client)
    assert len(results) == 1 and EXPECTED in results[0], (results, graded.output)
    assert len(_batches(admin_client)) == 3  # nothing submitted twice
    final = ws.run("plan", "specs", "--detailed-exitcode")
    assert final.exit_code == 0, final.output


METEOR = """    - {type: text_similarity, name: meteor, input: "{{sample.output_text}}",
       reference: "{{item.label}}", evaluation_metric: meteor, pass_threshold: 0.4}
"""
PYTHON_CRITERION = """    - type: python
      name: coded
      pass_threshold: 1
      source: |
        def grade(sample, item):
            return 1.0 if sample["output_text"] == item["label"] else 0.0
"""


def test_a_python_grader_runs_only_when_the_stack_opts_in(
    ws: Workspace, client: openai.OpenAI
) -> None:
    _write_stack(ws, via="responses")
    evals = ws.specs / "evals.yaml"
    text = evals.read_text()
    evals.write_text(text.replace("    - type: multi\n", PYTHON_CRITERION + "    - type: multi\n"))
    refused = ws.run("validate", "specs")
    assert refused.exit_code == 1, refused.output
    line = text.splitlines().index("    - type: multi") + 1
    assert f"evals.yaml:{line}:" in refused.output and "python_graders: true" in refused.output
    assert "Traceback" not in refused.output

    # meteor too, with a WordNet the stack names (never downloaded): a one-word exact match
    # scores 0.5 (one chunk of one word: penalty 0.5 × 1³), billing / sales 0
    run_document = "---\napiVersion: reconciler/v1\nkind: EvalRun"
    evals.write_text(evals.read_text().replace(run_document, METEOR + run_document))
    write_tiny_wordnet(ws.specs / "wordnet")
    config = ws.specs / "reconciler.yaml"
    config.write_text(config.read_text() + "evals: {python_graders: true, wordnet: wordnet}\n")
    validated = ws.run("validate", "specs")
    assert validated.exit_code == 0, validated.output
    applied = ws.run("apply", "specs", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    results = _results(client)
    coded = "--n3e0--2p667_2p3667_2p667_2p667_2p694_2p672_2p333--"  # coded: as exact
    assert len(results) == 1 and coded in results[0], results
