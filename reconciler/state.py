"""Live state as data: what the providers found in the OpenAI organization, read-only.

`providers.read_live_state` builds a `LiveState` with list calls; the planner reads it (and
never calls the API); tests write one as JSON (`tests/engine/cases/*/live.json`). Each
`LiveObject` shows the live object through the declared fields of its kind (the same keys as
the planner's desired view), with its ownership marks; `digest()`/`fingerprint()` let
`apply PLANFILE` notice that the live state moved since the plan was made.

Ownership: Dataset files are owned through their filename
(`reconciler--<stack>--<name>--<sha256[:16]><ext>`, see `dataset_filename`); a name never
holds `--`, so stack `demo` never reads a file of stack `demo--x` as its own. Objects with no
metadata and no free-form name (projects) are bound to manifest addresses by the stack's
ownership registry: one small file per binding, purpose `user_data`, in the project of the API
key, whose *filename* says it all (`binding_filename`): address, live id (or `pending-<digest
of the name>` while a create is in flight) and whether the stack created the object (only then
may it archive or delete it). Reading it costs no request beyond the file list; writing one
binding never races with another.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field

IndexT = TypeVar("IndexT")

HOME_PROJECT = "(project of the API key)"
"""Scope of files uploaded without an `OpenAI-Project` header: the API key's own project."""

FILENAME_PREFIX = "reconciler"
_SHA_PREFIX_LENGTH = 16


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def cached_index(
    model: BaseModel, name: str, source: object, build: Callable[[], IndexT]
) -> IndexT:
    """An index over `source` (a field value of the frozen `model`), built on first use.

    Kept in the instance's `__dict__` beside the fields (pydantic compares, dumps and shows
    fields only) with the object it was built from: `model_copy(update=...)` copies `__dict__`,
    so an index whose field now holds another object is built again.
    """
    key = f"__index_{name}"  # never the name of a method: an instance key would shadow it
    cached = model.__dict__.get(key)
    if cached is None or cached[0] is not source:
        cached = (source, build())
        model.__dict__[key] = cached
    index: IndexT = cached[1]
    return index


class LiveObject(_Frozen):
    """One live object, seen through the declared fields of its kind.

    `key` is its natural key (a project's name, a file's filename); `address` is the manifest
    address its ownership mark names (None when unmarked); `owned` means the stack created it,
    so a plan may delete it once no manifest declares it.
    """

    kind: str
    key: str
    live_id: str
    attributes: dict[str, Any] = Field(default_factory=dict)
    owned: bool = False
    address: str | None = None
    status: str = "active"
    created_at: int = 0
    info: dict[str, Any] = Field(default_factory=dict)  # display only (bytes, filename...)

    @property
    def state_key(self) -> str:
        """How the object is named in a plan's state digests: `Kind/live_id`."""
        return f"{self.kind}/{self.live_id}"

    @property
    def is_active(self) -> bool:
        return self.status not in ("archived", "deleted")

    def digest(self) -> str:
        return _digest(self.model_dump(mode="json", exclude={"info"}))


class OwnedEntry(_Frozen):
    """A binding in the ownership registry. `live_id` None = a create that was interrupted."""

    live_id: str | None = None
    created: bool = False  # the stack created it (may archive/delete it), vs adopted
    name_digest: str | None = None  # of the name a pending create used (`name_digest`)


class Ownership(_Frozen):
    """The stack's ownership registry: manifest address -> live object."""

    entries: dict[str, OwnedEntry] = Field(default_factory=dict)
    unfinished_since: int | None = None
    """Start of the oldest apply of the stack that holds its lock or died holding it: objects
    created since then may be that apply's, not yet recorded here (providers/lock.py)."""

    def entry(self, address: str) -> OwnedEntry | None:
        return self.entries.get(address)

    def address_of(self, live_id: str) -> str | None:
        """The first address bound to `live_id` (one lookup: the plan asks for each project)."""
        return cached_index(self, "_address_of", self.entries, self._addresses_by_id).get(live_id)

    def bound_ids(self) -> frozenset[str]:
        """Every live id the registry binds (one set per registry, not one per question)."""
        return cached_index(self, "_bound_ids", self.entries, self._bound_ids)

    def _bound_ids(self) -> frozenset[str]:
        return frozenset(e.live_id for e in self.entries.values() if e.live_id)

    def _addresses_by_id(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for address, entry in self.entries.items():
            if entry.live_id is not None:
                found.setdefault(entry.live_id, address)
        return found

    def dataset_projects(self) -> set[str]:
        """Projects where the stack has uploaded datasets (`dataset_home_address` records)."""
        prefix = f"{DATASET_HOME_KIND}/"
        return {a.removeprefix(prefix) for a in self.entries if a.startswith(prefix)}

    def with_entry(self, address: str, entry: OwnedEntry) -> Ownership:
        return self.model_copy(update={"entries": {**self.entries, address: entry}})

    def without(self, address: str) -> Ownership:
        kept = {a: e for a, e in self.entries.items() if a != address}
        return self.model_copy(update={"entries": kept})

    def digest(self) -> str:
        return _digest(self.model_dump(mode="json"))


class LiveState(_Frozen):
    """Everything the providers read, plus how many API requests it took and the list-page
    minimum: the pages needed to list each collection read at the API's largest page size."""

    objects: tuple[LiveObject, ...] = ()
    ownership: Ownership = Field(default_factory=Ownership)
    requests: int = 0
    minimum_requests: int = 0
    refresh: str | None = None  # how the Administration API was read (providers/snapshot.py)

    def of_kind(self, kind: str) -> list[LiveObject]:
        return list(cached_index(self, "_of_kind", self.objects, self._by_kind).get(kind, ()))

    def at_address(self, kind: str, address: str | None) -> list[LiveObject]:
        """The objects of `kind` whose ownership mark names `address`, in order (an index:
        `[o for o in of_kind(kind) if o.address == address]` without the scan)."""
        by_address = cached_index(self, "_at_address", self.objects, self._by_address)
        return list(by_address.get((kind, address), ()))

    def find(self, kind: str, live_id: str) -> LiveObject | None:
        """The first object of `kind` with `live_id` (an index: the planner asks per object)."""
        return cached_index(self, "_find", self.objects, self._by_id).get((kind, live_id))

    def _by_kind(self) -> dict[str, list[LiveObject]]:
        found: dict[str, list[LiveObject]] = {}
        for obj in self.objects:
            found.setdefault(obj.kind, []).append(obj)
        return found

    def _by_address(self) -> dict[tuple[str, str | None], list[LiveObject]]:
        found: dict[tuple[str, str | None], list[LiveObject]] = {}
        for obj in self.objects:
            found.setdefault((obj.kind, obj.address), []).append(obj)
        return found

    def _by_id(self) -> dict[tuple[str, str], LiveObject]:
        found: dict[tuple[str, str], LiveObject] = {}
        for obj in self.objects:
            found.setdefault((obj.kind, obj.live_id), obj)
        return found

    def digests(self) -> dict[str, str]:
        """Per-object digests (`Kind/live_id`), plus the ownership registry's."""
        found = {obj.state_key: obj.digest() for obj in self.objects}
        found[OWNERSHIP_STATE_KEY] = self.ownership.digest()
        return found

    def fingerprint(self) -> str:
        return fingerprint(self.digests())

    @classmethod
    def from_json(cls, text: str) -> LiveState:
        return cls.model_validate_json(text)


OWNERSHIP_STATE_KEY = "ownership-registry"

DATASET_HOME_KIND = "DatasetHome"
DATASET_HOME_REF = "home"


def dataset_home_address(project: str) -> str:
    """The registry address recording that the stack's datasets live in `project`, so a plan
    lists that project's files (and finds orphaned datasets there) with no manifest naming it."""
    return f"{DATASET_HOME_KIND}/{project}"


def fingerprint(digests: dict[str, str]) -> str:
    """One sha256 over sorted `name=digest` pairs."""
    text = "\n".join(f"{name}={digest}" for name, digest in sorted(digests.items()))
    return hashlib.sha256(text.encode()).hexdigest()


def _digest(data: Any) -> str:
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


# -- ownership marks in filenames ------------------------------------------------------------


_BINDING = re.compile(
    r"^(?P<kind>[A-Z][A-Za-z0-9]*)--(?P<name>.+)--(?P<ref>[^-]+(?:-[^-]+)*)"
    r"--(?P<how>created|adopted)\.json$"
)
_PENDING = "pending-"


def name_digest(name: str) -> str:
    """A short digest of a natural key (a project's name), safe in a filename."""
    return hashlib.sha256(name.encode()).hexdigest()[:12]


def binding_prefix(stack: str) -> str:
    return f"{FILENAME_PREFIX}--{stack}--owner--"


def binding_filename(stack: str, address: str, entry: OwnedEntry) -> str:
    """`reconciler--<stack>--owner--<Kind>--<name>--<id>--<created|adopted>.json`

    `<id>` is the live id, or `pending-<name digest>` for a create not yet confirmed.
    """
    kind, _, name = address.partition("/")
    ref = entry.live_id if entry.live_id is not None else f"{_PENDING}{entry.name_digest}"
    how = "created" if entry.created else "adopted"
    return f"{binding_prefix(stack)}{kind}--{name}--{ref}--{how}.json"


def parse_binding_filename(stack: str, filename: str) -> tuple[str, OwnedEntry] | None:
    """(address, entry) when `filename` is a binding of `stack`'s ownership registry."""
    prefix = binding_prefix(stack)
    if not filename.startswith(prefix):
        return None
    match = _BINDING.match(filename[len(prefix) :])
    if match is None:
        return None
    ref, created = match["ref"], match["how"] == "created"
    if ref.startswith(_PENDING):
        entry = OwnedEntry(created=created, name_digest=ref.removeprefix(_PENDING))
    else:
        entry = OwnedEntry(live_id=ref, created=created)
    return f"{match['kind']}/{match['name']}", entry


def dataset_filename(stack: str, name: str, sha256: str, suffix: str) -> str:
    """`reconciler--<stack>--<name>--<sha256[:16]><suffix>`: the mark a Dataset's file carries.

    Stack and resource names never contain `--` (models.base.NAME_BODY), so it parses back."""
    return f"{FILENAME_PREFIX}--{stack}--{name}--{sha256[:_SHA_PREFIX_LENGTH]}{suffix}"


def parse_dataset_filename(stack: str, filename: str) -> tuple[str, str] | None:
    """(name, sha256 prefix) when `filename` is a Dataset file of `stack`, else None."""
    pattern = re.compile(
        rf"^{FILENAME_PREFIX}--{re.escape(stack)}--(?P<name>(?:(?!--).)+)--"
        rf"(?P<sha>[0-9a-f]{{{_SHA_PREFIX_LENGTH}}})(?:\.[A-Za-z0-9]+)?$"
    )
    match = pattern.match(filename)
    if match is None:
        return None
    return match["name"], match["sha"]


def content_digest(sha256: str) -> str:
    """How a Dataset's content appears in diffs: `sha256:` plus the 16 hex digits marked."""
    return f"sha256:{sha256[:_SHA_PREFIX_LENGTH]}"


def objects_by_address(objects: Iterable[LiveObject]) -> dict[str, list[LiveObject]]:
    grouped: dict[str, list[LiveObject]] = {}
    for obj in objects:
        if obj.address is not None:
            grouped.setdefault(obj.address, []).append(obj)
    return grouped
