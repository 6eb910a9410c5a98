"""Read the live state a stack cares about, with list calls only, counting the requests.

`cli.py` calls `read_live_state(stack, clients)` before planning. It lists the files of the API
key's project once (datasets and the ownership registry), the organization's projects once
(when the stack manages projects), then the files of each other project the stack's datasets
may live in: a handful of paginated lists, never one request per object. A `default_project`
id that names no active project is reported at its line in reconciler.yaml (`ManifestError`).
"""

from __future__ import annotations

from collections.abc import Iterable

from reconciler.errors import Diagnostics, ManifestError, PermanentApiError
from reconciler.manifests import Stack
from reconciler.manifests.config_file import read_config
from reconciler.models.dataset import DatasetSpec
from reconciler.providers.client import Clients
from reconciler.providers.files import dataset_objects, list_files
from reconciler.providers.ownership import read_ownership
from reconciler.providers.projects import read_projects
from reconciler.state import HOME_PROJECT, LiveObject, LiveState, Ownership


def read_live_state(stack: Stack, clients: Clients) -> LiveState:
    start = clients.requests
    home_files = list_files(clients, HOME_PROJECT)
    ownership = read_ownership(clients, stack.name, home_files)
    projects: list[LiveObject] = []
    if _manages_projects(stack, ownership):
        clients.require_admin_key(f"read and manage the projects of stack '{stack.name}'")
        projects = read_projects(clients, ownership)
    _check_default_project(stack, projects)
    datasets: dict[str, LiveObject] = {}
    for project in sorted(_dataset_projects(stack, ownership, projects)):
        for obj in dataset_objects(stack.name, project, _project_files(stack, clients, project)):
            datasets[obj.live_id] = obj
    for obj in dataset_objects(stack.name, HOME_PROJECT, home_files):
        datasets.setdefault(obj.live_id, obj)  # seen in a named project: keep that scope
    return LiveState(
        objects=(*projects, *sorted(datasets.values(), key=lambda o: (o.key, o.live_id))),
        ownership=ownership,
        requests=clients.requests - start,
    )


def _project_files(stack: Stack, clients: Clients, project: str) -> list[object]:
    try:
        return list_files(clients, project)
    except PermanentApiError as error:
        if error.status == 404 and project == stack.config.default_project_id:
            raise _unknown_default_project(stack, project) from None
        raise


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


def _manages_projects(stack: Stack, ownership: Ownership) -> bool:
    declared = bool(stack.of_kind("Project"))
    return declared or any(address.startswith("Project/") for address in ownership.entries)


def _dataset_projects(
    stack: Stack, ownership: Ownership, projects: Iterable[LiveObject]
) -> set[str]:
    """Active projects the stack's datasets may be in (besides the API key's own)."""
    active = {p.live_id: p for p in projects if p.is_active}
    wanted = {entry.live_id for entry in ownership.entries.values() if entry.live_id}
    declared_names = {str(r.spec.model_dump().get("name")) for r in stack.of_kind("Project")}
    wanted |= {p.live_id for p in active.values() if p.key in declared_names}
    wanted |= {r.metadata.id for r in stack.of_kind("Project") if r.metadata.id}
    if stack.config.default_project_id:
        wanted.add(stack.config.default_project_id)
    for resource in stack.of_kind("Dataset"):
        project = resource.spec.project if isinstance(resource.spec, DatasetSpec) else None
        if project and not project.startswith("Project/"):
            wanted.add(project)
    return {pid for pid in wanted if pid in active or not projects}
