"""Bundled data: model catalog, hardware, open-model architectures, vocabularies, demo scenario."""
from __future__ import annotations

from pathlib import Path

RESOURCE_DIR = Path(__file__).resolve().parent


def resource_path(*parts: str) -> Path:
    """Path of a bundled resource file (works from a checkout and from an install)."""
    return RESOURCE_DIR.joinpath(*parts)
