"""Benchmark of the local eval engine (issue 11): an EvalRun of 10,000 items via batch.

Generates an items file (default 10,000 emails with labels) in a temp dir and prints, per
1,000 items, the local time to build the batch's request lines from the template, and to grade
the samples with each local grader (string_check, fuzzy_match, bleu, gleu, rouge_l, a multi
of two), to build the score_model grading requests, and to grade with a python grader (one
child process for all items), each as a ratio of a baseline measured in the same run (parsing
the items' JSON lines), plus the peak Python memory (tracemalloc) of building and grading all
items. Best of --repeat runs.

    python bench/bench_evals.py [--items 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from reconciler.evals import model_graders, python_grader
from reconciler.evals.graders import grade
from reconciler.evals.items import read_items, render_messages

LABELS = ("billing", "technical", "sales", "general")
WORDS = [
    "invoice",
    "refund",
    "crash",
    "login",
    "upgrade",
    "plan",
    "price",
    "order",
    "account",
    "password",
    "screen",
]
TEMPLATE = [
    {"role": "developer", "content": "Classify the email as billing, technical, sales or general."},
    {"role": "user", "content": "{{item.email}}"},
]
GRADERS: dict[str, dict[str, Any]] = {
    "string_check eq": {"type": "string_check", "operation": "eq"},
    **{
        metric: {"type": "text_similarity", "evaluation_metric": metric, "pass_threshold": 0.5}
        for metric in ("fuzzy_match", "bleu", "gleu", "rouge_l")
    },
}
PART = {"input": "{{sample.output_text}}", "reference": "{{item.label}}"}
GRADERS["multi (eq, fuzzy)"] = {
    "type": "multi",
    "graders": {
        "a": {**GRADERS["string_check eq"], "name": "a", **PART},
        "b": {**GRADERS["fuzzy_match"], "name": "b", **PART},
    },
    "calculate_output": "0.5 * a + 0.5 * b ^ 2",
}
SCORE_MODEL = {
    "type": "score_model",
    "name": "judged",
    "model": "gpt-4.1",
    "range": [1, 5],
    "input": [
        {"role": "system", "content": "Rate 1-5."},
        {"role": "user", "content": "Expected: {{item.label}}\nAnswer: {{sample.output_text}}"},
    ],
}
PYTHON_SOURCE = """
def grade(sample, item):
    return 1.0 if sample["output_text"] == item["label"] else 0.0
"""


def write_items(path: Path, count: int) -> None:
    rng = random.Random(7)
    with path.open("w") as handle:
        for _ in range(count):
            email = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 30)))
            item = {"email": f"Hello, {email}. Thanks.", "label": rng.choice(LABELS)}
            handle.write(json.dumps({"item": item}) + "\n")


def best(repeat: int, run: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "items.jsonl"
        write_items(path, args.items)
        per_k = 1000 / args.items
        items = list(read_items(path))
        samples = [{"output_text": LABELS[i % 4]} for i in range(len(items))]
        for grader in GRADERS.values():  # warm the libraries' imports and caches
            grade({**grader, "name": "x", "input": "{{sample.output_text}}",
                   "reference": "{{item.label}}"}, items[0].data, samples[0])  # fmt: skip

        baseline = best(args.repeat, lambda: [json.loads(line) for line in path.open("rb")])

        def build() -> None:
            for item in read_items(path):
                body = {"model": "gpt-4.1-mini", "input": render_messages(TEMPLATE, item.data)}
                json.dumps({"custom_id": f"item-{item.line}", "body": body})

        print(f"{args.items:,} items; baseline (parse JSON lines): "
              f"{baseline * per_k * 1000:.2f} ms per 1,000 items")  # fmt: skip
        built = best(args.repeat, build)
        print(f"build batch requests: {built * per_k * 1000:8.2f} ms / 1,000 items "
              f"({built / baseline:5.1f}x baseline)")  # fmt: skip
        for name, base in GRADERS.items():
            grader = {**base, "name": name, "input": "{{sample.output_text}}",
                      "reference": "{{item.label}}"}  # fmt: skip

            def run(grader: dict[str, Any] = grader) -> None:
                for item, sample in zip(items, samples, strict=True):
                    grade(grader, item.data, sample)

            took = best(args.repeat, run)
            print(f"grade {name:<16} {took * per_k * 1000:8.2f} ms / 1,000 items "
                  f"({took / baseline:5.1f}x baseline)")  # fmt: skip
        requests = best(
            args.repeat,
            lambda: [
                json.dumps(model_graders.request(SCORE_MODEL, item.data, sample))
                for item, sample in zip(items, samples, strict=True)
            ],
        )
        print(f"build score_model requests: {requests * per_k * 1000:8.2f} ms / 1,000 items "
              f"({requests / baseline:5.1f}x baseline)")  # fmt: skip
        jobs = [(item.data, sample) for item, sample in zip(items, samples, strict=True)]
        coded = best(args.repeat, lambda: python_grader.run(PYTHON_SOURCE, jobs, 10))
        print(f"grade python (child process): {coded * per_k * 1000:8.2f} ms / 1,000 items "
              f"({coded / baseline:5.1f}x baseline; one process start included)")  # fmt: skip
        jobs.clear()
        del items, samples
        tracemalloc.start()
        items = list(read_items(path))
        samples = [{"output_text": LABELS[i % 4]} for i in range(len(items))]
        build()
        for base in GRADERS.values():
            grader = {**base, "name": "x", "input": "{{sample.output_text}}",
                      "reference": "{{item.label}}"}  # fmt: skip
            for item, sample in zip(items, samples, strict=True):
                grade(grader, item.data, sample)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"peak Python memory reading {len(items):,} items, building and grading: "
              f"{peak / 1e6:.1f} MB (items held in memory)")  # fmt: skip


if __name__ == "__main__":
    main()
