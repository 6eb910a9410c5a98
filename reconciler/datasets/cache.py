"""On-disk cache of dataset reports and file digests, keyed by file identity.

`check.py` asks for a report by (resolved path, size, mtime_ns, inode) plus the check options;
one entry per (path, options) is kept and overwritten when the file changes, so the folder does
not grow with every edit. Writes are atomic (temp file + rename); a broken entry is a miss.
The `.reconciler/` folder it writes in gets a `.gitignore` (`ignore_in_git`), so it is never
committed.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any, NamedTuple

from reconciler.datasets.fingerprints import ExampleFingerprints
from reconciler.datasets.report import DatasetReport


class FileIdentity(NamedTuple):
    path: str
    size: int
    mtime_ns: int
    inode: int

    @classmethod
    def of(cls, path: Path, stat: os.stat_result | None = None) -> FileIdentity:
        stat = stat or path.stat()
        return cls(str(path.resolve()), stat.st_size, stat.st_mtime_ns, stat.st_ino)


LOCAL_FOLDER = ".reconciler"
GITIGNORE = "# Written by reconciler: local caches and sandbox state, never to be committed.\n*\n"


def ignore_in_git(folder: Path) -> None:
    """A `.gitignore` of `*` in the `.reconciler/` folder holding `folder` (in `folder` itself
    when it is elsewhere, e.g. a `cache_dir` set in reconciler.yaml), unless one is there."""
    target = next((p for p in (folder, *folder.parents) if p.name == LOCAL_FOLDER), folder)
    gitignore = target / ".gitignore"
    if gitignore.exists():
        return
    try:
        target.mkdir(parents=True, exist_ok=True)
        gitignore.write_text(GITIGNORE, encoding="utf-8")
    except OSError:
        pass  # as a failed cache write: the cache still works


class DatasetCache:
    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def _name(self, kind: str, identity: FileIdentity, options_key: str = "") -> Path:
        digest = hashlib.sha256(f"{identity.path}\0{options_key}".encode()).hexdigest()[:32]
        return self.directory / f"{kind}-{digest}"

    def load_report(self, identity: FileIdentity, options_key: str) -> DatasetReport | None:
        base = self._name("report", identity, options_key)
        entry = _read_json(base.with_suffix(".json"))
        if entry is None or entry.get("identity") != list(identity):
            return None
        try:
            report = DatasetReport.from_dict(entry["report"])
            fingerprints = ExampleFingerprints.from_bytes(base.with_suffix(".fp").read_bytes())
        except (OSError, KeyError, TypeError, ValueError):
            return None
        return _with_fingerprints(report, fingerprints)

    def store_report(self, identity: FileIdentity, options_key: str, report: DatasetReport) -> None:
        base = self._name("report", identity, options_key)
        if report.fingerprints is not None:
            _write_atomic(base.with_suffix(".fp"), report.fingerprints.to_bytes())
        entry = {"identity": list(identity), "report": report.to_dict()}
        _write_atomic(base.with_suffix(".json"), json.dumps(entry).encode())

    def load_sha256(self, identity: FileIdentity) -> str | None:
        entry = _read_json(self._name("sha256", identity).with_suffix(".json"))
        if entry is None or entry.get("identity") != list(identity):
            return None
        digest = entry.get("sha256")
        return digest if isinstance(digest, str) else None

    def store_sha256(self, identity: FileIdentity, digest: str) -> None:
        entry = {"identity": list(identity), "sha256": digest}
        _write_atomic(
            self._name("sha256", identity).with_suffix(".json"), json.dumps(entry).encode()
        )


def _with_fingerprints(report: DatasetReport, fingerprints: ExampleFingerprints) -> DatasetReport:
    return replace(report, fingerprints=fingerprints)


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write_atomic(path: Path, data: bytes) -> None:
    """Write via a temp file and rename; cache write failures are ignored (a later miss)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        ignore_in_git(path.parent)
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    except OSError:
        pass
