"""Fixtures of the sandbox tests: SDK and raw HTTP clients whose every response is checked.

`conforming_client` / `conforming_admin_client` are the official SDK (strict response parsing:
each body must parse with the SDK's own types) over an httpx2 client with a response hook that
validates every /v1 response against the OpenAPI document (`openapi_check.py`): 2xx bodies
against the operation's schema, error bodies against `ErrorResponse`. A mismatch fails the test
at once (pytest.fail is a BaseException, so the SDK's retry loop does not swallow it).
`conforming_http` / `conforming_admin_http` do the same for raw requests (multipart edge cases,
error bodies the SDK would raise on). `conforming_lenient_client` checks every response against
the document too, but parses as the SDK does by default (for base64 embeddings, which the SDK's
strict parsing refuses before it decodes them). They build on `sandbox` from tests/conftest.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx2
import openai
import pytest
from openapi_check import OpenAPIDocument, ResponseChecker, load_document

from reconciler.sandbox import SandboxHandle


@pytest.fixture(scope="session")
def openapi_document() -> OpenAPIDocument:
    """The normalised official OpenAPI document (parsed once per session)."""
    return load_document()


@pytest.fixture
def response_checker(openapi_document: OpenAPIDocument) -> ResponseChecker:
    """The hook shared by the conforming clients of one test (`.checked` lists what it saw)."""
    return ResponseChecker(openapi_document)


def _checked_http_client(checker: ResponseChecker) -> httpx2.Client:
    return openai.DefaultHttpxClient(
        event_hooks={"response": [checker]}, timeout=httpx2.Timeout(30.0, connect=5.0)
    )


def _conforming_sdk(
    sandbox: SandboxHandle, checker: ResponseChecker, *, admin: bool = False, strict: bool = True
) -> openai.OpenAI:
    """The SDK with no retries and every response validated; `admin` adds the admin key."""
    return openai.OpenAI(
        api_key=sandbox.project_key,
        admin_api_key=sandbox.admin_key if admin else None,
        base_url=sandbox.base_url,
        max_retries=0,
        http_client=_checked_http_client(checker),
        _strict_response_validation=strict,
    )


@pytest.fixture
def conforming_client(
    sandbox: SandboxHandle, response_checker: ResponseChecker
) -> Iterator[openai.OpenAI]:
    """The SDK with the project key, strict types, no retries, every response validated."""
    with _conforming_sdk(sandbox, response_checker) as client:
        yield client


@pytest.fixture
def conforming_lenient_client(
    sandbox: SandboxHandle, response_checker: ResponseChecker
) -> Iterator[openai.OpenAI]:
    """Like `conforming_client` (every response validated against the OpenAPI document) with
    the SDK's default parsing: its strict mode validates an embedding before the SDK decodes
    base64 into floats, so `embeddings.create` with the default `encoding_format` fails it,
    against the real API as well."""
    with _conforming_sdk(sandbox, response_checker, strict=False) as client:
        yield client


@pytest.fixture
def conforming_admin_client(
    sandbox: SandboxHandle, response_checker: ResponseChecker
) -> Iterator[openai.OpenAI]:
    """The SDK with the admin key (for /organization endpoints), checked like the above."""
    with _conforming_sdk(sandbox, response_checker, admin=True) as client:
        yield client


def _raw_client(sandbox: SandboxHandle, key: str, checker: ResponseChecker) -> httpx2.Client:
    return httpx2.Client(
        base_url=sandbox.base_url + "/",
        headers={"Authorization": f"Bearer {key}"},
        event_hooks={"response": [checker]},
        timeout=30.0,
    )


@pytest.fixture
def conforming_http(
    sandbox: SandboxHandle, response_checker: ResponseChecker
) -> Iterator[httpx2.Client]:
    """Raw httpx2 with the project key; relative URLs (`files`, not `/files`) go under /v1."""
    with _raw_client(sandbox, sandbox.project_key, response_checker) as client:
        yield client


@pytest.fixture
def conforming_admin_http(
    sandbox: SandboxHandle, response_checker: ResponseChecker
) -> Iterator[httpx2.Client]:
    """Raw httpx2 with the admin key, checked like `conforming_http`."""
    with _raw_client(sandbox, sandbox.admin_key, response_checker) as client:
        yield client
