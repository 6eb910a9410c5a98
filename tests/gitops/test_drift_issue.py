"""Scheduled drift, as the action runs it: one issue per stack, opened on drift, updated while
it lasts (same issue, first-seen time kept), closed with a comment when a run finds none."""

from __future__ import annotations

import subprocess
import sys

from .conftest import Loop

MARKER = "<!-- reconciler:drift stack=demo -->"


def _apply(loop: Loop) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", "apply", "specs", "--auto-approve"],
        cwd=loop.root,
        env=loop.env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_drift_opens_updates_then_closes_one_issue(loop: Loop) -> None:
    _apply(loop)
    clean = loop.run("drift", "--path", "specs")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert loop.outputs()["drift"] == "false"
    assert loop.github.writes() == []  # no drift, no issue: nothing written

    loop.edit("project.yaml", "TechCorp Support", "TechCorp Help")  # Git and live now differ
    opened = loop.run("drift", "--path", "specs", "--labels", "drift, ops")
    assert opened.returncode == 0, opened.stdout + opened.stderr
    issues = [i for i in loop.github.issues.values() if "pull_request" not in i]
    [issue] = issues
    assert issue["title"] == "Drift in stack demo: live state differs from Git"
    assert issue["body"].startswith(MARKER)
    assert "Drift: 1 object(s) differ from Git" in issue["body"]
    assert "TechCorp Help" in issue["body"]
    assert issue["labels"] == ["drift", "ops"]
    assert loop.outputs() == {"drift": "true", "issue": str(issue["number"])}
    first_body = issue["body"]

    again = loop.run("drift", "--path", "specs", "--fail-on-drift")
    assert again.returncode == 2
    assert [i["number"] for i in loop.github.issues.values() if "pull_request" not in i] == [
        issue["number"]
    ]
    assert ("PATCH", f"/repos/acme/platform/issues/{issue['number']}") in loop.github.writes()
    since = first_body.split("drift-since ")[1].split(" -->")[0]
    assert f"drift-since {since} -->" in issue["body"]  # first seen, kept

    loop.edit("project.yaml", "TechCorp Help", "TechCorp Support")  # back in line
    closed = loop.run("drift", "--path", "specs")
    assert closed.returncode == 0
    assert issue["state"] == "closed" and issue["state_reason"] == "completed"
    [comment] = loop.github.comments_on(issue["number"])
    assert comment["body"].startswith("No drift any more")

    loop.edit("project.yaml", "TechCorp Support", "TechCorp Help")  # drifts again: a new issue
    assert loop.run("drift", "--path", "specs").returncode == 0
    assert len([i for i in loop.github.issues.values() if "pull_request" not in i]) == 2


def test_a_failing_drift_run_leaves_the_issue_alone(loop: Loop) -> None:
    loop.env["OPENAI_API_KEY"] = "not-a-key"
    done = loop.run("drift", "--path", "specs")
    assert done.returncode == 1
    assert loop.outputs()["drift"] == "error"
    assert loop.github.writes() == []
