"""The fine-tuning job lifecycle on the sandbox clock: validating_files → queued → running → done.

`fine_tuning.py` creates a job with `new_state` (the training plan, fixed at creation) and calls
`refresh` before every read: it applies the plan's milestones whose time has come (status changes,
events, checkpoints, the result file, the fine-tuned "model" records) and persists the job. Time
is sandbox seconds from `created_at`; a pause shifts every later milestone by its length.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import fine_tuning_metrics as metrics
from .fine_tuning_metrics import steps_per_epoch, total_steps
from .store import new_id

if TYPE_CHECKING:
    from .state import Sandbox

Obj = dict[str, Any]

STATE_KIND = "ft_job_state"
VALIDATE_S = 10.0  # validating_files → queued (or failed)
QUEUE_S = 10.0  # queued → running
WARMUP_S = 30.0  # running: before the first step
STEP_S = 1.2  # per training step ...
MAX_STEPS_S = 3540.0  # ... but at most an hour of steps
WRAP_UP_S = 30.0  # last step → succeeded (model created, usage-policy evaluation)
MAX_METRIC_EVENTS = 100
CHECKPOINT_EPOCHS = 3  # checkpoints of the last three epochs are kept, as the real API does


@dataclass(frozen=True)
class Milestone:
    """Something that happens `offset` sandbox seconds of job time after `created_at`."""

    offset: float
    action: str  # event | queued | running | metrics | checkpoint | succeed | fail
    message: str = ""
    level: str = "info"
    step: int = 0


# -- the plan ----------------------------------------------------------------------------------


def new_state(job: Obj, plan: Obj) -> Obj:
    """Private bookkeeping of a job: its plan, pauses, applied milestones, events, checkpoints."""
    return {
        "id": job["id"],
        "plan": plan,
        "pauses": [],
        "applied": 0,
        "cancelled_at": None,
        "events": [],
        "checkpoints": [],
    }


def resolve_hyperparameters(requested: Obj, examples: int, method_type: str) -> Obj:
    """Replace "auto" by the values training uses (as the real API shows once queued)."""
    resolved = dict(requested)
    if resolved.get("n_epochs") == "auto":
        resolved["n_epochs"] = min(10, max(3, math.ceil(100 / max(examples, 1))))
    if resolved.get("batch_size") == "auto":
        resolved["batch_size"] = min(256, max(1, round(examples * 0.002)))
    if resolved.get("learning_rate_multiplier") == "auto":
        resolved["learning_rate_multiplier"] = 2.0 if resolved["batch_size"] <= 8 else 1.0
    if method_type == "dpo" and resolved.get("beta") == "auto":
        resolved["beta"] = 0.1
    return resolved


def milestones(job: Obj, plan: Obj) -> list[Milestone]:
    """The whole schedule of a job, computed from its plan alone (so it never changes)."""
    files = f"Validating training file: {job['training_file']}"
    if job.get("validation_file"):
        files += f" and validation file: {job['validation_file']}"
    start = [
        Milestone(0, "event", f"Created fine-tuning job: {job['id']}"),
        Milestone(0, "event", files),
    ]
    if plan["failure"] is not None:
        failure = plan["failure"]["message"]
        return [*start, Milestone(VALIDATE_S, "fail", failure, level="error")]
    return [
        *start,
        Milestone(VALIDATE_S, "queued", "Files validated, moving job to queued state"),
        Milestone(VALIDATE_S + QUEUE_S, "running", "Fine-tuning job started"),
        *_training(plan),
        *_wrap_up(plan),
    ]


def _step_offset(plan: Obj, step: int) -> float:
    steps = total_steps(plan)
    per_step = min(STEP_S, MAX_STEPS_S / steps)
    return VALIDATE_S + QUEUE_S + WARMUP_S + step * per_step


def _training(plan: Obj) -> list[Milestone]:
    steps = total_steps(plan)
    interval = max(1, math.ceil(steps / MAX_METRIC_EVENTS))
    per_epoch = steps_per_epoch(plan)
    epochs = plan["hyperparameters"]["n_epochs"]
    checkpoints = {per_epoch * e for e in range(max(1, epochs - CHECKPOINT_EPOCHS + 1), epochs + 1)}
    result: list[Milestone] = []
    for step in range(1, steps + 1):
        if step % interval == 0 or step == steps or step == 1:
            point = metrics.at_step(plan, step)
            message = f"Step {step}/{steps}: {metrics.describe(point)}"
            result.append(Milestone(_step_offset(plan, step), "metrics", message, step=step))
        if step in checkpoints:
            result.append(Milestone(_step_offset(plan, step), "checkpoint", step=step))
    return result


def _wrap_up(plan: Obj) -> list[Milestone]:
    end = _step_offset(plan, total_steps(plan))
    return [
        Milestone(end + 15, "event", f"New fine-tuned model created: {plan['model_name']}"),
        Milestone(end + 20, "event", "Evaluating model against our usage policies before enabling"),
        Milestone(
            end + WRAP_UP_S,
            "event",
            "Usage policy evaluations completed, model is now enabled for sampling",
        ),
        Milestone(end + WRAP_UP_S, "succeed", "The job has successfully completed"),
    ]


# -- time ----------------------------------------------------------------------------------------


def wall_time(job: Obj, state: Obj, offset: float) -> float:
    """Sandbox time of a job-time offset: later than `created_at + offset` by every pause."""
    moment = job["created_at"] + offset
    for start, end in state["pauses"]:
        if start < moment:
            if end is None:
                return math.inf
            moment += end - start
    return float(moment)


def is_paused(state: Obj) -> bool:
    return bool(state["pauses"]) and state["pauses"][-1][1] is None


def estimated_finish(job: Obj, state: Obj) -> int | None:
    if job["status"] != "running" or is_paused(state):
        return None
    finish = wall_time(job, state, milestones(job, state["plan"])[-1].offset)
    return math.ceil(finish)


# -- applying milestones ---------------------------------------------------------------------------


def refresh(sandbox: Sandbox, project_id: str, job: Obj, state: Obj) -> Obj:
    """Apply every milestone due by now; persist and return the job."""
    if job["status"] in ("succeeded", "failed", "cancelled"):
        return job
    now = sandbox.clock.now()
    schedule = milestones(job, state["plan"])
    changed = False
    while state["applied"] < len(schedule):
        milestone = schedule[state["applied"]]
        moment = wall_time(job, state, milestone.offset)
        if moment > now:
            break
        _apply(sandbox, project_id, job, state, milestone, int(moment))
        state["applied"] += 1
        changed = True
    job["estimated_finish"] = estimated_finish(job, state)
    if changed:
        save(sandbox, project_id, job, state)
    return job


def save(sandbox: Sandbox, project_id: str, job: Obj, state: Obj) -> None:
    with sandbox.store.transaction():
        sandbox.store.put("fine_tuning.job", job, scope=project_id)
        sandbox.store.put(STATE_KIND, state, scope=project_id)


def add_event(
    state: Obj, moment: int, message: str, *, level: str = "info", data: Obj | None = None
) -> None:
    state["events"].append(
        {
            "object": "fine_tuning.job.event",
            "id": new_id("ftevent-"),
            "created_at": moment,
            "level": level,
            "message": message,
            "data": data if data is not None else {},
            "type": "metrics" if data else "message",
        }
    )


def _apply(
    sandbox: Sandbox, project_id: str, job: Obj, state: Obj, milestone: Milestone, moment: int
) -> None:
    plan = state["plan"]
    if milestone.action == "metrics":
        point = metrics.at_step(plan, milestone.step)
        add_event(state, moment, milestone.message, data=metrics.event_data(point, plan))
        return
    if milestone.action == "checkpoint":
        _add_checkpoint(job, state, milestone.step, moment)
        return
    if milestone.action == "queued":
        job["status"] = "queued"
        _show_resolved_hyperparameters(job, plan["hyperparameters"])
    elif milestone.action == "running":
        job["status"] = "running"
    elif milestone.action == "fail":
        job.update(status="failed", error=plan["failure"], finished_at=moment)
    elif milestone.action == "succeed":
        _succeed(sandbox, project_id, job, state, moment)
    add_event(state, moment, milestone.message, level=milestone.level)


def _show_resolved_hyperparameters(job: Obj, resolved: Obj) -> None:
    kind = job["method"]["type"]
    job["method"][kind]["hyperparameters"].update(resolved)
    job["hyperparameters"] = {
        name: resolved[name] for name in ("batch_size", "learning_rate_multiplier", "n_epochs")
    }


def _add_checkpoint(job: Obj, state: Obj, step: int, moment: int) -> None:
    name = f"{state['plan']['model_name']}:ckpt-step-{step}"
    state["checkpoints"].append(
        {
            "object": "fine_tuning.job.checkpoint",
            "id": new_id("ftckpt_"),
            "created_at": moment,
            "fine_tuned_model_checkpoint": name,
            "step_number": step,
            "metrics": metrics.checkpoint_metrics(
                metrics.at_step(state["plan"], step), state["plan"]
            ),
            "fine_tuning_job_id": job["id"],
        }
    )
    add_event(state, moment, f"Checkpoint created at step {step} with Snapshot ID: {name}")


def _succeed(sandbox: Sandbox, project_id: str, job: Obj, state: Obj, moment: int) -> None:
    from .file_records import create_file

    plan = state["plan"]
    result = create_file(
        sandbox, project_id, "step_metrics.csv", "fine-tune-results", metrics.result_file(plan)
    )
    job.update(
        status="succeeded",
        finished_at=moment,
        fine_tuned_model=plan["model_name"],
        trained_tokens=plan["example_tokens"] * plan["hyperparameters"]["n_epochs"],
        result_files=[result["id"]],
    )
    names = [plan["model_name"], *(c["fine_tuned_model_checkpoint"] for c in state["checkpoints"])]
    for name in names:
        _add_model(sandbox, project_id, job, plan, name, moment)


def _add_model(
    sandbox: Sandbox, project_id: str, job: Obj, plan: Obj, name: str, moment: int
) -> None:
    base = sandbox.store.get("model", plan["base_model"], scope="") or {}
    model = {
        "id": name,
        "object": "model",
        "created": moment,
        "owned_by": sandbox.org_id,
        "shutdown_date": base.get("shutdown_date"),
    }
    source = {
        "id": name,
        "base_model": plan["base_model"],
        "training_file": job["training_file"],
        "project_id": project_id,
        "job_id": job["id"],
    }
    sandbox.store.put("model", model, scope=project_id)
    sandbox.store.put("ft_model_source", source, scope=project_id)
