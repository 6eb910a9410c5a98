"""Problem codes and the per-file problem log of the dataset checks.

The line rules (`messages.py`, `formats.py`) and the file-level checks (`check.py`) report
`DataProblem`s into a `ProblemLog`, which keeps the first few of each code (in line order) and
counts all of them. Codes reuse OpenAI's data-preparation cookbook names where one exists; the
`CODES` table is the single list of codes, their severity and a default hint (see docs/datasets.md).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from reconciler.errors import Diagnostic, SourceLocation

Severity = Literal["error", "warning"]
KEPT_PER_CODE = 5


@dataclass(frozen=True)
class DataProblem:
    """One problem in a JSONL dataset: a code, the 1-based line (0 = the whole file), a hint."""

    code: str
    line: int
    message: str
    severity: Severity
    hint: str | None
    column: int = 0

    def to_diagnostic(self, file: str) -> Diagnostic:
        location = SourceLocation(file, self.line, self.column)
        return Diagnostic(self.message, location, self.hint, self.severity, self.code)

    def to_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "line": self.line,
            "column": self.column,
            "message": self.message,
            "severity": self.severity,
            "hint": self.hint,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> DataProblem:
        severity: Severity = "error" if data["severity"] == "error" else "warning"
        hint = data.get("hint")
        return cls(
            code=str(data["code"]),
            line=int(str(data["line"])),
            message=str(data["message"]),
            severity=severity,
            hint=None if hint is None else str(hint),
            column=int(str(data.get("column", 0))),
        )


def _e(hint: str) -> tuple[Severity, str]:
    return ("error", hint)


def _w(hint: str) -> tuple[Severity, str]:
    return ("warning", hint)


# code -> (severity, default hint). Cookbook codes first, then ours.
CODES: dict[str, tuple[Severity, str]] = {
    # OpenAI cookbook "Data preparation and analysis for chat model fine-tuning"
    "data_type": _e("each line (and each message) must be a JSON object: {...}"),
    "missing_messages_list": _e('give the example a non-empty "messages" list'),
    "message_missing_key": _e('every message needs "role" and "content"'),
    "message_unrecognized_key": _e("remove the key or fix its spelling"),
    "unrecognized_role": _e("use one of the roles the format allows"),
    "missing_content": _e("give the message non-empty text or content parts"),
    "example_missing_assistant_message": _e("add the assistant reply the model should learn"),
    # any format
    "invalid_json": _e("each line must be exactly one complete JSON object"),
    "blank_line": _w("remove empty lines between examples"),
    "empty_file": _e("the file has no examples"),
    "example_unrecognized_key": _w("the format does not use this key: remove it or fix it"),
    "purpose_format_mismatch": _e("set the right purpose/format for this file"),
    "file_not_found": _e("check the path in the manifest (relative to the manifest file)"),
    "file_too_large": _e("split the file"),
    "too_few_examples": _e("fine-tuning needs at least 10 examples"),
    "few_examples": _w("OpenAI suggests starting with 50-100 well-crafted examples"),
    "many_examples": _w("sample a high-quality subset; quality matters more than quantity"),
    "too_many_examples": _e("reduce the number of examples"),
    "too_many_image_examples": _e("at most 50,000 examples may contain images"),
    "example_too_long": _w("shorten the example: the part over the limit is truncated"),
    "request_too_long": _w("shorten the request: it exceeds the model's context window"),
    "duplicate_example": _w("remove the repeated example"),
    "shared_example": _w("keep validation examples out of the training file"),
    "missing_system_message": _w("add a system message if production requests have one"),
    "missing_user_message": _w("add the user message the assistant answers"),
    # messages and content parts
    "invalid_content_part": _e("use parts like {'type': 'text', 'text': '...'}"),
    "too_many_images": _e("use at most 10 images per example"),
    "image_in_assistant_message": _e("images may only appear in user messages"),
    "invalid_image_url": _e("use an https:// URL or a data:image/...;base64, URL"),
    "unsupported_image_format": _e("convert the image to JPEG, PNG or WEBP"),
    "suspicious_image_url": _w("fine-tuning accepts JPEG, PNG and WEBP images only"),
    "image_too_large": _e("images must be at most 10 MB"),
    "invalid_weight": _e('"weight" is 0 or 1 and only on assistant messages'),
    "tool_call_id_missing": _e('a tool message needs the "tool_call_id" it answers'),
    "tool_call_id_unknown": _e("use the id of a tool call made earlier in the example"),
    "invalid_tool_call": _e('tool_calls: [{"id", "type": "function", "function": {...}}]'),
    "tool_call_arguments_not_json": _w("function arguments should be a JSON-encoded string"),
    "invalid_tools": _e('tools: [{"type": "function", "function": {"name": ...}}]'),
    "tool_call_undeclared": _w("declare the function in the example's tools"),
    # preference (DPO)
    "missing_input": _e('give the example an "input" object with "messages"'),
    "missing_preference_output": _e("give both preferred_output and non_preferred_output"),
    "invalid_preference_output": _e("an output is a list holding exactly one assistant message"),
    "identical_preference_outputs": _w("the two outputs are the same: nothing to learn"),
    "input_last_message_not_user": _w("end the input with the user turn being answered"),
    # reinforcement (RFT)
    "last_message_not_user": _e("the last message must be the user's; the model answers it"),
    "missing_reference_fields": _w("add the fields your grader reads as {{item.<field>}}"),
    # batch
    "batch_missing_key": _e('each request needs "custom_id", "method", "url" and "body"'),
    "batch_unrecognized_key": _e("a request line has only custom_id, method, url, body"),
    "invalid_custom_id": _e("custom_id must be a non-empty string"),
    "duplicate_custom_id": _e("custom_id must be unique within the file"),
    "batch_invalid_method": _e('method must be "POST"'),
    "batch_url_mismatch": _e("every request must use the batch's endpoint"),
    "batch_unsupported_endpoint": _e("use an endpoint the Batch API supports"),
    "batch_body_invalid": _e('"body" must be a JSON object with the request parameters'),
    "batch_missing_model": _e('add "model" to the request body'),
    "batch_body_missing_key": _e("add the parameter the endpoint requires"),
    "batch_multiple_models": _e("a batch file must use a single model"),
    "batch_too_many_requests": _e("split the batch: at most 50,000 requests per file"),
    "batch_too_many_embedding_inputs": _e("split the batch: at most 50,000 embedding inputs"),
    # eval items
    "eval_missing_item": _e('each line needs an "item" object'),
    "eval_invalid_sample": _e('"sample" must be a JSON object'),
    "item_schema_violation": _e("make the item match the eval's item_schema"),
    "invalid_item_schema": _e("fix the eval's item_schema (JSON Schema)"),
}


def severity_of(code: str) -> Severity:
    return CODES[code][0]


def default_hint(code: str) -> str:
    return CODES[code][1]


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate closest to `word` (a likely typo of it), or None."""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return close[0] if close else None


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """`did you mean 'content'?` for a typo, or None when nothing is close."""
    close = closest(word, candidates)
    return f"did you mean {close!r}?" if close else None


class ProblemLog:
    """Keeps the first `KEPT_PER_CODE` problems of each code and counts all of them.

    Problems are kept as plain tuples (cheap to pickle between worker processes) and turned
    into `DataProblem`s by `problems()`. Lines may be chunk-local; `merge` shifts them.
    """

    def __init__(self) -> None:
        self.kept: list[tuple[str, int, int, str, str | None]] = []
        self.counts: dict[str, int] = {}

    def add(
        self, code: str, line: int, message: str, hint: str | None = None, column: int = 0
    ) -> None:
        count = self.counts.get(code, 0) + 1
        self.counts[code] = count
        if count <= KEPT_PER_CODE:
            self.kept.append((code, line, column, message, hint))

    def merge(
        self,
        other_kept: list[tuple[str, int, int, str, str | None]],
        other_counts: dict[str, int],
        line_offset: int,
    ) -> None:
        """Append another (later) part of the file, shifting its lines by `line_offset`."""
        kept_now = {code: min(n, KEPT_PER_CODE) for code, n in self.counts.items()}
        for code, line, column, message, hint in other_kept:
            if kept_now.get(code, 0) < KEPT_PER_CODE:
                kept_now[code] = kept_now.get(code, 0) + 1
                self.kept.append((code, line + line_offset, column, message, hint))
        for code, n in other_counts.items():
            self.counts[code] = self.counts.get(code, 0) + n

    @property
    def has_errors(self) -> bool:
        return any(severity_of(code) == "error" for code in self.counts)

    def problems(self) -> tuple[DataProblem, ...]:
        ordered = sorted(self.kept, key=lambda p: (p[1], p[0]))
        return tuple(
            DataProblem(
                code,
                line,
                message,
                severity_of(code),
                hint if hint is not None else default_hint(code),
                column,
            )
            for code, line, column, message, hint in ordered
        )
