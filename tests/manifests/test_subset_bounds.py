"""The subset reader never lets through what the bounded ruamel loader refuses.

`read_stack` reads plain-YAML files with the fast subset reader; its own limits are well
inside the loader's (docs/manifests-security.md), so a file near them goes to ruamel, which
refuses it in its words at the same place as before.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from manifest_helpers import write_tree

from reconciler.fastcheck import yaml_subset
from reconciler.manifests import bounded, read_stack

PROJECT = "apiVersion: reconciler/v1\nkind: Project\nmetadata: {name: support}\n"


def test_the_subset_limits_are_inside_the_loaders() -> None:
    assert yaml_subset.MAX_VALUES < bounded.MAX_VALUES
    assert yaml_subset.MAX_DEPTH < bounded.MAX_DEPTH
    assert yaml_subset.MAX_INT_CHARS < bounded.MAX_NUMBER_CHARS


def only_error(root: Path) -> tuple[str, str, str | None]:
    reading = read_stack(root)
    [error] = reading.diagnostics.errors
    return str(error.location), error.message, error.code


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_plain_file_of_too_many_values_is_refused_by_the_loader(in_tmp: Path) -> None:
    text = PROJECT + "spec:\n  name: x\n  items: [" + "1," * bounded.MAX_VALUES + "1]\n"
    assert yaml_subset.read_documents(text) is None
    write_tree(in_tmp, {"reconciler.yaml": "stack: t\n", "a.yaml": text})

    _, message, code = only_error(in_tmp)

    assert code == "yaml-too-large"
    assert message == f"this file holds more than {bounded.MAX_VALUES:,} values"


def test_plain_deep_nesting_is_refused_by_the_loader(in_tmp: Path) -> None:
    levels = bounded.MAX_DEPTH + 5
    nested = "".join(f"{'  ' * level}a:\n" for level in range(1, levels)) + "  " * levels + "a: 1\n"
    text = PROJECT + "spec:\n" + nested
    assert yaml_subset.read_documents(text) is None
    write_tree(in_tmp, {"reconciler.yaml": "stack: t\n", "a.yaml": text})

    _, message, code = only_error(in_tmp)

    assert (message, code) == (f"nested more than {bounded.MAX_DEPTH} levels deep", "yaml-too-deep")


def test_a_long_plain_number_is_refused_by_the_loader(in_tmp: Path) -> None:
    text = PROJECT + "spec: {name: " + "1" * 100 + "}\n"
    assert yaml_subset.read_documents(text) is None
    write_tree(in_tmp, {"reconciler.yaml": "stack: t\n", "a.yaml": text})

    assert only_error(in_tmp) == (
        "a.yaml:4:14",
        "number too long: 100 characters",
        "yaml-number-too-long",
    )
