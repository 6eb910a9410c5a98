"""The providers of one run, by kind: what `apply_plan` dispatches each change to.

`cli.py` calls `make_providers` once per apply; the providers share the SDK clients and the
stack's ownership registry, which `settle_apply` (providers/settle.py) tidies once the changes
ran. A new kind adds its provider to the list below, and its `LiveReader` to `READERS` (see
docs/adding-a-kind.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from reconciler.providers.base import KindProvider, LiveReader
from reconciler.providers.batches import BatchProvider, BatchReader
from reconciler.providers.client import Clients
from reconciler.providers.eval_runs import (
    EvalProvider,
    EvalReader,
    EvalRunProvider,
    EvalRunReader,
    PromotionProvider,
    PromotionReader,
)
from reconciler.providers.files import DatasetProvider
from reconciler.providers.fine_tuning import FineTuneProvider, FineTuneReader
from reconciler.providers.groups import GroupProvider, GroupReader
from reconciler.providers.moderation import ModerationPolicyProvider, ModerationPolicyReader
from reconciler.providers.org_users import (
    InviteProvider,
    InviteReader,
    OrgUserProvider,
    OrgUserReader,
)
from reconciler.providers.organization import OrganizationProvider, OrganizationReader
from reconciler.providers.ownership import OwnershipStore
from reconciler.providers.project_members import ProjectMemberProvider, ProjectMemberReader
from reconciler.providers.projects import ProjectProvider
from reconciler.providers.roles import RoleProvider, RoleReader
from reconciler.providers.service_accounts import ServiceAccountProvider, ServiceAccountReader

READERS: tuple[LiveReader, ...] = (
    FineTuneReader(),
    ProjectMemberReader(),
    BatchReader(),
    ModerationPolicyReader(),
    ServiceAccountReader(),
    EvalReader(),
    EvalRunReader(),
    PromotionReader(),
    OrgUserReader(),
    InviteReader(),
    GroupReader(),
    RoleReader(),
    OrganizationReader(),
)
"""The readers of the kinds after Project and Dataset (which `live.py` reads itself)."""


@dataclass(frozen=True)
class Providers:
    """One provider per kind (`by_kind`, what apply dispatches to) and their shared registry."""

    by_kind: Mapping[str, KindProvider]
    registry: OwnershipStore


def make_providers(
    clients: Clients, stack_name: str, root: Path, **dataset_options: int
) -> Providers:
    """One provider per kind, sharing the clients and the stack's ownership registry."""
    registry = OwnershipStore(clients, stack_name)
    providers: list[KindProvider] = [
        ProjectProvider(clients, registry),
        DatasetProvider(clients, root, registry, **dataset_options),
        FineTuneProvider(clients, registry),
        ProjectMemberProvider(clients, registry),
        BatchProvider(clients, root),
        ModerationPolicyProvider(),
        ServiceAccountProvider(clients, registry, root),
        EvalProvider(),
        EvalRunProvider(clients, root),
        PromotionProvider(clients),
        OrgUserProvider(clients, registry),
        InviteProvider(clients, registry),
        GroupProvider(clients, registry),
        RoleProvider(clients, registry),
        OrganizationProvider(clients),
    ]
    return Providers({provider.kind: provider for provider in providers}, registry)
