"""Small input widgets the panels share: bounded spin boxes and a percent slider with its spin box."""
from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (QAbstractScrollArea, QAbstractSpinBox, QComboBox, QDoubleSpinBox, QHBoxLayout,
                               QSlider, QSpinBox, QWidget)


MIN_SPIN_WIDTH = 72


def spin(minimum: float, maximum: float, *, decimals: int = 0, suffix: str = "", prefix: str = "",
         step: float = 1, special: str = "", tip: str = "") -> QDoubleSpinBox:
    """A QDoubleSpinBox whose range is the engine's valid range: bad values cannot be typed."""
    box = QDoubleSpinBox()
    box.setRange(minimum, maximum)
    box.setDecimals(decimals)
    box.setSingleStep(step)
    box.setSuffix(suffix)
    box.setPrefix(prefix)
    box.setGroupSeparatorShown(True)
    box.setAccelerated(True)
    box.setCorrectionMode(QAbstractSpinBox.CorrectionMode.CorrectToNearestValue)
    # Qt sizes a spin box for its largest value ("$1,000,000,000,000 /month"); let narrow
    # columns shrink it to fit realistic values instead of clipping the whole panel.
    box.setMinimumWidth(MIN_SPIN_WIDTH)
    if special:
        box.setSpecialValueText(special)  # shown at the minimum, e.g. "auto"
    if tip:
        box.setToolTip(tip)
    return box


def int_spin(minimum: int, maximum: int, *, suffix: str = "", step: int = 1, special: str = "",
             tip: str = "") -> QSpinBox:
    box = QSpinBox()
    box.setRange(minimum, maximum)
    box.setSuffix(suffix)
    box.setSingleStep(step)
    box.setGroupSeparatorShown(True)
    box.setAccelerated(True)
    box.setCorrectionMode(QAbstractSpinBox.CorrectionMode.CorrectToNearestValue)
    box.setMinimumWidth(MIN_SPIN_WIDTH)
    if special:
        box.setSpecialValueText(special)
    if tip:
        box.setToolTip(tip)
    return box


def set_quiet(widget: QWidget, value) -> None:
    """Write a model value back into a widget without echoing it to the controller.

    A widget that already shows the value is left alone: rewriting a spin box the user is typing
    in reformats its text ("1234" becomes "1,234") and moves the caret, so the next digit lands in
    the wrong place (typing 12345 gave 12,354).
    """
    with QSignalBlocker(widget):
        if isinstance(widget, QSpinBox):
            if widget.value() != int(value):
                widget.setValue(int(value))
        elif isinstance(widget, QDoubleSpinBox):
            target = round(float(value), widget.decimals())
            if round(widget.value(), widget.decimals()) != target:
                widget.setValue(float(value))
        elif isinstance(widget, QSlider):
            if widget.value() != int(value):
                widget.setValue(int(value))
        elif isinstance(widget, PercentSlider):
            if abs(widget.value() - float(value)) > 1e-9:
                widget.setValue(value)
        elif widget.isChecked() != bool(value):
            widget.setChecked(bool(value))


class PercentSlider(QWidget):
    """0–100 % as a slider (fast, coarse) beside a spin box (exact); value() is a fraction 0–1."""

    valueChanged = Signal(float)

    def __init__(self, tip: str = "", decimals: int = 0, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 100)
        self.box = spin(0, 100, decimals=decimals, suffix=" %")
        self.box.setMinimumWidth(64)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.box)
        if tip:
            self.setToolTip(tip)
        self.slider.valueChanged.connect(self._from_slider)
        self.box.valueChanged.connect(self._from_box)

    def value(self) -> float:
        return self.box.value() / 100

    def setValue(self, fraction: float | Decimal) -> None:  # noqa: N802 (Qt naming)
        pct = float(fraction) * 100
        with QSignalBlocker(self.box), QSignalBlocker(self.slider):
            self.box.setValue(pct)
            self.slider.setValue(round(pct))

    def _from_slider(self, pct: int) -> None:
        with QSignalBlocker(self.box):
            self.box.setValue(pct)
        self.valueChanged.emit(pct / 100)

    def _from_box(self, pct: float) -> None:
        with QSignalBlocker(self.slider):
            self.slider.setValue(round(pct))
        self.valueChanged.emit(pct / 100)


class WheelOnlyWhenFocused(QObject):
    """Spin boxes, combo boxes and sliders inside a scroll area take the wheel only when focused.

    Scrolling a panel over them otherwise edited the plan with no sign (the routing model went
    through eight models in one scroll); unfocused, the wheel scrolls the panel, the usual Qt practice.
    """

    KINDS = (QAbstractSpinBox, QComboBox, QSlider)

    def __init__(self, area: QAbstractScrollArea) -> None:
        super().__init__(area)
        self.area = area

    def guard(self, root: QWidget) -> None:
        for widget in root.findChildren(QWidget):
            if isinstance(widget, self.KINDS):
                widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # the wheel no longer focuses them
                widget.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.Wheel and isinstance(obj, QWidget) and not obj.hasFocus():
            QCoreApplication.sendEvent(self.area.verticalScrollBar(), event)
            return True
        return False

