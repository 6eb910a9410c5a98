"""The stack's ownership registry in the live system: binding files in the API key's project.

`live.read_live_state` reads it from the file list it makes anyway (`read_ownership`), with
the start of any unfinished apply of the stack (a lock left behind: `providers/lock.py`);
`ProjectProvider` writes it during apply through an `OwnershipStore`: `record` once a live id
is known (one file per binding, `state.binding_filename`), `forget` after an archive, and
`tidy` once at the end of an apply (an address with several bindings keeps one; pending
bindings written by older versions go). A create writes no binding before it is sent: the
apply's lock file marks the window in which an interrupted apply may have created something,
so a rerun recognises it without one write per object.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from typing import Any, Final

from reconciler.providers.client import Clients
from reconciler.providers.errors import api_errors
from reconciler.providers.lock import unfinished_applies
from reconciler.state import (
    DATASET_HOME_REF,
    HOME_PROJECT,
    OwnedEntry,
    Ownership,
    binding_filename,
    binding_prefix,
    dataset_home_address,
    parse_binding_filename,
)

PURPOSE: Final = "user_data"


Bindings = tuple[Ownership, dict[str, list[str]]]


def ownership_from_files(stack: str, files: Iterable[Any]) -> Bindings:
    """The registry, and the file ids holding each address's bindings (the one read last).

    With several bindings for one address (an interrupted write), a live id wins over a
    pending create, and the newest file wins among equals.
    """
    ordered = sorted(files, key=lambda f: (f.created_at, f.id))
    entries: dict[str, OwnedEntry] = {}
    file_ids: dict[str, list[str]] = {}
    winners: dict[str, str] = {}
    for file in ordered:
        parsed = parse_binding_filename(stack, file.filename)
        if parsed is None:
            continue
        address, entry = parsed
        file_ids.setdefault(address, []).append(file.id)
        known = entries.get(address)
        if known is None or entry.live_id is not None or known.live_id is None:
            entries[address] = entry
            winners[address] = file.id
    for address, ids in file_ids.items():
        ids.remove(winners[address])
        ids.append(winners[address])
    return Ownership(entries=entries), file_ids


def read_ownership(clients: Clients, stack: str, home_files: Iterable[Any]) -> Ownership:
    """The stack's registry, from the home project's file list the plan made anyway: no
    request of its own."""
    # everything is in the filenames: user_data files cannot be downloaded
    files = list(home_files)
    ownership = ownership_from_files(stack, files)[0]
    unfinished = unfinished_applies(clients, stack, files)
    if not unfinished:
        return ownership
    return ownership.model_copy(update={"unfinished_since": min(u.since for u in unfinished)})


class OwnershipStore:
    """Writes bindings for one stack; loads the current ones on first use."""

    def __init__(self, clients: Clients, stack: str) -> None:
        self._clients = clients
        self._stack = stack
        self._lock = threading.Lock()
        self._loaded: Bindings | None = None

    def ownership(self) -> Ownership:
        with self._lock:
            return self._load()[0]

    def record(self, address: str, live_id: str, *, created: bool) -> None:
        self._write(address, OwnedEntry(live_id=live_id, created=created))

    def load_from(self, home_files: Iterable[Any]) -> None:
        """Take the registry from a fresh listing of the API key's project (no listing of its
        own), unless this run already loaded it: then its own writes are in memory."""
        with self._lock:
            if self._loaded is None:
                self._loaded = ownership_from_files(self._stack, home_files)

    def refresh(self) -> None:
        """Forget what was loaded: the next read lists the registry again (after a write whose
        answer may have been lost)."""
        with self._lock:
            self._loaded = None

    def record_dataset_home(self, project: str) -> None:
        """Remember (once per project) that the stack keeps datasets in `project`."""
        address = dataset_home_address(project)
        with self._lock:
            if self._load()[0].entry(address) is not None:
                return
        self._write(address, OwnedEntry(live_id=DATASET_HOME_REF, created=True))

    def forget(self, address: str) -> None:
        with self._lock:
            ownership, file_ids = self._load()
            self._delete_files(file_ids.pop(address, []))
            self._loaded = (ownership.without(address), file_ids)

    def tidy(self) -> int:
        """Leave exactly one binding file per address (the one `ownership()` reads), and no
        pending binding of an address that has a live id or whose create never happened;
        the number of files removed."""
        with self._lock:
            ownership, file_ids = self._load()
            removed = 0
            for address, ids in list(file_ids.items()):
                entry = ownership.entry(address)
                keep = ids[-1:] if entry is not None and entry.live_id is not None else []
                extra = [file_id for file_id in ids if file_id not in keep]
                self._delete_files(extra)
                removed += len(extra)
                file_ids[address] = keep
                if not keep:
                    ownership = ownership.without(address)
            self._loaded = (ownership, file_ids)
            return removed

    def _write(self, address: str, entry: OwnedEntry) -> None:
        with self._lock:
            ownership, file_ids = self._load()
            if ownership.entry(address) == entry and file_ids.get(address):
                return
            old = file_ids.get(address, [])
            try:
                new_id = self._upload(address, entry)
            except Exception:
                self._loaded = None  # it may have landed (a lost response): list before a retry
                raise
            file_ids[address] = [*old, new_id]
            self._loaded = (ownership.with_entry(address, entry), file_ids)
            self._delete_files(old)  # if this fails, `tidy` removes them at the end
            file_ids[address] = [new_id]

    def _load(self) -> Bindings:
        if self._loaded is None:
            with api_errors("list the ownership registry's files"):
                files = [
                    f
                    for f in self._clients.reader().files.list(purpose=PURPOSE)
                    if f.filename.startswith(binding_prefix(self._stack))
                ]
            self._loaded = ownership_from_files(self._stack, files)
        return self._loaded

    def _upload(self, address: str, entry: OwnedEntry) -> str:
        filename = binding_filename(self._stack, address, entry)
        body = {"stack": self._stack, "address": address, **entry.model_dump(mode="json")}
        content = json.dumps(body, indent=2).encode()
        with api_errors(f"record {address} in the ownership registry"):
            file = self._clients.writer().files.create(
                file=(filename, content, "application/json"), purpose=PURPOSE
            )
        return file.id

    def _delete_files(self, file_ids: list[str]) -> None:
        for file_id in file_ids:
            with api_errors(f"remove an old ownership binding ({file_id})", missing_ok=True):
                self._clients.writer(HOME_PROJECT).files.delete(file_id)
