"""Autosave of the current scenario every few seconds, and recovery of unsaved work after a crash."""
from __future__ import annotations

import json
import logging
import os
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from core.base import Problem, app_data_dir, atomic_write_text, read_limited
from core.plan import MAX_SCENARIO_BYTES, Scenario, dump_scenario_parts, parse_scenario
from gui.jobs import JobRunner

log = logging.getLogger(__name__)

AUTOSAVE_ENV = "TOKEN_BUDGET_AUTOSAVE_SECONDS"
DEFAULT_SECONDS = 30.0
PRIMARY = "current"  # the first running session writes current.yaml; others add their PID


def autosave_dir() -> Path:
    return app_data_dir() / "autosave"


def interval_seconds(default: float | None = None) -> float:
    """The autosave period: TOKEN_BUDGET_AUTOSAVE_SECONDS (tests) over the caller's value over 30 s."""
    raw = os.environ.get(AUTOSAVE_ENV, "").strip()
    if raw:
        try:
            value = float(raw)
            if value > 0:
                return value
        except ValueError:
            pass
        log.warning("ignoring %s=%r: expected a positive number of seconds", AUTOSAVE_ENV, raw)
    return default if default and default > 0 else DEFAULT_SECONDS


# --- whether the session that wrote a lock is still running -----------------------------------------


def _process_token(pid: int) -> str:
    """What tells this process apart from a later one that reuses its PID (Linux: its start time)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat[stat.rindex(")") + 2:].split()[19]  # field 22, after the parenthesized name
    except (OSError, ValueError, IndexError):
        return ""


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    if sys.platform == "win32":
        # os.kill on Windows terminates the process: ask the kernel for its exit code instead.
        import ctypes

        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return kernel32.GetLastError() == 5  # access denied: it exists
        try:
            code = ctypes.c_ulong()
            kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
            return code.value == 259  # STILL_ACTIVE
        finally:
            kernel32.CloseHandle(handle)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    except OSError:
        return False
    return True


def _lock_alive(lock: Path) -> bool:
    """True when the session that wrote `lock` is still running (a garbled lock counts as dead)."""
    try:
        data = json.loads(lock.read_text(encoding="utf-8"))
        pid, token = int(data["pid"]), str(data.get("token", ""))
    except (OSError, ValueError, KeyError, TypeError):
        return False
    if not pid_alive(pid):
        return False
    current = _process_token(pid)
    return not (token and current and token != current)


def _lock_for(yaml_path: Path) -> Path:
    suffix = yaml_path.stem[len(PRIMARY):]  # "" or "-<pid>"
    return yaml_path.with_name(f"session{suffix}.lock")


@dataclass(frozen=True)
class Recovery:
    path: Path
    scenario: Scenario
    saved_at: datetime


def recovery_candidates(directory: Path | None = None) -> list[Recovery]:
    """Autosaves left by sessions that did not exit cleanly, newest first.

    A file that no longer parses is renamed aside (`*.corrupt-<time>.yaml`, its raw text kept
    for a manual rescue) and skipped, so a bad file never stops the app from starting.
    """
    folder = directory or autosave_dir()
    found = []
    for path in sorted(folder.glob(f"{PRIMARY}*.yaml")) if folder.is_dir() else ():
        if ".corrupt-" in path.name or _lock_alive(_lock_for(path)):
            continue
        try:
            saved_at = datetime.fromtimestamp(path.stat().st_mtime)
        except OSError as exc:
            log.warning("cannot read autosave %s: %s", path, exc)
            continue
        raw, errors = read_limited(path, MAX_SCENARIO_BYTES)
        if raw is None:  # unreadable, or too large to be one of ours: left where it is
            log.warning("cannot read autosave %s: %s", path, "; ".join(map(str, errors)))
            continue
        scenario, errors = parse_scenario(raw, str(path))
        if scenario is None:
            aside = path.with_name(f"{path.stem}.corrupt-{datetime.now():%Y%m%d-%H%M%S}.yaml")
            log.warning("autosave %s is unreadable (%s); kept as %s", path,
                        "; ".join(map(str, errors[:2])), aside.name)
            try:
                os.replace(path, aside)
            except OSError:
                pass
            continue
        found.append(Recovery(path, scenario, saved_at))
    return sorted(found, key=lambda r: r.saved_at, reverse=True)


class Autosaver(QObject):
    """Writes the scenario from `source()` to autosave/current.yaml when it changed since the last write.

    Lifecycle for the main window:
        found = Autosaver.pending_recovery()        # offer "Restore unsaved work from <time>?"
        saver = Autosaver(lambda: controller.scenario, parent=window)
        if restored: controller takes found[0]      # and saver is NOT marked clean
        else: saver.mark_clean(controller.scenario) # the opened file / demo is safe already
        saver.start()                               # writes restored work at once, in its own slot
        Autosaver.discard_recovery()                # only now drop the crashed session's file
        saver.mark_clean(saved_scenario)            # after every explicit Save / Open
        saver.clean_exit()                          # on quit, once nothing is left unsaved

    A crashed session's file is never overwritten: a new session takes another slot while it exists.
    Timer ticks write through the job runner (a plan with a 20 MB prompt takes ~0.1 s to serialize
    and fsync); save_now() itself, and everything that removes the file, first waits for that write.
    """

    saved = Signal(object)  # datetime of the write (for "autosaved 14:02" in the status bar)
    failed = Signal(object)  # a core.base.Problem: "autosave failed: …" (the file, the reason)

    def __init__(self, source: Callable[[], Scenario | None], interval_s: float | None = None,
                 parent: QObject | None = None, directory: Path | None = None) -> None:
        super().__init__(parent)
        self._source = source
        self.directory = directory or autosave_dir()
        self.interval_s = interval_seconds(interval_s)
        self._timer = QTimer(self)
        self._timer.setInterval(max(1, int(self.interval_s * 1000)))
        self._timer.timeout.connect(self._tick)
        self._jobs = JobRunner(self, name="autosave")
        self._last: Scenario | None = None  # what is safe on disk (autosave or the user's own file)
        self.path: Path | None = None
        self._lock: Path | None = None
        self.last_saved_at: datetime | None = None

    # -- start / stop
    def start(self) -> None:
        """Claim an autosave slot and start the timer; unsaved work (if any) is written at once."""
        if self.path is None:
            self.path, self._lock = self._claim_slot()
        self._timer.start()
        self.save_now()

    def _claim_slot(self) -> tuple[Path, Path]:
        self.directory.mkdir(parents=True, exist_ok=True)
        token = json.dumps({"pid": os.getpid(), "token": _process_token(os.getpid()),
                            "started": datetime.now().isoformat(timespec="seconds")})
        stamp = datetime.now().strftime("%Y%m%d%H%M%S%f")
        for stem in (PRIMARY, f"{PRIMARY}-{os.getpid()}", f"{PRIMARY}-{os.getpid()}-{stamp}"):
            path = self.directory / f"{stem}.yaml"
            lock = _lock_for(path)
            # Never take a slot whose file is another session's unrecovered work.
            if _lock_alive(lock) or path.exists():
                continue
            atomic_write_text(lock, token, keep_backup=False)
            return path, lock
        raise OSError(f"no free autosave slot in {self.directory}")

    @property
    def active(self) -> bool:
        return self._timer.isActive()

    # -- saving
    def _changed(self) -> Scenario | None:
        """The scenario to write, or None when there is nothing new."""
        if self.path is None:
            return None
        try:
            scenario = self._source()
        except Exception as exc:  # a source bug must not stop autosaving forever
            log.exception("autosave source failed")
            self.failed.emit(Problem("", None, "", f"autosave skipped: {exc}"))
            return None
        # Frozen dataclass equality: cheap when nothing changed (the same objects compare by identity).
        return None if scenario is None or scenario == self._last else scenario

    @staticmethod
    def _write(path: Path, scenario: Scenario) -> Scenario | Problem:
        """Write `scenario` (streamed); the scenario written, or the Problem that stopped it."""
        try:
            atomic_write_text(path, dump_scenario_parts(scenario), keep_backup=False)
        except Exception as exc:  # disk full, a lone surrogate that UTF-8 cannot hold, …: reported, never raised
            return Problem(str(path), None, "", str(getattr(exc, "strerror", None) or exc))
        return scenario

    def _written(self, scenario: Scenario) -> None:
        self._last = scenario
        self.last_saved_at = datetime.now()
        self.saved.emit(self.last_saved_at)

    def _failed(self, problem: Problem) -> None:
        self.failed.emit(Problem(problem.file, None, "", f"autosave failed: {problem.message}"))

    def save_now(self) -> bool:
        """Write the scenario now if it changed since the last write; True when a file was written."""
        self.wait()
        scenario = self._changed()
        if scenario is None:
            return False
        outcome = self._write(self.path, scenario)
        if isinstance(outcome, Problem):
            self._failed(outcome)
            return False
        self._written(outcome)
        return True

    def _tick(self) -> None:
        """Timer: write through the job runner, so a huge prompt never freezes typing."""
        if not self._jobs.idle:
            return  # the previous write is still going; the next tick catches up
        scenario = self._changed()
        if scenario is None:
            return
        self._jobs.submit("write", _write_job, self.path, scenario, on_done=self._written, on_problem=self._failed)

    def wait(self) -> None:
        """Finish a write in progress (and report it) before the file is touched again."""
        self._jobs.finish()

    def mark_clean(self, scenario: Scenario | None = None) -> None:
        """After an explicit save (or opening a file): the user's file holds the work, drop the copy."""
        self.wait()
        self._last = scenario if scenario is not None else self._source()
        if self.path is not None:
            _remove(self.path)

    def clean_exit(self) -> None:
        """Quit with nothing left unsaved: remove this session's autosave and lock."""
        self._timer.stop()
        self.wait()
        if self.path is not None:
            _remove(self.path)
        if self._lock is not None:
            _remove(self._lock)
        self.path = self._lock = None

    # -- recovery (at start-up, before start())
    @staticmethod
    def pending_recovery(directory: Path | None = None) -> tuple[Scenario, datetime] | None:
        """The newest autosave of a session that did not exit cleanly: (scenario, saved at), or None."""
        found = recovery_candidates(directory)
        return (found[0].scenario, found[0].saved_at) if found else None

    @staticmethod
    def discard_recovery(directory: Path | None = None) -> None:
        """After the user answered the restore question: remove the crashed sessions' files."""
        folder = directory or autosave_dir()
        for found in recovery_candidates(folder):
            _remove(found.path)
            lock = _lock_for(found.path)
            if not _lock_alive(lock):
                _remove(lock)


def _write_job(_job, path: Path, scenario: Scenario) -> Scenario | Problem:
    return Autosaver._write(path, scenario)


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:
        log.warning("cannot remove %s: %s", path, exc)
