"""Every script in benchmarks/ answers --help with its usage, without measuring anything."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).parents[1] / "benchmarks"
SCRIPTS = sorted(p for p in BENCHMARKS.glob("*.py") if "__main__" in p.read_text())


def test_the_scripts_are_found():
    names = {p.name for p in SCRIPTS}
    assert {"fit_overhead.py", "reproducibility.py", "backprop.py"} <= names


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_help_prints_usage_and_exits(script):
    result = subprocess.run(
        [sys.executable, str(script), "--help"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage:"), result.stdout[:300]
    assert "repeats within a thread count:" not in result.stdout  # reproducibility ran


def test_fit_overhead_takes_its_repeats_and_rejects_bad_ones():
    script = BENCHMARKS / "fit_overhead.py"
    help_text = subprocess.run(
        [sys.executable, str(script), "--help"], capture_output=True, text=True, timeout=120
    ).stdout
    assert "repeats" in help_text and "default 7" in help_text
    bad = subprocess.run(
        [sys.executable, str(script), "0"], capture_output=True, text=True, timeout=120
    )
    assert bad.returncode == 2 and "repeats must be at least 1" in bad.stderr
