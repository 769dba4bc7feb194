"""Month-by-month spend over the horizon, per model and token type, with the budget verdict."""
from __future__ import annotations

from copy import copy
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_FLOOR, Decimal, getcontext
from operator import itemgetter, mul
from typing import Mapping

from core.base import Problem
from core.prices import Catalog, Model
from core.plan.levers import Levers, Slice, traffic_template
from core.plan.slice_costs import PlanError, Perturbation, SliceCost, SliceCosts, exact, slice_key
from core.plan.workload import (
    MAX_REQUESTS_PER_DAY, PromptSpec, TokenTable, Workload, days_in_month, growth_factor, month_starts,
    prompt_requests_per_day)

ZERO, ONE = Decimal(0), Decimal(1)
TOKEN_TYPES = ("input", "cached_input", "cache_write_5m", "cache_write_1h", "output", "reasoning", "training")


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
    def problems(self) -> tuple[Problem, ...]:
        """The errors and warnings as the engine's one error value, errors first."""
        return (tuple(Problem("", None, "", e) for e in self.errors)
                + tuple(Problem("", None, "", w, "warning") for w in self.warnings))

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


def _segments(first: date, days: int, change_dates: tuple[date, ...]) -> list[tuple[date, int]]:
    """Split a month at scheduled price changes: (segment start, number of days)."""
    last = first.replace(day=days)
    cuts = sorted({d for d in change_dates if first < d <= last})
    starts = [first] + cuts
    out = []
    for i, start in enumerate(starts):
        end = cuts[i] if i < len(cuts) else date.fromordinal(last.toordinal() + 1)
        out.append((start, (end - start).days))
    return out


@dataclass(frozen=True, slots=True)
class _Month:
    first: date
    days: int
    segments: tuple[tuple[date, int, tuple], ...]  # (start, days, price signature: each model's period)


class Recompute:
    """The work one recompute shares between its projections: slice costs, lever templates, calendars,
    growth factors and every plan already projected.

    `evaluate` makes one per call and hands it to the waterfall, the sensitivity bars and the
    inverse solve; nothing outlives the call, so worker threads never share one.
    """

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.costs = SliceCosts(catalog)
        self._templates: dict[tuple, tuple[tuple[Slice, ...], tuple[tuple, ...]]] = {}
        self._calendars: dict[tuple, tuple[_Month, ...]] = {}
        self._growth: dict[tuple, tuple[Decimal, ...]] = {}
        self._traffic: dict[tuple, Traffic] = {}
        self._counts: dict[tuple, object] = {}  # request counts per prompt and per slice (see Traffic._own_counts)
        self._exact: dict[int, tuple[object, str]] = {}

    def project(self, inputs: PlanInputs) -> Projection:
        return self.traffic(inputs).projection()

    def traffic(self, inputs: PlanInputs) -> "Traffic":
        # id(): the inputs' tuples and tables are immutable; the entry holds them, so the ids stay theirs.
        key = (id(inputs.prompts), inputs.primary_model, self.exact(inputs.levers), self.exact(inputs.workload),
               exact(inputs.perturbation), id(inputs.tokens), exact(sorted(inputs.token_factors.items())))
        found = self._traffic.get(key)
        if found is None:
            found = self._traffic[key] = Traffic(self, inputs)
        return found

    def exact(self, value: object) -> str:
        """`exact(value)`, worked out once per object: the plans of one recompute share their levers and workload."""
        found = self._exact.get(id(value))
        if found is None or found[0] is not value:
            found = self._exact[id(value)] = (value, exact(value))  # holding the value keeps its id its own
        return found[1]

    def template(self, primary_model: str, levers: Levers) -> tuple[tuple[Slice, ...], tuple[tuple, ...]]:
        key = (primary_model, self.exact(levers))
        found = self._templates.get(key)
        if found is None:
            template = traffic_template(primary_model, levers)
            found = self._templates[key] = (template, tuple(slice_key(s) for s in template))
        return found

    def growth(self, workload: Workload) -> tuple[Decimal, ...]:
        key = (exact(workload.growth_pct_per_month), workload.horizon_months)
        found = self._growth.get(key)
        if found is None:
            found = self._growth[key] = tuple(growth_factor(workload, i) for i in range(workload.horizon_months))
        return found

    def calendar(self, workload: Workload, models: Mapping[str, Model]) -> tuple[_Month, ...]:
        key = (workload.start_month, workload.horizon_months, tuple(models))
        found = self._calendars.get(key)
        if found is None:
            change_dates = tuple(sorted({d for m in models.values() for d in m.change_dates()}))
            months = []
            for first in month_starts(workload):
                days = days_in_month(first)
                if not change_dates:  # one period per model: one segment per month, all alike
                    months.append(_Month(first, days, ((first, days, (None,) * len(models)),)))
                    continue
                months.append(_Month(first, days, tuple(
                    (start, n, tuple(m.period_on(start).effective for m in models.values()))
                    for start, n in _segments(first, days, change_dates))))
            found = self._calendars[key] = tuple(months)
        return found


def _picker(positions: list[int], size: int):
    """A C-level getter of these positions of a list of `size`, as a tuple (None: all of them, in order)."""
    if positions == list(range(size)):
        return None
    if len(positions) == 1:
        return lambda values, i=positions[0]: (values[i],)
    return itemgetter(*positions)


@dataclass(frozen=True, slots=True)
class _Columns:
    """One price signature's per-request costs laid out for whole-list passes over the slices."""

    totals: list[Decimal]
    types: list[tuple[str, object, list[Decimal]]]  # token type, its slices' picker, their per-request values


class Traffic:
    """One plan's slices, their per-request costs in each price period, and the month arithmetic.

    The arithmetic is the projection's own, operation for operation: Decimal rounds at every step,
    so the order of the multiplications and additions is part of the result. What is saved is the
    Python around it: each slice is priced once per period (and once per recompute, through
    `SliceCosts`), and a month is a few C-level passes over lists. Months are computed only when
    asked for, so a sensitivity bar costs one month.
    """

    def __init__(self, rc: Recompute, inputs: PlanInputs) -> None:
        self.rc = rc
        self.inputs = inputs
        self.errors: tuple[str, ...] = ()
        self._projection: Projection | None = None
        self._signature_days: dict[tuple, date] | None = None
        workload = inputs.workload
        problems = workload.validate()
        if problems:
            self.errors = tuple(problems)
            return
        if not inputs.prompts:
            self.errors = ("the scenario has no prompts",)
            return
        self.ctx = ctx = rc.costs.context(inputs.tokens, inputs.token_factors, inputs.perturbation, inputs.prompts)
        template, keys = rc.template(inputs.primary_model, inputs.levers)
        self.base_rpd = prompt_requests_per_day(inputs.prompts, workload)
        try:
            self.models = {s.model_id: ctx.model(s.model_id) for s in template}
            self.training = _monthly_training_cost(inputs, ctx)
        except PlanError as exc:
            self.errors = (str(exc),)
            return
        self.calendar = rc.calendar(workload, self.models)
        self.growth = rc.growth(workload)
        self._set_slices(template, keys)

    def _set_slices(self, template: tuple[Slice, ...], keys: tuple[tuple, ...]) -> None:
        # A slice without traffic is never priced, so it raises no warning and no error. Its
        # request count (requests/day × growth × days × weight) is zero exactly when the
        # prompt's requests/day or the slice's weight is: growth and days are never zero.
        base_rpd = self.base_rpd
        self.template = template
        self._prompts = tuple(p.name for p in self.inputs.prompts if base_rpd[p.name] != 0)
        self._columns_of = [(s, key) for s, key in zip(template, keys) if s.weight != 0]
        self.slices = [(name, s, key) for name in self._prompts for s, key in self._columns_of]
        self._names = [name for name, _, _ in self.slices]
        self._weights = [s.weight for _, s, _ in self.slices]
        workload = self.inputs.workload
        # Request counts depend on the prompts, the traffic, the growth and the weights alone, so
        # plans that differ in models, prices or token counts share them.
        self._x_key = (id(self.inputs.prompts), exact(workload.requests_per_day), exact(workload.growth_pct_per_month))
        self._n_key = (self._x_key, tuple(exact(s.weight) for s, _ in self._columns_of))
        self._count_table: dict | None = None
        self._prompt_table: dict | None = None
        groups: dict[str, list[int]] = {}
        for i, (_, s, _) in enumerate(self.slices):
            groups.setdefault(s.model_id, []).append(i)
        self._model_groups = [(mid, _picker(pos, len(self.slices))) for mid, pos in groups.items()]
        self._priced: dict[tuple, list[SliceCost] | str] = {}
        self._totals: dict[tuple, list[Decimal]] = {}
        self._columns: dict[tuple, _Columns] = {}
        self._projection = None

    def repriced(self, rc: Recompute, inputs: PlanInputs) -> "Traffic":
        """This plan with another perturbation (token counts or prices): the same slices, priced afresh.

        Only for a plan whose own traffic has no errors; a perturbation changes no model, no
        calendar and no traffic.
        """
        other = copy(self)
        other.inputs = inputs
        other.ctx = ctx = rc.costs.context(inputs.tokens, inputs.token_factors, inputs.perturbation, inputs.prompts)
        other.models = {mid: ctx.model(mid) for mid in self.models}
        other.training = _monthly_training_cost(inputs, ctx)
        other._priced, other._totals, other._columns, other._projection = {}, {}, {}, None
        return other

    def relevered(self, rc: Recompute, inputs: PlanInputs) -> "Traffic | None":
        """This plan with other lever shares, when they split traffic into the same slices on the
        same models (only weights and hit rates differ); None when the split itself changes."""
        template = traffic_template(inputs.primary_model, inputs.levers)  # used once: not worth a memo key
        if len(template) != len(self.template) or any(
                (a.model_id, a.role, a.tier, a.weight != 0) != (b.model_id, b.role, b.tier, b.weight != 0)
                for a, b in zip(template, self.template)):
            return None
        other = copy(self)
        other.inputs = inputs
        other.training = _monthly_training_cost(inputs, self.ctx)
        other._set_slices(template, tuple(slice_key(s) for s in template))
        return other

    # --- pricing ------------------------------------------------------------------------------

    def _signatures(self) -> dict[tuple, date]:
        """Each price signature the horizon uses, in the order a month-by-month walk meets it, with its first day."""
        found = self._signature_days
        if found is None:
            found = {}
            for month, growth in zip(self.calendar, self.growth):
                if growth == 0:
                    continue  # no request in this month is priced
                for start, _, signature in month.segments:
                    found.setdefault(signature, start)
            self._signature_days = found
        return found

    def _price(self, signature: tuple, on: date, parts_too: bool) -> list | str:
        """Every slice's cost in this signature's periods (SliceCosts, or totals alone), slice by
        slice, or the first slice's reason it cannot be priced."""
        memo = self._priced if parts_too else self._totals
        found = memo.get(signature)
        if found is None:
            full = None if parts_too else self._priced.get(signature)
            if full is not None:
                found = full if isinstance(full, str) else [c.total for c in full]
            else:
                periods = {mid: m.period_on(on) for mid, m in self.models.items()}
                price = self.ctx.costs if parts_too else self.ctx.totals
                columns = [price(self._prompts, s, key, self.models[s.model_id], periods[s.model_id], on)
                           for s, key in self._columns_of]
                found = [c for row in zip(*columns) for c in row]  # prompt by prompt, as the slices go
                found = next((c for c in found if isinstance(c, str)), found)
            memo[signature] = found
        return found

    def problem(self, parts_too: bool = False) -> str | None:
        """The first reason the plan cannot be priced, in the order the months meet it, or None."""
        if self.errors:
            return self.errors[0]
        for signature, on in self._signatures().items():
            priced = self._price(signature, on, parts_too)
            if isinstance(priced, str):
                return priced
        return None

    def _totals_of(self, signature: tuple) -> list[Decimal]:
        found = self._totals.get(signature)
        if found is None:
            found = self._totals[signature] = [c.total for c in self._priced[signature]]
        return found

    def _cols(self, signature: tuple) -> _Columns:
        found = self._columns.get(signature)
        if found is None:
            priced = self._priced[signature]
            types: dict[str, tuple[list[int], list[Decimal]]] = {}
            for i, c in enumerate(priced):
                for token_type, value in c.parts.items():
                    positions, values = types.setdefault(token_type, ([], []))
                    positions.append(i)
                    values.append(value)
            found = self._columns[signature] = _Columns(
                [c.total for c in priced],
                [(t, _picker(pos, len(priced)), vals) for t, (pos, vals) in types.items()])
        return found

    # --- months -------------------------------------------------------------------------------

    def _counts(self, base_rpd: Mapping[str, Decimal], growth: Decimal, days: int) -> list[Decimal]:
        """Requests of each slice in a segment: base requests/day × growth × days × weight, in that order."""
        per_prompt = {name: rpd * growth * days for name, rpd in base_rpd.items()}
        return list(map(mul, map(per_prompt.__getitem__, self._names), self._weights))

    def _own_counts(self, index: int, days: int) -> list[Decimal]:
        """`_counts` for this plan's own traffic and growth, shared within the recompute."""
        if self._count_table is None:
            self._count_table = self.rc._counts.setdefault(self._n_key, {})
            self._prompt_table = self.rc._counts.setdefault(self._x_key, {})
        found = self._count_table.get((index, days))
        if found is None:
            per_prompt = self._prompt_table.get((index, days))
            if per_prompt is None:
                growth = self.growth[index]
                per_prompt = self._prompt_table[(index, days)] = {
                    name: rpd * growth * days for name, rpd in self.base_rpd.items()}
            found = self._count_table[(index, days)] = list(
                map(mul, map(per_prompt.__getitem__, self._names), self._weights))
        return found

    def projection(self) -> Projection:
        if self._projection is None:
            self._projection = self._project()
        return self._projection

    def _project(self) -> Projection:
        if self.errors:
            return Projection((), errors=self.errors)
        problem = self.problem(parts_too=True)
        if problem is not None:
            return Projection((), errors=(problem,))
        warnings: dict[str, None] = {}
        for signature in self._signatures():
            for c in self._priced[signature]:
                warnings.update(dict.fromkeys(c.warnings))
        workload, base_rpd, training = self.inputs.workload, self.base_rpd, self.training
        student = self.inputs.levers.distillation.student_model_id
        total_rpd = sum(base_rpd.values(), ZERO)
        rows = []
        for index, (month, growth) in enumerate(zip(self.calendar, self.growth)):
            cost = ZERO
            by_type: dict[str, Decimal] = {}
            by_model: dict[str, Decimal] = {}
            requests = total_rpd * growth * month.days
            if growth != 0:
                for _, seg_days, signature in month.segments:
                    counts = self._own_counts(index, seg_days)
                    cols = self._cols(signature)
                    costs = list(map(mul, counts, cols.totals))
                    cost = sum(costs, cost)
                    for model_id, pick in self._model_groups:
                        by_model[model_id] = sum(costs if pick is None else pick(costs), by_model.get(model_id, ZERO))
                    for token_type, pick, values in cols.types:
                        by_type[token_type] = sum(map(mul, counts if pick is None else pick(counts), values),
                                                  by_type.get(token_type, ZERO))
            if training:
                cost += training
                by_type["training"] = training
                by_model[student] = by_model.get(student, ZERO) + training
            rows.append(MonthRow(month.first, month.days, requests, cost, by_type, by_model,
                                 workload.budget_per_month))
        first, last = self.calendar[0].first, self.calendar[-1]
        horizon_end = last.first.replace(day=last.days)
        change_dates = sorted({d for m in self.models.values() for d in m.change_dates()})
        in_horizon = tuple(d for d in change_dates if first < d <= horizon_end)
        return Projection(tuple(rows), tuple(warnings), (), in_horizon)

    def month_cost(self, index: int, base_rpd: Mapping[str, Decimal] | None = None,
                   growth: tuple[Decimal, ...] | None = None) -> Decimal:
        """Month `index`'s spend, the same Decimal as its row; the plan must price (`problem()` is None).

        `base_rpd` and `growth` replace the plan's traffic and growth factors. A replacement
        traffic must be zero for exactly the prompts whose own traffic is (a scaling by a positive
        factor is), so the same slices carry requests.
        """
        month, g = self.calendar[index], (self.growth if growth is None else growth)[index]
        own = base_rpd is None and growth is None
        base_rpd = self.base_rpd if base_rpd is None else base_rpd
        cost = ZERO
        if g != 0:
            for _, seg_days, signature in month.segments:
                counts = self._own_counts(index, seg_days) if own else self._counts(base_rpd, g, seg_days)
                cost = sum(map(mul, counts, self._totals_of(signature)), cost)
        if self.training:
            cost += self.training
        return cost

    def total(self) -> Decimal:
        """`projection().total`, without building the rows when they are not built yet (the plan must price)."""
        if self._projection is not None:
            return self._projection.total
        return sum((self.month_cost(i) for i in range(len(self.calendar))), ZERO)


def project(catalog: Catalog, inputs: PlanInputs, *, recompute: Recompute | None = None) -> Projection:
    """The monthly spend of the plan. Errors (unknown model, no price) are returned, not raised.

    `recompute` shares priced slices and finished projections with the other parts of one
    recompute (see `Recompute`); without it the projection stands alone.
    """
    return (recompute or Recompute(catalog)).project(inputs)


def _monthly_training_cost(inputs: PlanInputs, ctx) -> Decimal:
    lever = inputs.levers.distillation
    if not (lever.enabled and lever.student_model_id):
        return ZERO
    student = ctx.model(lever.student_model_id)
    one_time = lever.one_time_cost(student.fine_tune_training_per_mtok)
    if one_time is None:
        raise PlanError(f"no price: {student.id} has no fine-tuning training price; "
                        "enter the training cost in dollars instead")
    return one_time / inputs.workload.horizon_months


def with_levers(inputs: PlanInputs, levers: Levers) -> PlanInputs:
    return replace(inputs, levers=levers)


def max_requests_per_day(catalog: Catalog, inputs: PlanInputs, *, recompute: Recompute | None = None) -> int | None:
    """The largest total requests/day (month 1) that keeps every month at or under the cap.

    Monthly cost is affine in traffic (a per-request part plus fixed training amortization), so
    the bound is solved in closed form, then confirmed exactly at R and R+1 (see `_Fits`).
    Returns None without a budget or when nothing can be afforded.
    """
    budget = inputs.workload.budget_per_month
    if budget is None:
        return None
    total_rpd = sum(prompt_requests_per_day(inputs.prompts, inputs.workload).values(), ZERO)
    if total_rpd <= 0:
        return None
    traffic = (recompute or Recompute(catalog)).traffic(inputs)
    base = traffic.projection()
    if not base.ok:
        return None
    fits = _Fits(traffic, base, inputs, total_rpd, budget)
    fixed = traffic.training
    bounds = []
    for row in base.months:
        variable_per_rpd = (row.cost - fixed) / total_rpd
        if variable_per_rpd > 0:
            bounds.append((budget - fixed) / variable_per_rpd)
    if not bounds:
        return None
    guess = int(max(min(bounds), ZERO).to_integral_value(rounding=ROUND_FLOOR))
    guess = min(guess, _largest_valid_rpd(inputs.workload, total_rpd, guess))
    while guess > 0 and not fits(guess):
        guess -= 1
    while fits(guess + 1):
        guess += 1
    if guess == 0 and not fits(0):
        return None
    return guess


def _largest_valid_rpd(workload: Workload, total_rpd: Decimal, above: int) -> int:
    """The largest R ≤ `above` whose scaled workload passes validation (requests/day at most
    MAX_REQUESTS_PER_DAY). Every larger R fails to fit, so the solve starts its walk here instead
    of stepping down one request at a time from a cap worth more than the limit allows."""
    def valid(rpd: int) -> bool:
        return not _scaled_workload(workload, Decimal(rpd) / total_rpd).validate()

    if workload.requests_per_day <= 0 or valid(above):
        return above
    rpd = int(min(Decimal(above), MAX_REQUESTS_PER_DAY * total_rpd / workload.requests_per_day)
              .to_integral_value(rounding=ROUND_FLOOR))
    while rpd > 0 and not valid(rpd):
        rpd -= 1
    while rpd < above and valid(rpd + 1):
        rpd += 1
    return rpd


def _scaled_workload(workload: Workload, factor: Decimal) -> Workload:
    return replace(workload, requests_per_day=workload.requests_per_day * factor)


class _Fits:
    """Whether the plan scaled to R requests/day stays within the cap every month, exactly as its
    projection would say, mostly without projecting it.

    Scaling traffic by f = R / today's requests/day changes no per-request cost, so in exact
    arithmetic each month's spend is f × (today's spend − fixed) + fixed. The projection rounds
    each of its operations to the context's precision, so its figure and that line differ by less
    than a relative (terms + 32) × 10^(1 − precision), which `margin` bounds with room to spare.
    Months farther than that from the cap are decided by the line; a month within it (a cap hit
    to the last digits) gets its exact spend from the plan's priced slices. The bound needs every
    term to be ≥ 0 (no cancellation): a plan with a negative price is checked month by month.
    """

    def __init__(self, traffic: Traffic, base: Projection, inputs: PlanInputs, total_rpd: Decimal,
                 budget: Decimal) -> None:
        self.traffic, self.base, self.inputs = traffic, base, inputs
        self.total_rpd, self.budget = total_rpd, budget
        terms = len(traffic.slices) * max(len(m.segments) for m in traffic.calendar)
        self.relative_error = Decimal(8 * (terms + 32)).scaleb(1 - getcontext().prec)
        self.signed = traffic.training < 0 or any(
            total < 0 for signature in traffic._signatures() for total in traffic._totals_of(signature))

    def __call__(self, rpd: int) -> bool:
        inputs, traffic, budget = self.inputs, self.traffic, self.budget
        factor = Decimal(rpd) / self.total_rpd
        workload = _scaled_workload(inputs.workload, factor)
        if workload.validate():
            return False
        fixed = traffic.training
        if factor == 0:  # no request is priced at all: every month is its fixed part
            return fixed <= budget
        unsure = []
        for i, row in enumerate(self.base.months):
            if self.signed:
                unsure.append(i)
                continue
            line = factor * (row.cost - fixed) + fixed
            margin = self.relative_error * (abs(line) + abs(budget) + factor * abs(row.cost) + abs(fixed))
            if line - margin > budget:
                return False
            if line + margin > budget:
                unsure.append(i)
        if not unsure:
            return True
        prompts = tuple(replace(p, requests_per_day=None if p.requests_per_day is None
                                else p.requests_per_day * factor) for p in inputs.prompts)
        scaled_rpd = prompt_requests_per_day(prompts, workload)
        return all(traffic.month_cost(i, base_rpd=scaled_rpd) <= budget for i in unsure)
