"""Valid stacks load into typed, located resources: the demo specs and the folder rules."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from manifest_helpers import write_tree

from reconciler.errors import SourceLocation
from reconciler.manifests import load_stack, read_stack
from reconciler.models.dataset import DatasetSpec
from reconciler.models.project import ProjectSpec

SPECS = Path(__file__).resolve().parents[2] / "specs"
PROJECT = """
apiVersion: reconciler/v1
kind: Project
metadata: {name: support}
spec: {name: Support}
"""
DATASET = """
apiVersion: reconciler/v1
kind: Dataset
metadata: {name: train}
spec: {file: train.jsonl, purpose: fine-tune}
"""


def test_demo_specs_load_in_address_order() -> None:
    stack = load_stack(SPECS)

    assert stack.name == "demo"
    assert stack.root == SPECS
    assert list(stack.resources) == [
        "Dataset/support-train",
        "Dataset/support-valid",
        "Project/support",
    ]
    project = stack.resources["Project/support"]
    assert isinstance(project.spec, ProjectSpec)
    assert project.spec.name == "TechCorp Support"
    assert project.metadata.labels == {"team": "support"}


def test_demo_dataset_is_typed_and_located(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(SPECS.parent)
    dataset = load_stack(Path("specs")).resources["Dataset/support-train"]

    assert isinstance(dataset.spec, DatasetSpec)
    assert dataset.spec.model == "gpt-4.1-mini-2025-04-14"
    assert dataset.base_dir == SPECS
    assert (dataset.base_dir / dataset.spec.file).is_file()
    assert dataset.location == SourceLocation("specs/datasets.yaml", 3, 1)
    assert dataset.location_of("spec", "file") == SourceLocation("specs/datasets.yaml", 8, 9)
    assert dataset.location_of("spec", "project") == SourceLocation("specs/datasets.yaml", 7, 1)


def test_datasets_depend_on_the_default_project_located_in_the_config(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    shutil.copytree(SPECS, tmp_path / "specs", ignore=shutil.ignore_patterns(".reconciler"))
    config = "stack: demo\n# the data's project\ndefault_project: Project/support\n"
    (tmp_path / "specs" / "reconciler.yaml").write_text(config, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    stack = load_stack(Path("specs"))

    (reference,) = stack.resources["Dataset/support-valid"].references
    assert reference.address == "Project/support"
    assert reference.field == ("project",)
    assert reference.location == SourceLocation("specs/reconciler.yaml", 3, 18)
    assert stack.config.default_project_name == "support"


def test_an_explicit_project_replaces_the_default(in_tmp: Path) -> None:
    other = PROJECT.replace("support", "labs")
    explicit = DATASET.replace("purpose: fine-tune", "purpose: fine-tune, project: Project/labs")
    write_tree(
        in_tmp,
        {
            "reconciler.yaml": "stack: t\ndefault_project: Project/support\n",
            "p.yaml": PROJECT + "---\n" + other,
            "d.yaml": explicit,
        },
    )

    (reference,) = load_stack(in_tmp).resources["Dataset/train"].references

    assert reference.address == "Project/labs"
    assert reference.location == SourceLocation("d.yaml", 4, 56)


def test_a_live_project_id_as_default_adds_no_edge(in_tmp: Path) -> None:
    write_tree(
        in_tmp, {"reconciler.yaml": "stack: t\ndefault_project: proj_abc123\n", "d.yaml": DATASET}
    )

    stack = load_stack(in_tmp)

    assert stack.resources["Dataset/train"].references == ()
    assert stack.config.default_project_id == "proj_abc123"
    assert stack.config.default_project_name is None


def test_folder_rules_skip_hidden_cache_and_other_files(in_tmp: Path) -> None:
    write_tree(
        in_tmp,
        {
            "reconciler.yaml": "stack: t\n",
            "deep/nested/p.yml": PROJECT,
            ".github/workflows/ci.yml": "on: push\n",
            ".reconciler/cache/x.yaml": "junk: [\n",
            ".hidden.yaml": "junk: [\n",
            "notes.txt": "not yaml",
        },
    )

    assert list(load_stack(in_tmp).resources) == ["Project/support"]


def test_a_single_file_is_a_stack_with_its_folders_config(in_tmp: Path) -> None:
    write_tree(in_tmp, {"reconciler.yaml": "stack: t\n", "p.yaml": PROJECT, "d.yaml": DATASET})

    stack = load_stack(in_tmp / "p.yaml")

    assert stack.name == "t"
    assert list(stack.resources) == ["Project/support"]


def test_same_name_in_different_kinds_is_fine(in_tmp: Path) -> None:
    write_tree(
        in_tmp,
        {
            "reconciler.yaml": "stack: t\n",
            "a.yaml": PROJECT + "---\n" + DATASET.replace("train", "support"),
        },
    )

    assert list(load_stack(in_tmp).resources) == ["Dataset/support", "Project/support"]


def test_stack_flag_without_config(in_tmp: Path) -> None:
    write_tree(in_tmp, {"p.yaml": PROJECT})

    stack = load_stack(in_tmp, stack_name="ci")

    assert stack.name == "ci"
    assert stack.config_location is None
    assert stack.cache_dir == in_tmp / ".reconciler/cache"


def test_stack_flag_overrides_config_with_a_warning(in_tmp: Path) -> None:
    write_tree(in_tmp, {"reconciler.yaml": "stack: t\n", "p.yaml": PROJECT})

    stack = load_stack(in_tmp, stack_name="other")

    assert stack.name == "other"
    assert [w.message for w in stack.warnings] == [
        "--stack other overrides stack 't' from reconciler.yaml"
    ]


def test_nested_config_is_skipped_with_a_warning(in_tmp: Path) -> None:
    write_tree(in_tmp, {"reconciler.yaml": "stack: t\n", "sub/reconciler.yaml": "stack: u\n"})

    reading = read_stack(in_tmp)

    assert not reading.diagnostics.has_errors
    assert [(w.location, w.message) for w in reading.diagnostics.warnings] == [
        (SourceLocation("sub/reconciler.yaml"), "skipping reconciler.yaml in a subfolder"),
        (None, "no manifests (*.yaml, *.yml) found under ."),
    ]


def test_metadata_id_pins_the_live_object(in_tmp: Path) -> None:
    pinned = PROJECT.replace("{name: support}", "{name: support, id: proj_123}")
    write_tree(in_tmp, {"reconciler.yaml": "stack: t\n", "p.yaml": pinned})

    assert load_stack(in_tmp).resources["Project/support"].metadata.id == "proj_123"


def test_resources_are_read_only(in_tmp: Path) -> None:
    write_tree(in_tmp, {"reconciler.yaml": "stack: t\n", "p.yaml": PROJECT})
    stack = load_stack(in_tmp)

    with pytest.raises(TypeError):
        stack.resources["Project/x"] = stack.resources["Project/support"]  # type: ignore[index]
    with pytest.raises(ValueError, match="frozen"):
        stack.resources["Project/support"].spec.name = "x"  # type: ignore[misc]
