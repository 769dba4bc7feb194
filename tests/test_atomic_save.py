"""Saves are atomic: a process killed between write and replace leaves the old file and its backup."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from core.scenario import Scenario, load_scenario, save_scenario

ROOT = Path(__file__).resolve().parents[1]


def test_process_killed_between_write_and_replace(tmp_path):
    path = tmp_path / "plan.yaml"
    save_scenario(Scenario(name="v1"), path)
    save_scenario(Scenario(name="v2"), path)  # plan.yaml = v2, plan.yaml.bak = v1
    script = textwrap.dedent(f"""
        import os, signal, sys
        sys.path.insert(0, {str(ROOT)!r})
        from core import atomicio as scenario_io, scenario
        def die_instead_of_replacing(src, dst):
            os.kill(os.getpid(), signal.SIGKILL)   # the temp file is fully written by now
        scenario_io.os.replace = die_instead_of_replacing
        scenario.save_scenario(scenario.Scenario(name="v3"), {str(path)!r})
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == -signal.SIGKILL
    assert load_scenario(path)[0].name == "v2"  # the previous file is intact
    backup = load_scenario(tmp_path / "plan.yaml.bak")[0]
    assert backup.name == "v1"  # and the backup still holds the version before it
    assert {p.name for p in tmp_path.iterdir()} <= {"plan.yaml", "plan.yaml.bak"} | {
        p.name for p in tmp_path.iterdir() if p.name.startswith(".plan.yaml.")}  # leftovers are hidden temp files


def test_backup_holds_the_previous_version_after_success(tmp_path):
    path = tmp_path / "plan.yaml"
    for name in ("v1", "v2", "v3"):
        save_scenario(Scenario(name=name), path)
    assert load_scenario(path)[0].name == "v3"
    assert load_scenario(tmp_path / "plan.yaml.bak")[0].name == "v2"
    assert not any(p.name.endswith(".tmp") for p in tmp_path.iterdir())
