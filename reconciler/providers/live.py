"""Read the live state a stack cares about, with list calls only, concurrently, counting requests.

`cli.py` calls `read_live_state(stack, clients)` before planning. It lists the files of the API
key's project (datasets and the ownership registry), the organization's projects (when the stack
manages projects), and the files of the projects the stack's datasets go to: a handful of
paginated lists, never one request per object. Listings that do not wait on each other run at
once (`READ_CONCURRENCY`, admin ones within `Clients.admin_slots`). `LiveState.minimum_requests`
is the list-page minimum of those collections at the API's largest page size. A
`default_project` id that names no active project is reported at its line in reconciler.yaml.

Which projects' files are listed (`DatasetProjects`): the default project, the project each
declared project-scoped object (`KindInfo.depends_on_project`: Dataset, and the kinds after it)
goes to, and the projects the stack owns that no manifest declares any more
(their datasets go with them; skipped when the API key is not theirs and `project_keys`
names none: a project key acts only in its own project). Not every managed project: a stack
of 500 projects and 500 datasets in one project lists 3 collections, not 502. A dataset file
left in a project that no declared Dataset names any more (the last Dataset of a project
deleted, or moved) is still found: the first upload of the stack into a project records it in
the ownership registry (`state.dataset_home_address`, read from the same home file list, so at
no extra request).

A declared project's settings (`rate_limits`, `spend_limit`, ...) are read only when its
manifest declares them, for the live project it resolves to (pinned id, registry binding, or
the unbound active projects with its name): one paginated rate-limit listing, one GET per other
setting, run on the same pool and merged into the Project's attributes (`project_settings`).

Other kinds are read by the `LiveReader`s registered in `providers/registry.py` (`READERS`),
once the projects are known: each gets those projects (`ReadContext.projects`) and the shared
read pool, and reports the list pages it needed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from reconciler.errors import Diagnostics, ManifestError, PermanentApiError
from reconciler.kinds.project_keys import DATA_PLANE_KINDS
from reconciler.manifests import Stack
from reconciler.manifests.config_file import read_config
from reconciler.models import KINDS
from reconciler.models.base import Resource
from reconciler.providers.admin_reads import announce_admin_reads
from reconciler.providers.base import ReadContext, ReadResult
from reconciler.providers.client import READ_CONCURRENCY, Clients
from reconciler.providers.files import FILES_PAGE_SIZE, dataset_objects, list_files
from reconciler.providers.key_rotation import list_project_keys
from reconciler.providers.ownership import read_ownership
from reconciler.providers.project_api_keys import with_api_keys
from reconciler.providers.project_keys import bind_project_keys
from reconciler.providers.projects import PAGE_SIZE as PROJECTS_PAGE_SIZE
from reconciler.providers.projects import (
    SETTINGS,
    list_projects,
    project_objects,
    read_setting,
    warm_up,
)
from reconciler.providers.registry import READERS
from reconciler.providers.snapshot import Refresh, begin_refresh, parse_duration
from reconciler.state import HOME_PROJECT, LiveObject, LiveState, Ownership, name_digest


def read_live_state(stack: Stack, clients: Clients, *, refresh: str | None = None) -> LiveState:
    """`refresh` ("full" or "incremental", from --refresh) overrides reconciler.yaml's
    `refresh.mode` for the Administration API reads (providers/snapshot.py)."""
    start = clients.requests
    pool = ThreadPoolExecutor(READ_CONCURRENCY, thread_name_prefix="reconciler-read")
    try:
        return _Reading(stack, clients, pool, refresh).run(start)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)  # after an error: no listing left behind
        if clients.read_cache.snapshot is not None or clients.read_cache.recording is not None:
            clients.read_cache.snapshot = clients.read_cache.recording = None  # after an error


def list_page_minimum(count: int, page_size: int) -> int:
    """Requests needed to list `count` objects at `page_size` per page (an empty list: 1)."""
    return max(1, math.ceil(count / page_size))


@dataclass
class _Reading:
    """One read of live state: the listings started so far, by collection."""

    stack: Stack
    clients: Clients
    pool: ThreadPoolExecutor
    refresh_mode: str | None = None
    files: dict[str, Future[list[Any]]] = field(default_factory=dict)
    optional: set[str] = field(default_factory=set)  # listed in case: orphans may be there

    def run(self, start: int) -> LiveState:
        self.clients.admin_budget.configure(self.stack.config.admin_requests_per_minute)
        wanted = DatasetProjects.declared(self.stack)
        admin_side = DatasetProjects.declared(self.stack, data_plane=False)
        if self.stack.of_kind("Project"):
            self.pool.submit(warm_up, self.clients)
        # The home project's files first, alone: a bad key or a failing API shows on one
        # listing, and the registry they hold says which other collections to read.
        home_files = list_files(self.clients, HOME_PROJECT)
        refresh = self._begin_refresh(home_files)
        served = self.clients.read_cache.served
        ownership = read_ownership(self.clients, self.stack.name, home_files)
        announce_admin_reads(self.stack, ownership, self.clients.admin_budget, self.clients.notice)
        bind_project_keys(self.stack, self.clients, ownership)
        projects_listing = self._list_projects(ownership)
        self._list_files_of(wanted.ids | wanted.bound_ids(ownership))
        self.optional = wanted.bound_ids(ownership) - wanted.ids - wanted.referenced_ids(ownership)
        raw_projects = projects_listing.result() if projects_listing is not None else None
        projects = project_objects(raw_projects or (), ownership)
        _check_default_project(self.stack, projects)
        if raw_projects is not None:
            bind_project_keys(self.stack, self.clients, ownership, projects)
        settings = self._read_settings(settings_to_read(self.stack, ownership, projects))
        key_listings = {
            project: self.pool.submit(list_project_keys, self.clients, project)
            for project in sorted(api_key_projects(self.stack, ownership, projects))
        }
        self._list_files_of(wanted.named_ids(ownership, projects))
        active = None if raw_projects is None else {p.live_id for p in projects if p.is_active}
        files = self._files_by_project(active)
        minimum = list_page_minimum(len(home_files), FILES_PAGE_SIZE)
        minimum += sum(list_page_minimum(len(listed), FILES_PAGE_SIZE) for listed in files.values())
        if raw_projects is not None:
            minimum += list_page_minimum(len(raw_projects), PROJECTS_PAGE_SIZE)
        administered = admin_side.ids | admin_side.referenced_ids(ownership)
        administered |= admin_side.named_ids(ownership, projects)
        if active is not None:
            administered &= active
        scoped = frozenset({HOME_PROJECT, *files})
        listed_files = (home_files, *files.values())  # the home project's files too
        filenames = frozenset(f.filename for listed in listed_files for f in listed)
        others = self._read_other_kinds(
            ownership, scoped, filenames, frozenset(administered), key_listings
        )
        projects, settings_minimum = project_settings(projects, settings)
        projects, keys_minimum = with_api_keys(projects, key_listings, self.clients)
        described = refresh.finish(self.clients) if refresh is not None else None
        served = self.clients.read_cache.served - served  # answered from the snapshot
        return LiveState(
            objects=(
                *projects,
                *_dataset_objects(self.stack.name, home_files, files),
                *(obj for result in others for obj in result.objects),
            ),
            ownership=ownership,
            requests=self.clients.requests - start - served,
            refresh=described,
            minimum_requests=minimum
            + settings_minimum
            + keys_minimum
            + sum(result.minimum_requests for result in others),
        )

    def _begin_refresh(self, home_files: list[Any]) -> Refresh | None:
        """Arm the incremental refresh when the stack (or --refresh) asks for it."""
        config = self.stack.config.refresh
        mode = self.refresh_mode or config.mode
        if mode == "off" or (mode == "full" and config.mode == "off"):  # no snapshot in use
            return None
        return begin_refresh(
            self.stack.name,
            self.clients,
            home_files,
            mode=mode,
            max_age_seconds=parse_duration(config.max_age),
        )

    def _read_other_kinds(
        self,
        ownership: Ownership,
        scoped: frozenset[str],
        filenames: frozenset[str],
        administered: frozenset[str],
        key_listings: dict[str, Future[Any]],
    ) -> list[ReadResult]:
        """Every registered reader the stack needs, at once (their listings share the pool).
        A reader with `needed_by_files` is also run when the listed files show the stack
        made objects of its kind (a Batch whose manifest is gone may still run)."""
        needed = [
            r
            for r in READERS
            if r.is_needed(self.stack, ownership)
            or getattr(r, "needed_by_files", lambda _s, _f: False)(self.stack.name, filenames)
        ]
        if not needed:
            return []
        ctx = ReadContext(
            self.stack,
            self.clients,
            ownership,
            scoped,
            self.pool.submit,
            administered,
            key_listings,
        )
        with ThreadPoolExecutor(len(needed), thread_name_prefix="reconciler-kind") as readers:
            return list(readers.map(lambda reader: reader.read(ctx), needed))

    def _read_settings(self, wanted: dict[str, set[str]]) -> dict[str, list[_SettingRead]]:
        """Start the settings reads of each project (`settings_to_read`) on the shared pool."""
        return {
            project: [
                self.pool.submit(read_setting, self.clients, project, s) for s in sorted(names)
            ]
            for project, names in sorted(wanted.items())
        }

    def _list_projects(self, ownership: Ownership) -> Future[list[Any]] | None:
        if not _manages_projects(self.stack, ownership):
            return None
        self.clients.require_admin_key(f"read and manage the projects of stack '{self.stack.name}'")
        return self.pool.submit(list_projects, self.clients)

    def _list_files(self, project: str) -> Future[list[Any]]:
        if project not in self.files:
            self.files[project] = self.pool.submit(list_files, self.clients, project)
        return self.files[project]

    def _list_files_of(self, projects: Iterable[str]) -> None:
        for project in sorted(projects):
            self._list_files(project)

    def _files_by_project(self, active: set[str] | None) -> dict[str, list[Any]]:
        """Each listed project's files (active projects only, when the projects were read)."""
        found: dict[str, list[Any]] = {}
        for project, listing in sorted(self.files.items()):
            try:
                files = listing.result()
            except PermanentApiError as error:
                if active is not None and project not in active:
                    continue  # listed before the projects were known: not a project to read
                if error.code == "mismatched_project" and project in self.optional:
                    continue  # an owned project no manifest puts data in, and no key for it
                if error.status == 404 and project == self.stack.config.default_project_id:
                    raise _unknown_default_project(self.stack, project) from None
                if error.code == "mismatched_project" and project == (
                    self.stack.config.default_project_id
                ):
                    raise _not_the_keys_project(self.stack, project) from None
                raise
            if active is None or project in active:
                found[project] = files
        return found


_SettingRead = Future[tuple[dict[str, Any], int]]


def settings_to_read(
    stack: Stack, ownership: Ownership, projects: Iterable[LiveObject]
) -> dict[str, set[str]]:
    """The settings to read, by live project id: what each declared Project's manifest sets,
    for the project it resolves to (its pin, its binding, else the unbound active projects
    named as it; several only when the plan will ask for a pin anyway)."""
    bound = {e.live_id for e in ownership.entries.values() if e.live_id}
    active = [p for p in projects if p.is_active]
    wanted: dict[str, set[str]] = {}
    for resource in stack.of_kind("Project"):
        spec = resource.spec.model_dump()
        settings = {s for s in SETTINGS if spec.get(s) is not None}
        if not settings:
            continue
        ids = _resolved_ids(resource, ownership, active, bound)
        for live_id in ids & {p.live_id for p in active}:
            wanted.setdefault(live_id, set()).update(settings)
    return wanted


def api_key_projects(
    stack: Stack, ownership: Ownership, projects: Iterable[LiveObject]
) -> set[str]:
    """The live projects whose API keys are listed: those of the declared Projects that set
    `revoke_unmanaged_keys` (providers/project_api_keys.py), resolved as their settings are."""
    bound = {e.live_id for e in ownership.entries.values() if e.live_id}
    active = [p for p in projects if p.is_active]
    found: set[str] = set()
    for resource in stack.of_kind("Project"):
        if getattr(resource.spec, "revoke_unmanaged_keys", None) is None:
            continue
        found |= _resolved_ids(resource, ownership, active, bound) & {p.live_id for p in active}
    return found


def _resolved_ids(
    resource: Resource, ownership: Ownership, active: list[LiveObject], bound: set[str]
) -> set[str]:
    """The live project a declared Project is: its pin, its binding, else the unbound active
    projects with its name (or the name a pending binding of an older version recorded)."""
    entry = ownership.entry(resource.address)
    if resource.metadata.id:
        return {resource.metadata.id}
    if entry is not None and entry.live_id:
        return {entry.live_id}
    name, digest = resource.spec.model_dump()["name"], entry.name_digest if entry else None
    named = {p.live_id for p in active if p.key == name}
    pending = {p.live_id for p in active if digest and name_digest(p.key) == digest}
    return (named | pending) - bound


def project_settings(
    projects: list[LiveObject], reads: dict[str, list[_SettingRead]]
) -> tuple[list[LiveObject], int]:
    """The projects with the settings read merged into their attributes, and the minimum
    number of requests those reads needed."""
    minimum = 0
    merged: list[LiveObject] = []
    for project in projects:
        attributes = dict(project.attributes)
        for read in reads.get(project.live_id, ()):
            found, pages = read.result()
            attributes |= found
            minimum += pages
        merged.append(project.model_copy(update={"attributes": attributes}))
    return merged, minimum


def _dataset_objects(
    stack: str, home_files: list[Any], files_by_project: dict[str, list[Any]]
) -> list[LiveObject]:
    datasets: dict[str, LiveObject] = {}
    for project, files in sorted(files_by_project.items()):
        for obj in dataset_objects(stack, project, files):
            datasets[obj.live_id] = obj
    for obj in dataset_objects(stack, HOME_PROJECT, home_files):
        datasets.setdefault(obj.live_id, obj)  # seen in a named project: keep that scope
    return sorted(datasets.values(), key=lambda o: (o.key, o.live_id))


@dataclass(frozen=True)
class DatasetProjects:
    """The projects whose files a plan lists: where the stack's datasets are or may be.

    `ids` are known from the manifests alone (the default project, literal `project:` ids,
    pinned ids of referenced projects); `addresses` are the declared projects datasets
    reference, resolved once the ownership registry (`bound_ids`) or the organization's
    projects (`named_ids`) are read.
    """

    stack: Stack
    ids: frozenset[str]
    addresses: frozenset[str]

    @classmethod
    def declared(cls, stack: Stack, *, data_plane: bool = True) -> DatasetProjects:
        """The projects of the data-plane kinds (whose files are listed), or with
        `data_plane=False` those of the Administration API's project-scoped kinds (members,
        service accounts: their projects are resolved, no file is listed there)."""
        ids: set[str] = set()
        if stack.config.default_project_id and data_plane:
            ids.add(stack.config.default_project_id)
        addresses: set[str] = set()
        for resource in stack.resources.values():
            if not KINDS[resource.kind].depends_on_project:
                continue
            if (resource.kind in DATA_PLANE_KINDS) is not data_plane:
                continue
            reference = next((r for r in resource.references if r.field[:1] == ("project",)), None)
            project = getattr(resource.spec, "project", None)
            if reference is not None:
                addresses.add(reference.address)
            elif isinstance(project, str) and project:
                ids.add(project)
        for address in addresses:
            project = stack.resources.get(address)
            if project is not None and project.metadata.id:
                ids.add(project.metadata.id)
        return cls(stack, frozenset(ids), frozenset(addresses))

    def bound_ids(self, ownership: Ownership) -> set[str]:
        """Referenced projects bound in the registry, owned projects no manifest declares, and
        the projects where the stack has uploaded datasets (so orphans there are found)."""
        found: set[str] = ownership.dataset_projects()
        for address, entry in ownership.entries.items():
            if entry.live_id is None or not address.startswith("Project/"):
                continue
            if address in self.addresses or address not in self.stack.resources:
                found.add(entry.live_id)
        return found

    def referenced_ids(self, ownership: Ownership) -> set[str]:
        """The live ids of the referenced projects bound in the registry."""
        entries = (ownership.entry(address) for address in self.addresses)
        return {entry.live_id for entry in entries if entry is not None and entry.live_id}

    def named_ids(self, ownership: Ownership, projects: Iterable[LiveObject]) -> set[str]:
        """Active projects named as a referenced project that no pin or binding matched."""
        names = set()
        for address in self.addresses:
            resource = self.stack.resources.get(address)
            entry = ownership.entry(address)
            if resource is None or resource.metadata.id or (entry and entry.live_id):
                continue
            if (project_name := resource.spec.model_dump().get("name")) is not None:
                names.add(str(project_name))
        return {p.live_id for p in projects if p.is_active and p.key in names}


def _check_default_project(stack: Stack, projects: list[LiveObject]) -> None:
    """With the organization's projects at hand, the default project id must be among them."""
    project = stack.config.default_project_id
    if project is None or not projects:
        return  # not read (a stack of datasets only): a 404 listing its files tells
    if not any(p.live_id == project and p.is_active for p in projects):
        raise _unknown_default_project(stack, project)


def _unknown_default_project(stack: Stack, project: str) -> ManifestError:
    reading = read_config(stack.root, None, Diagnostics())
    where = reading.default_project_location if reading is not None else stack.config_location
    problems = Diagnostics()
    problems.error(
        f"default_project: {project} is not an active project of the organization "
        "(it does not exist, or it was archived)",
        where,
        hint="give the id of an active project (proj_...), or `Project/<name>` to use a "
        "project this stack declares",
    )
    return ManifestError(problems)


def _not_the_keys_project(stack: Stack, project: str) -> ManifestError:
    reading = read_config(stack.root, None, Diagnostics())
    where = reading.default_project_location if reading is not None else stack.config_location
    problems = Diagnostics()
    problems.error(
        f"default_project: {project} is not the project of OPENAI_API_KEY (the API answered "
        "mismatched_project: a project key acts only in its own project), or no such project",
        where,
        hint="give the id of the key's own project, or name under `project_keys` the "
        f"environment variable that holds a key of {project} (docs/credentials.md)",
    )
    return ManifestError(problems)


def _manages_projects(stack: Stack, ownership: Ownership) -> bool:
    declared = bool(stack.of_kind("Project"))
    return declared or any(address.startswith("Project/") for address in ownership.entries)
