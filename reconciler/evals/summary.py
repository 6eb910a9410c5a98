"""An EvalRun's summary, and how it is written in the name of its result file.

The platform refuses downloads of `user_data` files, so what must outlive the machine (the
pass rate and mean score per criterion, the item and error counts) is encoded in the result
file's *filename*, which any plan reads back from the file listing it makes anyway:

    reconciler--<stack>--EvalRun--<name>--<digest16>--n<items>e<errors>--<passed>p<mean‰>_….json
    reconciler--demo--EvalRun--ft--3f9a0c12d4e5f6a7--n10e0--9p900_10p974.json

One `<passed>p<mean‰>` per testing criterion, in the Eval's order (the digest pins that order):
items that passed, and the mean score in thousandths. The EvalRun provider calls `summarize` and
`filename`; its reader calls `parse_filename`; the planner shows `Summary.lines`.
"""

from __future__ import annotations

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


def summarize(digest: str, graded: Iterable[Sequence[Grade] | None], criteria: int) -> Summary:
    """The summary of every item's grades (None: the item's sampling failed)."""
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
    return Summary(digest, items, errors, results)


def filename(stack: str, name: str, summary: Summary) -> str:
    criteria = "_".join(f"{c.passed}p{c.mean_permille}" for c in summary.criteria)
    counts = f"n{summary.items}e{summary.errors}"
    return f"reconciler--{stack}--{KIND_PART}--{name}--{summary.digest}--{counts}--{criteria}.json"


def parse_filename(stack: str, text: str) -> tuple[str, Summary] | None:
    """(EvalRun name, summary) when `text` is a result file of `stack`, else None."""
    match = re.match(
        rf"^reconciler--{re.escape(stack)}--{KIND_PART}--(?P<name>(?:(?!--).)+)--"
        r"(?P<digest>[0-9a-f]{16})--n(?P<items>\d+)e(?P<errors>\d+)--"
        r"(?P<criteria>\d+p\d+(?:_\d+p\d+)*)\.json$",
        text,
    )
    if match is None:
        return None
    criteria = tuple(
        CriterionResult(int(passed), int(mean))
        for passed, _, mean in (part.partition("p") for part in match["criteria"].split("_"))
    )
    summary = Summary(match["digest"], int(match["items"]), int(match["errors"]), criteria)
    return match["name"], summary
