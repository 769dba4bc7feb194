"""Exports of a plan from the window: the monthly CSV and the HTML report (built by core.plan) and charts as PNG."""
from __future__ import annotations

from pathlib import Path
from typing import Mapping

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QWidget

from core.base import atomic_write_bytes, atomic_write_text
from core.plan import monthly_csv, report_html

DEFAULT_PNG_SIZE = (1100, 600)


# --- CSV ----------------------------------------------------------------------------------------------


def export_csv(result, path: Path | str) -> None:
    """Write the monthly table: the same CSV as `project --csv` (core.plan.report.monthly_csv)."""
    if not result.projection.months:
        raise ValueError("nothing to export: " + ("; ".join(map(str, result.projection.errors)) or "no months"))
    # no .bak beside an export: the user chose to overwrite it
    atomic_write_text(path, monthly_csv(result), keep_backup=False)


# --- PNG ----------------------------------------------------------------------------------------------


def _size(size: tuple[int, int] | QSize | None) -> tuple[int, int] | None:
    if isinstance(size, QSize):
        return size.width(), size.height()
    return size


def png_bytes(widget: QWidget, size: tuple[int, int] | QSize | None = None, *,
              palette: QPalette | None = None) -> bytes:
    """The widget as PNG bytes: as on screen, or for a chart at `size` and in `palette` if given.

    Charts render through an offscreen copy (ChartBase.render_image), so a hidden tab exports at
    a real size and the window does not flicker.
    """
    target = _size(size)
    if hasattr(widget, "render_image"):
        if target is None:
            on_screen = widget.size()
            usable = widget.isVisible() and on_screen.width() >= 200 and on_screen.height() >= 150
            target = (on_screen.width(), on_screen.height()) if usable else DEFAULT_PNG_SIZE
        image = widget.render_image(target, palette)
    else:
        if target is not None and not widget.isVisible():
            widget.resize(*target)  # a hidden top-level widget can take any size before grab()
        image = widget.grab().toImage()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise OSError("could not encode the image as PNG")
    buffer.close()
    return bytes(data.data())


def export_png(widget: QWidget, path: Path | str, size: tuple[int, int] | QSize | None = None) -> None:
    """Write the widget (e.g. ChartTabs.current_chart()) as a PNG file, atomically."""
    atomic_write_bytes(path, png_bytes(widget, size))


def chart_pngs(widgets: Mapping[str, QWidget], size: tuple[int, int] | None = DEFAULT_PNG_SIZE, *,
               light: bool = True, skip_empty: bool = True) -> dict[str, bytes]:
    """Every chart as PNG bytes for the HTML report, e.g. chart_pngs(tabs.chart_widgets()).

    `light` draws them in a light palette whatever the app theme: the report page is white.
    `skip_empty` leaves out charts that only show a "No data" message.
    """
    from gui.charts.style import light_palette

    palette = light_palette() if light else None
    return {name: png_bytes(w, size, palette=palette) for name, w in widgets.items()
            if not (skip_empty and getattr(w, "showing_message", False))}


# --- HTML ---------------------------------------------------------------------------------------------


def export_html(result, chart_pngs: Mapping[str, bytes], path: Path | str, *,
                include_prompt_text: bool = False) -> None:
    """A self-contained report (inline CSS, charts as base64 images) for a budget review.

    Prompt texts stay out unless asked for: the report is meant to be attached and forwarded.
    """
    atomic_write_text(path, report_html(result, chart_pngs, include_prompt_text=include_prompt_text),
                      keep_backup=False)
