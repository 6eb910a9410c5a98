"""The `Batch` kind: requests run through the Batch API (half price, 24 h window).

Registered in `reconciler.models.KINDS`. The requests are a batch-format Dataset
(`input_file`), or built from an items Dataset and a `template` (`reconciler.batches`). The
live batch is found by the stack's ownership tags in its `metadata` (`OWNERSHIP_TAGS`); a new
spec or new input is a new batch (immutable). `output`, `failures`, `retry_failed` and
`moderation` are used by the reconciler itself: where joined results and failures are written,
how often unfinished requests are replayed, and which policy gates the inputs.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any, Literal

from pydantic import Field

from reconciler.models.base import KindInfo, Spec, SpecProblem
from reconciler.models.dataset import BatchEndpoint

METADATA_MAX_PAIRS = 16
METADATA_KEY_MAX = 64
METADATA_VALUE_MAX = 512
TAG_PREFIX = "reconciler_"
OWNERSHIP_TAGS = ("stack", "name", "digest", "input", "replay", "part")
"""Tags the reconciler adds to every batch's `metadata` (`reconciler_<tag>`)."""
USER_METADATA_MAX = METADATA_MAX_PAIRS - len(OWNERSHIP_TAGS)
RETRY_MAX = 10
RUNNING_STATUSES = ("validating", "in_progress", "finalizing", "cancelling")
"""A batch in one of these can still change (and be cancelled)."""


class BatchSpec(Spec):
    """One batch job: its requests, where its results go, and how failures are replayed."""

    project: str | None = Field(
        default=None,
        description="A `Project/name` reference; the stack's default project if omitted.",
    )
    endpoint: BatchEndpoint = Field(description="The endpoint every request targets.")
    input_file: str | None = Field(
        default=None,
        description="A `Dataset/name` reference to a batch-format dataset (custom_id, method, "
        "url, body per line).",
    )
    items: str | None = Field(
        default=None,
        description="A `Dataset/name` reference to a JSONL file of items; with `template`, one "
        "request per item.",
    )
    template: dict[str, Any] | None = Field(
        default=None,
        description="The request body built for each item: `{{item.field}}` is replaced by "
        "the item's field. Stable parts first, the item last (prompt caching). Its `model` may "
        "be `Promotion/name` (the winner's model) or `FineTune/name` (the job's model).",
    )
    completion_window: Literal["24h"] = Field(
        default="24h", description="The time frame within which the batch is processed."
    )
    metadata: dict[str, str] = Field(
        default_factory=dict,
        description=f"User metadata (at most {USER_METADATA_MAX} pairs): the stack's "
        "ownership tags are added.",
    )
    output: str | None = Field(
        default=None,
        min_length=1,
        description="Where joined results are written (JSONL), relative to this manifest.",
    )
    failures: str | None = Field(
        default=None,
        min_length=1,
        description="Where failed requests are written with their reason (JSONL), relative to "
        "this manifest.",
    )
    retry_failed: int = Field(
        default=0,
        ge=0,
        le=RETRY_MAX,
        description="Replay the requests that did not finish at most this many times.",
    )
    moderation: str | None = Field(
        default=None, description="A `ModerationPolicy/name` gating the inputs."
    )

    def problems(self) -> Iterator[SpecProblem]:
        yield from self._source_problems()
        yield from _metadata_problems(self.metadata)
        for field_name in ("output", "failures"):
            written = getattr(self, field_name)
            if written is not None and _escapes(written):
                yield SpecProblem(
                    (field_name,),
                    f"{written} is outside the stack folder",
                    "results are written under the manifest's folder only: give a relative "
                    "path without '..'",
                )
        if self.output is not None and self.output == self.failures:
            yield SpecProblem(
                ("failures",), "failures and output name the same file", "give two paths"
            )

    def _source_problems(self) -> Iterator[SpecProblem]:
        if self.input_file is None and self.items is None:
            yield SpecProblem(
                ("input_file",),
                "a batch needs its requests: input_file, or items with a template",
                "set input_file: Dataset/<batch-format dataset>, or items: Dataset/<items> "
                "and template: {...}",
            )
        if self.input_file is not None and self.items is not None:
            yield SpecProblem(
                ("items",),
                "input_file and items are exclusive",
                "keep input_file (ready requests) or items + template (built requests)",
            )
        if self.items is not None and self.template is None:
            yield SpecProblem(("template",), "items needs a template", "add template: {...}")
        if self.template is not None and self.items is None:
            yield SpecProblem(("template",), "template needs items", "add items: Dataset/<name>")


def _metadata_problems(metadata: dict[str, str]) -> Iterator[SpecProblem]:
    if len(metadata) > USER_METADATA_MAX:
        yield SpecProblem(
            ("metadata",),
            f"metadata has {len(metadata)} pairs; the API allows {METADATA_MAX_PAIRS} and the "
            f"reconciler adds {len(OWNERSHIP_TAGS)} ownership tags",
            f"keep at most {USER_METADATA_MAX} pairs",
        )
    for key, value in metadata.items():
        if key.startswith(TAG_PREFIX):
            yield SpecProblem(
                ("metadata", key),
                f"metadata key '{key}' is reserved for the reconciler's ownership tags",
                f"use a key that does not start with '{TAG_PREFIX}'",
            )
        if len(key) > METADATA_KEY_MAX:
            yield SpecProblem(
                ("metadata", key),
                f"metadata key is {len(key)} characters long; the API allows {METADATA_KEY_MAX}",
            )
        if len(value) > METADATA_VALUE_MAX:
            yield SpecProblem(
                ("metadata", key),
                f"metadata value is {len(value)} characters long; the API allows "
                f"{METADATA_VALUE_MAX}",
            )


def _escapes(written: str) -> bool:
    """Absolute, drive-rooted or climbing with `..`: written outside the manifest's folder."""
    posix, windows = PurePosixPath(written), PureWindowsPath(written)
    return (
        posix.is_absolute()
        or bool(windows.drive or windows.root)
        or ".." in posix.parts
        or ".." in windows.parts
    )


KIND = KindInfo(
    kind="Batch",
    spec_model=BatchSpec,
    reference_fields={
        "project": ("Project",),
        "input_file": ("Dataset",),
        "items": ("Dataset",),
        "moderation": ("ModerationPolicy",),
    },
    replace_fields=frozenset({"input"}),
    local_fields=frozenset({"output", "failures", "retry_failed", "moderation"}),
    immutable=True,
    delete_verb="cancel",
    identity="ownership tags (stack, name, digest of spec + input) in the batch's metadata",
    depends_on_project=True,
)
