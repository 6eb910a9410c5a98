"""What moderation found, per policy and dataset: line numbers and scores, never the text.

`run.py` builds `PolicyFindings`; the ModerationPolicy reader puts them in its live object's
`info` (`to_info`), where the Dataset and ModerationPolicy planners read them back
(`PolicyFindings.from_info`) and word them (`blocked_reason`, `summary`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.moderation.scores import Scores

SHOWN_LINES = 5


def flagged_categories(scores: Scores, thresholds: Mapping[str, float]) -> dict[str, float]:
    """Category -> score of what a policy flags: a category with a threshold flags at a score
    at or above it; a category without one flags when the API flagged it."""
    flagged: dict[str, float] = {}
    for category, score in scores.scores.items():
        threshold = thresholds.get(category)
        if score >= threshold if threshold is not None else category in scores.flags:
            flagged[category] = score
    for category in scores.flags - set(scores.scores) - set(thresholds):
        flagged[category] = 1.0  # flagged without a score: count it as certain
    return flagged


@dataclass(frozen=True)
class DatasetFindings:
    """One dataset under one policy: lines checked and, per flagged line, category -> score."""

    file: str
    lines: int = 0
    flagged: Mapping[int, Mapping[str, float]] = field(default_factory=dict)

    def by_category(self) -> dict[str, list[tuple[int, float]]]:
        found: dict[str, list[tuple[int, float]]] = {}
        for line, categories in sorted(self.flagged.items()):
            for category, score in categories.items():
                found.setdefault(category, []).append((line, score))
        return dict(sorted(found.items()))

    def summary(self) -> str:
        """`120 lines checked, 2 flagged (violence 2, harassment 1)`."""
        text = f"{self.lines} lines checked, {len(self.flagged)} flagged"
        counts = [f"{c} {len(lines)}" for c, lines in self.by_category().items()]
        return text + (f" ({', '.join(counts)})" if counts else "")

    def first_findings(self) -> str:
        """`data/x.jsonl:3 (violence 0.62), … (+4 more lines)`: the first `SHOWN_LINES`."""
        shown = []
        for line, categories in sorted(self.flagged.items())[:SHOWN_LINES]:
            scores = ", ".join(f"{c} {s:.2f}" for c, s in sorted(categories.items()))
            shown.append(f"{self.file}:{line} ({scores})")
        more = len(self.flagged) - len(shown)
        return ", ".join(shown) + (f" (+{more} more lines)" if more > 0 else "")

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "lines": self.lines,
            "flagged_lines": sorted(self.flagged),
            "categories": {c: [[line, s] for line, s in v] for c, v in self.by_category().items()},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DatasetFindings:
        flagged: dict[int, dict[str, float]] = {}
        for category, entries in dict(data.get("categories") or {}).items():
            for line, score in entries:
                flagged.setdefault(int(line), {})[str(category)] = float(score)
        return cls(str(data.get("file", "")), int(data.get("lines", 0)), flagged)


@dataclass(frozen=True)
class PolicyFindings:
    """Everything one policy found, by Dataset address, and the requests it took."""

    policy: str
    action: str
    model: str
    datasets: Mapping[str, DatasetFindings] = field(default_factory=dict)
    requests: int = 0
    texts: int = 0
    cached: int = 0

    def blocked_reason(self, address: str) -> str | None:
        """Why `address` is blocked by this policy, or None (not governed, clean, or warn)."""
        words = self._words(address)
        return None if words is None or self.action != "block" else words

    def warning(self, address: str) -> str | None:
        words = self._words(address)
        return None if words is None or self.action != "warn" else words

    def _words(self, address: str) -> str | None:
        found = self.datasets.get(address)
        if found is None or not found.flagged:
            return None
        categories = ", ".join(found.by_category())
        return (
            f"{self.policy} flags {len(found.flagged)} of {found.lines} lines "
            f"({categories}): {found.first_findings()}"
        )

    def to_info(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "action": self.action,
            "model": self.model,
            "requests": self.requests,
            "texts": self.texts,
            "cached": self.cached,
            "datasets": {a: f.to_json() for a, f in sorted(self.datasets.items())},
        }

    @classmethod
    def from_info(cls, info: Mapping[str, Any]) -> PolicyFindings | None:
        datasets = info.get("datasets")
        if not isinstance(datasets, dict):
            return None
        return cls(
            policy=str(info.get("policy", "")),
            action=str(info.get("action", "block")),
            model=str(info.get("model", "")),
            datasets={str(a): DatasetFindings.from_json(f) for a, f in datasets.items()},
            requests=int(info.get("requests", 0)),
            texts=int(info.get("texts", 0)),
            cached=int(info.get("cached", 0)),
        )
