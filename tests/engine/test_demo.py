"""The README demo runs from a checkout and ends with a plan that has nothing to change."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_demo_script_plans_applies_and_converges() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "demo.py")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Plan: 3 to create" in result.stdout
    assert "Apply complete: 3 succeeded, 0 failed, 0 skipped." in result.stdout
    assert result.stdout.rstrip().endswith("Done: the second plan found nothing to change.")
