"""The `FineTune` kind over `fine_tuning.jobs` (and `models` for `on_delete: delete_model`).

`FineTuneReader` (in `registry.READERS`) lists each project's jobs once, at the API's largest
page, and keeps those whose `metadata` carries this stack's tags (plus jobs pinned with
`metadata.id`). `FineTuneProvider` creates a job with those tags: before every create it lists
the project's jobs with this manifest's tags and digest, so a retried or rerun apply finds the
job an earlier attempt made instead of paying for a second one. Deleting cancels a job still in
progress. `on_delete: delete_model` is kept in the ownership registry (`FineTuneOnDelete/<name>`,
written on create, replace and update); the reader lists the models of the API key's project
once (their shutdown dates) and of the projects with such jobs (one `GET /models` each), and
a model delete line runs
`DELETE /models/{id}` (`kinds.fine_tune.model_deletes` plans it). `share_with` is read and
written as checkpoint permissions on a succeeded job's final checkpoint (its model): one list
per succeeded job (the API has no listing across checkpoints), with the admin key.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reconciler.errors import PermanentApiError
from reconciler.kinds.fine_tune import (
    DELETE_MODEL,
    DIGEST_TAG,
    IN_PROGRESS,
    NAME_TAG,
    ON_DELETE_KIND,
    REMEMBERED,
    SHARE_REFERENCE,
    SHARED,
    SHARED_REMEMBERED,
    STACK_TAG,
    on_delete_address,
    remembers_delete_model,
    remembers_sharing,
    shared_address,
)
from reconciler.kinds.uses import MODEL_KIND
from reconciler.models.fine_tune import OWNERSHIP_TAGS
from reconciler.plan import UNKNOWN
from reconciler.providers.base import (
    JobProgress,
    KindProvider,
    Operation,
    ReadContext,
    ReadResult,
)
from reconciler.providers.client import Clients
from reconciler.providers.errors import api_errors
from reconciler.providers.ownership import OwnershipStore
from reconciler.state import HOME_PROJECT, LiveObject, Ownership

if TYPE_CHECKING:
    from reconciler.manifests import Stack

JOBS_PAGE_SIZE = 100  # the largest page `GET /fine_tuning/jobs` serves
EVENTS_PAGE = 20  # events read per poll: the newest metrics event is among them
PERMISSIONS_PAGE_SIZE = 100  # the largest page of `GET .../checkpoints/{c}/permissions`


def _permissions_api(clients: Clients) -> Any:
    """`fine_tuning.checkpoints.permissions`, which takes the admin key as the bearer key."""
    base = clients.reader()
    return base.with_options(api_key=base.admin_api_key).fine_tuning.checkpoints.permissions


def list_permissions(clients: Clients, checkpoint: str) -> dict[str, str]:
    """The projects `checkpoint` (a fine-tuned model) is shared with: project id -> permission."""
    with api_errors(f"list the checkpoint permissions of {checkpoint}"):
        listed = _permissions_api(clients).list(checkpoint, limit=PERMISSIONS_PAGE_SIZE)
        return {p.project_id: p.id for p in listed}


def list_jobs(clients: Clients, project: str, metadata: dict[str, str] | None = None) -> list[Any]:
    """Every fine-tuning job of `project` (newest first), optionally filtered by metadata."""
    where = "the API key's project" if project == HOME_PROJECT else f"project {project}"
    with api_errors(f"list fine-tuning jobs in {where}"):
        jobs = clients.reader(project).fine_tuning.jobs
        if metadata:
            return list(jobs.list(limit=JOBS_PAGE_SIZE, metadata=metadata))
        return list(jobs.list(limit=JOBS_PAGE_SIZE))


def list_models(clients: Clients, project: str) -> list[Any]:
    """`GET /models` as `project` sees it: base models, its fine-tunes, those shared with it."""
    where = "the API key's project" if project == HOME_PROJECT else f"project {project}"
    with api_errors(f"list the models of {where}"):
        return list(clients.reader(project).models.list())


def model_objects(project: str, models: list[Any]) -> list[LiveObject]:
    return [
        LiveObject(
            kind=MODEL_KIND,
            key=model.id,
            live_id=model.id,
            attributes={"project": project, "shutdown_date": getattr(model, "shutdown_date", None)},
        )
        for model in models
    ]


def job_object(stack: str, project: str, job: Any, pinned: dict[str, str]) -> LiveObject | None:
    """The job as a live object of `stack` (tagged, or pinned by a manifest's metadata.id)."""
    metadata = dict(job.metadata or {})
    tagged = metadata.get(STACK_TAG) == stack and NAME_TAG in metadata
    if not tagged and job.id not in pinned:
        return None
    name = metadata[NAME_TAG] if tagged else pinned[job.id]
    method = job.method.model_dump(mode="json", exclude_none=True) if job.method else None
    error = job.error.message if job.error is not None else None
    attributes = {
        "model": job.model,
        "training_file": job.training_file,
        "validation_file": job.validation_file,
        "method": method,
        "suffix": _suffix_of(job.fine_tuned_model),
        "seed": job.seed,
        "metadata": {k: v for k, v in metadata.items() if k not in OWNERSHIP_TAGS},
        "project": project,
        "digest": metadata.get(DIGEST_TAG),
        "fine_tuned_model": job.fine_tuned_model,  # not declared: for delete_model only
    }
    info = {
        "status": job.status,
        "fine_tuned_model": job.fine_tuned_model,
        "error": error,
        "trained_tokens": job.trained_tokens,
        "estimated_finish": job.estimated_finish,
    }
    return LiveObject(
        kind="FineTune",
        key=job.id,
        live_id=job.id,
        attributes={k: v for k, v in attributes.items() if v is not None},
        owned=tagged,
        address=f"FineTune/{name}",
        status=job.status,
        created_at=job.created_at,
        info=info,
    )


@dataclass(frozen=True)
class JobDetails:
    """What `reconciler show FineTune/<name>` prints: the job, its latest events (newest
    first) and the rows of its result file (`step_metrics.csv`: step, train_loss, ...)."""

    job: Any
    events: list[Any]
    metrics: list[dict[str, float]]


def job_details(clients: Clients, project: str, job_id: str, events: int = 10) -> JobDetails:
    """The job, its last `events` events and its metrics: three or four requests."""
    client = clients.reader(project)
    with api_errors(f"read fine-tuning job {job_id}"):
        job = client.fine_tuning.jobs.retrieve(job_id)
        found = list(client.fine_tuning.jobs.list_events(job_id, limit=events).data)
    metrics: list[dict[str, float]] = []
    for file_id in job.result_files or ():
        with api_errors(f"download the result file {file_id} of {job_id}"):
            metrics = parse_metrics(client.files.content(file_id).read())
    return JobDetails(job, found, metrics)


def parse_metrics(content: bytes) -> list[dict[str, float]]:
    """`step_metrics.csv` rows as numbers (empty cells left out); the API serves the file
    base64-encoded, a plain CSV is read as it is."""
    text = content.decode("utf-8", errors="replace")
    if not text.lstrip().startswith("step"):
        try:
            text = base64.b64decode(content, validate=False).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return []
    rows = []
    for row in csv.DictReader(io.StringIO(text)):
        rows.append({k.strip(): float(v) for k, v in row.items() if k and v not in (None, "")})
    return rows


def latest_step(events: list[Any]) -> tuple[int, int]:
    """(step, total steps) from the newest metrics event among `events` (newest first)."""
    for event in events:
        data = event.data if isinstance(event.data, dict) else {}
        if event.type == "metrics" and "step" in data and "total_steps" in data:
            return int(data["step"]), int(data["total_steps"])
    return 0, 0


def _shared_ids(payload: dict[str, Any]) -> set[str]:
    """The project ids of `share_with`, with those apply resolved for projects it created."""
    known = {str(p) for p in payload.get("share_with", ()) if p != UNKNOWN}
    resolved = {str(v) for k, v in payload.items() if k.startswith(SHARE_REFERENCE)}
    return known | resolved


def _suffix_of(model: str | None) -> str | None:
    """`ft:gpt-4.1-mini-2025-04-14:org:support:abc123` → `support`."""
    parts = (model or "").split(":")
    return parts[3] or None if len(parts) == 5 else None


class FineTuneReader:
    kind = "FineTune"

    def is_needed(self, stack: Stack, ownership: Ownership) -> bool:
        remembered = any(a.startswith(f"{ON_DELETE_KIND}/") for a in ownership.entries)
        return bool(stack.of_kind(self.kind)) or remembered

    def read(self, ctx: ReadContext) -> ReadResult:
        pinned = {r.metadata.id: r.name for r in ctx.stack.of_kind(self.kind) if r.metadata.id}
        listings = {p: ctx.submit(list_jobs, ctx.clients, p) for p in sorted(ctx.projects)}
        objects: list[LiveObject] = []
        minimum = 0
        for project, listing in listings.items():
            jobs = listing.result()
            minimum += max(1, -(-len(jobs) // JOBS_PAGE_SIZE))
            for job in jobs:
                found = job_object(ctx.stack.name, project, job, pinned)
                if found is not None:
                    objects.append(found)
        objects = _read_steps(ctx, objects)
        shared, pages = _read_sharing(ctx, objects)
        models = _read_models(ctx, objects)
        return ReadResult((*shared, *models), minimum + pages + len(_projects(models)))


def job_steps(clients: Clients, project: str, job_id: str) -> tuple[int, int]:
    """(step, total steps) of a running job, from its latest metrics event (one request)."""
    with api_errors(f"read the events of fine-tuning job {job_id}"):
        events = clients.reader(project).fine_tuning.jobs.list_events(job_id, limit=EVENTS_PAGE)
        return latest_step(list(events.data))


def _read_steps(ctx: ReadContext, jobs: list[LiveObject]) -> list[LiveObject]:
    """Each running job of a declared FineTune with its step of total steps in `info` (for
    the plan's `wait` line): one events request per running job, which the list-page minimum
    does not count (the listing has no step)."""
    declared = {r.address for r in ctx.stack.of_kind("FineTune")}
    running = {
        job.live_id: ctx.submit(job_steps, ctx.clients, str(job.attributes["project"]), job.live_id)
        for job in jobs
        if job.status == "running" and job.address in declared
    }
    if not running:
        return jobs
    found = []
    for job in jobs:
        if job.live_id in running:
            step, total = running[job.live_id].result()
            if total:
                info = {**job.info, "step": step, "total_steps": total}
                job = job.model_copy(update={"info": info})
        found.append(job)
    return found


def _projects(models: list[LiveObject]) -> set[str]:
    return {str(model.attributes["project"]) for model in models}


def _deletes_models(ctx: ReadContext, job: LiveObject) -> bool:
    """Whether `job`'s model may be deleted by a plan: an owned job of a FineTune whose
    manifest (or, once removed, the registry) says `on_delete: delete_model`."""
    if not job.owned or job.address is None or not job.info.get("fine_tuned_model"):
        return False
    resource = ctx.stack.resources.get(job.address)
    if resource is not None:
        return getattr(resource.spec, "on_delete", None) == DELETE_MODEL
    return remembers_delete_model(ctx.ownership, job.address.partition("/")[2])


def _read_models(ctx: ReadContext, jobs: list[LiveObject]) -> list[LiveObject]:
    """The models of the API key's project (their `shutdown_date`s, for the shutdown
    warnings) when the stack declares FineTunes, and of each project holding a model
    `on_delete: delete_model` may delete (a model already deleted is not listed): one
    unpaginated `GET /models` per project."""
    wanted = {str(j.attributes["project"]) for j in jobs if _deletes_models(ctx, j)}
    if ctx.stack.of_kind("FineTune"):
        wanted.add(HOME_PROJECT)
    projects = sorted(wanted)
    listings = {project: ctx.submit(list_models, ctx.clients, project) for project in projects}
    found: dict[str, LiveObject] = {}
    for project, listing in listings.items():
        for model in model_objects(project, listing.result()):
            found.setdefault(model.live_id, model)
    return list(found.values())


def _read_sharing(ctx: ReadContext, jobs: list[LiveObject]) -> tuple[list[LiveObject], int]:
    """Each succeeded job of a declared FineTune with `share_with` (or that the registry says
    apply shared, so a removed `share_with` is revoked) = the projects its final checkpoint is
    shared with: one list per such job (the API's shape), in the read pool. A FineTune that
    never shared costs no request."""
    declared = {
        r.address
        for r in ctx.stack.of_kind("FineTune")
        if getattr(r.spec, "share_with", None) or remembers_sharing(ctx.ownership, r.name)
    }
    wanted = [
        job
        for job in jobs
        if job.status == "succeeded" and job.address in declared and job.info["fine_tuned_model"]
    ]
    sharing = any(getattr(r.spec, "share_with", None) for r in ctx.stack.of_kind("FineTune"))
    if (wanted or sharing) and not ctx.clients.has_admin_key:
        ctx.clients.require_admin_key("read and share the checkpoints of fine-tuned models")
    if not wanted:
        return jobs, 0
    listings = {
        job.live_id: ctx.submit(list_permissions, ctx.clients, job.info["fine_tuned_model"])
        for job in wanted
    }
    pages = 0
    result = []
    for job in jobs:
        listing = listings.get(job.live_id)
        if listing is None:
            result.append(job)
            continue
        projects = sorted(listing.result())
        pages += max(1, -(-len(projects) // PERMISSIONS_PAGE_SIZE))
        attributes = {**job.attributes, "share_with": projects}
        result.append(job.model_copy(update={"attributes": attributes}))
    return result, pages


class FineTuneProvider(KindProvider):
    kind = "FineTune"

    def __init__(self, clients: Clients, registry: OwnershipStore | None = None) -> None:
        self._clients = clients
        self._registry = registry

    def create(self, op: Operation) -> str:
        job_id = self._create(op)
        self._remember_on_delete(op)
        return job_id

    def _remember_on_delete(self, op: Operation) -> None:
        """Make the registry say what the manifest says about the models (`on_delete`): an
        entry for delete_model, none for keep_model (no write when it already does)."""
        if self._registry is None:
            return
        address = on_delete_address(op.change.name)
        remembered = bool(op.payload.get(REMEMBERED))
        if op.payload.get("on_delete") == DELETE_MODEL and not remembered:
            self._registry.record(address, DELETE_MODEL, created=True)
        elif op.payload.get("on_delete") != DELETE_MODEL and remembered:
            self._registry.forget(address)

    def _remember_sharing(self, op: Operation, *, shared: bool) -> None:
        """The registry says whether the model is shared (so a plan reads its permissions)."""
        if self._registry is None:
            return
        remembered = bool(op.payload.get(SHARED_REMEMBERED))
        if shared and not remembered:
            self._registry.record(shared_address(op.change.name), SHARED, created=True)
        elif not shared and remembered:
            self._registry.forget(shared_address(op.change.name))

    def _create(self, op: Operation) -> str:
        payload = op.payload
        project = str(payload["project"])
        tags = {k: v for k, v in dict(payload["metadata"]).items() if k in OWNERSHIP_TAGS}
        # No idempotency key in the API: look for the job an earlier attempt (lost answer,
        # killed apply) made with these tags before paying for another one.
        for job in list_jobs(self._clients, project, tags):
            if job.status not in ("failed", "cancelled"):
                return str(job.id)
        body = {
            key: payload[key]
            for key in ("model", "training_file", "validation_file", "method", "suffix", "seed")
            if payload.get(key) is not None
        }
        with api_errors(f"create the fine-tuning job of {op.address}"):
            job = self._clients.writer(project).fine_tuning.jobs.create(
                **body, metadata=dict(payload["metadata"])
            )
        return str(job.id)

    def update(self, op: Operation) -> str:
        """Only `share_with` changes in place: the final checkpoint's permissions are made to
        match it (listed again first, so a retried update does only what is left)."""
        if op.change.live_id is None:
            raise AssertionError("fine-tuning jobs are never updated in place")
        model = op.change.live_attributes.get("fine_tuned_model")
        sharing = any(c.path.startswith("spec.share_with") for c in op.change.changes)
        if model and sharing:
            wanted = _shared_ids(op.payload)
            self._share(str(model), wanted, op.address)
            self._remember_sharing(op, shared=bool(wanted))
        if any(c.path == "spec.on_delete" for c in op.change.changes):
            self._remember_on_delete(op)
        return op.change.live_id

    def progress(self, live_id: str, project: str) -> JobProgress:
        """The job's status, its step of total steps (from its latest metrics event) and its
        latest event: two requests (`Waitable`, for `reconciler wait`)."""
        client = self._clients.reader(project)
        with api_errors(f"read fine-tuning job {live_id}"):
            job = client.fine_tuning.jobs.retrieve(live_id)
            events = list(client.fine_tuning.jobs.list_events(live_id, limit=EVENTS_PAGE).data)
        step, total = latest_step(events)
        message = events[0].message if events else ""
        if job.status == "succeeded":
            total = total or step
            step = total
            message = f"model {job.fine_tuned_model}"
        elif job.status in ("failed", "cancelled"):
            message = job.error.message if job.error and job.error.message else message
        outcome = (
            "succeeded"
            if job.status == "succeeded"
            else None
            if job.status in IN_PROGRESS
            else "failed"
        )
        return JobProgress(str(job.status), step, total, message, outcome)

    def _share(self, checkpoint: str, wanted: set[str], address: str) -> None:
        current = list_permissions(self._clients, checkpoint)
        permissions = _permissions_api(self._clients)
        added = sorted(wanted - set(current))
        if added:
            with api_errors(f"share the model of {address} with {', '.join(added)}"):
                permissions.create(checkpoint, project_ids=added)
        for project in sorted(set(current) - wanted):
            with api_errors(f"revoke {project}'s access to {checkpoint}", missing_ok=True):
                permissions.delete(current[project], fine_tuned_model_checkpoint=checkpoint)

    def replace(self, op: Operation) -> str:
        new_id = self.create(op)
        self._cancel(op)  # the old job, if it still runs; its model stays until the new
        return new_id  # job succeeded (then, with delete_model, a plan line deletes it)

    def delete(self, op: Operation) -> None:
        """Cancel a job still in progress; or, for a model delete line (`delete_model` in
        the payload, planned by `kinds.fine_tune.model_deletes`), delete that model."""
        model = op.payload.get("delete_model")
        if model:
            with api_errors(f"delete model {model}", missing_ok=True):
                self._clients.writer(self._project(op)).models.delete(str(model))
            return
        self._cancel(op)

    def _cancel(self, op: Operation) -> None:
        job_id = op.change.live_id
        if job_id is None:
            return
        try:
            with api_errors(f"cancel fine-tuning job {job_id}", missing_ok=True):
                self._clients.writer(self._project(op)).fine_tuning.jobs.cancel(job_id)
        except PermanentApiError as error:
            if error.status != 400:  # 400: the job already ended, nothing to cancel
                raise

    def _project(self, op: Operation) -> str:
        return str(op.change.live_attributes.get("project", HOME_PROJECT))


__all__ = [
    "IN_PROGRESS",
    "FineTuneProvider",
    "FineTuneReader",
    "JobDetails",
    "job_details",
    "job_object",
    "list_jobs",
    "parse_metrics",
]
