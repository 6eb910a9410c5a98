"""Training metrics of a sandbox fine-tuning job: a deterministic, plausible loss curve.

`fine_tuning_lifecycle` asks for the metrics of a step (`at_step`) to write metrics events and
checkpoints, and for the result file (`result_file`): the real API's `step_metrics.csv`
(columns step, train_loss, train_accuracy, valid_loss, valid_mean_token_accuracy), which the real
API serves base64-encoded, so the sandbox does too.
"""

from __future__ import annotations

import base64
import math
import random
from typing import Any

Obj = dict[str, Any]

CSV_HEADER = "step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy"
VALID_EVERY = 10  # steps between two validation-loss measurements


def steps_per_epoch(plan: Obj) -> int:
    batch_size: int = plan["hyperparameters"]["batch_size"]
    return math.ceil(int(plan["examples"]) / batch_size)


def total_steps(plan: Obj) -> int:
    return int(steps_per_epoch(plan) * plan["hyperparameters"]["n_epochs"])


def at_step(plan: Obj, step: int) -> Obj:
    """Losses and accuracies at `step` (the same numbers every time for the same job)."""
    train_loss = _train_loss(plan, step)
    point: Obj = {
        "step": step,
        "train_loss": train_loss,
        "train_accuracy": _accuracy(train_loss),
    }
    if plan["has_validation"] and (step % VALID_EVERY == 0 or step == total_steps(plan)):
        point["valid_loss"] = _valid_loss(plan, step)
        point["valid_mean_token_accuracy"] = _accuracy(point["valid_loss"])
    return point


def _train_loss(plan: Obj, step: int) -> float:
    progress = step / total_steps(plan)
    noise = random.Random(plan["seed"] * 1_000_003 + step).uniform(-0.06, 0.06)
    return round(max(1.8 * math.exp(-3.5 * progress) + 0.08 + noise, 0.001), 5)


def _valid_loss(plan: Obj, step: int) -> float:
    noise = random.Random(plan["seed"] * 7_000_003 + step).uniform(-0.03, 0.03)
    return round(max(_train_loss(plan, step) * 1.15 + 0.05 + noise, 0.001), 5)


def _accuracy(loss: float) -> float:
    return round(min(1.0, max(0.0, 1.0 - loss / 2.4)), 5)


def describe(point: Obj) -> str:
    text = f"training loss={point['train_loss']:.2f}"
    if "valid_loss" in point:
        text += f", validation loss={point['valid_loss']:.2f}"
    return text


def event_data(point: Obj, plan: Obj) -> Obj:
    """The `data` of a metrics event, with the keys the real API uses."""
    data: Obj = {
        "step": point["step"],
        "train_loss": point["train_loss"],
        "total_steps": total_steps(plan),
        "train_mean_token_accuracy": point["train_accuracy"],
    }
    if "valid_loss" in point:
        data["valid_loss"] = point["valid_loss"]
        data["valid_mean_token_accuracy"] = point["valid_mean_token_accuracy"]
    return data


def checkpoint_metrics(point: Obj, plan: Obj) -> Obj:
    """A checkpoint's `metrics`: numbers only (the schema allows no nulls there)."""
    result: Obj = {
        "step": float(point["step"]),
        "train_loss": point["train_loss"],
        "train_mean_token_accuracy": point["train_accuracy"],
    }
    if plan["has_validation"]:
        valid_loss = _valid_loss(plan, point["step"])
        result["valid_loss"] = valid_loss
        result["valid_mean_token_accuracy"] = _accuracy(valid_loss)
        result["full_valid_loss"] = round(valid_loss * 1.02, 5)
        result["full_valid_mean_token_accuracy"] = _accuracy(valid_loss * 1.02)
    return result


def result_file(plan: Obj) -> bytes:
    """`step_metrics.csv` for every step, base64-encoded like the real API's result files."""
    lines = [CSV_HEADER]
    for step in range(1, total_steps(plan) + 1):
        point = at_step(plan, step)
        valid = (
            f"{point['valid_loss']},{point['valid_mean_token_accuracy']}"
            if "valid_loss" in point
            else ","
        )
        lines.append(f"{step},{point['train_loss']},{point['train_accuracy']},{valid}")
    return base64.b64encode(("\n".join(lines) + "\n").encode())
