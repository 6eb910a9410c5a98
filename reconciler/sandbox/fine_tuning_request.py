"""Checks of `POST /fine_tuning/jobs` bodies: parameters, method and hyperparameter bounds.

`fine_tuning.create_job` calls `parse_job_request` on the JSON body; it answers a `JobRequest`
(the normalised `method`, the legacy top-level `hyperparameters` mirror and the other fields) or
raises the 400 the real API gives, naming the offending parameter.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from .http import check_metadata, check_params, check_range, check_type, invalid

Obj = dict[str, Any]

CREATE_PARAMS = (
    "model",
    "training_file",
    "validation_file",
    "hyperparameters",
    "method",
    "suffix",
    "seed",
    "integrations",
    "metadata",
)
METHOD_TYPES = ("supervised", "dpo", "reinforcement")
SEED_MAX = 2147483647
SUFFIX_MAX = 64
_COMMON_HYPERPARAMETERS = ("batch_size", "learning_rate_multiplier", "n_epochs")
_HYPERPARAMETERS = {
    "supervised": _COMMON_HYPERPARAMETERS,
    "dpo": (*_COMMON_HYPERPARAMETERS, "beta"),
    "reinforcement": (
        *_COMMON_HYPERPARAMETERS,
        "reasoning_effort",
        "compute_multiplier",
        "eval_interval",
        "eval_samples",
    ),
}
_REASONING_EFFORTS = ("default", "low", "medium", "high")


@dataclass(frozen=True)
class JobRequest:
    """A validated job request; `method` is always explicit (supervised when omitted)."""

    model: str
    training_file: str
    validation_file: str | None
    method: Obj
    suffix: str | None
    seed: int
    integrations: list[Obj] | None
    metadata: dict[str, str] | None

    @property
    def method_type(self) -> str:
        return str(self.method["type"])

    @property
    def hyperparameters(self) -> Obj:
        """The hyperparameters under `method.<type>` (what training uses)."""
        section: Obj = self.method[self.method_type]
        hyperparameters: Obj = section["hyperparameters"]
        return hyperparameters


def parse_job_request(body: Obj) -> JobRequest:
    check_params(body, allowed=CREATE_PARAMS, required=("model", "training_file"))
    check_type(body["model"], str, "model")
    check_type(body["training_file"], str, "training_file")
    validation_file = body.get("validation_file")
    if validation_file is not None:
        check_type(validation_file, str, "validation_file")
    check_metadata(body.get("metadata"))
    return JobRequest(
        model=body["model"],
        training_file=body["training_file"],
        validation_file=validation_file,
        method=_method(body.get("method"), body.get("hyperparameters")),
        suffix=_suffix(body.get("suffix")),
        seed=_seed(body.get("seed")),
        integrations=_integrations(body.get("integrations")),
        metadata=body.get("metadata"),
    )


# -- method and hyperparameters ------------------------------------------------------------------


def _method(method: Any, legacy: Any) -> Obj:
    """`method` as given, or the legacy top-level `hyperparameters` as a supervised method."""
    if method is None:
        hyperparameters = _hyperparameters(legacy, "supervised", "hyperparameters")
        return {"type": "supervised", "supervised": {"hyperparameters": hyperparameters}}
    check_type(method, dict, "method")
    kind = method.get("type")
    if kind is None:
        raise invalid(
            "Missing required parameter: 'method.type'.",
            param="method.type",
            code="missing_required_parameter",
        )
    if kind not in METHOD_TYPES:
        raise invalid(
            f"Invalid value: '{kind}'. Supported values are: 'supervised', 'dpo', and "
            "'reinforcement'.",
            param="method.type",
            code="invalid_value",
        )
    check_params(method, allowed=("type", kind))
    if legacy is not None:
        raise invalid(
            "The top-level 'hyperparameters' parameter is deprecated and cannot be combined "
            f"with 'method'; set them under 'method.{kind}.hyperparameters' instead.",
            param="hyperparameters",
        )
    return {"type": kind, kind: _method_section(method.get(kind), kind)}


def _method_section(section: Any, kind: str) -> Obj:
    param = f"method.{kind}"
    if section is None:
        section = {}
    check_type(section, dict, param)
    allowed = ("hyperparameters", "grader") if kind == "reinforcement" else ("hyperparameters",)
    _check_keys(section, allowed, param)
    result: Obj = {
        "hyperparameters": _hyperparameters(
            section.get("hyperparameters"), kind, f"{param}.hyperparameters"
        )
    }
    if kind == "reinforcement":
        result["grader"] = _grader(section.get("grader"), f"{param}.grader")
    return result


def _grader(grader: Any, param: str) -> Obj:
    if grader is None:
        raise invalid(
            f"Missing required parameter: '{param}'.",
            param=param,
            code="missing_required_parameter",
        )
    check_type(grader, dict, param)
    if not isinstance(grader.get("type"), str):
        raise invalid(
            f"Missing required parameter: '{param}.type'.",
            param=f"{param}.type",
            code="missing_required_parameter",
        )
    return dict(grader)


def _hyperparameters(value: Any, kind: str, param: str) -> Obj:
    if value is None:
        value = {}
    check_type(value, dict, param)
    _check_keys(value, _HYPERPARAMETERS[kind], param)
    result: Obj = {name: "auto" for name in _COMMON_HYPERPARAMETERS}
    if kind == "dpo":
        result["beta"] = "auto"
    for name, given in value.items():
        result[name] = _hyperparameter(name, given, f"{param}.{name}")
    return result


def _hyperparameter(name: str, value: Any, param: str) -> Any:
    if name == "reasoning_effort":
        if value not in _REASONING_EFFORTS:
            raise invalid(
                f"Invalid value: '{value}'. Supported values are: 'default', 'low', 'medium', "
                "and 'high'.",
                param=param,
                code="invalid_value",
            )
        return value
    if value == "auto":
        return value
    if name in ("n_epochs", "batch_size", "eval_interval", "eval_samples"):
        _check_auto_or(value, int, param)
        maximum = {"n_epochs": 50, "batch_size": 256}.get(name)
        check_range(value, param, minimum=1, maximum=maximum)
        return value
    _check_auto_or(value, (int, float), param)
    if value <= 0:
        raise invalid(
            f"Invalid '{param}': number must be greater than 0, but got {value} instead.",
            param=param,
            code="number_below_min_value",
        )
    ceiling = {"beta": 2.0, "compute_multiplier": 10.0}.get(name)
    if ceiling is not None:
        check_range(value, param, maximum=ceiling)
    return value


def _check_auto_or(value: Any, expected: type | tuple[type, ...], param: str) -> None:
    types = expected if isinstance(expected, tuple) else (expected,)
    if isinstance(value, bool) or not isinstance(value, types):
        wanted = "an integer" if types == (int,) else "a number"
        raise invalid(
            f"Invalid value for '{param}': expected 'auto' or {wanted}, but got {value!r}.",
            param=param,
            code="invalid_value",
        )


def _check_keys(value: Obj, allowed: tuple[str, ...], param: str) -> None:
    for key in value:
        if key not in allowed:
            raise invalid(
                f"Unknown parameter: '{param}.{key}'.",
                param=f"{param}.{key}",
                code="unknown_parameter",
            )


# -- the other fields ----------------------------------------------------------------------------


def _suffix(suffix: Any) -> str | None:
    if suffix is None:
        return None
    check_type(suffix, str, "suffix")
    if not suffix:
        raise invalid(
            "Invalid 'suffix': string too short. Expected a string with minimum length 1, but "
            "got an empty string instead.",
            param="suffix",
            code="string_below_min_length",
        )
    if len(suffix) > SUFFIX_MAX:
        raise invalid(
            f"Invalid 'suffix': string too long. Expected a string with maximum length "
            f"{SUFFIX_MAX}, but got a string with length {len(suffix)} instead.",
            param="suffix",
            code="string_above_max_length",
        )
    return str(suffix)


def _seed(seed: Any) -> int:
    if seed is None:
        return random.randint(0, SEED_MAX)
    check_type(seed, int, "seed")
    check_range(seed, "seed", minimum=0, maximum=SEED_MAX)
    result: int = seed
    return result


def _integrations(integrations: Any) -> list[Obj] | None:
    if integrations is None:
        return None
    check_type(integrations, list, "integrations")
    if len(integrations) > 5:
        raise invalid(
            f"Invalid 'integrations': array too long. Expected an array with maximum length 5, "
            f"but got an array with length {len(integrations)} instead.",
            param="integrations",
            code="array_above_max_length",
        )
    return [_integration(item, f"integrations[{index}]") for index, item in enumerate(integrations)]


def _integration(item: Any, param: str) -> Obj:
    check_type(item, dict, param)
    _check_keys(item, ("type", "wandb"), param)
    if item.get("type") != "wandb":
        raise invalid(
            f"Invalid value: '{item.get('type')}'. Supported values are: 'wandb'.",
            param=f"{param}.type",
            code="invalid_value",
        )
    wandb = item.get("wandb")
    check_type(wandb, dict, f"{param}.wandb")
    _check_keys(wandb, ("project", "name", "entity", "tags"), f"{param}.wandb")
    check_type(wandb.get("project"), str, f"{param}.wandb.project")
    return {
        "type": "wandb",
        "wandb": {
            "project": wandb["project"],
            "name": wandb.get("name"),
            "entity": wandb.get("entity"),
            "tags": list(wandb.get("tags") or []),
        },
    }
