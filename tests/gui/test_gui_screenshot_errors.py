"""--screenshot never waits on a dialog: a scenario that cannot be opened is a one-line error."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_screenshot_with_a_bad_scenario_fails_fast(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("schema_version: 1\nprimary_model: gpt-5\nworkload: {requests_per_day: -3}\n")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", TOKEN_BUDGET_SETTINGS_DIR=str(tmp_path / "s"))
    result = subprocess.run([sys.executable, "main.py", "--screenshot", str(tmp_path / "x.png"),
                             "--scenario", str(bad)], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2
    assert "bad.yaml:3 [workload.requests_per_day]" in result.stderr
    assert not (tmp_path / "x.png").exists()
