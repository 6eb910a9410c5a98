"""The README's "Try it yourself" runs from a checkout: it fine-tunes on the demo's emails,
evaluates the fine-tuned model and the base model with a detailed prompt, promotes the winner,
converges, and ends with the decision table and the promoted model."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_demo_fine_tunes_evaluates_and_promotes() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "demo.py")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "Plan: 4 to create" in out  # the two datasets, the job, the base model's run
    assert "EvalRun/fine-tuned  wait: waits for FineTune/triage-ft" in out
    assert "FineTune/triage-ft: created (ftjob-" in out
    assert "Waiting for 1 job(s)" in out and "All 1 job(s) succeeded." in out
    # the run of the fine-tuned model waited for the job: apply --wait applies once more
    assert out.count("The jobs ended: applying again") == 1
    assert "EvalRun/fine-tuned: created" in out and "Promotion/triage-model: created" in out
    assert "No changes. Live state matches the manifests (7 unchanged)." in out
    model = re.search(r"^Promotion/triage-model: (ft:gpt-4\.1-mini-2025-04-14:\S+)$", out, re.M)
    assert model is not None, out  # the output step's first line: the promoted model
    table = out[out.index("$ reconciler show Promotion/triage-model") :]
    assert re.search(r"^candidate +model +exact +p50/p95 +\$/1k items +gates$", table, re.M)
    winner = re.search(r"^EvalRun/fine-tuned +ft:\S+ +(\d+)% .*\d+/\d+ ms .*pass \(winner\)$",
                       table, re.M)  # fmt: skip
    base = re.search(r"^EvalRun/base-detailed-prompt +gpt-4\.1-mini\S* +(\d+)% .* fails ", table,
                     re.M)  # fmt: skip
    assert winner is not None and base is not None, table
    assert int(winner[1]) >= 90 > int(base[1])
    assert out.rstrip().endswith("Done: the fine-tuned model passed its gate and is promoted.")
