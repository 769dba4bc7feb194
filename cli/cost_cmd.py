"""`cost`: the exact price of one request, with its breakdown per token type."""
from __future__ import annotations

from datetime import date

from cli import CliError, emit_json
from cli.common import exact, find_model, iso_date, load_catalog_or_fail, print_table, token_count


def add_parser(sub) -> None:
    p = sub.add_parser("cost", help="price one request exactly")
    p.add_argument("--model", required=True, help="catalog model id, e.g. gemini-3.1-pro-preview")
    p.add_argument("--input", required=True, type=token_count,
                   help="total prompt tokens, including cached and cache-write tokens")
    p.add_argument("--output", required=True, type=token_count, help="output tokens")
    p.add_argument("--cached", type=token_count, default=0, help="prompt tokens read from cache")
    p.add_argument("--cache-write", type=token_count, default=0, help="prompt tokens written to cache")
    p.add_argument("--cache-ttl", choices=("5m", "1h"), default="5m", help="TTL of the cache write")
    p.add_argument("--reasoning", type=token_count, default=0,
                   help="hidden reasoning tokens, billed as output on top of --output")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--batch", action="store_true", help="price at the batch API rate")
    mode.add_argument("--priority", action="store_true", help="price at the priority tier")
    p.add_argument("--date", type=iso_date, default=None, help="prices in force on this day (YYYY-MM-DD)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def run(args) -> int:
    from core.base import per_mtok, usd_price
    from core.prices import InvalidUsage, NoPrice, ServiceTier, Usage, price_request

    model = find_model(load_catalog_or_fail(), args.model)
    writes = {"cache_write_5m_tokens": args.cache_write} if args.cache_ttl == "5m" else \
        {"cache_write_1h_tokens": args.cache_write}
    usage = Usage(args.input, args.output, cache_read_tokens=args.cached,
                  reasoning_tokens=args.reasoning, **writes)
    tier = ServiceTier.BATCH if args.batch else ServiceTier.PRIORITY if args.priority else ServiceTier.STANDARD
    try:
        cost = price_request(model, usage, tier=tier, on=args.date)
    except (NoPrice, InvalidUsage) as exc:
        raise CliError(str(exc)) from None
    age = model.price_age_days(cost.priced_on)
    if args.json:
        emit_json({
            "model": model.id, "provider": model.provider, "service_tier": tier.value,
            "date": cost.priced_on.isoformat(), "long_context": cost.long_context,
            "lines": [{"token_type": l.token_type, "tokens": l.tokens,
                       "rate_per_mtok": exact(l.rate_per_mtok), "cost": exact(l.cost)} for l in cost.lines],
            "total": exact(cost.total), "currency": "USD",
            "price_checked": model.checked.isoformat(), "price_age_days": age,
            "source": model.source,
        })
        return 0
    print(f"{model.name} ({model.id}), {tier.value}, prices in force on {cost.priced_on}"
          + (" — LONG-CONTEXT TIER (whole request)" if cost.long_context else ""))
    rows = [[l.token_type, f"{l.tokens:,}", f"${per_mtok(l.rate_per_mtok)}", usd_price(l.cost)]
            for l in cost.lines]
    print_table(["token type", "tokens", "$/1M", "cost"], rows, "lrrr")
    print(f"total: {usd_price(cost.total)}  (exact: ${exact(cost.total)})")
    if age >= 0:
        stale = "  ⚠ older than 90 days" if age > 90 else ""
        when = "ago" if cost.priced_on == date.today() else f"before {cost.priced_on}"
        checked = f"price checked {model.checked} ({age} days {when}){stale}"
    else:  # a past --date: the price was checked after the day it is applied to
        checked = f"price checked {model.checked}, {-age} days after {cost.priced_on}"
    print(f"{checked}; source: {model.source}")
    return 0
