"""`models`: the catalog as a table with prices and the age of each price."""
from __future__ import annotations

from datetime import date

from cli import CliError, emit_json
from cli.common import load_catalog_or_fail, print_table
from core.prices import STALE_DAYS


def add_parser(sub) -> None:
    p = sub.add_parser("models", help="list catalog models with prices")
    p.add_argument("--provider", help="only this provider (e.g. openai, anthropic, google)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def _price(value) -> str:
    """Prices as published: at least two decimals, no trailing zeros beyond them."""
    if value is None:
        return "—"
    from core.base import per_mtok

    return per_mtok(value)


def run(args) -> int:
    catalog = load_catalog_or_fail()
    today = date.today()
    models = [m for m in catalog if not args.provider or m.provider == args.provider.lower()]
    if args.provider and not models:
        raise CliError(f"no models from provider {args.provider!r}; providers: {', '.join(catalog.providers())}")
    if args.json:
        out = []
        for m in models:
            rates = m.rates_on(today)
            out.append({
                "id": m.id, "provider": m.provider, "name": m.name, "tokenizer": m.tokenizer,
                "exact_tokens": m.exact_tokens, "context_window": m.context_window,
                "max_output": m.max_output,
                "prices_per_mtok": {k: (None if rates.get(k) is None else str(rates.get(k)))
                                    for k in ("input", "cached_input", "cache_write_5m", "cache_write_1h", "output")},
                "long_context_threshold": (m.period_on(today).long_context.threshold_tokens
                                           if m.period_on(today).long_context else None),
                "batch_multiplier": None if m.batch_multiplier is None else str(m.batch_multiplier),
                "scheduled_changes": [d.isoformat() for d in m.change_dates() if d > today],
                "checked": m.checked.isoformat(), "price_age_days": m.price_age_days(today),
                "stale": m.price_age_days(today) > STALE_DAYS, "origin": m.origin, "source": m.source,
            })
        emit_json({"models": out, "count": len(out)})
        return 0
    rows = []
    for m in models:
        r = m.rates_on(today)
        age = m.price_age_days(today)
        ctx = f"{m.context_window // 1000:,}k" if m.context_window else "—"
        flags = ("user " if m.origin == "user" else "") + ("⚠stale" if age > STALE_DAYS else "")
        rows.append([m.id, m.provider, _price(r.input_per_mtok), _price(r.cached_input_per_mtok),
                     _price(r.output_per_mtok), ctx, f"{age}d", flags.strip()])
    print_table(["model", "provider", "in $/1M", "cached", "out $/1M", "context", "age", ""], rows, "llrrrrr")
    print(f"\n{len(models)} models; prices in USD per 1M tokens; age = days since the price was checked "
          f"(⚠ over {STALE_DAYS} days)")
    return 0
