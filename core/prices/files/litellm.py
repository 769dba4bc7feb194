"""Parsing LiteLLM's model_prices_and_context_window.json into ImportedModels (per-token prices → per 1M)."""
from __future__ import annotations

import re
from decimal import Context, Decimal
from typing import Any

from core.prices.files.reading import (MAX_ENTRIES, BadValue, ErrorCollector, Locator, clean_decimal, is_zero,
                                key_path, optional_date, per_token_to_per_mtok, short_text, to_decimal,
                                token_count)
from core.prices.files.records import (ALL_FIELDS, BATCH_FIELD, THRESHOLD_FIELD, TIER_PREFIX, ImportedModel,
                                ImportedPrice, ImportResult)

# LiteLLM modes that describe text generation; embeddings and image/audio models are priced in
# other units and have no counterpart in the catalog.
_TEXT_MODES = {"chat", "completion", "responses", None}

_LITELLM_RATES = {
    "input_cost_per_token": "input",
    "cache_read_input_token_cost": "cached_input",
    "cache_creation_input_token_cost": "cache_write_5m",  # Anthropic's default TTL is 5 minutes
    "cache_creation_input_token_cost_above_1hr": "cache_write_1h",
    "output_cost_per_token": "output",
}
_ABOVE = re.compile(r"^(?P<base>[a-z_0-9]+?)_above_(?P<k>\d{1,5})k_tokens$")
_LITELLM_META_KEYS = ("sample_spec",)


def looks_litellm(data: Any) -> bool:
    """Whether decoded JSON is shaped like LiteLLM's map (judged on a sample of entries)."""
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
    errors = ErrorCollector(file)
    where = Locator(text)
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


def _litellm_entry(key: str, entry: dict, file: str, errors: ErrorCollector,
                   where: Locator) -> ImportedModel | None:
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
        except BadValue as exc:
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
        if raw is None or is_zero(raw):
            continue  # LiteLLM writes 0 for "not stated" on some embedding entries
        try:
            meta[target] = token_count(raw)
        except BadValue as exc:
            fail(meta_key, str(exc), price=False)  # metadata only: the prices still stand
    if bad_price:
        return None  # a half-read entry would be compared (or added) as if complete
    provider = entry.get("litellm_provider")
    return ImportedModel(
        ref=key, model_id=key, provider=provider.lower()[:60] if isinstance(provider, str) else "",
        name="", context_window=meta.get("context_window"), max_output=meta.get("max_output"),
        source=short_text(entry.get("source"), 500), mode=entry.get("mode"),
        deprecation_date=optional_date(entry.get("deprecation_date")),
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
                raise BadValue("expected range: [start, end]")
            start = int(to_decimal(span[0]))
            rates = {}
            for src, target in _LITELLM_RATES.items():
                if src in row:
                    rates[target] = per_token_to_per_mtok(row[src])
        except BadValue as exc:
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
            ratios.append(clean_decimal(per_token_to_per_mtok(entry[src]) / prices[target].value))
        except (BadValue, ArithmeticError):
            return None  # a broken batch key is not worth an error: batch is a secondary field
    if not ratios or any(abs(r - ratios[0]) > Decimal("0.001") for r in ratios):
        return None
    ratio = Context(prec=6).create_decimal(ratios[0]).normalize()
    if ratio > 10:
        return None
    return ImportedPrice(key, BATCH_FIELD, ratio, None, key_path(key, "input_cost_per_token_batches"))
