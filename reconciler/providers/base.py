"""The provider protocol: how the apply engine asks one kind's adapter to change the world.

`apply.apply_plan` looks a change's kind up in the mapping `make_providers` returns and calls
`create`/`update`/`replace`/`delete` with an `Operation` (the change, its payload with
references resolved to live ids, a progress callback). Every method is safe to call again
after a failure: creates look for what an earlier attempt made before making it again.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from reconciler.plan import ResourceChange
from reconciler.state import LiveObject, Ownership

if TYPE_CHECKING:
    from reconciler.manifests import Stack
    from reconciler.providers.client import Clients

ProgressFn = Callable[[int, int], None]
"""`progress(done, total)`, in bytes for uploads."""


def no_progress(done: int, total: int) -> None:
    """The progress callback of callers that show none."""


@dataclass(frozen=True)
class Operation:
    """One change as the engine hands it over: `payload` is `change.desired` with every
    reference replaced by the live id it resolved to."""

    change: ResourceChange
    payload: dict[str, Any]
    progress: ProgressFn = no_progress

    @property
    def address(self) -> str:
        return self.change.address

    @property
    def live_id(self) -> str:
        """The live id the plan names (updates, replaces, deletes); a ValueError without one."""
        if self.change.live_id is None:
            action = self.change.action.value
            raise ValueError(f"{self.address}: the plan has no live id to {action}")
        return self.change.live_id


class KindProvider(ABC):
    """The adapter of one kind over the SDK. Returns live ids; raises ApiError subclasses."""

    kind: ClassVar[str]

    @abstractmethod
    def create(self, op: Operation) -> str:
        """Make the object (or find the one an interrupted attempt made); its live id."""

    @abstractmethod
    def update(self, op: Operation) -> str:
        """Change the declared fields of `op.change.live_id` in place; its live id."""

    def replace(self, op: Operation) -> str:
        """A new object, then the old one removed (create before destroy)."""
        new_id = self.create(op)
        self.delete(op)
        return new_id

    @abstractmethod
    def delete(self, op: Operation) -> None:
        """Remove (or archive) `op.change.live_id`; an object already gone is not an error."""


class LocalProvider(KindProvider):
    """The provider of a kind that lives only in the reconciler (Eval, ModerationPolicy):
    nothing is sent; its live id is `local:<name>`."""

    def create(self, op: Operation) -> str:
        return f"local:{op.change.name}"

    def update(self, op: Operation) -> str:
        return f"local:{op.change.name}"

    def delete(self, op: Operation) -> None:
        return None


# -- reading a kind's live objects -------------------------------------------------------------


@dataclass(frozen=True)
class ReadContext:
    """What a kind's reader gets from `live.read_live_state`, once the core reads are done.

    `projects` are the ids of the active projects where the stack's project-scoped objects are
    or may be (the home project as `state.HOME_PROJECT` included): the same projects whose
    files the plan lists (`administered` adds those only members and accounts name).
    `submit` runs a listing on the shared, bounded read pool, so
    listings of several projects run at once.
    """

    stack: Stack
    clients: Clients
    ownership: Ownership
    projects: frozenset[str]
    submit: Callable[..., Future[Any]]
    administered: frozenset[str] = frozenset()
    """Projects only the Administration API's scoped kinds (members, service accounts) name:
    resolved, but no data-plane collection is read there (the API key may not be theirs)."""
    key_listings: Mapping[str, Future[Any]] = field(default_factory=dict)
    """The API key listings already started, by project id (`revoke_unmanaged_keys`,
    providers/project_api_keys.py): a reader needing a project's keys reuses its listing."""


@dataclass(frozen=True)
class ReadResult:
    """A reader's live objects and the list pages it needed at the API's largest page size."""

    objects: tuple[LiveObject, ...] = ()
    minimum_requests: int = 0


class LiveReader(Protocol):
    """Reads one kind's live objects with list calls (paginated), never one request per object.

    Registered in `providers/registry.py` (`READERS`); Project and Dataset are read by
    `live.py` itself, since every other kind's projects depend on them.
    """

    kind: str

    def is_needed(self, stack: Stack, ownership: Ownership) -> bool:
        """Whether this stack declares or may own objects of the kind (else nothing is read)."""
        ...

    def read(self, ctx: ReadContext) -> ReadResult: ...


# -- following a running job (`reconciler wait`, `apply --wait`) ---------------------------------


@dataclass(frozen=True)
class JobProgress:
    """Where a running job is: its API status, `done` of `total` units (steps, requests; 0 of
    0 when unknown), its latest event in words, and `outcome` once it ended ("succeeded" or
    "failed"; None while it runs)."""

    status: str
    done: int
    total: int
    message: str
    outcome: str | None = None


@runtime_checkable
class Waitable(Protocol):
    """A provider whose objects run for a while (fine-tuning jobs, batches): `reconciler wait`
    polls `progress` (a few requests per job) until every job ended."""

    def progress(self, live_id: str, project: str) -> JobProgress: ...
