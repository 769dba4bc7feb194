"""Light/dark palette that follows the system colour scheme, plus the few accent colours panels use."""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication


@dataclass(frozen=True)
class Colors:
    """Accent colours chosen per scheme so text on them stays legible (contrast checked by eye)."""

    dark: bool
    text: QColor
    muted: QColor
    warning_bg: QColor  # stale price cells, error banner
    warning_text: QColor
    good: QColor
    bad: QColor
    token_bg: tuple[QColor, ...]  # alternating token backgrounds in the token view
    card_bg: QColor
    card_border: QColor


LIGHT = Colors(
    dark=False, text=QColor("#1b1f24"), muted=QColor("#5a6370"),
    warning_bg=QColor("#fff1c2"), warning_text=QColor("#6b4e00"),
    good=QColor("#1f7a3a"), bad=QColor("#b3261e"),
    token_bg=(QColor("#cfe8ff"), QColor("#ffe2c2"), QColor("#d7f5d3"), QColor("#f3d5f7")),
    card_bg=QColor("#f4f6f8"), card_border=QColor("#d0d5db"),
)
DARK = Colors(
    dark=True, text=QColor("#e6e9ed"), muted=QColor("#a3acb8"),
    warning_bg=QColor("#5c4813"), warning_text=QColor("#ffe08a"),
    good=QColor("#6fd08c"), bad=QColor("#ff8a80"),
    token_bg=(QColor("#1f4e79"), QColor("#6b3d12"), QColor("#23592a"), QColor("#5a2a63")),
    card_bg=QColor("#262b31"), card_border=QColor("#3a414a"),
)

_current: Colors = LIGHT


def system_is_dark() -> bool:
    """The platform's scheme; Unknown (e.g. offscreen) counts as light."""
    hints = QGuiApplication.styleHints()
    return hints.colorScheme() == Qt.ColorScheme.Dark


def _dark_palette() -> QPalette:
    p = QPalette()
    base, window, text = QColor("#1e2227"), QColor("#2a2f35"), QColor("#e6e9ed")
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        p.setColor(group, QPalette.ColorRole.Window, window)
        p.setColor(group, QPalette.ColorRole.WindowText, text)
        p.setColor(group, QPalette.ColorRole.Base, base)
        p.setColor(group, QPalette.ColorRole.AlternateBase, QColor("#252a30"))
        p.setColor(group, QPalette.ColorRole.Text, text)
        p.setColor(group, QPalette.ColorRole.Button, QColor("#343a41"))
        p.setColor(group, QPalette.ColorRole.ButtonText, text)
        p.setColor(group, QPalette.ColorRole.ToolTipBase, QColor("#343a41"))
        p.setColor(group, QPalette.ColorRole.ToolTipText, text)
        p.setColor(group, QPalette.ColorRole.PlaceholderText, QColor("#8b95a1"))
        p.setColor(group, QPalette.ColorRole.Highlight, QColor("#3d7bd9"))
        p.setColor(group, QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
        p.setColor(group, QPalette.ColorRole.Link, QColor("#8ab4ff"))
        p.setColor(group, QPalette.ColorRole.BrightText, QColor("#ffffff"))
    disabled = QColor("#7a838e")
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Base, window)
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Button, QColor("#30353b"))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Window, window)
    return p


def apply(app: QApplication, dark: bool | None = None) -> Colors:
    """Fusion style with a palette for the scheme; Fusion honours the palette on every platform."""
    global _current
    dark = system_is_dark() if dark is None else dark
    app.setStyle("Fusion")
    app.setPalette(_dark_palette() if dark else app.style().standardPalette())
    _current = DARK if dark else LIGHT
    return _current


def colors() -> Colors:
    return _current


def follow_system(app: QApplication, on_change=None) -> None:
    """Re-apply the palette when the user switches the system between light and dark."""

    def changed(_scheme) -> None:
        apply(app)
        if on_change is not None:
            on_change()

    QGuiApplication.styleHints().colorSchemeChanged.connect(changed)
