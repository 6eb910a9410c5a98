"""Thresholds on a labelled corpus (tests/moderation/corpus.py): how the number of flagged texts
changes as a category's threshold changes, and that an unset category follows the API's flag."""

from __future__ import annotations

import pytest

from reconciler.moderation import Scores, flagged_categories

from .corpus import corpus, sandbox_scores


def _flag_count(category: str, thresholds: dict[str, float]) -> int:
    return sum(
        category in flagged_categories(sandbox_scores(sample.text), thresholds)
        for sample in corpus()
    )


@pytest.mark.parametrize(
    ("threshold", "flagged"),
    [
        # violence texts: strong (0.6), mild (0.3), two mild (0.51); violence/graphic's strong
        # text raises its parent too (0.6). Harmless texts sit at a baseline below 0.0005.
        (None, 3),  # the API's flag, at 0.5: strong, two mild, graphic
        (0.9, 0),
        (0.55, 2),  # strong and graphic only
        (0.5, 3),
        (0.25, 4),  # the mild one too
        (0.001, 4),
        (0.0, 27),  # every text of the corpus (4 harmless + 23 labelled): all score above 0
    ],
)
def test_violence_flags_as_its_threshold_moves(threshold: float | None, flagged: int) -> None:
    thresholds = {} if threshold is None else {"violence": threshold}

    assert _flag_count("violence", thresholds) == flagged


def test_lowering_a_threshold_never_flags_fewer_texts() -> None:
    counts = [_flag_count("harassment", {"harassment": t}) for t in (0.9, 0.6, 0.5, 0.3, 0.1)]

    assert counts == sorted(counts)
    assert counts[0] < counts[-1]


def test_every_category_flags_its_strong_text_at_the_api_flag() -> None:
    for sample in corpus():
        flagged = flagged_categories(sandbox_scores(sample.text), {})
        if sample.strength == "strong":
            assert sample.category in flagged, sample
        if sample.strength == "mild":
            assert sample.category not in flagged, sample
        if sample.strength == "none":
            assert flagged == {}, sample


def test_a_threshold_overrides_the_api_flag_both_ways() -> None:
    scores = Scores({"violence": 0.6, "hate": 0.3}, frozenset({"violence"}))

    assert flagged_categories(scores, {"violence": 0.7, "hate": 0.2}) == {"hate": 0.3}
