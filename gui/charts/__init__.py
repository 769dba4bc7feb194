"""The chart tabs (Spend | Breakdown | Savings | Self-host | Sensitivity) fed by one PlanResult."""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QTabWidget, QWidget

from gui.charts.base import ChartBase
from gui.charts.style import ChartColors, chart_colors, light_palette, money, money_short
from gui.charts.breakdown import BreakdownChart
from gui.charts.breakeven import BreakEvenChart, BreakEvenCurve, as_curve, curve_from_break_even
from gui.charts.sensitivity import SensitivityChart
from gui.charts.spend import SpendChart
from gui.charts.waterfall import WaterfallBar, WaterfallChart

TAB_NAMES = ("Spend", "Breakdown", "Savings", "Self-host", "Sensitivity")


class ChartTabs(QTabWidget):
    """Every chart of a plan, one per tab.

    `show_result` updates the plot items of every chart in place (only setData; a chart whose
    drawn data did not change is left alone). The break-even curve is separate because it comes
    from the self-hosting engine, not from PlanResult.

    With `lazy=True` (the main window) nothing is drawn inside the call: the visible chart is
    drawn on the next turn of the event loop and a hidden one when its tab is shown or the charts
    are exported, so publishing a result never holds the UI thread for more than one chart.
    """

    RESULT_CHARTS = ("Spend", "Breakdown", "Savings", "Sensitivity")

    def __init__(self, parent: QWidget | None = None, *, lazy: bool = False) -> None:
        super().__init__(parent)
        self.setDocumentMode(True)
        self.spend = SpendChart()
        self.breakdown = BreakdownChart()
        self.waterfall = WaterfallChart()
        self.breakeven = BreakEvenChart()
        self.sensitivity = SensitivityChart()
        self._charts: dict[str, ChartBase] = dict(zip(TAB_NAMES, (
            self.spend, self.breakdown, self.waterfall, self.breakeven, self.sensitivity)))
        for name, chart in self._charts.items():
            self.addTab(chart, name)
        self.setTabToolTip(0, "Projected monthly spend per model against the budget")
        self.setTabToolTip(1, "Each month's cost split by token type")
        self.setTabToolTip(2, "What each enabled lever saves over the horizon")
        self.setTabToolTip(3, "API vs self-hosted monthly cost against token volume")
        self.setTabToolTip(4, "How last-month spend moves with each input at −20% / +20%")
        self.result = None
        self.lazy = lazy
        self._pending: dict[ChartBase, tuple[str, Any]] = {}  # chart -> (method, argument) still to draw
        self._draw_visible = QTimer(self, singleShot=True, interval=0)
        self._draw_visible.timeout.connect(lambda: self._flush(self.currentWidget()))
        self.currentChanged.connect(lambda _i: self._flush(self.currentWidget()))  # before its first paint

    def show_result(self, result) -> None:
        """Draw a PlanResult (None: every chart shows "No data")."""
        self.result = result
        for name in self.RESULT_CHARTS:
            self._show(self._charts[name], "show_result", result)

    def show_error(self, text: str) -> None:
        """A recompute failed outright: every result chart says why."""
        self.result = None
        for name in self.RESULT_CHARTS:
            self._show(self._charts[name], "show_message", f"No data: {text}")

    def show_breakeven(self, curve: Any) -> None:
        """A core.selfhost.breakeven.BreakEven, a BreakEvenCurve, an error string, or None."""
        self._show(self.breakeven, "show_breakeven", curve)

    def _show(self, chart: ChartBase, method: str, arg: Any) -> None:
        if not self.lazy:
            getattr(chart, method)(arg)
            return
        self._pending[chart] = (method, arg)  # a newer result replaces one never drawn
        if chart is self.currentWidget():
            self._draw_visible.start()

    def _flush(self, chart: QWidget | None = None) -> None:
        """Draw what is pending for `chart` (None: for every chart)."""
        charts = list(self._pending) if chart is None else [chart]
        for c in charts:
            todo = self._pending.pop(c, None)
            if todo is not None:
                getattr(c, todo[0])(todo[1])

    @property
    def pending(self) -> list[str]:
        """Names of the charts holding data not drawn yet (lazy mode)."""
        return [name for name, chart in self._charts.items() if chart in self._pending]

    def current_chart(self) -> QWidget:
        self._flush(self.currentWidget())
        return self.currentWidget()

    def chart_widgets(self) -> dict[str, QWidget]:
        """Tab name -> chart widget, in tab order (for PNG export and the HTML report), all drawn."""
        self._flush()
        return dict(self._charts)


__all__ = ["ChartTabs", "TAB_NAMES", "SpendChart", "BreakdownChart", "WaterfallChart", "WaterfallBar",
           "BreakEvenChart", "BreakEvenCurve", "SensitivityChart", "ChartBase", "ChartColors",
           "chart_colors", "light_palette", "as_curve", "curve_from_break_even", "money", "money_short"]
