"""Adapters over the official `openai` SDK, one per API area: the only code importing `openai`.

`read_live_state(stack, clients)` reads what the planner compares with the manifests;
`make_providers(clients, stack_name, root)` gives apply one `KindProvider` per kind. Errors
leave this package as `ApiError` subclasses (see `errors.py`), with credentials masked.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from reconciler.providers.base import KindProvider, Operation, ProgressFn
from reconciler.providers.client import Clients, Credentials
from reconciler.providers.files import DatasetProvider
from reconciler.providers.live import read_live_state
from reconciler.providers.ownership import OwnershipStore
from reconciler.providers.projects import ProjectProvider


def make_providers(
    clients: Clients, stack_name: str, root: Path, **dataset_options: int
) -> Mapping[str, KindProvider]:
    """One provider per kind, sharing the clients and the stack's ownership registry."""
    registry = OwnershipStore(clients, stack_name)
    providers: list[KindProvider] = [
        ProjectProvider(clients, registry),
        DatasetProvider(clients, root, **dataset_options),
    ]
    return {provider.kind: provider for provider in providers}


__all__ = [
    "Clients",
    "Credentials",
    "KindProvider",
    "Operation",
    "ProgressFn",
    "make_providers",
    "read_live_state",
]
