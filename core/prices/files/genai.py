"""Parsing genai-prices data (data.json or one provider YAML file) into ImportedModels with dated price periods."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from core.prices.files.reading import (MAX_ENTRIES, BadValue, ErrorCollector, Locator, key_path, per_mtok,
                                short_text, to_date, token_count)
from core.prices.files.records import THRESHOLD_FIELD, TIER_PREFIX, ImportedModel, ImportedPrice, ImportResult

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


def looks_genai(data: Any) -> bool:
    """Whether decoded data is shaped like genai-prices (a provider list, or one provider)."""
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
    errors = ErrorCollector(file)
    where = Locator(text)
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


def _genai_model(pid: str, mindex: int, entry: Any, errors: ErrorCollector,
                 where: Locator) -> ImportedModel | None:
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
                    effective = to_date(constraint.get("start_date"))
                except BadValue as exc:
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
            meta["context_window"] = token_count(entry["context_window"])
        except BadValue as exc:
            fail(("context_window",), str(exc), entry, "context_window", price=False)
    if entry.get("prices_checked") is not None:
        try:
            meta["checked"] = to_date(entry["prices_checked"])
        except BadValue as exc:
            fail(("prices_checked",), str(exc), entry, "prices_checked", price=False)
    deprecated = entry.get("deprecated") is True or entry.get("removed") is True
    return ImportedModel(
        ref=ref, model_id=mid, provider=pid, name=short_text(entry.get("name"), 200),
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
                base, tier = per_mtok(value), None
        except BadValue as exc:
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
    base = per_mtok(value.get("base"))
    tiers = value.get("tiers")
    if not isinstance(tiers, list):
        raise BadValue("tiered price needs a tiers list")
    parsed = []
    for tier in tiers[:20]:
        if not isinstance(tier, dict):
            raise BadValue("each tier needs start and price")
        parsed.append((token_count(tier.get("start")), per_mtok(tier.get("price"))))
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
