"""The `multi` grader: its formula evaluated by a restricted `ast` walk (never `eval`), on known
scores, and the formulas it refuses."""

from __future__ import annotations

import math

import pytest

from reconciler.evals.formula import FormulaError, check, evaluate
from reconciler.evals.graders import Grade, grade, refusal

VALUES = {"a": 1.0, "b": 0.5, "c": 0.25}


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ("(a + b) / 2", 0.75),
        ("0.5 * a + 0.5 * b", 0.75),
        ("a - b * c", 0.875),
        ("b ^ 2", 0.25),  # OpenAI's ^ is power
        ("a + b ^ 2", 1.25),  # and binds tighter than +
        ("2 ^ 3 ^ 2", 512.0),  # right to left
        ("b ** 2", 0.25),
        ("-c + 1", 0.75),
        ("min(a, b, c)", 0.25),
        ("max(a, b) + abs(-c)", 1.25),
        ("floor(a + b) + ceil(c)", 2.0),
        ("sqrt(c) + log(exp(b))", 1.0),
    ],
)
def test_known_values(formula: str, expected: float) -> None:
    assert math.isclose(evaluate(formula, VALUES), expected)


@pytest.mark.parametrize(
    ("formula", "words"),
    [
        ("__import__('os').system('true')", "may only call"),
        ("a.__class__", "Attribute"),
        ("[a, b]", "List"),
        ("a if b else c", "IfExp"),
        ("'x' + a", "non-number"),
        ("a < b", "Compare"),
        ("a // b", "FloorDiv"),
        ("lambda: 1", "Lambda"),
        ("min(a, key=b)", "without keywords"),
        ("a +", "does not parse"),
        ("d + a", "names d, not a grader"),
        ("a" + " + a" * 600, "longer than"),
    ],
)
def test_anything_else_is_refused(formula: str, words: str) -> None:
    why = check(formula, set(VALUES))
    assert why is not None and words in why, why


@pytest.mark.parametrize("formula", ["a / (b - b)", "10.0 ^ 400", "log(b - b)", "min(a)"])
def test_a_formula_that_fails_on_these_values_raises(formula: str) -> None:
    with pytest.raises(FormulaError):
        evaluate(formula, VALUES)


MULTI = {
    "type": "multi",
    "name": "combined",
    "graders": {
        "exact": {
            "type": "string_check",
            "name": "exact",
            "input": "{{sample.output_text}}",
            "reference": "{{item.label}}",
            "operation": "eq",
        },
        "close": {
            "type": "text_similarity",
            "name": "close",
            "input": "{{sample.output_text}}",
            "reference": "{{item.label}}",
            "evaluation_metric": "fuzzy_match",
            "pass_threshold": 0.5,
        },
    },
    "calculate_output": "0.5 * exact + 0.5 * close",
}


def test_multi_combines_its_parts_scores() -> None:
    item = {"label": "billing"}
    assert grade(MULTI, item, {"output_text": "billing"}) == Grade(1.0, True)
    # fuzzy_match("bill", "billing") = 2 * 4 / 11 = 0.7272...; exact fails
    found = grade(MULTI, item, {"output_text": "bill"})
    assert math.isclose(found.score, 0.5 * 8 / 11) and not found.passed  # a part failed
    with_threshold = grade({**MULTI, "pass_threshold": 0.3}, item, {"output_text": "bill"})
    assert with_threshold.passed


def test_a_formula_failing_on_an_item_grades_zero() -> None:
    broken = {**MULTI, "calculate_output": "exact / (close - close)"}
    assert grade(broken, {"label": "x"}, {"output_text": "x"}) == Grade(0.0, False)


def test_multi_combines_local_graders_only() -> None:
    model_part = {"type": "score_model", "name": "m", "model": "gpt-4.1", "input": []}
    why = refusal({**MULTI, "graders": {**MULTI["graders"], "m": model_part}})  # type: ignore[dict-item]
    assert why is not None and "'m' is a score_model" in why
    assert refusal(MULTI) is None
