"""Usage and costs buckets of the sandbox, fed by `"usage_event"` records.

Most tests put the records straight into the store (what the inference routes write for every
call); the last one makes a real `responses.create` call and reads it back.
"""

from __future__ import annotations

from typing import Any

import openai
import pytest

from reconciler.sandbox import SandboxHandle
from reconciler.sandbox.app import OWNER_USER_ID

DAY = 86400


def put_event(sandbox: SandboxHandle, time: int, **fields: Any) -> None:
    event = {
        "id": f"usage_evt_{time}_{fields.get('endpoint', 'responses')}",
        "time": time,
        "project_id": "proj_a",
        "api_key_id": "key_sandboxproject",  # the seeded project key: its owner is the user
        "model": "gpt-5.6-luna",
        "endpoint": "responses",
        "input_tokens": 0,
        "output_tokens": 0,
        "input_cached_tokens": 0,
        "num_model_requests": 1,
        "batch": False,
        "cost_usd": 0.0,
        **fields,
    }
    sandbox.app.state.sandbox.store.put("usage_event", event)


@pytest.fixture
def today(sandbox: SandboxHandle) -> int:
    """Start of the current UTC day, with yesterday's and today's traffic recorded."""
    now = sandbox.app.state.sandbox.clock.now()
    today = now - now % DAY
    yesterday = today - DAY
    put_event(sandbox, yesterday + 100, input_tokens=100, output_tokens=10,
              input_cached_tokens=20, cost_usd=0.01)  # fmt: skip
    put_event(sandbox, yesterday + 4000, project_id="proj_b", api_key_id="key_b",
              model="gpt-4.1-mini", endpoint="chat.completions", input_tokens=50,
              output_tokens=5, batch=True, cost_usd=0.002)  # fmt: skip
    put_event(sandbox, today, input_tokens=10, output_tokens=1, cost_usd=0.001)
    put_event(sandbox, yesterday + 300, endpoint="embeddings", model="text-embedding-3-small",
              input_tokens=30, cost_usd=0.0003)  # fmt: skip
    put_event(sandbox, yesterday + 400, endpoint="moderations", model="omni-moderation-latest",
              project_id="proj_b", input_tokens=7)  # fmt: skip
    return today


@pytest.fixture
def usage(conforming_admin_client: openai.OpenAI) -> Any:
    return conforming_admin_client.admin.organization.usage


def results(page: Any) -> list[list[dict[str, Any]]]:
    return [[r.model_dump(exclude_none=True) for r in bucket.results] for bucket in page.data]


def test_daily_buckets_sum_completions(usage: Any, today: int) -> None:
    page = usage.completions(start_time=today - 2 * DAY)
    assert [(b.start_time, b.end_time) for b in page.data] == [
        (today - 2 * DAY, today - DAY),
        (today - DAY, today),
        (today, today + DAY),
    ]
    assert (page.has_more, page.next_page) == (False, None)
    empty, yesterday, current = page.data
    assert empty.results == []
    (total,) = yesterday.results
    assert (total.input_tokens, total.output_tokens, total.input_cached_tokens) == (150, 15, 20)
    assert (total.num_model_requests, total.input_uncached_tokens) == (2, 130)
    assert (total.project_id, total.model, total.batch, total.user_id) == (None, None, None, None)
    assert [r.input_tokens for r in current.results] == [10]


def test_start_time_is_aligned_and_end_time_is_exclusive(usage: Any, today: int) -> None:
    page = usage.completions(start_time=today - DAY + 150, end_time=today)
    assert [b.start_time for b in page.data] == [today - DAY]
    assert [r.input_tokens for r in page.data[0].results] == [50]  # the 100 s event is earlier


def test_group_by_splits_the_results(usage: Any, today: int) -> None:
    page = usage.completions(start_time=today - DAY, group_by=["project_id", "model", "batch"])
    assert results(page)[0] == [
        {
            **results(page)[0][0],
            "project_id": "proj_a",
            "model": "gpt-5.6-luna",
            "batch": False,
            "input_tokens": 100,
        },
        {
            **results(page)[0][1],
            "project_id": "proj_b",
            "model": "gpt-4.1-mini",
            "batch": True,
            "input_tokens": 50,
        },
    ]
    by_user = usage.completions(start_time=today - DAY, group_by=["user_id", "api_key_id"])
    assert [(r.user_id, r.api_key_id) for r in by_user.data[0].results] == [
        (OWNER_USER_ID, "key_sandboxproject"),
        (None, "key_b"),
    ]


@pytest.mark.parametrize(
    ("filters", "expected_input_tokens"),
    [
        ({"project_ids": ["proj_b"]}, [50]),
        ({"models": ["gpt-5.6-luna"]}, [100]),
        ({"api_key_ids": ["key_b"]}, [50]),
        ({"user_ids": [OWNER_USER_ID]}, [100]),
        ({"batch": True}, [50]),
        ({"batch": False}, [100]),
        ({"project_ids": ["proj_nope"]}, []),
    ],
)
def test_filters(
    usage: Any, today: int, filters: dict[str, Any], expected_input_tokens: list[int]
) -> None:
    page = usage.completions(start_time=today - DAY, end_time=today, **filters)
    assert [r.input_tokens for r in page.data[0].results] == expected_input_tokens


def test_hourly_buckets_page_with_next_page(usage: Any, today: int) -> None:
    start = today - DAY
    first = usage.completions(start_time=start, bucket_width="1h", limit=1, end_time=today)
    assert [b.start_time for b in first.data] == [start]
    assert [r.input_tokens for r in first.data[0].results] == [100]
    assert first.has_more is True and first.next_page
    second = usage.completions(
        start_time=start, bucket_width="1h", limit=1, end_time=today, page=first.next_page
    )
    assert [b.start_time for b in second.data] == [start + 3600]
    assert [r.input_tokens for r in second.data[0].results] == [50]
    rest = usage.completions(
        start_time=start, bucket_width="1h", limit=168, end_time=today, page=second.next_page
    )
    assert (len(rest.data), rest.has_more, rest.next_page) == (22, False, None)
    assert sum(len(b.results) for b in rest.data) == 0


def test_one_minute_buckets(usage: Any, today: int) -> None:
    page = usage.completions(start_time=today - DAY, bucket_width="1m", limit=2)
    assert [(b.start_time, len(b.results)) for b in page.data] == [
        (today - DAY, 0),
        (today - DAY + 60, 1),
    ]


def test_embeddings_and_moderations(usage: Any, today: int) -> None:
    embeddings = usage.embeddings(start_time=today - DAY, end_time=today, group_by=["model"])
    assert results(embeddings) == [
        [
            {
                "object": "organization.usage.embeddings.result",
                "input_tokens": 30,
                "num_model_requests": 1,
                "model": "text-embedding-3-small",
            }
        ]
    ]
    moderations = usage.moderations(start_time=today - DAY, end_time=today)
    assert [r.input_tokens for r in moderations.data[0].results] == [7]


def test_costs(usage: Any, today: int) -> None:
    page = usage.costs(start_time=today - DAY)
    assert [b.start_time for b in page.data] == [today - DAY, today]
    (yesterday,) = page.data[0].results
    assert yesterday.amount is not None
    assert (yesterday.amount.value, yesterday.amount.currency) == (pytest.approx(0.0123), "usd")
    by_project = usage.costs(start_time=today - DAY, end_time=today, group_by=["project_id"])
    amounts = {r.project_id: r.amount.value for r in by_project.data[0].results}
    assert amounts == {"proj_a": pytest.approx(0.0103), "proj_b": pytest.approx(0.002)}
    by_line = usage.costs(start_time=today - DAY, end_time=today, group_by=["line_item"])
    lines = {r.line_item: (r.quantity, r.quantity_unit) for r in by_line.data[0].results}
    assert lines["gpt-4.1-mini, batch"] == (55, "tokens")
    assert lines["gpt-5.6-luna, standard"] == (110, "tokens")


def test_costs_limit_reaches_180_days(usage: Any, today: int) -> None:
    page = usage.costs(start_time=today - 200 * DAY, limit=180)
    assert (len(page.data), page.has_more) == (180, True)
    rest = usage.costs(start_time=today - 200 * DAY, limit=180, page=page.next_page)
    assert [b.start_time for b in rest.data][-1] == today
    assert rest.has_more is False


def test_a_real_responses_call_shows_up_in_usage(
    sandbox: SandboxHandle, client: openai.OpenAI, usage: Any
) -> None:
    # the plain client: the responses route's conformance is the inference tests' concern
    response = client.responses.create(model="gpt-5.6-luna", input="Say hello")
    assert response.usage is not None
    now = sandbox.app.state.sandbox.clock.now()
    page = usage.completions(start_time=now - 60, bucket_width="1m", group_by=["model"])
    totals = [r for bucket in page.data for r in bucket.results]
    assert [(r.model, r.input_tokens, r.output_tokens, r.num_model_requests) for r in totals] == [
        ("gpt-5.6-luna", response.usage.input_tokens, response.usage.output_tokens, 1)
    ]
    costs = usage.costs(start_time=now - 60)
    assert sum(r.amount.value for b in costs.data for r in b.results) > 0


@pytest.mark.parametrize(
    "report",
    [
        "audio_speeches",
        "audio_transcriptions",
        "code_interpreter_sessions",
        "file_search_calls",
        "images",
        "vector_stores",
        "web_search_calls",
    ],
)
def test_reports_of_traffic_the_stand_in_never_makes_are_empty(
    usage: Any, today: int, report: str
) -> None:
    page = getattr(usage, report)(start_time=today - DAY, group_by=["project_id"])
    assert [(b.start_time, b.results) for b in page.data] == [(today - DAY, []), (today, [])]
