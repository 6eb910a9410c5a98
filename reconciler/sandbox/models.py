"""Sandbox routes of the Models API (`/v1/models...`) and the base-model catalogue.

Base models are `"model"` records with scope '' (seeded by `seed_base_models`, idempotent, run
before any models route answers), aliases such as `gpt-4o-mini` included; the fine-tuning
routes add fine-tuned models with the owning project as scope when a job succeeds. A project
sees the base models, its own fine-tunes and those shared with it through checkpoint
permissions; only its own fine-tunes can be deleted, and only from that project.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from .fine_tuning_permissions import shared_model_ids
from .http import APIError, caller, json_response, sandbox_of

if TYPE_CHECKING:
    from .state import Sandbox

Obj = dict[str, Any]


class CatalogueModel(NamedTuple):
    id: str
    created: int  # the model's release, as unix seconds
    shutdown_date: str | None  # ISO date when one is announced
    fine_tunable: bool = False
    owned_by: str = "system"
    alias_of: str | None = None  # the dated snapshot an alias such as `gpt-4o` points to


# Shutdown dates are the sandbox's own choices (see docs/sandbox/files.md): one within 90 days
# of 2026-11-25 and a few further out, so that the reconciler's shutdown warning has work to do.
# `created` and `owned_by` are what the real API lists.
SNAPSHOTS: tuple[CatalogueModel, ...] = (
    CatalogueModel("gpt-5.6-sol", 1776643200, None),
    CatalogueModel("gpt-5.6-terra", 1776643200, None),
    CatalogueModel("gpt-5.6-luna", 1776643200, None),
    CatalogueModel("gpt-4.1-2025-04-14", 1744315746, "2027-07-14", fine_tunable=True),
    CatalogueModel("gpt-4.1-mini-2025-04-14", 1744317547, "2027-07-14", fine_tunable=True),
    CatalogueModel("gpt-4.1-nano-2025-04-14", 1744321025, "2027-04-14", fine_tunable=True),
    CatalogueModel("gpt-4o-2024-08-06", 1722814719, "2027-02-10", fine_tunable=True),
    CatalogueModel("gpt-4o-mini-2024-07-18", 1721172717, "2027-04-14", fine_tunable=True),
    CatalogueModel("text-embedding-3-small", 1705948997, None),
    CatalogueModel("text-embedding-3-large", 1705953180, None),
    CatalogueModel("text-embedding-ada-002", 1671217299, None, owned_by="openai-internal"),
    CatalogueModel("omni-moderation-latest", 1731689265, None),
)
_SNAPSHOT_DATES = {model.id: model.shutdown_date for model in SNAPSHOTS}


def _alias(alias: str, created: int, snapshot: str) -> CatalogueModel:
    """An alias is a model id of its own; it stops answering when its snapshot does."""
    return CatalogueModel(alias, created, _SNAPSHOT_DATES[snapshot], alias_of=snapshot)


ALIASES: tuple[CatalogueModel, ...] = (
    _alias("gpt-4.1", 1744316542, "gpt-4.1-2025-04-14"),
    _alias("gpt-4.1-mini", 1744318173, "gpt-4.1-mini-2025-04-14"),
    _alias("gpt-4.1-nano", 1744321707, "gpt-4.1-nano-2025-04-14"),
    _alias("gpt-4o", 1715367049, "gpt-4o-2024-08-06"),
    _alias("gpt-4o-mini", 1721172741, "gpt-4o-mini-2024-07-18"),
)
BASE_MODELS: tuple[CatalogueModel, ...] = SNAPSHOTS + ALIASES
FINE_TUNABLE_BASES: tuple[str, ...] = tuple(m.id for m in BASE_MODELS if m.fine_tunable)
_SNAPSHOT_OF_ALIAS = {model.id: model.alias_of for model in ALIASES}
_SEEDED = "models.catalogue_seeded"


def snapshot_of(model_id: str) -> str:
    """The dated snapshot an alias points to (`gpt-4o-mini` -> `gpt-4o-mini-2024-07-18`); any
    other id unchanged. Fine-tuning resolves aliases this way, as the API reference's example
    job shows."""
    return _SNAPSHOT_OF_ALIAS.get(model_id) or model_id


def seed_base_models(sandbox: Sandbox) -> None:
    """Put the base-model catalogue in the store (again only when the catalogue changed)."""
    store = sandbox.store
    catalogue = [list(model) for model in BASE_MODELS]
    if store.get_setting(_SEEDED) == catalogue:
        return
    with store.transaction():
        for model in BASE_MODELS:
            store.put("model", base_model_object(model))
        store.set_setting(_SEEDED, catalogue)


def base_model_object(model: CatalogueModel) -> Obj:
    return {
        "id": model.id,
        "object": "model",
        "created": model.created,
        "owned_by": model.owned_by,
        "shutdown_date": model.shutdown_date,
    }


def visible_model(sandbox: Sandbox, project_id: str, model_id: str) -> Obj | None:
    """The model as this project sees it: a base model, one of its own fine-tunes, or a
    fine-tune (or checkpoint) another project shared with it through checkpoint permissions."""
    seed_base_models(sandbox)
    store = sandbox.store
    model = store.get("model", model_id, scope="") or store.get("model", model_id, scope=project_id)
    if model is None and model_id in shared_model_ids(sandbox, project_id):
        model = store.get("model", model_id)
    return model


def visible_models(sandbox: Sandbox, project_id: str) -> list[Obj]:
    """What `GET /models` lists for a project: base models, its own fine-tunes, then the
    fine-tunes shared with it (oldest first in each group)."""
    seed_base_models(sandbox)
    store = sandbox.store
    models = store.list("model", scope="") + store.list("model", scope=project_id)
    listed = {model["id"] for model in models}
    for model_id in dict.fromkeys(shared_model_ids(sandbox, project_id)):
        shared = store.get("model", model_id)
        if shared is not None and model_id not in listed:
            models.append(shared)
    return models


def model_not_found(model_id: str) -> APIError:
    return APIError(
        404,
        f"The model '{model_id}' does not exist or you do not have access to it.",
        param="model",
        code="model_not_found",
    )


async def list_models(request: Request) -> Response:
    project_id = caller(request).project_id
    models = visible_models(sandbox_of(request), project_id)
    return json_response({"object": "list", "data": models})


async def retrieve_model(request: Request) -> Response:
    project_id = caller(request).project_id
    model_id = request.path_params["model"]
    model = visible_model(sandbox_of(request), project_id, model_id)
    if model is None:
        raise model_not_found(model_id)
    return json_response(model)


async def delete_model(request: Request) -> Response:
    project_id = caller(request).project_id
    model_id = request.path_params["model"]
    sandbox = sandbox_of(request)
    model = visible_model(sandbox, project_id, model_id)
    if model is None:
        raise model_not_found(model_id)
    owner = sandbox.store.scope_of("model", model_id)
    if owner == "":
        raise _cannot_delete(
            model_id, "only fine-tuned models owned by your organization can be deleted"
        )
    if owner != project_id:
        raise _cannot_delete(model_id, "it is shared with this project, not owned by it")
    sandbox.store.delete("model", model_id)
    return json_response({"id": model_id, "object": "model", "deleted": True})


def _cannot_delete(model_id: str, reason: str) -> APIError:
    return APIError(
        403,
        f"You have insufficient permissions to delete the model '{model_id}': {reason}.",
        type="invalid_request_error",
        param="model",
        code="insufficient_permissions",
    )


ROUTES: list[BaseRoute] = [
    Route("/models", list_models, methods=["GET"]),
    Route("/models/{model}", retrieve_model, methods=["GET"]),
    Route("/models/{model}", delete_model, methods=["DELETE"]),
]
