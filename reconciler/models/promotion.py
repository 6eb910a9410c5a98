"""The `Promotion` kind: picks the best EvalRun candidate that passes every gate.

Registered in `reconciler.models.KINDS`. The decision is made in `plan` from the candidates'
result files (`kinds/promotion.py`); apply records the winner in one `user_data` file whose
name says which run won and its model (`reconciler.evals.winners`), so the previous winner
stays the output while no candidate passes. A gate is
a criterion of the candidates' Eval with `min_pass_rate` (at least this pass rate) or
`beat_baseline_by` (this much above the baseline's pass rate).
"""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import BaseModel, ConfigDict, Field

from reconciler.models.base import KindInfo, Spec, SpecProblem


class Gate(BaseModel):
    """One condition every promoted candidate meets."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    criterion: str = Field(min_length=1, description="A testing criterion's name.")
    min_pass_rate: float | None = Field(default=None, ge=0, le=1)
    beat_baseline_by: float | None = Field(
        default=None, ge=-1, le=1, description="Pass rate above the baseline's, e.g. 0.05."
    )


class PromotionSpec(Spec):
    """Candidates (EvalRuns of one Eval), an optional baseline and the gates."""

    candidates: tuple[str, ...] = Field(min_length=1, description="`EvalRun/name` references.")
    baseline: str | None = Field(default=None, description="An `EvalRun/name` to compare with.")
    gate: tuple[Gate, ...] = Field(default=(), description="Conditions every winner meets.")

    def problems(self) -> Iterator[SpecProblem]:
        for index, gate in enumerate(self.gate):
            if (gate.min_pass_rate is None) == (gate.beat_baseline_by is None):
                yield SpecProblem(
                    ("gate", index),
                    "a gate has exactly one of min_pass_rate and beat_baseline_by",
                    "split it into two gates",
                )
            if gate.beat_baseline_by is not None and self.baseline is None:
                yield SpecProblem(
                    ("gate", index, "beat_baseline_by"),
                    "beat_baseline_by needs a baseline",
                    "add baseline: EvalRun/<name>",
                )
        if len(set(self.candidates)) != len(self.candidates):
            yield SpecProblem(("candidates",), "a candidate is listed twice")


KIND = KindInfo(
    kind="Promotion",
    spec_model=PromotionSpec,
    reference_fields={"candidates": ("EvalRun",), "baseline": ("EvalRun",)},
    local_fields=frozenset({"candidates", "baseline", "gate"}),
    identity="its winner record: a user_data file named after the winning run and its model",
)

__all__ = ["KIND", "Gate", "PromotionSpec"]
