"""`action.yml` itself, step by step as the runner would run it (tests/gitops/action_runner.py):
a pull request's plan (comment, artifact), then the merge's apply finds that artifact in the
pull request's run, downloads it and applies it; drift opens its issue."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .action_runner import ActionRun, run_action
from .conftest import PR, Loop

HEAD, MERGE = "1" * 40, "2" * 40


def _action(loop: Loop, tmp: Path, sha: str, **inputs: str) -> tuple[ActionRun, int]:
    temp = tmp / f"runner-temp-{len(list(tmp.glob('runner-temp-*')))}"
    temp.mkdir()
    env = {**loop.env, "GITHUB_SHA": sha, "RUNNER_TEMP": str(temp)}
    run = ActionRun(inputs=dict(inputs), env=env, workdir=loop.root, artifacts=tmp / "artifacts")
    return run, run_action(run)


def test_plan_on_the_pull_request_then_apply_on_merge(loop: Loop, tmp_path: Path) -> None:
    plan, code = _action(loop, tmp_path, HEAD, command="plan", path="specs")
    assert code == 0, plan.log
    assert plan.ran == [
        "check the command",
        "actions/setup-python@v5",
        "install the reconciler",
        "plan",
        "keep the saved plan",
    ]
    assert plan.outputs["plan"]["result"] == "changes"
    [comment] = loop.github.comments_on(PR)
    assert "Plan: 3 to create" in comment["body"]
    assert (tmp_path / "artifacts" / "4242" / "reconciler-plan-demo" / "plan.json").is_file()

    # merged: GitHub knows the pull request of the merge commit and the run of its head
    loop.github.commit_pulls[MERGE] = [
        {
            "number": PR,
            "merged_at": "2026-12-02T10:00:00Z",
            "merge_commit_sha": MERGE,
            "head": {"sha": HEAD},
        }
    ]
    loop.github.runs.append(
        {"id": 4242, "head_sha": HEAD, "event": "pull_request", "created_at": "2026-12-02T09:00Z"}
    )
    loop.github.artifacts[4242] = [{"name": "reconciler-plan-demo", "expired": False}]
    del loop.env["GITHUB_EVENT_PATH"]
    apply, code = _action(
        loop, tmp_path, MERGE, command="apply", path="specs", **{"allow-delete": "true"}
    )
    assert code == 0, apply.log
    assert apply.ran[-3:] == ["find the reviewed plan", "download the reviewed plan", "apply"]
    assert apply.outputs["apply"]["result"] == "applied"
    bodies = [c["body"] for c in loop.github.comments_on(PR)]
    assert any("Applied the plan reviewed on this pull request." in b for b in bodies)
    drift = subprocess.run(
        [sys.executable, "-m", "reconciler", "drift", "specs"],
        cwd=loop.root,
        env=loop.env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert drift.returncode == 0, drift.stdout


def test_apply_without_a_reviewed_plan_stops(loop: Loop, tmp_path: Path) -> None:
    del loop.env["GITHUB_EVENT_PATH"]
    apply, code = _action(loop, tmp_path, MERGE, command="apply", path="specs")
    assert code == 1
    assert "download the reviewed plan" not in apply.ran
    assert "was not merged from a pull request" in apply.log[-1]
    assert "Nothing was applied" in apply.log[-1]


def test_invalid_manifests_fail_the_plan_step_and_upload_nothing(
    loop: Loop, tmp_path: Path
) -> None:
    loop.edit("project.yaml", "  name: TechCorp", "  nmae: TechCorp")
    plan, code = _action(loop, tmp_path, HEAD, command="plan", path="specs")
    assert code == 1
    assert plan.ran[-1] == "plan"
    assert "::error file=specs/project.yaml,line=7,col=3" in plan.log[-1]
    assert not (tmp_path / "artifacts").exists()


def test_drift_through_the_action_opens_the_issue_with_labels(loop: Loop, tmp_path: Path) -> None:
    drift, code = _action(
        loop,
        tmp_path,
        HEAD,
        command="drift",
        path="specs",
        **{"issue-labels": "drift", "fail-on-drift": "true"},
    )
    assert code == 2, drift.log  # nothing applied yet: everything differs
    [issue] = [i for i in loop.github.issues.values() if "pull_request" not in i]
    assert issue["labels"] == ["drift"]
    assert drift.outputs["drift"]["drift"] == "true"


def test_an_unknown_command_is_refused(loop: Loop, tmp_path: Path) -> None:
    run, code = _action(loop, tmp_path, HEAD, command="destroy")
    assert code == 1
    assert "command must be plan, apply or drift" in run.log[0]
