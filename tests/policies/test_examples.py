"""The shipped example policies (reconciler/policies/examples), each evaluated by the embedded
Rego engine over plan documents written as data: what each denies, and what it lets through."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.config import PolicyConfig
from reconciler.errors import ConfigError
from reconciler.policies import builtin_policies, evaluate, policy_sources

SHIPPED = builtin_policies()


def change(address: str, action: str = "create", **fields: Any) -> dict[str, Any]:
    kind = address.partition("/")[0]
    return {
        "address": address,
        "kind": kind,
        "action": action,
        "location": f"{kind.lower()}.yaml:1:1",
        "spec": {},
        "labels": {},
        "models": [],
        "cost": None,
        **fields,
    }


def plan(*changes: dict[str, Any], cost: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"format_version": 1, "mode": "apply", "changes": list(changes), "cost": cost}


def run(name: str, document: dict[str, Any], **params: Any) -> list[tuple[str, Any, str]]:
    found = evaluate({f"builtin:{name}": SHIPPED[name]}, document, params)
    return [(f.level, f.resource, f.message) for f in found]


GUARDED = {
    "name": "Support",
    "spend_limit": {"threshold_amount": 10000},
    "model_permissions": {"mode": "allow_list", "model_ids": ["gpt-4.1-mini"]},
}


def test_the_shipped_policies_are_listed() -> None:
    assert set(SHIPPED) == {
        "max_deletes",
        "model_shutdown",
        "plan_spend",
        "project_guardrails",
        "promotion_gate",
    }


def test_a_project_needs_a_spend_limit_and_a_model_allow_list() -> None:
    bare = change("Project/support", spec={"name": "Support"})
    denied = run("project_guardrails", plan(bare))
    assert [(level, resource) for level, resource, _ in denied] == [
        ("deny", "Project/support"),
        ("deny", "Project/support"),
    ]
    messages = " ".join(message for _, _, message in denied)
    assert "no spend_limit" in messages and "no model allow-list" in messages
    deny_list = {**GUARDED, "model_permissions": {"mode": "deny_list", "model_ids": ["x"]}}
    only_list = run("project_guardrails", plan(change("Project/support", spec=deny_list)))
    assert [m for _, _, m in only_list] == [
        "Project/support has no model allow-list: add spec.model_permissions with mode: allow_list"
    ]
    assert run("project_guardrails", plan(change("Project/support", spec=GUARDED))) == []


def test_projects_being_deleted_or_released_are_not_held_to_it() -> None:
    deleted = change("Project/old", action="delete", location=None)
    released = change("Project/adopted", action="noop", location=None)
    assert run("project_guardrails", plan(deleted, released)) == []


def run_on(model: str) -> dict[str, Any]:
    return change("EvalRun/tuned", spec={"model": model})


def test_a_fine_tune_is_not_promoted_without_an_eval_gate() -> None:
    promotion = change(
        "Promotion/best", spec={"candidates": ["EvalRun/tuned", "EvalRun/base"], "gate": []}
    )
    found = run("promotion_gate", plan(run_on("FineTune/tuned"), promotion))
    assert found == [
        (
            "deny",
            "Promotion/best",
            "Promotion/best promotes FineTune/tuned (candidate EvalRun/tuned) without an eval "
            "gate: add gate: [{criterion: ..., min_pass_rate: ...}]",
        )
    ]
    gated = {**promotion["spec"], "gate": [{"criterion": "exact", "min_pass_rate": 0.9}]}
    assert run("promotion_gate", plan(run_on("FineTune/tuned"), {**promotion, "spec": gated})) == []
    # a promotion among base models only promotes no fine-tune
    assert run("promotion_gate", plan(run_on("gpt-4.1-mini"), promotion)) == []


def use(days: int | None, model: str = "gpt-4o-mini") -> dict[str, Any]:
    date = None if days is None else "2027-01-14"
    return {"field": "spec.model", "model": model, "shutdown_date": date, "days_to_shutdown": days}


def test_no_model_within_30_days_of_its_shutdown() -> None:
    soon = change("FineTune/soon", spec={"model": "gpt-4o-mini"}, models=[use(29)])
    later = change("FineTune/later", spec={"model": "gpt-4o-mini"}, models=[use(30)])
    unknown = change("Dataset/d", models=[use(None, "gpt-5")])
    found = run("model_shutdown", plan(soon, later, unknown))
    assert found == [
        (
            "deny",
            "FineTune/soon",
            "FineTune/soon: spec.model = gpt-4o-mini shuts down on 2027-01-14, in 29 days "
            "(the limit is 30 days)",
        )
    ]
    assert [r for _, r, _ in run("model_shutdown", plan(later), min_days_to_shutdown=45)] == [
        "FineTune/later"
    ]


def test_no_more_than_n_deletes_in_one_apply() -> None:
    deletes = [change(f"Dataset/d{i}", action="delete", location=None) for i in range(6)]
    found = run("max_deletes", plan(*deletes))
    assert len(found) == 1
    level, resource, message = found[0]
    assert level == "deny"
    assert resource == ", ".join(f"Dataset/d{i}" for i in range(6))
    assert message.startswith("this plan deletes 6 objects; at most 5 may go in one apply")
    assert run("max_deletes", plan(*deletes[:5])) == []
    assert len(run("max_deletes", plan(*deletes[:2]), max_deletes=1)) == 1


def test_plan_spend_warns_then_denies() -> None:
    spending = plan(cost={"adds": 40.0, "previous": 0, "after": 40.0})
    assert [level for level, _, _ in run("plan_spend", spending)] == ["warn"]
    denied = run("plan_spend", spending, max_plan_spend_usd=30)
    assert sorted(level for level, _, _ in denied) == ["deny", "warn"]
    assert run("plan_spend", plan(cost=None)) == []


def test_conftest_style_rules_and_v0_syntax_are_read(tmp_path: Path) -> None:
    source = """package main
deny_big[msg] { count(input.changes) > 1; msg := "too many" }
warn contains {"msg": "looked", "resource": "Project/a"} if { true }
violation contains "plain" if { true }
"""
    found = evaluate({"p.rego": source}, plan(change("a/b"), change("a/c")), {})
    assert [(f.level, f.rule, f.resource, f.message) for f in found] == [
        ("deny", "main.deny_big", None, "too many"),
        ("deny", "main.violation", None, "plain"),
        ("warn", "main.warn", "Project/a", "looked"),
    ]


def test_invalid_rego_is_located_and_prints_nothing(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "bad.rego").write_text("package x\n\ndeny contains m if { m := }\n")
    sources = policy_sources(PolicyConfig(paths=("policies",)), tmp_path)
    with pytest.raises(ConfigError) as raised:
        evaluate(sources, plan(), {})
    assert "bad.rego: the policy is not valid Rego: Invalid assignment" in str(raised.value)
    assert "policies/bad.rego:3:" in str(raised.value)
    assert capfd.readouterr().out == ""


def test_paths_that_do_not_exist_are_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="'nowhere' does not exist"):
        policy_sources(PolicyConfig(paths=("nowhere",)), tmp_path)
    with pytest.raises(ConfigError, match="the shipped ones are builtin:max_deletes"):
        policy_sources(PolicyConfig(paths=("builtin:nope",)), tmp_path)


def test_validate_and_plan_report_a_broken_policy_at_its_line_before_any_request(
    tmp_path: Path,
) -> None:
    from click.testing import CliRunner

    from reconciler.cli import cli

    (tmp_path / "reconciler.yaml").write_text(
        "stack: demo\npolicies: {paths: [policies, builtin:max_deletes]}\n", encoding="utf-8"
    )
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "bad.rego").write_text(
        "package acme\n\ndeny contains m if { m := }\n", encoding="utf-8"
    )
    runner = CliRunner()
    validated = runner.invoke(cli, ["validate", str(tmp_path), "--format", "json"])
    assert validated.exit_code == 1, validated.output
    found = json.loads(validated.stdout)["diagnostics"]
    [problem] = [d for d in found if d["severity"] == "error"]
    assert problem["message"] == "the policy is not valid Rego: Invalid assignment operator"
    assert (problem["line"], problem["column"]) == (3, 24)
    assert problem["file"].endswith("policies/bad.rego")
    env = {"OPENAI_API_KEY": "sk-test-x", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}
    planned = runner.invoke(cli, ["plan", str(tmp_path)], env=env)
    assert planned.exit_code == 1
    assert "bad.rego:3:24: error: the policy is not valid Rego" in planned.output
    assert "could not reach" not in planned.output  # no request was made
