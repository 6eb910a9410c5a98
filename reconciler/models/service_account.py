"""The `ServiceAccount` kind: a project's service account (a non-human member with API keys).

Registered in `reconciler.models.KINDS`. Identity: its name within its project, bound to the
manifest by the stack's ownership registry once apply creates it (so a rename in Git renames
in place). `role` changes in place; another project is another account (a replace). Deleting
removes the account and revokes its keys (`--allow-delete`). The key the API returns once, at
creation, goes only to `key_sink`: a file created with mode 0600 (relative to the manifest and
inside the stack's folder, or an absolute path you chose), or a masked GitHub Actions output.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePosixPath, PureWindowsPath
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from reconciler.models.base import KindInfo, Spec, SpecProblem

ServiceAccountRole = Literal["owner", "member"]


class KeySink(BaseModel):
    """Where the new key goes: exactly one of `file` and `github_output`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    file: str | None = Field(
        default=None,
        min_length=1,
        description="A file created with mode 0600: relative to this manifest (inside the "
        "stack's folder; keep it out of Git) or an absolute path.",
    )
    github_output: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z_][A-Za-z0-9_-]*$",
        description="The name of a GitHub Actions step output ($GITHUB_OUTPUT) that receives "
        "the key, masked in the job's logs (`::add-mask::`).",
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> KeySink:
        if (self.file is None) == (self.github_output is None):
            raise ValueError("key_sink takes exactly one of `file` and `github_output`")
        return self


class ServiceAccountSpec(Spec):
    """A service account of a project; its key is written only to `key_sink`."""

    name: str = Field(min_length=1, max_length=200, description="The service account's name.")
    role: ServiceAccountRole = Field(
        default="member", description="The service account's role in the project."
    )
    project: str | None = Field(
        default=None,
        description="A `Project/name` reference or a project id; the stack's default project "
        "if omitted.",
    )
    key_sink: KeySink = Field(
        description="Where the key the API returns at creation goes; never to plans or logs."
    )

    def problems(self) -> Iterator[SpecProblem]:
        path = self.key_sink.file
        if path is None or _is_absolute(path):
            return
        if ".." in PurePosixPath(path.replace("\\", "/")).parts:
            yield SpecProblem(
                ("key_sink", "file"),
                f"key_sink.file '{path}' leaves the manifest's folder through '..'",
                "give a path inside the stack's folder, or an absolute path",
            )


def _is_absolute(path: str) -> bool:
    return PurePosixPath(path).is_absolute() or PureWindowsPath(path).is_absolute()


KIND = KindInfo(
    kind="ServiceAccount",
    spec_model=ServiceAccountSpec,
    reference_fields={"project": ("Project",)},
    replace_fields=frozenset({"project"}),
    local_fields=frozenset({"key_sink"}),
    delete_verb="remove",
    identity="name within its project (bound by the ownership registry)",
    depends_on_project=True,
)
