"""End to end (issue 13): guardrails as code and the cost summary, through the CLI against the
sandbox. Rego policies named in reconciler.yaml are evaluated over every plan; a `deny` makes
`plan` exit 1 and `apply` refuse before changing anything, with the rule and the resource in
every output format; a `warn` only reports. The plan's cost summary adds up what it spends."""

from __future__ import annotations

import json

import openai
import pytest

from .e2e import Workspace, active_projects

NAME = "TechCorp Support"
GUARDS = """policies:
  paths: [builtin:project_guardrails, builtin:max_deletes, builtin:model_shutdown]
  params: {max_deletes: 1}
"""
GUARDED_SPEC = """spec:
  name: TechCorp Support
  spend_limit:
    threshold_amount: 10000
  model_permissions: {mode: allow_list, model_ids: [gpt-4.1-mini-2025-04-14]}
"""
FINE_TUNE = """---
apiVersion: reconciler/v1
kind: FineTune
metadata: {name: support-ft}
spec:
  model: gpt-4.1-mini-2025-04-14
  training_file: Dataset/support-train
  method:
    type: supervised
    supervised: {hyperparameters: {n_epochs: 3}}
"""
RULE = "reconciler.project_guardrails.deny"


@pytest.fixture(autouse=True)
def _today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECONCILER_TODAY", "2026-12-02")


def guard(ws: Workspace, text: str = GUARDS) -> None:
    ws.edit("reconciler.yaml", lambda old: old + text)


def test_a_deny_stops_plan_and_apply_naming_rule_and_resource(
    ws: Workspace, admin_client: openai.OpenAI
) -> None:
    guard(ws)
    human = ws.run("plan", "specs")
    assert human.exit_code == 1, human.output
    assert "Policies: 2 denied, 0 warnings (3 policy files): apply will refuse" in human.stdout
    assert f"deny: [{RULE}] Project/support has no spend_limit" in human.stdout
    assert "error: 2 policy denial(s); apply will refuse this plan." in human.stderr
    markdown = ws.run("plan", "specs", "--format", "markdown")
    assert f"| deny | `{RULE}` | `Project/support` | Project/support has no model" in (
        markdown.stdout
    )
    as_json = json.loads(ws.run("plan", "specs", "--format", "json").stdout)
    assert {(d["rule"], d["resource"]) for d in as_json["policy"]["deny"]} == {
        (RULE, "Project/support")
    }
    assert as_json["policy"]["files"] == [
        "builtin:project_guardrails",
        "builtin:max_deletes",
        "builtin:model_shutdown",
    ]
    refused = ws.run("apply", "specs", "--auto-approve")
    assert refused.exit_code == 1, refused.output
    assert "the stack's policies deny this plan" in refused.stderr
    assert f"[{RULE}] Project/support has no spend_limit" in refused.stderr
    assert "Nothing was changed" in refused.stderr
    assert active_projects(admin_client, NAME) == []
    # fixed: the same policies let it through, and apply makes it
    ws.edit("project.yaml", lambda text: text.split("spec:")[0] + GUARDED_SPEC)
    passed = ws.run("plan", "specs", "--detailed-exitcode")
    assert passed.exit_code == 2, passed.output
    assert "Policies: all pass (3 policy files checked)." in passed.stdout
    applied = ws.run("apply", "specs", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert len(active_projects(admin_client, NAME)) == 1


def test_a_saved_plan_meets_the_policies_of_the_day_it_is_applied(
    ws: Workspace, admin_client: openai.OpenAI
) -> None:
    assert ws.run("plan", "specs", "--out", "plan.json").exit_code == 0
    guard(ws)  # a policy added after the review: the plan is stale (reconciler.yaml changed)
    stale = ws.run("apply", "plan.json", "--auto-approve")
    assert stale.exit_code == 1 and "manifest reconciler.yaml changed" in stale.stderr
    made = ws.run("plan", "specs", "--out", "plan.json")
    assert made.exit_code == 1  # denied, saved anyway to be shown
    refused = ws.run("apply", "plan.json", "--auto-approve")
    assert refused.exit_code == 1
    assert f"[{RULE}]" in refused.stderr
    assert active_projects(admin_client, NAME) == []


def test_too_many_deletes_is_denied(ws: Workspace, admin_client: openai.OpenAI) -> None:
    assert ws.run("apply", "specs", "--auto-approve").exit_code == 0
    guard(ws, "policies: {paths: [builtin:max_deletes], params: {max_deletes: 1}}\n")
    (ws.specs / "datasets.yaml").unlink()
    planned = ws.run("plan", "specs")
    assert planned.exit_code == 1
    assert (
        "deny: [reconciler.max_deletes.deny] Dataset/support-train, Dataset/support-valid: "
        "this plan deletes 2 objects; at most 1 may go in one apply"
    ) in planned.stdout
    refused = ws.run("apply", "specs", "--auto-approve", "--allow-delete")
    assert refused.exit_code == 1 and "Nothing was changed" in refused.stderr


def test_a_warning_reports_and_lets_the_plan_through(ws: Workspace) -> None:
    ws.edit("datasets.yaml", lambda text: text + FINE_TUNE)
    guard(ws, "policies: {paths: [builtin:plan_spend], params: {warn_plan_spend_usd: 0.01}}\n")
    planned = ws.run("plan", "specs", "--detailed-exitcode")
    assert planned.exit_code == 2, planned.output
    assert "Policies: 0 denied, 1 warning (1 policy file)." in planned.stdout
    assert "warn: [reconciler.plan_spend.warn] this plan adds an estimated $0.08" in (
        planned.stdout
    )


def test_the_cost_summary_adds_up_what_the_plan_spends(ws: Workspace) -> None:
    ws.edit("datasets.yaml", lambda text: text + FINE_TUNE)
    planned = ws.run("plan", "specs")
    line = (
        "Estimated spend: this plan adds $0.08 (training $0.08, batches $0.00, eval runs "
        "$0.00); stack total $0.00 → $0.08."
    )
    assert line in planned.stdout
    markdown = ws.run("plan", "specs", "--format", "markdown").stdout
    assert "**Estimated spend: this plan adds $0.08** (stack total $0.00 → $0.08)." in markdown
    assert "| training | 1 | $0.00 | +$0.08 | $0.08 |" in markdown
    assert "| **total** | 1 | $0.00 | **+$0.08** | $0.08 |" in markdown
    cost = json.loads(ws.run("plan", "specs", "--format", "json").stdout)["cost"]
    assert cost["adds"] == pytest.approx(0.0825, abs=0.01)
    assert cost["by_category"]["training"]["resources"] == 1
    assert ws.run("apply", "specs", "--auto-approve").exit_code == 0
    # the job runs: its spend is the stack's so far; a second job adds to it
    longer = FINE_TUNE.replace("support-ft", "support-ft-long").replace(
        "n_epochs: 3", "n_epochs: 6"
    )
    ws.edit("datasets.yaml", lambda text: text + longer)
    more = ws.run("plan", "specs")
    assert "this plan adds $0.17 (training $0.17" in more.stdout
    assert "stack total $0.08 → $0.25 (+200%)" in more.stdout
