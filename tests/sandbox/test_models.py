"""Models API of the sandbox: the base catalogue, shutdown dates, fine-tuned model deletion."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx2
import openai
import pytest
from sandbox_control import key_of_project

from reconciler.sandbox import SandboxHandle, running_sandbox
from reconciler.sandbox.models import BASE_MODELS, FINE_TUNABLE_BASES, snapshot_of

CATALOGUE_DAY = dt.date(2026, 11, 25)
FT_MODEL = "ft:gpt-4o-mini-2024-07-18:org-sandbox:support:abc123"
# What the real API lists for the aliases users call: (created, the snapshot they point to).
ALIASES = {
    "gpt-4.1": (1744316542, "gpt-4.1-2025-04-14"),
    "gpt-4.1-mini": (1744318173, "gpt-4.1-mini-2025-04-14"),
    "gpt-4.1-nano": (1744321707, "gpt-4.1-nano-2025-04-14"),
    "gpt-4o": (1715367049, "gpt-4o-2024-08-06"),
    "gpt-4o-mini": (1721172741, "gpt-4o-mini-2024-07-18"),
}


def add_fine_tuned_model(sandbox: SandboxHandle, project_id: str, model_id: str = FT_MODEL) -> None:
    """What the fine-tuning routes store when a job succeeds (put directly: not under test)."""
    model = {
        "id": model_id,
        "object": "model",
        "created": 1790000000,
        "owned_by": "org-sandbox",
        "shutdown_date": None,
    }
    sandbox.app.state.sandbox.store.put("model", model, scope=project_id)


def add_project(sandbox: SandboxHandle, project_id: str = "proj_other") -> str:
    project = {
        "object": "organization.project",
        "id": project_id,
        "name": project_id,
        "created_at": 0,
        "archived_at": None,
        "status": "active",
    }
    sandbox.app.state.sandbox.store.put("project", project)
    return project_id


def test_list_has_the_catalogue_with_shutdown_dates(conforming_client: openai.OpenAI) -> None:
    listed = {m.id: m for m in conforming_client.models.list()}
    expected_ids = {
        "gpt-5.6-sol",
        "gpt-5.6-terra",
        "gpt-5.6-luna",
        "gpt-4.1-2025-04-14",
        "gpt-4.1-mini-2025-04-14",
        "gpt-4.1-nano-2025-04-14",
        "gpt-4o-2024-08-06",
        "gpt-4o-mini-2024-07-18",
        "text-embedding-3-small",
        "text-embedding-3-large",
        "text-embedding-ada-002",
        "omni-moderation-latest",
        *ALIASES,
    }
    assert set(listed) == expected_ids
    assert all(m.object == "model" for m in listed.values())
    owners = {m.id: m.owned_by for m in listed.values() if m.owned_by != "system"}
    assert owners == {"text-embedding-ada-002": "openai-internal"}
    assert listed["gpt-5.6-sol"].shutdown_date is None
    soon = [
        m.id
        for m in listed.values()
        if m.shutdown_date and (dt.date.fromisoformat(m.shutdown_date) - CATALOGUE_DAY).days <= 90
    ]
    later = [m.id for m in listed.values() if m.shutdown_date and m.id not in soon]
    assert sorted(soon) == ["gpt-4o", "gpt-4o-2024-08-06"]
    assert len(later) >= 2


@pytest.mark.parametrize("alias", sorted(ALIASES))
def test_aliases_are_models_of_their_own(conforming_client: openai.OpenAI, alias: str) -> None:
    created, snapshot = ALIASES[alias]
    model = conforming_client.models.retrieve(alias)
    assert (model.id, model.created, model.owned_by) == (alias, created, "system")
    assert model.shutdown_date == conforming_client.models.retrieve(snapshot).shutdown_date
    assert snapshot_of(alias) == snapshot and alias not in FINE_TUNABLE_BASES


def test_ada_002_is_listed_as_the_real_api_lists_it(conforming_client: openai.OpenAI) -> None:
    model = conforming_client.models.retrieve("text-embedding-ada-002")
    assert (model.created, model.owned_by, model.shutdown_date) == (
        1671217299,
        "openai-internal",
        None,
    )


def test_fine_tunable_bases_are_the_gpt_4_family() -> None:
    assert set(FINE_TUNABLE_BASES) == {
        "gpt-4.1-2025-04-14",
        "gpt-4.1-mini-2025-04-14",
        "gpt-4.1-nano-2025-04-14",
        "gpt-4o-2024-08-06",
        "gpt-4o-mini-2024-07-18",
    }
    assert len(BASE_MODELS) == 17


def test_retrieve_a_base_model(conforming_client: openai.OpenAI) -> None:
    model = conforming_client.models.retrieve("gpt-4o-2024-08-06")
    assert (model.id, model.shutdown_date) == ("gpt-4o-2024-08-06", "2027-02-10")


def test_unknown_model_is_the_real_404(conforming_client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        conforming_client.models.retrieve("gpt-9")
    assert caught.value.code == "model_not_found"
    assert "The model 'gpt-9' does not exist" in caught.value.message


def test_fine_tuned_models_belong_to_their_project(
    conforming_client: openai.OpenAI, sandbox: SandboxHandle
) -> None:
    add_fine_tuned_model(sandbox, sandbox.app.state.sandbox.default_project_id)
    assert conforming_client.models.retrieve(FT_MODEL).owned_by == "org-sandbox"
    assert FT_MODEL in {m.id for m in conforming_client.models.list()}
    other = conforming_client.with_options(api_key=key_of_project(sandbox, add_project(sandbox)))
    assert FT_MODEL not in {m.id for m in other.models.list()}
    with pytest.raises(openai.NotFoundError):
        other.models.retrieve(FT_MODEL)
    with pytest.raises(openai.NotFoundError):
        other.models.delete(FT_MODEL)
    assert conforming_client.models.retrieve(FT_MODEL).id == FT_MODEL  # still there


def test_delete_a_fine_tuned_model(
    conforming_client: openai.OpenAI, sandbox: SandboxHandle
) -> None:
    add_fine_tuned_model(sandbox, sandbox.app.state.sandbox.default_project_id)
    deleted = conforming_client.models.delete(FT_MODEL)
    assert (deleted.id, deleted.object, deleted.deleted) == (FT_MODEL, "model", True)
    with pytest.raises(openai.NotFoundError):
        conforming_client.models.retrieve(FT_MODEL)
    with pytest.raises(openai.NotFoundError):
        conforming_client.models.delete(FT_MODEL)


def test_base_models_cannot_be_deleted(conforming_client: openai.OpenAI) -> None:
    with pytest.raises(openai.PermissionDeniedError) as caught:
        conforming_client.models.delete("gpt-4o-mini-2024-07-18")
    assert caught.value.param == "model"
    assert conforming_client.models.retrieve("gpt-4o-mini-2024-07-18").id


def test_models_need_a_valid_key(conforming_http: httpx2.Client) -> None:
    response = conforming_http.get("models", headers={"Authorization": "Bearer sk-nope"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"


def test_catalogue_is_seeded_once_and_survives_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite3"
    with running_sandbox(state) as first:
        add_fine_tuned_model(first, first.app.state.sandbox.default_project_id)
    with running_sandbox(state) as second:
        store = second.app.state.sandbox.store
        assert len(store.list("model", scope="")) == len(BASE_MODELS)
        assert store.get("model", FT_MODEL) is not None
