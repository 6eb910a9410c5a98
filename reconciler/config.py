"""Stack-wide settings: the `reconciler.yaml` at the root of the manifests.

`reconciler.manifests` reads the file (with the same source map as manifests, so errors point
at file:line:col) and validates it against `StackConfig`; the result travels on `Stack.config`.
Relative paths in it are relative to the stack root (`Stack.resolve_path`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from reconciler.models.base import NAME_BODY, NAME_MAX_LENGTH, NAME_PATTERN

CONFIG_FILENAME = "reconciler.yaml"
PROJECT_ID_PREFIX = "proj_"
DEFAULT_PROJECT_PATTERN = rf"^(?:Project/{NAME_BODY}|{PROJECT_ID_PREFIX}[A-Za-z0-9_-]+)$"
ENV_VAR_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"


class PolicyConfig(BaseModel):
    """`policies:` in reconciler.yaml: Rego files evaluated over every plan (docs/policies.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    paths: tuple[str, ...] = Field(
        default=(),
        description="`.rego` files or folders of them, relative to the stack root, or "
        "`builtin:NAME` for a policy shipped with the reconciler (`builtin:max_deletes`).",
    )
    params: dict[str, Any] = Field(
        default_factory=dict,
        description="Values the policies read as `data.params` (e.g. `max_deletes: 5`).",
    )


class RefreshConfig(BaseModel):
    """How the Administration API is read: `incremental` keeps a snapshot in the platform and
    re-reads only what the audit log says changed (docs/incremental-refresh.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Literal["off", "incremental"] = Field(
        default="off",
        description="off: read everything every time; incremental: snapshot + audit log.",
    )
    max_age: str = Field(
        default="24h",
        pattern=r"^[0-9]+[smhd]$",
        description="A snapshot older than this means a full read (e.g. 30m, 6h, 2d).",
    )


class EvalsConfig(BaseModel):
    """How EvalRuns may grade (`evals:` in reconciler.yaml)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    python_graders: bool = Field(
        default=False,
        description="Run `python` graders (code from the Eval manifests) in a child process.",
    )
    python_grader_timeout: float = Field(
        default=10.0, gt=0, le=600, description="Seconds each python grader call may take."
    )
    wordnet: Path | None = Field(
        default=None,
        description="A folder of WordNet 3.0 files for the meteor metric (relative to the "
        "stack root); else NLTK's data path, then /usr/share/wordnet. Never downloaded.",
    )


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
    model_shutdowns: Path | None = Field(
        default=None,
        description="A JSON file of model shutdown dates (and the fine-tuning job-creation "
        "close date) that overrides the shipped table and the API's dates.",
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
    policies: PolicyConfig = Field(
        default_factory=PolicyConfig,
        description="Guardrails: Rego policies over the plan; a `deny` blocks apply.",
    )
    refresh: RefreshConfig = Field(
        default_factory=RefreshConfig,
        description="Incremental refresh of the Administration API reads (a shared snapshot).",
    )
    evals: EvalsConfig = Field(
        default_factory=EvalsConfig,
        description="Eval settings: `python_graders: true` opts in to python graders.",
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
