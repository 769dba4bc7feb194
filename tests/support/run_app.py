"""Tests only: run the real desktop app, as main.py does, driven by a test's script.

    python tests/support/run_app.py SCRIPT.py [app arguments...]

SCRIPT.py's top level runs first, before the app starts (patch dialogs there, e.g. answer
QMessageBox.question); the `on_window(window)` it may define runs on the UI thread once the window
is up and any recovery offer answered (gui.app.run_gui's on_window). The shipped app has no such
entry: tests/test_privacy.py and tests/gui/test_crash_recovery.py start this file instead of main.py.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: run_app.py SCRIPT.py [app arguments...]", file=sys.stderr)
        return 2
    script, *app_args = argv
    namespace = {"__name__": "token_budget_test_script", "__file__": script}
    exec(compile(Path(script).read_text(encoding="utf-8"), script, "exec"), namespace)  # noqa: S102
    from gui.app import run_gui

    return run_gui(app_args, on_window=namespace.get("on_window"))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))  # run as a file: its own folder is on the path, the project is not
    sys.exit(main(sys.argv[1:]))
