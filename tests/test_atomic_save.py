"""Saves are atomic: a process killed between write and replace leaves the old file and its backup."""
from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from core.plan.scenario import Scenario, load_scenario
from core.plan.scenario_write import save_scenario

ROOT = Path(__file__).resolve().parents[1]


def test_process_killed_between_write_and_replace(tmp_path):
    path = tmp_path / "plan.yaml"
    save_scenario(Scenario(name="v1"), path)
    save_scenario(Scenario(name="v2"), path)  # plan.yaml = v2, plan.yaml.bak = v1
    script = textwrap.dedent(f"""
        import os, signal, sys
        sys.path.insert(0, {str(ROOT)!r})
        from core.base import atomicio as scenario_io
        from core import plan as scenario
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


# --- saves that fail ------------------------------------------------------------------------------

from core.base import atomicio  # noqa: E402
from core.plan.workload import PromptSpec  # noqa: E402


def _v1_v2(tmp_path):
    path = tmp_path / "plan.yaml"
    save_scenario(Scenario(name="v1"), path)
    save_scenario(Scenario(name="v2"), path)  # plan.yaml = v2, plan.yaml.bak = v1
    return path


def _intact(path):
    assert load_scenario(path)[0].name == "v2"  # the previous file is intact
    assert load_scenario(path.with_name("plan.yaml.bak"))[0].name == "v1"  # the version before it
    assert sorted(p.name for p in path.parent.iterdir()) == ["plan.yaml", "plan.yaml.bak"]  # no leftovers


@pytest.mark.parametrize("step", ["write", "fsync", "link", "replace"])
def test_a_save_failing_at_any_step_changes_nothing(tmp_path, monkeypatch, step):
    path = _v1_v2(tmp_path)

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patch:
        if step == "write":
            patch.setattr(atomicio.os, "fdopen", lambda fd, *a, **k: _FailingFile(fd))
        elif step == "fsync":
            patch.setattr(atomicio.os, "fsync", disk_full)
        elif step == "link":
            patch.setattr(atomicio.os, "link", disk_full)
            patch.setattr(atomicio.shutil, "copy2", disk_full)
        else:
            patch.setattr(atomicio.os, "replace", disk_full)
        with pytest.raises(OSError, match="No space left"):
            save_scenario(Scenario(name="v3"), path)
    _intact(path)


class _FailingFile:
    """A file whose write fails half-way, as on a full disk."""

    def __init__(self, fd):
        self._fd = fd

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        os.close(self._fd)
        return False

    def write(self, text):
        os.write(self._fd, text[: len(text) // 2].encode())
        raise OSError(errno.ENOSPC, "No space left on device")


def test_a_real_write_limit_fails_the_save_and_keeps_both_versions(tmp_path):
    """No monkeypatching: the kernel refuses to let the file grow past 64 KB (EFBIG), mid-write."""
    path = _v1_v2(tmp_path)
    script = textwrap.dedent(f"""
        import resource, signal, sys
        sys.path.insert(0, {str(ROOT)!r})
        from core.plan import Scenario, save_scenario
        from core.plan.workload import PromptSpec
        big = Scenario(name="v3", prompts=(PromptSpec("p", text="lorem ipsum " * 100_000),))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # report EFBIG instead of killing the process
        resource.setrlimit(resource.RLIMIT_FSIZE, (65_536, 65_536))
        try:
            save_scenario(big, {str(path)!r})
        except OSError as exc:
            print("refused:", exc.errno)
            sys.exit(0)
        sys.exit(1)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and f"refused: {errno.EFBIG}" in done.stdout, done.stderr
    _intact(path)


@pytest.mark.parametrize("where", ["after the temp file is written", "after the backup link"])
def test_killed_mid_save_keeps_the_file_and_its_backup(tmp_path, where):
    path = _v1_v2(tmp_path)
    hook = "fsync" if where == "after the temp file is written" else "replace"
    script = textwrap.dedent(f"""
        import os, signal, sys
        sys.path.insert(0, {str(ROOT)!r})
        from core.base import atomicio
        from core.plan import Scenario, save_scenario
        real = getattr(atomicio.os, {hook!r})
        def die(*args):
            real(*args) if {hook!r} == "fsync" else None
            os.kill(os.getpid(), signal.SIGKILL)
        setattr(atomicio.os, {hook!r}, die)
        save_scenario(Scenario(name="v3"), {str(path)!r})
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert load_scenario(path)[0].name == "v2"
    assert load_scenario(path.with_name("plan.yaml.bak"))[0].name == "v1"
    # Only hidden leftovers (".plan.yaml.*"), which the next successful save does not trip over.
    assert all(p.name in ("plan.yaml", "plan.yaml.bak") or p.name.startswith(".plan.yaml.")
               for p in tmp_path.iterdir())
    save_scenario(Scenario(name="v4"), path)
    assert load_scenario(path)[0].name == "v4" and load_scenario(path.with_name("plan.yaml.bak"))[0].name == "v2"


def test_prompt_text_utf8_cannot_hold_is_refused_before_anything_is_written(tmp_path):
    path = _v1_v2(tmp_path)
    with pytest.raises(ValueError):
        save_scenario(Scenario(name="v3", prompts=(PromptSpec("p", text="half a pair: \ud800"),)), path)
    _intact(path)


def test_start_up_sweeps_only_our_stale_temp_files(tmp_path):
    """A killed save leaves `.plan.yaml.XXXXXXXX.tmp`; the sweep removes ours once they are an hour old."""
    import os

    from core.base import sweep_stale_temp_files

    now = 1_800_000_000  # a fixed "now" (2027): the test reads no clock
    old, fresh = now - 7200, now - 60
    ours_old = tmp_path / ".plan.yaml.x1y2z3w4.tmp"
    ours_backup = tmp_path / ".plan.yaml.bak.4242"
    ours_fresh = tmp_path / ".plan.yaml.a1b2c3d4.tmp"   # another window may be saving right now
    not_ours = [tmp_path / "notes.tmp", tmp_path / ".hidden.tmp", tmp_path / "plan.yaml"]
    for path in (ours_old, ours_backup, ours_fresh, *not_ours):
        path.write_text("x", encoding="utf-8")
    for path in (ours_old, ours_backup, *not_ours):
        os.utime(path, (old, old))
    os.utime(ours_fresh, (fresh, fresh))
    removed = sweep_stale_temp_files(tmp_path, now=now)
    assert sorted(removed) == sorted([ours_old, ours_backup])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in (ours_fresh, *not_ours))
    assert sweep_stale_temp_files(tmp_path / "missing", now=now) == []


def test_the_app_sweeps_its_data_folder_its_autosaves_and_the_plan_folder(tmp_path, monkeypatch):
    import os

    from gui.app import _sweep_killed_saves

    data, plans = tmp_path / "data", tmp_path / "plans"
    monkeypatch.setenv("TOKEN_BUDGET_DATA_DIR", str(data))
    leftovers = [data / ".models.yaml.q1w2e3r4.tmp", data / "autosave" / ".session.yaml.t5y6u7i8.tmp",
                 plans / ".plan.yaml.o9p0a1s2.tmp"]
    old = 1_000_000_000  # 2001: older than any hour-long grace, whatever today is
    for path in leftovers:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x", encoding="utf-8")
        os.utime(path, (old, old))
    _sweep_killed_saves(str(plans / "plan.yaml"))
    assert [p for p in leftovers if p.exists()] == []
