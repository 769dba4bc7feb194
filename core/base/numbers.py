"""The one place numbers from users become values: field readers, the model-id pattern, the named limits."""
from __future__ import annotations

import math
import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

# Beyond any price, budget or traffic this app can mean; refusing it keeps Decimal arithmetic
# (and every printed number) finite and short.
ABSURD = Decimal(10) ** 18
MAX_NUMBER_CHARS = 100  # a number typed or written by a person; longer text is not one

# Model ids in the catalog, the override file, the calibration file and imported price files.
MODEL_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")

# The limits a plan's inputs must respect: the YAML loader, the GUI's widgets, the controller and
# the CLI all read them from here, so a value one accepts the others accept too.
MAX_PRICE_PER_MTOK = Decimal("100000")
MAX_REQUESTS_PER_DAY = Decimal(10) ** 10
MIN_GROWTH_PCT = Decimal(-100)  # exclusive: -100% a month would be no traffic at all
MAX_GROWTH_PCT = Decimal(1000)
MAX_HORIZON_MONTHS = 36
MAX_BUDGET_PER_MONTH = Decimal(10) ** 12
MAX_PROMPT_SHARE = Decimal(10) ** 6
MAX_OUTPUT_TOKENS = 10_000_000


def is_model_id(value: Any) -> bool:
    return isinstance(value, str) and MODEL_ID.match(value) is not None


class FieldError(ValueError):
    """A field value that cannot be accepted; the message is shown to the user."""


def brief(value: Any, limit: int = 60) -> str:
    """repr() of a value for a message, cut to `limit` characters (a field may hold megabytes)."""
    if isinstance(value, str) and len(value) > limit:
        return repr(value[:limit]) + f"… ({len(value):,} characters)"
    text = repr(value) if not isinstance(value, (dict, list)) else kind(value)
    return text if len(text) <= limit else text[:limit] + "…"


def kind(value: Any) -> str:
    """What a YAML value is, in the file's terms ("a mapping", not the loader's class name)."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    return type(value).__name__


def to_decimal(value: Any, *, minimum: Decimal | None = Decimal(0), maximum: Decimal | None = None) -> Decimal:
    """A finite Decimal within [minimum, maximum] from a YAML scalar, a typed value or a widget's float.

    Strings are preferred (prices are written as strings); ints, Decimals and floats are accepted,
    a float through its shortest repr so 0.1 becomes exactly Decimal("0.1"). `minimum=None` allows
    negatives; `maximum=None` still refuses values beyond ABSURD.
    """
    if isinstance(value, bool) or value is None:
        raise FieldError(f"expected a number, got {brief(value)}")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise FieldError(f"expected a finite number, got {brief(value)}")
        value = repr(value)
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, (int, str)):
        if isinstance(value, str) and len(value) > MAX_NUMBER_CHARS:
            raise FieldError(f"expected a number, got {brief(value)}")
        try:
            result = Decimal(str(value).strip())
        except InvalidOperation:
            raise FieldError(f"expected a number, got {brief(value)}") from None
    else:
        raise FieldError(f"expected a number, got {kind(value)}")
    if not result.is_finite():
        raise FieldError(f"expected a finite number, got {brief(value)}")
    if minimum is not None and result < minimum:
        if minimum == 0:
            raise FieldError(f"must not be negative, got {brief(value)}")
        raise FieldError(f"must be at least {minimum}, got {brief(value)}")
    # copy_abs, not abs(): abs() rounds in the context and raises Overflow for 1E1000000.
    if result.copy_abs() > (ABSURD if maximum is None else maximum):
        raise FieldError(f"{brief(value)} is implausibly large (limit {maximum or ABSURD:,})")
    return result


def to_int(value: Any, *, minimum: int = 0, maximum: int = 10**12) -> int:
    """A bounded int from a YAML scalar; floats with a fractional part are refused."""
    if isinstance(value, bool) or value is None:
        raise FieldError(f"expected a whole number, got {brief(value)}")
    if isinstance(value, float):
        if not math.isfinite(value) or value != int(value):
            raise FieldError(f"expected a whole number, got {brief(value)}")
        value = int(value)
    if isinstance(value, str):
        digits = value.replace("_", "").replace(",", "").strip()
        if len(digits) > 30 and digits.lstrip("+-").isdigit():
            raise FieldError(f"{brief(value)} is implausibly large (limit {maximum:,})")
        try:
            value = int(digits)
        except ValueError:
            raise FieldError(f"expected a whole number, got {brief(value)}") from None
    if not isinstance(value, int):
        raise FieldError(f"expected a whole number, got {kind(value)}")
    if value < minimum:
        if minimum == 0:
            raise FieldError(f"expected a whole number ≥ 0, got {value}")
        raise FieldError(f"must be at least {minimum}, got {value}")
    if value > maximum:
        raise FieldError(f"{value} is implausibly large (limit {maximum:,})")
    return value


def to_date(value: Any) -> date:
    """A date from YAML (a bare 2026-11-26 parses as a date already; strings are accepted)."""
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise FieldError(f"expected a date like 2026-11-26, got {brief(value)}")


def to_str(value: Any, *, max_len: int = 2000) -> str:
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise FieldError(f"expected text, got {kind(value)}")
    text = str(value)
    if len(text) > max_len:
        raise FieldError(f"text longer than {max_len:,} characters")
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:  # "\ud800" escapes: the pure-Python parser lets them through
            raise FieldError(f"not valid Unicode text (unpaired surrogate at character {exc.start})") from None
    return text
