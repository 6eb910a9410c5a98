"""Map the SDK's exceptions into the reconciler's error tree, once, at the provider boundary.

Every provider call runs inside `api_errors("what it does")`: a 4xx (and a 429
`insufficient_quota`) becomes a `PermanentApiError`, another 429, a 5xx or a connection failure
a `TemporaryApiError` carrying the delay the server asked for (`Retry-After-Ms`, `Retry-After`
in seconds or as an HTTP date), which the apply engine's retries honour. Messages say what to
fix when the cause is the configuration (a key refused or of the wrong kind, a base URL that is
not the OpenAI API or where nothing listens) and never carry credentials (`mask_secrets`).
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
_BASE_URL_HINT = (
    "check OPENAI_BASE_URL (it usually ends in /v1; OpenAI's is https://api.openai.com/v1)"
)


TRAINING_NOT_AVAILABLE = (
    "this organization can no longer create fine-tuning jobs (403 training_not_available): "
    "OpenAI is winding down fine-tuning. What still works: existing fine-tuned models answer "
    "(inference), can be shared with other projects and kept or deleted, until their base "
    "model shuts down. Job creation closes for every organization on 2027-01-06"
)


def mask_secrets(text: str) -> str:
    """Replace anything shaped like an API key with its first characters and a mask."""
    return _SECRET.sub(lambda m: f"{m.group(1)}…(masked)", text)


class NotTheApiError(Exception):
    """An answer no OpenAI API gives (a web page): raised by the response hook of `Clients`."""

    def __init__(self, url: str, status: int) -> None:
        self.url = url
        self.status = status
        super().__init__(f"{url} answered with a web page (HTTP {status})")


def reject_web_pages(response: Any) -> None:
    """httpx response hook: an HTML answer means OPENAI_BASE_URL points at a web site."""
    if response.headers.get("content-type", "").startswith("text/html"):
        raise NotTheApiError(_shown_url(response.request.url), response.status_code)


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
        raise map_connection_error(error, operation) from error
    except NotTheApiError as error:
        raise _not_the_api(error, operation) from error
    except openai.OpenAIError as error:
        message = f"{operation}: {error}"
        raise PermanentApiError(mask_secrets(message), operation=operation) from error
    except (AttributeError, TypeError, ValueError) as error:
        if not _raised_in_sdk(error):
            raise
        message = with_hint(f"{operation}: the answer is not the OpenAI API's JSON", _BASE_URL_HINT)
        raise PermanentApiError(message, operation=operation) from error


def map_status_error(error: openai.APIStatusError, operation: str) -> ApiError:
    status = error.status_code
    code = error.code if isinstance(error.code, str) else None
    message = mask_secrets(f"{operation}: HTTP {status}: {_api_message(error)}")
    if code == "insufficient_quota":  # a 429 that waiting does not cure
        message = with_hint(message, "check the organization's billing and usage limits")
        return PermanentApiError(message, status=status, code=code, operation=operation)
    if code == "training_not_available":
        return PermanentApiError(TRAINING_NOT_AVAILABLE, status=status, code=code)
    if status == 429 or status >= 500:
        delay = retry_after_seconds(error.response.headers)
        return TemporaryApiError(
            message, retry_after=delay, status=status, code=code, operation=operation
        )
    hint = _credentials_hint(error) if status in (401, 403) else None
    if status == 404 and _is_unknown_route(error):
        request = error.response.request
        shown = f"{request.method} {_shown_url(request.url)}"
        message = f"{operation}: {shown} is not an OpenAI API route (HTTP 404)"
        hint = _BASE_URL_HINT
    if hint:
        message = with_hint(message, hint)
    return PermanentApiError(message, status=status, code=code, operation=operation)


def map_connection_error(error: openai.APIConnectionError, operation: str) -> ApiError:
    if isinstance(error.__cause__, NotTheApiError):  # SDKs that wrap what a hook raises
        return _not_the_api(error.__cause__, operation)
    problem, hint = _connection_problem(error)
    where = _origin(error.request.url)
    message = with_hint(f"{operation}: could not reach the API at {where} ({problem})", hint)
    return TemporaryApiError(mask_secrets(message), operation=operation)


def with_hint(message: str, hint: str) -> str:
    """`message`, then `hint` as the sentence that says what to do."""
    return f"{message.rstrip('. ')}. {hint[0].upper()}{hint[1:]}."


def _not_the_api(error: NotTheApiError, operation: str) -> ApiError:
    message = with_hint(f"{operation}: {error}, not the OpenAI API", _BASE_URL_HINT)
    return PermanentApiError(message, status=error.status, operation=operation)


def _credentials_hint(error: openai.APIStatusError) -> str | None:
    """What to change when a key was refused: which variable, and whether it is the wrong kind."""
    request = error.response.request
    admin_route = "/organization/" in request.url.path
    variable = "OPENAI_ADMIN_KEY" if admin_route else "OPENAI_API_KEY"
    token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    is_admin_key = token.startswith("sk-admin-")
    if admin_route and token.startswith("sk-") and not is_admin_key:
        return (
            "OPENAI_ADMIN_KEY holds a project key (sk-proj-...): set it to an admin key "
            "(sk-admin-...); projects are managed through the Administration API"
        )
    if not admin_route and is_admin_key:
        return (
            "OPENAI_API_KEY holds an admin key (sk-admin-...): set it to a project API key "
            "(sk-proj-...); admin keys only work with the Administration API"
        )
    if error.code == "mismatched_project":
        project = request.headers.get("openai-project", "that project")
        return (
            f"the key is not {project}'s: a project API key acts only in its own project. Name "
            "the environment variable that holds a key of that project under `project_keys` in "
            "reconciler.yaml (`project_keys: {Project/<name>: VARIABLE}`; docs/credentials.md)"
        )
    if error.status_code == 401:
        return f"check {variable}: the API refused that key (mistyped, revoked or expired?)"
    return None


def _is_unknown_route(error: openai.APIStatusError) -> bool:
    body: Any = error.body
    if not isinstance(body, dict):
        return True  # a 404 that is not an API error object
    return str(body.get("message", "")).startswith("Invalid URL")


def _connection_problem(error: openai.APIConnectionError) -> tuple[str, str]:
    """What went wrong, and what to check."""
    if isinstance(error, openai.APITimeoutError):
        return "no answer in time", _NETWORK_HINT
    text = " ".join(str(cause) for cause in _causes(error)).lower()
    for fragment, problem, hint in _CONNECTION_PROBLEMS:
        if fragment in text:
            return problem, hint
    return "the connection failed", _UNREACHABLE_HINT


_UNREACHABLE_HINT = "check OPENAI_BASE_URL, and that the server is running and reachable"
_NETWORK_HINT = "if it keeps happening, check the network between here and the API (proxy, VPN)"
_CLOSED = "the connection closed before the answer was complete"
_CONNECTION_PROBLEMS = (
    ("refused", "connection refused", _UNREACHABLE_HINT),
    ("name or service not known", "unknown host name", _UNREACHABLE_HINT),
    ("nodename nor servname", "unknown host name", _UNREACHABLE_HINT),
    ("name resolution", "unknown host name", _UNREACHABLE_HINT),
    ("certificate", "its TLS certificate is not trusted", _UNREACHABLE_HINT),
    ("peer closed connection", _CLOSED, _NETWORK_HINT),
    ("disconnected", _CLOSED, _NETWORK_HINT),
    ("reset by peer", _CLOSED, _NETWORK_HINT),
)


def _causes(error: BaseException) -> Iterator[BaseException]:
    seen: BaseException | None = error.__cause__ or error.__context__
    while seen is not None:
        yield seen
        seen = seen.__cause__ or seen.__context__


def _raised_in_sdk(error: BaseException) -> bool:
    """True when the innermost frame is the SDK's own (it could not read an answer)."""
    traceback = error.__traceback__
    if traceback is None:
        return False
    while traceback.tb_next is not None:
        traceback = traceback.tb_next
    return str(traceback.tb_frame.f_globals.get("__name__", "")).startswith("openai.")


def _origin(url: Any) -> str:
    port = f":{url.port}" if url.port else ""
    return f"{url.scheme}://{url.host}{port}"


def _shown_url(url: Any) -> str:
    """scheme://host:port/path: no user info, no query."""
    return _origin(url) + str(url.path)


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
