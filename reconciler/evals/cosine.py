"""`text_similarity` with `evaluation_metric: cosine`: the cosine similarity of the embeddings
of `input` and `reference`, through the embeddings API.

The EvalRun provider (`providers/eval_runs.py`) calls `texts` for every sampled item, embeds the
distinct texts with `EMBEDDING_MODEL` (`EMBEDDING_CHUNK` inputs per request, in the run's
project), then `score` for each item; `graders.grade` is never called for it (it needs the
API). A negative cosine scores 0, so scores stay in [0, 1] like the other metrics.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.evals.templates import fill

EMBEDDING_MODEL = "text-embedding-3-small"
EMBEDDING_CHUNK = 256  # inputs per embeddings request (the API takes up to 2048)


def is_cosine(grader: Mapping[str, Any]) -> bool:
    return grader.get("type") == "text_similarity" and grader.get("evaluation_metric") == "cosine"


def texts(grader: Mapping[str, Any], item: Any, sample: Mapping[str, Any]) -> tuple[str, str]:
    """(input, reference) of one item, templates filled."""
    return fill(str(grader["input"]), item, sample), fill(str(grader["reference"]), item, sample)


def similarity(left: Sequence[float], right: Sequence[float]) -> float:
    """The cosine of two vectors, negatives as 0; 0 when either is all zeros."""
    dot = sum(a * b for a, b in zip(left, right, strict=True))
    norms = math.sqrt(sum(a * a for a in left)) * math.sqrt(sum(b * b for b in right))
    if norms == 0:
        return 0.0
    return max(0.0, min(1.0, dot / norms))
