"""`reconciler usage` end to end through the CLI against the sandbox (issue 12): responses calls
made in a project with that project's own key show as its cost and tokens, next to the spend
limit and alerts its manifest declares; another project's traffic is summed apart; the report
takes two Administration API requests (costs, completions) whatever the number of projects;
without the admin key it is a clear error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openai

from reconciler.commands.usage import dollars
from reconciler.sandbox import SandboxHandle
from reconciler.sandbox.pricing import price_of

from .e2e import Workspace, active_projects, project_key

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
