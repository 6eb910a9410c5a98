"""The `ServiceAccount` kind: a project's service account (a non-human member with API keys).

Registered in `reconciler.models.KINDS`. Identity: its name within its project, bound to the
manifest by the stack's ownership registry once apply creates it (so a rename in Git renames
in place). `role` changes in place; another project is another account (a replace). Deleting
removes the account and revokes its keys (`--allow-delete`). The key the API returns once, at
creation, goes only to `key_sink`: a file created with mode 0600 (relative to the manifest and
inside the stack's folder, or an absolute path you chose), or a masked GitHub Actions output.
`max_key_age` rotates it (`providers/key_rotation.py`): a new account of the same name, its
key to the sink, then the old account removed with its keys.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from reconciler.models.base import KindInfo, Spec

ServiceAccountRole = Literal["owner", "member"]
_SEGMENT = r"(?:[^/\\.][^/\\]*|\.|\.[^/\\.][^/\\]*|\.\.[^/\\]+)"  # a path component other than ".."
NO_PARENT_PATTERN = rf"^[/\\]*(?:{_SEGMENT}[/\\]+)*{_SEGMENT}$"
"""A path with no '..' component: a relative sink stays inside the manifest's folder."""


class FileSink(BaseModel):
    """The key goes to a file created with mode 0600."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    file: str = Field(
        min_length=1,
        pattern=NO_PARENT_PATTERN,
        description="A file created with mode 0600: relative to this manifest (inside the "
        "stack's folder, no '..'; keep it out of Git) or an absolute path.",
    )


class GithubOutputSink(BaseModel):
    """The key goes to a GitHub Actions step output, masked in the job's logs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    github_output: str = Field(
        pattern=r"^[A-Za-z_][A-Za-z0-9_-]*$",
        description="The name of a GitHub Actions step output ($GITHUB_OUTPUT) that receives "
        "the key, masked in the job's logs (`::add-mask::`).",
    )


KeySink = FileSink | GithubOutputSink


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
    max_key_age: str | None = Field(
        default=None,
        pattern=r"^[1-9][0-9]{0,4}d$",
        description="Rotate the key once the account's newest key is this many days old "
        "(`90d`): a new account of the same name and role, its key to `key_sink` first, then "
        "the old account removed with its keys (the API revokes no single key of a service "
        "account).",
    )

    @property
    def max_key_age_days(self) -> int | None:
        return None if self.max_key_age is None else int(self.max_key_age.removesuffix("d"))


KIND = KindInfo(
    kind="ServiceAccount",
    spec_model=ServiceAccountSpec,
    reference_fields={"project": ("Project",)},
    replace_fields=frozenset({"project"}),
    local_fields=frozenset({"key_sink", "max_key_age"}),
    delete_verb="remove",
    identity="name within its project (bound by the ownership registry)",
    depends_on_project=True,
)
