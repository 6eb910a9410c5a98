"""How many Administration API requests a plan's read needs, said before reading when they
take more than 30 s at the stack's `admin_requests_per_minute` (`admin_budget.AdminBudget`).

`live.read_live_state` calls `announce_admin_reads` once the ownership registry is read: the
count comes from the manifests and the registry (the projects listing, one page per 100
declared projects; each declared setting of each Project, and its API keys when it sets
`revoke_unmanaged_keys`; one listing per project of members
and of service accounts, and the organization's users when members are declared), so it costs
no request. Kinds of the organization itself, read once each, are not counted.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from reconciler.manifests import Stack
from reconciler.providers.admin_budget import AdminBudget
from reconciler.providers.projects import SETTINGS
from reconciler.state import Ownership

ANNOUNCE_AFTER_SECONDS = 30.0
SCOPED_KINDS = ("ProjectMember", "ServiceAccount")


def admin_reads_needed(stack: Stack, ownership: Ownership) -> int:
    """The Administration API requests a plan of `stack` reads, as far as the manifests and
    the registry tell: the projects listing (one page per 100 declared projects), each declared
    setting of each Project, and one listing per project of members and of service accounts
    (plus the organization's users when members are declared)."""
    projects = stack.of_kind("Project")
    manages = bool(projects) or any(a.startswith("Project/") for a in ownership.entries)
    needed = math.ceil(max(1, len(projects)) / 100) if manages else 0
    for resource in projects:
        spec = resource.spec.model_dump()
        needed += sum(1 for setting in SETTINGS if spec.get(setting) is not None)
        needed += spec.get("revoke_unmanaged_keys") is not None  # its API keys listing
    for kind in SCOPED_KINDS:
        declared = stack.of_kind(kind)
        scopes = {_project_id(r.spec, ownership) for r in declared}
        scopes |= {
            entry.live_id.partition(".")[0]
            for address, entry in ownership.entries.items()
            if address.startswith(f"{kind}/") and entry.live_id and "." in entry.live_id
        }
        needed += len(scopes)
        if kind == "ProjectMember" and declared:
            needed += 1  # the organization's users, filtered by the declared emails
    return needed


def _project_id(spec: object, ownership: Ownership) -> str:
    """A declared member's or account's project as the registry's entries name it: the live id
    of `Project/x` once bound (else the reference), so a project counts once whether its
    listing is wanted by a manifest, by a registry entry or both."""
    project = str(getattr(spec, "project", None) or "")
    entry = ownership.entry(project) if project.startswith("Project/") else None
    return entry.live_id if entry is not None and entry.live_id else project


def announce_admin_reads(
    stack: Stack, ownership: Ownership, budget: AdminBudget, notice: Callable[[str], None]
) -> None:
    """Say how many admin requests the read needs and how long, when that is over 30 s."""
    needed = admin_reads_needed(stack, ownership)
    seconds = budget.seconds_for(needed)
    if seconds <= ANNOUNCE_AFTER_SECONDS:
        return
    notice(
        f"reading the live state needs about {needed} Administration API requests: at "
        f"{budget.per_minute} a minute (admin_requests_per_minute in reconciler.yaml) that "
        f"takes about {_duration(seconds)}"
    )


def _duration(seconds: float) -> str:
    minutes = seconds / 60
    return f"{minutes:.0f} min" if minutes >= 2 else f"{seconds:.0f} s"
