"""Saved plans: a changed manifest, data file or live object makes `apply PLANFILE` refuse."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reconciler.errors import StalePlanError
from reconciler.kinds.facts import check_datasets
from reconciler.manifests import load_stack
from reconciler.plan import Plan
from reconciler.planner import build_plan, check_plan_is_current, digest_manifests
from reconciler.state import LiveState

CASE = Path(__file__).parent / "cases" / "in-sync"
EXTRA_LINE = (
    '{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hey"}]}\n'
)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(CASE, tmp_path / "case")
    monkeypatch.chdir(tmp_path / "case")
    return tmp_path / "case"


def make_plan(live: LiveState) -> Plan:
    stack = load_stack(Path("manifests"))
    reports = check_datasets(stack)
    return build_plan(
        stack, live, reports=reports, manifest_digests=digest_manifests(stack, reports)
    )


def live_state(workdir: Path) -> LiveState:
    return LiveState.from_json((workdir / "live.json").read_text())


def test_unchanged_inputs_are_current(workdir: Path) -> None:
    live = live_state(workdir)
    check_plan_is_current(make_plan(live), make_plan(live))


def test_edited_data_file_is_named(workdir: Path) -> None:
    live = live_state(workdir)
    saved = make_plan(live)
    with (workdir / "manifests/data/support-valid.jsonl").open("a") as handle:
        handle.write(EXTRA_LINE)
    with pytest.raises(StalePlanError, match=r"manifest data/support-valid.jsonl changed"):
        check_plan_is_current(saved, make_plan(live))


def test_live_object_changed_is_named(workdir: Path) -> None:
    live = live_state(workdir)
    saved = make_plan(live)
    project = live.objects[0].model_copy(update={"attributes": {"name": "Renamed"}})
    moved = live.model_copy(update={"objects": (project, *live.objects[1:])})
    with pytest.raises(StalePlanError, match=r"live object Project/proj_support0+ changed"):
        check_plan_is_current(saved, make_plan(moved))


def test_removed_manifest_is_named(workdir: Path) -> None:
    live = live_state(workdir)
    saved = make_plan(live)
    (workdir / "manifests/datasets.yaml").unlink()
    (workdir / "manifests/reconciler.yaml").write_text("stack: demo\n")
    with pytest.raises(StalePlanError) as caught:
        check_plan_is_current(saved, make_plan(live))
    assert "manifest datasets.yaml is gone" in str(caught.value)
    assert "manifest reconciler.yaml changed" in str(caught.value)
