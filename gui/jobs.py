"""The GUI's one job runner: background work on worker threads, outcomes delivered on the UI thread by polling."""
from __future__ import annotations

import logging
import sys
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable

from PySide6.QtCore import QObject, Qt, QTimer

from core.base import Problem

log = logging.getLogger(__name__)

POLL_MS = 8  # under half a frame: a finished job is on screen in the frame after it ends


class Cancelled(Exception):
    """Raised inside a job by `Job.check()` once the job went stale (a newer one of its kind, or cancel())."""


def problem_from(exc: BaseException, context: str = "") -> Problem:
    """A job's exception as the one error value the GUI shows (the message, never a traceback)."""
    text = str(exc) or type(exc).__name__
    return Problem("", None, "", f"{context}: {text}" if context else text)


class Job:
    """One submitted piece of work. The worker sees only `check()`, `cancelled` and `report()`.

    Nothing here is a Qt object: the worker writes two plain attributes (the cancel flag is an
    Event, progress one tuple assignment) and the UI thread reads them on its next poll.
    """

    def __init__(self, kind: str, generation: int, context: str, on_done, on_problem, on_progress) -> None:
        self.kind = kind
        self.generation = generation
        self.context = context
        self.on_done = on_done
        self.on_problem = on_problem
        self.on_progress = on_progress
        self.future: Future | None = None
        self._cancel = threading.Event()
        self._progress: tuple[int, int] | None = None
        self._shown_progress: tuple[int, int] | None = None

    # -- worker side
    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check(self) -> None:
        """Stop here if the job went stale: long jobs call this between their steps."""
        if self._cancel.is_set():
            raise Cancelled

    def report(self, done: int, total: int) -> None:
        """Progress for the UI (delivered on its next poll; intermediate values may be skipped)."""
        self._progress = (done, total)

    # -- UI side
    def cancel(self) -> None:
        self._cancel.set()
        if self.future is not None:
            self.future.cancel()  # not started yet: it never runs

    def __repr__(self) -> str:
        state = "cancelled" if self.cancelled else "done" if self.future and self.future.done() else "pending"
        return f"<Job {self.kind} #{self.generation} {state}>"


class JobRunner(QObject):
    """Runs `fn(job, *args)` on a worker thread of its lane and hands the outcome to callbacks on the UI thread.

    - **Results**: `on_done(value)` on the UI thread, in submission order among finished jobs.
    - **Errors**: one kind of value, a `core.base.Problem`: the job's exception turned into one
      (`problem_from`), or a Problem the job returned; `on_problem(problem)`, logged when absent.
    - **Stale**: submitting a job of a kind cancels the older ones of that kind; a cancelled job's
      outcome is dropped, whatever it was. `cancel(*kinds)` does the same without a new job.
    - **Cancel**: a queued job never starts; a running one stops at its next `job.check()`.
    - **Progress**: `job.report(done, total)` on the worker, `on_progress(done, total)` on the UI.

    Finished jobs are collected by a timer on the UI thread, never by signals emitted on a worker:
    no Qt object is touched off the UI thread, and a job outliving its owner (the runner is a child
    of it) cannot call into a deleted widget. Each lane is one thread, so jobs of a lane run in
    order and lanes do not wait for each other.
    """

    def __init__(self, parent: QObject | None = None, *, name: str = "jobs", poll_ms: int = POLL_MS) -> None:
        super().__init__(parent)
        self.name = name
        self._lanes: dict[str, ThreadPoolExecutor] = {}
        self._jobs: list[Job] = []
        self._generations: dict[str, int] = {}
        self._closed = False
        self._poll = QTimer(self, interval=poll_ms)
        self._poll.setTimerType(Qt.TimerType.PreciseTimer)
        self._poll.timeout.connect(self.collect)

    # -- submitting
    def submit(self, kind: str, fn: Callable[..., Any], *args: Any, on_done: Callable[[Any], None] | None = None,
               on_problem: Callable[[Problem], None] | None = None,
               on_progress: Callable[[int, int], None] | None = None, lane: str | None = None,
               context: str = "", supersede: bool = True, delay_ms: int = 0) -> Job:
        """Run `fn(job, *args)` on `lane` (default: the runner's name); see the class for what follows.

        `context` prefixes the message of a Problem made from an exception ("autosave failed: …").
        `supersede=False` keeps older jobs of the kind alive (independent jobs that share a kind).
        `delay_ms` holds the job back (pending, cancellable) so that the UI thread can first draw
        what it was just given without a worker competing with it for the GIL.
        """
        if self._closed:
            raise RuntimeError(f"job runner {self.name!r} is shut down")
        if supersede:
            self.cancel(kind)
        generation = self._generations[kind] = self._generations.get(kind, 0) + 1
        job = Job(kind, generation, context, on_done, on_problem, on_progress)
        self._jobs.append(job)
        start = lambda: self._start(job, lane or self.name, fn, args)  # noqa: E731
        if delay_ms > 0:
            QTimer.singleShot(delay_ms, self, start)
        else:
            start()
        return job

    def _start(self, job: Job, lane: str, fn: Callable, args: tuple) -> None:
        if self._closed or job not in self._jobs:
            return
        if job.cancelled:  # went stale before it was handed to a thread
            self._jobs.remove(job)
            return
        job.future = self._lane(lane).submit(self._run, job, fn, args)
        self._poll.start()

    def _lane(self, name: str) -> ThreadPoolExecutor:
        pool = self._lanes.get(name)
        if pool is None:
            pool = self._lanes[name] = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        return pool

    @staticmethod
    def _run(job: Job, fn: Callable, args: tuple) -> Any:
        job.check()  # went stale while queued behind another job of its lane
        return fn(job, *args)

    # -- state
    def cancel(self, *kinds: str) -> None:
        """Make the undelivered jobs of these kinds (all kinds when none given) stale."""
        for job in list(self._jobs):
            if not kinds or job.kind in kinds:
                job.cancel()
                if job.future is None:  # held back: it will never start
                    self._jobs.remove(job)

    def pending(self, *kinds: str) -> list[Job]:
        """Jobs whose outcome is still to be delivered (or dropped), of these kinds or of any."""
        return [j for j in self._jobs if not kinds or j.kind in kinds]

    @property
    def idle(self) -> bool:
        return not self._jobs

    # -- delivering (UI thread)
    def collect(self) -> None:
        """The poll: deliver the first finished job's outcome and the running jobs' progress.

        One outcome per turn of the event loop (the next one follows at once, on the next turn):
        a plan and its break-even finishing together are two short stalls, not one long one.
        """
        finished = None
        for job in self._jobs:
            if job.future is None:
                continue  # held back (delay_ms)
            if job.future.done():
                if finished is None:
                    finished = job
            elif job.on_progress is not None and not job.cancelled:
                progress = job._progress
                if progress is not None and progress != job._shown_progress:
                    job._shown_progress = progress
                    self._call(job.on_progress, *progress)
        if finished is not None:
            self._jobs.remove(finished)
            self._deliver(finished)
            if any(job.future is not None and job.future.done() for job in self._jobs):
                QTimer.singleShot(0, self, self.collect)
        self._stop_if_quiet()

    def finish(self, *kinds: str, timeout: float | None = None) -> None:
        """Block until the jobs of these kinds have ended and deliver them now (an explicit save waits
        for the autosave write in flight, say). Meant for short jobs: the UI thread waits."""
        for job in self.pending(*kinds):
            if job.future is None:  # held back: it has not started, so there is nothing to wait for
                continue
            if not job.future.cancelled():
                try:
                    job.future.exception(timeout=timeout)
                except TimeoutError:
                    continue
            if job in self._jobs:
                self._jobs.remove(job)
                self._deliver(job)
        self._stop_if_quiet()

    def _stop_if_quiet(self) -> None:
        if not any(job.future is not None for job in self._jobs):
            self._poll.stop()  # (a held-back job starts the poll when it starts)

    def _deliver(self, job: Job) -> None:
        future = job.future
        if job.cancelled or future.cancelled():
            return  # stale: a newer job of its kind (or a cancel) replaced what it would show
        exc = future.exception()
        if isinstance(exc, Cancelled):
            return
        if exc is not None:
            outcome: Any = problem_from(exc, job.context)
            if not isinstance(exc, (ValueError, OSError)):  # not the user's input: a bug worth a trace
                log.error("job %s failed", job.kind, exc_info=exc)
        else:
            outcome = future.result()
        if isinstance(outcome, Problem):
            if job.on_problem is not None:
                self._call(job.on_problem, outcome)
            else:
                log.warning("job %s: %s", job.kind, outcome)
        elif job.on_done is not None:
            self._call(job.on_done, outcome)

    @staticmethod
    def _call(callback: Callable, *args: Any) -> None:
        try:
            callback(*args)
        except Exception:  # one broken callback must not stop the others being delivered
            sys.excepthook(*sys.exc_info())

    def shutdown(self) -> None:
        """Cancel everything and let the threads end; nothing more is delivered."""
        self._closed = True
        self.cancel()
        self._poll.stop()
        self._jobs.clear()
        for pool in self._lanes.values():
            pool.shutdown(wait=False, cancel_futures=True)
