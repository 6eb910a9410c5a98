"""Ownership marks in filenames: dataset files and registry bindings parse back as written."""

from __future__ import annotations

import pytest

from reconciler.state import (
    OwnedEntry,
    binding_filename,
    dataset_filename,
    name_digest,
    parse_binding_filename,
    parse_dataset_filename,
)

SHA = "3f2a9b1c0d1e2f30aaaabbbbccccddddeeeeffff00001111222233334444555566"


def test_dataset_filename_round_trips() -> None:
    filename = dataset_filename("demo", "support-train", SHA, ".jsonl")
    assert filename == "reconciler--demo--support-train--3f2a9b1c0d1e2f30.jsonl"
    assert parse_dataset_filename("demo", filename) == ("support-train", "3f2a9b1c0d1e2f30")


@pytest.mark.parametrize(
    "filename",
    [
        "reconciler--other--support-train--3f2a9b1c0d1e2f30.jsonl",  # another stack's
        "support-train.jsonl",  # uploaded by hand
        "reconciler--demo--support-train--3f2a9b1c.jsonl",  # digest too short
        "reconciler--demo--owner--Project--support--proj_1--created.json",  # a binding
    ],
)
def test_foreign_files_are_not_datasets_of_the_stack(filename: str) -> None:
    assert parse_dataset_filename("demo", filename) is None


@pytest.mark.parametrize(
    "entry",
    [
        OwnedEntry(live_id="proj_abc123", created=True),
        OwnedEntry(live_id="proj_abc123", created=False),
        OwnedEntry(created=True, name_digest=name_digest("TechCorp Support")),
    ],
)
def test_binding_filename_round_trips(entry: OwnedEntry) -> None:
    filename = binding_filename("demo", "Project/support--eu", entry)
    assert parse_binding_filename("demo", filename) == ("Project/support--eu", entry)
    assert parse_binding_filename("other", filename) is None
