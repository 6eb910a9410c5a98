"""The `FineTune` kind: a fine-tuning job (`fine_tuning.jobs`) and the model it makes.

Registered in `reconciler.models.KINDS`. Field names are the API's own (`model`,
`training_file`, `method`, `suffix`, `seed`, `metadata`); `training_file`/`validation_file` are
`Dataset/<name>` references, `model` a base model or `FineTune/<name>` (continued training; not
a loader reference field, since a base model id is not `Kind/name`: the planner resolves it).
`problems()` holds the offline checks that need this spec only, with the API's limits from its
OpenAPI document; the checks across resources (the training file's format) are in
`reconciler.validation`. A job is never changed: any spec change is a replace (a new job).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Literal

from pydantic import Field

from reconciler.models.base import KindInfo, Resource, Spec, SpecProblem, parse_reference

# The API's limits (../shared/openapi/openapi.json: FineTune*Hyperparameters, Metadata,
# CreateFineTuningJobRequest.suffix/seed).
N_EPOCHS_RANGE = (1, 50)
BATCH_SIZE_RANGE = (1, 256)
BETA_MAX = 2.0  # DPO beta: > 0 and <= 2
COMPUTE_MULTIPLIER_RANGE = (0.00001, 10.0)  # > 0.00001 and <= 10
SUFFIX_MAX_LENGTH = 64
SEED_MAX = 2_147_483_647
METADATA_MAX_KEYS = 16
METADATA_KEY_MAX_LENGTH = 64
METADATA_VALUE_MAX_LENGTH = 512

OWNERSHIP_TAGS = ("reconciler-stack", "reconciler-name", "reconciler-digest")
"""Keys the reconciler adds to every job's `metadata` (its identity in the live system)."""

FINE_TUNABLE_MODELS: dict[str, tuple[str, ...]] = {
    "gpt-4.1-2025-04-14": ("supervised", "dpo"),
    "gpt-4.1-mini-2025-04-14": ("supervised", "dpo"),
    "gpt-4.1-nano-2025-04-14": ("supervised", "dpo"),
    "gpt-4o-2024-08-06": ("supervised", "dpo"),
    "gpt-4o-mini-2024-07-18": ("supervised", "dpo"),
    "o4-mini-2025-04-16": ("reinforcement",),
}
"""Base models that can be fine-tuned, and their methods (OpenAI's fine-tuning guide)."""

MODEL_ALIASES = {
    "gpt-4.1": "gpt-4.1-2025-04-14",
    "gpt-4.1-mini": "gpt-4.1-mini-2025-04-14",
    "gpt-4.1-nano": "gpt-4.1-nano-2025-04-14",
    "gpt-4o": "gpt-4o-2024-08-06",
    "gpt-4o-mini": "gpt-4o-mini-2024-07-18",
    "o4-mini": "o4-mini-2025-04-16",
}

FORMAT_OF_METHOD = {"supervised": "chat", "dpo": "preference", "reinforcement": "reinforcement"}
"""The training file format each method reads (a Dataset's `format`)."""

Auto = Literal["auto"]
MethodType = Literal["supervised", "dpo", "reinforcement"]


class SupervisedHyperparameters(Spec):
    n_epochs: Auto | int = Field(default="auto", description="Epochs: 'auto' or 1-50.")
    batch_size: Auto | int = Field(default="auto", description="Batch size: 'auto' or 1-256.")
    learning_rate_multiplier: Auto | float = Field(
        default="auto", description="Learning rate multiplier: 'auto' or > 0."
    )


class DpoHyperparameters(SupervisedHyperparameters):
    beta: Auto | float = Field(default="auto", description="DPO beta: 'auto' or in (0, 2].")


class ReinforcementHyperparameters(SupervisedHyperparameters):
    reasoning_effort: Literal["default", "low", "medium", "high"] = "default"
    compute_multiplier: Auto | float = Field(default="auto", description="'auto' or (0, 10].")
    eval_interval: Auto | int = Field(default="auto", description="'auto' or >= 1.")
    eval_samples: Auto | int = Field(default="auto", description="'auto' or >= 1.")


class SupervisedMethod(Spec):
    hyperparameters: SupervisedHyperparameters = Field(default_factory=SupervisedHyperparameters)


class DpoMethod(Spec):
    hyperparameters: DpoHyperparameters = Field(default_factory=DpoHyperparameters)


class ReinforcementMethod(Spec):
    grader: dict[str, Any] = Field(description="The grader, as the API takes it.")
    response_format: dict[str, Any] | None = None
    hyperparameters: ReinforcementHyperparameters = Field(
        default_factory=ReinforcementHyperparameters
    )


class Method(Spec):
    """`method` as the API nests it: `type` and the settings under the type's own key."""

    type: MethodType
    supervised: SupervisedMethod | None = None
    dpo: DpoMethod | None = None
    reinforcement: ReinforcementMethod | None = None

    @property
    def hyperparameters(self) -> SupervisedHyperparameters | None:
        settings = getattr(self, self.type)
        return None if settings is None else settings.hyperparameters


class FineTuneSpec(Spec):
    """A fine-tuning job; a changed spec means a new job (the old model is kept by default)."""

    model: str = Field(
        min_length=1, description="A fine-tunable base model, or `FineTune/<name>` to continue."
    )
    training_file: str = Field(description="A `Dataset/<name>` reference.")
    validation_file: str | None = Field(default=None, description="A `Dataset/<name>` reference.")
    method: Method = Field(
        default_factory=lambda: Method(type="supervised"),
        description="supervised | dpo | reinforcement, as the API nests them.",
    )
    suffix: str | None = Field(default=None, description="Up to 64 characters, in the model name.")
    seed: int | None = Field(default=None, description="0 to 2147483647.")
    metadata: dict[str, str] = Field(
        default_factory=dict, description="User metadata; the stack's ownership tags are added."
    )
    share_with: list[str] = Field(
        default_factory=list, description="`Project/<name>`s given the final checkpoint."
    )
    on_delete: Literal["keep_model", "delete_model"] = Field(
        default="keep_model",
        description="keep_model (default) or delete_model (irreversible) when the job goes.",
    )
    project: str | None = Field(
        default=None, description="A `Project/name` reference; the stack's default if omitted."
    )

    def problems(self) -> Iterator[SpecProblem]:
        yield from _method_problems(self.method)
        yield from _model_problems(self.model, self.method.type)
        yield from _suffix_problems(self.suffix)
        if self.seed is not None and not 0 <= self.seed <= SEED_MAX:
            yield SpecProblem(("seed",), f"seed {self.seed} is outside 0-{SEED_MAX}")
        yield from _metadata_problems(self.metadata)
        if self.validation_file is not None and self.validation_file == self.training_file:
            yield SpecProblem(
                ("validation_file",),
                "the validation file is the training file",
                "validate on examples the model is not trained on",
            )


def canonical_model(model: str) -> str:
    """The dated snapshot an alias trains (`gpt-4o-mini` → `gpt-4o-mini-2024-07-18`)."""
    return MODEL_ALIASES.get(model, model)


def _model_problems(model: str, method: str) -> Iterator[SpecProblem]:
    if parse_reference(model) is not None or model.startswith("ft:"):
        return
    methods = FINE_TUNABLE_MODELS.get(canonical_model(model))
    if methods is None:
        yield SpecProblem(
            ("model",),
            f"'{model}' cannot be fine-tuned",
            "use one of " + ", ".join(FINE_TUNABLE_MODELS) + ", an ft: model or FineTune/<name>",
        )
    elif method not in methods:
        yield SpecProblem(
            ("method", "type"),
            f"'{model}' cannot be fine-tuned with method '{method}'",
            f"it takes {' or '.join(methods)}",
        )


def _method_problems(method: Method) -> Iterator[SpecProblem]:
    for other in FORMAT_OF_METHOD:
        if other != method.type and getattr(method, other) is not None:
            yield SpecProblem(
                ("method", other),
                f"method '{other}' settings given, but method.type is '{method.type}'",
                f"put them under method.{method.type}, or set type: {other}",
            )
    if method.type == "reinforcement" and method.reinforcement is None:
        yield SpecProblem(
            ("method",), "reinforcement fine-tuning needs method.reinforcement.grader"
        )
    hyper = method.hyperparameters
    if hyper is not None:
        yield from _hyperparameter_problems(("method", method.type, "hyperparameters"), hyper)


def _hyperparameter_problems(
    at: tuple[str, ...], hyper: SupervisedHyperparameters
) -> Iterator[SpecProblem]:
    checks: list[tuple[str, Any, str, bool]] = [
        ("n_epochs", hyper.n_epochs, "1-50", _int_in(hyper.n_epochs, *N_EPOCHS_RANGE)),
        ("batch_size", hyper.batch_size, "1-256", _int_in(hyper.batch_size, *BATCH_SIZE_RANGE)),
        (
            "learning_rate_multiplier",
            hyper.learning_rate_multiplier,
            "a number above 0",
            _number_above(hyper.learning_rate_multiplier, 0.0),
        ),
    ]
    if isinstance(hyper, DpoHyperparameters):
        ok = _number_above(hyper.beta, 0.0) and (hyper.beta == "auto" or hyper.beta <= BETA_MAX)
        checks.append(("beta", hyper.beta, "above 0 and at most 2", ok))
    if isinstance(hyper, ReinforcementHyperparameters):
        low, high = COMPUTE_MULTIPLIER_RANGE
        value = hyper.compute_multiplier
        ok = _number_above(value, low) and (value == "auto" or value <= high)
        checks.append(("compute_multiplier", value, "above 0.00001 and at most 10", ok))
        checks.append(
            (
                "eval_interval",
                hyper.eval_interval,
                "1 or more",
                _int_in(hyper.eval_interval, 1, None),
            )
        )
        checks.append(
            ("eval_samples", hyper.eval_samples, "1 or more", _int_in(hyper.eval_samples, 1, None))
        )
    for name, value, allowed, ok in checks:
        if not ok:
            yield SpecProblem(
                (*at, name), f"{name} {value} is out of range", f"use 'auto' or {allowed}"
            )


def _int_in(value: Any, low: int, high: int | None) -> bool:
    if value == "auto":
        return True
    if isinstance(value, bool) or not isinstance(value, int):
        return False
    return value >= low and (high is None or value <= high)


def _number_above(value: Any, low: float) -> bool:
    return value == "auto" or (not isinstance(value, bool) and value > low)


def _suffix_problems(suffix: str | None) -> Iterator[SpecProblem]:
    if suffix is None:
        return
    if not suffix:
        yield SpecProblem(("suffix",), "suffix is empty", "remove it, or give 1-64 characters")
    elif len(suffix) > SUFFIX_MAX_LENGTH:
        yield SpecProblem(
            ("suffix",),
            f"suffix has {len(suffix)} characters; the API takes at most {SUFFIX_MAX_LENGTH}",
        )


def _metadata_problems(metadata: dict[str, str]) -> Iterator[SpecProblem]:
    taken = [key for key in metadata if key in OWNERSHIP_TAGS]
    for key in taken:
        yield SpecProblem(("metadata", key), f"'{key}' is one of the stack's ownership tags")
    room = METADATA_MAX_KEYS - len(OWNERSHIP_TAGS)
    if len(metadata) > room:
        yield SpecProblem(
            ("metadata",),
            f"metadata has {len(metadata)} keys; with the {len(OWNERSHIP_TAGS)} ownership tags "
            f"the job would have {len(metadata) + len(OWNERSHIP_TAGS)}, over the API's "
            f"{METADATA_MAX_KEYS}",
            f"keep at most {room} keys",
        )
    for key, value in metadata.items():
        if len(key) > METADATA_KEY_MAX_LENGTH:
            yield SpecProblem(
                ("metadata", key),
                f"metadata key has {len(key)} characters; the API takes {METADATA_KEY_MAX_LENGTH}",
            )
        if len(value) > METADATA_VALUE_MAX_LENGTH:
            yield SpecProblem(
                ("metadata", key),
                f"metadata value has {len(value)} characters; the API takes "
                f"{METADATA_VALUE_MAX_LENGTH}",
            )


KIND = KindInfo(
    kind="FineTune",
    spec_model=FineTuneSpec,
    reference_fields={
        "training_file": ("Dataset",),
        "validation_file": ("Dataset",),
        "project": ("Project",),
        "share_with": ("Project",),
    },
    local_fields=frozenset({"on_delete", "share_with"}),
    immutable=True,
    delete_irreversible=False,
    delete_verb="cancel",
    identity="ownership tags in the job's metadata (or metadata.id when pinned)",
    depends_on_project=True,
)


def validation_only_datasets(resources: Iterable[Resource]) -> set[str]:
    """The Datasets that FineTunes use as `validation_file` and none as `training_file`: the
    example count rules (at least 10, better 50-100) are not theirs."""
    training: set[str] = set()
    validation: set[str] = set()
    for resource in resources:
        if isinstance(resource.spec, FineTuneSpec):
            training.add(resource.spec.training_file)
            if resource.spec.validation_file is not None:
                validation.add(resource.spec.validation_file)
    return validation - training
