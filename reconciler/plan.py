"""The plan: a frozen, serialisable list of resource changes, built by `planner.py`.

A `Plan` is what `plan` renders and `plan --out` saves (`read_plan_file` loads it back, refusing
files that are not plans or come from a newer reconciler); `apply` executes it as it is, after
checking its fingerprints (it never diffs again). The closed set of actions is `Action`; each
change carries a one-line `reason` for display only: the action alone decides what apply does.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reconciler.errors import ConfigError
from reconciler.state import cached_index

PLAN_FORMAT_VERSION = 1

UNKNOWN = "(known after apply)"
"""Placeholder for values not known until apply (a file id of a dataset not yet uploaded)."""


class Action(StrEnum):
    NOOP = "noop"
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"
    WAIT = "wait"  # a long-running object still in progress; apply waits or leaves it
    BLOCKED = "blocked"  # a dependency failed validation, failed, or is not ready

    @property
    def symbol(self) -> str:
        return _SYMBOLS[self]

    @property
    def is_change(self) -> bool:
        return self in (Action.CREATE, Action.UPDATE, Action.REPLACE, Action.DELETE)


_SYMBOLS = {
    Action.NOOP: " ",
    Action.CREATE: "+",
    Action.UPDATE: "~",
    Action.REPLACE: "-/+",
    Action.DELETE: "-",
    Action.WAIT: "…",
    Action.BLOCKED: "!",
}


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FieldChange(Frozen):
    """One field that differs: `op` is add/remove/change; `path` is dotted (`spec.name`)."""

    op: Literal["add", "remove", "change"]
    path: str
    old: Any = None
    new: Any = None
    forces_replace: bool = False
    sensitive: bool = False  # shown as (sensitive) instead of the values


class Cost(Frozen):
    """What making this resource is estimated to spend, once (USD; None: no price known)."""

    category: Literal["training", "batch", "eval"]
    usd: float | None = None
    basis: str = ""


class ModelUse(Frozen):
    """A model a manifest names (any `model` field of its spec), with its shutdown date when
    the shipped table has one; `base_model` is what a `FineTune/x` reference trains from."""

    field: str
    model: str
    base_model: str | None = None
    shutdown_date: str | None = None
    days_to_shutdown: int | None = None  # from the plan's date (RECONCILER_TODAY when set)


class PolicyFinding(Frozen):
    """One result of a Rego policy (`reconciler.policies`): a `deny` blocks apply."""

    level: Literal["deny", "warn"]
    rule: str  # package.rule, e.g. reconciler.max_deletes.deny
    file: str
    resource: str | None = None
    message: str


class AuditEvent(Frozen):
    """One audit-log entry about a drifted object: who (an e-mail, a key's name or id), what
    (the event type, e.g. `project.updated`) and when (Unix seconds)."""

    actor: str
    event_type: str
    at: int


class Attribution(Frozen):
    """Who changed a drifted object, from the organization's audit log (`drift` only).

    `events` are the newest entries naming the object, newest first; when there are none,
    `note` says why (audit logging off, or a data-plane change the log does not record)."""

    events: tuple[AuditEvent, ...] = ()
    note: str | None = None


class ResourceChange(Frozen):
    """What apply will do to one resource, and why."""

    address: str  # Kind/name
    kind: str
    name: str
    action: Action
    reason: str
    live_id: str | None = None  # the live object's id when it exists
    changes: tuple[FieldChange, ...] = ()
    desired: dict[str, Any] = Field(default_factory=dict)  # API attributes to send
    depends_on: tuple[str, ...] = ()
    irreversible: bool = False  # archive a project: needs its own flag
    delete_verb: str = "delete"
    delete_flag: str | None = None  # an apply flag this delete needs besides --allow-delete
    details: tuple[str, ...] = ()  # extra lines for display (dataset stats, ...)
    warnings: tuple[str, ...] = ()
    location: str | None = None  # file:line:col of the manifest, for display
    references: dict[str, str] = Field(default_factory=dict)
    """Fields of `desired` filled at apply time with a dependency's live id (`project` ->
    `Project/support`): values the plan may show as `(known after apply)`."""
    live_attributes: dict[str, Any] = Field(default_factory=dict)
    """The live object's declared-field view as read (where it lives, what it holds), so a
    provider can delete or replace it without reading it again."""
    attribution: Attribution | None = None
    """`drift` only: who changed the object outside Git, from the audit log."""
    deposed: bool = False
    """A delete of a superseded copy of a still-declared resource (left by an interrupted
    replace): part of finishing that replace, so it runs without --allow-delete."""
    spec: dict[str, Any] = Field(default_factory=dict)  # as declared (for policies)
    labels: dict[str, str] = Field(default_factory=dict)
    models: tuple[ModelUse, ...] = ()
    cost: Cost | None = None  # estimated spend of making it (billed kinds)

    @property
    def is_change(self) -> bool:
        return self.action.is_change


class PlanSummary(Frozen):
    create: int = 0
    update: int = 0
    replace: int = 0
    delete: int = 0
    noop: int = 0
    wait: int = 0
    blocked: int = 0

    @property
    def has_changes(self) -> bool:
        return bool(self.create or self.update or self.replace or self.delete)


class Plan(Frozen):
    """A frozen plan; `manifest_fingerprint`/`state_fingerprint` detect a stale saved plan."""

    format_version: int = PLAN_FORMAT_VERSION
    mode: Literal["apply", "drift"] = "apply"
    stack: str
    created_at: str
    manifests_path: str
    manifest_fingerprint: str
    state_fingerprint: str
    manifest_digests: dict[str, str] = Field(default_factory=dict)  # per manifest/data file
    state_digests: dict[str, str] = Field(default_factory=dict)  # per live object
    changes: tuple[ResourceChange, ...] = ()
    requests: int = 0  # API requests made while reading live state
    minimum_requests: int = 0  # list pages those collections need at the largest page size
    refresh: str | None = None  # full or incremental read of the Administration API, and why
    warnings: tuple[str, ...] = ()
    policy: tuple[PolicyFinding, ...] = ()  # what the stack's Rego policies say about it
    policy_files: tuple[str, ...] = ()  # the policy files evaluated

    @property
    def denied(self) -> tuple[PolicyFinding, ...]:
        return tuple(f for f in self.policy if f.level == "deny")

    @property
    def summary(self) -> PlanSummary:
        counts = {action.value: 0 for action in Action}
        for change in self.changes:
            counts[change.action.value] += 1
        return PlanSummary(**counts)

    @property
    def has_changes(self) -> bool:
        return self.summary.has_changes

    def change(self, address: str) -> ResourceChange:
        """The first change of `address` (an index: apply's bookkeeping asks per object)."""
        by_address = cached_index(self, "_by_address", self.changes, self._changes_by_address)
        return by_address[address]

    def _changes_by_address(self) -> dict[str, ResourceChange]:
        found: dict[str, ResourceChange] = {}
        for change in self.changes:
            found.setdefault(change.address, change)
        return found

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)

    @classmethod
    def from_json(cls, text: str) -> Plan:
        return cls.model_validate_json(text)


_PLAN_FILE_HINT = "give a file written by `reconciler plan --out FILE`"


def read_plan_file(path: Path) -> Plan:
    """The plan saved in `path`; a ConfigError naming the file and what is wrong otherwise."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a plan file: not UTF-8 text; {_PLAN_FILE_HINT}") from None
    except json.JSONDecodeError as error:
        raise ConfigError(
            f"{path}:{error.lineno}:{error.colno}: not a plan file: invalid JSON "
            f"({error.msg}); {_PLAN_FILE_HINT}"
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: not a plan file: not a JSON object; {_PLAN_FILE_HINT}")
    _check_format_version(path, data.get("format_version"))
    try:
        return Plan.model_validate(data)
    except ValidationError as error:
        raise ConfigError(
            f"{path}: not a plan file: {_first_problem(error)}; {_PLAN_FILE_HINT}"
        ) from None


def _check_format_version(path: Path, version: object) -> None:
    if not isinstance(version, int) or isinstance(version, bool):
        raise ConfigError(f"{path}: not a plan file: no format_version; {_PLAN_FILE_HINT}")
    if version > PLAN_FORMAT_VERSION:
        raise ConfigError(
            f"{path} was saved by a newer reconciler (plan format {version}; this one reads "
            f"format {PLAN_FORMAT_VERSION}): upgrade reconciler, or make the plan again with "
            "this one (`reconciler plan --out FILE`)"
        )


def _first_problem(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "the plan"
    if first["type"] == "missing":
        return f"'{where}' is missing"
    return f"'{where}': {first['msg']}"
