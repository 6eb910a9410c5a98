"""The result of checking one dataset file: problems, statistics, cost estimate.

Built by `check.py`; read by the plan (summary lines, has_errors), by `validate` (diagnostics) and
saved in the plan and the cache through `to_dict`/`from_dict` (JSON-safe). Fingerprints for
`compare_datasets` travel beside the report, not inside its JSON.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from reconciler.datasets.fingerprints import ExampleFingerprints
from reconciler.datasets.problems import DataProblem
from reconciler.errors import Diagnostic

REPORT_SCHEMA = 1


@dataclass(frozen=True)
class DatasetStats:
    """What the data is and what it will cost. Token fields are None when not counted."""

    examples: int = 0
    lines: int = 0
    total_tokens: int | None = None
    min_tokens: int | None = None
    mean_tokens: float | None = None
    max_tokens: int | None = None
    assistant_tokens: int | None = None
    epochs: int | None = None
    epochs_source: str | None = None  # "declared" | "auto"
    billed_tokens: int | None = None
    estimated_cost_usd: float | None = None
    cost_basis: str | None = None  # e.g. "gpt-4.1-mini training price"
    requests: int | None = None  # batch files
    est_input_tokens: int | None = None  # batch files
    price_date: str | None = None
    model: str | None = None
    encoding: str | None = None
    token_limit: int | None = None
    over_limit_examples: int = 0
    images: int = 0
    image_examples: int = 0
    batch_endpoint: str | None = None


@dataclass(frozen=True)
class DatasetReport:
    path: str
    sha256: str
    size: int
    format: str
    format_detected: bool
    problems: tuple[DataProblem, ...]
    problem_counts: dict[str, int]
    stats: DatasetStats
    purpose: str = ""
    fingerprints: ExampleFingerprints | None = field(default=None, compare=False, repr=False)

    @property
    def has_errors(self) -> bool:
        return any(problem.severity == "error" for problem in self.problems)

    @property
    def error_count(self) -> int:
        return self._count("error")

    @property
    def warning_count(self) -> int:
        return self._count("warning")

    def _count(self, severity: str) -> int:
        severities = {p.code: p.severity for p in self.problems}
        return sum(n for code, n in self.problem_counts.items() if severities.get(code) == severity)

    def as_validation_file(self) -> DatasetReport:
        """The report of a file only ever used as a FineTune's validation file: the example
        count rules are the training file's (the API takes a validation file of any size)."""
        if self.stats.examples < 1:
            return self
        dropped = {"too_few_examples", "few_examples"}
        return replace(
            self,
            problems=tuple(p for p in self.problems if p.code not in dropped),
            problem_counts={k: n for k, n in self.problem_counts.items() if k not in dropped},
        )

    def diagnostics(self, file: str | None = None) -> list[Diagnostic]:
        """The kept problems as Diagnostics naming `file` (default: the report's path)."""
        return [problem.to_diagnostic(file or self.path) for problem in self.problems]

    def summary_lines(self) -> list[str]:
        """Short human lines for the plan."""
        lines = [_describe_data(self)]
        cost = _describe_cost(self)
        if cost:
            lines.append(cost)
        if self.problem_counts:
            lines.append(_describe_problems(self))
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": REPORT_SCHEMA,
            "path": self.path,
            "sha256": self.sha256,
            "size": self.size,
            "purpose": self.purpose,
            "format": self.format,
            "format_detected": self.format_detected,
            "problems": [problem.to_dict() for problem in self.problems],
            "problem_counts": dict(sorted(self.problem_counts.items())),
            "stats": asdict(self.stats),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DatasetReport:
        known = {f.name for f in fields(DatasetStats)}
        stats = DatasetStats(**{k: v for k, v in dict(data["stats"]).items() if k in known})
        return cls(
            path=str(data["path"]),
            sha256=str(data["sha256"]),
            size=int(data["size"]),
            format=str(data["format"]),
            format_detected=bool(data["format_detected"]),
            problems=tuple(DataProblem.from_dict(p) for p in data["problems"]),
            problem_counts={str(k): int(v) for k, v in dict(data["problem_counts"]).items()},
            stats=stats,
            purpose=str(data.get("purpose", "")),
        )


def _n(value: float | None) -> str:
    return "?" if value is None else f"{round(value):,}"


def _describe_data(report: DatasetReport) -> str:
    stats = report.stats
    kind = f"{report.format} (detected)" if report.format_detected else report.format
    if report.format == "batch":
        text = f"{kind} for {stats.batch_endpoint or '?'}, {stats.requests or 0:,} requests"
        if stats.model:
            text += f", model {stats.model}"
        if stats.est_input_tokens is not None:
            text += f", ~{stats.est_input_tokens:,} input tokens"
        return text
    text = f"{kind}, {stats.examples:,} examples"
    if stats.total_tokens is not None:
        text += (
            f", {stats.total_tokens:,} tokens (min {_n(stats.min_tokens)} / mean "
            f"{_n(stats.mean_tokens)} / max {_n(stats.max_tokens)})"
        )
    if stats.assistant_tokens:
        text += f", {stats.assistant_tokens:,} assistant tokens"
    if stats.images:
        text += f", {stats.images:,} images (not in the token counts)"
    return text


def _usd(amount: float) -> str:
    return f"${amount:,.2f}" if amount >= 0.01 or amount == 0 else f"${amount:.4f}"


def _describe_cost(report: DatasetReport) -> str | None:
    stats = report.stats
    date = f" ({stats.price_date})" if stats.price_date else ""
    if report.format == "batch":
        if stats.estimated_cost_usd is None:
            return None
        return (
            f"est. {_usd(stats.estimated_cost_usd)} for input at {stats.cost_basis}{date}; "
            "output tokens not included"
        )
    if stats.epochs is None:
        return None
    text = f"{stats.epochs} epochs ({stats.epochs_source})"
    if report.format == "reinforcement":
        return text + "; reinforcement fine-tuning is billed per training hour: no estimate"
    if stats.billed_tokens is None:
        return text + "; tokens not counted: no estimate"
    text += f", {stats.billed_tokens:,} billed training tokens"
    if stats.estimated_cost_usd is not None:
        return text + f", est. {_usd(stats.estimated_cost_usd)} at {stats.cost_basis}{date}"
    if stats.model is None:
        return text + "; no base model given: no estimate"
    return text + f"; no training price for {stats.model}: no estimate"


def _describe_problems(report: DatasetReport) -> str:
    severities = {p.code: p.severity for p in report.problems}
    parts = [
        f"{code} x{count:,}"
        for code, count in sorted(
            report.problem_counts.items(),
            key=lambda item: (severities.get(item[0]) != "error", item[0]),
        )
    ]
    counts = f"{_plural(report.error_count, 'error')}, {_plural(report.warning_count, 'warning')}"
    return f"{counts}: " + ", ".join(parts)


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" + ("" if count == 1 else "s")
