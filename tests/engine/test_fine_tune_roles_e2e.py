"""End to end (issue 9): the plan warnings only a FineTune can give, since only it knows which
dataset is its training file and which its validation file: too few examples (for the
training file only), examples shared by both files, and no training cost for validation."""

from __future__ import annotations

import pytest

from .e2e import Workspace

FINE_TUNE = """apiVersion: reconciler/v1
kind: FineTune
metadata: {name: support-ft}
spec:
  model: gpt-4.1-mini-2025-04-14
  training_file: Dataset/support-train
  validation_file: Dataset/support-valid
  method: {type: supervised}
"""


@pytest.fixture(autouse=True)
def _today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECONCILER_TODAY", "2026-12-02")


def test_role_warnings_name_the_training_and_validation_files(ws: Workspace) -> None:
    data = ws.specs / "data"
    training = (data / "support-train.jsonl").read_text(encoding="utf-8").splitlines()[:20]
    validation = (data / "support-valid.jsonl").read_text(encoding="utf-8").splitlines()[:12]
    (data / "support-train.jsonl").write_text("\n".join(training) + "\n", encoding="utf-8")
    shared = [validation[0], training[4], *validation[1:]]  # line 2 is training line 5
    (data / "support-valid.jsonl").write_text("\n".join(shared) + "\n", encoding="utf-8")
    (ws.specs / "fine-tune.yaml").write_text(FINE_TUNE, encoding="utf-8")

    for _ in range(2):  # the second plan reads the dataset reports from the cache
        planned = ws.run("plan", "specs")
        assert planned.exit_code == 0, planned.output
        out = planned.stdout
        assert (
            "Dataset/support-train: the training file has 20 examples; OpenAI suggests "
            "starting with 50-100 well-crafted ones" in out
        )
        assert "the training file has 13 examples" not in out  # the validation file: no
        assert (
            "Dataset/support-valid:2: this validation example is also line 5 of the "
            "training file" in out
        )
        assert "[shared_example]" in out
        assert "validation file: 13 examples (no training cost is charged for it)" in out
        assert "training cost: est. $" in out


def test_a_small_validation_file_is_fine_a_small_training_file_is_not(ws: Workspace) -> None:
    data = ws.specs / "data"
    valid = (data / "support-valid.jsonl").read_text(encoding="utf-8").splitlines()[:5]
    (data / "support-valid.jsonl").write_text("\n".join(valid) + "\n", encoding="utf-8")
    (ws.specs / "fine-tune.yaml").write_text(FINE_TUNE, encoding="utf-8")

    validated = ws.run("validate", "specs")
    assert validated.exit_code == 0, validated.output
    assert "support-valid.jsonl" not in validated.output  # 5 examples: fine for validation
    planned = ws.run("plan", "specs")
    assert planned.exit_code == 0, planned.output
    assert "+ FineTune/support-ft" in planned.stdout
    assert "validation file: 5 examples (no training cost is charged for it)" in planned.stdout
    assert "too_few_examples" not in planned.output

    # the same file as a training file: the API needs at least 10 examples
    swapped = FINE_TUNE.replace("Dataset/support-train", "Dataset/x").replace(
        "Dataset/support-valid", "Dataset/support-train"
    )
    swapped = swapped.replace("Dataset/x", "Dataset/support-valid")
    (ws.specs / "fine-tune.yaml").write_text(swapped, encoding="utf-8")
    refused = ws.run("validate", "specs")
    assert refused.exit_code == 1, refused.output
    assert "the file has 5 examples; fine-tuning needs at least 10" in refused.output
