"""Projected monthly spend per model (with and without levers) against the budget, with the breach month."""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt

from gui.charts.base import ChartBase
from gui.charts.style import MoneyAxis, money, month_label, swatch


class SpendChart(ChartBase):
    """Lines over months: primary with levers, primary without levers (dashed), each comparison model.

    Items are created once; `show_result` only calls setData / setPos on them. A line per
    comparison model is created the first time that model appears and reused afterwards.
    """

    Y_LABEL = "Spend (USD / month)"
    X_LABEL = "Month"

    def __init__(self, parent=None) -> None:
        super().__init__(parent, left_axis=MoneyAxis("left"))

    def _build(self) -> None:
        self.primary_item = pg.PlotDataItem(symbol="o", symbolSize=6)
        self.baseline_item = pg.PlotDataItem(symbol=None)
        self.comparison_items: dict[str, pg.PlotDataItem] = {}
        self.budget_line = pg.InfiniteLine(angle=0, movable=False,
                                           label="", labelOpts={"position": 0.02, "anchors": [(0, 1), (0, 0)]})
        self.breach_line = pg.InfiniteLine(angle=90, movable=False,
                                           label="", labelOpts={"position": 0.55, "anchors": [(0, 0), (1, 0)]})
        for item in (self.baseline_item, self.primary_item):
            self.plot_item.addItem(item)
        self.plot_item.addItem(self.budget_line, ignoreBounds=True)
        self.plot_item.addItem(self.breach_line, ignoreBounds=True)
        self.budget_line.hide()
        self.breach_line.hide()
        # markers above every line (comparison lines are added later and would cover them)
        self.budget_line.setZValue(50)
        self.breach_line.setZValue(50)
        self._result = None
        self._months = []
        self._series: list[tuple[str, pg.PlotDataItem, list[float]]] = []

    # -- public
    @property
    def budget_value(self) -> float | None:
        return self.budget_line.value() if self.budget_line.isVisible() else None

    @property
    def breach_index(self) -> int | None:
        return int(round(self.breach_line.value())) if self.breach_line.isVisible() else None

    @property
    def breach_text(self) -> str:
        return self.breach_line.label.format if self.breach_line.isVisible() else ""

    def series(self) -> dict[str, pg.PlotDataItem]:
        """The lines currently shown, by legend name."""
        return {name: item for name, item, _ in self._series}

    # -- drawing
    def _line_pen(self, color, style=Qt.PenStyle.SolidLine, width=2.2):
        return pg.mkPen(color, width=width, style=style)

    def _update(self) -> None:
        r, c = self._result, self.colors
        proj = r.projection
        self._months = [m.month for m in proj.months]
        xs = list(range(len(self._months)))
        primary = r.scenario.primary_model
        series: list[tuple[str, pg.PlotDataItem, list[float]]] = []

        ys = [float(m.cost) for m in proj.months]
        self.primary_item.setData(xs, ys)
        self.primary_item.setPen(self._line_pen(c.series_color(0), width=2.8))
        self.primary_item.setSymbolBrush(c.series_color(0))
        self.primary_item.setSymbolPen(pg.mkPen(c.background, width=1))
        series.append((f"{primary} (with levers)", self.primary_item, ys))

        base_ok = r.baseline.ok and len(r.baseline.months) == len(xs)
        levers_on = any(s for s in r.waterfall.steps) if base_ok else False
        if base_ok and levers_on:
            bys = [float(m.cost) for m in r.baseline.months]
            self.baseline_item.setData(xs, bys)
            self.baseline_item.setPen(self._line_pen(c.series_color(0), Qt.PenStyle.DashLine, 1.8))
            self.baseline_item.show()
            series.append((f"{primary} (no levers)", self.baseline_item, bys))
        else:
            self.baseline_item.setData([], [])
            self.baseline_item.hide()

        seen = set()
        for i, (mid, comp) in enumerate(r.comparisons.items(), start=1):
            if not comp.ok or len(comp.months) != len(xs):
                continue  # a comparison that cannot be priced is reported in notes, not drawn at $0
            item = self.comparison_items.get(mid)
            if item is None:
                item = pg.PlotDataItem(symbol="o", symbolSize=4)
                self.comparison_items[mid] = item
                self.plot_item.addItem(item)
            cys = [float(m.cost) for m in comp.months]
            item.setData(xs, cys)
            color = c.series_color(i)
            item.setPen(self._line_pen(color, width=1.8))
            item.setSymbolBrush(color)
            item.setSymbolPen(pg.mkPen(color))
            item.show()
            seen.add(mid)
            series.append((f"{mid} (with levers)", item, cys))
        for mid, item in self.comparison_items.items():
            if mid not in seen:
                item.setData([], [])
                item.hide()
        self._series = series

        budget = r.scenario.workload.budget_per_month
        top = max((max(vals) for _, _, vals in series if vals), default=0.0)
        if budget is not None:
            b = float(budget)
            self.budget_line.setPos(b)
            self.budget_line.setPen(pg.mkPen(c.budget, width=1.6, style=Qt.PenStyle.DashDotLine))
            self.budget_line.show()  # first: a hidden label ignores setFormat
            self.budget_line.label.setFormat(f"budget {money(budget, cents=False)}/month")
            self._backed(self.budget_line.label, c.budget)
            top = max(top, b)
        else:
            self.budget_line.hide()
        last = max(len(xs) - 1, 0)

        breach = proj.first_breach
        if breach is not None:
            index = self._months.index(breach.month)
            self.breach_line.setPos(index)
            self.breach_line.setPen(pg.mkPen(c.warning, width=1.6, style=Qt.PenStyle.DotLine))
            self.breach_line.show()
            self.breach_line.label.setFormat(f"breach: {month_label(breach.month)}")
            self._backed(self.breach_line.label, c.warning)
            # Put the label on the side with room: left of the line when the breach is late.
            right_side = index < len(xs) * 0.6
            self.breach_line.label.anchors = [(0, 0), (0, 0)] if right_side else [(1, 0), (1, 0)]
            self.breach_line.label.updatePosition()
        else:
            self.breach_line.hide()

        self._set_view(-0.75, last + 0.5, 0.0, top * 1.1 if top > 0 else 1.0)
        self._set_x_categories(months=self._months)
        self._legend_set([(item, name) for name, item, _ in series])

    def _data_key(self, r):
        s = r.scenario
        return (s.primary_model, s.workload.budget_per_month, r.projection, r.baseline, r.comparisons,
                bool(r.waterfall.steps))

    def _hover_html(self, x: float, y: float) -> str | None:
        if not self._months:
            return None
        i = int(round(x))
        if not 0 <= i < len(self._months):
            return None
        rows = [f"<b>{month_label(self._months[i])}</b>"]
        for name, item, values in self._series:
            color = item.opts["pen"].color() if hasattr(item.opts.get("pen"), "color") else self.colors.foreground
            rows.append(f"{swatch(color, name)}: {money(values[i])}")
        row = self._result.projection.months[i]
        if row.budget is not None:
            state = "over budget by " + money(-row.headroom) if row.over_budget else "headroom " + money(row.headroom)
            rows.append(f"budget {money(row.budget)} — {state}")
        return "<br>".join(rows)
