"""Sandbox routes of the project half of the Administration API (admin keys only).

Combines the `project_*` modules: projects themselves (`project_core`), users and groups
(`project_members`), project roles (`project_roles`) and their assignments
(`project_role_assignments`), service accounts and API keys (`project_keys`), rate and spend
limits (`project_limits`) and the other settings (`project_settings`). `admin/__init__.py`
mounts `ROUTES` under /v1.
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from . import (
    project_core,
    project_keys,
    project_limits,
    project_members,
    project_role_assignments,
    project_roles,
    project_settings,
)

ROUTES: list[BaseRoute] = [
    *project_core.ROUTES,
    *project_members.ROUTES,
    *project_roles.ROUTES,
    *project_role_assignments.ROUTES,
    *project_keys.ROUTES,
    *project_limits.ROUTES,
    *project_settings.ROUTES,
]
