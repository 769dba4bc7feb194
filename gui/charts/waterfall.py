"""Savings waterfall: baseline bar, one floating bar per enabled lever, optimized bar, with $ labels."""
from __future__ import annotations

from dataclasses import dataclass

import pyqtgraph as pg
from PySide6.QtCore import Qt

from gui.charts.base import ChartBase
from gui.charts.style import MoneyAxis, money, money_short, swatch

# Tick labels must fit under a bar; the full title is in the hover text and the report.
SHORT_TITLES = {"caching": "Caching", "batch": "Batch API", "routing": "Routing", "distillation": "Distillation",
                "output_trim": "Output trim", "selfhost": "Self-host"}
BAR_WIDTH = 0.62


@dataclass(frozen=True, slots=True)
class WaterfallBar:
    """One drawn bar: `kind` is total | saving | cost (a lever that costs more than it saves)."""

    label: str
    bottom: float
    top: float
    kind: str
    amount: float  # the bar's signed meaning: a total, or a saving (negative: costs more)


class WaterfallChart(ChartBase):
    """One BarGraphItem for every bar (per-bar brushes), a connector item and a pool of labels."""

    Y_LABEL = "Spend over the horizon (USD)"
    X_LABEL = ""

    def __init__(self, parent=None) -> None:
        super().__init__(parent, left_axis=MoneyAxis("left"))

    def _build(self) -> None:
        self.bars_item = pg.BarGraphItem(x=[], height=[], width=BAR_WIDTH)
        self.connector_item = pg.PlotDataItem(connect="pairs")
        for item in (self.connector_item, self.bars_item):
            self.plot_item.addItem(item)
        self.legend.hide()
        self._category_axis("bottom")
        self._bars: list[WaterfallBar] = []
        self._titles: list[str] = []
        self._result = None

    # -- public
    def _problem(self, result) -> str | None:
        # the waterfall only needs the baseline: it explains a plan even when levers break it
        if result.waterfall.errors or not result.baseline.ok:
            return "; ".join(result.waterfall.errors or result.baseline.errors) or "the baseline cannot be priced"
        return None

    def bars(self) -> list[WaterfallBar]:
        """The bars as drawn (for tests and the report)."""
        return list(self._bars)

    # -- drawing
    def _compute(self) -> list[WaterfallBar]:
        w = self._result.waterfall
        bars = [WaterfallBar("Baseline", 0.0, float(w.baseline), "total", float(w.baseline))]
        self._titles = ["Baseline (no levers)"]
        level = float(w.baseline)
        for step in w.steps:
            after = float(step.total_after)
            kind = "saving" if step.saving >= 0 else "cost"
            bars.append(WaterfallBar(SHORT_TITLES.get(step.lever, step.title), min(level, after),
                                     max(level, after), kind, float(step.saving)))
            self._titles.append(step.title)
            level = after
        bars.append(WaterfallBar("Optimized", 0.0, float(w.optimized), "total", float(w.optimized)))
        self._titles.append("Optimized (all enabled levers)")
        return bars

    def _data_key(self, r):
        return r.waterfall

    def _update(self) -> None:
        c = self.colors
        bars = self._compute()
        self._bars = bars
        brushes = []
        for bar in bars:
            color = {"total": c.neutral, "saving": c.good, "cost": c.warning}[bar.kind]
            brushes.append(pg.mkBrush(color))
        xs = list(range(len(bars)))
        self.bars_item.setOpts(x=xs, y0=[b.bottom for b in bars], height=[b.top - b.bottom for b in bars],
                               width=BAR_WIDTH, brushes=brushes, pen=pg.mkPen(c.background, width=0.8))
        # Connectors: from each bar's resulting level to the next bar, drawn as segment pairs.
        cx, cy = [], []
        level = bars[0].top
        for i, bar in enumerate(bars[1:], start=1):
            cx += [i - 1 + BAR_WIDTH / 2, i - BAR_WIDTH / 2]
            cy += [level, level]
            level = bar.top if bar.kind == "total" else (bar.bottom if bar.kind == "saving" else bar.top)
        self.connector_item.setData(cx, cy)
        self.connector_item.setPen(pg.mkPen(c.muted, width=1, style=Qt.PenStyle.DashLine))
        baseline = bars[0].amount
        for i, bar in enumerate(bars):
            label = self._pooled_label(i, (0.5, 1))
            if bar.kind == "total":
                text = money_short(bar.amount)
                if i == len(bars) - 1 and baseline > 0 and len(bars) > 2:
                    pct = (baseline - bar.amount) / baseline * 100
                    text += f"\n{'−' if pct >= 0 else '+'}{abs(pct):.0f}%"  # two short lines fit over a bar
                color = c.foreground
            elif bar.kind == "saving":
                text, color = "−" + money_short(bar.amount), c.good
            else:
                text, color = "+" + money_short(-bar.amount), c.warning
            label.setText(text)
            label.setColor(color)
            label.setPos(i, bar.top)
            label.show()
        for label in self.labels[len(bars):]:
            label.hide()
        top = max((b.top for b in bars), default=0.0)
        self._set_view(-0.6, len(bars) - 0.4, 0.0, top * 1.12 if top > 0 else 1.0)
        self._set_x_categories([b.label for b in bars])

    def _hover_html(self, x: float, y: float) -> str | None:
        i = int(round(x))
        if not 0 <= i < len(self._bars) or abs(x - i) > BAR_WIDTH / 2:
            return None
        bar, title = self._bars[i], self._titles[i]
        baseline = self._bars[0].amount
        c = self.colors
        if bar.kind == "total":
            return f"{swatch(c.neutral, title)}<br>{money(bar.amount)} over the horizon"
        pct = bar.amount / baseline * 100 if baseline else 0.0
        if bar.kind == "saving":
            return (f"{swatch(c.good, title)}<br>saves {money(bar.amount)} ({pct:.1f}% of baseline)"
                    f"<br>total after: {money(bar.bottom)}")
        return (f"{swatch(c.warning, title)}<br>costs {money(-bar.amount)} more than it saves"
                f"<br>total after: {money(bar.top)}")
