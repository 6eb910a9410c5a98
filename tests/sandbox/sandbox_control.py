"""Test helpers that drive a running sandbox from outside: a plain SDK client, and the
`/_sandbox` control routes (move the clock, flip a switch) instead of sleeping, and a key of a
second project (a project key acts only in its own project: another `OpenAI-Project` answers
401 mismatched_project, so a test acting in two projects holds two keys, as a user does)."""

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


def key_of_project(sandbox: SandboxHandle, project_id: str) -> str:
    """A service-account key pinned to `project_id`, written straight into the store (the
    admin API that makes one is tested elsewhere)."""
    secret = f"sk-svcacct-test-{project_id}"
    sandbox.app.state.sandbox.store.put(
        "secret_key",
        {
            "id": secret,
            "key_id": f"key_test_{project_id}",
            "is_admin": False,
            "project_id": project_id,
            "pinned": True,
            "owner_id": f"svc_acct_test_{project_id}",
            "owner_type": "service_account",
            "name": "test key",
            "created_at": 0,
            "expires_at": None,
            "scopes": [],
            "last_used_at": None,
        },
    )
    return secret
