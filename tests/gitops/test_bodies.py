"""The texts the action posts stay under GitHub's 65,536-character limit and keep their marker."""

from __future__ import annotations

from reconciler.gitops import bodies


def test_a_huge_plan_is_cut_under_the_limit_with_its_marker_and_footer() -> None:
    block = "<details><summary>x</summary>\n\n```diff\n" + "+ a: 1\n" * 400 + "```\n</details>\n"
    markdown = "### Reconciler plan\n\n**Plan: 500 to create**\n\n" + block * 60
    run = bodies.RunInfo(sha="c" * 40, run_url="https://github.com/a/b/actions/runs/1", when="now")
    body = bodies.plan_comment("demo", markdown, run, artifact="reconciler-plan-demo")
    assert len(body) <= bodies.GITHUB_BODY_LIMIT
    assert body.startswith(bodies.plan_marker("demo"))
    assert "**Plan: 500 to create**" in body
    assert "65,536-character limit" in body
    assert body.rstrip().endswith("</sub>")
    assert body.count("```") % 2 == 0


def test_an_error_text_with_backticks_cannot_close_its_code_block() -> None:
    body = bodies.invalid_comment("demo", "a ``` b", bodies.RunInfo())
    assert "````text\na ``` b\n````" in body


def test_the_drift_issue_remembers_since_when() -> None:
    body = bodies.drift_issue(
        "demo", "Drift: 1", bodies.RunInfo(when="t2"), since="2026-12-01 06:00 UTC"
    )
    assert bodies.drift_since(body) == "2026-12-01 06:00 UTC"
    assert body.startswith(bodies.drift_marker("demo"))
