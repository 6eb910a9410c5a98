"""Map the SDK's exceptions into the reconciler's error tree, once, at the provider boundary.

Every provider call runs inside `api_errors("what it does")`: a 4xx becomes a
`PermanentApiError`, a 429/5xx/connection failure a `TemporaryApiError` carrying the delay the
server asked for (`Retry-After-Ms`, `Retry-After` in seconds or as an HTTP date), which the
apply engine's retries honour. Messages never carry credentials (`mask_secrets`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from email.utils import parsedate_to_datetime
from typing import Any

import openai

from reconciler.errors import ApiError, PermanentApiError, TemporaryApiError

_SECRET = re.compile(r"\b(sk-[A-Za-z0-9_-]{2})[A-Za-z0-9_*-]{6,}")


def mask_secrets(text: str) -> str:
    """Replace anything shaped like an API key with its first characters and a mask."""
    return _SECRET.sub(lambda m: f"{m.group(1)}…(masked)", text)


@contextmanager
def api_errors(operation: str, *, missing_ok: bool = False) -> Iterator[None]:
    """Run an SDK call; re-raise its failure as an ApiError subclass naming `operation`.

    With `missing_ok`, a 404 is swallowed (deleting what is already gone).
    """
    try:
        yield
    except openai.APIStatusError as error:
        if missing_ok and error.status_code == 404:
            return
        raise map_status_error(error, operation) from error
    except (openai.APITimeoutError, openai.APIConnectionError) as error:
        message = f"{operation}: could not reach the API ({type(error).__name__})"
        raise TemporaryApiError(mask_secrets(message), operation=operation) from error
    except openai.OpenAIError as error:
        message = f"{operation}: {error}"
        raise PermanentApiError(mask_secrets(message), operation=operation) from error


def map_status_error(error: openai.APIStatusError, operation: str) -> ApiError:
    status = error.status_code
    code = error.code if isinstance(error.code, str) else None
    message = mask_secrets(f"{operation}: HTTP {status}: {_api_message(error)}")
    if status == 429 or status >= 500:
        delay = retry_after_seconds(error.response.headers)
        return TemporaryApiError(
            message, retry_after=delay, status=status, code=code, operation=operation
        )
    return PermanentApiError(message, status=status, code=code, operation=operation)


def _api_message(error: openai.APIStatusError) -> str:
    body: Any = error.body
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return str(body["message"])
    return error.message


def retry_after_seconds(headers: Any) -> float | None:
    """The delay a 429/503 answer asks for, in seconds, or None."""
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            return max(0.0, float(raw_ms) / 1000)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        from datetime import UTC, datetime

        return max(0.0, (parsedate_to_datetime(raw) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None
