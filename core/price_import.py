"""Reading downloaded price files (LiteLLM JSON, genai-prices data.json / provider YAML) into neutral per-field prices."""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Context, Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Iterable, Mapping

from core.yamlio import MAX_PRICE_PER_MTOK, LoadError, parse_yaml

# LiteLLM's map is ~3.5 MB in late 2026 and grows ~1 MB a year; genai-prices data.json is ~0.4 MB.
# 32 MB leaves room for years of growth while refusing a mistaken multi-GB drop.
MAX_IMPORT_BYTES = 32_000_000
MAX_ENTRIES = 100_000       # models (LiteLLM keys, or genai-prices models summed over providers)
MAX_ERRORS = 200            # beyond this a file is clearly not what it claims; stop collecting
_LOCATED_ERRORS = 100       # line lookups scan the text, so only the first errors get a line

FORMATS = ("auto", "litellm", "genai-prices")
RATE_FIELDS = ("input", "cached_input", "cache_write_5m", "cache_write_1h", "output")
TIER_PREFIX = "long_context."
THRESHOLD_FIELD = "long_context.threshold"
BATCH_FIELD = "batch_multiplier"
# Every field an ImportedPrice can carry, in display order.
ALL_FIELDS = (RATE_FIELDS + (BATCH_FIELD, THRESHOLD_FIELD)
              + tuple(TIER_PREFIX + f for f in RATE_FIELDS))

_MTOK = Decimal(1_000_000)
# Float noise (3.0000000000000004e-06) disappears at 10 significant digits, and no published
# price needs more than that.
_TEN_DIGITS = Context(prec=10)
# LiteLLM modes that describe text generation; embeddings and image/audio models are priced in
# other units and have no counterpart in the catalog.
_TEXT_MODES = {"chat", "completion", "responses", None}


@dataclass(frozen=True, slots=True)
class ImportedPrice:
    """One price for one model and field, as a downloaded file states it.

    `value` is USD per 1M tokens for rate fields, a plain ratio for `batch_multiplier` and a token
    count for `long_context.threshold`.
    """

    model_ref: str          # unique within the file (LiteLLM key; genai-prices "provider/id")
    field: str              # one of ALL_FIELDS
    value: Decimal
    effective: date | None = None   # genai-prices start_date; None = in force from the start
    location: str = ""      # key path in the file, for messages


@dataclass(frozen=True, slots=True)
class ImportedModel:
    """One model entry of a price file with its prices (possibly several dated periods)."""

    ref: str                # unique key within the file
    model_id: str           # the id as the source spells it (no provider prefix for genai-prices)
    provider: str           # the file's provider name (litellm_provider or genai-prices provider id)
    name: str = ""
    context_window: int | None = None
    max_output: int | None = None
    checked: date | None = None       # genai-prices prices_checked
    source: str = ""                  # URL the file cites, if any
    mode: str | None = None           # LiteLLM mode
    deprecated: bool = False          # genai-prices deprecated/removed flag
    deprecation_date: date | None = None  # LiteLLM deprecation_date
    aliases: tuple[str, ...] = ()     # other names the file says this entry answers to
    prices: tuple[ImportedPrice, ...] = ()

    def is_deprecated(self, day: date | None = None) -> bool:
        day = day or date.today()
        return self.deprecated or (self.deprecation_date is not None and self.deprecation_date <= day)

    def effective_dates(self) -> tuple[date | None, ...]:
        dates = {p.effective for p in self.prices}
        return tuple(sorted(dates, key=lambda d: (d is not None, d or date.min)))

    def prices_on(self, day: date | None = None) -> dict[str, ImportedPrice]:
        """The field → price mapping in force on `day` (today when None).

        genai-prices conditional prices are complete price sets, not overlays: the last one whose
        start date has passed wins, and a field it omits is simply not priced then.
        """
        day = day or date.today()
        active: date | None | bool = False
        for eff in self.effective_dates():
            if eff is None or eff <= day:
                active = eff
        if active is False:
            return {}
        return {p.field: p for p in self.prices if p.effective == active}

    def scheduled_after(self, day: date | None = None) -> tuple[date, ...]:
        day = day or date.today()
        return tuple(d for d in self.effective_dates() if d is not None and d > day)


@dataclass(frozen=True)
class ImportResult:
    """Everything read from one price file: models (by ref), errors as values, what was skipped."""

    file: str
    format: str                                   # "litellm" | "genai-prices" | "unknown"
    models: Mapping[str, ImportedModel] = field(default_factory=dict)
    errors: tuple[LoadError, ...] = ()
    skipped: int = 0                              # entries that are not text-generation models
    entries: int = 0                              # entries looked at

    @property
    def prices(self) -> tuple[ImportedPrice, ...]:
        return tuple(p for m in self.models.values() for p in m.prices)

    @property
    def ok(self) -> bool:
        """True when the file yielded at least one priced model."""
        return bool(self.models)


# --- numbers ---------------------------------------------------------------------------------


class _Bad(ValueError):
    """A value that cannot be accepted; the message becomes a LoadError reason."""


def _number(value: Any) -> Decimal:
    """A finite, non-negative Decimal from a JSON/YAML scalar, without float round-off."""
    if isinstance(value, bool) or value is None:
        raise _Bad(f"expected a number, got {value!r}")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _Bad(f"expected a finite number, got {value!r}")
        value = Decimal(repr(value))  # shortest repr round-trips: 1.25e-07 → Decimal('1.25E-7')
    elif isinstance(value, int):
        if abs(value) > 10**15:
            raise _Bad(f"{value} is implausibly large")
        value = Decimal(value)
    elif isinstance(value, str):
        if len(value) > 40:
            raise _Bad("expected a number, got a long text")
        try:
            value = Decimal(value.strip())
        except InvalidOperation:
            raise _Bad(f"expected a number, got {value!r}") from None
    elif not isinstance(value, Decimal):
        raise _Bad(f"expected a number, got {type(value).__name__}")
    if not value.is_finite():
        raise _Bad(f"expected a finite number, got {value}")
    # Refuse absurd exponents before any arithmetic, so 1e999999999 cannot overflow the context.
    if not value.is_zero() and not -40 < value.adjusted() < 20:
        raise _Bad(f"{value} is out of any plausible range")
    if value < 0:
        raise _Bad(f"must not be negative, got {value}")
    return value


def _clean(value: Decimal) -> Decimal:
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
    """A LiteLLM per-token price → USD per 1M tokens (raises _Bad)."""
    result = _clean(_number(value) * _MTOK)
    if result > MAX_PRICE_PER_MTOK:
        raise _Bad(f"{result} per 1M tokens is implausibly large (limit {MAX_PRICE_PER_MTOK})")
    return result


def _per_mtok(value: Any) -> Decimal:
    result = _clean(_number(value))
    if result > MAX_PRICE_PER_MTOK:
        raise _Bad(f"{result} per 1M tokens is implausibly large (limit {MAX_PRICE_PER_MTOK})")
    return result


def _is_zero(value: Any) -> bool:
    """Numerically 0, without tripping on signalling NaNs or comparing text."""
    if isinstance(value, Decimal):
        return value.is_zero()
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == 0


def _tokens(value: Any) -> int:
    """A token count (context window, tier start); integral floats like 4096.0 are accepted."""
    number = _number(value)
    if number != number.to_integral_value():
        raise _Bad(f"expected a whole number of tokens, got {number}")
    result = int(number)
    if not 1 <= result <= 100_000_000:
        raise _Bad(f"{result} tokens is out of range (1 … 100,000,000)")
    return result


def _date(value: Any) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) <= 40:
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
    raise _Bad(f"expected a date like 2026-11-26, got {value!r}"[:200])


def _optional_date(value: Any) -> date | None:
    """A metadata date that may be absent or free text (LiteLLM's sample_spec describes it)."""
    try:
        return _date(value) if value is not None else None
    except _Bad:
        return None


def _text(value: Any, max_len: int = 300) -> str:
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


class _Locator:
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


class _Errors:
    """Collects LoadErrors up to MAX_ERRORS."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.items: list[LoadError] = []
        self.dropped = 0

    def add(self, line: int | None, path: str, reason: str) -> None:
        if len(self.items) < MAX_ERRORS:
            self.items.append(LoadError(self.file, line, path, reason[:300]))
        else:
            self.dropped += 1

    def result(self) -> tuple[LoadError, ...]:
        items = list(self.items)
        if self.dropped:
            items.append(LoadError(self.file, None, "", f"… and {self.dropped} more problems"))
        return tuple(items)


# --- LiteLLM ---------------------------------------------------------------------------------


_LITELLM_RATES = {
    "input_cost_per_token": "input",
    "cache_read_input_token_cost": "cached_input",
    "cache_creation_input_token_cost": "cache_write_5m",  # Anthropic's default TTL is 5 minutes
    "cache_creation_input_token_cost_above_1hr": "cache_write_1h",
    "output_cost_per_token": "output",
}
_ABOVE = re.compile(r"^(?P<base>[a-z_0-9]+?)_above_(?P<k>\d{1,5})k_tokens$")
_LITELLM_META_KEYS = ("sample_spec",)


def _looks_litellm(data: Any) -> bool:
    if not isinstance(data, dict) or not data:
        return False
    sample = [v for _, v in zip(range(50), data.values())]
    hits = sum(1 for v in sample if isinstance(v, dict)
               and ("litellm_provider" in v or "input_cost_per_token" in v or "mode" in v))
    return hits >= max(1, len(sample) // 2)


def parse_litellm(data: Any, file: str, *, text: str | None = None) -> ImportResult:
    """LiteLLM's model_prices_and_context_window.json (already decoded) → ImportResult.

    Prices there are USD per token; each is converted exactly to per 1M tokens. Keys such as
    `*_above_200k_tokens` become a whole-request long-context tier (the rule LiteLLM applies),
    `*_batches` a batch multiplier when input and output agree on it.
    """
    errors = _Errors(file)
    where = _Locator(text)
    if not isinstance(data, dict):
        errors.add(None, "", "expected a JSON object of model entries (LiteLLM format)")
        return ImportResult(file, "litellm", {}, errors.result())
    if len(data) > MAX_ENTRIES:
        errors.add(None, "", f"more than {MAX_ENTRIES:,} entries; refused")
        return ImportResult(file, "litellm", {}, errors.result())
    models: dict[str, ImportedModel] = {}
    skipped = 0
    for key, entry in data.items():
        if not isinstance(key, str) or key in _LITELLM_META_KEYS:
            continue
        if not isinstance(entry, dict):
            errors.add(where.line([(key, None)]), key_path(key), "expected an object with prices")
            continue
        mode = entry.get("mode")
        if not isinstance(mode, (str, type(None))) or mode not in _TEXT_MODES:
            skipped += 1
            continue
        model = _litellm_entry(key, entry, file, errors, where)
        if model is None:
            continue
        if not model.prices:
            skipped += 1  # e.g. per-second or per-image priced entries
            continue
        models[key] = model
    return ImportResult(file, "litellm", models, errors.result(), skipped, len(data))


def _litellm_entry(key: str, entry: dict, file: str, errors: _Errors,
                   where: _Locator) -> ImportedModel | None:
    prices: dict[str, ImportedPrice] = {}
    tiers: dict[int, dict[str, ImportedPrice]] = {}
    bad_price = False

    def fail(fkey: str, reason: str, price: bool = True) -> None:
        nonlocal bad_price
        bad_price = bad_price or price
        errors.add(where.line([(key, None), (fkey, None)]), key_path(key, fkey), reason)

    for fkey, raw in entry.items():
        if not isinstance(fkey, str):
            continue
        target: str | None = _LITELLM_RATES.get(fkey)
        threshold: int | None = None
        if target is None:
            above = _ABOVE.match(fkey)
            if above and above.group("base") in _LITELLM_RATES:
                target = _LITELLM_RATES[above.group("base")]
                threshold = int(above.group("k")) * 1000  # providers mean 200k = 200,000
        if target is None:
            continue
        try:
            value = per_token_to_per_mtok(raw)
        except _Bad as exc:
            fail(fkey, str(exc))
            continue
        price = ImportedPrice(key, target, value, None, key_path(key, fkey))
        if threshold is None:
            prices[target] = price
        else:
            tiers.setdefault(threshold, {})[target] = price

    # The newer all-or-nothing `tiered_pricing` table: the first range is the base, the second the
    # tier (our catalog models one whole-request tier per model).
    table = entry.get("tiered_pricing")
    if table is not None:
        parsed = _litellm_tiered_table(key, table, fail)
        if parsed is not None:
            base, threshold, tier = parsed
            for target, value in base.items():
                prices.setdefault(target, ImportedPrice(key, target, value, None,
                                                        key_path(key, "tiered_pricing", 0)))
            if threshold is not None and threshold not in tiers:
                tiers[threshold] = {t: ImportedPrice(key, t, v, None, key_path(key, "tiered_pricing", 1))
                                    for t, v in tier.items()}

    if tiers:
        # Several thresholds (32k and 256k on a few resellers' entries): the catalog holds one
        # tier, so keep the lowest, which is the first price change a growing prompt meets.
        threshold = min(tiers)
        prices[THRESHOLD_FIELD] = ImportedPrice(key, THRESHOLD_FIELD, Decimal(threshold), None,
                                                key_path(key, f"*_above_{threshold // 1000}k_tokens"))
        for target, price in tiers[threshold].items():
            prices[TIER_PREFIX + target] = ImportedPrice(key, TIER_PREFIX + target, price.value,
                                                         None, price.location)

    batch = _litellm_batch(key, entry, prices)
    if batch is not None:
        prices[BATCH_FIELD] = batch

    meta: dict[str, Any] = {}
    for meta_key, target in (("max_input_tokens", "context_window"), ("max_output_tokens", "max_output")):
        raw = entry.get(meta_key)
        if raw is None or _is_zero(raw):
            continue  # LiteLLM writes 0 for "not stated" on some embedding entries
        try:
            meta[target] = _tokens(raw)
        except _Bad as exc:
            fail(meta_key, str(exc), price=False)  # metadata only: the prices still stand
    if bad_price:
        return None  # a half-read entry would be compared (or added) as if complete
    provider = entry.get("litellm_provider")
    return ImportedModel(
        ref=key, model_id=key, provider=provider.lower()[:60] if isinstance(provider, str) else "",
        name="", context_window=meta.get("context_window"), max_output=meta.get("max_output"),
        source=_text(entry.get("source"), 500), mode=entry.get("mode"),
        deprecation_date=_optional_date(entry.get("deprecation_date")),
        prices=tuple(prices[f] for f in ALL_FIELDS if f in prices))


def _litellm_tiered_table(key: str, table: Any, fail) -> tuple[dict, int | None, dict] | None:
    if not isinstance(table, list) or not table:
        fail("tiered_pricing", "expected a list of price ranges")
        return None
    ranges = []
    for index, row in enumerate(table[:20]):
        if not isinstance(row, dict):
            fail("tiered_pricing", f"range {index}: expected an object")
            return None
        span = row.get("range")
        try:
            if not isinstance(span, list) or len(span) != 2:
                raise _Bad("expected range: [start, end]")
            start = int(_number(span[0]))
            rates = {}
            for src, target in _LITELLM_RATES.items():
                if src in row:
                    rates[target] = per_token_to_per_mtok(row[src])
        except _Bad as exc:
            fail("tiered_pricing", f"range {index}: {exc}")
            return None
        ranges.append((start, rates))
    ranges.sort(key=lambda r: r[0])
    base = ranges[0][1]
    if len(ranges) == 1 or ranges[1][0] < 1:
        return base, None, {}
    return base, min(ranges[1][0], 100_000_000), ranges[1][1]


def _litellm_batch(key: str, entry: dict, prices: dict[str, ImportedPrice]) -> ImportedPrice | None:
    """The batch multiplier, when input and output batch prices imply the same ratio."""
    ratios = []
    for src, target in (("input_cost_per_token_batches", "input"),
                        ("output_cost_per_token_batches", "output")):
        if src not in entry or target not in prices or prices[target].value.is_zero():
            continue
        try:
            ratios.append(_clean(per_token_to_per_mtok(entry[src]) / prices[target].value))
        except (_Bad, ArithmeticError):
            return None  # a broken batch key is not worth an error: batch is a secondary field
    if not ratios or any(abs(r - ratios[0]) > Decimal("0.001") for r in ratios):
        return None
    ratio = Context(prec=6).create_decimal(ratios[0]).normalize()
    if ratio > 10:
        return None
    return ImportedPrice(key, BATCH_FIELD, ratio, None, key_path(key, "input_cost_per_token_batches"))


# --- genai-prices ----------------------------------------------------------------------------


# genai-prices ModelPrice keys we can use; cache_write_mtok is the 5-minute write on Anthropic
# (the default TTL) and a generic write elsewhere, while cache_write_5m_mtok is explicit.
_GENAI_RATES = {
    "input_mtok": "input",
    "cache_read_mtok": "cached_input",
    "cache_write_mtok": "cache_write_5m",
    "cache_write_5m_mtok": "cache_write_5m",
    "cache_write_1h_mtok": "cache_write_1h",
    "output_mtok": "output",
}
_GENAI_PRECEDENCE = {"cache_write_5m_mtok": 1}  # explicit 5m beats the generic write key


def _looks_genai(data: Any) -> bool:
    if isinstance(data, list):
        sample = data[:20]
        return bool(sample) and all(isinstance(p, dict) and "models" in p for p in sample)
    return isinstance(data, dict) and isinstance(data.get("models"), list) and "id" in data


def parse_genai_prices(data: Any, file: str, *, text: str | None = None) -> ImportResult:
    """genai-prices data (data.json: a list of providers; or one provider YAML file) → ImportResult.

    Prices are already per 1M tokens. `TieredPrices` become the long-context tier (genai-prices
    applies a tier to the whole request too); conditional prices with a `start_date` become dated
    periods; time-of-day prices (off-peak windows) are skipped: the catalog does not model them and
    the unconditional price is the list price.
    """
    errors = _Errors(file)
    where = _Locator(text)
    providers = data if isinstance(data, list) else [data] if isinstance(data, dict) else None
    if providers is None or not providers:
        errors.add(None, "", "expected a list of providers with models (genai-prices data.json)")
        return ImportResult(file, "genai-prices", {}, errors.result())
    models: dict[str, ImportedModel] = {}
    entries = 0
    for pindex, provider in enumerate(providers):
        if not isinstance(provider, dict):
            errors.add(None, key_path(pindex), "expected a provider object with id and models")
            continue
        pid = provider.get("id")
        if not isinstance(pid, str) or not pid.strip() or len(pid) > 100:
            errors.add(_line_of(provider, "id"), key_path(pindex, "id"),
                       "provider id must be a non-empty text")
            continue
        pid = pid.strip().lower()
        plist = provider.get("models")
        if not isinstance(plist, list):
            errors.add(_line_of(provider, "models") or where.line([("id", pid)]),
                       key_path("providers", pid, "models"), "expected a list of models")
            continue
        for mindex, entry in enumerate(plist):
            entries += 1
            if entries > MAX_ENTRIES:
                errors.add(None, "", f"more than {MAX_ENTRIES:,} models; the rest were ignored")
                break
            model = _genai_model(pid, mindex, entry, errors, where)
            if model is not None and model.prices and model.ref not in models:
                models[model.ref] = model
        if entries > MAX_ENTRIES:
            break
    return ImportResult(file, "genai-prices", models, errors.result(), 0, entries)


def _line_of(obj: Any, key: Any) -> int | None:
    """The YAML line of a key when the data came from our line-recording YAML loader."""
    line_of = getattr(obj, "line_of", None)
    return line_of(key) if callable(line_of) else None


def _genai_model(pid: str, mindex: int, entry: Any, errors: _Errors,
                 where: _Locator) -> ImportedModel | None:
    if not isinstance(entry, dict):
        errors.add(None, key_path("providers", pid, "models", mindex), "expected a model object")
        return None
    mid = entry.get("id")
    if not isinstance(mid, str) or not mid.strip() or len(mid) > 200:
        errors.add(_line_of(entry, "id") or getattr(entry, "line", None),
                   key_path("providers", pid, "models", mindex, "id"),
                   "model id must be a non-empty text")
        return None
    mid = mid.strip()
    base_path = ("providers", pid, "models", mid)

    bad_price = False

    def fail(parts: tuple, reason: str, yaml_obj: Any = None, yaml_key: Any = None,
             price: bool = True) -> None:
        nonlocal bad_price
        bad_price = bad_price or price
        line = _line_of(yaml_obj, yaml_key) if yaml_obj is not None else None
        if line is None:
            needles: list[tuple[str, str | None]] = [("id", pid), ("id", mid)]
            needles += [(p, None) for p in parts if isinstance(p, str)]
            line = where.line(needles)
        errors.add(line, key_path(*base_path, *parts), reason)

    raw_prices = entry.get("prices")
    periods: list[tuple[date | None, Any, tuple]] = []
    if isinstance(raw_prices, dict):
        periods.append((None, raw_prices, ("prices",)))
    elif isinstance(raw_prices, list):
        for cindex, cond in enumerate(raw_prices[:100]):
            parts = ("prices", cindex)
            if not isinstance(cond, dict) or not isinstance(cond.get("prices"), dict):
                fail(parts, "expected {constraint?, prices}", raw_prices, None)
                continue
            constraint = cond.get("constraint")
            effective: date | None = None
            if constraint is not None:
                if not isinstance(constraint, dict):
                    fail(parts + ("constraint",), "expected a start_date or start_time/end_time")
                    continue
                if "start_time" in constraint or "end_time" in constraint:
                    continue  # off-peak window: not modelled, the list price stays in force
                try:
                    effective = _date(constraint.get("start_date"))
                except _Bad as exc:
                    fail(parts + ("constraint", "start_date"), str(exc), constraint, "start_date")
                    continue
            periods.append((effective, cond["prices"], parts + ("prices",)))
    else:
        fail(("prices",), "expected a price object or a list of conditional prices", entry, "prices")
        return None

    prices: list[ImportedPrice] = []
    ref = f"{pid}/{mid}"
    seen_dates: set[date | None] = set()
    for effective, raw, parts in periods:
        if effective in seen_dates:
            fail(parts, f"two price sets start on the same date ({effective or 'the start'})")
            continue
        seen_dates.add(effective)
        prices.extend(_genai_price_set(ref, raw, effective, parts, fail))

    if bad_price:
        return None  # a half-read entry would be compared (or added) as if complete
    meta: dict[str, Any] = {}
    if entry.get("context_window") is not None:
        try:
            meta["context_window"] = _tokens(entry["context_window"])
        except _Bad as exc:
            fail(("context_window",), str(exc), entry, "context_window", price=False)
    if entry.get("prices_checked") is not None:
        try:
            meta["checked"] = _date(entry["prices_checked"])
        except _Bad as exc:
            fail(("prices_checked",), str(exc), entry, "prices_checked", price=False)
    deprecated = entry.get("deprecated") is True or entry.get("removed") is True
    return ImportedModel(
        ref=ref, model_id=mid, provider=pid, name=_text(entry.get("name"), 200),
        context_window=meta.get("context_window"), checked=meta.get("checked"),
        deprecated=deprecated, aliases=tuple(_match_names(entry.get("match"))),
        prices=tuple(prices))


def _genai_price_set(ref: str, raw: dict, effective: date | None, parts: tuple,
                     fail) -> list[ImportedPrice]:
    chosen: dict[str, tuple[int, Decimal, str]] = {}
    tiers: dict[str, tuple[int, Decimal]] = {}
    thresholds: set[int] = set()
    for src, target in _GENAI_RATES.items():
        if src not in raw:
            continue
        value = raw[src]
        where = parts + (src,)
        try:
            if isinstance(value, dict):
                base, tier = _genai_tiered(value)
            else:
                base, tier = _per_mtok(value), None
        except _Bad as exc:
            fail(where, str(exc), raw, src)
            continue
        rank = _GENAI_PRECEDENCE.get(src, 0)
        if target in chosen and chosen[target][0] > rank:
            continue
        chosen[target] = (rank, base, key_path(*where))
        if tier is not None:
            tiers[target] = tier
            thresholds.add(tier[0])
    out = [ImportedPrice(ref, target, value, effective, loc)
           for target, (_, value, loc) in chosen.items()]
    if thresholds:
        # One whole-request tier per model: tiers of different fields must share their start.
        if len(thresholds) > 1:
            fail(parts, "tiers start at different token counts "
                        f"({', '.join(f'{t:,}' for t in sorted(thresholds))}); tier skipped",
                 price=False)  # the base prices are still good
        else:
            start = thresholds.pop()
            loc = key_path(*parts)
            out.append(ImportedPrice(ref, THRESHOLD_FIELD, Decimal(start), effective, loc))
            out += [ImportedPrice(ref, TIER_PREFIX + t, v, effective, loc)
                    for t, (_, v) in tiers.items()]
    return out


def _genai_tiered(value: dict) -> tuple[Decimal, tuple[int, Decimal] | None]:
    """TieredPrices {base, tiers: [{start, price}]} → (base, first tier or None)."""
    base = _per_mtok(value.get("base"))
    tiers = value.get("tiers")
    if not isinstance(tiers, list):
        raise _Bad("tiered price needs a tiers list")
    parsed = []
    for tier in tiers[:20]:
        if not isinstance(tier, dict):
            raise _Bad("each tier needs start and price")
        parsed.append((_tokens(tier.get("start")), _per_mtok(tier.get("price"))))
    if not parsed:
        return base, None
    return base, min(parsed)  # one tier per model in the catalog: the first a prompt crosses


def _match_names(clause: Any, depth: int = 0) -> list[str]:
    """Literal names in a genai-prices `match` clause (equals / starts_with strings).

    Regex, contains and ends_with clauses are not names of a model, so they are ignored; the
    starts_with literal is the name itself (`claude-sonnet-4.5` also matches dated snapshots).
    """
    if depth > 10 or not isinstance(clause, dict):
        return []
    names: list[str] = []
    for key in ("equals", "starts_with"):
        if isinstance(clause.get(key), str) and len(clause[key]) <= 200:
            names.append(clause[key])
    # Only "or" alternatives are names on their own; an "and" clause narrows a name down.
    if isinstance(clause.get("or"), list):
        for sub in clause["or"][:50]:
            names += _match_names(sub, depth + 1)
    return names


# --- files -----------------------------------------------------------------------------------


def detect_format(data: Any) -> str:
    if _looks_genai(data):
        return "genai-prices"
    if _looks_litellm(data):
        return "litellm"
    return "unknown"


def parse_price_bytes(raw: bytes, file: str, fmt: str = "auto") -> ImportResult:
    """Bytes of a downloaded price file → ImportResult; every problem is an error value."""
    if fmt not in FORMATS:
        return ImportResult(file, "unknown", {}, (LoadError(file, None, "", f"unknown format {fmt!r}"),))

    def fatal(reason: str, line: int | None = None) -> ImportResult:
        return ImportResult(file, fmt if fmt != "auto" else "unknown", {},
                            (LoadError(file, line, "", reason),))

    if not isinstance(raw, (bytes, bytearray)):
        return fatal("expected the bytes of a file")
    if len(raw) > MAX_IMPORT_BYTES:
        return fatal(f"file is larger than {MAX_IMPORT_BYTES:,} bytes; refused")
    if not raw.strip():
        return fatal("the file is empty")
    if b"\x00" in raw:
        return fatal("binary data (NUL byte), not a JSON or YAML price file")
    try:
        text = bytes(raw).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return fatal(f"not UTF-8 text (bad byte at offset {exc.start})")
    data, error = _decode_json(text, file)
    if error is not None:
        is_yaml_name = file.lower().endswith((".yml", ".yaml"))
        if not text.lstrip().startswith(("{", "[")) and (is_yaml_name or fmt == "genai-prices"):
            # genai-prices keeps its sources as one YAML file per provider; same structure.
            ydata, yerrors = parse_yaml(text, file)
            if yerrors:
                return ImportResult(file, "genai-prices", {}, tuple(yerrors))
            if not _looks_genai(ydata):
                return fatal("not a genai-prices provider file (expected id and a models list)")
            return parse_genai_prices(ydata, file)
        return ImportResult(file, fmt if fmt != "auto" else "unknown", {}, (error,))
    chosen = detect_format(data) if fmt == "auto" else fmt
    if chosen == "litellm":
        return parse_litellm(data, file, text=text)
    if chosen == "genai-prices":
        return parse_genai_prices(data, file, text=text)
    return fatal("not a recognised price file: expected LiteLLM's model_prices_and_context_window"
                 ".json (an object of model entries) or genai-prices data.json (a list of providers)")


def _reject_constant(name: str) -> Any:
    raise _Bad(f"{name} is not a valid JSON number")


def _decode_json(text: str, file: str) -> tuple[Any, LoadError | None]:
    try:
        # parse_float=Decimal keeps the literal as written (no binary float round-off).
        return json.loads(text, parse_float=Decimal, parse_constant=_reject_constant), None
    except json.JSONDecodeError as exc:
        return None, LoadError(file, exc.lineno, "", f"invalid JSON: {exc.msg} (column {exc.colno})")
    except _Bad as exc:
        return None, LoadError(file, None, "", f"invalid JSON: {exc}")
    except (ValueError, RecursionError, MemoryError) as exc:
        # ValueError: e.g. an integer longer than Python's 4,300-digit limit; RecursionError: nesting.
        kind = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)[:200]
        return None, LoadError(file, None, "", f"invalid JSON: {kind}")


def read_price_file(path: Path | str, fmt: str = "auto") -> ImportResult:
    """Read a downloaded price file from disk (bytes, size-limited) and parse it."""
    name = Path(path).name
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_IMPORT_BYTES + 1)
    except (OSError, ValueError) as exc:  # ValueError: a path with a NUL byte
        return ImportResult(name, "unknown", {},
                            (LoadError(name, None, "", f"cannot read file: {getattr(exc, 'strerror', None) or exc}"),))
    return parse_price_bytes(raw, name, fmt)


__all__ = [
    "ALL_FIELDS", "BATCH_FIELD", "FORMATS", "ImportResult", "ImportedModel", "ImportedPrice",
    "MAX_IMPORT_BYTES", "RATE_FIELDS", "THRESHOLD_FIELD", "TIER_PREFIX", "detect_format",
    "key_path", "parse_genai_prices", "parse_litellm", "parse_price_bytes", "per_token_to_per_mtok",
    "read_price_file",
]
