"""Per-project API keys: `project_keys` in reconciler.yaml, bound to live project ids while the
live state is read.

A project API key acts only in its own project: the API answers `401 mismatched_project` to a
request whose `OpenAI-Project` header names another one. So the datasets, fine-tunes, batches
and eval runs of a project other than `OPENAI_API_KEY`'s need that project's key, and
`reconciler.yaml` names, per project, the environment variable that holds it:

    project_keys:
      Project/research: RESEARCH_OPENAI_KEY
      proj_abc123: LEGACY_PROJECT_KEY

`live.read_live_state` calls `bind_project_keys` once the ownership registry is read (projects
the stack created or adopted, and pinned ids, are known then) and again once the organization's
projects are listed (projects matched by name): each entry whose project exists gets its key on
`Clients` (`use_project_key`), so every read and write in that project goes out with it. A
variable that is not set, for a project that exists, is a `ManifestError` at its line in
reconciler.yaml naming the variable, before any request to that project; a project this plan
creates has no key yet, and its data plans as blocked (`kinds/project_keys.py`, and
docs/credentials.md for the first run). Keys never appear in messages.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

from reconciler.config import CONFIG_FILENAME, PROJECT_ID_PREFIX
from reconciler.errors import Diagnostics, ManifestError, SourceLocation
from reconciler.manifests import Stack
from reconciler.manifests.source import read_yaml_file
from reconciler.providers.client import Clients
from reconciler.state import LiveObject, Ownership


def bind_project_keys(
    stack: Stack,
    clients: Clients,
    ownership: Ownership,
    projects: Iterable[LiveObject] | None = None,
    environ: Mapping[str, str] | None = None,
) -> None:
    """Give `clients` the key of each `project_keys` project that exists (as far as known:
    `projects` is None before the organization's projects are read)."""
    env = os.environ if environ is None else environ
    listed = None if projects is None else list(projects)
    problems = Diagnostics()
    for target, variable in sorted(stack.config.project_keys.items()):
        if target.startswith("Project/") and target not in stack.resources:
            problems.error(
                f"project_keys: {target} is not declared in this stack",
                _location(stack, target),
                hint="name a Project this stack declares, or a live project id (proj_...)",
            )
            continue
        live_ids = project_ids(stack, target, ownership, listed)
        if not live_ids:
            continue  # created by this plan: its data is blocked until its key exists
        key = env.get(variable, "").strip()
        if not key or any(not ("!" <= char <= "~") for char in key):
            problems.error(
                _missing_message(target, variable, sorted(live_ids), bool(key)),
                _location(stack, target),
                hint=f"set {variable} to an API key of that project (sk-proj-...; "
                "docs/credentials.md), or remove the entry if OPENAI_API_KEY is that project's",
            )
            continue
        for live_id in live_ids:
            clients.use_project_key(live_id, key)
    if problems.has_errors:
        raise ManifestError(problems)


def project_ids(
    stack: Stack, target: str, ownership: Ownership, projects: list[LiveObject] | None
) -> set[str]:
    """The live ids `target` (`Project/name` or `proj_...`) stands for, as far as known."""
    if target.startswith(PROJECT_ID_PREFIX):
        return {target}
    resource = stack.resources.get(target)
    if resource is not None and resource.metadata.id:
        return {resource.metadata.id}
    entry = ownership.entry(target)
    if entry is not None and entry.live_id:
        return {entry.live_id}
    if projects is None or resource is None:
        return set()
    name = resource.spec.model_dump().get("name")
    bound = ownership.bound_ids()
    return {p.live_id for p in projects if p.is_active and p.key == name} - bound


def _missing_message(target: str, variable: str, live_ids: list[str], malformed: bool) -> str:
    problem = (
        "contains characters an API key never has (spaces, line breaks or non-ASCII letters)"
        if malformed
        else "is not set"
    )
    return (
        f"project_keys: {target} ({', '.join(live_ids)}): the environment variable "
        f"{variable} {problem}; a project key acts only in its own project, so this project's "
        "data needs its own key"
    )


def _location(stack: Stack, target: str) -> SourceLocation | None:
    """Where `project_keys.<target>` is written in reconciler.yaml (the file when unknown)."""
    path = stack.root / CONFIG_FILENAME
    if not path.is_file():
        return stack.config_location
    reading = read_yaml_file(path, Diagnostics(), subset=False)
    documents = [d for d in reading.documents if d.data is not None]
    if not documents:
        return stack.config_location
    return documents[0].source_map.value(("project_keys", target))
