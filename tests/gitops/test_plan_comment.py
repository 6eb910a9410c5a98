"""Plan on a pull request, as the action runs it: validate's annotations, then one comment per
stack, created on the first push and updated in place (PATCH, same id) on the next."""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import PR, Loop

MARKER = "<!-- reconciler:plan stack=demo -->"


def _plan(loop: Loop, sha: str = "a" * 40):  # type: ignore[no-untyped-def]
    return loop.run(
        "plan", "--path", "specs", "--out", str(loop.root / "out" / "plan.json"), sha=sha
    )


def test_first_push_creates_the_comment_and_the_next_updates_it_in_place(loop: Loop) -> None:
    first = _plan(loop)
    assert first.returncode == 0, first.stdout + first.stderr
    [comment] = loop.github.comments_on(PR)
    body = comment["body"]
    assert body.startswith(MARKER)
    assert body.index("Plan: 3 to create") < body.index("<details>")  # summary first
    assert "reconciler-plan-demo" in body and "aaaaaaaaaaaa" in body
    assert ("POST", f"/repos/acme/platform/issues/{PR}/comments") in loop.github.writes()
    outputs = loop.outputs()
    assert outputs["has-changes"] == "true"
    assert outputs["artifact-name"] == "reconciler-plan-demo"
    saved = json.loads(Path(outputs["plan-file"]).read_text(encoding="utf-8"))
    assert saved["stack"] == "demo" and saved["manifests_path"] == "specs"
    assert "Plan: 3 to create" in loop.summary()
    assert loop.github.requests[0].authorization == "Bearer ghs_test_token"

    loop.edit("project.yaml", "TechCorp Support", "TechCorp Help")  # a second push
    second = _plan(loop, sha="b" * 40)
    assert second.returncode == 0, second.stdout + second.stderr
    [updated] = loop.github.comments_on(PR)
    assert updated["id"] == comment["id"]
    assert "TechCorp Help" in updated["body"] and "bbbbbbbbbbbb" in updated["body"]
    patches = [r for r in loop.github.requests if r.method == "PATCH"]
    assert [r.path for r in patches] == [f"/repos/acme/platform/issues/comments/{comment['id']}"]


def test_the_comment_is_found_among_many_pages_of_comments(loop: Loop) -> None:
    loop.github.page_size = 2
    for n in range(5):
        loop.github.comments[n] = {"id": n, "issue": PR, "body": f"someone else's comment {n}"}
    assert _plan(loop).returncode == 0
    assert _plan(loop).returncode == 0
    ours = [c for c in loop.github.comments_on(PR) if MARKER in c["body"]]
    assert len(ours) == 1
    assert any(r.query.get("page") == ["3"] for r in loop.github.requests)


def test_invalid_manifests_post_their_located_errors_and_annotate_the_diff(loop: Loop) -> None:
    loop.edit("project.yaml", "  name: TechCorp", "  nmae: TechCorp")
    broken = _plan(loop)
    assert broken.returncode == 1
    # the annotations, one line each, at the diagnostics' file:line:col
    assert "::error file=specs/project.yaml,line=7,col=3,title=reconciler::" in broken.stdout
    assert "unknown field 'nmae'%0Ahint: did you mean 'name'?" in broken.stdout
    [comment] = loop.github.comments_on(PR)
    body = comment["body"]
    assert body.startswith(MARKER)
    assert "The manifests are invalid: nothing was planned." in body
    assert "specs/project.yaml:7:3: error: spec: unknown field 'nmae'" in body
    assert "did you mean 'name'?" in body
    assert loop.outputs()["result"] == "invalid"

    loop.edit("project.yaml", "  nmae: TechCorp", "  name: TechCorp")  # the fix, pushed
    assert _plan(loop).returncode == 0
    [fixed] = loop.github.comments_on(PR)
    assert fixed["id"] == comment["id"]
    assert "Plan: 3 to create" in fixed["body"] and "invalid" not in fixed["body"]


def test_a_token_without_permission_fails_the_step_saying_which(loop: Loop) -> None:
    loop.github.refuse = 403
    done = _plan(loop)
    assert done.returncode == 1
    assert "::error title=reconciler::GET /repos/acme/platform/issues/7/comments" in done.stdout
    assert "pull-requests: write" in done.stdout


def test_outside_a_pull_request_the_plan_goes_to_the_job_summary_only(loop: Loop) -> None:
    del loop.env["GITHUB_EVENT_PATH"]
    done = _plan(loop)
    assert done.returncode == 0
    assert loop.github.requests == []
    assert "Plan: 3 to create" in loop.summary()


def test_a_failing_plan_comments_its_error_and_keeps_no_artifact(loop: Loop) -> None:
    loop.env["OPENAI_API_KEY"] = "sk-wrong-key-0123456789"
    done = _plan(loop)
    assert done.returncode == 1
    [comment] = loop.github.comments_on(PR)
    assert comment["body"].startswith(MARKER)
    assert "```text\nerror:" in comment["body"]
    assert "sk-wrong-key-0123456789" not in comment["body"]  # keys are masked
    assert loop.outputs()["result"] == "error" and loop.outputs()["plan-file"] == ""


FINE_TUNE = """---
apiVersion: reconciler/v1
kind: FineTune
metadata: {name: support-ft}
spec:
  model: gpt-4.1-mini-2025-04-14
  training_file: Dataset/support-train
  method: {type: supervised, supervised: {hyperparameters: {n_epochs: 3}}}
"""


def test_the_comment_shows_the_cost_summary_and_policy_denials(loop: Loop) -> None:
    datasets = loop.specs / "datasets.yaml"
    datasets.write_text(datasets.read_text(encoding="utf-8") + FINE_TUNE, encoding="utf-8")
    planned = _plan(loop)
    assert planned.returncode == 0, planned.stdout + planned.stderr
    [comment] = loop.github.comments_on(PR)
    body = comment["body"]
    assert "**Estimated spend: this plan adds $0.08** (stack total $0.00 → $0.08)." in body
    assert "| training | 1 | $0.00 | +$0.08 | $0.08 |" in body
    assert body.index("Estimated spend") < body.index("<details>")  # with the summary

    config = loop.specs / "reconciler.yaml"
    guard = "policies: {paths: [builtin:project_guardrails]}\n"
    config.write_text(config.read_text(encoding="utf-8") + guard, encoding="utf-8")
    denied = _plan(loop, sha="b" * 40)
    assert denied.returncode == 1
    [updated] = loop.github.comments_on(PR)
    assert updated["id"] == comment["id"]
    text = updated["body"]
    assert "**error: 2 policy denial(s); apply will refuse this plan.**" in text
    assert "| deny | `reconciler.project_guardrails.deny` | `Project/support` |" in text
    assert "Estimated spend" in text
    assert loop.outputs()["result"] == "denied"
