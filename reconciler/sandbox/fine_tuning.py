"""Sandbox routes of the fine-tuning API: `/v1/fine_tuning/jobs...` and checkpoint permissions.

`create_app` mounts `ROUTES`. A job is checked at creation (`fine_tuning_request`, the files, the
base model, the data in `fine_tuning_data`), then moves along its schedule lazily: every handler
that reads a job calls `fine_tuning_lifecycle.refresh` first. Checkpoint permissions (admin keys)
live in `fine_tuning_permissions`.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from . import fine_tuning_lifecycle as lifecycle
from . import fine_tuning_permissions
from .file_records import read_file
from .fine_tuning_data import DataError, DataReport, check_data
from .fine_tuning_request import JobRequest, parse_job_request
from .http import APIError, caller, invalid, json_body, json_response, paginate, sandbox_of
from .models import FINE_TUNABLE_BASES, snapshot_of
from .store import new_id

Obj = dict[str, Any]

JOB_KIND = "fine_tuning.job"
FINE_TUNABLE_MODELS = FINE_TUNABLE_BASES  # dated snapshots; aliases resolve to them
REINFORCEMENT_MODELS = ("o4-mini-2025-04-16",)
TRAINING_NOT_AVAILABLE = (
    "OpenAI is winding down the fine-tuning platform and your organization is no longer able to "
    "create new fine-tuning training jobs."
)
FINISHED = ("succeeded", "failed", "cancelled")


# -- create --------------------------------------------------------------------------------------


async def create_job(request: Request) -> Response:
    who = caller(request)
    sandbox = sandbox_of(request)
    body = await json_body(request)
    if sandbox.switch("training_not_available"):
        raise APIError(403, TRAINING_NOT_AVAILABLE, code="training_not_available")
    job_request = parse_job_request(body)
    base_model = _check_model(sandbox, who.project_id, job_request)
    training = _check_file(sandbox, who.project_id, job_request.training_file, "training_file")
    validation = None
    if job_request.validation_file is not None:
        validation = _check_file(
            sandbox, who.project_id, job_request.validation_file, "validation_file"
        )
    job = _new_job(sandbox, job_request, base_model)
    plan = _plan(sandbox, job, job_request, base_model, training, validation)
    state = lifecycle.new_state(job, plan)
    lifecycle.save(sandbox, who.project_id, job, state)
    return json_response(lifecycle.refresh(sandbox, who.project_id, job, state))


def _check_model(sandbox: Any, project_id: str, job_request: JobRequest) -> str:
    """The base model training starts from (an alias resolved to its snapshot); 400 unless it
    may be fine-tuned by this project."""
    model = job_request.model
    allowed = (
        REINFORCEMENT_MODELS if job_request.method_type == "reinforcement" else FINE_TUNABLE_MODELS
    )
    if model.startswith("ft:"):
        source = sandbox.store.get("ft_model_source", model, scope=project_id)
        exists = sandbox.store.get("model", model, scope=project_id) is not None
        if exists and source is not None and source["base_model"] in allowed:
            return str(source["base_model"])
    elif snapshot_of(model) in allowed:
        return snapshot_of(model)
    raise invalid(
        f"Model {model} is not available for fine-tuning or does not exist.",
        param="model",
        code="model_not_available",
    )


def _check_file(sandbox: Any, project_id: str, file_id: str, param: str) -> bytes:
    try:
        file, data = read_file(sandbox, project_id, file_id)
    except APIError:
        raise invalid(f"invalid {param}: {file_id}", param=param) from None
    if file["purpose"] != "fine-tune":
        raise invalid(
            f"Invalid file purpose for {param} {file_id}: expected 'fine-tune', got "
            f"'{file['purpose']}'.",
            param=param,
            code="invalid_file_purpose",
        )
    if file["status"] != "processed":
        raise invalid(
            f"File {file_id} is still being processed and is not ready for fine-tuning; try "
            "again later.",
            param=param,
            code="file_not_ready",
        )
    return data


def _new_job(sandbox: Any, job_request: JobRequest, base_model: str) -> Obj:
    """The public job; `model` names the snapshot when the request named an alias."""
    requested = job_request.hyperparameters
    model = job_request.model if job_request.model.startswith("ft:") else base_model
    return {
        "object": "fine_tuning.job",
        "id": new_id("ftjob-"),
        "model": model,
        "created_at": sandbox.clock.now(),
        "finished_at": None,
        "fine_tuned_model": None,
        "organization_id": sandbox.org_id,
        "result_files": [],
        "status": "validating_files",
        "training_file": job_request.training_file,
        "validation_file": job_request.validation_file,
        "hyperparameters": {
            name: requested[name] for name in ("batch_size", "learning_rate_multiplier", "n_epochs")
        },
        "trained_tokens": None,
        "error": None,
        "integrations": job_request.integrations,
        "seed": job_request.seed,
        "estimated_finish": None,
        "method": job_request.method,
        "metadata": job_request.metadata,
        "user_provided_suffix": job_request.suffix,
    }


def _plan(
    sandbox: Any,
    job: Obj,
    job_request: JobRequest,
    base_model: str,
    training: bytes,
    validation: bytes | None,
) -> Obj:
    """Everything the schedule needs, fixed now: data checks, resolved hyperparameters, names."""
    method = job_request.method_type
    report = check_data(training, method, param="training_file")
    valid_report: DataReport | DataError | None = None
    if validation is not None:
        valid_report = check_data(validation, method, param="validation_file")
    failure = next((r for r in (report, valid_report) if isinstance(r, DataError)), None)
    examples = report.count if isinstance(report, DataReport) else 0
    tokens = report.tokens if isinstance(report, DataReport) else 0
    return {
        "failure": failure.as_obj() if failure is not None else None,
        "examples": examples,
        "example_tokens": tokens,
        "hyperparameters": lifecycle.resolve_hyperparameters(
            job_request.hyperparameters, examples, method
        ),
        "has_validation": validation is not None,
        "model_name": _model_name(sandbox, base_model, job_request.suffix),
        "base_model": base_model,
        "seed": job["seed"],
    }


def _model_name(sandbox: Any, base_model: str, suffix: str | None) -> str:
    """`ft:<base>:<org>:<suffix>:<8 chars>`, as the real API names fine-tuned models."""
    org = str(sandbox.org_id).removeprefix("org-")
    return f"ft:{base_model}:{org}:{suffix or ''}:{new_id('', 8)}"


# -- read ----------------------------------------------------------------------------------------


def load_job(request: Request) -> tuple[str, Obj, Obj]:
    """(project id, refreshed job, its private state) of the path's job, or the real 404."""
    who = caller(request)
    sandbox = sandbox_of(request)
    job_id = request.path_params["fine_tuning_job_id"]
    job = sandbox.store.get(JOB_KIND, job_id, scope=who.project_id)
    state = sandbox.store.get(lifecycle.STATE_KIND, job_id, scope=who.project_id)
    if job is None or state is None:
        raise APIError(
            404,
            f"Could not find fine tune: {job_id}",
            param="fine_tune_id",
            code="fine_tune_not_found",
        )
    return who.project_id, lifecycle.refresh(sandbox, who.project_id, job, state), state


async def retrieve_job(request: Request) -> Response:
    _, job, _ = load_job(request)
    return json_response(job)


async def list_jobs(request: Request) -> Response:
    who = caller(request)
    sandbox = sandbox_of(request)
    wanted = _metadata_filter(request)
    jobs = []
    for job in sandbox.store.list(JOB_KIND, scope=who.project_id):
        state = sandbox.store.get(lifecycle.STATE_KIND, job["id"], scope=who.project_id)
        if state is not None:
            job = lifecycle.refresh(sandbox, who.project_id, job, state)
        if _matches(job.get("metadata"), wanted):
            jobs.append(job)
    return paginate(request, jobs, default_limit=20, has_order=False)


def _metadata_filter(request: Request) -> dict[str, str] | None:
    """`metadata[k]=v` pairs (deepObject style, as the SDK sends them); None = `metadata=null`."""
    if request.query_params.get("metadata") == "null":
        return None
    pairs = {}
    for key, value in request.query_params.multi_items():
        if key.startswith("metadata[") and key.endswith("]"):
            pairs[key[len("metadata[") : -1]] = value
    return pairs


def _matches(metadata: dict[str, str] | None, wanted: dict[str, str] | None) -> bool:
    if wanted is None:
        return not metadata
    return all((metadata or {}).get(key) == value for key, value in wanted.items())


async def list_events(request: Request) -> Response:
    _, _, state = load_job(request)
    return paginate(request, state["events"], default_limit=20, has_order=False)


async def list_checkpoints(request: Request) -> Response:
    _, _, state = load_job(request)
    return paginate(request, state["checkpoints"], default_limit=10, has_order=False)


# -- cancel, pause, resume -----------------------------------------------------------------------


async def cancel_job(request: Request) -> Response:
    project_id, job, state = load_job(request)
    if job["status"] in FINISHED:
        raise invalid(
            f"Cannot cancel a job that has already finished (status: {job['status']}).",
            param="fine_tuning_job_id",
        )
    now = sandbox_of(request).clock.now()
    if lifecycle.is_paused(state):
        state["pauses"][-1][1] = now
    job.update(status="cancelled", estimated_finish=None)
    state["cancelled_at"] = now
    lifecycle.add_event(state, now, "Fine-tuning job cancelled")
    lifecycle.save(sandbox_of(request), project_id, job, state)
    return json_response(job)


async def pause_job(request: Request) -> Response:
    project_id, job, state = load_job(request)
    if job["status"] != "running" or lifecycle.is_paused(state):
        already = " It is already paused." if lifecycle.is_paused(state) else ""
        raise invalid(
            f"Only running jobs can be paused; job {job['id']} has status "
            f"'{job['status']}'.{already}",
            param="fine_tuning_job_id",
        )
    now = sandbox_of(request).clock.now()
    state["pauses"].append([now, None])
    job["estimated_finish"] = None
    lifecycle.add_event(state, now, "Fine-tuning job paused")
    lifecycle.save(sandbox_of(request), project_id, job, state)
    return json_response(job)


async def resume_job(request: Request) -> Response:
    project_id, job, state = load_job(request)
    if job["status"] in FINISHED or not lifecycle.is_paused(state):
        raise invalid(
            f"Only paused jobs can be resumed; job {job['id']} is not paused "
            f"(status '{job['status']}').",
            param="fine_tuning_job_id",
        )
    now = sandbox_of(request).clock.now()
    state["pauses"][-1][1] = now
    lifecycle.add_event(state, now, "Fine-tuning job resumed")
    job["estimated_finish"] = lifecycle.estimated_finish(job, state)
    lifecycle.save(sandbox_of(request), project_id, job, state)
    return json_response(job)


ROUTES: list[BaseRoute] = [
    Route("/fine_tuning/jobs", create_job, methods=["POST"]),
    Route("/fine_tuning/jobs", list_jobs, methods=["GET"]),
    Route("/fine_tuning/jobs/{fine_tuning_job_id}", retrieve_job, methods=["GET"]),
    Route("/fine_tuning/jobs/{fine_tuning_job_id}/cancel", cancel_job, methods=["POST"]),
    Route("/fine_tuning/jobs/{fine_tuning_job_id}/pause", pause_job, methods=["POST"]),
    Route("/fine_tuning/jobs/{fine_tuning_job_id}/resume", resume_job, methods=["POST"]),
    Route("/fine_tuning/jobs/{fine_tuning_job_id}/events", list_events, methods=["GET"]),
    Route("/fine_tuning/jobs/{fine_tuning_job_id}/checkpoints", list_checkpoints, methods=["GET"]),
    *fine_tuning_permissions.ROUTES,
]
