"""The one money and number formatter: cards, tables, CSV, HTML, the CLI and chart labels all print through it."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

MINUS = "\u2212"  # "−$362", not "$-362": a typographic minus before the currency sign
DASH = "—"        # no value (no budget, no price)
CENT = Decimal("0.01")
# Beyond this a figure in full digits stops being readable (and a plan of 10^10 requests/day growing
# 1,000%/month reaches 10^40 dollars): print it as a mantissa and a power of ten instead.
SCIENTIFIC_FROM = Decimal(10) ** 15
_SUFFIXES = ((Decimal(10) ** 12, "T"), (Decimal(10) ** 9, "B"), (Decimal(10) ** 6, "M"), (Decimal(10) ** 3, "k"))


def as_decimal(value: Any) -> Decimal | None:
    """A Decimal for any number we are asked to print (charts hand over floats); None stays None."""
    if value is None or isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    try:
        return Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValueError(f"not a number: {value!r}") from None


def _round(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _scientific(magnitude: Decimal) -> str:
    exponent = magnitude.adjusted()
    mantissa = _round(magnitude.scaleb(-exponent), 1)
    if mantissa >= 10:  # 9.96 rounds up to 10.0
        mantissa, exponent = _round(mantissa / 10, 1), exponent + 1
    return f"{mantissa} × 10^{exponent}"


def usd(amount: Any, places: int = 2) -> str:
    """$1,234.56 — the report format: cents (or `places`), thousands separators, −$ for negatives."""
    value = as_decimal(amount)
    if value is None:
        return DASH
    if not value.is_finite():
        return "$" + str(value)
    sign = MINUS if value < 0 else ""
    magnitude = value.copy_abs()
    if magnitude >= SCIENTIFIC_FROM:
        return f"{sign}${_scientific(magnitude)}"
    rounded = _round(magnitude, places)
    if rounded == 0:
        sign = ""
    return f"{sign}${rounded:,}"


def usd_whole(amount: Any) -> str:
    """Headline cards: whole dollars from $100 up (cents are noise at monthly scale), cents below."""
    value = as_decimal(amount)
    if value is None:
        return DASH
    return usd(value, 0 if value.copy_abs() >= 100 else 2)


def usd_budget(amount: Any) -> str:
    """A budget the user typed: "$4,000", but "$4,000.50" when it has cents."""
    value = as_decimal(amount)
    if value is None:
        return DASH
    return usd(value, 0 if value == value.to_integral_value() else 2)


def usd_price(amount: Any) -> str:
    """One request's price: as many places as it needs, up to six ($0.124, $0.00035, $1.50), never fewer than cents."""
    value = as_decimal(amount)
    if value is None:
        return DASH
    if value.copy_abs() >= 100:
        return usd(value)
    text = usd(value, 6)
    whole_part, _, frac = text.partition(".")
    return f"{whole_part}.{frac.rstrip('0').ljust(2, '0')}"


def usd_short(amount: Any) -> str:
    """$1.2k, $15k, $2.5M, $950, $0.42 — chart axes and labels where space is tight."""
    value = as_decimal(amount)
    if value is None:
        return DASH
    sign = MINUS if value < 0 else ""
    magnitude = value.copy_abs()
    if magnitude >= SCIENTIFIC_FROM:
        return f"{sign}${_scientific(magnitude)}"
    for div, suffix in _SUFFIXES:
        if magnitude >= div * Decimal("0.9995"):
            x = magnitude / div
            text = f"{_round(x, 1 if x < 100 else 0):f}"
            if "." in text:
                text = text.rstrip("0").rstrip(".")
            return f"{sign}${text}{suffix}"
    places = 0 if magnitude >= 10 or magnitude == 0 else 2
    rounded = _round(magnitude, places)
    return f"{sign if rounded else ''}${rounded:f}"


def csv_money(amount: Any, places: int = 2) -> str:
    """A spreadsheet cell: plain digits to the cent ("1234.56", "-3.10"), no $, no separators, no exponent."""
    value = as_decimal(amount)
    if value is None:
        return ""
    rounded = _round(value, places)
    return f"{rounded + 0:f}"  # + 0 turns -0.00 into 0.00


def per_mtok(value: Any) -> str:
    """A $/1M-token price as published: at least two decimals, no trailing zeros beyond them."""
    whole, _, frac = f"{as_decimal(value):f}".partition(".")
    return f"{whole}.{frac.rstrip('0').ljust(2, '0')}"


def whole(value: Any) -> str:
    """A count to print: 12,345 (requests, tokens); Decimals are rounded to a whole number."""
    number = as_decimal(value)
    if number is None:
        return DASH
    if number.copy_abs() >= SCIENTIFIC_FROM:
        return ("-" if number < 0 else "") + _scientific(number.copy_abs())
    return f"{_round(number, 0):,f}"


def plural(count: int, unit: str, units: str | None = None) -> str:
    """ "1 token", "3,840 tokens" """
    return f"{count:,} {unit if count == 1 else (units or unit + 's')}"


def percent(fraction: Any, places: int = 0) -> str:
    """0.385 -> "38.5%" (with places=1); negative shares get a typographic minus."""
    value = as_decimal(fraction) * 100
    text = f"{_round(value.copy_abs(), places):f}%"
    return (MINUS + text) if value < 0 and _round(value.copy_abs(), places) else text
