"""Batch offline checks and the pure request/result helpers (issue 10): bad specs are refused
at file:line by `validate`; templates render stable prefix first with a cache key; results
join by custom_id with a later success winning over an earlier failure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.batches.estimate import cacheable
from reconciler.batches.requests import TemplateError, template_requests
from reconciler.batches.results import Outcome, write_results
from reconciler.cli import cli

STACK = "stack: demo\ndefault_project: proj_x\n"
DATASET = """apiVersion: reconciler/v1
kind: Dataset
metadata: {name: items}
spec: {file: items.jsonl, purpose: evals}
---
"""


def _batch(extra: str) -> str:
    return (
        DATASET
        + "apiVersion: reconciler/v1\nkind: Batch\nmetadata: {name: b}\nspec:\n"
        + "  endpoint: /v1/responses\n  items: Dataset/items\n"
        + "  template: {model: gpt-4.1-mini, input: '{{item.text}}'}\n"
        + extra
    )


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            "  output: ../out.jsonl\n",
            "13:11: error: spec.output: ../out.jsonl is outside",
        ),
        ("  failures: /tmp/f.jsonl\n", "batch.yaml:13:13: error: spec.failures: /tmp/f.jsonl is"),
        ("  metadata: {reconciler_stack: x}\n", "is reserved for the reconciler"),
        ("  input_file: Dataset/items\n", "input_file and items are exclusive"),
        ("  retry_failed: 11\n", "retry_failed"),
    ],
)
def test_validate_refuses_bad_batch_specs_at_their_line(
    tmp_path: Path, extra: str, expected: str
) -> None:
    (tmp_path / "reconciler.yaml").write_text(STACK)
    (tmp_path / "items.jsonl").write_text('{"item": {"text": "hi"}}\n')
    (tmp_path / "batch.yaml").write_text(_batch(extra))
    result = CliRunner().invoke(cli, ["validate", str(tmp_path)])
    assert result.exit_code == 1, result.output
    assert expected in result.output


def test_template_puts_the_stable_part_first_and_sets_a_cache_key(tmp_path: Path) -> None:
    items = tmp_path / "items.jsonl"
    items.write_text('{"id": 7, "text": "good", "tags": ["a"]}\n{"text": "bad"}\n')
    template = {"input": "Review: {{item.text}}", "model": "m", "metadata": "{{item.tags}}"}
    built = template_requests(items, template, "/v1/responses", "key-1")
    first = next(built)
    assert first.custom_id == "7"
    body = first.request["body"]
    assert list(body) == ["prompt_cache_key", "model", "input", "metadata"]
    assert body["input"] == "Review: good" and body["metadata"] == ["a"]
    with pytest.raises(TemplateError, match=r"line 2: the item has no field 'item\.tags'"):
        next(built)


def test_cache_serves_prefixes_of_1024_tokens_in_128_token_steps() -> None:
    assert [cacheable(n) for n in (1023, 1024, 1151, 1152)] == [0, 1024, 1024, 1152]


def test_results_join_by_custom_id_and_a_replay_success_wins(tmp_path: Path) -> None:
    items = tmp_path / "items.jsonl"
    items.write_text('{"text": "a"}\n{"text": "b"}\n{"text": "c"}\n')
    template = {"model": "m", "input": "{{item.text}}"}
    outcome = Outcome()
    error = {"status_code": 400, "body": {"error": {"message": "bad"}}}
    outcome.add_output_line({"custom_id": "line-1", "response": {"status_code": 200, "body": 1}})
    outcome.add_error_line({"custom_id": "line-2", "response": error})
    outcome.add_error_line({"custom_id": "line-3", "error": {"code": "batch_expired"}})
    outcome.add_output_line({"custom_id": "line-3", "response": {"status_code": 200, "body": 3}})
    out, failed = tmp_path / "o" / "out.jsonl", tmp_path / "o" / "failed.jsonl"
    written = write_results(
        template_requests(items, template, "/v1/responses", "k"),
        outcome,
        output=out,
        failures=failed,
    )
    assert written == (2, 1)
    assert [json.loads(x)["custom_id"] for x in out.read_text().splitlines()] == [
        "line-1",
        "line-3",
    ]
    failure = json.loads(failed.read_text())
    assert failure["line"] == 2 and failure["reason"] == "HTTP 400: bad"
