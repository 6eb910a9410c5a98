"""Apply on merge, as the action runs it: find the plan reviewed on the merged pull request
(its run's artifact), apply it while it is current, otherwise stop and say what changed."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from .conftest import PR, Loop

HEAD, MERGE = "1" * 40, "2" * 40


def _reviewed_plan(loop: Loop) -> Path:
    """The PR's plan run: comment, saved plan; GitHub knows the merge, the run, the artifact."""
    out = loop.root.parent / "artifact"
    done = loop.run("plan", "--path", "specs", "--out", str(out / "plan.json"), sha=HEAD)
    assert done.returncode == 0, done.stdout + done.stderr
    loop.github.commit_pulls[MERGE] = [
        {
            "number": PR,
            "merged_at": "2026-12-02T10:00:00Z",
            "merge_commit_sha": MERGE,
            "head": {"sha": HEAD},
        }
    ]
    loop.github.runs += [
        {"id": 550, "head_sha": HEAD, "event": "pull_request", "created_at": "2026-12-02T09:00Z"},
        {"id": 551, "head_sha": HEAD, "event": "pull_request", "created_at": "2026-12-02T09:30Z"},
    ]
    loop.github.artifacts[550] = [{"name": "reconciler-plan-demo", "expired": False}]
    return out


def _cli(loop: Loop, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reconciler", *args],
        cwd=loop.root,
        env=loop.env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _apply_comment(loop: Loop) -> str:
    [body] = [c["body"] for c in loop.github.comments_on(PR) if "reconciler:apply" in c["body"]]
    return str(body)


def test_the_reviewed_plan_is_found_and_applied(loop: Loop) -> None:
    artifact = _reviewed_plan(loop)
    del loop.env["GITHUB_EVENT_PATH"]  # a push to main
    found = loop.run("find-plan", "--path", "specs", sha=MERGE)
    assert found.returncode == 0, found.stdout + found.stderr
    outputs = loop.outputs()
    assert outputs == {
        "artifact-name": "reconciler-plan-demo",
        "run-id": "550",
        "pr-number": str(PR),
        "reason": "",
    }
    applied = loop.run(
        "apply", "--path", "specs", "--plan-dir", str(artifact), "--pr", str(PR), sha=MERGE
    )
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert loop.outputs()["result"] == "applied"
    assert "Applied the plan reviewed on this pull request." in _apply_comment(loop)
    assert _cli(loop, "drift", "specs").returncode == 0  # live state now matches Git


def test_a_plan_made_stale_by_a_later_merge_is_not_applied(loop: Loop) -> None:
    artifact = _reviewed_plan(loop)
    loop.edit("project.yaml", "TechCorp Support", "TechCorp Help")  # merged after the review
    del loop.env["GITHUB_EVENT_PATH"]
    refused = loop.run(
        "apply", "--path", "specs", "--plan-dir", str(artifact), "--pr", str(PR), sha=MERGE
    )
    assert refused.returncode == 1
    assert loop.outputs()["result"] == "stale"
    body = _apply_comment(loop)
    assert "Not applied: the reviewed plan is stale" in body
    assert "project.yaml" in body  # what changed since the review
    assert "What an apply would do now (not reviewed)" in body and "TechCorp Help" in body
    plan = _cli(loop, "plan", "specs")
    assert "3 to create" in plan.stdout  # nothing was applied


def test_a_plan_made_stale_by_a_live_change_is_not_applied(loop: Loop) -> None:
    artifact = _reviewed_plan(loop)
    elsewhere = loop.root.parent / "other"
    shutil.copytree(loop.specs, elsewhere / "specs")
    (elsewhere / "specs" / "datasets.yaml").unlink()  # someone applies part of it by hand
    subprocess.run(
        [sys.executable, "-m", "reconciler", "apply", "specs", "--auto-approve"],
        cwd=elsewhere,
        env=loop.env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    refused = loop.run("apply", "--path", "specs", "--plan-dir", str(artifact), "--pr", str(PR))
    assert refused.returncode == 1
    assert loop.outputs()["result"] == "stale"
    body = _apply_comment(loop)
    assert "Not applied: the reviewed plan is stale" in body
    assert "live object" in body  # what changed since the review


def test_without_a_reviewed_plan_nothing_is_applied_unless_allowed(loop: Loop) -> None:
    found = loop.run("find-plan", "--path", "specs", sha=MERGE)  # a direct push to main
    reason = loop.outputs()["reason"]
    assert found.returncode == 0 and loop.outputs()["run-id"] == ""
    assert "was not merged from a pull request" in reason
    refused = loop.run("apply", "--path", "specs", "--plan-dir", "", "--reason", reason)
    assert refused.returncode == 1
    assert "Nothing was applied" in refused.stdout
    assert "3 to create" in _cli(loop, "plan", "specs").stdout

    allowed = loop.run("apply", "--path", "specs", "--reason", reason, "--allow-unreviewed")
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert _cli(loop, "drift", "specs").returncode == 0


def test_an_expired_artifact_is_reported(loop: Loop) -> None:
    _reviewed_plan(loop)
    loop.github.artifacts[550] = [{"name": "reconciler-plan-demo", "expired": True}]
    assert loop.run("find-plan", "--path", "specs", sha=MERGE).returncode == 0
    assert loop.outputs()["run-id"] == ""
    assert "the artifact expired" in loop.outputs()["reason"]


def test_a_manual_run_applies_main_as_it_is_even_over_a_stale_plan(loop: Loop) -> None:
    artifact = _reviewed_plan(loop)
    loop.edit("project.yaml", "TechCorp Support", "TechCorp Help")
    done = loop.run(
        "apply",
        "--path",
        "specs",
        "--plan-dir",
        str(artifact),
        "--pr",
        str(PR),
        "--allow-unreviewed",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    body = _apply_comment(loop)
    assert "The reviewed plan was stale (below); applied the manifests as they are" in body
    assert "manifest project.yaml changed" in body
    assert _cli(loop, "drift", "specs").returncode == 0


def test_a_policy_that_landed_after_the_review_stops_the_apply(loop: Loop) -> None:
    policies = loop.specs / "policies"
    policies.mkdir()
    config = loop.specs / "reconciler.yaml"
    config.write_text(
        config.read_text(encoding="utf-8") + "policies: {paths: [policies]}\n", encoding="utf-8"
    )
    (policies / "labels.rego").write_text("package acme.labels\n", encoding="utf-8")
    artifact = _reviewed_plan(loop)
    strict = """package acme.labels

import rego.v1

deny contains {"msg": msg, "resource": change.address} if {
	some change in input.changes
	change.kind == "Dataset"
	not change.labels.owner
	msg := sprintf("%s has no owner label", [change.address])
}
"""
    (policies / "labels.rego").write_text(strict, encoding="utf-8")  # merged after the review
    del loop.env["GITHUB_EVENT_PATH"]
    refused = loop.run(
        "apply", "--path", "specs", "--plan-dir", str(artifact), "--pr", str(PR), sha=MERGE
    )
    assert refused.returncode == 1
    assert loop.outputs()["result"] == "denied"
    body = _apply_comment(loop)
    assert "Not applied: the stack's policies deny this plan" in body
    assert "[acme.labels.deny] Dataset/support-train has no owner label" in body
    assert "3 to create" in _cli(loop, "plan", "specs").stdout  # nothing was applied
