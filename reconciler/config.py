"""Stack-wide settings: the `reconciler.yaml` at the root of the manifests.

`reconciler.manifests` reads the file (with the same source map as manifests, so errors point
at file:line:col) and validates it against `StackConfig`; the result travels on `Stack.config`.
Relative paths in it are relative to the stack root (`Stack.resolve_path`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from reconciler.models.base import NAME_BODY, NAME_MAX_LENGTH, NAME_PATTERN

CONFIG_FILENAME = "reconciler.yaml"
PROJECT_ID_PREFIX = "proj_"
DEFAULT_PROJECT_PATTERN = rf"^(?:Project/{NAME_BODY}|{PROJECT_ID_PREFIX}[A-Za-z0-9_-]+)$"
ENV_VAR_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"


class StackConfig(BaseModel):
    """The contents of reconciler.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    stack: str = Field(
        pattern=NAME_PATTERN,
        max_length=NAME_MAX_LENGTH,
        description="The stack's name: what this repository owns (objects are tagged with it).",
    )
    default_project: str | None = Field(
        default=None,
        pattern=DEFAULT_PROJECT_PATTERN,
        description="Where project-scoped objects go when their manifest names no project: "
        "a `Project/name` reference or a live project id `proj_...`.",
    )
    prices: Path | None = Field(
        default=None, description="A price table (per model, per 1M tokens) for cost estimates."
    )
    project_keys: dict[
        Annotated[str, StringConstraints(pattern=DEFAULT_PROJECT_PATTERN)],
        Annotated[str, StringConstraints(pattern=ENV_VAR_PATTERN)],
    ] = Field(
        default_factory=dict,
        description="Per project (`Project/name` or `proj_...`), the environment variable that "
        "holds that project's API key: a project key acts only in its own project, so datasets, "
        "fine-tunes, batches and eval runs in another project than OPENAI_API_KEY's use it "
        "(docs/credentials.md).",
    )
    admin_requests_per_minute: int | None = Field(
        default=None,
        ge=1,
        le=10_000,
        description="At most this many Administration API requests (reads and writes together) "
        "in any minute; unset: no limit of ours (the API's 429s and their Retry-After still "
        "pace the run). About 7 is what users report the API allows per endpoint.",
    )
    cache_dir: Path = Field(
        default=Path(".reconciler/cache"),
        description="Where the reconciler keeps its local cache, relative to the stack root.",
    )

    @property
    def default_project_name(self) -> str | None:
        """The manifest name of the default project when it is a `Project/name` reference."""
        if self.default_project is None or not self.default_project.startswith("Project/"):
            return None
        return self.default_project.partition("/")[2]

    @property
    def default_project_id(self) -> str | None:
        """The live project id when the default project is given as `proj_...`."""
        if self.default_project is None or self.default_project_name is not None:
            return None
        return self.default_project
