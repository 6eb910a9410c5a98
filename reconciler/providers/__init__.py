"""Adapters over the official `openai` SDK, one per API area: the only code importing `openai`.

`read_live_state(stack, clients)` reads what the planner compares with the manifests;
`make_providers(clients, stack_name, root)` gives apply one `KindProvider` per kind. Errors
leave this package as `ApiError` subclasses (see `errors.py`), with credentials masked.
Names are loaded on first use, so importing `reconciler.providers.base` (the protocol the
apply engine needs) does not import the SDK.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reconciler.providers.base import KindProvider, Operation, ProgressFn
    from reconciler.providers.client import Clients, Credentials
    from reconciler.providers.live import read_live_state
    from reconciler.providers.registry import make_providers

_LAZY = {
    "KindProvider": "reconciler.providers.base",
    "Operation": "reconciler.providers.base",
    "ProgressFn": "reconciler.providers.base",
    "Clients": "reconciler.providers.client",
    "Credentials": "reconciler.providers.client",
    "read_live_state": "reconciler.providers.live",
    "make_providers": "reconciler.providers.registry",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'reconciler.providers' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "Clients",
    "Credentials",
    "KindProvider",
    "Operation",
    "ProgressFn",
    "make_providers",
    "read_live_state",
]
