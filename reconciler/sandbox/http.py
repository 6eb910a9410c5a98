"""HTTP helpers shared by every sandbox route module: errors, auth, bodies, pagination.

Route handlers raise `APIError` (rendered as the real API's error body and status), call
`caller(request)` to learn which key is calling and which project it acts in, read JSON bodies
with `json_body`, and return lists through `paginate` so every list endpoint pages alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

if TYPE_CHECKING:
    from .state import Sandbox

Obj = dict[str, Any]


class APIError(Exception):
    """An error answer shaped like the real API's: `{"error": {message, type, param, code}}`."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.headers = dict(headers or {})

    def response(self) -> Response:
        body = {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }
        return json_response(body, status=self.status, headers=self.headers)


def invalid(message: str, param: str | None = None, code: str | None = None) -> APIError:
    """400 invalid_request_error, the answer to a request the real API rejects."""
    return APIError(400, message, param=param, code=code)


def not_found(kind: str, obj_id: str, param: str | None = None) -> APIError:
    return APIError(404, f"No such {kind}: '{obj_id}'", param=param, code=None)


def json_response(
    body: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(
        orjson.dumps(body),
        status_code=status,
        headers=dict(headers or {}),
        media_type="application/json",
    )


# -- auth ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Caller:
    """Who is calling: the key's kind, its owner (for audit logs) and the project acted in."""

    key_id: str
    is_admin: bool
    project_id: str  # the project objects are created in and listed from
    actor_id: str  # user or service account id, for audit logs
    actor_type: str  # "user" | "service_account" | "admin_api_key"


def sandbox_of(request: Request) -> Sandbox:
    sandbox: Sandbox = request.app.state.sandbox
    return sandbox


def caller(request: Request, *, admin: bool = False) -> Caller:
    """Authenticate the bearer key. `admin=True` for /organization endpoints (admin keys only)."""
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer ") or not header[7:].strip():
        raise APIError(
            401,
            "You didn't provide an API key. You need to provide your API key in an Authorization "
            "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
        )
    secret = header[7:].strip()
    sandbox = sandbox_of(request)
    record = sandbox.store.get("secret_key", secret)
    if record is None or _has_expired(record, sandbox.clock.now()):
        raise APIError(
            401,
            f"Incorrect API key provided: {redact(secret)}. You can find your API key at "
            "https://platform.openai.com/account/api-keys.",
            code="invalid_api_key",
        )
    if admin and not record["is_admin"]:
        raise APIError(
            401,
            "You have insufficient permissions for this operation. Missing scopes: "
            "api.management.read, api.management.write. Check that you're using an admin key "
            "(sk-admin-...) for the Administration API.",
        )
    if not admin and record["is_admin"]:
        raise APIError(
            401,
            "Admin API keys can only be used with the Administration API (/v1/organization/...).",
            code="invalid_api_key",
        )
    project_id = str(record.get("project_id") or "")
    requested = request.headers.get("openai-project")
    if not record["is_admin"] and requested and requested != project_id:
        # A project key acts only in its own project, as the real API answers (the owner's
        # key included: there are no user keys left that may pick another project).
        raise APIError(
            401,
            "OpenAI-Project header should match project for API key",
            code="mismatched_project",
        )
    return Caller(
        key_id=str(record["key_id"]),
        is_admin=bool(record["is_admin"]),
        project_id=project_id,
        actor_id=str(record["owner_id"]),
        actor_type=str(record["owner_type"]),
    )


def _has_expired(key_record: Mapping[str, Any], now: int) -> bool:
    """A key past its `expires_at` is refused like an unknown one, as the real API does."""
    expires_at = key_record.get("expires_at")
    return expires_at is not None and now >= expires_at


def redact(secret: str) -> str:
    """How the real API echoes a wrong key: its start and end only."""
    if len(secret) <= 10:
        return "*" * len(secret)
    return f"{secret[:6]}{'*' * 10}{secret[-4:]}"


# -- bodies ------------------------------------------------------------------------------------


_UNPARSABLE = (
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using "
    "your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was "
    "not valid JSON.)"
)


async def json_body(request: Request) -> Obj:
    raw = await request.body()
    if not raw:
        raise invalid(_UNPARSABLE)
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise invalid(_UNPARSABLE) from None
    if not isinstance(body, dict):
        raise invalid("Invalid body: expected a JSON object.", code="invalid_type")
    check_integer_bounds(body)
    return body


INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def check_integer_bounds(value: Any, param: str = "") -> None:
    """Every integer of a JSON body fits in 64 signed bits, as the real API's parser requires.

    orjson reads integers up to 2**64 - 1 exactly; one of them stored and echoed (or added to
    the clock) would fail when the answer is serialised: a 500 instead of the real API's 400.
    """
    if isinstance(value, dict):
        for key, item in value.items():
            check_integer_bounds(item, f"{param}.{key}" if param else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_integer_bounds(item, f"{param}[{index}]")
    elif isinstance(value, int) and not isinstance(value, bool):
        check_range(value, param or "body", minimum=INT64_MIN, maximum=INT64_MAX)


def check_params(
    body: Mapping[str, Any], *, allowed: Iterable[str], required: Iterable[str] = ()
) -> None:
    """Reject unknown and missing top-level parameters as the real API does (first one wins)."""
    allowed_set = set(allowed) | set(required)
    for key in body:
        if key not in allowed_set:
            raise invalid(f"Unknown parameter: '{key}'.", param=key, code="unknown_parameter")
    for key in required:
        if body.get(key) is None:
            raise invalid(
                f"Missing required parameter: '{key}'.",
                param=key,
                code="missing_required_parameter",
            )


_TYPE_NAMES = {
    str: "a string",
    int: "an integer",
    float: "a number",
    bool: "a boolean",
    list: "an array",
    dict: "an object",
}


def check_type(value: Any, expected: type | tuple[type, ...], param: str) -> None:
    types = expected if isinstance(expected, tuple) else (expected,)
    ok = isinstance(value, types) and not (isinstance(value, bool) and bool not in types)
    if not ok:
        wanted = " or ".join(_TYPE_NAMES.get(t, t.__name__) for t in types)
        got = _TYPE_NAMES.get(type(value), type(value).__name__) if value is not None else "null"
        raise invalid(
            f"Invalid type for '{param}': expected {wanted}, but got {got} instead.",
            param=param,
            code="invalid_type",
        )


def check_range(
    value: float, param: str, *, minimum: float | None = None, maximum: float | None = None
) -> None:
    kind = "integer" if isinstance(value, int) else "number"
    if minimum is not None and value < minimum:
        raise invalid(
            f"Invalid '{param}': {kind} below minimum value. Expected a value >= {minimum}, "
            f"but got {value} instead.",
            param=param,
            code=f"{kind}_below_min_value",
        )
    if maximum is not None and value > maximum:
        raise invalid(
            f"Invalid '{param}': {kind} above maximum value. Expected a value <= {maximum}, "
            f"but got {value} instead.",
            param=param,
            code=f"{kind}_above_max_value",
        )


def check_metadata(metadata: Any, param: str = "metadata") -> None:
    """OpenAI metadata: at most 16 pairs, keys ≤ 64 chars, string values ≤ 512 chars."""
    if metadata is None:
        return
    check_type(metadata, dict, param)
    if len(metadata) > 16:
        raise invalid(
            f"Invalid '{param}': too many properties. Expected an object with at most 16 "
            f"properties, but got an object with {len(metadata)} properties instead.",
            param=param,
            code="object_above_max_properties",
        )
    for key, value in metadata.items():
        if len(key) > 64:
            raise invalid(
                f"Invalid '{param}': metadata keys must be at most 64 characters.",
                param=param,
                code="invalid_value",
            )
        check_type(value, str, f"{param}.{key}")
        if len(value) > 512:
            raise invalid(
                f"Invalid '{param}.{key}': string too long. Expected a string with maximum "
                f"length 512, but got a string with length {len(value)} instead.",
                param=f"{param}.{key}",
                code="string_above_max_length",
            )


# -- lists ---------------------------------------------------------------------------------------


def query_int(
    request: Request, name: str, default: int, *, minimum: int = 1, maximum: int = 100
) -> int:
    value = query_integer(request, name, minimum=minimum, maximum=maximum)
    return default if value is None else value


def query_integer(
    request: Request,
    name: str,
    *,
    minimum: int = INT64_MIN,
    maximum: int = INT64_MAX,
    required: bool = False,
) -> int | None:
    """An integer query parameter within [minimum, maximum] (64 signed bits unless narrower).

    Every integer query parameter is read here, so none reaches a handler unbounded: a huge
    `start_time` once made the usage routes answer 500. A repeated parameter is refused as
    ambiguous instead of silently taking one of the values.
    """
    values = request.query_params.getlist(name)
    if not values:
        if required:
            raise invalid(
                f"Missing required parameter: '{name}'.",
                param=name,
                code="missing_required_parameter",
            )
        return None
    if len(values) > 1:
        raise invalid(
            f"Invalid type for '{name}': expected an integer, but got an array instead.",
            param=name,
            code="invalid_type",
        )
    raw = values[0].strip()
    if not _INTEGER.fullmatch(raw):
        raise invalid(
            f"Invalid type for '{name}': expected an integer, but got a string instead.",
            param=name,
            code="invalid_type",
        )
    # Python refuses int() of more than 4300 digits; anything past 40 is out of range anyway.
    value = int(raw) if len(raw) <= 40 else (-1 if raw.startswith("-") else 1) * 10**40
    check_range(value, name, minimum=minimum, maximum=maximum)
    return value


_INTEGER = re.compile(r"[+-]?[0-9]+")


def paginate(
    request: Request,
    items: list[Obj],
    *,
    default_limit: int = 20,
    max_limit: int = 100,
    default_order: str = "desc",
    has_order: bool = True,
    id_of: Callable[[Obj], str] = lambda o: str(o["id"]),
    extra: Mapping[str, Any] | None = None,
) -> Response:
    """A list page: `items` come oldest first; `order`, `after` and `limit` apply as in the API."""
    limit = query_int(request, "limit", default_limit, maximum=max_limit)
    order = request.query_params.get("order", default_order) if has_order else default_order
    if order not in ("asc", "desc"):
        raise invalid(
            f"Invalid value for 'order': expected one of 'asc' or 'desc', got '{order}'.",
            param="order",
            code="invalid_value",
        )
    ordered = items if order == "asc" else list(reversed(items))
    after = request.query_params.get("after")
    if after:
        ids = [id_of(o) for o in ordered]
        ordered = ordered[ids.index(after) + 1 :] if after in ids else []
    page = ordered[:limit]
    body: Obj = {
        "object": "list",
        "data": page,
        "first_id": id_of(page[0]) if page else None,
        "last_id": id_of(page[-1]) if page else None,
        "has_more": len(ordered) > limit,
    }
    if extra:
        body.update(extra)
    return json_response(body)
