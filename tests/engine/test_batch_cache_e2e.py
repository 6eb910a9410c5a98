"""End to end (issue 10): prompt caching in a template batch. The template's long stable
instructions come first, so the plan expects a cached share; after completion, the actual
cost counts the `cached_tokens` the sandbox reported (prefixes of 1,024+ tokens, as the API)."""

from __future__ import annotations

import json
import re

from reconciler.sandbox import SandboxHandle

from .e2e import Workspace, advance_clock

INSTRUCTIONS = " ".join(f"Rule {i}: answer politely and briefly, in English." for i in range(150))


def test_template_batch_expects_and_reports_cached_input(
    ws: Workspace, sandbox: SandboxHandle
) -> None:
    items = [
        json.dumps({"item": {"id": f"i{i}", "review": f"Review {i}: fine."}}) for i in range(1, 7)
    ]
    (ws.specs / "data" / "reviews.jsonl").write_text("\n".join(items) + "\n")
    (ws.specs / "batch.yaml").write_text(
        f"""apiVersion: reconciler/v1
kind: Dataset
metadata: {{name: reviews}}
spec: {{file: data/reviews.jsonl, purpose: evals}}
---
apiVersion: reconciler/v1
kind: Batch
metadata: {{name: sentiment}}
spec:
  endpoint: /v1/responses
  items: Dataset/reviews
  template:
    model: gpt-4.1-mini
    input: "{{{{item.review}}}}"
    instructions: "{INSTRUCTIONS}"
  output: out/sentiment.jsonl
"""
    )
    planned = ws.run("plan", "specs")
    assert planned.exit_code == 0, planned.output
    expected = re.search(r"6 requests, ~[\d,]+ input tokens, (\d+)% cached", planned.output)
    assert expected is not None and int(expected[1]) > 50, planned.output

    assert ws.run("apply", "specs", "--auto-approve").exit_code == 0
    advance_clock(sandbox, 120)
    assert ws.run("apply", "specs", "--auto-approve").exit_code == 0
    done = ws.run("plan", "specs")
    actual = re.search(r"actual \$[\d.]+ \([\d,]+ input tokens, (\d+)% cached", done.output)
    assert actual is not None and int(actual[1]) > 50, done.output
    lines = (ws.specs / "out" / "sentiment.jsonl").read_text().splitlines()
    responses = [json.loads(line)["response"] for line in lines]
    cached = [r["usage"]["input_tokens_details"]["cached_tokens"] for r in responses]
    assert cached[0] == 0 and all(c >= 1024 and c % 128 == 0 for c in cached[1:]), cached


def test_batch_format_input_with_shared_instructions_expects_a_cached_share(
    ws: Workspace, sandbox: SandboxHandle
) -> None:
    lines = [
        json.dumps(
            {
                "custom_id": f"r{i}",
                "method": "POST",
                "url": "/v1/responses",
                "body": {"model": "gpt-4.1-mini", "instructions": INSTRUCTIONS, "input": f"R{i}"},
            }
        )
        for i in range(1, 5)
    ]
    (ws.specs / "data" / "requests.jsonl").write_text("\n".join(lines) + "\n")
    (ws.specs / "batch.yaml").write_text(
        """apiVersion: reconciler/v1
kind: Dataset
metadata: {name: requests}
spec: {file: data/requests.jsonl, purpose: batch, format: batch, batch_endpoint: /v1/responses}
---
apiVersion: reconciler/v1
kind: Batch
metadata: {name: file-mode}
spec: {endpoint: /v1/responses, input_file: Dataset/requests, output: out/file-mode.jsonl}
"""
    )
    planned = ws.run("plan", "specs")
    assert planned.exit_code == 0, planned.output
    expected = re.search(r"4 requests, ~[\d,]+ input tokens, (\d+)% cached", planned.output)
    assert expected is not None and 50 < int(expected[1]) < 100, planned.output
    assert ws.run("apply", "specs", "--auto-approve").exit_code == 0
    advance_clock(sandbox, 120)
    assert ws.run("apply", "specs", "--auto-approve").exit_code == 0
    done = ws.run("plan", "specs")
    actual = re.search(r"actual \$[\d.]+ \([\d,]+ input tokens, (\d+)% cached", done.output)
    assert actual is not None and abs(int(actual[1]) - int(expected[1])) <= 10, done.output
