"""Credentials and SDK clients for one command run, with a count of the HTTP requests made.

`cli.py` builds `Credentials` from the environment (`OPENAI_API_KEY`, `OPENAI_ADMIN_KEY`,
`OPENAI_BASE_URL`, `OPENAI_ORG_ID`; checked before any request) or from the embedded sandbox
(`--sandbox`), then `Clients`.
Providers read through `reader(project)` (the SDK retries a read twice) and write through
`writer(project)` (no SDK retries: the apply engine retries, after checking that the first
attempt did not already create the object). Keys never appear in `repr` or messages.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import openai

from reconciler.errors import ConfigError
from reconciler.providers.errors import reject_web_pages
from reconciler.state import HOME_PROJECT

READ_RETRIES = 2
TIMEOUT_SECONDS = 120.0
DEFAULT_BASE_URL = "https://api.openai.com/v1"


@dataclass(frozen=True)
class Credentials:
    """Where and as whom to call the API. `repr` masks the keys."""

    api_key: str | None = field(default=None, repr=False)
    admin_key: str | None = field(default=None, repr=False)
    base_url: str | None = None
    organization: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Credentials:
        """The credentials in the environment; a ConfigError naming a malformed variable."""
        env = os.environ if environ is None else environ
        return cls(
            api_key=_key_from(env, "OPENAI_API_KEY"),
            admin_key=_key_from(env, "OPENAI_ADMIN_KEY"),
            base_url=_base_url_from(env),
            organization=env.get("OPENAI_ORG_ID", "").strip() or None,
        )


def _key_from(env: Mapping[str, str], name: str) -> str | None:
    """The key in `name`, without the spaces and line breaks a copy and paste adds around it."""
    key = env.get(name, "").strip()
    if any(not ("!" <= char <= "~") for char in key):
        raise ConfigError(
            f"{name} contains characters an API key never has (spaces, line breaks or "
            "non-ASCII letters): copy the key again from the OpenAI dashboard"
        )
    return key or None


def _base_url_from(env: Mapping[str, str]) -> str:
    url = env.get("OPENAI_BASE_URL", "").strip() or DEFAULT_BASE_URL
    if not url.startswith(("https://", "http://")):
        raise ConfigError(
            f"OPENAI_BASE_URL must start with https:// or http:// (it is '{url}'): for OpenAI "
            f"leave it unset or set it to {DEFAULT_BASE_URL}"
        )
    return url


class Clients:
    """The SDK clients of one run; `requests` counts every HTTP request sent (retries too)."""

    def __init__(self, credentials: Credentials, *, read_retries: int = READ_RETRIES) -> None:
        if credentials.api_key is None:
            raise ConfigError(
                "OPENAI_API_KEY is not set: set OPENAI_API_KEY to a project API key (sk-proj-...), "
                "and OPENAI_ADMIN_KEY to an admin key to manage projects; or add --sandbox to "
                "use the embedded sandbox"
            )
        self.has_admin_key = credentials.admin_key is not None
        self.requests = 0
        self._lock = threading.Lock()
        self._http = openai.DefaultHttpxClient(
            event_hooks={"request": [self._count], "response": [reject_web_pages]}
        )
        self._base = openai.OpenAI(
            api_key=credentials.api_key,
            admin_api_key=credentials.admin_key,
            base_url=credentials.base_url,
            organization=credentials.organization,
            max_retries=read_retries,
            timeout=TIMEOUT_SECONDS,
            http_client=self._http,
        )
        self._scoped: dict[tuple[str, bool], openai.OpenAI] = {}

    def _count(self, request: Any) -> None:
        with self._lock:
            self.requests += 1

    def reader(self, project: str = HOME_PROJECT) -> openai.OpenAI:
        return self._client(project, write=False)

    def writer(self, project: str = HOME_PROJECT) -> openai.OpenAI:
        return self._client(project, write=True)

    def _client(self, project: str, *, write: bool) -> openai.OpenAI:
        with self._lock:
            key = (project, write)
            if key not in self._scoped:
                options: dict[str, Any] = {"max_retries": 0} if write else {}
                if project != HOME_PROJECT:
                    options["project"] = project
                self._scoped[key] = self._base.with_options(**options) if options else self._base
            return self._scoped[key]

    def require_admin_key(self, purpose: str) -> None:
        if not self.has_admin_key:
            raise ConfigError(
                "OPENAI_ADMIN_KEY is not set: set OPENAI_ADMIN_KEY to an admin key (sk-admin-...) "
                f"to {purpose}: projects are managed through the Administration API (create a "
                "key under Organization settings > Admin keys). Or add --sandbox to use the "
                "embedded sandbox"
            )

    def close(self) -> None:
        self._base.close()

    def __enter__(self) -> Clients:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
