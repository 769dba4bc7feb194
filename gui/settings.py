"""Remembered UI state (QSettings): window geometry, splitter sizes, last scenario, recent files."""
from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

MAX_RECENT = 8
ENV_DIR = "TOKEN_BUDGET_SETTINGS_DIR"  # tests (and portable installs) keep settings in this folder


class AppSettings:
    """Thin typed wrapper so callers never juggle QSettings keys or value types."""

    def __init__(self, settings: QSettings | None = None) -> None:
        if settings is None:
            folder = os.environ.get(ENV_DIR)
            if folder:
                Path(folder).mkdir(parents=True, exist_ok=True)
                settings = QSettings(str(Path(folder) / "token-budget.ini"), QSettings.Format.IniFormat)
            else:
                settings = QSettings("TokenBudget", "Token Budget")
        self._s = settings

    # --- window ---------------------------------------------------------------------------

    def geometry(self) -> QByteArray | None:
        value = self._s.value("window/geometry")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_geometry(self, value: QByteArray) -> None:
        self._s.setValue("window/geometry", value)

    def state(self, key: str) -> QByteArray | None:
        value = self._s.value(f"window/{key}")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_state(self, key: str, value: QByteArray) -> None:
        self._s.setValue(f"window/{key}", value)

    # --- files ----------------------------------------------------------------------------

    def last_scenario(self) -> str | None:
        value = self._s.value("files/last_scenario")
        return str(value) if value else None

    def set_last_scenario(self, path: str | None) -> None:
        self._s.setValue("files/last_scenario", path or "")

    def recent_files(self) -> list[str]:
        value = self._s.value("files/recent")
        if isinstance(value, str):  # QSettings returns a lone string for a one-item list (INI)
            value = [value]
        return [str(v) for v in (value or []) if v][:MAX_RECENT]

    def add_recent(self, path: str) -> list[str]:
        path = str(Path(path).resolve())
        files = [path] + [p for p in self.recent_files() if p != path]
        self._s.setValue("files/recent", files[:MAX_RECENT])
        return files[:MAX_RECENT]

    def clear_recent(self) -> None:
        self._s.setValue("files/recent", [])

    def sync(self) -> None:
        self._s.sync()
