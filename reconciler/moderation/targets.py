"""Which datasets a `ModerationPolicy` governs: its `Dataset/x` references and the Datasets
whose labels match its selectors. Used by the policy's planner (what the plan line lists) and
by its reader (what it moderates), so both agree."""

from __future__ import annotations

from reconciler.manifests import Stack
from reconciler.models.base import Resource
from reconciler.models.batch import BatchSpec
from reconciler.models.moderation_policy import LabelSelector, ModerationPolicySpec


def governed_datasets(spec: ModerationPolicySpec, stack: Stack) -> set[str]:
    """The Dataset addresses a policy applies to: its references and its selectors' matches."""
    found: set[str] = set()
    for target in spec.applies_to:
        if isinstance(target, str):
            found.add(target)
        elif isinstance(target, LabelSelector):
            for resource in stack.of_kind(target.kind):
                labels = resource.metadata.labels
                if all(labels.get(k) == v for k, v in target.labels.items()):
                    found.add(resource.address)
    return found


def policies_needing_moderation(stack: Stack) -> list[Resource]:
    """The stack's policies that govern at least one declared Dataset or gate a Batch."""
    found = []
    gates = {
        b.spec.moderation
        for b in stack.of_kind("Batch")
        if isinstance(b.spec, BatchSpec) and b.spec.moderation
    }
    for policy in stack.of_kind("ModerationPolicy"):
        assert isinstance(policy.spec, ModerationPolicySpec)
        if policy.address in gates or any(
            a in stack.resources for a in governed_datasets(policy.spec, stack)
        ):
            found.append(policy)
    return found
