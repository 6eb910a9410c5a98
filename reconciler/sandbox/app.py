"""Assembles the sandbox ASGI app: the shared `Sandbox` state plus every route module's ROUTES.

The top of the sandbox's imports: it imports the route modules, which never import it (they
take `Sandbox` from `state.py`); `tests/sandbox/test_imports.py` keeps the graph acyclic.

`create_app` is called by `server.py` (a real uvicorn server on loopback) and by tests. Each
route module (`files`, `fine_tuning`, `batches`, `inference`, `admin`, ...) exposes `ROUTES`, a
list of starlette routes with paths relative to `/v1`; `control` holds the `/_sandbox` routes.
"""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount

from . import (
    batches,
    control,
    files,
    fine_tuning,
    inference,
    models,
)
from .admin import routes as admin_routes
from .clock import Clock
from .faults import FaultMiddleware, Faults
from .http import APIError
from .state import ADMIN_KEY as ADMIN_KEY
from .state import DEFAULT_PROJECT_ID as DEFAULT_PROJECT_ID
from .state import ORG_ID as ORG_ID
from .state import OWNER_USER_ID as OWNER_USER_ID
from .state import PROJECT_KEY as PROJECT_KEY
from .state import Sandbox
from .store import Store

ROUTE_MODULES = (files, models, fine_tuning, batches, inference, admin_routes)


def seed(sandbox: Sandbox) -> None:
    """First start of a state file: the organization owner, a default project and two keys."""
    store, now = sandbox.store, sandbox.clock.now()
    if store.get("project", sandbox.default_project_id) is not None:
        return
    store.put(
        "org_user",
        {
            "object": "organization.user",
            "id": sandbox.owner_user_id,
            "name": "Sandbox Owner",
            "email": "owner@sandbox.example",
            "role": "owner",
            "added_at": now,
        },
    )
    store.put(
        "project",
        {
            "object": "organization.project",
            "id": sandbox.default_project_id,
            "name": "Default project",
            "created_at": now,
            "archived_at": None,
            "status": "active",
        },
    )
    store.put(
        "secret_key",
        {
            "id": sandbox.admin_key,
            "key_id": "key_sandboxadmin",
            "is_admin": True,
            "project_id": "",
            "pinned": False,
            "owner_id": sandbox.owner_user_id,
            "owner_type": "user",
            "name": "sandbox admin key",
            "created_at": now,
        },
    )
    # The printed project key belongs to the organization owner and, like every project key,
    # acts only in the default project (another OpenAI-Project answers 401 mismatched_project).
    store.put(
        "secret_key",
        {
            "id": sandbox.project_key,
            "key_id": "key_sandboxproject",
            "is_admin": False,
            "project_id": sandbox.default_project_id,
            "pinned": True,
            "owner_id": sandbox.owner_user_id,
            "owner_type": "user",
            "name": "sandbox project key",
            "created_at": now,
        },
    )


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, APIError)
    return exc.response()


async def _not_found(request: Request, exc: Exception) -> Response:
    return APIError(
        404,
        f"Invalid URL ({request.method} {request.url.path})",
        type="invalid_request_error",
    ).response()


async def _method_not_allowed(request: Request, exc: Exception) -> Response:
    return APIError(405, f"Invalid method for URL ({request.method} {request.url.path})").response()


def create_app(
    state_file: Path | str | None = None,
    *,
    speed: float = 1.0,
    faults: Faults | None = None,
) -> Starlette:
    """The ASGI app over a store at `state_file` (None = in memory)."""
    store = Store(state_file)
    sandbox = Sandbox(
        store=store, clock=Clock(store, speed=speed), faults=faults or Faults.from_env()
    )
    seed(sandbox)
    models.seed_base_models(sandbox)
    v1_routes: list[BaseRoute] = []
    for module in ROUTE_MODULES:
        v1_routes.extend(module.ROUTES)
    app = Starlette(
        routes=[Mount("/v1", routes=v1_routes), Mount("/_sandbox", routes=control.ROUTES)],
        exception_handlers={APIError: _api_error, 404: _not_found, 405: _method_not_allowed},
    )
    app.state.sandbox = sandbox
    app.add_middleware(FaultMiddleware, faults=sandbox.faults)
    return app
