"""Shared fixtures: a real sandbox server on a free loopback port, and SDK clients pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest

from reconciler.sandbox import SandboxHandle, running_sandbox


@pytest.fixture
def sandbox() -> Iterator[SandboxHandle]:
    """A fresh in-memory sandbox per test (starts in a few tens of milliseconds)."""
    with running_sandbox() as handle:
        yield handle


@pytest.fixture
def client(sandbox: SandboxHandle) -> Iterator[openai.OpenAI]:
    """The official SDK with the sandbox's project key (no retries: tests see faults directly)."""
    with openai.OpenAI(api_key=sandbox.project_key, base_url=sandbox.base_url, max_retries=0) as c:
        yield c


@pytest.fixture
def admin_client(sandbox: SandboxHandle) -> Iterator[openai.OpenAI]:
    """The official SDK with the sandbox's admin key (for /organization endpoints)."""
    with openai.OpenAI(
        api_key=sandbox.project_key,
        admin_api_key=sandbox.admin_key,
        base_url=sandbox.base_url,
        max_retries=0,
    ) as c:
        yield c
