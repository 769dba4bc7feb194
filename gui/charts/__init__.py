"""The chart tabs (Spend | Breakdown | Savings | Self-host | Sensitivity) fed by one PlanResult."""
from __future__ import annotations

from typing import Any

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

    `show_result` updates the plot items of every chart in place (cheap: only setData; hidden
    tabs are not painted until shown). The break-even curve is separate because it comes from
    the self-hosting engine, not from PlanResult.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
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

    def show_result(self, result) -> None:
        """Draw a PlanResult (None: every chart shows "No data")."""
        self.result = result
        for chart in (self.spend, self.breakdown, self.waterfall, self.sensitivity):
            chart.show_result(result)

    def show_error(self, text: str) -> None:
        """A recompute failed outright: every result chart says why."""
        self.result = None
        for chart in (self.spend, self.breakdown, self.waterfall, self.sensitivity):
            chart.show_message(f"No data: {text}")

    def show_breakeven(self, curve: Any) -> None:
        """A core.selfhost.breakeven.BreakEven, a BreakEvenCurve, an error string, or None."""
        self.breakeven.show_breakeven(curve)

    def current_chart(self) -> QWidget:
        return self.currentWidget()

    def chart_widgets(self) -> dict[str, QWidget]:
        """Tab name -> chart widget, in tab order (for PNG export and the HTML report)."""
        return dict(self._charts)


__all__ = ["ChartTabs", "TAB_NAMES", "SpendChart", "BreakdownChart", "WaterfallChart", "WaterfallBar",
           "BreakEvenChart", "BreakEvenCurve", "SensitivityChart", "ChartBase", "ChartColors",
           "chart_colors", "light_palette", "as_curve", "curve_from_break_even", "money", "money_short"]
