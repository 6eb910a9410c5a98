"""One moderation answer as data: the score and the API's own flag of each category.

`run.py` builds `Scores` from a Moderations result (through the provider's `classify`), the
cache stores them, and `findings.flagged_categories` applies a policy's thresholds to them.
Several chunks of one line combine with `merge` (highest score, any flag).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Scores:
    """Category -> score, and the categories the API flagged."""

    scores: Mapping[str, float] = field(default_factory=dict)
    flags: frozenset[str] = frozenset()

    @classmethod
    def from_result(cls, scores: Mapping[str, Any], categories: Mapping[str, Any]) -> Scores:
        """From a result's `category_scores` and `categories` (as plain dicts)."""
        return cls(
            {str(c): float(s) for c, s in scores.items() if isinstance(s, int | float)},
            frozenset(str(c) for c, flagged in categories.items() if flagged is True),
        )

    def to_json(self) -> dict[str, Any]:
        return {"s": dict(sorted(self.scores.items())), "f": sorted(self.flags)}

    @classmethod
    def from_json(cls, data: Any) -> Scores | None:
        if not isinstance(data, dict):
            return None
        scores, flags = data.get("s"), data.get("f")
        if not isinstance(scores, dict) or not isinstance(flags, list):
            return None
        return cls.from_result(scores, {str(f): True for f in flags})


def merge(parts: Iterable[Scores]) -> Scores:
    """The scores of a whole line from those of its texts and chunks: max score, any flag."""
    best: dict[str, float] = {}
    flags: set[str] = set()
    for part in parts:
        for category, score in part.scores.items():
            best[category] = max(score, best.get(category, 0.0))
        flags |= part.flags
    return Scores(best, frozenset(flags))
