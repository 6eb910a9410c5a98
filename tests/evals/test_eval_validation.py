"""Eval and EvalRun manifests: every offline problem reported by `reconciler validate` at
file:line:col (or the items file's line) before any request: malformed graders, unknown
template variables, graders the local engine cannot run, items that break `item_schema`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.errors import ManifestError
from reconciler.evals.summary import CriterionResult, Summary, filename, parse_filename
from reconciler.validation import run_validate

EVAL = """apiVersion: reconciler/v1
kind: Eval
metadata: {name: triage}
spec:
  data_source_config:
    type: custom
    item_schema:
      type: object
      properties: {email: {type: string}, label: {type: string}}
      required: [email, label]
    include_sample_schema: true
  testing_criteria:
    - {type: string_check, name: exact, input: "{{sample.output_text}}",
       reference: "{{item.label}}", operation: eq}
%s"""
RUN = """apiVersion: reconciler/v1
kind: EvalRun
metadata: {name: base}
spec:
  eval: Eval/triage
  data_source:
    type: responses
    source: {type: file_id, id: Dataset/items}
    input_messages:
      type: template
      template:
        - {role: user, content: "%s"}
    model: gpt-4.1-mini
"""
DATASET = """apiVersion: reconciler/v1
kind: Dataset
metadata: {name: items}
spec: {file: items.jsonl, purpose: evals, format: eval}
"""
GOOD_ITEMS: list[dict[str, object]] = [{"email": "my invoice is wrong", "label": "billing"}] * 3


def _stack(
    tmp_path: Path,
    criteria: str = "",
    *,
    content: str = "{{item.email}}",
    items: list[dict[str, object]] = GOOD_ITEMS,
) -> Path:
    (tmp_path / "reconciler.yaml").write_text("stack: test\n")
    (tmp_path / "items.jsonl").write_text("".join(json.dumps({"item": i}) + "\n" for i in items))
    (tmp_path / "data.yaml").write_text(DATASET)
    (tmp_path / "eval.yaml").write_text(EVAL % criteria)
    (tmp_path / "run.yaml").write_text(RUN % content)
    return tmp_path


def _errors(path: Path) -> list[str]:
    with pytest.raises(ManifestError) as caught:
        run_validate(path)
    return [
        f"{d.location}: {d.message}".removeprefix(f"{path}/")
        for d in caught.value.diagnostics.items
        if d.is_error
    ]


def test_a_valid_eval_and_run_validate(tmp_path: Path) -> None:
    run_validate(_stack(tmp_path))


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        (
            '    - {type: string_check, name: x, input: "{{sample.output_text}}",'
            ' reference: "{{item.labl}}", operation: eq}\n',
            "eval.yaml:15:",
        ),
        (
            '    - {type: string_check, name: x, input: "{{sample.text}}",'
            ' reference: "a", operation: eq}\n',
            "unknown template variable {{sample.text}}",
        ),
        (
            '    - {type: string_check, name: x, input: "a", reference: "b", operation: equals}\n',
            "operation",
        ),
        (
            '    - {type: text_similarity, name: x, input: "a", reference: "b",'
            " evaluation_metric: bleu}\n",
            "pass_threshold",
        ),
        (
            '    - {type: string_check, name: exact, input: "a", reference: "b", operation: eq}\n',
            "criterion name 'exact' is used twice",
        ),
        (
            "    - {type: label_model, name: x, model: gpt-4.1, labels: [a, b],"
            " passing_labels: [c], input: [{role: user, content: hi}]}\n",
            "passing label 'c' is not one of labels",
        ),
        ("    - {type: sting_check, name: x}\n", "sting_check"),
        (
            "    - {type: score_model, name: x, model: gpt-4.1, range: [5, 1],"
            " input: [{role: user, content: hi}]}\n",
            "range [5.0, 1.0] is empty",
        ),
        (
            "    - {type: score_model, name: x, model: gpt-4.1, range: [1, 5], pass_threshold: 7,"
            " input: [{role: user, content: hi}]}\n",
            "pass_threshold 7.0 is outside range",
        ),
        (
            "    - {type: score_model, name: x, model: gpt-4.1,"
            ' input: [{role: user, content: "{{sample.output_txt}}"}]}\n',
            "unknown template variable {{sample.output_txt}}",
        ),
        ("    - {type: score_model, name: x, input: [{role: user, content: hi}]}\n", "model"),
        ("    - {type: label_model, name: x, model: gpt-4.1, input: []}\n", "labels"),
        (
            "    - {type: multi, name: m, calculate_output: 'a + b', graders: {a: {type:"
            ' string_check, name: a, input: "{{sample.output_text}}", reference: x,'
            " operation: eq}}}\n",
            "calculate_output names b, not a grader of it",
        ),
        (
            "    - {type: multi, name: m, calculate_output: 'a', graders: {a: {type: string_check,"
            ' name: a, input: "{{sample.output_text}}", reference: x, operation: equals}}}\n',
            "graders.a",
        ),
        (
            "    - {type: multi, name: m, calculate_output: 'a', graders: {a: {type: string_check,"
            ' name: a, input: "{{item.nope}}", reference: x, operation: eq}}}\n',
            "unknown template variable {{item.nope}}",
        ),
        (
            "    - {type: multi, name: m, calculate_output: 'open(a)', graders: {a: {type: "
            'string_check, name: a, input: "{{sample.output_text}}", reference: x,'
            " operation: eq}}}\n",
            "may only call",
        ),
    ],
)
def test_malformed_graders_are_located(tmp_path: Path, criteria: str, expected: str) -> None:
    errors = _errors(_stack(tmp_path, criteria))
    assert any(expected in e and e.startswith("eval.yaml:1") for e in errors), errors


PYTHON = """    - type: python
      name: coded
      source: |
        def score(sample, item):
            return 1.0
"""


def test_a_python_grader_needs_a_grade_function_then_the_opt_in(tmp_path: Path) -> None:
    errors = _errors(_stack(tmp_path, PYTHON))
    assert any(e.startswith("eval.yaml:17:") and "no `grade(sample" in e for e in errors), errors
    (tmp_path / "eval.yaml").write_text(EVAL % PYTHON.replace("def score", "def grade"))
    errors = _errors(tmp_path)
    assert any(e.startswith("eval.yaml:15:") and "opts in" in e for e in errors), errors
    (tmp_path / "reconciler.yaml").write_text("stack: test\nevals: {python_graders: true}\n")
    run_validate(tmp_path)


METEOR = (
    '    - {type: text_similarity, name: x, input: "{{sample.output_text}}",'
    ' reference: "{{item.label}}", evaluation_metric: meteor, pass_threshold: 0.5}\n'
)


def test_meteor_without_wordnet_says_how_to_get_it_then_validates_with_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reconciler.evals import wordnet

    from .tiny_wordnet import write_tiny_wordnet

    monkeypatch.setattr(wordnet, "SYSTEM_FOLDERS", ())
    monkeypatch.setattr("nltk.data.path", [])  # nothing from NLTK's downloader either
    errors = _errors(_stack(tmp_path, METEOR))
    assert any(
        e.startswith("eval.yaml:15:") and "never downloads" in e and "evals: {wordnet:" in e
        for e in errors
    ), errors
    write_tiny_wordnet(tmp_path / "wordnet")
    (tmp_path / "reconciler.yaml").write_text("stack: test\nevals: {wordnet: wordnet}\n")
    run_validate(tmp_path)


def test_unknown_item_variable_in_the_run_template(tmp_path: Path) -> None:
    errors = _errors(_stack(tmp_path, content="{{item.body}}"))
    assert any(e.startswith("run.yaml:12:") and "{{item.body}}" in e for e in errors), errors
    assert any("email, label" in e for e in errors)


def test_items_that_break_the_item_schema_are_located_at_their_line(tmp_path: Path) -> None:
    items: list[dict[str, object]] = [GOOD_ITEMS[0], {"email": "hi"}, {"email": 3, "label": "x"}]
    errors = _errors(_stack(tmp_path, items=items))
    assert any(e.startswith("items.jsonl:2:1: ") and "'label' is a required" in e for e in errors)
    assert any(e.startswith("items.jsonl:3:1: ") and "at email" in e for e in errors), errors


def test_summary_round_trips_through_the_filename() -> None:
    summary = Summary("0123456789abcdef", 9, 1, (CriterionResult(9, 900), CriterionResult(0, 12)))
    name = filename("demo", "ft", summary)
    assert name == "reconciler--demo--EvalRun--ft--0123456789abcdef--n9e1--9p900_0p12.json"
    assert parse_filename("demo", name) == ("ft", summary)
    assert parse_filename("other", name) is None
    assert summary.lines(["exact", "close"])[0] == "exact: 90% pass (9/10), mean 0.900"


def test_tokens_and_latency_ride_in_the_filename_too() -> None:
    summary = Summary("0123456789abcdef", 3, 0, (CriterionResult(3, 1000),), (120, 30), (41, 97))
    name = filename("demo", "ft", summary)
    assert name.endswith("--n3e0--3p1000--t120-30--l41-97.json")
    assert parse_filename("demo", name) == ("ft", summary)


def test_latency_percentiles_by_nearest_rank() -> None:
    from reconciler.evals.summary import percentiles

    assert percentiles(list(range(1, 101))) == (50, 95)
    assert percentiles([7]) == (7, 7)
    assert percentiles([]) is None


def test_a_winner_record_round_trips_through_its_filename() -> None:
    from reconciler.evals.winners import Winner
    from reconciler.evals.winners import filename as winner_filename
    from reconciler.evals.winners import parse_filename as parse_winner

    winner = Winner("triage", "ft", "0123456789abcdef", "ft:gpt-4.1-mini-2025-04-14:acme::x1")
    name = winner_filename("demo", winner)
    assert "--" not in name.split("--winner.ft--")[1].replace("--", "", 1).removesuffix(".json")
    assert parse_winner("demo", name) == winner
    assert parse_filename("demo", name) is None  # not an EvalRun result file
