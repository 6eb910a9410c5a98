"""The shared state of a running sandbox: the `Sandbox` record every route handler reads.

A leaf of the sandbox's imports: the route modules and `http` import `Sandbox` from here, and
`app.py` (which imports the route modules) builds one; nothing here imports a route module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .clock import Clock
from .faults import Faults
from .store import Store

ORG_ID = "org-sandbox"
OWNER_USER_ID = "user-sandboxowner000000000000"
DEFAULT_PROJECT_ID = "proj_sandboxdefault0000000000"
ADMIN_KEY = "sk-admin-sandbox-0000000000000000000000000000"
PROJECT_KEY = "sk-proj-sandbox-0000000000000000000000000000"


@dataclass
class Sandbox:
    """Everything a route handler needs: the store, the clock, faults and switches."""

    store: Store
    clock: Clock
    faults: Faults
    org_id: str = ORG_ID
    admin_key: str = ADMIN_KEY
    project_key: str = PROJECT_KEY
    default_project_id: str = DEFAULT_PROJECT_ID
    owner_user_id: str = OWNER_USER_ID
    extras: dict[str, Any] = field(default_factory=dict)

    def switch(self, name: str) -> bool:
        """A named behaviour switch, e.g. `training_not_available` (set by the control routes)."""
        return bool(self.store.get_setting(f"switch.{name}", False))
