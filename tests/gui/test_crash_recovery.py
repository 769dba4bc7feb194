"""Crash recovery end to end: a real app process gets prompts, autosaves, is SIGKILLed; the next start offers them back.

Both runs start the real app through tests/support/run_app.py (gui.app.run_gui, as main.py does)
with the offscreen platform and data/settings folders in tmp, each driven by a script: the first run
enters prompts the way a user does (Add, Rename, paste, typing), the second answers the "Restore
unsaved work?" question with Yes and writes down what the window then holds.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from core.plan.scenario import parse_scenario

ROOT = Path(__file__).resolve().parents[2]
LAUNCHER = ROOT / "tests" / "support" / "run_app.py"

PROMPTS = {
    # name -> text; every one must come back exactly
    "Ünïcödé — naïve café": "Grüße, 日本語のテキスト, العربية, עברית, हिन्दी, Ελληνικά, ру́сский\n"
                            "non\u00a0breaking\u00a0spaces, a line\u2028separator, tabs\tand  double spaces",
    "emoji 😀": "👨‍👩‍👧‍👦 family, 🇩🇪 flag, 👍🏽 skin tone, e\u0301 combining, 𝔘𝔫𝔦𝔠𝔬𝔡𝔢, \U0010FFFD\n",
    "one MB": ("The quick brown fox jumps over the lazy dog; " * 30 + "\n") * 760,  # ≈ 1 MB, pasted
    "long line": "x" * 30_000 + " end",  # too long for the editor: kept whole, shown as a preview
}
TYPED = " -- typed by hand"  # QTest.keyClicks takes ASCII only


ENTER = textwrap.dedent("""
    import json, os
    from pathlib import Path
    from PySide6.QtCore import QMimeData, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QInputDialog

    WANTED = json.loads(Path(os.environ["CRASH_TEST_PROMPTS"]).read_text(encoding="utf-8"))
    TYPED = os.environ["CRASH_TEST_TYPED"]

    def on_window(window):
        panel = window.prompts
        rows = []
        for name, text in WANTED.items():
            panel.add_prompt()                                        # Edit ▸ Add prompt
            rows.append(panel.current())
            QInputDialog.getText = staticmethod(lambda *a, **k: (name, True))
            panel.rename_prompt()                                     # Edit ▸ Rename prompt…
            mime = QMimeData()
            mime.setText(text)
            panel.editor.insertFromMimeData(mime)                     # Ctrl+V
        panel.list.setCurrentRow(rows[0])
        panel.editor.moveCursor(panel.editor.textCursor().MoveOperation.End)
        QTest.keyClicks(panel.editor, TYPED)                          # and some typing
        Path(os.environ["CRASH_TEST_MARK"]).write_text("entered", encoding="utf-8")
""")

RESTORE = textwrap.dedent("""
    import json, os
    from pathlib import Path
    from PySide6.QtWidgets import QMessageBox

    ASKED = []

    def answer(parent, title, text, *args, **kwargs):
        ASKED.append(f"{title} | {text}")
        return QMessageBox.StandardButton.Yes

    QMessageBox.question = staticmethod(answer)

    def on_window(window):
        scenario = window.controller.scenario
        dump = {"asked": ASKED, "name": scenario.name, "dirty": window.controller.dirty,
                "prompts": [[p.name, str(p.text)] for p in scenario.prompts]}  # a big one is a LargeText
        Path(os.environ["CRASH_TEST_DUMP"]).write_text(json.dumps(dump, ensure_ascii=False), encoding="utf-8")
        os._exit(0)
""")


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "QT_QPA_PLATFORM": "offscreen",
        "TOKEN_BUDGET_DATA_DIR": str(tmp_path / "data"),
        "TOKEN_BUDGET_SETTINGS_DIR": str(tmp_path / "settings"),
        "TOKEN_BUDGET_CACHE_DIR": str(tmp_path / "cache"),
        "TOKEN_BUDGET_AUTOSAVE_SECONDS": "1",
        "CRASH_TEST_PROMPTS": str(tmp_path / "prompts.json"),
        "CRASH_TEST_TYPED": TYPED,
        "CRASH_TEST_MARK": str(tmp_path / "entered"),
        "CRASH_TEST_DUMP": str(tmp_path / "restored.json"),
    })
    return env


def _wanted() -> dict[str, str]:
    first = next(iter(PROMPTS))
    return {name: text + (TYPED if name == first else "") for name, text in PROMPTS.items()}


def _autosaved(path: Path) -> dict[str, str] | None:
    try:
        scenario, errors = parse_scenario(path.read_bytes(), str(path))
    except OSError:
        return None
    return None if scenario is None else {p.name: p.text for p in scenario.prompts}


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_prompts_survive_sigkill_and_are_offered_back_intact(tmp_path):
    (tmp_path / "prompts.json").write_text(json.dumps(PROMPTS, ensure_ascii=False), encoding="utf-8")
    enter, restore = tmp_path / "enter.py", tmp_path / "restore.py"
    enter.write_text(ENTER, encoding="utf-8")
    restore.write_text(RESTORE, encoding="utf-8")
    autosave = tmp_path / "data" / "autosave" / "current.yaml"
    wanted = _wanted()

    app = subprocess.Popen([sys.executable, str(LAUNCHER), str(enter)], cwd=ROOT, env=_env(tmp_path),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 90
        saved = None
        while time.monotonic() < deadline and app.poll() is None:
            saved = _autosaved(autosave) if (tmp_path / "entered").exists() else None
            if saved is not None and all(saved.get(n) == t for n, t in wanted.items()):
                break
            time.sleep(0.1)
        assert app.poll() is None, app.communicate()[1].decode(errors="replace")[-3000:]
        assert saved is not None, "no autosave appeared"
        assert {n: saved.get(n) == t for n, t in wanted.items()} == {n: True for n in wanted}
        app.send_signal(signal.SIGKILL)  # no clean exit: the lock names a dead process now
        app.wait(timeout=30)
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
    assert app.returncode == -signal.SIGKILL

    again = subprocess.run([sys.executable, str(LAUNCHER), str(restore)], cwd=ROOT, env=_env(tmp_path),
                           capture_output=True, timeout=120)
    assert again.returncode == 0, again.stderr.decode(errors="replace")[-3000:]
    restored = json.loads((tmp_path / "restored.json").read_text(encoding="utf-8"))
    assert len(restored["asked"]) == 1 and "Restore unsaved work?" in restored["asked"][0]
    assert restored["dirty"]  # restored work is unsaved work
    got = dict(restored["prompts"])
    for name, text in wanted.items():
        assert got.get(name) == text, f"prompt {name!r} did not come back intact"
        assert got[name].encode("utf-8") == text.encode("utf-8")
    assert len(got["one MB"]) > 1_000_000
