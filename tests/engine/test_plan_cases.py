"""Plan cases as data: each folder under cases/ holds manifests, a live state and the actions.

`live.json` is a `LiveState` written by hand (no API involved: the planner is pure);
`expected.json` maps every address of the plan to its action; the rendered plan in all three
formats is pinned by syrupy snapshots (`pytest --snapshot-update` after an intended change).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

from reconciler.kinds.facts import check_datasets
from reconciler.manifests import load_stack
from reconciler.plan import Plan
from reconciler.planner import build_plan, digest_manifests
from reconciler.render import render_plan
from reconciler.state import LiveState

CASES = Path(__file__).parent / "cases"
CASE_NAMES = sorted(path.name for path in CASES.iterdir() if path.is_dir())


def plan_case(name: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Plan:
    case = tmp_path / name
    shutil.copytree(CASES / name, case)  # the dataset cache is written under manifests/
    monkeypatch.chdir(case)  # locations in the plan read `manifests/...`
    stack = load_stack(Path("manifests"))
    live = LiveState.from_json((case / "live.json").read_text())
    reports = check_datasets(stack)
    return build_plan(
        stack,
        live,
        reports=reports,
        manifest_digests=digest_manifests(stack, reports),
        manifests_path="manifests",
        created_at="2026-11-25T12:00:00Z",
    )


@pytest.mark.parametrize("name", CASE_NAMES)
def test_plan_has_the_expected_actions(
    name: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    plan = plan_case(name, monkeypatch, tmp_path)
    expected = json.loads((CASES / name / "expected.json").read_text())
    assert {c.address: c.action.value for c in plan.changes} == expected


@pytest.mark.parametrize("name", CASE_NAMES)
@pytest.mark.parametrize("fmt", ["human", "markdown", "json"])
def test_rendered_plan(
    name: str,
    fmt: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    snapshot: SnapshotAssertion,
) -> None:
    plan = plan_case(name, monkeypatch, tmp_path)
    assert render_plan(plan, fmt, color=False) == snapshot  # type: ignore[arg-type]


@pytest.mark.parametrize("name", CASE_NAMES)
def test_saved_plan_round_trips(name: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    plan = plan_case(name, monkeypatch, tmp_path)
    assert Plan.from_json(plan.to_json()) == plan
