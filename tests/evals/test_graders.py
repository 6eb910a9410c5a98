"""The local graders against known values: each metric on pairs whose score is computed by
hand (BLEU and GLEU from their definitions, ROUGE from n-gram counts) or exact by construction;
string_check's four operations; templates filled from the item and the sample."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from reconciler.evals.graders import Grade, grade, refusal, similarity, string_check

HYPOTHESIS = "the cat sat on the mat"
REFERENCE = "the cat is on the mat"


@pytest.mark.parametrize(
    ("operation", "given", "reference", "passed"),
    [
        ("eq", "billing", "billing", True),
        ("eq", "Billing", "billing", False),
        ("ne", "sales", "billing", True),
        ("ne", "billing", "billing", False),
        ("like", "this is billing.", "billing", True),
        ("like", "This is Billing.", "billing", False),
        ("ilike", "This is BILLING.", "billing", True),
        ("ilike", "technical", "billing", False),
    ],
)
def test_string_check_operations(operation: str, given: str, reference: str, passed: bool) -> None:
    assert string_check(operation, given, reference) is passed


def test_bleu_of_a_known_pair_matches_the_definition() -> None:
    # modified n-gram precisions 5/6, 3/5, 1/4, 0/3; smoothing method1 puts 0.1 over the
    # count for the empty 4-gram match; equal lengths, so no brevity penalty
    precisions = [5 / 6, 3 / 5, 1 / 4, 0.1 / 3]
    expected = math.exp(sum(0.25 * math.log(p) for p in precisions))
    assert similarity("bleu", HYPOTHESIS, REFERENCE) == pytest.approx(expected, rel=1e-9)
    assert similarity("bleu", REFERENCE, REFERENCE) == pytest.approx(1.0)


def test_gleu_of_a_known_pair_is_matched_ngrams_over_all() -> None:
    # 1..4-grams: 18 in each sentence, 5 + 3 + 1 + 0 = 9 shared: min(9/18, 9/18)
    assert similarity("gleu", HYPOTHESIS, REFERENCE) == pytest.approx(0.5)


def test_rouge_scores_from_ngram_counts() -> None:
    # unigrams: 5 of 6 shared each way → F = 5/6; bigrams 3 of 5 → 3/5; LCS "the cat on the
    # mat" = 5 of 6 → 5/6
    assert similarity("rouge_1", HYPOTHESIS, REFERENCE) == pytest.approx(5 / 6)
    assert similarity("rouge_2", HYPOTHESIS, REFERENCE) == pytest.approx(3 / 5)
    assert similarity("rouge_l", HYPOTHESIS, REFERENCE) == pytest.approx(5 / 6)
    assert similarity("rouge_5", HYPOTHESIS, REFERENCE) == pytest.approx(0.0)


def test_fuzzy_match_is_the_normalised_indel_similarity() -> None:
    # "kitten" / "sitting": 13 characters, longest common subsequence 4 ("ittn") → 1 - 5/13
    assert similarity("fuzzy_match", "kitten", "sitting") == pytest.approx(8 / 13)
    assert similarity("fuzzy_match", "billing", "billing") == 1.0


def test_grade_fills_templates_and_applies_the_threshold() -> None:
    grader = {
        "type": "text_similarity",
        "name": "close",
        "input": "{{sample.output_text}}",
        "reference": "{{item.label}}",
        "evaluation_metric": "fuzzy_match",
        "pass_threshold": 0.8,
    }
    item = {"label": "billing"}
    assert grade(grader, item, {"output_text": "billing"}) == Grade(1.0, True)
    assert not grade(grader, item, {"output_text": "sales"}).passed
    check = {**grader, "type": "string_check", "operation": "eq"}
    assert grade(check, item, {"output_text": "billing"}) == Grade(1.0, True)


@pytest.mark.parametrize(
    ("grader", "words"),
    [
        ({"type": "text_similarity", "evaluation_metric": "cosine"}, None),
        ({"type": "score_model"}, None),
        ({"type": "label_model"}, None),
        ({"type": "python"}, None),  # its opt-in is checked with the stack config
        ({"type": "text_similarity", "evaluation_metric": "bleu"}, None),
        ({"type": "string_check"}, None),
    ],
)
def test_refusal_names_what_cannot_run(grader: dict[str, str], words: str | None) -> None:
    why = refusal(grader)
    assert (why is None) if words is None else (why is not None and words in why)


def test_a_missing_library_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name: None if name == "rapidfuzz" else real(name)
    )
    why = refusal({"type": "text_similarity", "evaluation_metric": "fuzzy_match"})
    assert why is not None and "pip install 'reconciler[evals]'" in why


def test_cosine_of_known_vectors() -> None:
    from reconciler.evals.cosine import similarity as cosine

    assert cosine([1.0, 0.0], [1.0, 0.0]) == 1.0
    assert cosine([1.0, 0.0], [0.0, 2.0]) == 0.0
    assert abs(cosine([1.0, 1.0], [1.0, 0.0]) - 2**-0.5) < 1e-12
    assert cosine([1.0, 0.0], [-1.0, 0.0]) == 0.0  # negatives score 0
    assert cosine([0.0, 0.0], [1.0, 0.0]) == 0.0


def test_meteor_of_known_pairs_with_a_wordnet(tmp_path: Path) -> None:
    """METEOR (alpha 0.9, beta 3, gamma 0.5): exact matches, then Porter stems, then WordNet
    synonyms ("auto" is a synonym of "car" in the tiny WordNet). All 4 words matched in one
    chunk: 1 × (1 - 0.5 × (1/4)³) = 0.9921875; 3 of 4: Fmean 0.75 × (1 - 0.5 × (1/3)³)."""
    from reconciler.evals.graders import use_wordnet

    from .tiny_wordnet import write_tiny_wordnet

    use_wordnet(write_tiny_wordnet(tmp_path / "wordnet"))
    try:
        assert similarity("meteor", "I drove my auto", "I drove my car") == 0.9921875
        without = similarity("meteor", "I drove my bike", "I drove my car")
        assert abs(without - 0.75 * 53 / 54) < 1e-12
        assert similarity("meteor", "nothing alike", "I drove my car") == 0.0
        meteor = {"type": "text_similarity", "evaluation_metric": "meteor"}
        assert refusal(meteor, tmp_path / "wordnet") is None
    finally:
        use_wordnet(None)


def test_meteor_never_downloads_wordnet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from reconciler.evals import wordnet
    from reconciler.evals.graders import MissingExtraError

    monkeypatch.setattr(wordnet, "SYSTEM_FOLDERS", ())
    monkeypatch.setattr("nltk.data.path", [])
    why = refusal({"type": "text_similarity", "evaluation_metric": "meteor"})
    assert why is not None and "never downloads" in why and "nltk.downloader wordnet" in why
    assert refusal({"type": "text_similarity", "evaluation_metric": "meteor"}, tmp_path) == why
    with pytest.raises(MissingExtraError, match="never downloads"):
        similarity("meteor", "a", "b")
