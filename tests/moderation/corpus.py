"""A labelled corpus built from the sandbox's documented word list (docs/sandbox/inference.md):
for every category, texts with one strong entry, one mild entry and two mild entries, plus
harmless texts. Scored with the sandbox's own rule, so the tests need no server."""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.moderation import Scores
from reconciler.sandbox.moderation import FLAG_THRESHOLD, MILD, STRONG, WORD_LIST, category_scores

HARMLESS = (
    "Where is my parcel?",
    "Please reset my password link.",
    "The invoice shows the wrong address.",
    "Thanks, that solved it!",
)


@dataclass(frozen=True)
class Sample:
    text: str
    category: str | None  # the category its entries belong to (None: harmless)
    strength: str  # "strong", "mild", "two mild" or "none"


def _phrase(entry: str) -> str:
    return entry.rstrip("*")


def corpus() -> list[Sample]:
    samples = [Sample(text, None, "none") for text in HARMLESS]
    for category, entries in WORD_LIST.items():
        strong = [_phrase(e) for e, w in entries if w == STRONG]
        mild = [_phrase(e) for e, w in entries if w == MILD]
        if strong:
            samples.append(Sample(f"They said: {strong[0]}.", category, "strong"))
        if mild:
            samples.append(Sample(f"Well, {mild[0]} again.", category, "mild"))
        if len(mild) >= 2:
            samples.append(Sample(f"{mild[0]}, then {mild[1]}.", category, "two mild"))
    return samples


def sandbox_scores(text: str) -> Scores:
    """What the sandbox answers for `text`: its scores, flagged at `FLAG_THRESHOLD`."""
    scores = category_scores(text)
    return Scores(scores, frozenset(c for c, s in scores.items() if s >= FLAG_THRESHOLD))
