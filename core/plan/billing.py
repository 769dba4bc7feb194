"""Bills many requests exactly as price_request would, at rates it is asked for once per request shape."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal, getcontext
from itertools import repeat
from operator import add, mul, truediv

from core.prices import Model, NoPrice, PricePeriod, Rates, ServiceTier, Usage, price_request

ONE = Decimal(1)
MTOK = Decimal(1_000_000)
LINES = ("input", "cached_input", "cache_write_5m", "cache_write_1h", "output", "reasoning")  # price_request's order
_INPUT_SIDE = frozenset(LINES[:4])  # the lines a varied input price scales (reasoning is billed as output)

Card = tuple[tuple[int, str, Decimal], ...]  # (index into Request.counts, token type, $/1M after multipliers)


@dataclass(frozen=True, slots=True)
class Request:
    """One request, as its token count on each of `price_request`'s lines, and its shape.

    Two requests of one shape (the same long-context verdict, the same token counts at zero) on
    one model, period and service tier are billed by the same lines at the same rates.
    """

    counts: tuple[int, int, int, int, int, int]  # uncached input, cache read, 5-min write, 1-h write, output, reasoning
    shape: tuple

    @classmethod
    def of(cls, counts: tuple[int, int, int, int, int, int], long_context: bool) -> "Request":
        a, b, c, d, e, f = counts
        return cls(counts, (long_context, a == 0, b == 0, c == 0, d == 0, e == 0, f == 0))

    def usage(self) -> Usage:
        uncached, read, write_5m, write_1h, output, reasoning = self.counts
        return Usage(uncached + read + write_5m + write_1h, output, read, write_5m, write_1h, reasoning)


def scaled_rate_model(model: Model, input_price: Decimal, output_price: Decimal) -> Model:
    """The model with its input-side rates × `input_price` and output rates × `output_price`."""
    if input_price == ONE and output_price == ONE:
        return model

    def scale(rates: Rates) -> Rates:
        def times(value: Decimal | None, factor: Decimal) -> Decimal | None:
            return None if value is None else value * factor
        return Rates(times(rates.input_per_mtok, input_price), times(rates.cached_input_per_mtok, input_price),
                     times(rates.cache_write_5m_per_mtok, input_price),
                     times(rates.cache_write_1h_per_mtok, input_price), times(rates.output_per_mtok, output_price))

    periods = []
    for period in model.periods:
        tier = period.long_context
        if tier is not None:
            tier = replace(tier, rates=scale(tier.rates))
        periods.append(replace(period, rates=scale(period.rates), long_context=tier))
    return replace(model, periods=tuple(periods))


class RateCards:
    """The rate card of each model, period, service tier and request shape a recompute bills.

    A card is learnt by pricing one request of its shape with `price_request` itself, so the rules
    (tiers, cache reads and writes, batch caching, multipliers, missing prices) stay in one place.
    One instance serves one recompute on one thread.
    """

    def __init__(self) -> None:
        self._cards: dict[tuple, Card | str] = {}
        self._scaled: dict[tuple, Model] = {}

    def card(self, model: Model, period: PricePeriod, tier: ServiceTier, example: Request, on: date,
             prices: tuple[Decimal, Decimal] = (ONE, ONE)) -> Card | str:
        """The card `price_request` bills a request of `example`'s shape with on `model`, its rates
        scaled by `prices` (input side, output side), or why it cannot (a NoPrice message).

        A scaled card is the catalog card times the factors when that is exactly what scaling the
        catalog rates first gives (see `_scaled_card`), and is learnt by example otherwise.
        """
        unscaled = prices[0] == ONE and prices[1] == ONE  # as scaled_rate_model decides
        key = (model.id, None if unscaled else (repr(prices[0]), repr(prices[1])), period.effective, tier,
               example.shape)
        found = self._cards.get(key)
        if found is None:
            if not unscaled:
                base = self.card(model, period, tier, example, on)
                found = base if isinstance(base, str) else _scaled_card(base, example.shape, prices)
            if found is None:
                priced_model = model if unscaled else self._scaled_model(model, key[1], prices)
                usage = example.usage()
                usage.validate()  # raises InvalidUsage, as price_request would
                try:
                    priced = price_request(priced_model, usage, tier=tier, on=on)
                except NoPrice as exc:
                    found = str(exc)
                else:
                    found = tuple((LINES.index(line.token_type), line.token_type, line.rate_per_mtok)
                                  for line in priced.lines)
            self._cards[key] = found
        return found

    def _scaled_model(self, model: Model, price_key: tuple, prices: tuple[Decimal, Decimal]) -> Model:
        found = self._scaled.get((model.id, price_key))
        if found is None:
            found = self._scaled[(model.id, price_key)] = scaled_rate_model(model, *prices)
        return found


def _scaled_card(base: Card, shape: tuple, prices: tuple[Decimal, Decimal]) -> Card | None:
    """The card of the catalog rates scaled by `prices`, from the catalog card, or None when it must be learnt.

    Scaling the catalog rate r by f, then `price_request`'s multiplier m, gives (r × f) × m; the
    catalog card holds r × m. When (r × m) × f comes out two digits short of the context's
    precision, neither product rounded and neither could have (their digits are bounded by its own
    plus two), so both are the same Decimal, digit for digit. Long-context cards are learnt: a tier
    may derive its cache rates by a division.
    """
    if shape[0]:
        return None
    room = getcontext().prec - 2
    out = []
    for i, token_type, rate in base:
        scaled = rate * (prices[0] if token_type in _INPUT_SIDE else prices[1])
        if rate == 0 or len(scaled.as_tuple().digits) > room:
            return None
        out.append((i, token_type, scaled))
    return tuple(out)


def bill(card: Card, requests: list[Request], lines_too: bool):
    """Each request's total on `card` and, with `lines_too`, each line's costs (token type, one per
    request), computed as `price_request` does: rate × tokens / 1M, summed from 0 in line order.
    A line at a time over all the requests, or request by request when they are few: the same
    operations either way."""
    for r in requests:
        if min(r.counts) < 0:
            r.usage().validate()  # raises InvalidUsage, as price_request would
    n = len(requests)
    if n <= 4:
        totals, rows = [], []
        for r in requests:
            counts = r.counts
            costs = [rate * counts[i] / MTOK for i, _, rate in card]
            total = Decimal(0)
            for cost in costs:
                total += cost
            totals.append(total)
            rows.append(costs)
        return totals, [(line[1], [row[k] for row in rows]) for k, line in enumerate(card)] if lines_too else ()
    columns = list(zip(*(r.counts for r in requests)))
    totals = [Decimal(0)] * n
    lines = []
    for i, token_type, rate in card:
        costs = list(map(truediv, map(mul, repeat(rate, n), columns[i]), repeat(MTOK, n)))
        totals = list(map(add, totals, costs))
        lines.append((token_type, costs))
    return totals, lines
