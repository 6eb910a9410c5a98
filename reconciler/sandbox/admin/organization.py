"""Sandbox admin routes: organization (placeholder until its helper fills it in)."""

from __future__ import annotations

from starlette.routing import BaseRoute

ROUTES: list[BaseRoute] = []
