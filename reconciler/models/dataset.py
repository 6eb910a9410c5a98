"""The `Dataset` kind: a local file uploaded through the Files API.

Registered in `reconciler.models.KINDS`. `file` is relative to the manifest; the engine finds
the live file by content hash + the manifest name encoded in the uploaded filename, so files
are never changed in place. `format`, `model` and `batch_endpoint` drive offline checks
(`reconciler.datasets`) and cost estimates only; no live object holds them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import Field

from reconciler.models.base import KindInfo, Spec, SpecProblem

FilePurpose = Literal["fine-tune", "batch", "evals", "user_data", "vision", "assistants"]
DatasetFormat = Literal["chat", "preference", "reinforcement", "batch", "eval"]
BatchEndpoint = Literal[
    "/v1/responses",
    "/v1/chat/completions",
    "/v1/embeddings",
    "/v1/completions",
    "/v1/moderations",
    "/v1/images/generations",
    "/v1/images/edits",
    "/v1/videos",
]

PURPOSE_OF_FORMAT: dict[str, str] = {
    "chat": "fine-tune",
    "preference": "fine-tune",
    "reinforcement": "fine-tune",
    "batch": "batch",
    "eval": "evals",
}


class DatasetSpec(Spec):
    """A JSONL (or image) file to upload; the uploaded file is replaced when it changes."""

    file: str = Field(
        min_length=1, description="Path of the file to upload, relative to this manifest."
    )
    purpose: FilePurpose = Field(description="The Files API `purpose` of the upload.")
    format: DatasetFormat | None = Field(
        default=None, description="Record layout to check; detected from the content if omitted."
    )
    model: str | None = Field(
        default=None,
        min_length=1,
        description="Base model used to count tokens and estimate cost (for example a model "
        "you fine-tune on this file).",
    )
    batch_endpoint: BatchEndpoint | None = Field(
        default=None, description="For `purpose: batch`: the endpoint every request line targets."
    )
    project: str | None = Field(
        default=None,
        description="A `Project/name` reference; the stack's default project if omitted.",
    )

    def problems(self) -> Iterator[SpecProblem]:
        expected_purpose = PURPOSE_OF_FORMAT.get(self.format or "")
        if expected_purpose is not None and expected_purpose != self.purpose:
            yield SpecProblem(
                ("format",),
                f"format '{self.format}' does not fit purpose '{self.purpose}'",
                f"'{self.format}' files are uploaded with purpose '{expected_purpose}'",
            )
        if self.batch_endpoint is not None and self.purpose != "batch":
            yield SpecProblem(
                ("batch_endpoint",),
                f"batch_endpoint is only used with purpose 'batch', not '{self.purpose}'",
                "remove batch_endpoint, or set purpose: batch",
            )


KIND = KindInfo(
    kind="Dataset",
    spec_model=DatasetSpec,
    reference_fields={"project": ("Project",)},
    replace_fields=frozenset({"file", "purpose", "project"}),
    local_fields=frozenset({"format", "model", "batch_endpoint"}),
    file_fields=frozenset({"file"}),
    immutable=True,
    delete_irreversible=False,
    delete_verb="delete",
    identity="content hash + name encoded in the uploaded filename",
    depends_on_project=True,
)
