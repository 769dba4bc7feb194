"""Shared chart plumbing: palette-derived colours, $ and month formatting, axes, and the chart base widget."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Sequence

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QStackedWidget, QWidget

# Okabe-Ito: distinguishable for the common colour-vision deficiencies. The dark-mode set is the
# same hues lifted in lightness so thin lines stay visible on a near-black background.
_SERIES_LIGHT = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#7F6A00", "#555555")
_SERIES_DARK = ("#5AB4F0", "#FF8A4C", "#3DD6A3", "#F0A0D0", "#F5C04A", "#A6DBFF", "#E8DC6A", "#CFCFCF")
# Token types keep one colour each, so a breakdown reads the same from one scenario to the next.
_TOKEN_LIGHT = {"input": "#0072B2", "cached_input": "#56B4E9", "cache_write_5m": "#E69F00",
                "cache_write_1h": "#B07800", "output": "#D55E00", "reasoning": "#CC79A7", "training": "#009E73"}
_TOKEN_DARK = {"input": "#4C9FE0", "cached_input": "#A6DBFF", "cache_write_5m": "#F5C04A",
               "cache_write_1h": "#C9961E", "output": "#FF8A4C", "reasoning": "#F0A0D0", "training": "#3DD6A3"}


@dataclass(frozen=True)
class ChartColors:
    """Every colour a chart draws with, derived from one QPalette."""

    dark: bool
    background: QColor
    foreground: QColor
    muted: QColor
    grid_alpha: float
    series: tuple[QColor, ...]
    token_types: dict[str, QColor]
    budget: QColor
    warning: QColor
    good: QColor
    neutral: QColor
    hover_fill: QColor

    def series_color(self, index: int) -> QColor:
        return self.series[index % len(self.series)]

    def token_color(self, token_type: str, index: int) -> QColor:
        return self.token_types.get(token_type) or self.series_color(index)


def chart_colors(palette: QPalette) -> ChartColors:
    """Colours for a chart drawn on `palette`'s Base colour (light or dark decided by its lightness)."""
    background = palette.color(QPalette.ColorRole.Base)
    foreground = palette.color(QPalette.ColorRole.Text)
    dark = background.lightnessF() < 0.5
    muted = QColor(foreground)
    muted.setAlphaF(0.65)
    hover = QColor(palette.color(QPalette.ColorRole.ToolTipBase) if not dark else background.lighter(160))
    hover.setAlphaF(0.92)
    series = _SERIES_DARK if dark else _SERIES_LIGHT
    tokens = _TOKEN_DARK if dark else _TOKEN_LIGHT
    return ChartColors(
        dark=dark, background=background, foreground=foreground, muted=muted,
        grid_alpha=0.22 if dark else 0.18,
        series=tuple(QColor(c) for c in series),
        token_types={k: QColor(v) for k, v in tokens.items()},
        budget=QColor("#FF6B6B" if dark else "#C62828"),
        warning=QColor("#FF8A4C" if dark else "#D55E00"),
        good=QColor("#3DD6A3" if dark else "#00875F"),
        neutral=QColor("#8FA8C8" if dark else "#5B7A99"),
        hover_fill=hover,
    )


def light_palette() -> QPalette:
    """A plain light palette: reports are read on white paper whatever the app's theme is."""
    p = QPalette()
    for role, color in ((QPalette.ColorRole.Window, "#f4f5f7"), (QPalette.ColorRole.Base, "#ffffff"),
                        (QPalette.ColorRole.Text, "#1d2329"), (QPalette.ColorRole.WindowText, "#1d2329"),
                        (QPalette.ColorRole.ToolTipBase, "#ffffe1"), (QPalette.ColorRole.ToolTipText, "#1d2329")):
        p.setColor(role, QColor(color))
    return p


# --- formatting -------------------------------------------------------------------------------

_SUFFIXES = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"))


def _short(value: float, prefix: str, decimals: int | None = None) -> str:
    sign = "−" if value < 0 else ""
    a = abs(value)
    for div, suffix in _SUFFIXES:
        if a >= div * 0.9995:
            x = a / div
            places = decimals if decimals is not None else (1 if x < 100 else 0)
            text = f"{x:.{places}f}"
            if decimals is None and "." in text:
                text = text.rstrip("0").rstrip(".")
            return f"{sign}{prefix}{text}{suffix}"
    if decimals is None:
        decimals = 0 if a >= 10 or a == 0 else 2
    return f"{sign}{prefix}{a:.{decimals}f}"


def money_short(value: float | Decimal) -> str:
    """$1.2k, $15k, $2.5M, $950, $0.42 (for labels where space is tight)."""
    return _short(float(value), "$")


def money(value: float | Decimal | None, *, cents: bool = True) -> str:
    """$1,234.56 (for hover text and tables), or an em dash for no value.

    `cents=False` drops ".00" from whole amounts ($4,000 for a budget) but keeps real cents.
    """
    if value is None:
        return "—"
    v = float(value)
    sign = "−" if v < 0 else ""
    if not cents and abs(v - round(v)) < 0.005:
        return f"{sign}${abs(v):,.0f}"
    return f"{sign}${abs(v):,.2f}"


def tokens_short(value: float) -> str:
    """1.5M, 20B (token volumes)."""
    return _short(float(value), "")


def month_label(month: date, short: bool = False) -> str:
    return month.strftime("%b" if short else "%b %Y")


def tick_decimals(values: Sequence[float], spacing: float, unit: float) -> int:
    """Fewest decimals (0–3) that write every tick value exactly once divided by `unit`."""
    if unit <= 0:
        return 0
    tolerance = max(abs(spacing) / unit * 1e-3, 1e-9)
    for places in range(4):
        if all(abs(v / unit - round(v / unit, places)) < tolerance for v in values):
            return places
    return 3


def _axis_unit(values: Sequence[float]) -> tuple[float, str]:
    """$9,500 stays in dollars; from $10k on ticks read $15k, $2.5M, $1.2B."""
    top = max((abs(v) for v in values), default=0.0)
    for div, suffix in _SUFFIXES:
        if top >= (div * 10 if suffix == "k" else div):
            return div, suffix
    return 1.0, ""


class MoneyAxis(pg.AxisItem):
    """A $ axis: ticks like $800, $1.2k, $15k with just enough decimals to tell them apart."""

    def tickStrings(self, values, scale, spacing):  # noqa: N802 (Qt/pyqtgraph override)
        values = [v * scale for v in values]
        unit, suffix = _axis_unit(values)
        places = tick_decimals(values, spacing * scale, unit)
        out = []
        for v in values:
            if abs(v) < spacing * scale * 1e-6:
                out.append("$0")
                continue
            sign = "−" if v < 0 else ""
            out.append(f"{sign}${abs(v) / unit:,.{places}f}{suffix}")
        return out


class _LogAxis(pg.AxisItem):
    """An axis whose values are log10 exponents: ticks at whole decades, minor ones at 2× and 5×."""

    def tickValues(self, minVal, maxVal, size):  # noqa: N802 (pyqtgraph override)
        lo, hi = sorted((minVal, maxVal))
        first, last = math.floor(lo), math.ceil(hi)
        decades = [float(d) for d in range(first, last + 1) if lo <= d <= hi]
        minor = [d + math.log10(m) for d in range(first, last + 1) for m in (2, 5) if lo <= d + math.log10(m) <= hi]
        if len(decades) < 2 and size > 120:  # a narrow range: label the 2× and 5× ticks too
            return [(1.0, sorted(decades + minor))]
        return [(1.0, decades), (0.3, minor)]

    def _label(self, value: float) -> str:
        raise NotImplementedError

    def tickStrings(self, values, scale, spacing):  # noqa: N802
        return [self._label(10 ** (v * scale)) for v in values]


class VolumeAxis(_LogAxis):
    """A token-volume axis drawn in log10 units (values are exponents): 1M, 10M, 1B."""

    def _label(self, value: float) -> str:
        return tokens_short(value)


class LogMoneyAxis(_LogAxis):
    """A $ axis drawn in log10 units: $100, $1k, $10k."""

    def _label(self, value: float) -> str:
        return money_short(value)


def category_ticks(labels: Sequence[str], max_labels: int = 14) -> list[list[tuple[float, str]]]:
    """Ticks at 0..n-1 labelled with `labels`, thinned so long horizons do not overlap."""
    step = max(1, math.ceil(len(labels) / max_labels))
    major = [(float(i), text) for i, text in enumerate(labels) if i % step == 0]
    minor = [(float(i), "") for i in range(len(labels)) if i % step != 0]
    return [major, minor]


def month_ticks(months: Sequence[date]) -> list[list[tuple[float, str]]]:
    """Month names, with the year on the first month and on each January."""
    labels = [month_label(m) if i == 0 or m.month == 1 else month_label(m, short=True)
              for i, m in enumerate(months)]
    return category_ticks(labels)


def html_escape(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


def swatch(color: QColor, text: str) -> str:
    """A coloured bullet followed by escaped text, for hover HTML."""
    return f'<span style="color:{color.name()}">●</span> {html_escape(text)}'


# --- the base widget ----------------------------------------------------------------------------


class ChartBase(QStackedWidget):
    """A pyqtgraph plot and a centred message page; subclasses create items once and update them.

    Subclasses implement `_build()` (create items), `_update()` (setData from the stored value),
    `_hover_html(x, y)` (hover text or None) and may extend `_restyle()`.
    """

    Y_LABEL = ""
    X_LABEL = ""

    def __init__(self, parent: QWidget | None = None, *, left_axis: pg.AxisItem | None = None,
                 bottom_axis: pg.AxisItem | None = None) -> None:
        super().__init__(parent)
        axes = {}
        if left_axis is not None:
            axes["left"] = left_axis
        if bottom_axis is not None:
            axes["bottom"] = bottom_axis
        self.plot_widget = pg.PlotWidget(axisItems=axes)
        self.plot_widget.setMinimumSize(240, 160)
        self.plot_item: pg.PlotItem = self.plot_widget.getPlotItem()
        self.plot_item.setMenuEnabled(False)
        self.plot_item.hideButtons()  # the auto-range "A" button hides the y=0 floor we rely on
        self.plot_item.getViewBox().setMouseEnabled(x=False, y=False)
        self.plot_item.showGrid(x=False, y=True)
        for name in ("left", "bottom"):
            # major and first minor ticks only, text on major ticks: deeper levels are noise
            self.plot_item.getAxis(name).setStyle(maxTickLevel=1, maxTextLevel=0)
        self.legend = self.plot_item.addLegend(offset=(8, 6))
        self.message_label = QLabel()
        self.message_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message_label.setMargin(24)
        self.message_label.setAutoFillBackground(True)
        self.message_label.setBackgroundRole(QPalette.ColorRole.Base)
        self.message_label.setForegroundRole(QPalette.ColorRole.Text)
        self.addWidget(self.plot_widget)
        self.addWidget(self.message_label)
        self.colors = chart_colors(self.palette())
        # Hover text follows the mouse; a proxy folds bursts of mouse moves into ≤60 updates/s.
        self.hover_item = pg.TextItem(anchor=(0, 1))
        self.hover_item.setZValue(1000)
        self.hover_item.hide()
        self.plot_item.addItem(self.hover_item, ignoreBounds=True)
        self._mouse_proxy = pg.SignalProxy(self.plot_widget.scene().sigMouseMoved, rateLimit=60,
                                           slot=self._mouse_moved)
        self._has_data = False
        self._replay: tuple[str, object] = ("show_message", "No data: no result yet")
        self._build()
        self._restyle()
        self._message("No data: no result yet")

    # -- subclass hooks
    def _build(self) -> None:
        raise NotImplementedError

    def _update(self) -> None:
        raise NotImplementedError

    def _hover_html(self, x: float, y: float) -> str | None:
        return None

    # -- state
    @property
    def showing_message(self) -> bool:
        return self.currentWidget() is self.message_label

    @property
    def message(self) -> str:
        return self.message_label.text() if self.showing_message else ""

    def show_message(self, text: str) -> None:
        """Replace the plot by a centred message (an empty or failed result)."""
        self._replay = ("show_message", text)
        self._message(text)

    def _message(self, text: str) -> None:
        self._has_data = False
        self.hover_item.hide()
        self.message_label.setText(text)
        self.setCurrentWidget(self.message_label)

    def _show_plot(self) -> None:
        self._has_data = True
        self.setCurrentWidget(self.plot_widget)

    # -- export
    def render_image(self, size: tuple[int, int] = (1100, 600), palette: QPalette | None = None) -> QImage:
        """This chart drawn at `size` (optionally in another palette) without touching the live widget.

        A fresh offscreen copy is fed the same input: resizing the live chart would fight its
        layout (the current tab snaps back) and flash in the window.
        """
        clone = type(self)()
        clone.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
        if palette is not None:
            clone.setPalette(palette)
        if hasattr(self, "mode") and hasattr(clone, "set_mode"):
            clone.set_mode(self.mode)
        method, arg = self._replay
        getattr(clone, method)(arg)
        clone.resize(*size)
        # not shown: grab() renders a hidden widget after sending its pending resize events
        try:
            # Two passes: the first paint sizes the axes to their tick labels, the second uses it.
            for _ in range(2):
                QApplication.sendPostedEvents()
                image = clone.grab().toImage()
            return image
        finally:
            clone.hide()
            clone.deleteLater()

    # -- palette
    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self.colors = chart_colors(self.palette())
            self._restyle()
            if self._has_data:
                self._update()
        super().changeEvent(event)

    def _restyle(self) -> None:
        c = self.colors
        self.plot_widget.setBackground(c.background)
        for name in ("left", "bottom"):
            axis = self.plot_item.getAxis(name)
            axis.setPen(pg.mkPen(c.muted))
            axis.setTextPen(pg.mkPen(c.foreground))
            # the grid is drawn by the axis pen at this opacity (0–255)
            axis.setGrid(int(255 * c.grid_alpha) if axis.grid is not False else False)
        self.plot_item.setLabel("left", self.Y_LABEL, color=c.foreground.name())
        self.plot_item.setLabel("bottom", self.X_LABEL, color=c.foreground.name())
        self.legend.setLabelTextColor(c.foreground)
        fill = QColor(c.background)
        fill.setAlphaF(0.85)
        self.legend.setBrush(pg.mkBrush(fill))
        self.legend.setPen(pg.mkPen(c.muted))
        self.hover_item.fill = pg.mkBrush(c.hover_fill)
        self.hover_item.border = pg.mkPen(c.muted)
        self.hover_item.setColor(c.foreground)

    # -- hover
    def _mouse_moved(self, event: tuple) -> None:
        pos: QPointF = event[0]
        vb = self.plot_item.getViewBox()
        if not self._has_data or not vb.sceneBoundingRect().contains(pos):
            self.hover_item.hide()
            return
        point = vb.mapSceneToView(pos)
        self.hover_at(point.x(), point.y())

    def hover_at(self, x: float, y: float) -> str | None:
        """Show the hover text for view point (x, y); returns the HTML shown (None: hidden)."""
        html = self._hover_html(x, y) if self._has_data else None
        if not html:
            self.hover_item.hide()
            return None
        self.hover_item.setHtml(f'<div style="color:{self.colors.foreground.name()}">{html}</div>')
        # Keep the box inside the plot: flip to the left of/below the cursor past the middle.
        (x0, x1), (y0, y1) = self.plot_item.getViewBox().viewRange()
        self.hover_item.setAnchor((1 if x > (x0 + x1) / 2 else 0, 0 if y > (y0 + y1) / 2 else 1))
        self.hover_item.setPos(x, y)
        self.hover_item.show()
        return html

    # -- helpers
    def _set_view(self, x0: float, x1: float, y0: float, y1: float, *, floor_zero: bool = True) -> None:
        """A fixed view computed from the data: y starts at $0 and the budget/labels stay on screen."""
        vb = self.plot_item.getViewBox()
        vb.disableAutoRange()
        if y0 == 0 and floor_zero:
            # a sliver below zero so the "$0" tick label is not clipped at the axis end
            y0 = -(y1 - y0) * 0.02
        vb.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)

    def _backed(self, label: pg.TextItem, color: QColor) -> None:
        """Text in `color` on a translucent plate of the background, readable where it crosses lines."""
        plate = QColor(self.colors.background)
        plate.setAlphaF(0.8)
        label.fill = pg.mkBrush(plate)
        label.setColor(color)

    def _category_axis(self, name: str) -> None:
        """An axis of names (months, levers, inputs): no tick marks, which read as arrows."""
        self.plot_item.getAxis(name).setStyle(tickLength=0)

    def _legend_set(self, items: Sequence[tuple[pg.GraphicsObject, str]]) -> None:
        """Rebuild the legend's rows (cheap: a few labels) so it lists only what is shown."""
        self.legend.clear()
        for item, name in items:
            self.legend.addItem(item, name)
        self.legend.setVisible(bool(items))
