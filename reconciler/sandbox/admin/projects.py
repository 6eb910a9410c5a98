"""Sandbox admin routes: projects (placeholder until its helper fills it in)."""

from __future__ import annotations

from starlette.routing import BaseRoute

ROUTES: list[BaseRoute] = []
