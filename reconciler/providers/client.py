"""Credentials and SDK clients for one command run, with a count of the HTTP requests made.

`cli.py` builds `Credentials` from the environment (`OPENAI_API_KEY`, `OPENAI_ADMIN_KEY`,
`OPENAI_BASE_URL`, `OPENAI_ORG_ID`; checked before any request) or from the embedded sandbox
(`--sandbox`), then `Clients`.
Providers read through `reader(project)` (the SDK retries a read 4 times, after the delay the
server asks for; `on_retry` hears of each wait, so a rate-limited plan does not look hung) and
write through `writer(project)` (no SDK retries: the apply engine retries, after checking that
the first attempt did not already create the object). Keys never appear in `repr` or messages.
Reads may run on several threads (`live.read_live_state` lists up to `READ_CONCURRENCY`
collections at once; the SDK client is thread-safe and its connection pool allows far more);
reads of the Administration API, which allows only a few requests a minute, hold one of
`admin_slots` (`ADMIN_CONCURRENCY`) while they run, and every admin request, read or write,
goes through one `admin_budget` (`admin_budget.py`: requests a minute, Retry-After shared).
A project other than the API key's own is reached with its own key once `use_project_key`
gave it (`providers/project_keys.py`).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import openai

from reconciler.errors import ConfigError
from reconciler.providers.admin_budget import AdminBudget, BudgetTransport
from reconciler.providers.errors import reject_web_pages, retry_after_seconds
from reconciler.state import HOME_PROJECT

READ_RETRIES = 4
TIMEOUT_SECONDS = 120.0
DEFAULT_BASE_URL = "https://api.openai.com/v1"
READ_CONCURRENCY = 8
ADMIN_CONCURRENCY = 2


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
        shown = _without_userinfo(url)
        raise ConfigError(
            f"OPENAI_BASE_URL must start with https:// or http:// (it is '{shown}'): for OpenAI "
            f"leave it unset or set it to {DEFAULT_BASE_URL}"
        )
    return url


_RETRIED_STATUSES = {408: "timeout", 409: "conflict", 429: "rate limited"}


def _without_userinfo(url: str) -> str:
    """`url` with any `user:password@` before the host masked."""
    return re.sub(r"^([^/@]*//)?[^/@]*@", r"\1…@", url)


class Clients:
    """The SDK clients of one run; `requests` counts every HTTP request sent (retries too)."""

    def __init__(
        self,
        credentials: Credentials,
        *,
        read_retries: int = READ_RETRIES,
        on_retry: Callable[[str], None] | None = None,
    ) -> None:
        if credentials.api_key is None:
            raise ConfigError(
                "OPENAI_API_KEY is not set: set OPENAI_API_KEY to a project API key (sk-proj-...), "
                "and OPENAI_ADMIN_KEY to an admin key to manage projects; or add --sandbox to "
                "use the embedded sandbox"
            )
        self.has_admin_key = credentials.admin_key is not None
        self.requests = 0
        self.admin_slots = threading.BoundedSemaphore(ADMIN_CONCURRENCY)
        self.admin_budget = AdminBudget()  # admin requests a minute: set from reconciler.yaml
        self._lock = threading.Lock()
        self._read_retries = read_retries
        self._on_retry = on_retry
        from reconciler.providers.snapshot import make_transport

        # Outside in: the snapshot (a pass-through unless a refresh arms it, snapshot.py), then
        # the Administration API budget (admin_budget.py), so an answer served from the
        # snapshot spends none of it, then the network.
        self.read_cache = make_transport(lambda inner: BudgetTransport(inner, self.admin_budget))
        self._http = openai.DefaultHttpxClient(
            transport=self.read_cache,
            event_hooks={
                "request": [self._count],
                "response": [reject_web_pages, self._announce_read_retry],
            },
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
        self._project_keys: dict[str, str] = {}

    def _count(self, request: Any) -> None:
        with self._lock:
            self.requests += 1

    def _announce_read_retry(self, response: Any) -> None:
        """Tell `on_retry` that the SDK will wait and send this read (a GET) again."""
        reason = _RETRIED_STATUSES.get(response.status_code) or (
            "server error" if response.status_code >= 500 else None
        )
        request = response.request
        if self._on_retry is None or reason is None or request.method != "GET":
            return
        taken = int(request.headers.get("x-stainless-retry-count") or 0)
        if taken >= self._read_retries:
            return  # the last attempt: the error itself will be shown
        delay = retry_after_seconds(response.headers)
        when = f"in {delay:.1f}s" if delay is not None else "shortly"
        self._on_retry(
            f"GET {request.url.path}: HTTP {response.status_code} ({reason}); "
            f"retrying {when} ({taken + 1} of {self._read_retries})"
        )

    def notice(self, message: str) -> None:
        """Tell the user something about the run (the CLI prints it on stderr)."""
        if self._on_retry is not None:
            self._on_retry(message)

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
                if project in self._project_keys:
                    options["api_key"] = self._project_keys[project]
                self._scoped[key] = self._base.with_options(**options) if options else self._base
            return self._scoped[key]

    def use_project_key(self, project: str, key: str) -> None:
        """Send what goes to `project` with `key`, that project's own API key (a project key
        acts only in its own project; `providers/project_keys.py` binds them)."""
        with self._lock:
            if self._project_keys.get(project) != key:
                self._project_keys[project] = key
                self._scoped.pop((project, False), None)
                self._scoped.pop((project, True), None)

    def has_project_key(self, project: str) -> bool:
        """Whether `project` is reached with a key of its own (`use_project_key`)."""
        with self._lock:
            return project in self._project_keys

    def is_own_key(self, redacted: str) -> bool:
        """Whether a key the API shows as `redacted` (`sk-abc...wxyz`) may be one this run
        sends (OPENAI_API_KEY or a `project_keys` key): its visible start and end match. A
        shape without a mask is compared by its last 4 characters (when unsure, it is ours)."""
        with self._lock:
            keys = [self._base.api_key, *self._project_keys.values()]
        parts = re.split(r"\.{3}|\*+|…", redacted, maxsplit=1)
        head, tail = (parts[0], parts[1]) if len(parts) == 2 else ("", redacted[-4:])
        return any(k.startswith(head) and k.endswith(tail) for k in keys if k)

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
