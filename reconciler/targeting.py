"""`--target Kind/name`: narrow a plan to some resources and what they depend on (Terraform's
`-target`).

Where it sits: `cli.py` calls `target_plan` on the plan `planner.build_plan` made (before the
policies read it), for `plan` and `apply`. The plan keeps the fingerprints of everything it
read, so a saved targeted plan is refused by `apply PLANFILE` when anything changed, like any
other. Pure.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from reconciler.errors import ConfigError
from reconciler.plan import Plan


def target_plan(plan: Plan, targets: Sequence[str]) -> Plan:
    """`plan` with only the changes of `targets` and, transitively, of what they depend on
    (a superseded copy `Kind/name#id` goes with `Kind/name`); a ConfigError for an address
    the plan does not have."""
    if not targets:
        return plan
    by_address = {change.address: change for change in plan.changes}
    for target in targets:
        if target not in by_address:
            raise ConfigError(_unknown(target, sorted(by_address)))
    wanted: set[str] = set()
    todo = list(targets)
    while todo:
        address = todo.pop()
        if address in wanted:
            continue
        wanted.add(address)
        change = by_address.get(address)
        if change is not None:
            todo.extend(change.depends_on)
    kept = tuple(change for change in plan.changes if change.address.partition("#")[0] in wanted)
    note = (
        f"--target {' '.join(targets)}: only these and what they depend on are planned "
        f"({len(kept)} of {len(plan.changes)} resources); the rest of the stack is left as "
        "it is. Plan the whole stack once the urgent change is done."
    )
    return plan.model_copy(update={"changes": kept, "warnings": (*plan.warnings, note)})


def _unknown(target: str, known: list[str]) -> str:
    if "/" not in target:
        return f"--target {target}: write it as Kind/name (e.g. Project/support)"
    close = difflib.get_close_matches(target, known, n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'?" if close else f"the stack has: {', '.join(known)}"
    return f"--target {target}: no such resource in this stack's plan; {hint}"
