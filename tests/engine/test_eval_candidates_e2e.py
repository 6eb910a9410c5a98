"""End to end (issue 11): comparing candidates as the issue's workflow does, on the sandbox.

A FineTune trained on labelled emails, the base model with a prompt that describes its labels,
and the base model with a prompt that only lists them are run on held-out emails; the
fine-tune's run waits for its job; the Promotion picks the best candidate passing its gate. The
stand-in model makes the outcome explainable: the fine-tune answers from its training data, a
base model picks the label whose words (and description) best match the email.
"""

from __future__ import annotations

import json

import pytest

from reconciler.sandbox import SandboxHandle

from .e2e import Workspace, advance_clock

TRAIN = [
    ("I was charged twice on my invoice this month", "billing"),
    ("Please refund the duplicate payment", "billing"),
    ("Where can I download last year's invoices?", "billing"),
    ("The app crashes when I open settings", "technical"),
    ("I cannot login after the password reset", "technical"),
    ("Export fails with an error message", "technical"),
    ("Can I get a quote for fifty seats?", "sales"),
    ("What discount do you offer for nonprofits?", "sales"),
    ("We want to upgrade our plan to enterprise", "sales"),
    ("What are your office hours?", "general"),
    ("Do you have a newsletter?", "general"),
    ("Who founded the company?", "general"),
]
HELD_OUT = [
    ("My invoice shows a double charge", "billing"),
    ("The app shows an error on startup", "technical"),
    ("Could we get a quote for more seats?", "sales"),
    ("What are your holiday office hours?", "general"),
]
BRIEF = "Classify the email as billing, technical, sales or general."
DETAILED = (
    BRIEF + "\\n- billing: invoice, charge, refund, payment\\n- technical: crash, error, login,"
    " password, export\\n- sales: quote, seats, discount, upgrade, plan\\n- general: hours,"
    " office, newsletter, anything else"
)
RUN = """---
apiVersion: reconciler/v1
kind: EvalRun
metadata: {{name: {name}}}
spec:
  eval: Eval/triage
  data_source:
    type: responses
    source: {{type: file_id, id: Dataset/triage-heldout}}
    input_messages:
      type: template
      template:
        - {{role: developer, content: "{prompt}"}}
        - {{role: user, content: "{{{{item.email}}}}"}}
    model: {model}
    sampling_params: {{temperature: 0}}
  via: responses
"""


@pytest.fixture(autouse=True)
def _today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECONCILER_TODAY", "2026-12-02")


def _write_stack(ws: Workspace) -> None:
    data = ws.specs / "data"
    (data / "triage-train.jsonl").write_text(
        "".join(
            json.dumps(
                {
                    "messages": [
                        {"role": "developer", "content": BRIEF},
                        {"role": "user", "content": email},
                        {"role": "assistant", "content": label},
                    ]
                }
            )
            + "\n"
            for email, label in TRAIN
        )
    )
    (data / "triage-heldout.jsonl").write_text(
        "".join(json.dumps({"item": {"email": e, "label": label}}) + "\n" for e, label in HELD_OUT)
    )
    manifests = """apiVersion: reconciler/v1
kind: Dataset
metadata: {name: triage-train}
spec: {file: data/triage-train.jsonl, purpose: fine-tune, format: chat}
---
apiVersion: reconciler/v1
kind: Dataset
metadata: {name: triage-heldout}
spec: {file: data/triage-heldout.jsonl, purpose: evals, format: eval}
---
apiVersion: reconciler/v1
kind: FineTune
metadata: {name: triage-ft}
spec:
  model: gpt-4.1-mini-2025-04-14
  training_file: Dataset/triage-train
  method: {type: supervised, supervised: {hyperparameters: {n_epochs: 1}}}
  suffix: triage
---
apiVersion: reconciler/v1
kind: Eval
metadata: {name: triage}
spec:
  data_source_config:
    type: custom
    item_schema:
      type: object
      properties: {email: {type: string}, label: {enum: [billing, technical, sales, general]}}
      required: [email, label]
    include_sample_schema: true
  testing_criteria:
    - {type: string_check, name: exact, input: "{{sample.output_text}}",
       reference: "{{item.label}}", operation: eq}
"""
    manifests += RUN.format(name="ft", prompt=BRIEF, model="FineTune/triage-ft")
    manifests += RUN.format(name="base-detailed", prompt=DETAILED, model="gpt-4.1-mini")
    manifests += RUN.format(name="base-brief", prompt=BRIEF, model="gpt-4.1-mini")
    manifests += """---
apiVersion: reconciler/v1
kind: Promotion
metadata: {name: triage-model}
spec:
  candidates: [EvalRun/ft, EvalRun/base-detailed]
  baseline: EvalRun/base-brief
  gate:
    - {criterion: exact, min_pass_rate: 0.75}
    - {criterion: exact, beat_baseline_by: 0.25}
"""
    (ws.specs / "triage.yaml").write_text(manifests)


def test_a_fine_tune_and_a_detailed_prompt_compared_and_promoted(
    ws: Workspace, sandbox: SandboxHandle
) -> None:
    _write_stack(ws)
    assert ws.run("validate", "specs").exit_code == 0

    first = ws.run("apply", "specs", "--auto-approve")
    assert first.exit_code == 0, first.output
    waiting = ws.run("plan", "specs")
    assert "EvalRun/ft  wait: waits for FineTune/triage-ft: job ftjob-" in waiting.output
    assert "Promotion/triage-model  wait: waits for EvalRun/ft" in waiting.output
    assert "EvalRun/base-brief: run complete (4 items): exact: 25% pass (1/4)" in waiting.output
    assert "EvalRun/base-detailed: run complete (4 items): exact: 100% pass (4/4)" in (
        waiting.output
    )

    advance_clock(sandbox, 3600 * 2)  # the job succeeds
    second = ws.run("apply", "specs", "--auto-approve")
    assert second.exit_code == 0, second.output
    final = ws.run("plan", "specs", "--detailed-exitcode")
    assert final.exit_code == 0, final.output
    assert "EvalRun/ft: run complete (4 items): exact: 100% pass (4/4)" in final.output
    # both pass; equal pass rates: the first listed wins
    assert "Promotion/triage-model: promotes EvalRun/ft (model ft:gpt-4.1-mini" in final.output
