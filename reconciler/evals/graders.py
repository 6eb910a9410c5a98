"""OpenAI's local grader types, run on one item and its sample: `grade(grader, item, sample)`.

The EvalRun provider calls `grade` for every criterion of every item once its sample is in;
`validation.py` calls `refusal` so that a grader this engine cannot run is a `validate` error
rather than a failed apply. Scores are in [0, 1]. The metrics come from established libraries
(the optional extra `reconciler[evals]`): rapidfuzz for `fuzzy_match`, nltk for `bleu` and
`gleu`, rouge-score for `rouge_*`. They are imported only when a grader runs.

| metric | how |
| --- | --- |
| fuzzy_match | `rapidfuzz.fuzz.ratio / 100` (normalised Indel similarity) |
| bleu | `nltk.translate.bleu_score.sentence_bleu`, 4-gram, smoothing method1, wordpunct tokens |
| gleu | `nltk.translate.gleu_score.sentence_gleu`, 1-4 grams, wordpunct tokens |
| rouge_1 … rouge_5, rouge_l | `rouge_score.rouge_scorer` F-measure (`rouge1` … `rougeL`) |
| meteor | `nltk.translate.meteor_score.meteor_score`, wordpunct tokens, `evals/wordnet.py` |
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from reconciler.evals.formula import FormulaError, evaluate
from reconciler.evals.templates import fill
from reconciler.evals.wordnet import MISSING as WORDNET_MISSING
from reconciler.evals.wordnet import locate as wordnet_locate
from reconciler.evals.wordnet import reader as wordnet_reader

EXTRA_HINT = "pip install 'reconciler[evals]'"
LOCAL_GRADERS = ("string_check", "text_similarity")
MODEL_GRADERS = ("score_model", "label_model")  # run by the provider: evals/model_graders.py
MULTI_PARTS = LOCAL_GRADERS  # what a multi grader can combine (graded here, without a model)
ROUGE_KEYS = {f"rouge_{n}": f"rouge{n}" for n in range(1, 6)} | {"rouge_l": "rougeL"}
METRIC_MODULES = {
    "fuzzy_match": "rapidfuzz",
    "bleu": "nltk",
    "gleu": "nltk",
    "meteor": "nltk",
    **{metric: "rouge_score" for metric in ROUGE_KEYS},
}
REFUSED_METRICS: dict[str, str] = {}
_WORDNET: list[Path | None] = [None]  # the stack's `evals.wordnet` folder (`use_wordnet`)
REFUSED_TYPES: dict[str, str] = {}


class MissingExtraError(RuntimeError):
    """A metric's library is not installed."""


@dataclass(frozen=True)
class Grade:
    """One criterion's verdict on one item."""

    score: float
    passed: bool


def use_wordnet(folder: Path | None) -> None:
    """Where meteor reads WordNet first (reconciler.yaml's `evals.wordnet`, made absolute)."""
    _WORDNET[0] = folder


def refusal(grader: Mapping[str, Any], wordnet: Path | None = None) -> str | None:
    """Why this engine cannot run `grader` (type, metric, a missing library or, for meteor,
    WordNet data not found in `wordnet` or the usual places), else None."""
    kind = str(grader.get("type"))
    if kind in REFUSED_TYPES:
        return REFUSED_TYPES[kind]
    if kind == "multi":
        for key, sub in dict(grader.get("graders") or {}).items():
            sub_kind = sub.get("type") if isinstance(sub, Mapping) else None
            if sub_kind not in MULTI_PARTS:
                return (
                    f"multi grader part '{key}' is a {sub_kind}: a multi grader combines "
                    f"{', '.join(MULTI_PARTS)} graders"
                )
            if sub.get("evaluation_metric") == "cosine":
                return (
                    f"multi grader part '{key}': cosine goes through the embeddings API; make it "
                    "a criterion of its own"
                )
            why = refusal(sub, wordnet)
            if why is not None:
                return f"multi grader part '{key}': {why}"
        return None
    if kind != "text_similarity":
        return None
    metric = str(grader.get("evaluation_metric"))
    if metric in REFUSED_METRICS:
        return REFUSED_METRICS[metric]
    module = METRIC_MODULES.get(metric)
    if module is not None and importlib.util.find_spec(module) is None:
        return f"{metric} needs the '{module}' package: {EXTRA_HINT}"
    if metric == "meteor" and wordnet_locate(wordnet) is None:
        return WORDNET_MISSING
    return None


def grade(grader: Mapping[str, Any], item: Any, sample: Mapping[str, Any]) -> Grade:
    """The grade of one item's sample (templates filled from the item and the sample)."""
    kind = grader.get("type")
    if kind == "multi":
        return _multi(grader, item, sample)
    given = fill(str(grader["input"]), item, sample)
    reference = fill(str(grader["reference"]), item, sample)
    if kind == "string_check":
        passed = string_check(str(grader["operation"]), given, reference)
        return Grade(1.0 if passed else 0.0, passed)
    if kind == "text_similarity":
        score = similarity(str(grader["evaluation_metric"]), given, reference)
        return Grade(score, score >= float(grader["pass_threshold"]))
    if kind in MODEL_GRADERS:
        raise ValueError(f"{kind} graders are answered by a model: see evals/model_graders.py")
    if kind == "python":
        raise ValueError("python graders run in a child process: see evals/python_grader.py")
    raise ValueError(REFUSED_TYPES.get(str(kind), f"unknown grader type {kind!r}"))


def _multi(grader: Mapping[str, Any], item: Any, sample: Mapping[str, Any]) -> Grade:
    """OpenAI's multi grader: `calculate_output` over the parts' scores (by their keys). It
    passes at `pass_threshold`, or (without one) when every part passes; a formula that fails
    on these scores (÷0) grades 0 and fails."""
    parts = {key: grade(sub, item, sample) for key, sub in dict(grader["graders"]).items()}
    try:
        score = evaluate(str(grader["calculate_output"]), {k: g.score for k, g in parts.items()})
    except FormulaError:
        return Grade(0.0, False)
    threshold = grader.get("pass_threshold")
    if threshold is None:
        return Grade(score, all(g.passed for g in parts.values()))
    return Grade(score, score >= float(threshold))


def string_check(operation: str, given: str, reference: str) -> bool:
    """OpenAI's string_check: eq, ne, like (contains), ilike (contains, any case)."""
    if operation == "eq":
        return given == reference
    if operation == "ne":
        return given != reference
    if operation == "like":
        return reference in given
    if operation == "ilike":
        return reference.lower() in given.lower()
    raise ValueError(f"unknown string_check operation {operation!r}")


def similarity(metric: str, given: str, reference: str) -> float:
    """The `metric` score of `given` against `reference`, in [0, 1]."""
    if metric in REFUSED_METRICS:
        raise ValueError(REFUSED_METRICS[metric])
    try:
        measure = _METRICS[metric] if metric in _METRICS else _rouge(ROUGE_KEYS[metric])
    except KeyError:
        raise ValueError(f"unknown evaluation_metric {metric!r}") from None
    try:
        return float(measure(given, reference))
    except ImportError as error:
        raise MissingExtraError(f"{metric} needs {error.name}: {EXTRA_HINT}") from error


def _fuzzy(given: str, reference: str) -> float:
    from rapidfuzz import fuzz

    return float(fuzz.ratio(given, reference)) / 100.0


def _bleu(given: str, reference: str) -> float:
    from nltk.tokenize import wordpunct_tokenize  # type: ignore[import-untyped,import-not-found,unused-ignore]
    from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu  # type: ignore[import-untyped,import-not-found,unused-ignore]

    smoothing = SmoothingFunction().method1
    hypothesis, expected = wordpunct_tokenize(given), wordpunct_tokenize(reference)
    if not hypothesis or not expected:
        return 1.0 if hypothesis == expected else 0.0
    return float(sentence_bleu([expected], hypothesis, smoothing_function=smoothing))


def _gleu(given: str, reference: str) -> float:
    from nltk.tokenize import wordpunct_tokenize  # type: ignore[import-untyped,import-not-found,unused-ignore]
    from nltk.translate.gleu_score import sentence_gleu  # type: ignore[import-untyped,import-not-found,unused-ignore]

    return float(sentence_gleu([wordpunct_tokenize(reference)], wordpunct_tokenize(given)))


def _meteor(given: str, reference: str) -> float:
    from nltk.tokenize import wordpunct_tokenize  # type: ignore[import-untyped,import-not-found,unused-ignore]
    from nltk.translate.meteor_score import meteor_score  # type: ignore[import-untyped,import-not-found,unused-ignore]

    where = wordnet_locate(_WORDNET[0])
    if where is None:
        raise MissingExtraError(WORDNET_MISSING)
    hypothesis, expected = wordpunct_tokenize(given), wordpunct_tokenize(reference)
    if not hypothesis or not expected:
        return 1.0 if hypothesis == expected else 0.0
    return float(meteor_score([expected], hypothesis, wordnet=wordnet_reader(where)))


def _rouge(key: str) -> Callable[[str, str], float]:
    def measure(given: str, reference: str) -> float:
        return float(_rouge_scorer(key).score(reference, given)[key].fmeasure)

    return measure


@cache
def _rouge_scorer(key: str) -> Any:
    from rouge_score import rouge_scorer  # type: ignore[import-untyped,import-not-found,unused-ignore]

    return rouge_scorer.RougeScorer([key])


_METRICS: dict[str, Callable[[str, str], float]] = {
    "fuzzy_match": _fuzzy,
    "bleu": _bleu,
    "gleu": _gleu,
    "meteor": _meteor,
}
