"""Monthly cost stacked by token type (or by model): where each month's money goes."""
from __future__ import annotations

from decimal import Decimal

import pyqtgraph as pg

from gui.charts.base import ChartBase
from gui.charts.style import MoneyAxis, money, month_label, swatch

TOKEN_TYPE_TITLES = {
    "input": "input", "cached_input": "cached input (reads)", "cache_write_5m": "cache writes (5 min)",
    "cache_write_1h": "cache writes (1 h)", "output": "output", "reasoning": "reasoning",
    "training": "training (amortized)",
}
MODES = ("token_type", "model")
BAR_WIDTH = 0.72


class BreakdownChart(ChartBase):
    """Stacked bars per month, one BarGraphItem per token type (or model), updated with setOpts.

    Layers with no cost anywhere in the horizon are hidden and left out of the legend.
    """

    Y_LABEL = "Spend (USD / month)"
    X_LABEL = "Month"

    def __init__(self, parent=None) -> None:
        super().__init__(parent, left_axis=MoneyAxis("left"))

    def _build(self) -> None:
        self.layers: dict[str, pg.BarGraphItem] = {}
        self._mode = "token_type"
        self._result = None
        self._months = []
        self._shown: list[tuple[str, list[float], object]] = []
        from core.plan import TOKEN_TYPES  # the fixed stacking order, bottom first

        self._token_types = TOKEN_TYPES
        for key in TOKEN_TYPES:
            self._layer(f"token_type:{key}")

    def _layer(self, key: str) -> pg.BarGraphItem:
        item = self.layers.get(key)
        if item is None:
            item = pg.BarGraphItem(x=[], height=[], width=BAR_WIDTH)
            item.hide()
            self.layers[key] = item
            self.plot_item.addItem(item)
        return item

    # -- public
    @property
    def mode(self) -> str:
        return self._mode

    def set_mode(self, mode: str) -> None:
        """Stack by "token_type" (default) or by "model" (shows what routing/distillation moves)."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        self._mode = mode
        if self._has_data:
            self._update()

    def stacks(self) -> dict[str, list[float]]:
        """The shown layers (bottom first) and their per-month values, as drawn."""
        return {name: values for name, values, _ in self._shown}

    # -- drawing
    def _keys(self) -> list[tuple[str, str]]:
        months = self._result.projection.months
        if self._mode == "token_type":
            return [(t, TOKEN_TYPE_TITLES.get(t, t)) for t in self._token_types]
        order: dict[str, None] = {}
        for m in months:  # primary first, then routed/student models as they appear
            for mid in m.by_model:
                order.setdefault(mid, None)
        return [(mid, mid) for mid in order]

    def _data_key(self, r):
        # what the bars and hover text show (not the budget columns); the mode is drawn by set_mode
        return tuple((m.month, m.cost, m.by_token_type, m.by_model) for m in r.projection.months)

    def _update(self) -> None:
        c = self.colors
        months = self._result.projection.months
        self._months = [m.month for m in months]
        xs = list(range(len(months)))
        bottoms = [0.0] * len(months)
        shown: list[tuple[str, list[float], object]] = []
        legend = []
        used = set()
        for index, (key, title) in enumerate(self._keys()):
            values = [float((m.by_token_type if self._mode == "token_type" else m.by_model).get(key, Decimal(0)))
                      for m in months]
            layer = self._layer(f"{self._mode}:{key}")
            if not any(values):
                continue
            color = c.token_color(key, index) if self._mode == "token_type" else c.series_color(index)
            layer.setOpts(x=xs, y0=list(bottoms), height=values, width=BAR_WIDTH,
                          brush=pg.mkBrush(color), pen=pg.mkPen(c.background, width=0.6))
            layer.show()
            used.add(f"{self._mode}:{key}")
            bottoms = [b + v for b, v in zip(bottoms, values)]
            shown.append((title, values, color))
            legend.append((layer, title))
        for key, layer in self.layers.items():
            if key not in used:
                layer.setOpts(x=[], height=[], y0=[])
                layer.hide()
        self._shown = shown
        top = max(bottoms, default=0.0)
        last = max(len(xs) - 1, 0)
        self._set_view(-0.75, last + 0.6, 0.0, top * 1.06 if top > 0 else 1.0)
        self._set_x_categories(months=self._months)
        # Legend top row = top of the stack, as the eye reads it.
        self._legend_set(list(reversed(legend)))

    def _hover_html(self, x: float, y: float) -> str | None:
        i = int(round(x))
        if not self._months or not 0 <= i < len(self._months) or abs(x - i) > BAR_WIDTH / 2:
            return None
        row = self._result.projection.months[i]
        lines = [f"<b>{month_label(self._months[i])}</b>: {money(row.cost)}"]
        for title, values, color in reversed(self._shown):
            share = values[i] / float(row.cost) * 100 if row.cost else 0.0
            lines.append(f"{swatch(color, title)}: {money(values[i])} ({share:.0f}%)")
        return "<br>".join(lines)
