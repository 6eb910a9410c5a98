"""Every route of the sandbox's Administration API, gathered for `app.py`.

`projects.py` serves /organization/projects and everything under a project; `organization.py`
the organization-level collections.
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from . import organization, projects

ROUTES: list[BaseRoute] = [*projects.ROUTES, *organization.ROUTES]
