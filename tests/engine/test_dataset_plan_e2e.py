"""End to end (issue 4): a dataset with a typo is blocked at its line, never uploaded, while the
rest of the stack is planned and applied (exit 1); the fixed file plans with its token count
and cost."""

from __future__ import annotations

import json

import openai

from .e2e import Workspace, home_files_named

TRAIN = "data/support-train.jsonl"


def _example(i: int) -> dict[str, object]:
    return {
        "messages": [
            {"role": "system", "content": "You are TechCorp's support assistant."},
            {"role": "user", "content": f"Where is my order number {i}?"},
            {"role": "assistant", "content": f"Order {i} ships within two business days."},
        ]
    }


def _write_thousand_lines(ws: Workspace, *, typo_line: int | None) -> None:
    lines = [json.dumps(_example(i)) for i in range(1, 1001)]
    if typo_line is not None:
        lines[typo_line - 1] = lines[typo_line - 1].replace('"content"', '"contnet"', 1)
    (ws.specs / TRAIN).write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_a_typo_on_line_734_blocks_that_dataset_and_never_uploads_it(
    ws: Workspace, client: openai.OpenAI, admin_client: openai.OpenAI
) -> None:
    _write_thousand_lines(ws, typo_line=734)
    failed = ws.run("plan", "specs")
    assert failed.exit_code == 1, failed.output
    assert "support-train.jsonl:734" in failed.output
    assert "message_unrecognized_key" in failed.output or "message_missing_key" in failed.output
    assert "did you mean 'content'?" in failed.output
    assert "Traceback" not in failed.output
    assert "! Dataset/support-train" in failed.stdout
    assert "+ Dataset/support-valid" in failed.stdout  # the rest is planned
    applied = ws.run("apply", "specs", "--auto-approve")
    assert applied.exit_code == 1, applied.output
    assert "Apply incomplete: 2 succeeded, 0 failed, 0 skipped, 1 blocked" in applied.stdout
    assert home_files_named(client, "support-train") == []
    assert len(home_files_named(client, "support-valid")) == 1

    _write_thousand_lines(ws, typo_line=None)
    fixed = ws.run("plan", "specs")
    assert fixed.exit_code == 0, fixed.output
    assert "chat, 1,000 examples" in fixed.stdout
    assert "billed training tokens, est. $" in fixed.stdout
