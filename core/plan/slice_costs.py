"""The per-request cost of each traffic slice in a price period, priced once per recompute and shared by all its projections."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import repeat
from operator import add, mul
from typing import Mapping

from core.prices import Catalog, Model, PricePeriod, ServiceTier
from core.plan.billing import RateCards, Request, bill
from core.plan.levers import Slice
from core.plan.workload import PromptSpec, TokenTable

ZERO, ONE = Decimal(0), Decimal(1)


@dataclass(frozen=True, slots=True)
class Perturbation:
    """Multipliers used by sensitivity analysis; all 1 in a normal projection."""

    input_tokens: Decimal = ONE
    output_tokens: Decimal = ONE
    input_price: Decimal = ONE
    output_price: Decimal = ONE


class PlanError(Exception):
    """A plan that cannot be priced (unknown model, missing price): reported, never priced at $0."""


def exact(value: object) -> str:
    """A memo key that tells Decimal('0.4') from Decimal('0.40').

    Equal Decimals of different exponents print differently once multiplied through a plan, so two
    inputs share a memo entry only when every digit of them is the same.
    """
    return repr(value)


def cacheable_tokens(model: Model, prompt_tokens: int, prefix_tokens: int) -> tuple[int, str | None]:
    """Tokens a provider will actually serve from cache, and a note when the rule cuts them."""
    cacheable = min(prefix_tokens, prompt_tokens)
    minimum = model.min_cache_prefix or 0
    if cacheable < minimum:
        return 0, (f"{model.id}: shared prefix of {cacheable:,} tokens is below the minimum "
                   f"cacheable prefix ({minimum:,}); no caching")
    if model.provider == "openai" and cacheable >= 1024:
        # OpenAI caches the first 1,024 tokens, then grows the hit in 128-token increments.
        cacheable = 1024 + (cacheable - 1024) // 128 * 128
    return cacheable, None


def slice_key(s: Slice) -> tuple:
    """What a slice's per-request cost depends on: everything but its weight and role."""
    return (s.model_id, s.tier, exact(s.cache_hit_rate), exact(s.cache_prefix_share), s.cache_ttl,
            s.output_cap, exact(s.output_scale))


@dataclass(frozen=True, slots=True)
class SliceCost:
    total: Decimal  # per request
    parts: Mapping[str, Decimal]  # token type -> per request, in the order the lines were priced
    warnings: tuple[str, ...]  # raised while pricing it; each projection that uses the slice reports them


@dataclass(frozen=True, slots=True)
class _Sent:
    """What one request of a slice sends: a plain request, or a cache hit and a cache miss."""

    plain: Request
    hit: Request | None  # None: the plain request is the only one
    miss: Request | None
    warnings: tuple[str, ...]


class SliceCosts:
    """Every model, request and slice price one recompute has worked out, so each projection,
    sensitivity bar and solve step prices only what is new to it.

    One instance serves one recompute on one thread (`evaluate` makes its own); nothing is shared
    between calls, so no lock is needed.
    """

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._models: dict[str, Model | str] = {}  # id -> the catalog's model, or why it cannot be priced
        self.cards = RateCards()
        self._contexts: dict[tuple, PricingContext] = {}
        self._token_ids: dict[tuple, int] = {}
        self._sent: dict[tuple, _Sent] = {}
        self._groups: dict[tuple, tuple[list[_Sent], list[tuple]]] = {}

    def context(self, tokens: TokenTable, token_factors: Mapping[str, Decimal], perturbation: Perturbation,
                prompts: tuple[PromptSpec, ...]) -> "PricingContext":
        specs = {p.name: p for p in prompts}
        token_key = (id(tokens), exact(sorted(token_factors.items())), exact(perturbation.input_tokens),
                     exact(perturbation.output_tokens),
                     tuple((name, p.output_tokens, p.reasoning_tokens) for name, p in specs.items()))
        price_key = (exact(perturbation.input_price), exact(perturbation.output_price))
        ctx = self._contexts.get((token_key, price_key))
        if ctx is None:
            # Memo keys carry a small number for the token key (it holds every prompt's outputs:
            # too long to hash again at each lookup).
            token_id = self._token_ids.setdefault(token_key, len(self._token_ids))
            ctx = self._contexts[(token_key, price_key)] = PricingContext(
                self, tokens, token_factors, perturbation, specs, token_id)
        return ctx

    def model(self, model_id: str) -> Model:
        found = self._models.get(model_id)
        if found is None:
            model = self.catalog.get(model_id)
            found = self._models[model_id] = (
                f"unknown model {model_id!r}: not in the catalog (not priced at $0)" if model is None else model)
        if isinstance(found, str):
            raise PlanError(found)
        return found


class PricingContext:
    """Slice costs for one table of token counts, one calibration, one perturbation and one set of prompt outputs."""

    def __init__(self, costs: SliceCosts, tokens: TokenTable, token_factors: Mapping[str, Decimal],
                 perturbation: Perturbation, specs: dict[str, PromptSpec], token_key: int) -> None:
        self._costs = costs
        self.tokens = tokens  # held so the id() in the context key stays this table's
        self.token_factors = token_factors
        self.perturbation = perturbation
        self.specs = specs
        self._token_key = token_key
        self._prices = (perturbation.input_price, perturbation.output_price)
        self._slices: dict[tuple, list[SliceCost | str]] = {}  # (prompts, slice key, period) -> each prompt's cost
        self._totals: dict[tuple, list[Decimal | str]] = {}

    def model(self, model_id: str) -> Model:
        """The catalog's model (a perturbed price scales its cards, not the model)."""
        return self._costs.model(model_id)

    def costs(self, prompts: tuple[str, ...], s: Slice, key: tuple, model: Model, period: PricePeriod,
              on: date) -> list[SliceCost | str]:
        """Slice `s` (whose `slice_key` is `key`) priced for each prompt on `on`, a day of `period`;
        a string says why one cannot be priced."""
        memo_key = (prompts, key, period.effective)
        found = self._slices.get(memo_key)
        if found is None:
            found = self._slices[memo_key] = self._price(prompts, s, model, period, on, True)
        return found

    def totals(self, prompts: tuple[str, ...], s: Slice, key: tuple, model: Model, period: PricePeriod,
               on: date) -> list[Decimal | str]:
        """`costs(...)`'s totals alone (what a month's spend needs), without the per-token-type parts."""
        memo_key = (prompts, key, period.effective)
        found = self._totals.get(memo_key)
        if found is None:
            full = self._slices.get(memo_key)
            found = self._totals[memo_key] = (
                self._price(prompts, s, model, period, on, False) if full is None
                else [c if isinstance(c, str) else c.total for c in full])
        return found

    def _price(self, prompts: tuple[str, ...], s: Slice, model: Model, period: PricePeriod, on: date,
               parts_too: bool) -> list:
        notes: tuple[str, ...] = ()
        tier = s.tier
        if tier is ServiceTier.BATCH and model.batch_multiplier is None:
            notes = (f"{model.id}: no batch API; its batch share is priced at the standard rate",)
            tier = ServiceTier.STANDARD
        h = min(max(s.cache_hit_rate, ZERO), ONE)
        sent, groups = self._requests(prompts, s, model, period, h == ONE)
        out: list = [""] * len(prompts)
        for members, plain, hits, misses in groups:
            if plain is not None:
                billed = [(ONE, plain)]
            else:
                billed = [(h, hits)]
                if misses is not None:
                    billed.append((ONE - h, misses))
            n = len(members)
            total = [ZERO] * n
            parts: dict[str, list[Decimal]] = {}
            problem = None
            for probability, requests in billed:
                card = self._costs.cards.card(model, period, tier, requests[0], on, self._prices)
                if isinstance(card, str):
                    problem = card
                    break
                totals, lines = bill(card, requests, parts_too)
                total = list(map(add, total, map(mul, repeat(probability, n), totals)))
                if parts_too:
                    for token_type, costs in lines:
                        parts[token_type] = list(map(add, parts.get(token_type) or repeat(ZERO, n),
                                                     map(mul, repeat(probability, n), costs)))
            if problem is not None:
                for i in members:
                    out[i] = problem
            elif parts_too:
                for k, i in enumerate(members):
                    out[i] = SliceCost(total[k], {t: column[k] for t, column in parts.items()},
                                       notes + sent[i].warnings)
            else:
                for k, i in enumerate(members):
                    out[i] = total[k]
        return out

    def _requests(self, prompts: tuple[str, ...], s: Slice, model: Model, period: PricePeriod,
                  certain_hit: bool) -> tuple[list[_Sent], list[tuple]]:
        """What each prompt's request sends, and the prompts grouped by the shapes of their requests
        (members, plain requests or None, hits, misses or None); a miss that never happens is not
        priced, so with `certain_hit` a group has no misses.

        Shared by the batch and standard slices, every hit rate and every price factor: none of
        them changes what a request sends.
        """
        head = (self._token_key, model.id, period.effective, s.cache_hit_rate > 0, exact(s.cache_prefix_share),
                s.cache_ttl, s.output_cap, exact(s.output_scale))
        found = self._costs._groups.get((head, prompts, certain_hit))
        if found is not None:
            return found
        memo = self._costs._sent
        sent = [memo.get((head, name)) for name in prompts]
        missing = [name for name, x in zip(prompts, sent) if x is None]
        if missing:
            for name, x in zip(missing, self._sent(missing, s, model, period)):
                memo[(head, name)] = x
            sent = [memo[(head, name)] for name in prompts]
        by_shape: dict[tuple, list[int]] = {}
        for i, x in enumerate(sent):
            if x.hit is None:
                by_shape.setdefault((x.plain.shape,), []).append(i)
            elif certain_hit:
                by_shape.setdefault((x.hit.shape, None), []).append(i)
            else:
                by_shape.setdefault((x.hit.shape, x.miss.shape), []).append(i)
        groups = []
        for shapes, members in by_shape.items():
            if len(shapes) == 1:
                groups.append((members, [sent[i].plain for i in members], None, None))
            else:
                groups.append((members, None, [sent[i].hit for i in members],
                               None if shapes[1] is None else [sent[i].miss for i in members]))
        found = self._costs._groups[(head, prompts, certain_hit)] = (sent, groups)
        return found

    def _token_factor(self, model: Model) -> Decimal:
        if model.exact_tokens:
            return ONE
        return self.token_factors.get(model.id, ONE)

    def _sent(self, prompts: list[str], s: Slice, model: Model, period: PricePeriod) -> list[_Sent]:
        """For each prompt: a cache hit and a cache miss, or one plain request, with the notes pricing them raises."""
        tokens, p, tokenizer = self.tokens, self.perturbation, model.tokenizer
        scale = p.input_tokens * self._token_factor(model)
        tier = period.long_context
        rates = period.rates
        caching = s.cache_hit_rate > 0
        if caching and rates.cached_input_per_mtok is None:
            caching, notes = False, (f"{model.id}: no cached-input price, so caching does not apply to it",)
        else:
            notes = ()
        if caching:
            shared_prefix = None
            if s.cache_prefix_share is None:
                shared_prefix = int((Decimal(tokens.prefix_tokens.get(tokenizer, 0)) * scale).to_integral_value())
            ttl = s.cache_ttl
            ttl_note = None
            if ttl == "1h" and rates.cache_write_1h_per_mtok is None:
                ttl_note = f"{model.id}: no 1-hour cache-write price; priced with its 5-minute write price"
                ttl = "5m"
            no_write = getattr(rates, f"cache_write_{ttl}_per_mtok") is None
        out = []
        for prompt in prompts:
            spec = self.specs[prompt]
            prompt_tokens = int((Decimal(tokens.tokens(prompt, tokenizer)) * scale).to_integral_value())
            output = Decimal(spec.output_tokens) * p.output_tokens
            if s.output_cap is not None:
                output = min(output, Decimal(s.output_cap))
            output_tokens = int((output * s.output_scale).to_integral_value())
            reasoning = int((Decimal(spec.reasoning_tokens) * p.output_tokens).to_integral_value())
            long_context = tier is not None and tier.applies(prompt_tokens)  # the whole prompt decides, cached or not
            plain = Request.of((prompt_tokens, 0, 0, 0, output_tokens, reasoning), long_context)
            if not caching:
                out.append(_Sent(plain, None, None, notes))
                continue
            prefix = (shared_prefix if shared_prefix is not None
                      else int((Decimal(prompt_tokens) * s.cache_prefix_share).to_integral_value()))
            cached, note = cacheable_tokens(model, prompt_tokens, prefix)
            warnings = (note,) if note else ()
            if cached == 0:
                out.append(_Sent(plain, None, None, warnings))
                continue
            if ttl_note:
                warnings += (ttl_note,)
            rest = prompt_tokens - cached
            if no_write:
                warnings += (f"{model.id}: no cache-write price; misses priced as uncached input",)
                miss = plain
            elif ttl == "5m":
                miss = Request.of((rest, 0, cached, 0, output_tokens, reasoning), long_context)
            else:
                miss = Request.of((rest, 0, 0, cached, output_tokens, reasoning), long_context)
            hit = Request.of((rest, cached, 0, 0, output_tokens, reasoning), long_context)
            out.append(_Sent(plain, hit, miss, warnings))
        return out
