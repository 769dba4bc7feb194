"""`main.py --screenshot` renders the real window (charts and counts in) to a PNG, in a subprocess."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QImage

ROOT = Path(__file__).resolve().parents[2]


def test_screenshot_command_writes_a_nonblank_png_of_the_requested_size(tmp_path):
    out = tmp_path / "shot.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "TOKEN_BUDGET_SETTINGS_DIR": str(tmp_path / "s")}
    run = subprocess.run([sys.executable, "main.py", "--screenshot", str(out), "--size", "1100x700"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "not ready" not in run.stderr  # it waited for the result and the counts
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1100, 700)
    colours = {image.pixel(x, y) for x in range(0, 1100, 7) for y in range(0, 700, 7)}
    assert len(colours) > 50  # text, charts and panels, not a blank or single-colour frame


def test_bad_size_is_a_usage_error(tmp_path):
    run = subprocess.run([sys.executable, "main.py", "--screenshot", str(tmp_path / "x.png"), "--size", "big"],
                         cwd=ROOT, capture_output=True, text=True, timeout=60,
                         env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert run.returncode == 2 and "--size" in run.stderr
    assert not (tmp_path / "x.png").exists()
