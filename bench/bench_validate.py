"""Start-up benchmark of `reconciler validate` on a stack of 100 manifests.

Generates a stack (reconciler.yaml, 20 projects, 80 datasets with 12-example JSONL files, one
document per file) in a temporary folder, then times in the same run: `python -c pass` (the
baseline); `validate` cold (empty dataset cache: the slow path checks and caches every
dataset); `validate` warm (the fast path of reconciler.fastcheck); and, for comparison, the
slow path on a warm cache (`run_validate`). Prints medians and ratios. Target: warm <= 3x.

Bytecode is cached in a temporary folder (as for an installed package), whatever
PYTHONDONTWRITEBYTECODE says; `--no-bytecode` keeps the environment's setting instead.
Uses `python -m reconciler validate DIR` when that takes the fast path, else (until the entry
is wired in) `python -m reconciler.fastcheck.entry validate DIR`, which is the same entry.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 9
COLD_RUNS = 3
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


def run_env(bytecode_dir: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    if bytecode_dir is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(bytecode_dir)
    return env


def takes_fast_path(command: list[str], env: dict[str, str]) -> bool:
    """True when a warm run of `command` succeeds without importing click."""
    probe = [command[0], "-X", "importtime", *command[1:]]
    result = subprocess.run(probe, capture_output=True, text=True, env=env)
    return result.returncode == 0 and " click\n" not in result.stderr


def validate_command(stack: Path, env: dict[str, str]) -> list[str]:
    main = [sys.executable, "-m", "reconciler", "validate", str(stack)]
    subprocess.run(main, capture_output=True, env=env)  # fills the dataset cache
    if takes_fast_path(main, env):
        return main
    return [sys.executable, "-m", "reconciler.fastcheck.entry", "validate", str(stack)]


def seconds(
    command: list[str], env: dict[str, str], runs: int, before: Path | None = None
) -> list[float]:
    """Wall times of `runs` runs; `before` (a folder) is deleted before each run."""
    times = []
    for _ in range(runs):
        if before is not None:
            shutil.rmtree(before, ignore_errors=True)
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env=env)
        times.append(time.perf_counter() - start)
    return times


def show(label: str, times: list[float], baseline: float | None, note: str = "") -> None:
    median = statistics.median(times)
    spread = f"({min(times) * 1000:.0f}-{max(times) * 1000:.0f})"
    ratio = f"{median / baseline:5.1f}x" if baseline else "      "
    print(f"{label:<40} {median * 1000:7.1f} ms {spread:>12}  {ratio}  {note}".rstrip())


def main() -> None:
    keep_env_bytecode = "--no-bytecode" in sys.argv[1:]
    with tempfile.TemporaryDirectory() as folder:
        stack, bytecode = Path(folder) / "stack", Path(folder) / "bytecode"
        stack.mkdir()
        write_stack(stack)
        env = run_env(None if keep_env_bytecode else bytecode)
        subprocess.run([sys.executable, "-c", "pass"], check=True, env=env)
        command = validate_command(stack, env)  # also warms bytecode and the OS file cache
        fast = takes_fast_path(command, env)
        slow_code = (
            "import sys; from pathlib import Path; from reconciler.validation import run_validate; "
            "run_validate(Path(sys.argv[1]))"
        )
        slow = [sys.executable, "-c", slow_code, str(stack)]
        baseline = seconds([sys.executable, "-c", "pass"], env, RUNS)
        warm = seconds(command, env, RUNS)
        slow_warm = seconds(slow, env, RUNS)
        cold = seconds(command, env, COLD_RUNS, before=stack / ".reconciler")
        base = statistics.median(baseline)
    print(f"stack: {PROJECTS + DATASETS} manifests; median wall time (min-max) of {RUNS} runs")
    print(
        f"command: {' '.join(Path(c).name if i == 0 else c for i, c in enumerate(command[:4]))} DIR"
    )
    bytecode_note = "environment's setting" if keep_env_bytecode else "cached (temporary folder)"
    print(f"bytecode: {bytecode_note}")
    show("python -c pass", baseline, None)
    target = f"target <= {TARGET_RATIO:.0f}x" + ("" if fast else "; FAST PATH NOT TAKEN")
    show("validate, warm (fast path)", warm, base, target)
    show(f"validate, cold ({COLD_RUNS} runs, empty cache)", cold, base, "slow path")
    show("run_validate, warm cache (slow path)", slow_warm, base, "for comparison")


if __name__ == "__main__":
    main()
