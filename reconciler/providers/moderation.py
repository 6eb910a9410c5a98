"""`ModerationPolicy` in the provider layer: the reader moderates the datasets policies govern.

The Moderations API stores nothing, so a policy has no object in the platform; its "live"
object is what moderation finds now. `ModerationPolicyReader.read` runs
`reconciler.moderation.moderate_policies` with `classify` (one `POST /v1/moderations` with many
inputs) on the shared read pool, and returns one local `LiveObject` per policy whose `info`
holds the findings per Dataset address (line numbers and scores, never text);
`minimum_requests` is the number of moderation requests needed (0 when every text was cached).
The provider does nothing: the plan never sends a change of this kind to apply.
"""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.errors import PermanentApiError
from reconciler.manifests import Stack
from reconciler.moderation import Classify, Scores, moderate_policies, policies_needing_moderation
from reconciler.providers.base import (
    LocalProvider,
    ReadContext,
    ReadResult,
)
from reconciler.providers.client import Clients
from reconciler.providers.errors import api_errors
from reconciler.state import LiveObject, Ownership


class ModerationPolicyReader:
    kind = "ModerationPolicy"

    def is_needed(self, stack: Stack, ownership: Ownership) -> bool:
        return bool(policies_needing_moderation(stack))

    def read(self, ctx: ReadContext) -> ReadResult:
        run = moderate_policies(ctx.stack, classify_with(ctx.clients), ctx.submit)
        objects = tuple(
            LiveObject(
                kind=self.kind,
                key=found.policy.partition("/")[2],
                live_id=f"local:{found.policy.partition('/')[2]}",
                address=found.policy,
                info=found.to_info(),
            )
            for found in run.policies
        )
        return ReadResult(objects, run.requests)


def classify_with(clients: Clients) -> Classify:
    """One Moderations request per call: `inputs` as the `input` array, a `Scores` each."""

    def classify(model: str, inputs: list[str]) -> Sequence[Scores]:
        operation = f"moderate {len(inputs)} dataset texts with {model}"
        with api_errors(operation):
            answer = clients.reader().moderations.create(model=model, input=inputs)
        if len(answer.results) != len(inputs):
            message = f"{operation}: {len(answer.results)} results came back"
            raise PermanentApiError(message, operation=operation)
        return [
            Scores.from_result(
                result.category_scores.model_dump(by_alias=True),
                result.categories.model_dump(by_alias=True),
            )
            for result in answer.results
        ]

    return classify


class ModerationPolicyProvider(LocalProvider):
    kind = "ModerationPolicy"
