"""Autosave: writes after the interval when changed, recovery after an unclean exit only, bad files survive."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest

from core.plan.scenario import Scenario, load_scenario
from core.plan.workload import PromptSpec
from gui.autosave import AUTOSAVE_ENV, Autosaver, interval_seconds, pid_alive, recovery_candidates

ROOT = Path(__file__).parents[2]
PASTED = "Pasted prompt — keep me!\n" + "secret system rules " * 200


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("TOKEN_BUDGET_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv(AUTOSAVE_ENV, "0.05")
    return tmp_path / "data"


class Holder:
    """Stands in for the controller: the autosaver only reads a callable."""

    def __init__(self) -> None:
        self.scenario = Scenario(name="Plan", primary_model="gpt-5")

    def edit(self, **changes) -> None:
        self.scenario = self.scenario.with_(**changes)


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_interval_from_env(monkeypatch):
    assert interval_seconds() == 0.05
    monkeypatch.setenv(AUTOSAVE_ENV, "nonsense")
    assert interval_seconds(12) == 12
    monkeypatch.delenv(AUTOSAVE_ENV)
    assert interval_seconds() == 30


def test_writes_after_the_interval_only_when_changed(qtbot, data_dir):
    holder = Holder()
    saver = Autosaver(lambda: holder.scenario)
    saver.mark_clean(holder.scenario)
    saver.start()
    path = data_dir / "autosave" / "current.yaml"
    assert saver.path == path
    qtbot.wait(200)
    assert not path.exists(), "an unchanged scenario is not autosaved"
    holder.edit(prompts=(PromptSpec("pasted", text=PASTED, output_tokens=100),))
    with qtbot.waitSignal(saver.saved, timeout=10_000):
        pass
    scenario, errors = load_scenario(path)
    assert errors == [] and scenario == holder.scenario and scenario.prompts[0].text == PASTED
    mtime = path.stat().st_mtime_ns
    qtbot.wait(200)
    assert path.stat().st_mtime_ns == mtime, "no rewrite while nothing changes"
    # an explicit save drops the copy; the next edit brings it back
    saver.mark_clean(holder.scenario)
    assert not path.exists()
    holder.edit(name="Plan v2")
    with qtbot.waitSignal(saver.saved, timeout=10_000):
        pass
    assert load_scenario(path)[0].name == "Plan v2"
    saver.clean_exit()
    assert not any((data_dir / "autosave").iterdir())


def test_no_recovery_after_a_clean_exit(qtbot, data_dir):
    holder = Holder()
    saver = Autosaver(lambda: holder.scenario)
    saver.start()
    assert saver.path.exists()  # never marked clean: unsaved from the start
    saver.clean_exit()
    assert Autosaver.pending_recovery() is None


def test_no_recovery_offered_for_a_session_still_running(qtbot, data_dir):
    holder = Holder()
    saver = Autosaver(lambda: holder.scenario)
    saver.start()
    assert Autosaver.pending_recovery() is None  # our own lock is alive
    saver.clean_exit()


def test_recovery_after_a_crash_in_another_process(qtbot, data_dir):
    """A real unclean exit: a child process autosaves pasted work and dies without cleaning up."""
    script = textwrap.dedent(f"""
        import os, sys
        sys.path.insert(0, {str(ROOT)!r})
        from PySide6.QtCore import QCoreApplication
        app = QCoreApplication([])
        from core.plan.scenario import Scenario
        from core.plan.workload import PromptSpec
        from gui.autosave import Autosaver
        s = Scenario(name="Crashed plan", primary_model="gpt-5",
                     prompts=(PromptSpec("pasted", text={PASTED!r}),))
        saver = Autosaver(lambda: s)
        saver.start()
        os._exit(3)  # no clean_exit(): the lock stays with a PID that is about to die
    """)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 3, done.stderr
    found = Autosaver.pending_recovery()
    assert found is not None
    scenario, saved_at = found
    assert scenario.name == "Crashed plan" and scenario.prompts[0].text == PASTED

    # The new session must not overwrite the crashed session's file before the user answers.
    holder = Holder()
    saver = Autosaver(lambda: holder.scenario)
    holder.scenario = scenario  # the user chose "Restore"
    saver.start()
    assert saver.path.name != "current.yaml"
    assert load_scenario(saver.path)[0] == scenario  # restored work is safe at once
    Autosaver.discard_recovery()
    assert not (data_dir / "autosave" / "current.yaml").exists()
    assert Autosaver.pending_recovery() is None
    saver.clean_exit()


def test_stale_lock_with_dead_pid_is_recoverable(qtbot, data_dir):
    holder = Holder()
    holder.edit(name="Half-finished")
    saver = Autosaver(lambda: holder.scenario)
    saver.start()
    # simulate the crash: forget the saver, and the lock now names a dead process
    lock = saver.directory / "session.lock"
    lock.write_text(json.dumps({"pid": dead_pid(), "token": ""}), encoding="utf-8")
    saver._timer.stop()
    found = Autosaver.pending_recovery()
    assert found is not None and found[0].name == "Half-finished"
    # a garbled lock also counts as a dead session
    lock.write_text("{not json", encoding="utf-8")
    assert Autosaver.pending_recovery() is not None


def test_corrupted_autosave_does_not_crash_and_is_kept_aside(data_dir):
    folder = data_dir / "autosave"
    folder.mkdir(parents=True)
    (folder / "current.yaml").write_text("schema_version: 1\nprompts: [unclosed\n  text: " + PASTED, encoding="utf-8")
    (folder / "session.lock").write_text(json.dumps({"pid": dead_pid()}), encoding="utf-8")
    assert Autosaver.pending_recovery() is None
    kept = list(folder.glob("current.corrupt-*.yaml"))
    assert len(kept) == 1 and PASTED in kept[0].read_text(encoding="utf-8")
    assert recovery_candidates() == []


def test_binary_garbage_and_wrong_schema_do_not_crash(data_dir):
    folder = data_dir / "autosave"
    folder.mkdir(parents=True)
    (folder / "current.yaml").write_bytes(b"\xff\xfe\x00garbage\x00")
    (folder / "current-99999999.yaml").write_text("schema_version: 99\n", encoding="utf-8")
    assert Autosaver.pending_recovery() is None


def test_write_failure_is_reported_not_raised(qtbot, data_dir):
    holder = Holder()
    saver = Autosaver(lambda: holder.scenario)
    saver.mark_clean(holder.scenario)
    saver.start()
    saver.path.mkdir()  # a directory where the file should go: the write fails
    holder.edit(name="changed")
    with qtbot.waitSignal(saver.failed, timeout=10_000) as blocker:
        pass
    problem = blocker.args[0]  # the one error value: which file, and why
    assert problem.message.startswith("autosave failed") and problem.file == str(saver.path)
    saver._timer.stop()


def test_pid_alive():
    assert pid_alive(os.getpid())
    assert not pid_alive(dead_pid())
    assert not pid_alive(0)


def test_budget_decimal_round_trips(qtbot, data_dir):
    holder = Holder()
    holder.edit(workload=holder.scenario.workload.__class__(budget_per_month=Decimal("1234.56")))
    saver = Autosaver(lambda: holder.scenario)
    saver.start()
    assert load_scenario(saver.path)[0].workload.budget_per_month == Decimal("1234.56")
    saver.clean_exit()
