"""Usage and costs buckets built from the `"usage_event"` records the inference routes write.

Serves GET /organization/usage/{completions,embeddings,moderations} and /organization/costs (and
the other usage reports, always empty: the stand-in model makes no image, audio or tool calls).
Buckets are aligned on UTC minute/hour/day boundaries, empty buckets have `results: []`, and
`next_page` is an opaque cursor naming the next bucket's start.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..http import Obj, invalid, json_response, query_int, query_integer
from .org_common import AdminContext, admin_context, query_choice, query_list

WIDTHS = {"1m": 60, "1h": 3600, "1d": 86400}
USAGE_LIMITS = {"1m": (60, 1440), "1h": (24, 168), "1d": (7, 31)}  # (default, max)
COSTS_LIMITS = {"1d": (7, 180)}
MAX_UNIX_TIME = 253_402_300_799  # 9999-12-31T23:59:59Z
_KEY_FIELDS = ("project_id", "user_id", "api_key_id", "model")


@dataclass(frozen=True)
class Report:
    """One usage endpoint: which events it counts and how a group of them is summed."""

    endpoints: frozenset[str]
    group_fields: tuple[str, ...]
    limits: dict[str, tuple[int, int]]
    summarise: Callable[[list[Obj]], Obj]
    filters: tuple[str, ...] = ("project_ids", "user_ids", "api_key_ids", "models")
    has_quantity: bool = False  # costs results carry `quantity`/`quantity_unit`


# -- summaries -----------------------------------------------------------------------------------


def _total(events: Iterable[Obj], field: str) -> int:
    return sum(int(event.get(field) or 0) for event in events)


def _completions(events: list[Obj]) -> Obj:
    input_tokens = _total(events, "input_tokens")
    cached = _total(events, "input_cached_tokens")
    output = _total(events, "output_tokens")
    return {
        "object": "organization.usage.completions.result",
        "input_tokens": input_tokens,
        "output_tokens": output,
        "input_cached_tokens": cached,
        "input_uncached_tokens": input_tokens - cached,
        "input_text_tokens": input_tokens - cached,
        "input_cached_text_tokens": cached,
        "output_text_tokens": output,
        "input_audio_tokens": 0,
        "output_audio_tokens": 0,
        "num_model_requests": _total(events, "num_model_requests"),
    }


def _inputs_only(object_name: str) -> Callable[[list[Obj]], Obj]:
    def summarise(events: list[Obj]) -> Obj:
        return {
            "object": object_name,
            "input_tokens": _total(events, "input_tokens"),
            "num_model_requests": _total(events, "num_model_requests"),
        }

    return summarise


def _no_traffic(events: list[Obj]) -> Obj:
    raise AssertionError("no stand-in traffic is counted by this usage report")


def _costs(events: list[Obj]) -> Obj:
    value = round(sum(float(event.get("cost_usd") or 0.0) for event in events), 10)
    return {"object": "organization.costs.result", "amount": {"value": value, "currency": "usd"}}


REPORTS = {
    "completions": Report(
        endpoints=frozenset({"responses", "chat.completions"}),
        group_fields=(*_KEY_FIELDS, "batch", "service_tier", "api_source"),
        limits=USAGE_LIMITS,
        summarise=_completions,
        filters=("project_ids", "user_ids", "api_key_ids", "models", "batch"),
    ),
    "embeddings": Report(
        endpoints=frozenset({"embeddings"}),
        group_fields=_KEY_FIELDS,
        limits=USAGE_LIMITS,
        summarise=_inputs_only("organization.usage.embeddings.result"),
    ),
    "moderations": Report(
        endpoints=frozenset({"moderations"}),
        group_fields=_KEY_FIELDS,
        limits=USAGE_LIMITS,
        summarise=_inputs_only("organization.usage.moderations.result"),
    ),
    **{
        name: Report(
            endpoints=frozenset(),  # the stand-in serves none of these: buckets stay empty
            group_fields=fields,
            limits=USAGE_LIMITS,
            summarise=_no_traffic,
            filters=("project_ids", "user_ids", "api_key_ids", "models"),
        )
        for name, fields in {
            "audio_speeches": _KEY_FIELDS,
            "audio_transcriptions": _KEY_FIELDS,
            "images": (*_KEY_FIELDS, "size", "source"),
            "code_interpreter_sessions": ("project_id",),
            "vector_stores": ("project_id",),
            "file_search_calls": ("project_id", "user_id", "api_key_id", "vector_store_id"),
            "web_search_calls": (*_KEY_FIELDS, "context_level"),
        }.items()
    },
    "costs": Report(
        endpoints=frozenset({"responses", "chat.completions", "embeddings", "moderations"}),
        group_fields=("project_id", "line_item", "api_key_id"),
        limits=COSTS_LIMITS,
        summarise=_costs,
        filters=("project_ids", "api_key_ids"),
        has_quantity=True,
    ),
}


# -- query parameters ----------------------------------------------------------------------------


def _query_time(request: Request, name: str, *, required: bool = False) -> int | None:
    """A Unix time in seconds, from 1970 to the end of year 9999 (what a date can show)."""
    return query_integer(request, name, minimum=0, maximum=MAX_UNIX_TIME, required=required)


def _group_by(request: Request, report: Report) -> tuple[str, ...]:
    fields = query_list(request, "group_by")
    for field in fields:
        if field not in report.group_fields:
            raise invalid(
                f"Invalid value for 'group_by': '{field}'. Supported values are "
                f"{', '.join(report.group_fields)}.",
                param="group_by",
                code="invalid_value",
            )
    return tuple(dict.fromkeys(fields))


def _batch_filter(request: Request) -> bool | None:
    raw = request.query_params.get("batch")
    if raw is None:
        return None
    if raw not in ("true", "false"):
        raise invalid(
            f"Invalid value for 'batch': expected a boolean, but got '{raw}' instead.",
            param="batch",
            code="invalid_type",
        )
    return raw == "true"


def encode_page(bucket_start: int) -> str:
    return "page_" + base64.urlsafe_b64encode(str(bucket_start).encode()).decode()


def _decode_page(page: str) -> int:
    try:
        return int(base64.urlsafe_b64decode(page.removeprefix("page_").encode()).decode())
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise invalid(
            f"Invalid page cursor: '{page}'.", param="page", code="invalid_value"
        ) from None


# -- events --------------------------------------------------------------------------------------


def _key_owners(context: AdminContext) -> dict[str, str]:
    """The user behind each API key (service-account keys have none)."""
    keys = context.sandbox.store.list("secret_key", where=lambda k: k["owner_type"] == "user")
    return {str(k["key_id"]): str(k["owner_id"]) for k in keys}


def _with_derived_fields(context: AdminContext, events: list[Obj]) -> list[Obj]:
    owners = _key_owners(context)
    return [
        {
            **event,
            "user_id": owners.get(str(event.get("api_key_id"))),
            "service_tier": "batch" if event.get("batch") else "default",
            "api_source": "unlabeled",
            "line_item": f"{event.get('model')}, {'batch' if event.get('batch') else 'standard'}",
        }
        for event in events
    ]


def _field_in(field: str, wanted: set[str]) -> Callable[[Obj], bool]:
    return lambda event: event.get(field) in wanted


def _event_filters(request: Request, report: Report) -> list[Callable[[Obj], bool]]:
    filters: list[Callable[[Obj], bool]] = []
    for param, field in (
        ("project_ids", "project_id"),
        ("user_ids", "user_id"),
        ("api_key_ids", "api_key_id"),
        ("models", "model"),
    ):
        wanted = set(query_list(request, param)) if param in report.filters else set()
        if wanted:
            filters.append(_field_in(field, wanted))
    batch = _batch_filter(request) if "batch" in report.filters else None
    if batch is not None:
        filters.append(lambda e: bool(e.get("batch")) == batch)
    return filters


# -- the handler ---------------------------------------------------------------------------------


def _bucket_results(report: Report, group_by: tuple[str, ...], events: list[Obj]) -> list[Obj]:
    groups: dict[tuple[object, ...], list[Obj]] = {}
    for event in events:
        groups.setdefault(tuple(event.get(field) for field in group_by), []).append(event)
    results = []
    for key, members in groups.items():
        result = report.summarise(members)
        for field in report.group_fields:
            if field != "api_source":
                result[field] = None
        if report.has_quantity:
            result.update(quantity=None, quantity_unit=None)
        result.update(zip(group_by, key, strict=True))
        if "line_item" in group_by:
            result["quantity"] = _total(members, "input_tokens") + _total(members, "output_tokens")
            result["quantity_unit"] = "tokens"
        results.append(result)
    return results


@dataclass(frozen=True)
class Window:
    """The requested time range and bucket layout of one usage request."""

    start_time: int
    stop: int  # exclusive
    width: int
    cursor: int  # start of the first bucket of this page
    limit: int


def _window(request: Request, context: AdminContext, report: Report) -> Window:
    start_time = _query_time(request, "start_time", required=True)
    assert start_time is not None
    end_time = _query_time(request, "end_time")
    width_name = query_choice(request, "bucket_width", tuple(report.limits), "1d")
    width = WIDTHS[width_name]
    default_limit, max_limit = report.limits[width_name]
    limit = query_int(request, "limit", default_limit, maximum=max_limit)
    first = start_time - start_time % width
    page = request.query_params.get("page")
    return Window(
        start_time=start_time,
        stop=end_time if end_time is not None else context.now + 1,
        width=width,
        cursor=max(first, _decode_page(page)) if page else first,
        limit=limit,
    )


def _answer(request: Request, report: Report) -> Response:
    context = admin_context(request)
    window = _window(request, context, report)
    group_by = _group_by(request, report)
    filters = _event_filters(request, report)
    events = [
        event
        for event in _with_derived_fields(context, context.sandbox.store.list("usage_event"))
        if event.get("endpoint") in report.endpoints
        and window.start_time <= int(event["time"]) < window.stop
        and all(f(event) for f in filters)
    ]
    buckets: list[Obj] = []
    cursor = window.cursor
    while cursor < window.stop and len(buckets) < window.limit:
        inside = [e for e in events if cursor <= int(e["time"]) < cursor + window.width]
        buckets.append(
            {
                "object": "bucket",
                "start_time": cursor,
                "end_time": cursor + window.width,
                "results": _bucket_results(report, group_by, inside),
            }
        )
        cursor += window.width
    has_more = cursor < window.stop
    return json_response(
        {
            "object": "page",
            "data": buckets,
            "has_more": has_more,
            "next_page": encode_page(cursor) if has_more else None,
        }
    )


def _route(path: str, report: Report) -> Route:
    async def handler(request: Request) -> Response:
        return _answer(request, report)

    return Route(path, handler, methods=["GET"])


ROUTES: list[BaseRoute] = [
    *(_route(f"/organization/usage/{name}", r) for name, r in REPORTS.items() if name != "costs"),
    _route("/organization/costs", REPORTS["costs"]),
]
