"""The `EvalRun` kind: one run of an Eval, OpenAI's run `data_source` shapes, run locally.

Registered in `reconciler.models.KINDS`. The reconciler samples the model (`via: responses`:
one Responses or Chat Completions call per item) and grades locally (`reconciler.evals`). Its
identity is a digest of what decides the result (the Eval's spec, the items' content, the
resolved model id, the template, the sampling params): a new digest is a new run (replace),
and the old run's summary stays readable. Where results live: `docs/evals.md`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from reconciler.models.base import KindInfo, Spec, SpecProblem
from reconciler.models.eval import EvalMessage


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FileIdSource(_Strict):
    """The items of a Dataset of this stack (read locally, line by line)."""

    type: Literal["file_id"]
    id: str = Field(description="A `Dataset/name` reference (its JSONL lines are the items).")


class ContentRow(_Strict):
    item: dict[str, Any]
    sample: dict[str, Any] | None = None


class FileContentSource(_Strict):
    """Items written in the manifest."""

    type: Literal["file_content"]
    content: tuple[ContentRow, ...] = Field(min_length=1, description="`{item: {...}}` rows.")


class InputMessagesTemplate(_Strict):
    """The messages sent for each item; `{{item.field}}` is filled from the item."""

    type: Literal["template"]
    template: tuple[EvalMessage, ...] = Field(min_length=1)


class SamplingParams(_Strict):
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, gt=0, le=1)
    seed: int | None = None
    max_completion_tokens: int | None = Field(default=None, ge=1)


class RunDataSource(_Strict):
    """OpenAI's responses / completions run data source."""

    type: Literal["responses", "completions"] = Field(
        description="responses: the Responses API; completions: Chat Completions."
    )
    source: Annotated[FileIdSource | FileContentSource, Field(discriminator="type")]
    input_messages: InputMessagesTemplate
    model: str = Field(
        min_length=1,
        description="A model id, `FineTune/name` (its job's model) or `Promotion/name` (its "
        "winner's model).",
    )
    sampling_params: SamplingParams = Field(default_factory=SamplingParams)


class EvalRunSpec(Spec):
    """One run of an Eval over its items and a candidate (model + template)."""

    eval: str = Field(description="An `Eval/name` reference.")
    project: str | None = Field(
        default=None,
        description="Where the samples run: a `Project/name` reference or a project id; the "
        "stack's default project if omitted (a fine-tuned model is used in its own project).",
    )
    data_source: RunDataSource
    via: Literal["batch", "responses"] = Field(
        default="batch",
        description="batch: the Batch API (half price, results within 24 h); responses: one "
        "call per item now (full price, measures latency).",
    )

    def problems(self) -> Iterator[SpecProblem]:
        source = self.data_source.source
        if isinstance(source, FileIdSource) and not source.id.startswith("Dataset/"):
            yield SpecProblem(
                ("data_source", "source", "id"),
                f"expected a reference 'Dataset/<name>', got {source.id!r}",
                "the items are read from a Dataset of this stack",
            )


KIND = KindInfo(
    kind="EvalRun",
    spec_model=EvalRunSpec,
    reference_fields={"eval": ("Eval",), "project": ("Project",)},
    depends_on_project=True,
    replace_fields=frozenset({"digest"}),
    immutable=True,
    identity="the digest of eval spec, items, model, template and sampling params, in the "
    "name of its result file",
    delete_verb="forget",
)

__all__ = ["KIND", "EvalRunSpec", "FileContentSource", "FileIdSource"]
