"""Report cache keyed by file identity, file_sha256, and compare_datasets."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

from reconciler.datasets import DatasetReport, check_dataset, compare_datasets, file_sha256

from .lines import Writer, valid_lines


def rewrite_keeping_identity(path: Path, old: bytes, new: bytes) -> None:
    """Change bytes in place (same inode, same size) and restore the mtime."""
    assert len(old) == len(new)
    stat = path.stat()
    data = path.read_bytes()
    with open(path, "r+b") as handle:
        handle.write(data.replace(old, new, 1))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_unchanged_file_is_served_from_the_cache(write_jsonl: Writer, tmp_path: Path) -> None:
    path = write_jsonl(valid_lines("chat", 60))
    cache = tmp_path / "cache"
    first = check_dataset(path, purpose="fine-tune", model="gpt-4.1-mini", cache_dir=cache)
    assert first.problem_counts == {}
    # Same identity (path, size, mtime_ns, inode) => the cached report, even though the bytes
    # changed under it: proof that the second call did not read the file.
    rewrite_keeping_identity(path, b'"role": "user"', b'"role": "usex"')
    started = time.perf_counter()
    second = check_dataset(path, purpose="fine-tune", model="gpt-4.1-mini", cache_dir=cache)
    assert time.perf_counter() - started < 1.0
    assert second.to_dict() == first.to_dict()
    assert second.fingerprints is not None
    assert second.fingerprints.values == first.fingerprints.values  # type: ignore[union-attr]


def test_a_changed_file_or_other_options_are_checked_again(
    write_jsonl: Writer, tmp_path: Path
) -> None:
    path = write_jsonl(valid_lines("chat", 60))
    cache = tmp_path / "cache"
    check_dataset(path, purpose="fine-tune", cache_dir=cache)
    rewrite_keeping_identity(path, b'"role": "user"', b'"role": "usex"')
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    changed = check_dataset(path, purpose="fine-tune", cache_dir=cache)
    assert changed.problem_counts.get("unrecognized_role") == 1
    other_model = check_dataset(path, purpose="fine-tune", model="gpt-4o", cache_dir=cache)
    assert other_model.stats.model == "gpt-4o"
    # one entry per (path, options): the folder does not grow with every edit
    assert len(list(cache.glob("report-*.json"))) == 2


def test_file_sha256_is_cached_by_identity(write_jsonl: Writer, tmp_path: Path) -> None:
    path = write_jsonl(valid_lines("eval", 10))
    expected = hashlib.sha256(path.read_bytes()).hexdigest()
    assert file_sha256(path) == expected
    assert file_sha256(path, tmp_path / "cache") == expected
    rewrite_keeping_identity(path, b"What", b"Whxt")
    assert file_sha256(path, tmp_path / "cache") == expected  # cached
    assert file_sha256(path) != expected  # no cache: read again


def test_check_dataset_digest_is_the_files_sha256(write_jsonl: Writer, tmp_path: Path) -> None:
    path = write_jsonl(valid_lines("batch", 10))
    report = check_dataset(path, purpose="batch", cache_dir=tmp_path / "cache")
    assert report.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert file_sha256(path, tmp_path / "cache") == report.sha256


def test_compare_finds_validation_examples_that_are_in_training(
    write_jsonl: Writer, tmp_path: Path
) -> None:
    training_lines = valid_lines("chat", 60)
    validation_lines = valid_lines("chat", 12, start=1000)
    validation_lines[2] = training_lines[4]
    validation_lines[6] = training_lines[8]
    training_lines[1] = '{"broken'  # a non-example line shifts nothing in the mapping
    training = check_dataset(write_jsonl(training_lines, "train.jsonl"), purpose="fine-tune")
    validation = check_dataset(
        write_jsonl(validation_lines, "valid.jsonl"),
        purpose="fine-tune",
        cache_dir=tmp_path / "cache",
    )
    problems = compare_datasets(training, validation)
    assert [(p.code, p.line, p.severity) for p in problems] == [
        ("shared_example", 3, "warning"),
        ("shared_example", 7, "warning"),
    ]
    assert "line 5 of the training file" in problems[0].message
    assert "line 9 of the training file" in problems[1].message
    assert "2 shared in total" in problems[0].message
    cached = check_dataset(
        validation.path and Path(validation.path), purpose="fine-tune", cache_dir=tmp_path / "cache"
    )
    assert compare_datasets(training, cached) == problems


def test_compare_without_fingerprints_reports_nothing(write_jsonl: Writer) -> None:
    report = check_dataset(write_jsonl(valid_lines("chat", 12)), purpose="fine-tune")
    restored = DatasetReport.from_dict(report.to_dict())  # as read back from a saved plan
    assert restored.fingerprints is None
    assert compare_datasets(report, restored) == []
    assert len(compare_datasets(report, report)) == 5
