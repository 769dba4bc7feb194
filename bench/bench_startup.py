"""Benchmarks start-up: process start to the first painted main window, the app on the demo vs a bare PySide6 + pyqtgraph plot window.

--smoke starts each once, without the warm-up runs, so the suite can check that the benchmark
still runs; it measures nothing.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# The baseline: the smallest program that shows a window with one pyqtgraph plot. It reports its
# first paint exactly as the app does under TOKEN_BUDGET_BENCH_FIRST_PAINT (gui/app.py): an
# application-wide event filter takes the first Paint event of any widget in the window (for a
# QGraphicsView that is its viewport), then a zero timer lets the whole first frame finish.
BARE_WINDOW = r"""
import os, sys, time
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication
import pyqtgraph as pg

class FirstPaint(QObject):
    def __init__(self, window):
        super().__init__()
        self.window = window

    def eventFilter(self, watched, event):
        if (event.type() == QEvent.Type.Paint and hasattr(watched, "window")
                and watched.window() is self.window):
            QApplication.instance().removeEventFilter(self)
            QTimer.singleShot(0, self.report)
        return False

    @staticmethod
    def report():
        print(f"first-paint {time.monotonic():.6f}", flush=True)
        os._exit(0)

app = QApplication(sys.argv[:1])
window = pg.PlotWidget(title="one plot")
window.plot([1, 2, 3, 4, 5, 6], [3, 1, 4, 1, 5, 9], pen="b", symbol="o")
window.resize(1280, 800)
probe = FirstPaint(window)
app.installEventFilter(probe)
window.show()
app.exec()
"""


def first_paint_seconds(cmd: list[str], env: dict[str, str], timeout: float = 60.0) -> float:
    """Wall time from just before the process is spawned to its `first-paint <monotonic>` line."""
    start = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout, cwd=ROOT)
    for line in proc.stdout.splitlines():
        if line.startswith("first-paint "):
            return float(line.split()[1]) - start
    raise RuntimeError(f"{cmd[:3]} printed no first-paint line (exit {proc.returncode}):\n"
                       f"{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=9, help="runs of each contender, interleaved (median reported)")
    parser.add_argument("--smoke", action="store_true",
                        help="seconds: each contender once, no warm-up (checks the benchmark runs; not a measurement)")
    args = parser.parse_args()
    if args.smoke:
        args.runs = 1
        print("smoke run: tiny inputs, one run each; checks that the benchmark runs, measures nothing")

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen",
                   TOKEN_BUDGET_SETTINGS_DIR=str(tmp_path / "settings"),  # the demo, never a last file
                   TOKEN_BUDGET_DATA_DIR=str(tmp_path / "data"),
                   TOKEN_BUDGET_CACHE_DIR=str(tmp_path / "cache"))
        contenders = {
            "bare PySide6 + pyqtgraph window": ([sys.executable, "-c", BARE_WINDOW], env),
            "python main.py (demo)": ([sys.executable, str(ROOT / "main.py")],
                                      {**env, "TOKEN_BUDGET_BENCH_FIRST_PAINT": "1"}),
        }
        print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start")
        for cmd, cenv in () if args.smoke else contenders.values():  # warm the OS file cache and .pyc files
            first_paint_seconds(cmd, cenv)
        samples: dict[str, list[float]] = {name: [] for name in contenders}
        for _ in range(args.runs):
            for name, (cmd, cenv) in contenders.items():
                samples[name].append(first_paint_seconds(cmd, cenv))
    bare = statistics.median(samples["bare PySide6 + pyqtgraph window"])
    print(f"process start → first paint, offscreen, median of {args.runs} interleaved runs:")
    for name, times in samples.items():
        t = statistics.median(times)
        print(f"  {name:34s} median {t * 1000:7.1f} ms  (min {min(times) * 1000:6.1f}, "
              f"max {max(times) * 1000:6.1f})  {t / bare:5.2f}x the bare window")
    ratio = statistics.median(samples["python main.py (demo)"]) / bare
    verdict = "not judged (smoke)" if args.smoke else "met" if ratio <= 1.3 else "NOT met"
    print(f"target ≤ 1.30x: {verdict} ({ratio:.2f}x)")
    print(f"load average {os.getloadavg()[0]:.2f} at end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
