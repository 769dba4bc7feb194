"""Savings waterfall by lever and sensitivity (tornado) of month-N spend to ±20% on each input."""
from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from core.prices import Catalog
from core.plan.levers import API_LEVERS, LEVER_TITLES
from core.plan.projection import PlanInputs, Recompute, Traffic
from core.plan.workload import prompt_requests_per_day

ZERO, ONE = Decimal(0), Decimal(1)


@dataclass(frozen=True, slots=True)
class WaterfallStep:
    lever: str
    title: str
    saving: Decimal  # over the whole horizon; negative when the lever costs more than it saves
    total_after: Decimal


@dataclass(frozen=True)
class Waterfall:
    baseline: Decimal
    steps: tuple[WaterfallStep, ...]
    optimized: Decimal
    errors: tuple[str, ...] = ()

    @property
    def saving(self) -> Decimal:
        return self.baseline - self.optimized

    @property
    def saving_pct(self) -> Decimal:
        return ZERO if self.baseline == 0 else self.saving / self.baseline * 100


def waterfall(catalog: Catalog, inputs: PlanInputs, *, recompute: Recompute | None = None) -> Waterfall:
    """Baseline → each enabled lever's marginal saving, in order → optimized total.

    Each step is the difference of two projections, so the steps telescope: they sum exactly to
    baseline − optimized. Within one recompute the first and last steps are the baseline and the
    plan already projected.
    """
    rc = recompute or Recompute(catalog)
    enabled = tuple(name for name in API_LEVERS if getattr(inputs.levers, name).enabled)
    base = rc.project(replace(inputs, levers=inputs.levers.only(())))
    if not base.ok:
        return Waterfall(ZERO, (), ZERO, base.errors)
    previous = base.total
    steps = []
    for i, name in enumerate(enabled):
        # A step needs the plan's total only: the months' spend without their breakdowns.
        traffic = rc.traffic(replace(inputs, levers=inputs.levers.only(enabled[: i + 1])))
        problem = traffic.problem()
        if problem is not None:
            return Waterfall(base.total, tuple(steps), previous, traffic.errors or (problem,))
        total = traffic.total()
        steps.append(WaterfallStep(name, LEVER_TITLES[name], previous - total, total))
        previous = total
    return Waterfall(base.total, tuple(steps), previous)


@dataclass(frozen=True, slots=True)
class SensitivityBar:
    input: str
    low_cost: Decimal   # month-N spend with the input at −20%
    high_cost: Decimal  # month-N spend with the input at +20%
    base_cost: Decimal

    @property
    def impact(self) -> Decimal:
        return abs(self.high_cost - self.low_cost)


def _vary(inputs: PlanInputs, name: str, factor: Decimal) -> PlanInputs | None:
    """The inputs with one quantity scaled by `factor`, or None when it does not apply."""
    wl, lv = inputs.workload, inputs.levers
    p = inputs.perturbation
    if name == "requests/day":
        prompts = tuple(replace(q, requests_per_day=None if q.requests_per_day is None
                                else q.requests_per_day * factor) for q in inputs.prompts)
        return replace(inputs, prompts=prompts, workload=replace(wl, requests_per_day=wl.requests_per_day * factor))
    if name == "growth %/month":
        return replace(inputs, workload=replace(wl, growth_pct_per_month=wl.growth_pct_per_month * factor))
    if name == "prompt tokens":
        return replace(inputs, perturbation=replace(p, input_tokens=p.input_tokens * factor))
    if name == "output tokens":
        return replace(inputs, perturbation=replace(p, output_tokens=p.output_tokens * factor))
    if name == "input price":
        return replace(inputs, perturbation=replace(p, input_price=p.input_price * factor))
    if name == "output price":
        return replace(inputs, perturbation=replace(p, output_price=p.output_price * factor))
    share_levers = {"cache hit rate": ("caching", "hit_rate"), "batch share": ("batch", "share"),
                    "routed share": ("routing", "share"), "distilled share": ("distillation", "share")}
    lever_name, attr = share_levers[name]
    lever = getattr(lv, lever_name)
    if not lever.enabled:
        return None
    value = min(getattr(lever, attr) * factor, ONE)
    return replace(inputs, levers=replace(lv, **{lever_name: replace(lever, **{attr: value})}))


SENSITIVITY_INPUTS = ("requests/day", "growth %/month", "prompt tokens", "output tokens", "input price",
                      "output price", "cache hit rate", "batch share", "routed share", "distilled share")


def sensitivity(catalog: Catalog, inputs: PlanInputs, month_index: int | None = None,
                delta: Decimal = Decimal("0.2"), *, recompute: Recompute | None = None) -> tuple[SensitivityBar, ...]:
    """Month-N spend at ±delta on each input, sorted by impact (largest first).

    Prices are varied for every model in the plan together. Shares are capped at 100%.
    Each bar is what projecting the varied plan would give for month N (see `_varied_month_cost`).
    """
    rc = recompute or Recompute(catalog)
    plan = rc.traffic(inputs)
    if plan.problem() is not None:  # the plan's projection has errors
        return ()
    n = len(plan.calendar) - 1 if month_index is None else month_index
    base_cost = plan.month_cost(n)  # its month n, without the other months' breakdowns
    bars = []
    for name in SENSITIVITY_INPUTS:
        low_f, high_f = ONE - delta, ONE + delta
        low_in, high_in = _vary(inputs, name, low_f), _vary(inputs, name, high_f)
        if low_in is None or high_in is None:
            continue
        low = _varied_month_cost(rc, plan, name, low_f, low_in, n)
        high = _varied_month_cost(rc, plan, name, high_f, high_in, n)
        if low is None or high is None:
            continue
        bars.append(SensitivityBar(name, low, high, base_cost))
    return tuple(sorted(bars, key=lambda b: b.impact, reverse=True))


_PRICING_INPUTS = ("prompt tokens", "output tokens", "input price", "output price")


def _varied_month_cost(rc: Recompute, plan: Traffic, name: str, factor: Decimal, varied: PlanInputs,
                       n: int) -> Decimal | None:
    """Month n's spend of the plan with input `name` scaled by `factor` (`varied`), the Decimal a
    projection of `varied` would give, or None when that projection has errors.

    Starts from the plan's own priced traffic where the input allows: traffic (by a positive
    factor) and growth change no per-request cost, so month n is recounted on the plan's slices;
    token counts and prices reprice the same slices; shares that split traffic into the same
    slices reweight them. Anything else is projected afresh.
    """
    if (name == "requests/day" and factor > 0) or name == "growth %/month":
        if varied.workload.validate():
            return None
        if name == "growth %/month":
            return plan.month_cost(n, growth=rc.growth(varied.workload))
        return plan.month_cost(n, base_rpd=prompt_requests_per_day(varied.prompts, varied.workload))
    traffic = None
    if name in _PRICING_INPUTS:
        traffic = plan.repriced(rc, varied)
    elif name not in ("requests/day", "growth %/month"):
        traffic = plan.relevered(rc, varied)
    traffic = traffic or rc.traffic(varied)
    return None if traffic.problem() is not None else traffic.month_cost(n)
