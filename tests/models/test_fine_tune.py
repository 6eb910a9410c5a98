"""FineTune manifests: the API's limits, the method's data format and shutdown warnings, each
reported by `reconciler validate` at file:line:col before any request."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.errors import ManifestError
from reconciler.validation import run_validate

DATASET = """apiVersion: reconciler/v1
kind: Dataset
metadata: {name: train}
spec: {file: train.jsonl, purpose: fine-tune, format: %s}
"""
FINE_TUNE = """apiVersion: reconciler/v1
kind: FineTune
metadata: {name: ft}
spec:
  model: %s
  training_file: Dataset/train
%s"""


def _chat_line(i: int) -> str:
    messages = [
        {"role": "user", "content": f"question {i}"},
        {"role": "assistant", "content": f"answer {i}"},
    ]
    return json.dumps({"messages": messages})


def _stack(
    tmp_path: Path, extra: str, *, model: str = "gpt-4.1-mini-2025-04-14", fmt: str = "chat"
) -> Path:
    (tmp_path / "reconciler.yaml").write_text("stack: test\n")
    (tmp_path / "train.jsonl").write_text("\n".join(_chat_line(i) for i in range(12)) + "\n")
    (tmp_path / "data.yaml").write_text(DATASET % fmt)
    (tmp_path / "ft.yaml").write_text(FINE_TUNE % (model, extra))
    return tmp_path


def _errors(path: Path) -> list[str]:
    with pytest.raises(ManifestError) as caught:
        run_validate(path)
    return [
        f"{d.location}: {d.message}".removeprefix(f"{path}/")
        for d in caught.value.diagnostics.errors
    ]


BAD = [
    (
        "  method: {type: supervised, supervised: {hyperparameters: {n_epochs: 51}}}\n",
        "ft.yaml:7:71: spec.method.supervised.hyperparameters.n_epochs: "
        "n_epochs 51 is out of range",
    ),
    (
        "  method: {type: dpo, dpo: {hyperparameters: {beta: 2.5}}}\n",
        "spec.method.dpo.hyperparameters.beta: beta 2.5 is out of range",
    ),
    (
        "  method: {type: supervised, supervised: {hyperparameters: {batch_size: 0}}}\n",
        "batch_size 0 is out of range",
    ),
    (
        "  method: {type: supervised, supervised: "
        "{hyperparameters: {learning_rate_multiplier: 0}}}\n",
        "learning_rate_multiplier 0.0 is out of range",
    ),
    ("  suffix: " + "x" * 65 + "\n", "ft.yaml:7:11: spec.suffix: suffix has 65 characters"),
    ("  seed: -1\n", "spec.seed: seed -1 is outside 0-2147483647"),
    (
        "  metadata: {" + ", ".join(f"k{i}: v" for i in range(14)) + "}\n",
        "metadata has 14 keys; with the 3 ownership tags the job would have 17",
    ),
    (
        "  metadata: {reconciler-name: x}\n",
        "'reconciler-name' is one of the stack's ownership tags",
    ),
    ("  metadata: {team: " + "v" * 513 + "}\n", "metadata value has 513 characters"),
    (
        "  method: {type: dpo}\n",
        "spec.training_file: Dataset/train is declared format 'chat'; method 'dpo' trains on "
        "'preference' files",
    ),
    (
        "  method: {type: supervised, dpo: {}}\n",
        "method 'dpo' settings given, but method.type is 'supervised'",
    ),
]


@pytest.mark.parametrize(("extra", "expected"), BAD, ids=[b[1][:40] for b in BAD])
def test_a_spec_the_api_would_refuse_is_an_error_at_its_line(
    tmp_path: Path, extra: str, expected: str
) -> None:
    errors = _errors(_stack(tmp_path, extra))
    assert any(expected in error for error in errors), errors


def test_a_base_model_that_cannot_be_fine_tuned_is_named(tmp_path: Path) -> None:
    errors = _errors(_stack(tmp_path, "", model="gpt-5.6-sol"))
    assert errors == ["ft.yaml:5:10: spec.model: 'gpt-5.6-sol' cannot be fine-tuned"]


def test_continuing_from_an_undeclared_fine_tune_is_an_error(tmp_path: Path) -> None:
    errors = _errors(_stack(tmp_path, "", model="FineTune/other"))
    assert errors == ["ft.yaml:5:10: spec.model: FineTune/other is not declared in this stack"]


def test_a_valid_fine_tune_warns_of_its_model_shutting_down(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECONCILER_TODAY", "2026-12-02")
    extra = "  method: {type: supervised, supervised: {hyperparameters: {n_epochs: 3}}}\n"
    warnings = [str(d.message) for d in run_validate(_stack(tmp_path, extra)).warnings]
    shutdown = [w for w in warnings if "shuts down" in w]
    assert shutdown == [
        "spec.model: model 'gpt-4.1-mini-2025-04-14' shuts down on 2027-01-14, in 43 days "
        "(source: secondary sources (not confirmed on OpenAI's deprecations page): gpt-4.1* "
        "snapshots and the fine-tunes built on them shut down on 2027-01-14)"
    ]


def test_no_shutdown_warning_more_than_90_days_ahead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECONCILER_TODAY", "2026-09-01")
    warnings = [str(d.message) for d in run_validate(_stack(tmp_path, "")).warnings]
    assert not [w for w in warnings if "shut" in w]
