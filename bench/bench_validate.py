"""Start-up benchmark of `reconciler validate` on a stack of 100 manifests.

Generates a stack (reconciler.yaml, 20 projects, 80 datasets with 12-example JSONL files, one
document per file) in a temporary folder, then times `python -c pass` (the baseline) and the
validate command several times each, in the same run, and prints the median ratio. Target: 3x.
Uses `python -m reconciler validate DIR` when the CLI has that command, else `run_validate`.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 7
TARGET_RATIO = 3.0
PROJECTS = 20
DATASETS = 80
EXAMPLES_PER_FILE = 12  # fine-tuning needs at least 10

PROJECT = """apiVersion: reconciler/v1
kind: Project
metadata:
  name: team-{index}
  labels: {{team: team-{index}}}
spec:
  name: Team {index}
"""
DATASET = """apiVersion: reconciler/v1
kind: Dataset
metadata:
  name: train-{index}
spec:
  file: data/train-{index}.jsonl
  purpose: fine-tune
  format: chat
  model: gpt-4.1-mini-2025-04-14
  project: Project/team-{project}
"""


def write_stack(root: Path) -> None:
    (root / "reconciler.yaml").write_text("stack: bench\ndefault_project: Project/team-0\n")
    (root / "data").mkdir()
    for index in range(PROJECTS):
        (root / f"project-{index:03}.yaml").write_text(PROJECT.format(index=index))
    for index in range(DATASETS):
        text = DATASET.format(index=index, project=index % PROJECTS)
        (root / f"dataset-{index:03}.yaml").write_text(text)
        (root / "data" / f"train-{index}.jsonl").write_text(_examples(index))


def _examples(index: int) -> str:
    lines = []
    for line in range(EXAMPLES_PER_FILE):
        messages = [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": f"Question {index}.{line}?"},
            {"role": "assistant", "content": f"Answer {index}.{line}."},
        ]
        lines.append(json.dumps({"messages": messages}))
    return "\n".join(lines) + "\n"


def validate_command(stack: Path) -> list[str]:
    probe = [sys.executable, "-m", "reconciler", "validate", "--help"]
    if subprocess.run(probe, capture_output=True).returncode == 0:
        return [sys.executable, "-m", "reconciler", "validate", str(stack)]
    code = (
        "from pathlib import Path; from reconciler.validation import run_validate; "
        f"run_validate(Path({str(stack)!r}), None)"
    )
    return [sys.executable, "-c", code]


def median_seconds(command: list[str]) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        stack = Path(folder)
        write_stack(stack)
        command = validate_command(stack)
        subprocess.run(command, check=True, capture_output=True)  # warm the OS file cache
        baseline = median_seconds([sys.executable, "-c", "pass"])
        libraries = median_seconds([sys.executable, "-c", "import pydantic, ruamel.yaml"])
        validate = median_seconds(command)
    ratio = validate / baseline
    shown = " ".join(command[1:4]) if "-m" in command else "run_validate (no CLI command yet)"
    print(f"stack: {PROJECTS + DATASETS} manifests; {RUNS} runs each; median wall time")
    print(f"python -c pass              {baseline * 1000:7.1f} ms")
    print(f"import pydantic, ruamel     {libraries * 1000:7.1f} ms  ({libraries / baseline:.1f}x)")
    print(f"{shown:<27} {validate * 1000:7.1f} ms  ({ratio:.1f}x, target <= {TARGET_RATIO:.0f}x)")


if __name__ == "__main__":
    main()
