"""Every kind is wired end to end: a model (`models.KINDS`), a planner (`kinds.PLANNERS`), a
provider (`providers.registry.make_providers`) and a live reader (`providers.registry.READERS`,
or the core reads of `providers/live.py` for Project and Dataset). A kind missing one of them
fails here with what to add, instead of being silently never read or never applied."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.kinds import PLANNERS
from reconciler.models import KINDS
from reconciler.providers import Clients, Credentials
from reconciler.providers.registry import READERS, make_providers

READ_BY_LIVE_PY = {"Project", "Dataset"}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_kind_has_a_planner_a_provider_and_a_reader(kind: str, tmp_path: Path) -> None:
    assert kind in PLANNERS, f"add a KindPlanner for {kind} to reconciler/kinds/__init__.py"
    with Clients(Credentials(api_key="sk-test", base_url="http://127.0.0.1:9/v1")) as clients:
        providers = make_providers(clients, "demo", tmp_path)
    assert kind in providers.by_kind, f"add a KindProvider for {kind} to providers/registry.py"
    readers = {reader.kind for reader in READERS} | READ_BY_LIVE_PY
    assert kind in readers, f"add a LiveReader for {kind} to READERS in providers/registry.py"


def test_no_registry_names_a_kind_the_models_do_not_know() -> None:
    assert set(PLANNERS) <= set(KINDS)
    assert {reader.kind for reader in READERS} <= set(KINDS)
