"""`ModerationPolicy` in the provider layer: a local kind, so its reader and provider do nothing.

The Moderations API stores nothing: a policy has no live object. `READERS` and
`make_providers` still list these (every kind has a reader and a provider,
tests/test_kind_registry.py); the plan never sends a change of this kind to apply.
"""

from __future__ import annotations

from reconciler.manifests import Stack
from reconciler.providers.base import KindProvider, Operation, ReadContext, ReadResult
from reconciler.state import Ownership


class ModerationPolicyReader:
    kind = "ModerationPolicy"

    def is_needed(self, stack: Stack, ownership: Ownership) -> bool:
        return False  # nothing of it lives in the platform

    def read(self, ctx: ReadContext) -> ReadResult:
        return ReadResult()


class ModerationPolicyProvider(KindProvider):
    kind = "ModerationPolicy"

    def create(self, op: Operation) -> str:
        return f"local:{op.change.name}"

    def update(self, op: Operation) -> str:
        return f"local:{op.change.name}"

    def delete(self, op: Operation) -> None:
        return None
