"""`reconciler usage` end to end through the CLI against the sandbox (issue 12): responses calls
made in a project with that project's own key show as its cost and tokens, next to the spend
limit and alerts its manifest declares; another project's traffic is summed apart; the report
takes two Administration API requests (costs, completions) whatever the number of projects;
without the admin key it is a clear error."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import openai

from reconciler.commands.usage import dollars
from reconciler.sandbox import SandboxHandle
from reconciler.sandbox.pricing import price_of

from .e2e import Workspace, active_projects, advance_clock, project_key

ALPHA = """apiVersion: reconciler/v1
kind: Project
metadata: {name: alpha}
spec:
  name: Usage Alpha
  spend_limit: {threshold_amount: 5000}
  spend_alerts:
    - threshold_amount: 2500
      notification_channel: {type: email, recipients: [ops@example.com]}
    - threshold_amount: 4000
      notification_channel: {type: email, recipients: [ops@example.com]}
"""
BETA = """apiVersion: reconciler/v1
kind: Project
metadata: {name: beta}
spec:
  name: Usage Beta
"""
MODEL = "gpt-5.6-sol"


def write_stack(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "reconciler.yaml").write_text("stack: usage\n", encoding="utf-8")
    (root / "stack.yaml").write_text(ALPHA + "---\n" + BETA, encoding="utf-8")
    return root


def usd(model: str, input_tokens: int, output_tokens: int) -> float:
    price = price_of(model)
    return (input_tokens * price.input + output_tokens * price.output) / 1_000_000


def test_usage_shows_each_projects_cost_and_tokens_next_to_its_budget(
    ws: Workspace, sandbox: SandboxHandle, admin_client: openai.OpenAI, client: openai.OpenAI
) -> None:
    specs = write_stack(ws.root / "stack")
    applied = ws.run("apply", str(specs), "--auto-approve")
    assert applied.exit_code == 0, applied.output
    (alpha,) = active_projects(admin_client, "Usage Alpha")
    key = project_key(admin_client, alpha.id)
    spent, tokens = 0.0, [0, 0]
    with openai.OpenAI(api_key=key, base_url=sandbox.base_url, max_retries=0) as alpha_client:
        for n in range(3):
            answer = alpha_client.responses.create(
                model=MODEL, input=f"Summarise our refund policy, question {n}. " * 40
            )
            assert answer.usage is not None
            tokens[0] += answer.usage.input_tokens
            tokens[1] += answer.usage.output_tokens
            spent += usd(MODEL, answer.usage.input_tokens, answer.usage.output_tokens)
    client.responses.create(model=MODEL, input="Hello from the home project")

    result = ws.run("usage", str(specs), "--days", "7", "--format", "json")
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    assert report["requests"] == 2  # one costs page, one completions page
    rows = {row["address"]: row for row in report["projects"]}
    assert set(rows) == {"Project/alpha", "Project/beta"}
    assert rows["Project/alpha"]["project_id"] == alpha.id
    assert abs(rows["Project/alpha"]["cost_usd"] - spent) < 1e-6
    assert rows["Project/alpha"]["input_tokens"] == tokens[0]
    assert rows["Project/alpha"]["output_tokens"] == tokens[1]
    assert rows["Project/alpha"]["num_model_requests"] == 3
    assert rows["Project/alpha"]["spend_limit_cents"] == 5000
    assert rows["Project/alpha"]["spend_alert_cents"] == [2500, 4000]
    assert rows["Project/beta"]["cost_usd"] == 0
    assert rows["Project/beta"]["spend_limit_cents"] is None
    assert report["other_projects"]["num_model_requests"] == 1

    table = ws.run("usage", str(specs))
    assert table.exit_code == 0, table.output
    (line,) = [row for row in table.stdout.splitlines() if row.startswith("Project/alpha")]
    assert alpha.id in line and "$50.00" in line and "$25.00, $40.00" in line
    assert f"{tokens[0]:,}" in line and dollars(spent) in line
    assert any(row.startswith("(other projects)") for row in table.stdout.splitlines())
    assert key not in table.output + result.output


def test_usage_without_the_admin_key_says_what_to_set(ws: Workspace) -> None:
    specs = write_stack(ws.root / "stack")
    del ws.env["OPENAI_ADMIN_KEY"]
    result = ws.run("usage", str(specs))
    assert result.exit_code == 1
    assert "OPENAI_ADMIN_KEY is not set" in result.output
    assert "Traceback" not in result.output


LIMITED = """apiVersion: reconciler/v1
kind: Project
metadata: {name: alpha}
spec:
  name: Usage Alpha
  spend_limit: {threshold_amount: LIMIT}
"""


def test_a_plan_that_lowers_a_spend_limit_shows_the_last_30_days_cost_against_it(
    ws: Workspace, sandbox: SandboxHandle, admin_client: openai.OpenAI
) -> None:
    specs = ws.root / "stack"
    specs.mkdir()
    (specs / "reconciler.yaml").write_text("stack: usage\n", encoding="utf-8")
    manifest = specs / "stack.yaml"
    manifest.write_text(LIMITED.replace("LIMIT", "10000"), encoding="utf-8")
    applied = ws.run("apply", str(specs), "--auto-approve")
    assert applied.exit_code == 0, applied.output
    (alpha,) = active_projects(admin_client, "Usage Alpha")
    key = project_key(admin_client, alpha.id)
    clock = sandbox.app.state.sandbox.clock
    spent: list[tuple[int, float]] = []  # (sandbox time, USD) of each call, a day apart
    with openai.OpenAI(api_key=key, base_url=sandbox.base_url, max_retries=0) as alpha_client:
        for n in range(3):
            answer = alpha_client.responses.create(model=MODEL, input="Refunds? " * 2500)
            assert answer.usage is not None
            spent.append(
                (clock.now(), usd(MODEL, answer.usage.input_tokens, answer.usage.output_tokens))
            )
            if n < 2:
                advance_clock(sandbox, 86400)
    first, second = spent[0][1], spent[0][1] + spent[1][1]
    assert second < 0.07 <= second + spent[2][1], spent  # the third call crosses $0.07
    crossed = dt.datetime.fromtimestamp(spent[2][0], dt.UTC).date()
    ws.env["RECONCILER_TODAY"] = crossed.isoformat()  # the sandbox's today

    quiet = plan_json(ws, specs)
    manifest.write_text(LIMITED.replace("LIMIT", "7"), encoding="utf-8")
    lowered = plan_json(ws, specs)
    (change,) = [c for c in lowered["changes"] if c["address"] == "Project/alpha"]
    (warning,) = change["warnings"]
    total = first + spent[1][1] + spent[2][1]
    assert warning == (
        f"spend_limit from $100.00 to $0.07: the last 30 days cost ${total:,.2f}; at the new "
        f"limit it would have been reached on day 30 ({crossed.isoformat()})"
    )
    assert lowered["requests"] == quiet["requests"] + 1  # one costs request
    human = ws.run("plan", str(specs))
    assert "would have been reached on day 30" in human.output

    manifest.write_text(LIMITED.replace("LIMIT", "900"), encoding="utf-8")
    warning = next(c for c in plan_json(ws, specs)["changes"] if c["address"] == "Project/alpha")
    assert warning["warnings"] == [
        f"spend_limit from $100.00 to $9.00: the last 30 days cost ${total:,.2f} "
        f"({100 * total / 9:.0f}% of the new limit, not reached)"
    ]

    manifest.write_text(LIMITED.replace("LIMIT", "20000"), encoding="utf-8")
    raised = plan_json(ws, specs)
    assert all(not c["warnings"] for c in raised["changes"])
    assert raised["requests"] == quiet["requests"]  # no lowered limit: no costs request


def plan_json(ws: Workspace, specs: Path) -> Any:
    result = ws.run("plan", str(specs), "--format", "json", "--detailed-exitcode")
    assert result.exit_code in (0, 2), result.output
    return json.loads(result.stdout)
