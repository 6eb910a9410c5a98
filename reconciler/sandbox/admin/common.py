"""What both halves of the Administration API share: the caller, the path, enums and the audit.

Every `org_*` and `project_*` route handler starts with `admin_context` (admin keys only), reads
path parameters with `path_param`, answers stored objects through `public`, checks enum values
with `check_enum` and audits each mutation with `record_event`. `org_common` and
`project_common` re-export these beside the helpers of their own half.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.requests import Request

from .. import audit
from ..http import Caller, Obj, caller, invalid, sandbox_of

if TYPE_CHECKING:
    from ..state import Sandbox
    from ..store import Store


@dataclass(frozen=True)
class AdminContext:
    """The sandbox and the authenticated admin caller of one request."""

    sandbox: Sandbox
    caller: Caller

    @property
    def store(self) -> Store:
        return self.sandbox.store

    @property
    def now(self) -> int:
        return self.sandbox.clock.now()


def admin_context(request: Request) -> AdminContext:
    """Authenticate an admin key; a project key gets the real API's 401."""
    who = caller(request, admin=True)
    return AdminContext(sandbox=sandbox_of(request), caller=who)


def path_param(request: Request, name: str) -> str:
    return str(request.path_params[name])


def public(obj: Obj) -> Obj:
    """The API shape of a stored object: private `_`-prefixed bookkeeping removed."""
    return {key: value for key, value in obj.items() if not key.startswith("_")}


def check_enum(value: Any, param: str, choices: Iterable[str]) -> str:
    options = tuple(choices)
    if not isinstance(value, str) or value not in options:
        raise invalid(
            f"Invalid value for '{param}': expected one of "
            f"{', '.join(repr(c) for c in options)}, but got {value!r} instead.",
            param=param,
            code="invalid_value",
        )
    return value


def record_event(context: AdminContext, event_type: str, details: Mapping[str, Any]) -> Obj:
    """Audit one admin mutation. The API documents that actions taken with Admin API keys are
    associated with the default project, so that is the entry's `project`; the target ids are
    in `details` (e.g. `{"id": "proj_...", "changes_requested": {...}}`)."""
    sandbox = context.sandbox
    default = context.store.get("project", sandbox.default_project_id) or {}
    return audit.record(
        context.store,
        context.now,
        context.caller,
        event_type,
        dict(details),
        project_id=sandbox.default_project_id,
        project_name=str(default.get("name") or ""),
    )
