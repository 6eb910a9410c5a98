"""Model graders (`score_model`, `label_model`): the request sent, the grade of known answers,
and the sandbox stand-in's known answers to grading requests (docs/evals.md)."""

from __future__ import annotations

import json

import pytest

from reconciler.evals.graders import Grade
from reconciler.evals.model_graders import answer_schema, grade_of, pass_threshold, request
from reconciler.sandbox.grading import grading_answer
from reconciler.sandbox.standin import _STOPWORDS as STOP

SCORE = {
    "type": "score_model",
    "name": "helpful",
    "model": "gpt-4.1",
    "range": [1, 5],
    "pass_threshold": 4,
    "sampling_params": {"temperature": 0, "max_completion_tokens": 50, "seed": 3},
    "input": [
        {"role": "system", "content": "Rate 1-5."},
        {"role": "user", "content": "Expected: {{item.label}}\nAnswer: {{sample.output_text}}"},
    ],
}
LABEL = {
    "type": "label_model",
    "name": "verdict",
    "model": "gpt-4.1-mini",
    "labels": ["correct", "partly", "incorrect"],
    "passing_labels": ["correct", "partly"],
    "input": [{"role": "user", "content": "{{item.label}}\n{{sample.output_text}}"}],
}


def test_the_request_fills_the_messages_and_asks_for_a_strict_schema() -> None:
    body = request(SCORE, {"label": "billing"}, {"output_text": "billing"})
    assert body["model"] == "gpt-4.1"
    assert body["input"][1] == {"role": "user", "content": "Expected: billing\nAnswer: billing"}
    assert body["temperature"] == 0 and body["max_output_tokens"] == 50
    assert "seed" not in body  # the Responses API has no seed
    fmt = body["text"]["format"]
    assert fmt["type"] == "json_schema" and fmt["strict"] is True
    assert fmt["schema"]["properties"]["result"] == {"type": "number", "minimum": 1, "maximum": 5}
    labels = answer_schema(LABEL)["properties"]["result"]
    assert labels == {"type": "string", "enum": ["correct", "partly", "incorrect"]}


@pytest.mark.parametrize(
    ("grader", "answer", "expected"),
    [
        (SCORE, '{"steps": [], "result": 4}', Grade(4.0, True)),
        (SCORE, '{"steps": [], "result": 3.5}', Grade(3.5, False)),
        (SCORE, '{"steps": [], "result": 9}', Grade(5.0, True)),  # clamped to the range
        (SCORE, "not json", Grade(0.0, False)),
        (SCORE, '{"result": "high"}', Grade(0.0, False)),
        (LABEL, '{"steps": [], "result": "partly"}', Grade(1.0, True)),
        (LABEL, '{"steps": [], "result": "incorrect"}', Grade(0.0, False)),
        (LABEL, '{"steps": [], "result": "other"}', Grade(0.0, False)),
    ],
)
def test_known_answers_grade(grader: dict[str, object], answer: str, expected: Grade) -> None:
    assert grade_of(grader, answer) == expected


def test_without_a_pass_threshold_the_middle_of_the_range_passes() -> None:
    assert pass_threshold({"type": "score_model", "range": [1, 5]}) == 3
    assert pass_threshold({"type": "score_model"}) == 0.5


def _ask(system: str, user: str, grader: dict[str, object]) -> object:
    answer = grading_answer([("system", system), ("user", user)], answer_schema(grader), STOP)
    assert answer is not None
    return json.loads(answer)["result"]


@pytest.mark.parametrize(
    ("user", "score", "label"),
    [
        ("Expected: billing\nAnswer: billing", 5.0, "correct"),  # all words found: c = 1
        ("Expected: billing\nAnswer: technical", 1.0, "incorrect"),  # none: c = 0
        ("Expected: billing issue\nAnswer: billing refund", 3.0, "partly"),  # c = 0.5
        ("Expected: billing\nAnswer: it is incorrect", 1.0, "incorrect"),  # names a label
    ],
)
def test_the_stand_in_scores_by_closeness_of_the_last_line(
    user: str, score: float, label: str
) -> None:
    assert _ask("Rate it.", user, SCORE) == score
    assert _ask("Judge it.", user, LABEL) == label


def test_a_non_integer_range_keeps_two_decimals() -> None:
    grader = {**SCORE, "range": [0, 1]}
    assert _ask("Rate.", "Expected: red green blue\nAnswer: red green tea", grader) == 0.67


def test_other_schemas_are_not_grading_requests() -> None:
    schema = {"type": "object", "properties": {"x": {}}}
    assert grading_answer([("user", "hi")], schema, STOP) is None


def test_content_parts_are_filled_and_sent_as_a_list() -> None:
    part = {"type": "input_text", "text": "Answer: {{sample.output_text}}"}
    grader = {**LABEL, "input": [{"role": "user", "content": part, "type": "message"}]}
    body = request(grader, {"label": "a"}, {"output_text": "b"})
    assert body["input"] == [
        {"role": "user", "content": [{"type": "input_text", "text": "Answer: b"}]}
    ]
