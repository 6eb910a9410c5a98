"""The spend-limit warning's arithmetic (`providers/spend_check.py`): which day of the last 30
a lowered limit would have been reached, and which changes lower a limit at all."""

from __future__ import annotations

from reconciler.plan import Action, FieldChange, ResourceChange
from reconciler.providers.spend_check import lowered_limit, spend_warning
from reconciler.providers.usage import DAY

START = 1_800_000_000 // DAY * DAY


def test_the_day_a_lowered_limit_would_have_been_reached() -> None:
    a_dollar_a_day = {START + day * DAY: 1.0 for day in range(30)}
    assert spend_warning(5000, 1200, a_dollar_a_day, START) == (
        "spend_limit from $50.00 to $12.00: the last 30 days cost $30.00; at the new limit it "
        "would have been reached on day 12 (2027-01-26)"
    )
    assert spend_warning(None, 6000, a_dollar_a_day, START) == (
        "spend_limit set to $60.00: the last 30 days cost $30.00 (50% of the new limit, "
        "not reached)"
    )


def change(*fields: FieldChange, kind: str = "Project") -> ResourceChange:
    return ResourceChange(
        address=f"{kind}/p",
        kind=kind,
        name="p",
        action=Action.UPDATE,
        reason="update",
        live_id="proj_1",
        changes=fields,
    )


def test_only_a_lower_or_new_project_limit_counts() -> None:
    amount = "spec.spend_limit.threshold_amount"
    assert lowered_limit(change(FieldChange(op="change", path=amount, old=900, new=500))) == (
        900,
        500,
    )
    assert lowered_limit(change(FieldChange(op="change", path=amount, old=500, new=900))) is None
    added = FieldChange(op="add", path="spec.spend_limit", new={"threshold_amount": 700})
    assert lowered_limit(change(added)) == (None, 700)
    other = FieldChange(op="change", path="spec.name", old="a", new="b")
    assert lowered_limit(change(other)) is None
    lowered = FieldChange(op="change", path=amount, old=900, new=500)
    assert lowered_limit(change(lowered, kind="Organization")) is None
