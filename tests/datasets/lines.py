"""Valid example lines for every dataset format, used by the dataset-check tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

Line = str | dict[str, Any]
Writer = Callable[..., Path]


def chat_line(i: int) -> dict[str, Any]:
    return {
        "messages": [
            {"role": "system", "content": "You answer support questions in one sentence."},
            {"role": "user", "content": f"How do I reset password number {i}?"},
            {"role": "assistant", "content": f"Open settings and follow step {i}."},
        ]
    }


def preference_line(i: int) -> dict[str, Any]:
    return {
        "input": {"messages": [{"role": "user", "content": f"Summarise ticket {i}."}]},
        "preferred_output": [{"role": "assistant", "content": f"Ticket {i}: refund sent."}],
        "non_preferred_output": [{"role": "assistant", "content": f"I cannot help with {i}."}],
    }


def reinforcement_line(i: int) -> dict[str, Any]:
    return {
        "messages": [
            {"role": "developer", "content": "Answer with a number."},
            {"role": "user", "content": f"What is {i} + {i}?"},
        ],
        "reference_answer": str(2 * i),
    }


def batch_line(i: int) -> dict[str, Any]:
    return {
        "custom_id": f"request-{i}",
        "method": "POST",
        "url": "/v1/chat/completions",
        "body": {
            "model": "gpt-4.1-mini",
            "messages": [
                {"role": "system", "content": "Classify the ticket."},
                {"role": "user", "content": f"Ticket {i}: my parcel is late."},
            ],
        },
    }


def eval_line(i: int) -> dict[str, Any]:
    return {"item": {"question": f"What is {i} + 1?", "answer": str(i + 1)}}


VALID_LINES: dict[str, Callable[[int], dict[str, Any]]] = {
    "chat": chat_line,
    "preference": preference_line,
    "reinforcement": reinforcement_line,
    "batch": batch_line,
    "eval": eval_line,
}
PURPOSE = {
    "chat": "fine-tune",
    "preference": "fine-tune",
    "reinforcement": "fine-tune",
    "batch": "batch",
    "eval": "evals",
}


def dump(line: Line) -> str:
    return line if isinstance(line, str) else json.dumps(line)


def valid_lines(fmt: str, count: int, start: int = 0) -> list[Line]:
    return [VALID_LINES[fmt](i) for i in range(start, start + count)]
