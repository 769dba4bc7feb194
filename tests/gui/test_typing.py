"""Typing into the workload and lever boxes as a person does: the plan gets exactly the digits typed."""
from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Qt


def _retype(qtbot, box, text: str) -> None:
    box.setFocus()
    line = box.lineEdit()
    line.selectAll()
    qtbot.keyClick(line, Qt.Key.Key_Backspace)
    qtbot.keyClicks(line, text)


def test_typing_requests_per_day_digit_by_digit_gives_the_number_typed(window, qtbot):
    panel, controller = window.workload, window.controller
    _retype(qtbot, panel.requests, "12345")
    assert controller.scenario.workload.requests_per_day == Decimal(12345)
    assert panel.requests.lineEdit().text().replace(",", "") == "12345"
    _retype(qtbot, panel.requests, "1234567")  # past two thousands separators
    assert controller.scenario.workload.requests_per_day == Decimal(1234567)


def test_typing_a_budget_with_cents(window, qtbot):
    panel, controller = window.workload, window.controller
    _retype(qtbot, panel.cap, "2500")
    qtbot.keyClick(panel.cap.lineEdit(), Qt.Key.Key_Return)
    assert controller.scenario.workload.budget_per_month == Decimal(2500)


def test_undo_after_typing_restores_the_box(window, qtbot):
    panel, controller = window.workload, window.controller
    before = controller.scenario.workload.requests_per_day
    _retype(qtbot, panel.requests, "777")
    while controller.can_undo() and controller.scenario.workload.requests_per_day != before:
        controller.undo()
    assert controller.scenario.workload.requests_per_day == before
    assert Decimal(str(panel.requests.value())) == before


def test_add_prompt_starts_with_no_traffic_and_changes_no_total(window, qtbot):
    """Edit ▸ Add prompt used to take share 1.0 (half the traffic) and halve the others, flipping the verdict."""
    controller = window.controller
    before = controller.result
    window.prompts.add_prompt()
    new = controller.scenario.prompts[-1]
    assert new.share == 0 and new.requests_per_day is None
    qtbot.waitUntil(lambda: controller.result is not before and controller.result.projection.ok, timeout=20_000)
    after = controller.result
    assert after.projection.total == before.projection.total
    assert after.projection.first_breach == before.projection.first_breach
    label = window.prompts.list.item(len(controller.scenario.prompts) - 1).text()
    assert "0%" in label


def _wheel(widget, notches: int = -3) -> None:
    from PySide6.QtCore import QPoint, QPointF
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    centre = QPointF(widget.width() / 2, widget.height() / 2)
    event = QWheelEvent(centre, widget.mapToGlobal(centre), QPoint(0, 0), QPoint(0, 120 * notches),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase,
                        False)
    QApplication.sendEvent(widget, event)


def test_scrolling_the_levers_panel_over_a_combo_box_scrolls_and_changes_nothing(window, qtbot):
    from PySide6.QtWidgets import QAbstractSpinBox, QComboBox, QSlider

    panel, controller = window.levers, window.controller
    panel.resize(panel.width(), 200)  # short enough to scroll
    before = controller.scenario
    bar = panel.verticalScrollBar()
    bar.setValue(0)
    guarded = [w for w in panel.widget().findChildren(QComboBox) + panel.widget().findChildren(QAbstractSpinBox)
               + panel.widget().findChildren(QSlider) if w.isEnabled()]
    assert guarded
    window.setFocus()
    for widget in guarded:
        _wheel(widget)
    assert controller.scenario == before  # no lever, model or share moved
    assert bar.value() > 0  # the wheel scrolled the panel instead
    combo = next(w for w in guarded if isinstance(w, QComboBox) and w.count() > 1)
    combo.setFocus()
    start = combo.currentIndex()
    _wheel(combo, notches=-1)
    assert combo.currentIndex() != start  # focused, it takes the wheel as usual
