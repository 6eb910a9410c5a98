"""The stand-in model's answer to a model grader's request (`score_model`, `label_model`).

`standin.structured_text` calls `grading_answer` when a request asks for a JSON schema whose
`result` property is a bounded number (a score: `minimum` and `maximum`) or a string `enum` (a
label), the shapes the reconciler's model graders send (`reconciler/evals/model_graders.py`).
Deterministic and explainable, never tuned to a dataset:

- the *sample* is the last non-empty line of the last user message; the *reference* is every
  other line of the prompt (earlier lines, system and developer messages);
- closeness `c` = the share of the sample's content words (lower-case, stop words dropped) that
  the reference also has; 0 when the sample has no content word;
- a score is `minimum + c × (maximum - minimum)`, rounded to an integer on a scale of integer
  bounds at least 2 apart (1-5), else to two decimals;
- a label is the one label the sample names as a word, if exactly one; otherwise the labels are
  read from best to worst and `c` picks one: the first at `c = 1`, the last at `c = 0`
  (index `round((1 - c) × (n - 1))`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import orjson

_WORDS = re.compile(r"[a-z0-9]+")
Messages = Sequence[tuple[str, str]]  # (role, text) of each message, in order


def grading_answer(
    messages: Messages, schema: dict[str, Any], stopwords: frozenset[str] = frozenset()
) -> str | None:
    """The JSON answer to a grading request, or None when `schema` is not a grader's.
    `stopwords`: words that do not count (the stand-in's own list)."""
    properties = schema.get("properties") if isinstance(schema, dict) else None
    result = properties.get("result") if isinstance(properties, dict) else None
    if not isinstance(result, dict):
        return None
    closeness, sample = _closeness(messages, stopwords)
    steps = [
        {
            "description": "share of the answer's words that the reference has",
            "conclusion": f"{closeness:.2f}",
        }
    ]
    labels = result.get("enum")
    if result.get("type") == "string" and isinstance(labels, list) and labels:
        label = pick_label(labels, closeness, sample)
        return orjson.dumps({"steps": steps, "result": label}).decode()
    low, high = result.get("minimum"), result.get("maximum")
    if result.get("type") in ("number", "integer") and _numbers(low, high):
        score = score_of(float(low), float(high), closeness)  # type: ignore[arg-type]
        return orjson.dumps({"steps": steps, "result": score}).decode()
    return None


def score_of(low: float, high: float, closeness: float) -> float:
    value = low + closeness * (high - low)
    if float(low).is_integer() and float(high).is_integer() and high - low >= 2:
        return float(round(value))
    return round(value, 2)


def pick_label(labels: list[Any], closeness: float, sample: set[str]) -> Any:
    named = [label for label in labels if str(label).lower() in sample]
    if len(named) == 1:
        return named[0]
    return labels[round((1 - closeness) * (len(labels) - 1))]


def _closeness(messages: Messages, stopwords: frozenset[str]) -> tuple[float, set[str]]:
    """(closeness of the sample to the reference, the sample's words)."""
    last_user = max((i for i, (role, _) in enumerate(messages) if role == "user"), default=None)
    if last_user is None:
        return 0.0, set()
    lines = [line for line in messages[last_user][1].splitlines() if line.strip()]
    if not lines:
        return 0.0, set()
    sample_line = lines[-1]
    others = [text for i, (_, text) in enumerate(messages) if i != last_user]
    reference_text = [*lines[:-1], *others]
    sample = _content(sample_line, stopwords)
    reference = _content("\n".join(reference_text), stopwords)
    if not sample:
        return 0.0, set(_WORDS.findall(sample_line.lower()))
    return len(sample & reference) / len(sample), set(_WORDS.findall(sample_line.lower()))


def _content(text: str, stopwords: frozenset[str]) -> set[str]:
    return {word for word in _WORDS.findall(text.lower()) if word not in stopwords}


def _numbers(*values: Any) -> bool:
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
