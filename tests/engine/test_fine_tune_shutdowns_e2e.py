"""End to end (issue 9): the model shutdown table a plan uses. The shipped table, under the
`shutdown_date`s `GET /v1/models` lists (read once per plan, not per FineTune), under the
stack's own `model_shutdowns:` file in reconciler.yaml, whose `job_creation_closes` moves the
date from which new jobs are refused."""

from __future__ import annotations

import json

import pytest

from .e2e import Workspace

FINE_TUNE = """apiVersion: reconciler/v1
kind: FineTune
metadata: {name: NAME}
spec:
  model: gpt-4.1-mini-2025-04-14
  training_file: Dataset/support-train
  method: {type: supervised}
  suffix: NAME
"""

OVERRIDE = {
    "job_creation_closes": "2026-12-01",
    "job_creation_closes_source": "our account team's note of 2026-11-20",
    "models": [
        {"match": "gpt-4.1-mini", "shutdown_date": "2027-01-31", "source": "our account team"}
    ],
}


@pytest.fixture(autouse=True)
def _today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECONCILER_TODAY", "2026-12-02")


def _declare(ws: Workspace, *names: str) -> None:
    for name in names:
        text = FINE_TUNE.replace("NAME", name)
        (ws.specs / f"{name}.yaml").write_text(text, encoding="utf-8")


def _plan_json(ws: Workspace) -> dict[str, object]:
    planned = ws.run("plan", "specs", "--format", "json")
    assert planned.exit_code == 0, planned.output
    found: dict[str, object] = json.loads(planned.stdout)
    return found


def test_the_api_s_dates_are_read_once_per_plan_and_win_over_the_shipped_table(
    ws: Workspace,
) -> None:
    _declare(ws, "ft-a")
    planned = ws.run("plan", "specs")
    assert planned.exit_code == 0, planned.output
    # shipped: 2027-01-14 (within 90 days); the API lists 2027-07-14: no warning, not even
    # the offline one among the plan's diagnostics
    assert "shuts down" not in planned.output
    validated = ws.run("validate", "specs")  # offline: the shipped table only
    assert "shuts down on 2027-01-14, in 43 days" in validated.output

    one = _plan_json(ws)
    _declare(ws, "ft-b", "ft-c")
    three = _plan_json(ws)
    assert three["requests"] == one["requests"]  # models (and jobs) listed once, not per object
    assert three["minimum_requests"] == one["minimum_requests"]


def test_the_stack_s_model_shutdowns_file_overrides_dates_and_the_close_date(
    ws: Workspace,
) -> None:
    _declare(ws, "ft-a")
    (ws.specs / "shutdowns.json").write_text(json.dumps(OVERRIDE), encoding="utf-8")
    config = ws.specs / "reconciler.yaml"
    config.write_text(
        config.read_text(encoding="utf-8") + "model_shutdowns: shutdowns.json\n", encoding="utf-8"
    )

    validated = ws.run("validate", "specs")
    assert "shuts down on 2027-01-31, in 60 days (source: our account team)" in validated.output

    planned = ws.run("plan", "specs")
    assert "shuts down on 2027-01-31, in 60 days (source: our account team)" in planned.stdout
    assert "! FineTune/ft-a" in planned.stdout
    assert "job creation closed for every organization on 2026-12-01" in planned.stdout
    assert "our account team's note of 2026-11-20" in planned.stdout

    (ws.specs / "shutdowns.json").write_text('{"models": [{"match": 1}]}', encoding="utf-8")
    broken = ws.run("validate", "specs")
    assert broken.exit_code == 1, broken.output
    assert "reconciler.yaml" in broken.output
    assert "cannot read the model shutdown table" in broken.output
    assert "Traceback" not in broken.output
