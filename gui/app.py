"""Qt application start-up: argument handling, the main window, and offscreen screenshots."""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Callable

ENCODINGS = ("o200k_base", "cl100k_base")  # o200k first: most catalog models count with it
SCREENSHOT_TIMEOUT_S = 30.0
BENCH_FIRST_PAINT_ENV = "TOKEN_BUDGET_BENCH_FIRST_PAINT"  # see _report_first_paint


def _pyside_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    for dist in ("PySide6-Essentials", "PySide6"):
        try:
            return version(dist)
        except PackageNotFoundError:
            continue
    return ""


def keep_none_alive() -> None:
    """Work around PySide6 6.12's abi3 wheels dropping references to None, True and False on Python < 3.12.

    The wheels treat these objects as immortal (as they are from Python 3.12 on), so Qt calls that
    return nothing or a bool release references they never took; on 3.11 CPython aborts with
    "none_dealloc: deallocating None" after a few thousand calls (`QLabel.setText` in a loop
    reproduces it). Giving them the huge reference count 3.12 gives them makes those releases harmless.
    """
    if sys.version_info >= (3, 12) or not _pyside_version().startswith("6.12"):
        return  # pyproject pins <6.12; this only guards an environment that installed it anyway
    import ctypes

    for singleton in (None, True, False):
        refcount = ctypes.c_ssize_t.from_address(id(singleton))  # ob_refcnt: first field of every object
        if refcount.value < 1 << 40:
            refcount.value += 1 << 40


def _parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="token-budget", description="Token Budget desktop app")
    p.add_argument("--screenshot", metavar="FILE.png", help="render the main window to a PNG and exit")
    p.add_argument("--scenario", metavar="FILE.yaml", help="open this scenario instead of the demo")
    p.add_argument("--size", default="1280x800", help="window size for --screenshot, e.g. 1600x1000")
    p.add_argument("--dark", action="store_true", help="use the dark palette whatever the system says")
    args = p.parse_args(argv)
    try:
        width, height = (int(v) for v in args.size.lower().split("x"))
        if not (320 <= width <= 8000 and 240 <= height <= 8000):
            raise ValueError
    except ValueError:
        p.error(f"--size must look like 1280x800 (320–8000 each), got {args.size!r}")
    args.width, args.height = width, height
    return args


def _preload_vocabularies() -> None:
    """Get counting ready for the other encodings on a background thread; counts wait for it, the window does not.

    Without bpe-openai, tiktoken's vocabularies are parsed here. With it there is nothing to do:
    its tokenizers build in ~50 ms when a count first needs them (core.tokens.counting.preload_counting),
    and tiktoken itself is only loaded if the token view is opened.
    """
    try:
        from core.tokens import preload_counting
    except ImportError:
        return
    preload_counting(ENCODINGS)


def _initial_scenario(args, settings):
    """(scenario, path, errors): --scenario, else the last scenario opened, else the bundled demo."""
    from core.plan import load_demo, load_scenario

    path = args.scenario or (None if args.screenshot else settings.last_scenario())
    if path:
        scenario, errors = load_scenario(path)
        if scenario is not None:
            return scenario, str(Path(path).resolve()), []
        if args.scenario:  # asked for explicitly: report it; a stale "last file" is silently skipped
            return load_demo(), None, [str(e) for e in errors]
    return load_demo(), None, []


# The worker thread runs Python for seconds at a time (counting glue, sensitivity, self-hosting);
# with CPython's default 5 ms switch interval every GIL hand-back to the UI thread could wait
# 5 ms, and one keystroke in a large prompt needs several: 23 ms a keystroke against 8 ms at 1 ms
# (bench/bench_incremental.py --gui). The worker loses little: its heavy parts run in native code.
UI_SWITCH_INTERVAL = 0.001


def _sweep_killed_saves(scenario_path: str | None) -> None:
    """Remove the temp files of saves that were killed mid-write (ours by name, over an hour old)."""
    from core.base import app_data_dir, sweep_stale_temp_files
    from gui.autosave import autosave_dir

    folders = {app_data_dir(), autosave_dir()}
    if scenario_path:
        folders.add(Path(scenario_path).parent)
    for folder in folders:
        sweep_stale_temp_files(folder)


def run_gui(argv: list[str], on_window: Callable[[object], None] | None = None) -> int:
    """Start the desktop app and run it until it quits; the exit status.

    `on_window(window)` is for a caller that embeds the app in its own process (the tests' launcher,
    tests/support/run_app.py): it runs on the UI thread once the window is up and any recovery
    offer answered. main.py passes none: the shipped app runs no code that its caller did not import.
    """
    args = _parse(argv)
    keep_none_alive()
    sys.setswitchinterval(UI_SWITCH_INTERVAL)
    if args.screenshot:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QApplication

    QCoreApplication.setOrganizationName("TokenBudget")
    QCoreApplication.setApplicationName("Token Budget")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    from core.prices import load_catalog
    from gui import theme
    from gui.controller import ScenarioController
    from gui.main_window import MainWindow
    from gui.settings import AppSettings

    theme.apply(app, dark=True if args.dark else None)
    settings = _screenshot_settings() if args.screenshot else AppSettings()
    catalog, catalog_errors = load_catalog()
    scenario, path, open_errors = _initial_scenario(args, settings)
    controller = ScenarioController(catalog, scenario)
    controller.path = path
    autosaver = None if args.screenshot else _autosaver(controller)
    if not args.screenshot:
        _sweep_killed_saves(path)
    window = MainWindow(controller, settings, catalog_errors, autosaver)
    if not args.dark:
        theme.follow_system(app, window.restyle)
    if args.screenshot:
        window.resize(args.width, args.height)
    if os.environ.get(BENCH_FIRST_PAINT_ENV):
        _report_first_paint(window)
    window.show()
    # Parsing a vocabulary holds the GIL for ~0.25 s: preloading before the window was built made
    # start-up 0.6 s slower. The first count loads what it needs on the worker after the first
    # paint ("counting…" until then); the other vocabularies follow in the background.
    window.after_first_paint(controller.recompute_now, first=True)  # the worker starts before pyqtgraph loads
    _once(controller.result_ready, _preload_vocabularies)
    if autosaver is not None:
        _offer_recovery(window, autosaver)
    if open_errors and args.screenshot:  # headless: a modal dialog would wait forever
        print(f"error: {args.scenario} could not be opened: " + "; ".join(open_errors), file=sys.stderr)
        return 2
    if open_errors:
        window.error_dialog("Cannot open the scenario", f"{args.scenario} could not be opened; showing the demo.",
                            "\n".join(open_errors))
    if catalog_errors and not args.screenshot:  # skipped entries of a broken price file, say so once
        from PySide6.QtCore import QTimer

        QTimer.singleShot(0, lambda: window.actions.show_catalog_problems(catalog_errors))
    if on_window is not None:
        from PySide6.QtCore import QTimer

        QTimer.singleShot(0, lambda: on_window(window))
    if args.screenshot:
        return _screenshot(app, window, args.screenshot)
    return app.exec()


def _report_first_paint(window) -> None:
    """bench/bench_startup.py: print `first-paint <time.monotonic()>` once the main window has painted, then exit.

    The first Paint event of any widget of the window starts it; the stamp is taken by a zero
    timer queued from there, so the whole first frame is done. The process then ends at once,
    saving neither settings nor an autosave.
    """
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication

    class FirstPaint(QObject):
        def eventFilter(self, watched, event) -> bool:  # noqa: N802
            if (event.type() == QEvent.Type.Paint and hasattr(watched, "window")
                    and watched.window() is window):
                QApplication.instance().removeEventFilter(self)
                QTimer.singleShot(0, self.report)
            return False

        @staticmethod
        def report() -> None:
            print(f"first-paint {time.monotonic():.6f}", flush=True)
            os._exit(0)

    window._first_paint_probe = FirstPaint(window)
    QApplication.instance().installEventFilter(window._first_paint_probe)


def _once(signal, task) -> None:
    def run(*_args) -> None:
        signal.disconnect(run)
        task()

    signal.connect(run)


def _autosaver(controller):
    from gui.autosave import Autosaver

    return Autosaver(lambda: controller.scenario, parent=controller)


def _offer_recovery(window, autosaver) -> None:
    """After a crash: offer the last autosaved plan; either way start autosaving this session."""
    from PySide6.QtWidgets import QMessageBox

    from gui.autosave import Autosaver

    found = Autosaver.pending_recovery()
    restored = False
    if found is not None:
        scenario, saved_at = found
        answer = QMessageBox.question(
            window, "Restore unsaved work?",
            f"Token Budget did not close cleanly. Restore “{scenario.name}”, autosaved "
            f"{saved_at.strftime('%Y-%m-%d %H:%M')}?")
        if answer == QMessageBox.StandardButton.Yes:
            window.controller.set_scenario(scenario, dirty=True)
            restored = True
    if not restored:
        autosaver.mark_clean(window.controller.scenario)
    autosaver.start()
    Autosaver.discard_recovery()


def _screenshot_settings():
    """A throw-away settings file: a screenshot must neither read nor change the user's layout."""
    import tempfile

    from PySide6.QtCore import QSettings

    from gui.settings import AppSettings

    folder = tempfile.mkdtemp(prefix="token-budget-shot-")
    return AppSettings(QSettings(str(Path(folder) / "settings.ini"), QSettings.Format.IniFormat))


def ready_for_screenshot(window) -> bool:
    """The first result, the token counts, the sensitivity bars and the real charts are all in."""
    c = window.controller
    result = c.result
    if result is None or c.busy or not c.counts or not window.charts_ready:
        return False
    if result.projection.ok and not result.sensitivity:
        return False
    return not (result.scenario.levers.selfhost.enabled and window.last_breakeven is None)


def _screenshot(app, window, path: str) -> int:
    deadline = time.monotonic() + SCREENSHOT_TIMEOUT_S
    while not ready_for_screenshot(window) and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.02)
    if not ready_for_screenshot(window):
        print("warning: results were not ready in time; the screenshot may be incomplete", file=sys.stderr)
    for _ in range(5):  # let layouts and plots settle after the last signal
        app.processEvents()
        time.sleep(0.02)
    ok = window.grab().save(path)
    window.controller.shutdown()
    window.save_state = lambda: None  # nothing of a screenshot run is remembered
    if not ok:
        print(f"error: could not write {path}", file=sys.stderr)
    return 0 if ok else 1
