"""Sandbox routes of the organization Administration API (admin keys only).

`projects.py` serves /organization/projects and everything under a project; `organization.py`
serves users, invites, groups, roles, admin API keys, audit logs, usage and costs. Every mutation
is recorded through `reconciler.sandbox.audit.record`.

The routes are gathered in `routes.py` (not here, so that importing one admin module does not
import all of them).
"""
