"""An EvalRun's summary, and how it is written in the name of its result file.

The platform refuses downloads of `user_data` files, so what must outlive the machine (the
pass rate and mean score per criterion, the item and error counts) is encoded in the result
file's *filename*, which any plan reads back from the file listing it makes anyway:

    reconciler--<stack>--EvalRun--<name>--<digest16>--n<items>e<errors>--<passed>p<mean‰>_…
        [--t<input tokens>-<output tokens>][--l<p50 ms>-<p95 ms>].json
    reconciler--demo--EvalRun--ft--3f9a0c12d4e5f6a7--n10e0--9p900_10p974--t1200-80--l310-420.json

One `<passed>p<mean‰>` per testing criterion, in the Eval's order (the digest pins that order):
items that passed, and the mean score in thousandths; then the tokens the samples used (for the
cost per 1,000 items) and, for `via: responses`, the latency percentiles of the calls. The
EvalRun provider calls `summarize` and `filename`; its reader calls `parse_filename`; the
planner shows `Summary.lines`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from reconciler.evals.graders import Grade

KIND_PART = "EvalRun"


@dataclass(frozen=True)
class CriterionResult:
    passed: int
    mean_permille: int

    @property
    def mean(self) -> float:
        return self.mean_permille / 1000


@dataclass(frozen=True)
class Summary:
    """What a finished run found: `items` sampled and graded, `errors` whose sampling failed."""

    digest: str
    items: int
    errors: int
    criteria: tuple[CriterionResult, ...]
    tokens: tuple[int, int] | None = None  # input, output tokens of all samples
    latency_ms: tuple[int, int] | None = None  # p50, p95 of the sampling calls

    def pass_rate(self, index: int) -> float:
        total = self.items + self.errors
        return self.criteria[index].passed / total if total else 0.0

    def lines(self, names: Sequence[str]) -> list[str]:
        """`exact: 90% pass (9/10), mean 0.900` per criterion, named from the Eval."""
        total = self.items + self.errors
        shown = []
        for index, result in enumerate(self.criteria):
            name = names[index] if index < len(names) else f"criterion {index + 1}"
            shown.append(
                f"{name}: {self.pass_rate(index):.0%} pass ({result.passed}/{total}), "
                f"mean {result.mean:.3f}"
            )
        return shown


def summarize(
    digest: str,
    graded: Iterable[Sequence[Grade] | None],
    criteria: int,
    *,
    tokens: tuple[int, int] | None = None,
    latencies: Sequence[int] = (),
) -> Summary:
    """The summary of every item's grades (None: the item's sampling failed), the tokens the
    samples used and the latency of each call (`via: responses`)."""
    passed, scores = [0] * criteria, [0.0] * criteria
    items = errors = 0
    for grades in graded:
        if grades is None:
            errors += 1
            continue
        items += 1
        for index, found in enumerate(grades):
            passed[index] += int(found.passed)
            scores[index] += found.score
    results = tuple(
        CriterionResult(passed[i], round(1000 * scores[i] / (items + errors)) if items else 0)
        for i in range(criteria)
    )
    return Summary(digest, items, errors, results, tokens, percentiles(latencies))


def percentiles(values: Sequence[int]) -> tuple[int, int] | None:
    """(p50, p95) by the nearest-rank method, or None without values."""
    if not values:
        return None
    ordered = sorted(values)

    def rank(p: float) -> int:
        return ordered[max(0, math.ceil(p * len(ordered)) - 1)]

    return rank(0.50), rank(0.95)


def filename(stack: str, name: str, summary: Summary) -> str:
    criteria = "_".join(f"{c.passed}p{c.mean_permille}" for c in summary.criteria)
    counts = f"n{summary.items}e{summary.errors}"
    tail = ""
    if summary.tokens is not None:
        tail += f"--t{summary.tokens[0]}-{summary.tokens[1]}"
    if summary.latency_ms is not None:
        tail += f"--l{summary.latency_ms[0]}-{summary.latency_ms[1]}"
    parts = f"{name}--{summary.digest}--{counts}--{criteria}{tail}"
    return f"reconciler--{stack}--{KIND_PART}--{parts}.json"


def parse_filename(stack: str, text: str) -> tuple[str, Summary] | None:
    """(EvalRun name, summary) when `text` is a result file of `stack`, else None."""
    match = re.match(
        rf"^reconciler--{re.escape(stack)}--{KIND_PART}--(?P<name>(?:(?!--).)+)--"
        r"(?P<digest>[0-9a-f]{16})--n(?P<items>\d+)e(?P<errors>\d+)--"
        r"(?P<criteria>\d+p\d+(?:_\d+p\d+)*)"
        r"(?:--t(?P<input>\d+)-(?P<output>\d+))?(?:--l(?P<p50>\d+)-(?P<p95>\d+))?\.json$",
        text,
    )
    if match is None:
        return None
    criteria = tuple(
        CriterionResult(int(passed), int(mean))
        for passed, _, mean in (part.partition("p") for part in match["criteria"].split("_"))
    )
    tokens = (int(match["input"]), int(match["output"])) if match["input"] else None
    latency = (int(match["p50"]), int(match["p95"])) if match["p50"] else None
    counts = int(match["items"]), int(match["errors"])
    return match["name"], Summary(match["digest"], *counts, criteria, tokens, latency)
