"""Every registered kind is consistent: what its KindInfo names exists in its spec model."""

from __future__ import annotations

import pytest

from reconciler.models import KINDS, KindInfo
from reconciler.models.base import Spec


@pytest.mark.parametrize("info", list(KINDS.values()), ids=list(KINDS))
def test_kind_info_names_real_spec_fields(info: KindInfo) -> None:
    fields = set(info.spec_model.model_fields)

    assert issubclass(info.spec_model, Spec)
    assert {field.partition("[].")[0] for field in info.reference_fields} <= fields
    assert info.replace_fields <= fields or info.immutable  # immutable: may name view fields
    assert info.local_fields <= fields
    assert info.file_fields <= fields
    assert not info.replace_fields & info.local_fields
    for targets in info.reference_fields.values():
        assert set(targets) <= set(KINDS)


@pytest.mark.parametrize("info", list(KINDS.values()), ids=list(KINDS))
def test_project_scoped_kinds_have_a_project_reference(info: KindInfo) -> None:
    if info.depends_on_project:
        assert info.reference_fields["project"] == ("Project",)


@pytest.mark.parametrize("info", list(KINDS.values()), ids=list(KINDS))
def test_specs_are_strict_and_frozen(info: KindInfo) -> None:
    assert info.spec_model.model_config.get("extra") == "forbid"
    assert info.spec_model.model_config.get("frozen") is True


@pytest.mark.parametrize("info", [i for i in KINDS.values() if i.immutable], ids=str)
def test_immutable_kinds_have_a_remote_field_to_replace_on(info: KindInfo) -> None:
    """An immutable kind replaces on every field that is not local (planner._replace_fields)."""
    assert info.local_fields < set(info.spec_model.model_fields)


def test_lifecycle_facts_of_the_first_kinds() -> None:
    project, dataset = KINDS["Project"], KINDS["Dataset"]

    assert (project.delete_irreversible, project.delete_verb) == (True, "archive")
    assert project.replace_fields == frozenset() and not project.immutable
    assert (dataset.delete_irreversible, dataset.delete_verb) == (False, "delete")
    assert dataset.immutable and dataset.depends_on_project
    assert dataset.file_fields == {"file"}


def test_registry_is_read_only() -> None:
    with pytest.raises(TypeError):
        KINDS["Other"] = KINDS["Project"]  # type: ignore[index]
