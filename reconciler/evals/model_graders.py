"""OpenAI's model graders (`score_model`, `label_model`): the request to send, the grade of the
answer.

The EvalRun provider (`providers/eval_runs.py`) sends one grading request per item and model
criterion through the same machinery as the samples: a Responses API call (`via: responses`)
or a line of a second batch (`via: batch`, tagged as the run's `grade` phase). `request` builds
the body: the grader's `input` messages filled from the item and the sample, its
`sampling_params`, and a strict JSON schema that makes the model answer
`{"steps": [...], "result": ...}`: a number within `range` (`score_model`) or one of `labels`
(`label_model`). `grade_of` reads that answer:

- score_model: the score is the `result`, clamped to `range` (default [0, 1]); it passes at
  score ≥ `pass_threshold` (without one: the middle of `range`);
- label_model: the score is 1 when the `result` is one of `passing_labels` (it passes), else 0.

An answer that is not such JSON grades 0 and fails (the item is not counted as failed to
sample: the sample exists, the grader could not judge it).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from reconciler.evals.graders import Grade
from reconciler.evals.templates import fill_value

MODEL_GRADERS = ("score_model", "label_model")
DEFAULT_RANGE = (0.0, 1.0)


def is_model_grader(grader: Mapping[str, Any]) -> bool:
    return grader.get("type") in MODEL_GRADERS


def score_range(grader: Mapping[str, Any]) -> tuple[float, float]:
    found = grader.get("range")
    if not found:
        return DEFAULT_RANGE
    return float(found[0]), float(found[1])


def pass_threshold(grader: Mapping[str, Any]) -> float:
    """A score_model's threshold: its `pass_threshold`, else the middle of its range."""
    if grader.get("pass_threshold") is not None:
        return float(grader["pass_threshold"])
    low, high = score_range(grader)
    return (low + high) / 2


def answer_schema(grader: Mapping[str, Any]) -> dict[str, Any]:
    """The strict JSON schema of the grader's answer."""
    if grader.get("type") == "label_model":
        result: dict[str, Any] = {"type": "string", "enum": list(grader["labels"])}
    else:
        low, high = score_range(grader)
        result = {"type": "number", "minimum": low, "maximum": high}
    step = {
        "type": "object",
        "properties": {"description": {"type": "string"}, "conclusion": {"type": "string"}},
        "required": ["description", "conclusion"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {"steps": {"type": "array", "items": step}, "result": result},
        "required": ["steps", "result"],
        "additionalProperties": False,
    }


def request(grader: Mapping[str, Any], item: Any, sample: Mapping[str, Any]) -> dict[str, Any]:
    """The Responses API body that asks the grader's model to judge one item's sample."""
    messages = []
    for message in grader["input"]:
        content = fill_value(message["content"], item, sample)
        if isinstance(content, dict):  # one content part: the API takes a list of them
            content = [content]
        messages.append({"role": message["role"], "content": content})
    params = dict(grader.get("sampling_params") or {})
    body: dict[str, Any] = {
        "model": grader["model"],
        "input": messages,
        "text": {
            "format": {
                "type": "json_schema",
                "name": f"{grader['type']}_result",
                "strict": True,
                "schema": answer_schema(grader),
            }
        },
    }
    for key in ("temperature", "top_p"):
        if key in params:
            body[key] = params[key]
    limit = next(
        (params[k] for k in ("max_completions_tokens", "max_completion_tokens") if k in params),
        None,
    )
    if limit is not None:
        body["max_output_tokens"] = limit
    if "reasoning_effort" in params:
        body["reasoning"] = {"effort": params["reasoning_effort"]}
    return body


def grade_of(grader: Mapping[str, Any], answer: str | None) -> Grade:
    """The grade the model's `answer` (its output text) gives; 0 and failed when unreadable."""
    try:
        result = json.loads(answer or "")["result"]
    except (TypeError, ValueError, KeyError):
        return Grade(0.0, False)
    if grader.get("type") == "label_model":
        passed = isinstance(result, str) and result in grader["passing_labels"]
        return Grade(1.0 if passed else 0.0, passed)
    if not isinstance(result, int | float) or isinstance(result, bool):
        return Grade(0.0, False)
    low, high = score_range(grader)
    score = min(max(float(result), low), high)
    return Grade(score, score >= pass_threshold(grader))
