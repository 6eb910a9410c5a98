"""Benchmark of the Batch machinery (issue 10): 100,000 requests built, split and joined, and
moderation of a 20,000-line dataset.

Prints, each against a baseline measured in the same run:

- build + split: items rendered through a template and streamed into parts of at most 50,000
  requests (`batches.split.write_parts`), vs reading and parsing the items file (ratio), and
  the peak Python memory (tracemalloc) against the size of the input written;
- join: 100,000 output lines read back by `custom_id` (`Outcome`) and written in input order
  (`write_results`), vs parsing the output file (ratio), and its peak memory;
- moderation: the Moderations requests a first plan of a 20,000-line dataset sends, against
  the minimum the per-request limits allow (max of texts / 64 inputs and characters / 32,000),
  and the requests of a second plan (0: every score cached).

    python bench/bench_batches.py [--requests 100000] [--lines 20000]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from reconciler.batches.requests import file_requests, read_jsonl, template_requests
from reconciler.batches.results import Outcome, parse_jsonl, write_results
from reconciler.batches.split import Limits, write_parts
from reconciler.manifests import load_stack
from reconciler.moderation import MAX_INPUTS, MAX_REQUEST_CHARS, Scores, moderate_policies

WORDS = [
    "order",
    "refund",
    "late",
    "parcel",
    "great",
    "product",
    "broken",
    "screen",
    "slow",
    "delivery",
    "kind",
    "support",
]
TEMPLATE = {
    "model": "gpt-4.1-mini",
    "instructions": "Classify the sentiment of the review as positive, neutral or negative.",
    "input": "{{item.review}}",
}


def write_items(path: Path, count: int) -> None:
    rng = random.Random(3)
    with path.open("w") as handle:
        for i in range(count):
            review = " ".join(rng.choice(WORDS) for _ in range(rng.randint(10, 40)))
            handle.write(json.dumps({"id": f"r{i}", "review": review}) + "\n")


def write_outputs(path: Path, count: int) -> None:
    """What the Batch API's output file of `count` Responses requests looks like."""
    with path.open("w") as handle:
        for i in range(count):
            body = {
                "id": f"resp_{i}",
                "object": "response",
                "model": "gpt-4.1-mini",
                "status": "completed",
                "output": [
                    {
                        "type": "message",
                        "role": "assistant",
                        "content": [{"type": "output_text", "text": "positive"}],
                    }
                ],
                "usage": {
                    "input_tokens": 60,
                    "input_tokens_details": {"cached_tokens": 0},
                    "output_tokens": 2,
                    "total_tokens": 62,
                },
            }
            line = {
                "id": f"batch_req_{i}",
                "custom_id": f"r{i}",
                "response": {"status_code": 200, "request_id": f"req_{i}", "body": body},
                "error": None,
            }
            handle.write(json.dumps(line) + "\n")


def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def peak_mb(function: Callable[[], Any]) -> float:
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def parse_all(path: Path) -> int:
    return sum(1 for _ in read_jsonl(path))


def build_and_split(items: Path) -> list[int]:
    built = template_requests(items, TEMPLATE, "/v1/responses", "reconciler-bench")
    with write_parts(built, Limits()) as parts:
        return [p.requests for p in parts]


def join(requests_file: Path, outputs: Path, out_dir: Path) -> tuple[int, int]:
    outcome = Outcome()
    for line in parse_jsonl(outputs.read_bytes()):
        outcome.add_output_line(line)
    return write_results(
        file_requests(requests_file),
        outcome,
        output=out_dir / "out.jsonl",
        failures=out_dir / "failed.jsonl",
    )


class CountingModerations:
    def __init__(self) -> None:
        self.requests = 0

    def __call__(self, model: str, inputs: list[str]) -> Sequence[Scores]:
        self.requests += 1
        return [Scores({"violence": 0.01}, frozenset()) for _ in inputs]


def moderation(root: Path, lines: int) -> tuple[int, int, int, int]:
    """(requests of a first plan, the minimum, texts, requests of a second plan)."""
    rng = random.Random(5)
    texts: list[str] = []
    with (root / "train.jsonl").open("w") as handle:
        for i in range(lines):
            user = f"Question {i}: " + " ".join(
                rng.choice(WORDS) for _ in range(rng.randint(5, 60))
            )
            answer = "Answer: " + " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 80)))
            texts += [user, answer]
            messages = [{"role": "user", "content": user}, {"role": "assistant", "content": answer}]
            handle.write(json.dumps({"messages": messages}) + "\n")
    (root / "reconciler.yaml").write_text("stack: bench\n")
    (root / "stack.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: Dataset\nmetadata: {name: train}\n"
        "spec: {file: train.jsonl, purpose: fine-tune, format: chat}\n---\n"
        "apiVersion: reconciler/v1\nkind: ModerationPolicy\nmetadata: {name: strict}\n"
        "spec: {applies_to: [Dataset/train]}\n"
    )
    distinct = set(texts)
    minimum = max(
        math.ceil(len(distinct) / MAX_INPUTS),
        math.ceil(sum(len(t) for t in distinct) / MAX_REQUEST_CHARS),
    )
    first, second = CountingModerations(), CountingModerations()
    moderate_policies(load_stack(root), first)
    moderate_policies(load_stack(root), second)
    return first.requests, minimum, len(distinct), second.requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        items, outputs = root / "items.jsonl", root / "outputs.jsonl"
        write_items(items, args.requests)
        write_outputs(outputs, args.requests)
        requests_file = root / "requests.jsonl"
        with requests_file.open("wb") as handle:
            built = template_requests(items, TEMPLATE, "/v1/responses", "reconciler-bench")
            for request in built:
                handle.write(json.dumps(request.request).encode() + b"\n")
        size_mb = requests_file.stat().st_size / 1e6

        base_items, _ = timed(lambda: parse_all(items))
        split_time, parts = timed(lambda: build_and_split(items))
        split_peak = peak_mb(lambda: build_and_split(items))
        print(f"{args.requests:,} requests ({size_mb:.0f} MB as JSONL), parts {parts}")
        print(
            f"build + split: {split_time:.2f} s = {split_time / base_items:.1f}x parsing the "
            f"items ({base_items:.2f} s); peak memory {split_peak:.1f} MB "
            f"({split_peak / size_mb:.2f}x the input)"
        )

        base_outputs, _ = timed(lambda: parse_all(outputs))
        join_time, written = timed(lambda: join(requests_file, outputs, root))
        join_peak = peak_mb(lambda: join(requests_file, outputs, root))
        out_mb = outputs.stat().st_size / 1e6
        print(
            f"join {written[0]:,} results: {join_time:.2f} s = {join_time / base_outputs:.1f}x "
            f"parsing the outputs ({base_outputs:.2f} s); peak memory {join_peak:.0f} MB "
            f"({join_peak / out_mb:.2f}x the {out_mb:.0f} MB output file)"
        )

        moderation_root = root / "moderation"
        moderation_root.mkdir()
        sent, minimum, distinct, again = moderation(moderation_root, args.lines)
        print(
            f"moderation of {args.lines:,} lines ({distinct:,} distinct texts): {sent} requests "
            f"= {sent / minimum:.2f}x the minimum {minimum} (64 inputs, 32,000 characters a "
            f"request); second plan: {again} requests"
        )


if __name__ == "__main__":
    main()
