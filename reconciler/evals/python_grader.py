"""OpenAI's `python` grader: `def grade(sample: dict, item: dict) -> float`, run only when
`reconciler.yaml` opts in (`evals: {python_graders: true}`), and never in the reconciler's
process.

`models/eval.py` calls `source_problem` at `validate` (the source must parse and define
`grade`); `evals/checks.py` refuses the grader unless the stack opts in. The EvalRun provider
calls `run` once per python criterion with every sampled item: one child process
(`python -I`, an empty environment, so no API key reaches the code, a temporary working
directory) grades them in turn. Inside it, each call has `timeout` seconds (a timer signal),
the process caps its own CPU time and memory (`resource`), and the parent kills it when the
whole run exceeds `timeout × items + 5 s`; an item whose call raised, timed out or returned no
number gets an error and grades 0 (failed). A score passes at `pass_threshold` (default 0.5).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

DEFAULT_PASS_THRESHOLD = 0.5
MEMORY_LIMIT = 1 << 30  # bytes of address space for the child
OPT_IN_HINT = "opt in with `evals: {python_graders: true}` in reconciler.yaml"

_CHILD = r"""
import json, math, resource, signal, sys

limit = float(sys.argv[1])
resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[2]), int(sys.argv[2])))
cpu = int(limit * int(sys.argv[3])) + 5
resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
source = sys.stdin.readline()
namespace = {"__name__": "grader"}
exec(compile(json.loads(source), "<python grader>", "exec"), namespace)
grade = namespace["grade"]

class TimedOut(BaseException):
    pass

def alarm(signum, frame):
    raise TimedOut()

signal.signal(signal.SIGALRM, alarm)
out = sys.__stdout__
sys.stdout = sys.stderr  # the grader's prints must not mix with the answers
for line in sys.stdin:
    job = json.loads(line)
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        value = grade(job["sample"], job["item"])
        signal.setitimer(signal.ITIMER_REAL, 0)
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not number or not math.isfinite(value):
            answer = {"error": "grade() returned " + type(value).__name__ + ", not a number"}
        else:
            answer = {"score": float(value)}
    except TimedOut:
        answer = {"error": "grade() took longer than " + sys.argv[1] + " s"}
    except Exception as error:
        signal.setitimer(signal.ITIMER_REAL, 0)
        answer = {"error": "grade() raised " + type(error).__name__ + ": " + str(error)[:200]}
    out.write(json.dumps(answer) + "\n")
    out.flush()
"""


@dataclass(frozen=True)
class Outcome:
    """One item's python grade: a score, or why there is none."""

    score: float | None
    error: str | None = None


def source_problem(source: str) -> str | None:
    """Why `source` cannot be a python grader (it must parse and define `grade`), or None."""
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        return f"source does not parse: {error.msg} (line {error.lineno} of the source)"
    defined = {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == "grade"
    }
    if not defined:
        return "source defines no `grade(sample, item)` function"
    return None


def passes(grader: Mapping[str, Any], score: float) -> bool:
    threshold = grader.get("pass_threshold")
    return score >= (DEFAULT_PASS_THRESHOLD if threshold is None else float(threshold))


def run(
    source: str, jobs: Sequence[tuple[Any, Mapping[str, Any]]], timeout: float
) -> list[Outcome]:
    """The outcome of `grade(sample, item)` for every (item, sample) in `jobs`, in order."""
    if not jobs:
        return []
    lines = [json.dumps(source) + "\n"]
    lines += [json.dumps({"item": item, "sample": dict(sample)}) + "\n" for item, sample in jobs]
    command = [sys.executable, "-I", "-c", _CHILD, str(timeout), str(MEMORY_LIMIT), str(len(jobs))]
    with tempfile.TemporaryDirectory(prefix="reconciler-grader-") as folder:
        try:
            done = subprocess.run(
                command,
                input="".join(lines),
                capture_output=True,
                text=True,
                timeout=timeout * len(jobs) + 5,
                cwd=folder,
                env={},
                check=False,
            )
            stdout, stderr = done.stdout, done.stderr
            ended = f"the grader process exited with {done.returncode}"
        except subprocess.TimeoutExpired as expired:
            stdout = _text(expired.stdout)
            stderr = _text(expired.stderr)
            ended = "the grader process was stopped: it ran out of time"
    outcomes = []
    for raw in stdout.splitlines()[: len(jobs)]:
        answer = json.loads(raw)
        outcomes.append(Outcome(answer.get("score"), answer.get("error")))
    if len(outcomes) < len(jobs):
        last = stderr.strip().splitlines()[-1:] or [""]
        why = f"{ended}{': ' + last[0][:200] if last[0] else ''}"
        outcomes += [Outcome(None, why)] * (len(jobs) - len(outcomes))
    return outcomes


def _text(value: bytes | str | None) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else value.decode(errors="replace")
