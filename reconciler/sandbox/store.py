"""SQLite-backed object store of the sandbox: every emulated API object lives here.

Route modules read and write plain JSON dicts (the API's own shapes) by kind and id; file
contents go in a separate blob table; small settings (clock offset, switches, faults) in `kv`.
A file path makes state survive restarts; `None` keeps it in memory (tests).
"""

from __future__ import annotations

import secrets
import sqlite3
import string
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    scope TEXT NOT NULL DEFAULT '',
    data BLOB NOT NULL,
    UNIQUE (kind, id)
);
CREATE INDEX IF NOT EXISTS objects_kind_scope ON objects (kind, scope);
CREATE TABLE IF NOT EXISTS blobs (id TEXT PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value BLOB NOT NULL);
"""

_ALPHABET = string.ascii_letters + string.digits

Obj = dict[str, Any]


def new_id(prefix: str, length: int = 24) -> str:
    """An id shaped like the real API's: `file-AbC...`, `ftjob-...`, `batch_...`."""
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


class Store:
    """Thread-safe JSON object store. `scope` is the owning project id ('' = organization)."""

    def __init__(self, path: Path | str | None = None) -> None:
        target = ":memory:" if path is None else str(path)
        if path is not None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        self._db.execute(
            "PRAGMA journal_mode=WAL" if path is not None else "PRAGMA journal_mode=MEMORY"
        )
        self._db.executescript(_SCHEMA)
        self._lock = threading.RLock()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group several writes atomically (a crash leaves none of them)."""
        with self._lock:
            self._db.execute("BEGIN")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # -- objects -----------------------------------------------------------------------------

    def put(self, kind: str, obj: Obj, *, scope: str = "") -> Obj:
        """Insert or replace by `obj["id"]`, keeping the original insertion order."""
        data = orjson.dumps(obj)
        with self._lock:
            self._db.execute(
                "INSERT INTO objects (kind, id, scope, data) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (kind, id) DO UPDATE SET data = excluded.data, scope = excluded.scope",
                (kind, obj["id"], scope, data),
            )
        return obj

    def get(self, kind: str, obj_id: str, *, scope: str | None = None) -> Obj | None:
        """The object, or None; with `scope` given, objects of other scopes are invisible."""
        with self._lock:
            row = self._db.execute(
                "SELECT data, scope FROM objects WHERE kind = ? AND id = ?", (kind, obj_id)
            ).fetchone()
        if row is None or (scope is not None and row[1] != scope):
            return None
        result: Obj = orjson.loads(row[0])
        return result

    def scope_of(self, kind: str, obj_id: str) -> str | None:
        with self._lock:
            row = self._db.execute(
                "SELECT scope FROM objects WHERE kind = ? AND id = ?", (kind, obj_id)
            ).fetchone()
        return None if row is None else str(row[0])

    def list(
        self,
        kind: str,
        *,
        scope: str | None = None,
        where: Callable[[Obj], bool] | None = None,
    ) -> list[Obj]:
        """All objects of a kind in insertion order (oldest first), optionally filtered."""
        query = "SELECT data FROM objects WHERE kind = ?"
        params: tuple[str, ...] = (kind,)
        if scope is not None:
            query += " AND scope = ?"
            params = (kind, scope)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY seq", params).fetchall()
        objects = [orjson.loads(row[0]) for row in rows]
        return [o for o in objects if where is None or where(o)]

    def delete(self, kind: str, obj_id: str) -> bool:
        with self._lock:
            cursor = self._db.execute(
                "DELETE FROM objects WHERE kind = ? AND id = ?", (kind, obj_id)
            )
        return cursor.rowcount > 0

    # -- blobs (file contents) ---------------------------------------------------------------

    def put_blob(self, blob_id: str, data: bytes) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO blobs (id, data) VALUES (?, ?)", (blob_id, data)
            )

    def get_blob(self, blob_id: str) -> bytes | None:
        with self._lock:
            row = self._db.execute("SELECT data FROM blobs WHERE id = ?", (blob_id,)).fetchone()
        return None if row is None else bytes(row[0])

    def delete_blob(self, blob_id: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM blobs WHERE id = ?", (blob_id,))

    # -- small settings ----------------------------------------------------------------------

    def get_setting(self, key: str, default: Any = None) -> Any:
        with self._lock:
            row = self._db.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        return default if row is None else orjson.loads(row[0])

    def set_setting(self, key: str, value: Any) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)", (key, orjson.dumps(value))
            )
