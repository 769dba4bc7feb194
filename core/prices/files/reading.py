"""Checked reading of price-file values (numbers, dates, token counts) and capped, line-located error collection."""
from __future__ import annotations

import json
import re
from datetime import date
from decimal import Context, Decimal
from typing import Any, Iterable

from core.base import MAX_PRICE_PER_MTOK, FieldError, Problem, to_decimal as parse_decimal

MAX_ENTRIES = 100_000       # models (LiteLLM keys, or genai-prices models summed over providers)
MAX_ERRORS = 200            # beyond this a file is clearly not what it claims; stop collecting
_LOCATED_ERRORS = 100       # line lookups scan the text, so only the first errors get a line

_MTOK = Decimal(1_000_000)
# Float noise (3.0000000000000004e-06) disappears at 10 significant digits, and no published
# price needs more than that.
_TEN_DIGITS = Context(prec=10)


# --- numbers ---------------------------------------------------------------------------------


_NO_LIMIT = Decimal("Infinity")


class BadValue(FieldError):
    """A value that cannot be accepted; the message becomes a Problem's message."""


def to_decimal(value: Any) -> Decimal:
    """A finite, non-negative Decimal from a JSON/YAML scalar, without float round-off.

    The number parser is core.base's; price files add two limits of their own: no exponent outside
    any per-token price (so 1e999999999 never reaches arithmetic) and no megabyte "numbers".
    """
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**15:
        raise BadValue(f"{value} is implausibly large")
    if isinstance(value, str) and len(value) > 40:
        raise BadValue("expected a number, got a long text")
    try:
        result = parse_decimal(value, minimum=None, maximum=_NO_LIMIT)  # the exponent check below is the limit
    except FieldError as exc:
        raise BadValue(str(exc)) from None
    if not result.is_zero() and not -40 < result.adjusted() < 20:
        raise BadValue(f"{result} is out of any plausible range")
    if result < 0:
        raise BadValue(f"must not be negative, got {result}")
    return result


def clean_decimal(value: Decimal) -> Decimal:
    """Round to 10 significant digits and drop trailing zeros (0.1250000000 → 0.125)."""
    rounded = _TEN_DIGITS.create_decimal(value)
    if rounded.is_zero():
        return Decimal(0)
    rounded = rounded.normalize()
    # normalize() writes 10 as 1E+1; keep whole numbers plain for messages and YAML.
    if rounded.as_tuple().exponent > 0 and rounded.adjusted() < 20:
        return rounded.quantize(Decimal(1))
    return rounded


def per_token_to_per_mtok(value: Any) -> Decimal:
    """A LiteLLM per-token price → USD per 1M tokens (raises BadValue)."""
    result = clean_decimal(to_decimal(value) * _MTOK)
    if result > MAX_PRICE_PER_MTOK:
        raise BadValue(f"{result} per 1M tokens is implausibly large (limit {MAX_PRICE_PER_MTOK})")
    return result


def per_mtok(value: Any) -> Decimal:
    result = clean_decimal(to_decimal(value))
    if result > MAX_PRICE_PER_MTOK:
        raise BadValue(f"{result} per 1M tokens is implausibly large (limit {MAX_PRICE_PER_MTOK})")
    return result


def is_zero(value: Any) -> bool:
    """Numerically 0, without tripping on signalling NaNs or comparing text."""
    if isinstance(value, Decimal):
        return value.is_zero()
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == 0


def token_count(value: Any) -> int:
    """A token count (context window, tier start); integral floats like 4096.0 are accepted."""
    number = to_decimal(value)
    if number != number.to_integral_value():
        raise BadValue(f"expected a whole number of tokens, got {number}")
    result = int(number)
    if not 1 <= result <= 100_000_000:
        raise BadValue(f"{result} tokens is out of range (1 … 100,000,000)")
    return result


def to_date(value: Any) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) <= 40:
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
    raise BadValue(f"expected a date like 2026-11-26, got {value!r}"[:200])


def optional_date(value: Any) -> date | None:
    """A metadata date that may be absent or free text (LiteLLM's sample_spec describes it)."""
    try:
        return to_date(value) if value is not None else None
    except BadValue:
        return None


def short_text(value: Any, max_len: int = 300) -> str:
    if isinstance(value, str):
        return value[:max_len]
    return ""


# --- locating errors -------------------------------------------------------------------------


_SIMPLE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def key_path(*parts: Any) -> str:
    """A readable key path: `["gpt-5.4"].input_cost_per_token`, `providers[openai].models[3]`."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and _SIMPLE_KEY.match(part):
            out += ("." if out else "") + part
        else:
            out += "[" + json.dumps(str(part)[:80], ensure_ascii=False) + "]"
    return out


class Locator:
    """Best-effort line numbers for JSON key paths, found by searching the text in order.

    The json module reports positions only for syntax errors, so for a bad value we look for the
    quoted keys (or `"id": "<value>"` pairs) one after another; None when the search fails.
    """

    def __init__(self, text: str | None) -> None:
        self._text = text
        self._budget = _LOCATED_ERRORS

    def line(self, needles: Iterable[tuple[str, str | None]]) -> int | None:
        if not self._text or self._budget <= 0:
            return None
        self._budget -= 1
        pos = 0
        for key, value in needles:
            if value is None:
                pattern = re.escape(json.dumps(key, ensure_ascii=False)) + r"\s*:"
            else:
                pattern = (re.escape(json.dumps(key, ensure_ascii=False)) + r"\s*:\s*"
                           + re.escape(json.dumps(value, ensure_ascii=False)))
            match = re.compile(pattern).search(self._text, pos)
            if match is None:
                return None
            pos = match.start()
        return self._text.count("\n", 0, pos) + 1


class ErrorCollector:
    """Collects LoadErrors up to MAX_ERRORS."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.items: list[Problem] = []
        self.dropped = 0

    def add(self, line: int | None, path: str, reason: str) -> None:
        if len(self.items) < MAX_ERRORS:
            self.items.append(Problem(self.file, line, path, reason[:300]))
        else:
            self.dropped += 1

    def result(self) -> tuple[Problem, ...]:
        items = list(self.items)
        if self.dropped:
            items.append(Problem(self.file, None, "", f"… and {self.dropped} more problems"))
        return tuple(items)
