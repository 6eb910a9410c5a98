"""Fuzzing the sandbox with requests generated from OpenAI's OpenAPI document (Schemathesis).

Every operation of the normalised document (`openapi_check.load_document`) that the sandbox
serves is fuzzed over real HTTP against one `running_sandbox()` per module: Schemathesis builds
Hypothesis strategies from the document, positive (requests the document accepts) and negative
(requests it rejects); each case is sent with `case.call` to the sandbox's base URL, with the
admin key for the Administration API and the project key otherwise. A case fails when:
- the sandbox answers 5xx (Schemathesis' `not_a_server_error`): a bad request must get a 4xx;
- the response departs from the document (`OpenAPIDocument.check_response`, the check behind
  the conforming fixtures): a 2xx must be a documented status whose body fits the operation's
  schema, an error must have OpenAI's error body; except the quirks in `DOCUMENT_QUIRKS`.

Seeded and bounded: Hypothesis runs derandomized (the same cases every run) with a few examples
per operation and mode; the `slow` variant (run by `make check`) tries many more. The sandbox
runs with no faults and no admin rate limit whatever the environment says, and the fuzzer only
reaches /v1: a test checks that the control routes' state (faults, switches, clock) is untouched.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx2
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from openapi_check import HTTP_METHODS, OpenAPIDocument, load_document
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.errors import UnsupportedSchema
from schemathesis.schemas import APIOperation
from test_conformance import ALLOWED_EXTRA_ROUTES, route_table, shape

from reconciler.sandbox import SandboxHandle, create_app, running_sandbox
from reconciler.sandbox.faults import Faults

# The document's own quirks the fuzzer allows, each with the reason (docs/sandbox/README.md,
# "Fuzzing"). Keys name what is allowed; the code below uses each one by its key.
DOCUMENT_QUIRKS: dict[str, str] = {
    "error statuses are not listed per operation": (
        "the document lists only the success status of most operations (no 400, 401, 404...); "
        "the real API answers those with its error body, so a 4xx is checked against "
        "ErrorResponse and not against the operation's list of statuses"
    ),
    "checkpoint permissions need an admin key": (
        "/fine_tuning/checkpoints/{...}/permissions declares no security of its own (so the "
        "project key by default), but the API and the SDK call it with an admin key, as its "
        "description says; the fuzzer sends the admin key there"
    ),
    "routes the document lacks are not fuzzed": (
        "the routes of test_conformance.ALLOWED_EXTRA_ROUTES (newer than the document, or where "
        "the SDK calls them) have no schema to generate requests from"
    ),
    "negative cases stop at an unnegatable `not`": (
        "a few request schemas (POST /responses) use `not` in a way Schemathesis cannot negate; "
        "when a negative draw reaches one, the cases drawn before it have been sent and the "
        "operation's negative run ends there (its positive run is complete)"
    ),
    "event streams and downloads are not validated": (
        "with `stream: true` the answer is text/event-stream and file contents are raw bytes; "
        "the document gives no JSON schema for either (the SDK's own parsing checks streams)"
    ),
}
ADMIN_KEY_PATHS = ("/fine_tuning/checkpoints/",)  # "checkpoint permissions need an admin key"

FAST_EXAMPLES = 4  # per operation and generation mode: ~1,100 requests in ~20 s
SLOW_EXAMPLES = 60
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)


# -- the operations fuzzed -----------------------------------------------------------------------


def served_routes() -> set[tuple[str, str]]:
    """(METHOD, path shape without /v1) of every /v1 route the sandbox serves."""
    app = create_app()
    try:
        table = route_table(list(app.routes))
        return {(m, shape(p.removeprefix("/v1"))) for m, p in table if p.startswith("/v1/")}
    finally:
        app.state.sandbox.store.close()


def served_document(document: OpenAPIDocument, served: set[tuple[str, str]]) -> dict[str, Any]:
    """The normalised document with only the operations the sandbox serves."""
    paths: dict[str, Any] = {}
    for template, item in document.document["paths"].items():
        kept = {
            method: operation
            for method, operation in item.items()
            if method in HTTP_METHODS and (method.upper(), shape(template)) in served
        }
        if kept:
            shared = {k: v for k, v in item.items() if k not in HTTP_METHODS}
            paths[template] = {**shared, **kept}
    return {**copy.deepcopy(document.document), "paths": paths}


DOCUMENT = load_document()
SERVED = served_routes()
SCHEMA = schemathesis.openapi.from_dict(served_document(DOCUMENT, SERVED))
OPERATIONS: list[APIOperation] = [result.ok() for result in SCHEMA.get_all_operations()]


def uses_admin_key(operation: APIOperation) -> bool:
    security = operation.definition.raw.get("security") or []
    declared = any("AdminApiKeyAuth" in requirement for requirement in security)
    return declared or operation.path.startswith(ADMIN_KEY_PATHS)


# -- one case ----------------------------------------------------------------------------------


def problems_of(case: Case, sandbox: SandboxHandle, key: str) -> list[str]:
    """Send the case to the sandbox over HTTP; every way the answer is wrong (empty if none)."""
    response = case.call(
        base_url=sandbox.base_url, headers={"Authorization": f"Bearer {key}"}, timeout=30
    )
    sent_path = urlsplit(response.request.url or "").path
    assert sent_path.startswith("/v1/"), f"the fuzzer left /v1: {sent_path}"
    try:
        case.validate_response(response, checks=[not_a_server_error])
    except AssertionError as failure:  # schemathesis' failures are AssertionErrors
        return [f"{response.status_code} {str(failure)[:2000]}"]
    content_type = ", ".join(response.headers.get("content-type", []))
    body = response.json() if "json" in content_type else None
    return DOCUMENT.check_response(
        case.method, sent_path, response.status_code, body, content_type=content_type
    )


def fuzz(operation: APIOperation, sandbox: SandboxHandle, examples: int) -> None:
    """Positive then negative cases of one operation; the first bad answer fails the test."""
    key = sandbox.admin_key if uses_admin_key(operation) else sandbox.project_key
    for mode in MODES:
        try:
            fuzz_mode(operation, mode, sandbox, key, examples)
        except UnsupportedSchema:
            # "negative cases stop at an unnegatable `not`": the cases drawn so far were sent.
            assert mode is GenerationMode.NEGATIVE, f"{operation.label}: positive cases failed"


def fuzz_mode(
    operation: APIOperation, mode: GenerationMode, sandbox: SandboxHandle, key: str, examples: int
) -> None:
    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def one_case(case: Case) -> None:
        problems = problems_of(case, sandbox, key)
        curl = case.as_curl_command(headers={"Authorization": "Bearer <key>"})
        assert not problems, "\n".join([curl, *problems])

    one_case()


# -- the tests ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fuzzed_sandbox() -> Iterator[SandboxHandle]:
    """One sandbox for the module, with no faults and no admin rate limit (not from the env)."""
    with running_sandbox(faults=Faults()) as handle:
        yield handle


def test_every_served_operation_of_the_document_is_fuzzed() -> None:
    fuzzed = {(op.method.upper(), shape(op.path)) for op in OPERATIONS}
    extras = {(method, shape(path.removeprefix("/v1"))) for method, path in ALLOWED_EXTRA_ROUTES}
    assert fuzzed == SERVED - extras
    assert ("GET", "/organization/costs") in fuzzed
    assert len(fuzzed) > 100


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.label)
def test_generated_requests_get_conforming_answers(
    fuzzed_sandbox: SandboxHandle, operation: APIOperation
) -> None:
    fuzz(operation, fuzzed_sandbox, FAST_EXAMPLES)


@pytest.mark.slow
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.label)
def test_generated_requests_get_conforming_answers_long(
    fuzzed_sandbox: SandboxHandle, operation: APIOperation
) -> None:
    fuzz(operation, fuzzed_sandbox, SLOW_EXAMPLES)


def test_the_fuzzer_left_the_control_state_alone(fuzzed_sandbox: SandboxHandle) -> None:
    """Runs after the fuzzing tests (file order): faults, switches and clock are as started."""
    control = fuzzed_sandbox.control_url
    assert httpx2.get(f"{control}/faults").json() == {
        "rules": [],
        "admin_rate_limit_per_minute": None,
    }
    assert not any(httpx2.get(f"{control}/switches").json().values())
    clock = httpx2.get(f"{control}/clock").json()
    assert clock["speed"] == 1.0
    assert abs(clock["now"] - time.time()) < 5
