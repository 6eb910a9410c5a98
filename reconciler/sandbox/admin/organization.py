"""Sandbox routes of the organization half of the Administration API (admin keys only).

Users, invites, groups, roles, admin API keys, audit logs, usage and costs, and the
organization's spend limit, spend alerts and data retention, and certificates (with their
project activations). Each area is an `org_*` module;
`ROUTES` is their combined list (projects and everything under them are in `projects.py`).
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from . import (
    org_audit,
    org_billing,
    org_certificates,
    org_groups,
    org_invites,
    org_keys,
    org_roles,
    org_usage,
    org_users,
)

ROUTES: list[BaseRoute] = [
    *org_users.ROUTES,
    *org_invites.ROUTES,
    *org_groups.ROUTES,
    *org_roles.ROUTES,
    *org_keys.ROUTES,
    *org_audit.ROUTES,
    *org_usage.ROUTES,
    *org_billing.ROUTES,
    *org_certificates.ROUTES,
]
