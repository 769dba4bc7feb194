"""GUI test fixtures: settings in a temp folder, dialogs that never block, the window on the demo."""
from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox

from core.prices.catalog import load_catalog
from core.plan.scenario import load_demo
from gui.app import keep_none_alive

keep_none_alive()  # before any Qt call: see gui.app.keep_none_alive (PySide6 6.12 + Python 3.11)


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path, monkeypatch):
    """QSettings go to a temp dir: tests never read or change the developer's real settings."""
    monkeypatch.setenv("TOKEN_BUDGET_SETTINGS_DIR", str(tmp_path / "settings"))


@pytest.fixture(autouse=True)
def dialogs(monkeypatch):
    """Every message box is recorded instead of shown (a modal dialog would hang the test)."""
    seen: list[tuple[str, str]] = []

    def record(kind, answer):
        def show(*args, **kwargs):
            texts = [a for a in args if isinstance(a, str)]
            seen.append((kind, " | ".join(texts)))
            return answer
        return show

    monkeypatch.setattr(QMessageBox, "question", staticmethod(record("question", QMessageBox.StandardButton.Discard)))
    for kind in ("warning", "information", "critical"):
        monkeypatch.setattr(QMessageBox, kind, staticmethod(record(kind, QMessageBox.StandardButton.Ok)))
    monkeypatch.setattr(QMessageBox, "about", staticmethod(record("about", None)))
    monkeypatch.setattr(QMessageBox, "exec",
                        lambda self: seen.append(("exec", f"{self.windowTitle()} | {self.text()}")) or 0)
    return seen


@pytest.fixture(scope="session")
def catalog():
    cat, errors = load_catalog(user=False)
    assert errors == []
    return cat


@pytest.fixture
def demo():
    return load_demo()


@pytest.fixture
def window(qtbot, catalog, demo):
    """The main window on the demo scenario, with its first result (and charts) in."""
    from gui.controller import ScenarioController
    from gui.main_window import MainWindow

    controller = ScenarioController(catalog, demo)
    win = MainWindow(controller)
    qtbot.addWidget(win)
    with qtbot.waitSignal(controller.result_ready, timeout=20_000):
        win.show()
        controller.recompute_now()
    qtbot.waitUntil(lambda: win.charts_ready, timeout=10_000)
    # Settled: the sensitivity bars follow the first result; tests start after them.
    qtbot.waitUntil(lambda: bool(controller.result.sensitivity), timeout=10_000)
    yield win
    controller.shutdown()
