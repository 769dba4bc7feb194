"""Helpers shared by the sub-commands: catalog lookup, number parsing and table printing."""
from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import Sequence

from cli import CliError


def load_catalog_or_fail():
    """The bundled catalog plus the user's overrides; load problems go to stderr as warnings."""
    from core.prices import load_catalog

    catalog, errors = load_catalog()
    for error in errors[:10]:
        print(f"warning: {error}", file=sys.stderr)
    if len(errors) > 10:
        print(f"warning: … and {len(errors) - 10} more catalog problems", file=sys.stderr)
    return catalog


def find_model(catalog, model_id: str):
    from core.prices import UnknownModel

    model = catalog.get(model_id)
    if model is None:
        raise CliError(str(UnknownModel(model_id, catalog)))
    return model


def exact(value) -> str:
    """A Decimal amount in full and in plain notation: str() would print tiny ones as "9E-7"."""
    return "0" if value == 0 else format(value, "f")


def token_count(text: str) -> int:
    """argparse type for token counts: whole numbers ≥ 0, underscores/commas allowed."""
    cleaned = text.replace("_", "").replace(",", "").strip()
    if not cleaned.isdigit():
        raise argparse.ArgumentTypeError(f"expected a whole number of tokens ≥ 0, got {text!r}")
    value = int(cleaned)
    if value > 10**12:
        raise argparse.ArgumentTypeError(f"{text} tokens is implausibly large")
    return value


def iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date like 2026-11-26, got {text!r}") from None


def print_table(headers: Sequence[str], rows: Sequence[Sequence[str]], align: str = "") -> None:
    """Plain-text table; `align` holds one l/r per column (default: left)."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row)]
    align = align.ljust(len(headers), "l")

    def fmt(cells):
        return "  ".join(c.rjust(w) if a == "r" else c.ljust(w)
                         for c, w, a in zip(cells, widths, align)).rstrip()

    print(fmt(headers))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(fmt(row))
