"""Bad requests get the real API's 400, never a 500: one regression test per bug class the
OpenAPI fuzzer (test_fuzz_openapi.py) found, as plain HTTP requests through the conforming raw
clients (each answer is also checked against the document: errors need OpenAI's error body)."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest

from reconciler.sandbox import SandboxHandle

HUGE = "99999999999999999999999"  # past 64 bits: Python's int took it, orjson could not answer it


def error_of(response: httpx2.Response, status: int = 400) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    return error


# -- integer query parameters: bounded before any handler uses them -----------------------------


@pytest.mark.parametrize(
    ("query", "param", "code"),
    [
        (f"start_time={HUGE}", "start_time", "integer_above_max_value"),
        ("start_time=9223372036854775807", "start_time", "integer_above_max_value"),
        (f"start_time=-{HUGE}", "start_time", "integer_below_min_value"),
        (f"start_time=1&end_time={HUGE}", "end_time", "integer_above_max_value"),
        ("start_time=1&limit=" + "9" * 5000, "limit", "integer_above_max_value"),
        ("start_time=1&limit=1e3", "limit", "invalid_type"),
        ("start_time=1&limit=2&limit=3", "limit", "invalid_type"),
    ],
)
@pytest.mark.parametrize("route", ["usage/completions", "usage/images", "costs"])
def test_usage_and_costs_refuse_out_of_range_integers(
    conforming_admin_http: httpx2.Client, route: str, query: str, param: str, code: str
) -> None:
    error = error_of(conforming_admin_http.get(f"organization/{route}?{query}"))
    assert (error["param"], error["code"]) == (param, code)


def test_usage_still_answers_the_last_representable_day(
    conforming_admin_http: httpx2.Client,
) -> None:
    page = conforming_admin_http.get(
        "organization/usage/completions?start_time=253402214400&end_time=253402300799"
    ).json()
    assert [bucket["start_time"] for bucket in page["data"]] == [253402214400]


def test_audit_log_time_filters_refuse_out_of_range_integers(
    conforming_admin_http: httpx2.Client,
) -> None:
    error = error_of(conforming_admin_http.get(f"organization/audit_logs?effective_at[gt]={HUGE}"))
    assert (error["param"], error["code"]) == ("effective_at[gt]", "integer_above_max_value")


# -- integers of JSON bodies: 64 signed bits, checked where every body is parsed -----------------


def test_a_body_integer_past_64_bits_is_refused_where_it_sits(
    conforming_admin_http: httpx2.Client, sandbox: SandboxHandle
) -> None:
    project = sandbox.app.state.sandbox.default_project_id
    accounts = f"organization/projects/{project}/service_accounts"
    account = conforming_admin_http.post(accounts, json={"name": "ci"}).json()
    response = conforming_admin_http.post(
        f"{accounts}/{account['id']}/api_keys",
        json={"name": "k", "expires_in_seconds": 2**64 - 1},
    )
    error = error_of(response)
    assert (error["param"], error["code"]) == ("expires_in_seconds", "integer_above_max_value")


def test_a_nested_body_integer_past_64_bits_names_its_path(
    conforming_http: httpx2.Client,
) -> None:
    response = conforming_http.post(
        "responses", json={"model": "gpt-4o-mini", "input": "hi", "metadata": {"k": 2**63}}
    )
    error = error_of(response)
    assert (error["param"], error["code"]) == ("metadata.k", "integer_above_max_value")
