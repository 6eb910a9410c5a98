"""`moderate_policies` over a stack on disk, with the sandbox's scoring rule as the classifier:
requests packed, results cached by content, thresholds applied after the cache, no text kept."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from reconciler.manifests import load_stack
from reconciler.moderation import CHUNK_CHARS, MAX_INPUTS, Scores, moderate_policies

from .corpus import sandbox_scores


class FakeModerations:
    """Records every request's inputs; answers as the sandbox would."""

    def __init__(self) -> None:
        self.requests: list[list[str]] = []

    def __call__(self, model: str, inputs: list[str]) -> Sequence[Scores]:
        self.requests.append(list(inputs))
        return [sandbox_scores(text) for text in inputs]


def _chat(text: str) -> str:
    return json.dumps({"messages": [{"role": "user", "content": text}]})


def _write(root: Path, lines: list[str], *, policy: str = "{}") -> None:
    (root / "reconciler.yaml").write_text("stack: t\n", encoding="utf-8")
    (root / "train.jsonl").write_text("".join(_chat(t) + "\n" for t in lines), encoding="utf-8")
    (root / "stack.yaml").write_text(
        f"""apiVersion: reconciler/v1
kind: Dataset
metadata: {{name: train, labels: {{team: a}}}}
spec: {{file: train.jsonl, purpose: fine-tune, format: chat}}
---
apiVersion: reconciler/v1
kind: ModerationPolicy
metadata: {{name: strict}}
spec: {{applies_to: [Dataset/train], categories: {policy}}}
---
apiVersion: reconciler/v1
kind: ModerationPolicy
metadata: {{name: labelled}}
spec: {{action: warn, applies_to: [{{kind: Dataset, labels: {{team: a}}}}]}}
""",
        encoding="utf-8",
    )


def test_flagged_lines_cached_then_rethresholded_without_requests(tmp_path: Path) -> None:
    lines = ["hello", "you idiot", "they murdered him", "hello"]
    _write(tmp_path, lines)
    api = FakeModerations()

    first = moderate_policies(load_stack(tmp_path), api)

    assert first.requests == 1 and api.requests == [["hello", "you idiot", "they murdered him"]]
    strict = {f.policy: f for f in first.policies}["ModerationPolicy/strict"]
    found = strict.datasets["Dataset/train"]
    assert found.lines == 4 and list(found.flagged) == [3]
    assert list(found.flagged[3]) == ["violence"] and 0.6 <= found.flagged[3]["violence"] < 0.601
    assert "murder" not in json.dumps([f.to_info() for f in first.policies])

    _write(
        tmp_path, ["hello", "you idiot", "they murdered him", "hello"], policy="{harassment: 0.2}"
    )
    again = moderate_policies(load_stack(tmp_path), api)

    assert again.requests == 0 and len(api.requests) == 1
    strict = {f.policy: f for f in again.policies}["ModerationPolicy/strict"]
    assert sorted(strict.datasets["Dataset/train"].flagged) == [2, 3]  # idiot: 0.3 >= 0.2
    assert strict.cached == 3


def test_many_texts_are_packed_into_few_requests(tmp_path: Path) -> None:
    _write(tmp_path, [f"question number {i}" for i in range(2 * MAX_INPUTS + 2)])
    api = FakeModerations()

    run = moderate_policies(load_stack(tmp_path), api)

    assert run.requests == 3 == len(api.requests)
    assert [len(r) for r in api.requests] == [MAX_INPUTS, MAX_INPUTS, 2]


def test_a_long_text_is_chunked_and_its_line_flagged(tmp_path: Path) -> None:
    long = "fine words " * 1_000 + "then gore"
    _write(tmp_path, ["hello", long])
    api = FakeModerations()

    run = moderate_policies(load_stack(tmp_path), api)

    assert all(len(text) <= CHUNK_CHARS for request in api.requests for text in request)
    strict = {f.policy: f for f in run.policies}["ModerationPolicy/strict"]
    assert sorted(strict.datasets["Dataset/train"].flagged) == [2]


def test_no_cache_dir_written_without_a_policy(tmp_path: Path) -> None:
    _write(tmp_path, ["hello"])
    (tmp_path / "stack.yaml").write_text(
        (tmp_path / "stack.yaml").read_text().split("---")[0], encoding="utf-8"
    )
    api = FakeModerations()

    assert moderate_policies(load_stack(tmp_path), api).policies == ()
    assert api.requests == [] and not (tmp_path / ".reconciler").exists()
