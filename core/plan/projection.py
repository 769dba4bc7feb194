"""Month-by-month spend over the horizon, per model and token type, with the budget verdict."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_FLOOR, Decimal
from typing import Mapping

from core.prices import Catalog, Model, NoPrice, ServiceTier, Usage, price_request
from core.plan.levers import Levers, Slice, traffic_plan
from core.plan.workload import (
    PromptSpec, TokenTable, Workload, days_in_month, growth_factor, month_starts, prompt_requests_per_day)

ZERO, ONE = Decimal(0), Decimal(1)
TOKEN_TYPES = ("input", "cached_input", "cache_write_5m", "cache_write_1h", "output", "reasoning", "training")


@dataclass(frozen=True, slots=True)
class Perturbation:
    """Multipliers used by sensitivity analysis; all 1 in a normal projection."""

    input_tokens: Decimal = ONE
    output_tokens: Decimal = ONE
    input_price: Decimal = ONE
    output_price: Decimal = ONE


@dataclass(frozen=True)
class PlanInputs:
    """Everything a projection needs, as plain values (a snapshot of the scenario)."""

    prompts: tuple[PromptSpec, ...]
    primary_model: str
    levers: Levers
    workload: Workload
    tokens: TokenTable
    perturbation: Perturbation = field(default_factory=Perturbation)
    # Per-model corrections of estimated counts from billed counts (core/calibration.py);
    # exact tokenizers are never scaled.
    token_factors: Mapping[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MonthRow:
    month: date
    days: int
    requests: Decimal
    cost: Decimal
    by_token_type: Mapping[str, Decimal]
    by_model: Mapping[str, Decimal]
    budget: Decimal | None

    @property
    def over_budget(self) -> bool:
        return self.budget is not None and self.cost > self.budget

    @property
    def headroom(self) -> Decimal | None:
        return None if self.budget is None else self.budget - self.cost


@dataclass(frozen=True)
class Projection:
    months: tuple[MonthRow, ...]
    warnings: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    price_dates: tuple[date, ...] = ()  # scheduled price changes that fall inside the horizon

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.months)

    @property
    def total(self) -> Decimal:
        return sum((m.cost for m in self.months), ZERO)

    @property
    def first_breach(self) -> MonthRow | None:
        return next((m for m in self.months if m.over_budget), None)

    @property
    def min_headroom(self) -> Decimal | None:
        rooms = [m.headroom for m in self.months if m.headroom is not None]
        return min(rooms) if rooms else None


class PlanError(Exception):
    """A plan that cannot be priced (unknown model, missing price): reported, never priced at $0."""


def _scaled_rate_model(model: Model, p: Perturbation) -> Model:
    if p.input_price == ONE and p.output_price == ONE:
        return model
    periods = []
    for period in model.periods:
        def scale(rates):
            kw = {f"{k}_per_mtok": (None if rates.get(k) is None else rates.get(k) * p.input_price)
                  for k in ("input", "cached_input", "cache_write_5m", "cache_write_1h")}
            kw["output_per_mtok"] = None if rates.output_per_mtok is None else rates.output_per_mtok * p.output_price
            return replace(rates, **kw)
        tier = period.long_context
        if tier is not None:
            tier = replace(tier, rates=scale(tier.rates))
        periods.append(replace(period, rates=scale(period.rates), long_context=tier))
    return replace(model, periods=tuple(periods))


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


class _Pricer:
    """Per-request cost of each slice, memoized per price period (costs are constant within one)."""

    def __init__(self, catalog: Catalog, inputs: PlanInputs) -> None:
        self.catalog = catalog
        self.inputs = inputs
        self.prompts = {p.name: p for p in inputs.prompts}
        self.warnings: list[str] = []
        self._memo: dict[tuple, tuple[Decimal, dict[str, Decimal]]] = {}
        self._models: dict[str, Model] = {}

    def model(self, model_id: str) -> Model:
        if model_id not in self._models:
            model = self.catalog.get(model_id)
            if model is None:
                raise PlanError(f"unknown model {model_id!r}: not in the catalog (not priced at $0)")
            self._models[model_id] = _scaled_rate_model(model, self.inputs.perturbation)
        return self._models[model_id]

    def token_factor(self, model: Model) -> Decimal:
        if model.exact_tokens:
            return ONE
        return self.inputs.token_factors.get(model.id, ONE)

    def warn(self, text: str) -> None:
        if text not in self.warnings:
            self.warnings.append(text)

    def usages(self, s: Slice, model: Model, on: date) -> list[tuple[Decimal, Usage]]:
        """(probability, usage) pairs: a cache hit and a cache miss, or one plain request."""
        spec = self.prompts[s.prompt]
        tokens = self.inputs.tokens
        p = self.inputs.perturbation
        scale = p.input_tokens * self.token_factor(model)
        prompt_tokens = int((Decimal(tokens.tokens(s.prompt, model.tokenizer)) * scale).to_integral_value())
        output = Decimal(spec.output_tokens) * p.output_tokens
        if s.output_cap is not None:
            output = min(output, Decimal(s.output_cap))
        output_tokens = int((output * s.output_scale).to_integral_value())
        reasoning = int((Decimal(spec.reasoning_tokens) * p.output_tokens).to_integral_value())
        plain = Usage(prompt_tokens, output_tokens, reasoning_tokens=reasoning)
        if s.cache_hit_rate <= 0:
            return [(ONE, plain)]
        rates = model.rates_on(on)
        if rates.cached_input_per_mtok is None:
            self.warn(f"{model.id}: no cached-input price, so caching does not apply to it")
            return [(ONE, plain)]
        if s.cache_prefix_share is None:
            prefix = int((Decimal(tokens.prefix_tokens.get(model.tokenizer, 0)) * scale).to_integral_value())
        else:
            prefix = int((Decimal(prompt_tokens) * s.cache_prefix_share).to_integral_value())
        cached, note = cacheable_tokens(model, prompt_tokens, prefix)
        if note:
            self.warn(note)
        if cached == 0:
            return [(ONE, plain)]
        ttl = s.cache_ttl
        if ttl == "1h" and rates.cache_write_1h_per_mtok is None:
            self.warn(f"{model.id}: no 1-hour cache-write price; priced with its 5-minute write price")
            ttl = "5m"
        write_key = "cache_write_5m_tokens" if ttl == "5m" else "cache_write_1h_tokens"
        if getattr(rates, f"cache_write_{ttl}_per_mtok") is None:
            self.warn(f"{model.id}: no cache-write price; misses priced as uncached input")
            miss = plain
        else:
            miss = replace(plain, **{write_key: cached})
        hit = replace(plain, cache_read_tokens=cached)
        h = min(max(s.cache_hit_rate, ZERO), ONE)
        return [(h, hit), (ONE - h, miss)]

    def cost(self, s: Slice, on: date) -> tuple[Decimal, dict[str, Decimal]]:
        model = self.model(s.model_id)
        period = model.period_on(on)
        key = (s, period.effective)
        if key in self._memo:
            return self._memo[key]
        tier = s.tier
        if tier is ServiceTier.BATCH and model.batch_multiplier is None:
            self.warn(f"{model.id}: no batch API; its batch share is priced at the standard rate")
            tier = ServiceTier.STANDARD
        total = ZERO
        parts: dict[str, Decimal] = {}
        for probability, usage in self.usages(s, model, on):
            if probability == 0:
                continue
            try:
                priced = price_request(model, usage, tier=tier, on=on)
            except NoPrice as exc:
                raise PlanError(str(exc)) from None
            total += probability * priced.total
            for line in priced.lines:
                parts[line.token_type] = parts.get(line.token_type, ZERO) + probability * line.cost
        self._memo[key] = (total, parts)
        return total, parts


def _segments(first: date, days: int, change_dates: list[date]) -> list[tuple[date, int]]:
    """Split a month at scheduled price changes: (segment start, number of days)."""
    last = first.replace(day=days)
    cuts = sorted({d for d in change_dates if first < d <= last})
    starts = [first] + cuts
    out = []
    for i, start in enumerate(starts):
        end = cuts[i] if i < len(cuts) else date.fromordinal(last.toordinal() + 1)
        out.append((start, (end - start).days))
    return out


def project(catalog: Catalog, inputs: PlanInputs) -> Projection:
    """The monthly spend of the plan. Errors (unknown model, no price) are returned, not raised."""
    workload = inputs.workload
    problems = workload.validate()
    if problems:
        return Projection((), errors=tuple(problems))
    if not inputs.prompts:
        return Projection((), errors=("the scenario has no prompts",))
    pricer = _Pricer(catalog, inputs)
    slices = traffic_plan(tuple(p.name for p in inputs.prompts), inputs.primary_model, inputs.levers)
    base_rpd = prompt_requests_per_day(inputs.prompts, workload)
    try:
        models = {s.model_id: pricer.model(s.model_id) for s in slices}
        monthly_training = _monthly_training_cost(inputs, pricer)
    except PlanError as exc:
        return Projection((), errors=(str(exc),))
    change_dates = sorted({d for m in models.values() for d in m.change_dates()})
    starts = month_starts(workload)
    rows = []
    try:
        for index, first in enumerate(starts):
            days = days_in_month(first)
            growth = growth_factor(workload, index)
            cost = ZERO
            by_type: dict[str, Decimal] = {}
            by_model: dict[str, Decimal] = {}
            requests = sum(base_rpd.values(), ZERO) * growth * days
            for seg_start, seg_days in _segments(first, days, change_dates):
                for s in slices:
                    n = base_rpd[s.prompt] * growth * seg_days * s.weight
                    if n == 0:
                        continue
                    per_request, parts = pricer.cost(s, seg_start)
                    cost += n * per_request
                    by_model[s.model_id] = by_model.get(s.model_id, ZERO) + n * per_request
                    for token_type, value in parts.items():
                        by_type[token_type] = by_type.get(token_type, ZERO) + n * value
            if monthly_training:
                cost += monthly_training
                by_type["training"] = monthly_training
                student = inputs.levers.distillation.student_model_id
                by_model[student] = by_model.get(student, ZERO) + monthly_training
            rows.append(MonthRow(first, days, requests, cost, by_type, by_model, workload.budget_per_month))
    except PlanError as exc:
        return Projection((), errors=(str(exc),))
    horizon_end = starts[-1].replace(day=days_in_month(starts[-1]))
    in_horizon = tuple(d for d in change_dates if starts[0] < d <= horizon_end)
    return Projection(tuple(rows), tuple(pricer.warnings), (), in_horizon)


def _monthly_training_cost(inputs: PlanInputs, pricer: _Pricer) -> Decimal:
    lever = inputs.levers.distillation
    if not (lever.enabled and lever.student_model_id):
        return ZERO
    student = pricer.model(lever.student_model_id)
    one_time = lever.one_time_cost(student.fine_tune_training_per_mtok)
    if one_time is None:
        raise PlanError(f"no price: {student.id} has no fine-tuning training price; "
                        "enter the training cost in dollars instead")
    return one_time / inputs.workload.horizon_months


def with_primary(inputs: PlanInputs, model_id: str) -> PlanInputs:
    return replace(inputs, primary_model=model_id)


def with_levers(inputs: PlanInputs, levers: Levers) -> PlanInputs:
    return replace(inputs, levers=levers)


def max_requests_per_day(catalog: Catalog, inputs: PlanInputs) -> int | None:
    """The largest total requests/day (month 1) that keeps every month at or under the cap.

    Monthly cost is affine in traffic (a per-request part plus fixed training amortization), so
    the bound is solved in closed form, then confirmed exactly by projecting at R and R+1.
    Returns None without a budget or when nothing can be afforded.
    """
    budget = inputs.workload.budget_per_month
    if budget is None:
        return None
    total_rpd = sum(prompt_requests_per_day(inputs.prompts, inputs.workload).values(), ZERO)
    if total_rpd <= 0:
        return None

    def scaled(rpd: Decimal) -> PlanInputs:
        factor = rpd / total_rpd
        prompts = tuple(replace(p, requests_per_day=None if p.requests_per_day is None
                                else p.requests_per_day * factor) for p in inputs.prompts)
        workload = replace(inputs.workload, requests_per_day=inputs.workload.requests_per_day * factor)
        return replace(inputs, prompts=prompts, workload=workload)

    def fits(rpd: int) -> bool:
        result = project(catalog, scaled(Decimal(rpd)))
        return result.ok and all(m.cost <= budget for m in result.months)

    base = project(catalog, inputs)
    if not base.ok:
        return None
    fixed = _monthly_training_cost(inputs, _Pricer(catalog, inputs)) if inputs.levers.distillation.enabled else ZERO
    bounds = []
    for row in base.months:
        variable_per_rpd = (row.cost - fixed) / total_rpd
        if variable_per_rpd > 0:
            bounds.append((budget - fixed) / variable_per_rpd)
    if not bounds:
        return None
    guess = int(max(min(bounds), ZERO).to_integral_value(rounding=ROUND_FLOOR))
    while guess > 0 and not fits(guess):
        guess -= 1
    while fits(guess + 1):
        guess += 1
    if guess == 0 and not fits(0):
        return None
    return guess
