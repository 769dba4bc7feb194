"""API vs self-hosted monthly cost against monthly token volume (log x), with the break-even point."""
from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Sequence

import pyqtgraph as pg
from PySide6.QtCore import Qt

from gui.charts.base import ChartBase
from gui.charts.style import LogMoneyAxis, VolumeAxis, html_escape, money, swatch, tokens_short

CURVE_POINTS = 160
MAX_STEP_EDGES = 400  # exact replica steps are drawn when there are at most this many in range


@dataclass(frozen=True)
class BreakEvenCurve:
    """What the chart draws: both monthly costs at each volume, plus the points worth marking.

    Volumes are tokens per month (input + output, in the workload's mix); costs are USD per month.
    """

    volumes: tuple[float, ...]
    api_costs: tuple[Decimal | float, ...]
    selfhost_costs: tuple[Decimal | float, ...]
    crossing_volume: float | None = None
    current_volume: float | None = None
    cheaper_above_volume: float | None = None  # self-hosting stays cheaper at every volume above
    api_label: str = "API"
    selfhost_label: str = "Self-host"
    note: str = ""


def _volume_grid(low: float, high: float, step_edges: Sequence[float] = ()) -> list[int]:
    low, high = max(low, 1.0), max(high, low * 10)
    a, b = math.log10(low), math.log10(high)
    grid = {int(round(10 ** (a + (b - a) * i / (CURVE_POINTS - 1)))) for i in range(CURVE_POINTS)}
    for edge in step_edges:  # both sides of every replica step, so steps are drawn vertical
        if low <= edge <= high:
            grid.update((int(edge), int(edge) + 1))
    return sorted(v for v in grid if v >= 1)


def curve_from_break_even(be: Any, *, api_label: str = "API", selfhost_label: str = "Self-host",
                          decades: float = 1.5) -> BreakEvenCurve:
    """Sample a core.selfhost.breakeven.BreakEven over a log range around today's volume and the crossing."""
    current = be.input_tokens_per_month + be.output_tokens_per_month
    marks = [v for v in (current, be.crossing_tokens_per_month, be.cheaper_above_tokens_per_month) if v]
    low = min(marks) / 10 ** decades
    high = max(marks) * 10 ** decades
    capacity = float(be.selfhost.replica_tokens_per_month)
    edges: list[float] = []
    if capacity > 0 and high / capacity <= MAX_STEP_EDGES:
        edges = [k * capacity for k in range(1, int(high / capacity) + 1)]
    points = be.curve(_volume_grid(low, high, edges))
    return BreakEvenCurve(
        volumes=tuple(float(p.tokens_per_month) for p in points),
        api_costs=tuple(p.api_usd for p in points),
        selfhost_costs=tuple(p.selfhost_usd for p in points),
        crossing_volume=None if be.crossing_tokens_per_month is None else float(be.crossing_tokens_per_month),
        current_volume=float(current),
        cheaper_above_volume=(None if be.cheaper_above_tokens_per_month is None
                              else float(be.cheaper_above_tokens_per_month)),
        api_label=api_label, selfhost_label=selfhost_label,
    )


def _is_break_even(value: Any) -> bool:
    return hasattr(value, "curve") and hasattr(value, "crossing_tokens_per_month")


def as_curve(value: Any) -> BreakEvenCurve:
    """Accept a BreakEvenCurve, a core.selfhost.breakeven.BreakEven, or the controller's
    (SelfHostEstimate, BreakEven) pair, whose estimate names the self-hosted line."""
    if isinstance(value, BreakEvenCurve):
        return value
    if _is_break_even(value):
        return curve_from_break_even(value)
    if isinstance(value, tuple) and len(value) == 2 and _is_break_even(value[1]):
        est, be = value
        name = getattr(est, "model_name", "")
        label = (f"Self-host: {name} on {est.n_gpus}× {est.accelerator_name} per replica"
                 if name and hasattr(est, "n_gpus") else "Self-host")
        return curve_from_break_even(be, api_label="API (with levers)", selfhost_label=label)
    raise TypeError(f"cannot draw a break-even curve from {type(value).__name__}")


def _log(value: float) -> float:
    # costs and volumes span decades; a cent is the floor so a $0 point stays drawable
    return math.log10(max(float(value), 0.01))


class BreakEvenChart(ChartBase):
    """Two lines on log–log axes (the API line is straight, self-hosting steps up a replica at a
    time), a marker at the crossing and one at today's volume."""

    Y_LABEL = "Cost (USD / month, log scale)"
    X_LABEL = "Token volume (tokens / month, log scale)"

    def __init__(self, parent=None) -> None:
        super().__init__(parent, left_axis=LogMoneyAxis("left"), bottom_axis=VolumeAxis("bottom"))
        # Bottom-right is the empty corner of a log-log cost chart; top-left holds the labels.
        self.legend.setOffset((-8, -6))
        self.show_breakeven(None)

    def _build(self) -> None:
        self.api_item = pg.PlotDataItem()
        self.selfhost_item = pg.PlotDataItem()
        self.crossing_point = pg.ScatterPlotItem(size=11, symbol="o")
        self.current_point = pg.ScatterPlotItem(size=10, symbol="d")
        self.crossing_line = pg.InfiniteLine(angle=90, movable=False, label="",
                                             labelOpts={"position": 0.93, "anchors": [(0, 0), (0, 0)]})
        self.current_line = pg.InfiniteLine(angle=90, movable=False, label="",
                                            labelOpts={"position": 0.80, "anchors": [(0, 0), (0, 0)]})
        for item in (self.api_item, self.selfhost_item, self.crossing_point, self.current_point):
            self.plot_item.addItem(item)
        self.plot_item.addItem(self.crossing_line, ignoreBounds=True)
        self.plot_item.addItem(self.current_line, ignoreBounds=True)
        self.plot_item.showGrid(x=True, y=True)
        self._curve: BreakEvenCurve | None = None
        self._xs: list[float] = []

    # -- public
    def show_breakeven(self, curve: Any) -> None:
        """Draw a BreakEvenCurve, a core BreakEven or an (estimate, BreakEven) pair.

        None (lever off) or an error string shows a message instead.
        """
        self._replay = ("show_breakeven", curve)
        if curve is None:
            self._message("No data: switch on the self-hosting lever to compare an open model "
                              "on rented GPUs with the API")
            return
        if isinstance(curve, str):
            self._message("No data: " + curve)
            return
        curve = as_curve(curve)
        if not curve.volumes:
            self._message("No data: the break-even curve is empty")
            return
        self._curve = curve
        self._update()
        self._show_plot()

    def show_result(self, result) -> None:
        """PlanResult has no self-hosting part yet: the curve arrives through show_breakeven."""

    @property
    def crossing_x(self) -> float | None:
        """log10 of the crossing volume as drawn, or None when there is none."""
        return self.crossing_line.value() if self.crossing_line.isVisible() else None

    # -- drawing
    def _update(self) -> None:
        c, k = self.colors, self._curve
        xs = [_log(max(v, 1.0)) for v in k.volumes]
        self._xs = xs
        api = [_log(v) for v in k.api_costs]
        own = [_log(v) for v in k.selfhost_costs]
        self.api_item.setData(xs, api)
        self.api_item.setPen(pg.mkPen(c.series_color(0), width=2.4))
        self.selfhost_item.setData(xs, own)
        self.selfhost_item.setPen(pg.mkPen(c.series_color(1), width=2.4))
        low, top = min(api + own), max(api + own)
        span = max(top - low, 1.0)
        # room on the right for the last tick label, and above the lines for the marker labels
        self._set_view(xs[0] - 0.08, xs[-1] + 0.15, low - span * 0.05, top + span * 0.18, floor_zero=False)
        self._mark(self.crossing_line, self.crossing_point, k.crossing_volume, c.good,
                   lambda v: f"break-even: {tokens_short(v)} tokens/month")
        self._mark(self.current_line, self.current_point, k.current_volume, c.foreground,
                   lambda v: f"this plan: {tokens_short(v)} tokens/month")
        self._legend_set([(self.api_item, k.api_label), (self.selfhost_item, k.selfhost_label)])

    def _mark(self, line: pg.InfiniteLine, point: pg.ScatterPlotItem, volume: float | None, color,
              text) -> None:
        if volume is None or volume <= 0:
            line.hide()
            point.setData([], [])
            return
        x = _log(volume)
        line.setPos(x)
        line.setPen(pg.mkPen(color, width=1.3, style=Qt.PenStyle.DashLine))
        line.show()  # first: a hidden label ignores setFormat
        line.label.setFormat(text(volume))
        self._backed(line.label, color)
        y = self._cost_at(x, self._curve.selfhost_costs) if line is self.crossing_line else \
            self._cost_at(x, self._curve.api_costs)
        point.setData([x], [y], brush=pg.mkBrush(color), pen=pg.mkPen(self.colors.background))

    def _cost_at(self, x: float, costs: Sequence[Decimal | float]) -> float:
        """The drawn (log) cost at the sample nearest to x (markers sit on the drawn line)."""
        i = min(range(len(self._xs)), key=lambda j: abs(self._xs[j] - x))
        return _log(costs[i])

    def _hover_html(self, x: float, y: float) -> str | None:
        if not self._xs or not self._xs[0] - 0.05 <= x <= self._xs[-1] + 0.05:
            return None
        k, c = self._curve, self.colors
        i = min(range(len(self._xs)), key=lambda j: abs(self._xs[j] - x))
        api, own = k.api_costs[i], k.selfhost_costs[i]
        cheaper = k.selfhost_label if float(own) < float(api) else k.api_label
        return (f"<b>{tokens_short(k.volumes[i])} tokens/month</b>"
                f"<br>{swatch(c.series_color(0), k.api_label)}: {money(api)}"
                f"<br>{swatch(c.series_color(1), k.selfhost_label)}: {money(own)}"
                f"<br>cheaper: {html_escape(cheaper)}")
