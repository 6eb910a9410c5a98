"""End to end (issue 9): every model a manifest names is checked against the shutdown table,
not only a FineTune's: here a Batch template's model. `validate` warns offline (the shipped
table), `plan` with the dates `GET /v1/models` lists, both at the line of the `model:` field;
a Dataset's model (token counting only) is not a use of the model and gets no warning."""

from __future__ import annotations

import json

import pytest

from .e2e import Workspace


@pytest.fixture(autouse=True)
def _today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECONCILER_TODAY", "2026-12-02")


def _write_batch(ws: Workspace, model: str) -> None:
    items = [json.dumps({"item": {"id": f"i{i}", "review": f"Review {i}."}}) for i in range(3)]
    (ws.specs / "data" / "reviews.jsonl").write_text("\n".join(items) + "\n")
    (ws.specs / "batch.yaml").write_text(
        f"""apiVersion: reconciler/v1
kind: Dataset
metadata: {{name: reviews}}
spec: {{file: data/reviews.jsonl, purpose: evals}}
---
apiVersion: reconciler/v1
kind: Batch
metadata: {{name: sentiment}}
spec:
  endpoint: /v1/responses
  items: Dataset/reviews
  template:
    model: {model}
    input: "Classify: {{{{item.review}}}}"
""",
        encoding="utf-8",
    )


def test_a_batch_template_model_near_its_shutdown_is_warned_at_its_line(ws: Workspace) -> None:
    _write_batch(ws, "gpt-4o-2024-08-06")
    validated = ws.run("validate", "specs")
    assert validated.exit_code == 0, validated.output
    assert "specs/batch.yaml:13:12: warning [model-shutdown]: spec.template.model:" in (
        validated.output
    )
    assert "model 'gpt-4o-2024-08-06' shuts down on" in validated.output

    planned = ws.run("plan", "specs")
    assert planned.exit_code == 0, planned.output
    assert "batch.yaml:13:12: spec.template.model: model 'gpt-4o-2024-08-06' shuts down" in (
        planned.output
    )
    # the Dataset's own `model` (specs/datasets.yaml names one for token counting) is no use
    assert "datasets.yaml" not in "\n".join(
        line for line in planned.output.splitlines() if "shuts down" in line
    )


def test_a_model_far_from_its_shutdown_gets_no_warning(ws: Workspace) -> None:
    _write_batch(ws, "gpt-5")
    validated = ws.run("validate", "specs")
    assert validated.exit_code == 0, validated.output
    assert "shuts down" not in validated.output
