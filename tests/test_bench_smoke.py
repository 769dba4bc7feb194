"""Every benchmark in bench/ runs in its --smoke mode and prints a ratio, so none can rot unseen.

A benchmark is any bench/bench_*.py (found by glob: one added later is checked without touching
this file). Its contract, written down in bench/README.md: `--smoke` runs the same code paths on
tiny inputs in seconds, exits 0, and prints at least one ratio against a baseline measured in the
same run, written as a number right before "x" or "×" (`1.03x`, `528×`). Nothing here looks at
how long anything took: the timing goals are what the full runs print, not what the suite asserts.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCHES = sorted((ROOT / "bench").glob("bench_*.py"))
# "1.03x", "528×", "2.42x faster" — but not the "x" of "8x7B", "2×H100" or "0xfc".
RATIO = re.compile(r"\d(?:\.\d+)?\s?[x×](?![A-Za-z0-9])")


def test_the_ratio_pattern_takes_ratios_and_nothing_else():
    for line in ("  ours: count_exact_fast (hybrid)          median    28.4 ms    1.88x",
                 "  full recount   LargeText edit is    528x faster", "app - bare = 77.1 MB = 57.5 × the text",
                 "TRT-LLM Llama-3.1-8B FP8, 1×H100, 128/2048    22,998.2 t/s 22,714.0 t/s  1.01x"):
        assert RATIO.search(line), line
    for line in ("Mixtral-8x7B on 2×H100", "byte 0xfc at offset 2", "median 28.4 ms", "ratio = predicted / published"):
        assert not RATIO.search(line), line


def test_the_benchmarks_are_all_found():
    names = {path.name for path in BENCHES}
    assert {"bench_count.py", "bench_incremental.py", "bench_memory.py", "bench_selfhost.py",
            "bench_startup.py"} <= names, sorted(names)


@pytest.mark.parametrize("bench", BENCHES, ids=lambda path: path.stem)
def test_the_benchmark_runs_in_smoke_mode_and_prints_a_ratio(bench, tmp_path):
    # Offscreen Qt, and settings and app data in a fresh folder (never the developer's); the
    # vocabulary cache is the session's (tests/conftest.py). Run from elsewhere than the
    # repository: a benchmark must find its own way to the code.
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen",
           "TOKEN_BUDGET_SETTINGS_DIR": str(tmp_path / "settings"),
           "TOKEN_BUDGET_DATA_DIR": str(tmp_path / "data")}
    run = subprocess.run([sys.executable, str(bench), "--smoke"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=600)  # a hang bound, not a time limit
    output = f"--- stdout\n{run.stdout[-4000:]}\n--- stderr\n{run.stderr[-4000:]}"
    assert run.returncode == 0, f"{bench.name} --smoke exited {run.returncode}\n{output}"
    assert [line for line in run.stdout.splitlines() if RATIO.search(line)], \
        f"{bench.name} --smoke printed no ratio line (a number followed by x or ×)\n{output}"
