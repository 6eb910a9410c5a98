"""The `Eval` kind: OpenAI's CreateEvalRequest (data_source_config, testing_criteria), local.

Registered in `reconciler.models.KINDS`. The hosted Evals API shut down on 2026-11-30, so an
Eval is a definition the reconciler keeps and runs itself (`EvalRun`, `reconciler.evals`);
nothing is stored in the platform and its identity is the digest of its spec. Field names and
grader shapes are OpenAI's, so definitions paste over from OpenAI's docs. `problems()` checks
what needs no other manifest: grader fields, criterion names, template variables against
`item_schema`; `validation.py` checks the graders this engine cannot run.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from reconciler.evals.templates import unknown_variable, variables
from reconciler.models.base import KindInfo, Spec, SpecProblem

MessageRole = Literal["user", "assistant", "system", "developer"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EvalMessage(_Strict):
    """OpenAI's EvalItem: a message of a model grader's input or of a run's template."""

    role: MessageRole = Field(description="user, assistant, system or developer.")
    content: str | dict[str, Any] | list[dict[str, Any]] = Field(
        description="Text (may hold {{item.*}} and {{sample.*}}) or content parts."
    )
    type: Literal["message"] | None = Field(default=None, description="Always `message`.")


class StringCheckGrader(_Strict):
    """Compares `input` with `reference`: eq, ne, like (contains), ilike (any case)."""

    type: Literal["string_check"]
    name: str = Field(min_length=1, description="The criterion's name.")
    input: str = Field(description="The text checked; may include template strings.")
    reference: str = Field(description="The text compared with; may include template strings.")
    operation: Literal["eq", "ne", "like", "ilike"]


class TextSimilarityGrader(_Strict):
    """A similarity metric between `input` and `reference`, passing at `pass_threshold`."""

    type: Literal["text_similarity"]
    name: str = Field(min_length=1)
    input: str = Field(description="The text graded.")
    reference: str = Field(description="The text graded against.")
    evaluation_metric: Literal[
        "cosine",
        "fuzzy_match",
        "bleu",
        "gleu",
        "meteor",
        "rouge_1",
        "rouge_2",
        "rouge_3",
        "rouge_4",
        "rouge_5",
        "rouge_l",
    ]
    pass_threshold: float = Field(description="The score from which an item passes (0..1).")


class ScoreModelGrader(_Strict):
    """A model gives a score in `range` (default [0, 1])."""

    type: Literal["score_model"]
    name: str = Field(min_length=1)
    model: str = Field(min_length=1)
    input: tuple[EvalMessage, ...] = Field(min_length=1)
    range: tuple[float, float] | None = None
    sampling_params: dict[str, Any] | None = None
    pass_threshold: float | None = None


class LabelModelGrader(_Strict):
    """A model picks one of `labels`; an item passes with one of `passing_labels`."""

    type: Literal["label_model"]
    name: str = Field(min_length=1)
    model: str = Field(min_length=1)
    input: tuple[EvalMessage, ...] = Field(min_length=1)
    labels: tuple[str, ...] = Field(min_length=1)
    passing_labels: tuple[str, ...] = Field(min_length=1)


class PythonGrader(_Strict):
    """A Python `grade(sample, item)` function (never run in the reconciler's process)."""

    type: Literal["python"]
    name: str = Field(min_length=1)
    source: str = Field(min_length=1)
    image_tag: str | None = None
    pass_threshold: float | None = None


class MultiGrader(_Strict):
    """Several graders combined by a formula over their scores (by their keys)."""

    type: Literal["multi"]
    name: str = Field(min_length=1)
    graders: dict[str, Any] = Field(min_length=1)
    calculate_output: str = Field(min_length=1)
    pass_threshold: float | None = Field(
        default=None,
        description="The score from which an item passes; without it, when every grader passes.",
    )


Grader = Annotated[
    StringCheckGrader
    | TextSimilarityGrader
    | ScoreModelGrader
    | LabelModelGrader
    | PythonGrader
    | MultiGrader,
    Field(discriminator="type"),
]


class CustomDataSourceConfig(_Strict):
    """The shape of every item (`item_schema`, a JSON Schema) and whether runs sample."""

    type: Literal["custom"] = Field(default="custom", description="Always `custom`.")
    item_schema: dict[str, Any] = Field(description="The JSON Schema of each item.")
    include_sample_schema: bool = Field(
        default=False, description="Runs populate the `sample` namespace by sampling a model."
    )


class EvalSpec(Spec):
    """OpenAI's CreateEvalRequest."""

    name: str | None = Field(default=None, description="A display name (OpenAI's `name`).")
    metadata: dict[str, str] = Field(default_factory=dict, description="Free-form pairs.")
    data_source_config: CustomDataSourceConfig
    testing_criteria: tuple[Grader, ...] = Field(
        min_length=1, description="The graders every run of this eval is scored with."
    )

    def problems(self) -> Iterator[SpecProblem]:
        yield from _schema_problems(self.data_source_config.item_schema)
        seen: set[str] = set()
        for index, grader in enumerate(self.testing_criteria):
            where: tuple[str | int, ...] = ("testing_criteria", index)
            if grader.name in seen:
                yield SpecProblem(
                    (*where, "name"),
                    f"criterion name '{grader.name}' is used twice",
                    "give each criterion its own name: pass rates are reported by name",
                )
            seen.add(grader.name)
            yield from _grader_problems(grader, where)
            yield from self._variable_problems(grader, where)

    def _variable_problems(
        self, grader: BaseModel, where: tuple[str | int, ...]
    ) -> Iterator[SpecProblem]:
        config = self.data_source_config
        templated = grader.model_dump(exclude={"type", "name", "source"}, exclude_none=True)
        for path, variable in variables(templated):
            why = unknown_variable(
                variable, config.item_schema, sample_allowed=config.include_sample_schema
            )
            if why is not None:
                yield SpecProblem(
                    (*where, *path), f"unknown template variable {{{{{variable.text}}}}}", why
                )


def _schema_problems(schema: dict[str, Any]) -> Iterator[SpecProblem]:
    from jsonschema import Draft202012Validator  # type: ignore[import-untyped,import-not-found,unused-ignore]
    from jsonschema.exceptions import SchemaError  # type: ignore[import-untyped,import-not-found,unused-ignore]

    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        yield SpecProblem(
            ("data_source_config", "item_schema", *error.path),
            f"item_schema is not a valid JSON Schema: {error.message}",
        )


def _grader_problems(grader: BaseModel, where: tuple[str | int, ...]) -> Iterator[SpecProblem]:
    if isinstance(grader, TextSimilarityGrader) and not 0 <= grader.pass_threshold <= 1:
        yield SpecProblem(
            (*where, "pass_threshold"),
            f"pass_threshold {grader.pass_threshold} is not between 0 and 1",
            "similarity scores are from 0 to 1",
        )
    if isinstance(grader, ScoreModelGrader) and grader.range is not None:
        low, high = grader.range
        if low >= high:
            yield SpecProblem((*where, "range"), f"range [{low}, {high}] is empty")
        elif grader.pass_threshold is not None and not low <= grader.pass_threshold <= high:
            yield SpecProblem(
                (*where, "pass_threshold"),
                f"pass_threshold {grader.pass_threshold} is outside range [{low}, {high}]",
            )
    if isinstance(grader, MultiGrader):
        yield from _multi_problems(grader, where)
    if isinstance(grader, PythonGrader):
        from reconciler.evals.python_grader import source_problem

        why = source_problem(grader.source)
        if why is not None:
            yield SpecProblem(
                (*where, "source"), why, "def grade(sample: dict, item: dict) -> float: ..."
            )
    if isinstance(grader, LabelModelGrader):
        for index, label in enumerate(grader.passing_labels):
            if label not in grader.labels:
                yield SpecProblem(
                    (*where, "passing_labels", index),
                    f"passing label '{label}' is not one of labels",
                    f"labels are {', '.join(grader.labels)}",
                )


def _multi_problems(grader: MultiGrader, where: tuple[str | int, ...]) -> Iterator[SpecProblem]:
    """Each part is a valid grader; the formula computes from the parts' keys only."""
    from pydantic import TypeAdapter, ValidationError

    from reconciler.evals.formula import check

    adapter: TypeAdapter[Any] = TypeAdapter(Grader)
    for key, part in grader.graders.items():
        try:
            parsed = adapter.validate_python(part)
        except ValidationError as error:
            for found in error.errors():
                yield SpecProblem(
                    (*where, "graders", key, *found["loc"][1:]),
                    f"graders.{key}: {found['msg']}",
                )
            continue
        yield from _grader_problems(parsed, (*where, "graders", key))
    why = check(grader.calculate_output, set(grader.graders))
    if why is not None:
        yield SpecProblem(
            (*where, "calculate_output"),
            why,
            "use + - * / ^, parentheses, numbers, the graders' keys and min max abs floor ceil "
            "exp sqrt log",
        )


KIND = KindInfo(
    kind="Eval",
    spec_model=EvalSpec,
    local_fields=frozenset({"name", "metadata", "data_source_config", "testing_criteria"}),
    identity="local: the digest of its spec (nothing is stored in the platform)",
    delete_verb="forget",
)

__all__ = ["KIND", "EvalMessage", "EvalSpec", "Grader"]
