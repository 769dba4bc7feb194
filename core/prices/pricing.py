"""The exact price of one request under a provider's rules: tiers, caching, batch/priority, dates."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum

from core.prices.catalog import Model, Rates

MTOK = Decimal(1_000_000)


class ServiceTier(str, Enum):
    STANDARD = "standard"
    BATCH = "batch"
    PRIORITY = "priority"


class NoPrice(LookupError):
    """The model has no published price for something the request uses. Never priced as $0."""

    def __init__(self, model_id: str, what: str) -> None:
        super().__init__(f"no price: {model_id} has no {what} price")
        self.model_id = model_id
        self.what = what


class InvalidUsage(ValueError):
    """Token counts that cannot describe a real request (negative, or parts exceeding the whole)."""


@dataclass(frozen=True, slots=True)
class Usage:
    """What one request consumed, as providers report it.

    `input_tokens` is the whole prompt: uncached + cache reads + cache writes (never double-count).
    `reasoning_tokens` are hidden thinking tokens, billed at the output rate on top of `output_tokens`.
    """

    input_tokens: int
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_5m_tokens: int = 0
    cache_write_1h_tokens: int = 0
    reasoning_tokens: int = 0

    @property
    def uncached_input_tokens(self) -> int:
        return (self.input_tokens - self.cache_read_tokens - self.cache_write_5m_tokens
                - self.cache_write_1h_tokens)

    def validate(self) -> None:
        for name in ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_5m_tokens",
                     "cache_write_1h_tokens", "reasoning_tokens"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise InvalidUsage(f"{name} must be a whole number ≥ 0, got {value!r}")
        if self.uncached_input_tokens < 0:
            raise InvalidUsage(
                f"cached ({self.cache_read_tokens:,}) and cache-write "
                f"({self.cache_write_5m_tokens + self.cache_write_1h_tokens:,}) tokens exceed the "
                f"{self.input_tokens:,} input tokens they are part of")


@dataclass(frozen=True, slots=True)
class CostLine:
    token_type: str  # input | cached_input | cache_write_5m | cache_write_1h | output | reasoning
    tokens: int
    rate_per_mtok: Decimal  # after tier and service multipliers
    cost: Decimal


@dataclass(frozen=True, slots=True)
class RequestCost:
    model_id: str
    lines: tuple[CostLine, ...]
    total: Decimal
    long_context: bool
    service_tier: ServiceTier
    priced_on: date
    period_effective: date | None

    def cost_of(self, token_type: str) -> Decimal:
        return sum((line.cost for line in self.lines if line.token_type == token_type), Decimal(0))


def _tier_rate(tier_rates: Rates, base: Rates, key: str) -> Decimal | None:
    """A tier rate; when a tier omits cache prices they keep the base ratio to the input rate.

    Every provider rule in prices-2026.md defines cache reads and writes as a fixed multiple of the
    input rate at the same tier (Anthropic 0.1x / 1.25x / 2x, OpenAI 0.1x / 1.25x, Gemini 0.1x), so
    scaling by that ratio reproduces the published tier prices when a catalog leaves them out.
    """
    explicit = tier_rates.get(key)
    if explicit is not None or key in ("input", "output"):
        return explicit
    base_rate, base_input, tier_input = base.get(key), base.input_per_mtok, tier_rates.input_per_mtok
    if base_rate is None or not base_input or tier_input is None:
        return None
    return base_rate * tier_input / base_input


def service_multiplier(model: Model, tier: ServiceTier) -> Decimal:
    if tier is ServiceTier.STANDARD:
        return Decimal(1)
    if tier is ServiceTier.BATCH:
        if model.batch_multiplier is None:
            raise NoPrice(model.id, "batch API")
        return model.batch_multiplier
    if model.priority_multiplier is None:
        raise NoPrice(model.id, "priority tier")
    return model.priority_multiplier


def price_request(model: Model, usage: Usage, *, tier: ServiceTier | str = ServiceTier.STANDARD,
                  on: date | None = None, uplift: Decimal = Decimal(1)) -> RequestCost:
    """Price one request exactly.

    Order (prices-2026.md "Order of application"): pick the long-context tier from the whole prompt,
    price each token type at that tier, apply the batch/priority multiplier, then a regional uplift.
    Raises NoPrice when the request uses a token type the model has no price for, and InvalidUsage
    for impossible token counts.
    """
    usage.validate()
    tier = ServiceTier(tier)
    day = on or date.today()
    period = model.period_on(day)
    base = period.rates
    in_tier = period.long_context is not None and period.long_context.applies(usage.input_tokens)
    multiplier = service_multiplier(model, tier) * uplift

    def rate(key: str) -> Decimal | None:
        if in_tier:
            return _tier_rate(period.long_context.rates, base, key)  # type: ignore[union-attr]
        return base.get(key)

    # Where a provider does not apply cache discounts inside its batch API, cached and written
    # tokens are billed as ordinary input there.
    caching_applies = not (tier is ServiceTier.BATCH and not model.batch_caching)
    parts = [
        ("input", "input", usage.uncached_input_tokens),
        ("cached_input", "cached_input" if caching_applies else "input", usage.cache_read_tokens),
        ("cache_write_5m", "cache_write_5m" if caching_applies else "input", usage.cache_write_5m_tokens),
        ("cache_write_1h", "cache_write_1h" if caching_applies else "input", usage.cache_write_1h_tokens),
        ("output", "output", usage.output_tokens),
        ("reasoning", "output", usage.reasoning_tokens),
    ]
    lines = []
    for token_type, rate_key, tokens in parts:
        if tokens == 0 and token_type not in ("input", "output"):
            continue
        per_mtok = rate(rate_key)
        if per_mtok is None:
            if tokens == 0:
                continue
            label = rate_key.replace("_", " ") + (" (long-context tier)" if in_tier else "")
            raise NoPrice(model.id, label)
        per_mtok = per_mtok * multiplier
        lines.append(CostLine(token_type, tokens, per_mtok, per_mtok * tokens / MTOK))
    total = sum((line.cost for line in lines), Decimal(0))
    return RequestCost(model.id, tuple(lines), total, in_tier, tier, day, period.effective)


