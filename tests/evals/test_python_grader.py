"""The `python` grader: known scores from a child process, its time limit, and what it
cannot see (the reconciler's environment and process)."""

from __future__ import annotations

import os
import time

from reconciler.evals.python_grader import Outcome, passes, run, source_problem

EXACT = """
def grade(sample: dict, item: dict) -> float:
    return 1.0 if sample.get("output_text") == item.get("label") else 0.0
"""


def test_known_scores_in_order() -> None:
    jobs = [({"label": "a"}, {"output_text": "a"}), ({"label": "a"}, {"output_text": "b"})]
    assert run(EXACT, jobs, timeout=5) == [Outcome(1.0), Outcome(0.0)]


def test_a_slow_call_times_out_alone_and_the_next_item_still_grades() -> None:
    source = """
import time
def grade(sample, item):
    if item["slow"]:
        while True:
            time.sleep(0.01)
    return 0.75
"""
    started = time.monotonic()
    found = run(source, [({"slow": True}, {}), ({"slow": False}, {})], timeout=0.5)
    assert time.monotonic() - started < 5
    assert found[0].score is None and "longer than 0.5 s" in str(found[0].error)
    assert found[1] == Outcome(0.75)


def test_errors_and_non_numbers_grade_nothing() -> None:
    source = """
def grade(sample, item):
    if item["n"] == 0:
        raise KeyError("label")
    return "high" if item["n"] == 1 else float("nan")
"""
    found = run(source, [({"n": 0}, {}), ({"n": 1}, {}), ({"n": 2}, {})], timeout=5)
    assert "raised KeyError" in str(found[0].error)
    assert "returned str, not a number" in str(found[1].error)
    assert found[2].score is None


def test_the_code_runs_in_another_process_without_the_environment() -> None:
    os.environ["RECONCILER_TEST_SECRET"] = "sk-should-not-leak"
    try:
        source = f"""
import os
def grade(sample, item):
    assert os.getpid() != {os.getpid()}
    return float(len(os.environ.get("RECONCILER_TEST_SECRET", "")))
"""
        assert run(source, [({}, {})], timeout=5) == [Outcome(0.0)]
    finally:
        del os.environ["RECONCILER_TEST_SECRET"]


def test_a_process_that_dies_fails_the_remaining_items() -> None:
    source = """
import os
def grade(sample, item):
    os._exit(3)
"""
    found = run(source, [({}, {}), ({}, {})], timeout=5)
    assert all(o.score is None and "exited with 3" in str(o.error) for o in found)


def test_source_problems_and_threshold() -> None:
    assert source_problem(EXACT) is None
    assert "defines no `grade" in str(source_problem("def score(sample, item): return 1"))
    assert "does not parse" in str(source_problem("def grade(:"))
    assert passes({"pass_threshold": 0.9}, 0.9) and not passes({}, 0.4) and passes({}, 0.5)
