"""The `ModerationPolicy` kind: a local gate on the datasets (and batches) it applies to.

Registered in `reconciler.models.KINDS`. Nothing is stored server-side (the Moderations API
keeps no state), so the policy lives in the reconciler: its planner reports it as local, its
provider and reader do nothing. `categories` are score thresholds (a category left out flags
when the API flags it); `applies_to` names resources or selects them by label.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from reconciler.models.base import KindInfo, Spec, SpecProblem

ModerationCategory = Literal[
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
]

MODERATION_CATEGORIES: tuple[str, ...] = get_args(ModerationCategory)
"""The 13 categories of `omni-moderation-latest`."""


class LabelSelector(BaseModel):
    """Every resource of `kind` whose labels include all of `labels`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["Dataset"] = Field(description="The kind of the selected resources.")
    labels: dict[str, str] = Field(
        min_length=1, description="Labels a resource must all carry to be selected."
    )


class ModerationPolicySpec(Spec):
    """Score thresholds and what to do with what they flag."""

    model: str = Field(
        default="omni-moderation-latest", min_length=1, description="The moderation model."
    )
    categories: dict[ModerationCategory, float] = Field(
        default_factory=dict,
        description="Score threshold per category (0..1); a category left out flags when the "
        "API flags it.",
    )
    action: Literal["block", "warn"] = Field(
        default="block",
        description="block: the resource and its dependents are blocked; warn: reported only.",
    )
    applies_to: tuple[str | LabelSelector, ...] = Field(
        default=(),
        description="`Dataset/name` references, or `{kind: Dataset, labels: {...}}` selectors.",
    )

    def problems(self) -> Iterator[SpecProblem]:
        for category, threshold in self.categories.items():
            if not 0.0 <= threshold <= 1.0:
                yield SpecProblem(
                    ("categories", category),
                    f"threshold {threshold} of '{category}' is not between 0 and 1",
                    "scores are probabilities: give a threshold from 0 to 1",
                )


KIND = KindInfo(
    kind="ModerationPolicy",
    spec_model=ModerationPolicySpec,
    reference_fields={"applies_to": ("Dataset",)},
    local_fields=frozenset({"model", "categories", "action", "applies_to"}),
    identity="local (nothing is stored in the platform)",
    delete_verb="forget",
)

__all__ = ["KIND", "MODERATION_CATEGORIES", "LabelSelector", "ModerationPolicySpec"]
