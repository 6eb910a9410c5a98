"""Data in a project this plan creates waits for that project's key (planning, pure).

A project API key acts only in its own project (`providers/project_keys.py`), and a new
project has no key until someone makes one: the Administration API creates service accounts
with keys, and the stack's `ServiceAccount` sends its key to the sink it names. So on the first
run of a stack that creates a project and its data at once, `planner.py` asks
`waiting_for_project_key` before planning each data-plane object (Dataset, FineTune, Batch,
EvalRun): one whose `project:` (or `default_project`) is a Project this plan creates is
blocked with a reason that says what to do; apply creates the project, its service accounts
and everything else, and the next run, with the key set, creates the data
(docs/credentials.md).
"""

from __future__ import annotations

from collections.abc import Callable

from reconciler.config import CONFIG_FILENAME
from reconciler.manifests import Stack
from reconciler.models.base import Resource
from reconciler.plan import Action

DATA_PLANE_KINDS = frozenset({"Dataset", "FineTune", "Batch", "EvalRun"})


def waiting_for_project_key(
    resource: Resource, stack: Stack, action_of: Callable[[str], Action | None]
) -> str | None:
    """Why `resource` cannot be created yet (its project is created by this plan), or None."""
    if resource.kind not in DATA_PLANE_KINDS:
        return None
    reference = next((r for r in resource.references if r.field[:1] == ("project",)), None)
    if reference is None or action_of(reference.address) is not Action.CREATE:
        return None
    project = reference.address
    variable = stack.config.project_keys.get(project)
    where = (
        f"set {variable} (its entry under project_keys in {CONFIG_FILENAME})"
        if variable
        else f"name the environment variable that holds it in {CONFIG_FILENAME} "
        f"(`project_keys: {{{project}: VARIABLE}}`) and set it"
    )
    return (
        f"waits for {project}'s API key: this plan creates {project}, and a project key acts "
        "only in its own project, so its data needs a key that cannot exist before the "
        f"project does. Apply now (the project and its service accounts, whose keys go to "
        f"their sinks), then {where} to a key of {project} and apply again "
        "(docs/credentials.md)"
    )
