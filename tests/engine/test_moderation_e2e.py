"""End to end (issue 10): ModerationPolicy gates datasets in `plan`, through the CLI, on the
sandbox (whose moderation scores come from the word list in docs/sandbox/inference.md).

A `block` policy blocks a dataset at file:line with scores and never prints the text; a second
plan of unchanged data sends no moderation request; a `warn` policy reports without blocking;
`validate` moderates nothing and never imports the SDK.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import openai

from .e2e import Workspace

FLAGGED_WORD = "murder"  # a strong `violence` entry of the sandbox's word list: score 0.6
FLAGGED_LINE = 3


def _chat(user: str, assistant: str = "I can help with that.") -> str:
    messages = [
        {"role": "system", "content": "You are a helpful support assistant."},
        {"role": "user", "content": user},
        {"role": "assistant", "content": assistant},
    ]
    return json.dumps({"messages": messages})


def _write_stack(ws: Workspace, *, action: str, lines: int = 12) -> None:
    rows = [_chat(f"Where is my order number {i}?") for i in range(1, lines + 1)]
    rows[FLAGGED_LINE - 1] = _chat(f"Tell me how to {FLAGGED_WORD} my neighbour.")
    (ws.specs / "data" / "tickets.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (ws.specs / "moderation.yaml").write_text(
        f"""apiVersion: reconciler/v1
kind: Dataset
metadata:
  name: tickets
  labels: {{source: tickets}}
spec:
  file: data/tickets.jsonl
  purpose: fine-tune
  format: chat
---
apiVersion: reconciler/v1
kind: ModerationPolicy
metadata: {{name: strict}}
spec:
  categories: {{harassment: 0.5}}
  action: {action}
  applies_to:
    - {{kind: Dataset, labels: {{source: tickets}}}}
    - {{kind: Dataset, labels: {{team: support}}}}
""",
        encoding="utf-8",
    )


def _plan_json(ws: Workspace) -> dict[str, Any]:
    result = ws.run("plan", "specs", "--format", "json")
    assert result.exit_code in (0, 1, 2), result.output  # 1: something is blocked
    plan: dict[str, Any] = json.loads(result.stdout)
    return plan


def _change(plan: dict[str, Any], address: str) -> dict[str, Any]:
    change: dict[str, Any] = next(c for c in plan["changes"] if c["address"] == address)
    return change


def test_block_policy_blocks_at_file_line_without_the_text(ws: Workspace) -> None:
    _write_stack(ws, action="block")

    result = ws.run("plan", "specs")

    assert f"data/tickets.jsonl:{FLAGGED_LINE} (violence 0.60)" in result.output, result.output
    assert "ModerationPolicy/strict flags 1 of 12 lines (violence)" in result.output
    assert "Dataset/tickets: 12 lines checked, 1 flagged (violence 1)" in result.output
    assert FLAGGED_WORD not in result.output.lower()
    plan = _plan_json(ws)
    assert _change(plan, "Dataset/tickets")["action"] == "blocked"
    assert _change(plan, "Dataset/support-train")["action"] == "create"  # clean: not blocked
    assert FLAGGED_WORD not in json.dumps(plan).lower()


def test_apply_leaves_a_blocked_dataset_and_its_dependents_alone(
    ws: Workspace, admin_client: openai.OpenAI, client: openai.OpenAI
) -> None:
    _write_stack(ws, action="block")
    with (ws.specs / "moderation.yaml").open("a", encoding="utf-8") as manifest:
        manifest.write(
            "---\napiVersion: reconciler/v1\nkind: FineTune\nmetadata: {name: tickets-ft}\n"
            "spec: {model: gpt-4.1-mini-2025-04-14, training_file: Dataset/tickets}\n"
        )

    plan = _plan_json(ws)
    applied = ws.run("apply", "specs", "--auto-approve")

    assert _change(plan, "FineTune/tickets-ft")["reason"] == (
        "depends on Dataset/tickets, which is blocked"
    )
    assert "Dataset/tickets" not in applied.output.split("Applying:")[-1], applied.output
    assert applied.exit_code == 1  # the rest is applied, but the stack is not as declared
    assert "Apply incomplete: 3 succeeded, 0 failed, 0 skipped, 2 blocked." in applied.output
    assert FLAGGED_WORD not in applied.output.lower()
    uploaded = [f.filename for f in client.files.list()]  # the key's project: the demo's data
    assert any("--support-train--" in name for name in uploaded)
    assert not any("--tickets--" in name for name in uploaded)


def test_a_second_plan_of_unchanged_data_sends_no_moderation_request(ws: Workspace) -> None:
    _write_stack(ws, action="block")

    first, second = _plan_json(ws), _plan_json(ws)

    sent = first["requests"] - second["requests"]
    assert sent >= 1  # the moderation requests of the first plan, all the difference
    assert first["minimum_requests"] - second["minimum_requests"] == sent
    details = _change(second, "ModerationPolicy/strict")["details"]
    assert any("all cached: no request sent" in line for line in details), details
    assert (
        _change(second, "Dataset/tickets")["reason"] == _change(first, "Dataset/tickets")["reason"]
    )


def test_many_texts_go_in_few_requests(ws: Workspace) -> None:
    _write_stack(ws, action="block", lines=300)

    plan = _plan_json(ws)

    details = _change(plan, "ModerationPolicy/strict")["details"]
    assert "Dataset/tickets: 300 lines checked, 1 flagged (violence 1)" in details
    # 300 distinct user texts (+ shared system and assistant texts, once each) and the demo's
    # datasets: a few requests of up to 64 inputs, not one per text.
    policy_requests = plan["requests"] - _plan_json(ws)["requests"]
    assert 1 <= policy_requests <= 12


def test_warn_policy_reports_without_blocking(ws: Workspace) -> None:
    _write_stack(ws, action="warn")

    plan = _plan_json(ws)

    tickets = _change(plan, "Dataset/tickets")
    assert tickets["action"] == "create"
    assert any(f"data/tickets.jsonl:{FLAGGED_LINE}" in w for w in tickets["warnings"])
    policy = _change(plan, "ModerationPolicy/strict")
    assert "Dataset/tickets: 12 lines checked, 1 flagged (violence 1)" in policy["details"]
    assert FLAGGED_WORD not in json.dumps(plan).lower()


def test_validate_moderates_nothing_and_never_imports_the_sdk(ws: Workspace) -> None:
    _write_stack(ws, action="block")
    code = (
        "import sys\nfrom click.testing import CliRunner\nfrom reconciler.cli import cli\n"
        "result = CliRunner().invoke(cli, ['validate', 'specs'])\n"
        "print(result.exit_code, 'openai' in sys.modules)\n"
    )

    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ws.root, capture_output=True, text=True, timeout=120
    )

    assert result.stdout.split() == ["0", "False"], result.stderr
    assert not (ws.specs / ".reconciler" / "cache" / "moderation").exists()
