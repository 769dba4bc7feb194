"""Where the catalog files live: the bundled catalog and the user's data folder (no YAML, no catalog import)."""
from __future__ import annotations

import os
import sys
from pathlib import Path


def bundled_catalog_path() -> Path:
    from resources import resource_path

    return resource_path("models.yaml")


def app_data_dir() -> Path:
    """The platform's per-user data folder (the same place QStandardPaths.AppDataLocation uses)."""
    override = os.environ.get("TOKEN_BUDGET_DATA_DIR")
    if override:
        return Path(override)
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "token-budget"


def user_catalog_path() -> Path:
    return app_data_dir() / "models.yaml"
