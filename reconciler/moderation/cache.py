"""Moderation scores on disk, keyed by the sha256 of (model, text): unchanged data is never sent
again, whichever dataset, line or policy it comes from.

Under the stack's cache dir (`stack.cache_dir / "moderation"`), in 256 shards by the key's first
two hex digits, so a plan loads only the shards its texts fall in. Writes are atomic (temp
file + rename) and merge with what is on disk; a broken shard is a miss. No text is stored.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from reconciler.moderation.scores import Scores


def score_key(model: str, text: str) -> str:
    return hashlib.sha256(f"{model}\0{text}".encode()).hexdigest()


class ScoreCache:
    """Scores by `score_key`; `put` keeps new ones in memory until `save`."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory / "moderation" if directory is not None else None
        self._shards: dict[str, dict[str, Any]] = {}
        self._dirty: dict[str, dict[str, Any]] = {}

    def get(self, key: str) -> Scores | None:
        return Scores.from_json(self._shard(key[:2]).get(key))

    def put(self, key: str, scores: Scores) -> None:
        entry = scores.to_json()
        self._shard(key[:2])[key] = entry
        self._dirty.setdefault(key[:2], {})[key] = entry

    def save(self) -> None:
        """Write the new entries (merged with the shard as it is on disk now)."""
        if self.directory is None:
            return
        for shard, entries in sorted(self._dirty.items()):
            path = self._path(shard)
            _write_atomic(path, json.dumps({**_read(path), **entries}).encode())
        self._dirty.clear()

    def _shard(self, shard: str) -> dict[str, Any]:
        if shard not in self._shards:
            self._shards[shard] = _read(self._path(shard)) if self.directory is not None else {}
        return self._shards[shard]

    def _path(self, shard: str) -> Path:
        assert self.directory is not None
        return self.directory / f"scores-{shard}.json"


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
