"""Qt application start-up: argument handling, the main window, and offscreen screenshots."""
from __future__ import annotations

import argparse
import sys


def _parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="token-budget", description="Token Budget desktop app")
    p.add_argument("--screenshot", metavar="FILE.png", help="render the main window to a PNG and exit")
    p.add_argument("--scenario", metavar="FILE.yaml", help="open this scenario instead of the demo")
    p.add_argument("--size", default="1280x800", help="window size for --screenshot, e.g. 1600x1000")
    return p.parse_args(argv)


def run_gui(argv: list[str]) -> int:
    args = _parse(argv)
    if args.screenshot:
        import os
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = QMainWindow()
    window.setWindowTitle("Token Budget")
    window.setCentralWidget(QLabel("Token Budget — the planner window arrives with the GUI issue."))
    width, height = (int(v) for v in args.size.lower().split("x"))
    window.resize(width, height)
    if args.screenshot:
        window.show()
        app.processEvents()
        ok = window.grab().save(args.screenshot)
        return 0 if ok else 1
    window.show()
    return app.exec()
