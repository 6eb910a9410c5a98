"""The providers of one run, by kind: what `apply_plan` dispatches each change to.

`cli.py` calls `make_providers` once per apply; the providers share the SDK clients and the
stack's ownership registry. A new kind adds its provider to the list below.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from reconciler.providers.base import KindProvider
from reconciler.providers.client import Clients
from reconciler.providers.files import DatasetProvider
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
