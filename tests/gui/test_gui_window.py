"""The main window: opens on the demo with a result drawn, live edits, levers, files, settings."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from core.plan.scenario_write import save_scenario


def test_window_opens_on_the_demo_with_a_result_drawn(window):
    result = window.controller.result
    assert result is not None and result.projection.ok
    assert window.charts.result is result  # the charts draw the same PlanResult as the cards
    first = result.projection.months[0]
    assert window.cards.first.value.text() == f"${first.cost:,.0f}"
    assert window.cards.budget.value.text() in ("within budget",) or "breached" in window.cards.budget.value.text()
    assert window.windowTitle().startswith("Support assistant (demo)")
    assert "prices checked up to" in window.status.prices.text()


def test_typing_in_a_prompt_updates_the_count_and_the_result(window, qtbot):
    c = window.controller
    window.prompts.list.setCurrentRow(0)
    name = c.scenario.prompts[0].name
    primary_tok = c.catalog.get(c.scenario.primary_model).tokenizer
    before = c.counts[(name, primary_tok)].tokens
    before_cost = c.result.projection.months[0].cost
    editor = window.prompts.editor
    editor.moveCursor(editor.textCursor().MoveOperation.End)
    with qtbot.waitSignal(c.result_ready, timeout=10_000):
        qtbot.keyClicks(editor, " Always answer in haiku form, with three lines of poetry.")
    assert c.counts[(name, primary_tok)].tokens > before
    assert c.result.projection.months[0].cost > before_cost
    assert f"{c.counts[(name, primary_tok)].tokens:,}" in window.prompts.counts.text()


def test_toggling_a_lever_changes_the_waterfall(window, qtbot):
    c = window.controller
    assert "batch" in [s.lever for s in c.result.waterfall.steps]
    with qtbot.waitSignal(c.result_ready, timeout=10_000):
        window.levers.boxes["batch"].setChecked(False)
    assert "batch" not in [s.lever for s in c.result.waterfall.steps]
    assert window.levers.boxes["batch"].saving.text().startswith("off")
    with qtbot.waitSignal(c.result_ready, timeout=10_000):
        window.levers.batch_share.box.setValue(50)  # the user's edit, made while the lever is off
        window.levers.boxes["batch"].setChecked(True)
    assert c.scenario.levers.batch.share == 0.5
    assert "batch" in [s.lever for s in c.result.waterfall.steps]


def test_a_bad_scenario_file_opens_a_dialog_and_keeps_the_last_good_state(window, dialogs, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("schema_version: 1\nprimary_model: gpt-5\nworkload: {requests_per_day: -3}\n")
    before, result = window.controller.scenario, window.controller.result
    assert window.actions.open_path(str(bad)) is False
    assert any("Cannot open" in text and "requests_per_day" in text for _kind, text in dialogs)
    assert window.controller.scenario is before and window.controller.result.scenario is result.scenario


def test_an_unknown_model_in_a_file_is_refused_with_a_dialog(window, dialogs, demo, tmp_path):
    path = tmp_path / "unknown.yaml"
    save_scenario(demo.with_(primary_model="no-such-model"), path)
    before = window.controller.scenario
    assert window.actions.open_path(str(path)) is False
    assert any("no-such-model" in text for _kind, text in dialogs)
    assert window.controller.scenario is before


def test_open_and_save_round_trip_and_remember_recent_files(window, qtbot, demo, tmp_path):
    path = tmp_path / "plan.yaml"
    save_scenario(demo.with_(name="Saved plan"), path)
    with qtbot.waitSignal(window.controller.result_ready, timeout=10_000):
        assert window.actions.open_path(str(path))
    assert window.controller.scenario.name == "Saved plan"
    assert window.settings.recent_files()[0] == str(path.resolve())
    window.controller.update(name="Renamed plan")
    assert window.controller.dirty and window.isWindowModified()
    assert window.actions.save()
    assert "Renamed plan" in Path(path).read_text() and not window.controller.dirty


def test_model_search_filters_the_table(window, qtbot):
    panel = window.models
    total = panel.proxy.rowCount()
    qtbot.keyClicks(panel.search, "claude opus")
    shown = [panel.proxy.index(r, 1).data() for r in range(panel.proxy.rowCount())]
    assert 0 < len(shown) < total and all("claude-opus" in s for s in shown)
    panel.search.clear()
    panel.provider.setCurrentIndex(panel.provider.findData("google"))
    providers = {panel.proxy.index(r, 7).data() for r in range(panel.proxy.rowCount())}
    assert providers == {"google"}


def test_comparison_checkbox_adds_a_comparison_projection(window, qtbot):
    panel, c = window.models, window.controller
    panel.search.setText("gpt-5-mini")
    row = next(r for r in range(panel.proxy.rowCount()) if panel.proxy.index(r, 1).data() == "gpt-5-mini")
    with qtbot.waitSignal(c.result_ready, timeout=10_000):
        panel.proxy.setData(panel.proxy.index(row, 0), Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
    assert "gpt-5-mini" in c.result.comparisons


def test_geometry_and_last_scenario_are_remembered(window, demo, tmp_path, qtbot):
    from gui.settings import AppSettings

    path = tmp_path / "kept.yaml"
    save_scenario(demo, path)
    window.actions.open_path(str(path))
    window.resize(1100, 700)
    window.save_state()
    settings = AppSettings()
    assert settings.last_scenario() == str(path.resolve())
    assert settings.geometry() is not None


def _action(window, keys: str):
    from PySide6.QtGui import QAction, QKeySequence

    wanted = QKeySequence(keys)
    return next(a for a in window.findChildren(QAction) if a.shortcut() == wanted)


def test_keyboard_shortcuts_for_the_common_actions(window, qtbot):
    from PySide6.QtGui import QKeySequence

    c = window.controller
    for keys in ("Ctrl+N", "Ctrl+O", "Ctrl+S", "Ctrl+Shift+S", "Ctrl+E", "Ctrl+Shift+P", "Ctrl+F", "F5"):
        assert _action(window, QKeySequence(keys).toString())
    count = len(c.scenario.prompts)
    _action(window, "Ctrl+Shift+P").trigger()
    assert len(c.scenario.prompts) == count + 1 and window.prompts.list.currentRow() == count
    with qtbot.waitSignal(c.result_ready, timeout=10_000):
        _action(window, "F5").trigger()
    _action(window, "Ctrl+2").trigger()
    assert window.charts.currentIndex() == 1
    c.undo()
    assert len(c.scenario.prompts) == count


def test_new_scenario_starts_clean_with_one_empty_prompt(window, qtbot):
    with qtbot.waitSignal(window.controller.scenario_replaced, timeout=5_000):
        _action(window, "Ctrl+N").trigger()
    s = window.controller.scenario
    assert len(s.prompts) == 1 and s.prompts[0].text == "" and not window.controller.dirty
    assert window.prompts.counts.text() != ""


def test_scenario_notes_are_edited_in_the_app_saved_and_undone(window, qtbot, monkeypatch, tmp_path):
    from PySide6.QtWidgets import QInputDialog

    from core.plan.scenario import load_scenario

    c = window.controller
    before = c.scenario.notes
    monkeypatch.setattr(QInputDialog, "getMultiLineText",
                        staticmethod(lambda *a, **k: ("Assumes 8% growth.\nPrices from the Nov card.", True)))
    menu_texts = [a.text() for m in window.menuBar().actions() for a in m.menu().actions()]
    assert "&Notes…" in menu_texts
    window.actions.edit_notes()
    assert c.scenario.notes == "Assumes 8% growth.\nPrices from the Nov card."
    path = tmp_path / "noted.yaml"
    assert window.actions._write(str(path))  # what Save As does once a path is chosen
    loaded, errors = load_scenario(path)
    assert not errors and loaded.notes == c.scenario.notes
    qtbot.wait(300)
    c.undo()
    assert c.scenario.notes == before
    monkeypatch.setattr(QInputDialog, "getMultiLineText", staticmethod(lambda *a, **k: ("x" * 100_001, True)))
    dialogs = []
    monkeypatch.setattr(window, "error_dialog", lambda title, text, details="": dialogs.append(text))
    window.actions.edit_notes()
    assert c.scenario.notes == before and dialogs and "100,000" in dialogs[0]
