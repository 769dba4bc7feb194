"""Helpers shared by the sub-commands: catalog lookup, number parsing and table printing."""
from __future__ import annotations

import argparse
import sys
from decimal import Decimal
from typing import Any, Callable, Sequence

from cli import CliError
from core.base import FieldError, to_date, to_decimal, to_int


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


def argument(reader: Callable[[str], Any], name: str) -> Callable[[str], Any]:
    """An argparse type from one of core.base's number readers: the CLI accepts what the files accept."""
    def parse(text: str) -> Any:
        try:
            return reader(text)
        except FieldError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parse.__name__ = name  # argparse names the type in its messages
    return parse


MAX_CLI_TOKENS = 10**12


def _tokens(text: str) -> int:
    # Plain digits only: "-0", "+5" and "0x10" are typos on a command line, not token counts.
    if not text.replace("_", "").replace(",", "").strip().isdigit():
        raise FieldError(f"expected a whole number of tokens ≥ 0, got {text!r}")
    return to_int(text, maximum=MAX_CLI_TOKENS)


token_count = argument(_tokens, "token count")
positive_int = argument(lambda text: to_int(text, minimum=1), "whole number")
iso_date = argument(to_date, "date")


def positive_decimal(text: str) -> Decimal:
    """argparse type: a finite number above 0 (a price, a utilization)."""
    value = argument(to_decimal, "number")(text)
    if value == 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


fraction = argument(lambda text: to_decimal(text, maximum=Decimal(1)), "fraction")


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
