"""Chart style: colours derived from the QPalette, $ / token / month formatting, and the axes that use them."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Sequence

import pyqtgraph as pg
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPalette

from core.base import usd, usd_budget, usd_short

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
    return usd_short(value)


def money(value: float | Decimal | None, *, cents: bool = True) -> str:
    """$1,234.56 (for hover text and tables), or an em dash for no value.

    `cents=False` drops ".00" from whole amounts ($4,000 for a budget) but keeps real cents.
    """
    return usd(value) if cents else usd_budget(value)


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
    """A $ axis: ticks like $800, $1.2k, $15k, $3.4B with just enough decimals to tell them apart."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The ticks carry their own unit ($2.5M); pyqtgraph's SI prefix would add "(x1e+09)" to the title.
        self.enableAutoSIPrefix(False)

    def tickStrings(self, values, scale, spacing):  # noqa: N802 (Qt/pyqtgraph override)
        values = [v * scale for v in values]
        if max((abs(v) for v in values), default=0.0) >= 1e15:  # past $999T: mantissa × 10^n
            return [usd_short(v) for v in values]
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


def category_ticks(labels: Sequence[str], step: int = 1) -> list[list[tuple[float, str]]]:
    """Ticks at 0..n-1 labelled with `labels`, every `step`-th one labelled (the rest are minor)."""
    step = max(1, step)
    major = [(float(i), text) for i, text in enumerate(labels) if i % step == 0]
    minor = [(float(i), "") for i in range(len(labels)) if i % step != 0]
    return [major, minor]


def month_ticks(months: Sequence[date], step: int = 1) -> list[list[tuple[float, str]]]:
    """Every `step`-th month named; the year is written on the first label and where it changes."""
    step = max(1, step)
    labels, year = [], None
    for i, m in enumerate(months):
        if i % step:
            labels.append("")
            continue
        labels.append(month_label(m, short=m.year == year))
        year = m.year
    return category_ticks(labels, step)


def tick_step(labels: Sequence[str], font: QFont, pixels_per_category: float, gap: int = 14) -> int:
    """How many categories apart labels must be so the widest one stays `gap` px from its neighbours."""
    if not labels or pixels_per_category <= 0:
        return 1
    metrics = QFontMetrics(font)
    widest = max(metrics.horizontalAdvance(text) for text in labels) + gap
    return max(1, math.ceil(widest / pixels_per_category))


def html_escape(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


def swatch(color: QColor, text: str) -> str:
    """A coloured bullet followed by escaped text, for hover HTML."""
    return f'<span style="color:{color.name()}">●</span> {html_escape(text)}'
