"""Test helpers that drive a running sandbox from outside: a plain SDK client, and the
`/_sandbox` control routes (move the clock, flip a switch) instead of sleeping."""

from __future__ import annotations

import httpx2
import openai

from reconciler.sandbox import SandboxHandle


def sdk(handle: SandboxHandle) -> openai.OpenAI:
    """A plain SDK client (for tests that start their own sandbox)."""
    return openai.OpenAI(api_key=handle.project_key, base_url=handle.base_url, max_retries=0)


def advance(sandbox: SandboxHandle, seconds: float) -> None:
    response = httpx2.post(f"{sandbox.control_url}/clock/advance", json={"seconds": seconds})
    response.raise_for_status()


def switch(sandbox: SandboxHandle, name: str, value: bool) -> None:
    response = httpx2.post(f"{sandbox.control_url}/switches", json={name: value})
    response.raise_for_status()
