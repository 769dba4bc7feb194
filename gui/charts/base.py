"""The chart base widget: a pyqtgraph plot or a centred message, palette-aware, hover text, offscreen export."""
from __future__ import annotations

from typing import Sequence

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QColor, QFontMetrics, QImage, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QStackedWidget, QWidget

from gui.charts.style import category_ticks, chart_colors, month_label, month_ticks, tick_step


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
        # tick labels are thinned again whenever the plot changes size
        self.plot_item.getViewBox().sigResized.connect(self._fit_x_categories)
        self.plot_item.getViewBox().sigXRangeChanged.connect(self._fit_x_categories)
        self._mouse_proxy = pg.SignalProxy(self.plot_widget.scene().sigMouseMoved, rateLimit=60,
                                           slot=self._mouse_moved)
        self._has_data = False
        self._drawn_key = None
        self._replay: tuple[str, object] = ("show_message", "No data: no result yet")
        self._result = None
        self.labels: list[pg.TextItem] = []  # value labels, pooled (see _pooled_label)
        self._build()
        self._restyle()
        self._message("No data: no result yet")

    # -- drawing a result
    def show_result(self, result) -> None:
        """Draw a PlanResult; None, or a result this chart cannot draw, shows "No data: <why>".

        A result whose drawn data equals what is on screen (`_data_key`) changes nothing: the
        sensitivity bars arriving, or an edit that moves one chart, leave the others alone.
        """
        self._replay = ("show_result", result)
        problem = "no result yet" if result is None else self._problem(result)
        if problem:
            self._drawn_key = None
            self._message(f"No data: {problem}")
            return
        self._result = result
        key = self._data_key(result)
        if self._has_data and key is not None and key == self._drawn_key:
            return
        self._drawn_key = key
        self._update()
        self._show_plot()

    def _problem(self, result) -> str | None:
        """Why this chart cannot draw `result` (None: it can)."""
        if not result.projection.ok:
            return "; ".join(result.projection.errors) or "the projection is empty"
        return None

    def _data_key(self, result):
        """Everything of `result` that `_update` draws (equal keys: nothing to redraw); None: always redraw."""
        return None

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

    def _set_x_categories(self, labels: Sequence[str] = (), months: Sequence = ()) -> None:
        """Name the bottom axis' categories 0..n-1 (labels, or months); thinned to the plot's width."""
        self._x_categories = (tuple(labels), tuple(months))
        self._fit_x_categories()

    def _fit_x_categories(self, *_args) -> None:
        labels, months = getattr(self, "_x_categories", ((), ()))
        if not labels and not months:
            return
        axis = self.plot_item.getAxis("bottom")
        vb = self.plot_item.getViewBox()
        (x0, x1), _ = vb.viewRange()
        # Before the first layout the view box has no width; assume a typical chart width.
        width = vb.width() if vb.width() > 50 else 600.0
        per_category = width / max(x1 - x0, 1e-9)
        font = axis.style.get("tickFont") or self.font()
        if months:
            step = tick_step([month_label(m) for m in months], font, per_category)
            ticks = month_ticks(months, step)
        else:
            step = tick_step(labels, font, per_category)
            axis.setHeight(None)  # automatic: one line of tick text
            if step > 1:
                # Names (levers) matter more than months: try two lines before dropping any.
                wrapped = [text.replace(" ", "\n", 1) for text in labels]
                lines = [line for text in wrapped for line in text.split("\n")]
                tight = tick_step(lines, font, per_category, gap=6)
                if tight < step:
                    labels, step = wrapped, tight
                    label_space = 0 if not axis.label.isVisible() else QFontMetrics(self.font()).height() + 4
                    axis.setHeight(QFontMetrics(font).height() * 2 + 14 + label_space)
            ticks = category_ticks(labels, step)
        axis.setTicks(ticks)

    def _pooled_label(self, index: int, anchor: tuple[float, float]) -> pg.TextItem:
        """The index-th value label, created on first use and reused by every later result."""
        while len(self.labels) <= index:
            item = pg.TextItem(anchor=anchor)
            self.plot_item.addItem(item, ignoreBounds=True)
            self.labels.append(item)
        return self.labels[index]

    def _category_axis(self, name: str) -> None:
        """An axis of names (months, levers, inputs): no tick marks, which read as arrows."""
        self.plot_item.getAxis(name).setStyle(tickLength=0)

    def _legend_set(self, items: Sequence[tuple[pg.GraphicsObject, str]]) -> None:
        """List exactly `items` in the legend; rows are rebuilt only when the set of series changes."""
        wanted = [(id(item), name) for item, name in items]
        if wanted != getattr(self, "_legend_rows", None):
            self._legend_rows = wanted
            self.legend.clear()
            for item, name in items:
                self.legend.addItem(item, name)
        else:
            for sample, _label in self.legend.items:
                sample.update()  # pens/brushes may have changed (palette switch)
        self.legend.setVisible(bool(items))
