"""The fast path reads the dataset cache exactly where `check_dataset` writes it, and only then.

Keys and identities are compared with the datasets package's own; a touched, changed or
failing dataset, or a damaged cache entry, sends `validate` back to the slow path.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from reconciler.datasets import PriceTable
from reconciler.datasets.cache import FileIdentity
from reconciler.datasets.check import CheckRequest
from reconciler.fastcheck.dataset_cache import options_key, shipped_price_digest
from reconciler.fastcheck.stack import check_stack, display_path

from .conftest import chat_lines, fast_validate, slow_validate


@pytest.mark.parametrize(
    "spec",
    [
        {"file": "t.jsonl", "purpose": "fine-tune"},
        {"file": "t.jsonl", "purpose": "fine-tune", "format": "chat", "model": "gpt-4.1-mini"},
        {"file": "t.jsonl", "purpose": "batch", "batch_endpoint": "/v1/embeddings"},
        {"file": "t.jsonl", "purpose": "evals", "format": "eval", "model": None},
    ],
)
def test_the_cache_key_is_the_one_check_dataset_uses(spec: dict[str, str | None]) -> None:
    request = CheckRequest(
        purpose=str(spec["purpose"]),
        format=spec.get("format"),
        model=spec.get("model"),
        n_epochs=None,
        batch_endpoint=spec.get("batch_endpoint"),
        item_schema=None,
        prices=PriceTable.load(),
        count_tokens=True,
        workers=None,
    )

    assert shipped_price_digest() == PriceTable.load().digest()
    assert options_key(spec) == request.cache_key()


def test_identity_and_shown_paths_follow_the_datasets_package(in_tmp: Path) -> None:
    from reconciler.manifests import display_path as loader_display_path

    (in_tmp / "real.jsonl").write_text("{}\n")
    (in_tmp / "link.jsonl").symlink_to(in_tmp / "real.jsonl")
    identity = FileIdentity.of(in_tmp / "link.jsonl")

    assert identity.path == os.path.realpath(in_tmp / "link.jsonl")
    for path in (in_tmp / "sub" / ".." / "link.jsonl", Path("/etc/hosts"), Path("x/y")):
        assert display_path(path) == loader_display_path(path)


DATASET = """apiVersion: reconciler/v1
kind: Dataset
metadata: {name: train}
spec: {file: train.jsonl, purpose: fine-tune, format: chat}
"""


@pytest.fixture
def stack(in_tmp: Path) -> Path:
    (in_tmp / "reconciler.yaml").write_text("stack: t\n")
    (in_tmp / "train.yaml").write_text(DATASET)
    (in_tmp / "train.jsonl").write_text("\n".join(chat_lines(60)) + "\n")
    return in_tmp


def test_only_a_checked_dataset_is_accepted(stack: Path) -> None:
    assert check_stack(stack, None) is None  # nothing cached yet
    assert slow_validate(["."]).code == 0

    assert check_stack(stack, None) is not None


def test_touching_a_dataset_file_sends_validate_back_to_the_slow_path(stack: Path) -> None:
    slow_validate(["."])
    stat = (stack / "train.jsonl").stat()

    os.utime(stack / "train.jsonl", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert check_stack(stack, None) is None

    slow_validate(["."])
    assert check_stack(stack, None) is not None


def test_a_replaced_file_of_the_same_size_and_time_is_a_miss(stack: Path) -> None:
    slow_validate(["."])
    stat = (stack / "train.jsonl").stat()

    shutil.copy(stack / "train.jsonl", stack / "copy.jsonl")
    os.replace(stack / "copy.jsonl", stack / "train.jsonl")  # a new inode
    os.utime(stack / "train.jsonl", ns=(stat.st_atime_ns, stat.st_mtime_ns))

    assert check_stack(stack, None) is None


def test_a_dataset_with_errors_is_never_accepted(
    stack: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (stack / "train.jsonl").write_text("\n".join([*chat_lines(60), "{not json"]) + "\n")

    assert slow_validate(["."]).code == 1
    assert slow_validate(["."]).code == 1  # now from the cache
    assert fast_validate(["."], capsys).code is None


@pytest.mark.parametrize("damage", ["delete-fingerprints", "truncate-entry", "delete-cache"])
def test_a_damaged_cache_entry_is_a_miss(stack: Path, damage: str) -> None:
    slow_validate(["."])
    cache = stack / ".reconciler" / "cache"
    (entry,) = cache.glob("report-*.json")

    if damage == "delete-fingerprints":
        entry.with_suffix(".fp").unlink()
    elif damage == "truncate-entry":
        entry.write_text(entry.read_text()[:50])
    else:
        shutil.rmtree(cache)

    assert check_stack(stack, None) is None


def test_the_cache_folder_comes_from_reconciler_yaml(stack: Path) -> None:
    (stack / "reconciler.yaml").write_text("stack: t\ncache_dir: elsewhere/cache\n")
    slow_validate(["."])

    assert (stack / "elsewhere" / "cache").is_dir()
    assert check_stack(stack, None) is not None


def test_a_price_table_override_is_left_to_the_slow_path(stack: Path) -> None:
    (stack / "prices.json").write_text('{"price_date": "2026-01"}')
    (stack / "reconciler.yaml").write_text("stack: t\nprices: prices.json\n")

    assert slow_validate(["."]).code == 0
    assert check_stack(stack, None) is None
