"""Moderation of dataset files against `ModerationPolicy` manifests, without the SDK.

The ModerationPolicy reader (`providers/moderation.py`) calls `moderate_policies` with a
`classify` function that sends one Moderations request; everything else lives here and is pure
of the network: which datasets a policy governs (`targets`), which texts a JSONL line holds
(`texts`), chunking and request packing (`chunks`), the score cache (`cache`), thresholds and
the findings the planners read back from the live state (`findings`).
"""

from __future__ import annotations

from reconciler.moderation.cache import ScoreCache
from reconciler.moderation.chunks import CHUNK_CHARS, MAX_INPUTS, MAX_REQUEST_CHARS, chunk_text
from reconciler.moderation.findings import (
    DatasetFindings,
    PolicyFindings,
    flagged_categories,
)
from reconciler.moderation.run import Classify, ModerationRun, moderate_policies
from reconciler.moderation.scores import Scores
from reconciler.moderation.targets import governed_datasets, policies_needing_moderation
from reconciler.moderation.texts import line_texts

__all__ = [
    "CHUNK_CHARS",
    "MAX_INPUTS",
    "MAX_REQUEST_CHARS",
    "Classify",
    "DatasetFindings",
    "ModerationRun",
    "PolicyFindings",
    "ScoreCache",
    "Scores",
    "chunk_text",
    "flagged_categories",
    "governed_datasets",
    "line_texts",
    "moderate_policies",
    "policies_needing_moderation",
]
