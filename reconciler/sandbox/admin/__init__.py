"""Sandbox routes of the organization Administration API (admin keys only).

`projects.py` serves /organization/projects and everything under a project; `organization.py`
serves users, invites, groups, roles, admin API keys, audit logs, usage and costs. Every mutation
is recorded through `reconciler.sandbox.audit.record`.
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from . import organization, projects

ROUTES: list[BaseRoute] = [*projects.ROUTES, *organization.ROUTES]
