"""Validation of a batch's input file, as the real API does it during `validating`.

`batches.create_batch` reads the input file and calls `check_input`: every JSONL line must be a
request object with a unique `custom_id`, `method` POST, `url` equal to the batch endpoint and a
`body`, all with one model, at most 50,000 requests in at most 200 MB. The answer is the parsed
requests, or the `BatchError` list ({code, message, param, line}) the failed batch reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

Obj = dict[str, Any]

MAX_REQUESTS = 50_000
MAX_BYTES = 200 * 1024 * 1024
MAX_REPORTED_ERRORS = 100


@dataclass
class InputCheck:
    """The outcome: `requests` ({custom_id, url, body}) when `errors` is empty."""

    requests: list[Obj] = field(default_factory=list)
    errors: list[Obj] = field(default_factory=list)
    model: str | None = None


def batch_error(
    code: str, message: str, *, param: str | None = None, line: int | None = None
) -> Obj:
    return {"code": code, "message": message, "param": param, "line": line}


def check_input(data: bytes, endpoint: str) -> InputCheck:
    result = InputCheck()
    if len(data) > MAX_BYTES:
        message = f"The input file is {len(data)} bytes; a batch input file may be at most 200 MB."
        result.errors.append(batch_error("file_too_large", message))
        return result
    seen: set[str] = set()
    for number, raw in enumerate(data.splitlines(), start=1):
        if raw.strip():
            _check_line(raw, number, endpoint, seen, result)
        if len(result.errors) >= MAX_REPORTED_ERRORS:
            break
    if not result.errors:
        _check_count(result)
    return result


def _check_count(result: InputCheck) -> None:
    if not result.requests:
        result.errors.append(
            batch_error("empty_file", "The input file is empty; a batch needs at least 1 request.")
        )
    elif len(result.requests) > MAX_REQUESTS:
        result.errors.append(
            batch_error(
                "too_many_tasks",
                f"The input file has {len(result.requests)} requests; a batch may have at most "
                f"{MAX_REQUESTS:,} requests.",
            )
        )


def _check_line(raw: bytes, number: int, endpoint: str, seen: set[str], result: InputCheck) -> None:
    try:
        request = orjson.loads(raw)
    except orjson.JSONDecodeError:
        request = None
    if not isinstance(request, dict):
        message = "This line is not parseable as valid JSON."
        result.errors.append(batch_error("invalid_json_line", message, line=number))
        return
    error = _request_error(request, endpoint, seen) or _model_error(request, result)
    if error is not None:
        error["line"] = number
        result.errors.append(error)
        return
    seen.add(request["custom_id"])
    result.requests.append(
        {"custom_id": request["custom_id"], "url": request["url"], "body": request["body"]}
    )


def _request_error(request: Obj, endpoint: str, seen: set[str]) -> Obj | None:
    for key, kind, expected in (
        ("custom_id", str, "a string"),
        ("method", str, "a string"),
        ("url", str, "a string"),
        ("body", dict, "an object"),
    ):
        if key not in request:
            return batch_error(
                "missing_required_parameter",
                f"Missing required parameter: '{key}'.",
                param=key,
            )
        if not isinstance(request[key], kind):
            return batch_error(
                "invalid_type", f"Invalid type for '{key}': expected {expected}.", param=key
            )
    if request["custom_id"] in seen:
        return batch_error(
            "duplicate_custom_id",
            f"The custom_id '{request['custom_id']}' is used by another request in this batch; "
            "each request needs a unique custom_id.",
            param="custom_id",
        )
    if request["method"] != "POST":
        return batch_error(
            "invalid_method",
            f"Invalid method '{request['method']}'; batch requests must use method 'POST'.",
            param="method",
        )
    if request["url"] != endpoint:
        return batch_error(
            "url_mismatch",
            f"The url '{request['url']}' of this request does not match the batch endpoint "
            f"'{endpoint}'.",
            param="url",
        )
    return None


def _model_error(request: Obj, result: InputCheck) -> Obj | None:
    model = request["body"].get("model")
    if model is None:
        return None
    if not isinstance(model, str):
        return batch_error(
            "invalid_type", "Invalid type for 'body.model': expected a string.", param="body.model"
        )
    if result.model is None:
        result.model = model
    elif model != result.model:
        return batch_error(
            "model_mismatch",
            f"The model '{model}' of this request differs from the model '{result.model}' of "
            "earlier requests; all requests of a batch must use the same model.",
            param="body.model",
        )
    return None
