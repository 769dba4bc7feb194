"""Tornado chart: month-N spend with each input at −20% and +20%, largest impact on top."""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt

from gui.charts.base import ChartBase
from gui.charts.style import MoneyAxis, html_escape, money, money_short, month_label, swatch

BAR_HEIGHT = 0.62


class SensitivityChart(ChartBase):
    """Two horizontal BarGraphItems (−20%, +20%) around a base line, updated with setOpts."""

    X_LABEL = "Spend in the last month (USD / month)"
    Y_LABEL = ""

    def __init__(self, parent=None) -> None:
        super().__init__(parent, bottom_axis=MoneyAxis("bottom"))

    def _build(self) -> None:
        self.low_item = pg.BarGraphItem(x0=[], y=[], width=[], height=BAR_HEIGHT)
        self.high_item = pg.BarGraphItem(x0=[], y=[], width=[], height=BAR_HEIGHT)
        self.base_line = pg.InfiniteLine(angle=90, movable=False, label="",
                                         labelOpts={"position": 0.99, "anchors": [(0, 0), (0, 0)]})
        for item in (self.low_item, self.high_item):
            self.plot_item.addItem(item)
        self.plot_item.addItem(self.base_line, ignoreBounds=True)
        self.plot_item.showGrid(x=True, y=False)
        self._category_axis("left")
        # the smallest bars sit at the bottom, so the legend covers nothing there
        self.legend.anchor(itemPos=(1, 1), parentPos=(1, 1), offset=(-8, -8))
        self._bars = ()
        self._result = None

    # -- public
    def _problem(self, result) -> str | None:
        problem = super()._problem(result)
        if problem is None and not result.sensitivity:
            return "sensitivity was not computed for this result"
        return problem

    def rows(self) -> list[tuple[str, float, float, float]]:
        """(input, low, base, high) from top to bottom, as drawn."""
        return [(b.input, float(b.low_cost), float(b.base_cost), float(b.high_cost)) for b in self._bars]

    def _data_key(self, r):
        return r.sensitivity, r.projection.months[-1].month

    # -- drawing
    def _update(self) -> None:
        c = self.colors
        # Sort here as well as in core: the chart's promise is "largest impact on top".
        bars = tuple(sorted(self._result.sensitivity, key=lambda b: b.impact, reverse=True))
        self._bars = bars
        n = len(bars)
        ys = [n - 1 - i for i in range(n)]
        base = float(bars[0].base_cost)
        lows = [float(b.low_cost) for b in bars]
        highs = [float(b.high_cost) for b in bars]
        self.low_item.setOpts(x0=[min(base, v) for v in lows], width=[abs(v - base) for v in lows], y=ys,
                              height=BAR_HEIGHT, brush=pg.mkBrush(c.series_color(0)), pen=pg.mkPen(c.background))
        self.high_item.setOpts(x0=[min(base, v) for v in highs], width=[abs(v - base) for v in highs], y=ys,
                               height=BAR_HEIGHT, brush=pg.mkBrush(c.series_color(1)), pen=pg.mkPen(c.background))
        self.base_line.setPos(base)
        self.base_line.setPen(pg.mkPen(c.foreground, width=1.2, style=Qt.PenStyle.DashLine))
        self.base_line.label.setFormat(f"base {money_short(base)}")
        self._backed(self.base_line.label, c.foreground)
        # A $ label at the outer end of each bar; the pool grows to the largest number of inputs.
        span = max([abs(v - base) for v in lows + highs] + [base * 0.01, 1e-9])
        pad = span * 0.03
        index = 0
        for y, low, high in zip(ys, lows, highs):
            for value, other in ((low, high), (high, low)):
                label = self._pooled_label(index, (0, 0.5))
                index += 1
                right = value >= base
                label.setAnchor((0, 0.5) if right else (1, 0.5))
                label.setPos(value + (pad if right else -pad), y)
                label.setText(money_short(value))
                # Both ends on one side (e.g. fewer prompt tokens lose caching): the shorter bar's
                # label sits on the longer bar, so it takes the background colour to stay readable.
                covered = (other >= base) == right and abs(other - base) > abs(value - base) + pad
                label.setColor(c.background if covered else c.foreground)
                label.show()
        for label in self.labels[index:]:
            label.hide()
        lo, hi = min(lows + highs + [base]), max(lows + highs + [base])
        margin = (hi - lo) * 0.22 or base * 0.1 or 1.0
        # a spare row on top holds the base label
        self._set_view(lo - margin, hi + margin, -0.6, n + 0.1)
        self.plot_item.getAxis("left").setTicks([[(float(y), b.input) for y, b in zip(ys, bars)], []])
        self._legend_set([(self.low_item, "input −20%"), (self.high_item, "input +20%")])
        last = self._result.projection.months[-1].month
        self.plot_item.setLabel("bottom", f"Spend in {month_label(last)}, the last month (USD / month)",
                                color=c.foreground.name())

    def _hover_html(self, x: float, y: float) -> str | None:
        n = len(self._bars)
        i = n - 1 - int(round(y))
        if not 0 <= i < n or abs(y - round(y)) > BAR_HEIGHT / 2:
            return None
        b, c = self._bars[i], self.colors
        return (f"<b>{html_escape(b.input)}</b><br>{swatch(c.series_color(0), '−20%')}: {money(b.low_cost)}"
                f"<br>base: {money(b.base_cost)}<br>{swatch(c.series_color(1), '+20%')}: {money(b.high_cost)}"
                f"<br>swing: {money(b.impact)}")
