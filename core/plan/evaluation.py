"""One call that turns a scenario into every result the CLI, charts and headline cards show."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from core.base import Problem
from core.plan.analysis import SensitivityBar, Waterfall, sensitivity, waterfall
from core.prices import Catalog, stale_models, staleness_warning
from core.plan.projection import Projection, Recompute, max_requests_per_day, with_levers
from core.plan.scenario import Scenario
from core.plan.workload import TokenTable, count_prompts



@dataclass(frozen=True)
class PlanResult:
    scenario: Scenario
    projection: Projection  # primary model with the enabled levers
    baseline: Projection  # primary model, no levers
    comparisons: dict[str, Projection]  # model id -> that model as primary, same levers
    waterfall: Waterfall
    sensitivity: tuple[SensitivityBar, ...]
    max_requests_per_day: int | None
    tokens: TokenTable
    stale_prices: tuple[tuple[str, date, int], ...] = ()  # (model id, checked, age in days)
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def errors(self) -> tuple[str, ...]:
        return self.projection.errors

    @property
    def problems(self) -> tuple[Problem, ...]:
        """Everything worth telling the user about this plan, as Problems: the CLI prints them, the app lists them."""
        seen = dict.fromkeys(self.projection.problems)
        seen.update(dict.fromkeys(Problem("", None, "", note, "warning") for note in self.notes))
        return tuple(seen)

    @property
    def saving_pct(self) -> Decimal:
        return self.waterfall.saving_pct


def tokenizers_for(scenario: Scenario, catalog: Catalog) -> set[str]:
    return {m.tokenizer for mid in scenario.model_ids() if (m := catalog.get(mid)) is not None}


def count_scenario(scenario: Scenario, catalog: Catalog, counter=None) -> TokenTable:
    """The slow part (tokenizing): run it off the UI thread and pass the table to `evaluate`."""
    return count_prompts(scenario.prompts, tokenizers_for(scenario, catalog), counter)


def used_models(scenario: Scenario, catalog: Catalog):
    return [m for mid in scenario.model_ids() if (m := catalog.get(mid)) is not None]


def calibration_factors() -> dict[str, Decimal]:
    """The user's per-model count corrections (an unreadable file means none), as Decimals."""
    from core.prices import calibration

    stored, _errors = calibration.load()
    return {mid: Decimal(c.billed_tokens) / Decimal(c.estimate_tokens)
            for mid, c in stored.items() if c.estimate_tokens > 0}


def evaluate(scenario: Scenario, catalog: Catalog, tokens: TokenTable, *,
             with_sensitivity: bool = True, today: date | None = None,
             token_factors: dict[str, Decimal] | None = None) -> PlanResult:
    """Pure: projection, baseline, comparisons, waterfall, sensitivity and the inverse solve.

    `token_factors` calibrates estimated counts per model (see `calibration_factors`).
    """
    inputs = scenario.plan_inputs(tokens, token_factors=token_factors)
    rc = Recompute(catalog)  # this call's shared work; a worker thread's call never sees another's
    projection = rc.project(inputs)
    baseline = rc.project(with_levers(inputs, inputs.levers.only(())))
    comparisons = {mid: rc.project(scenario.plan_inputs(tokens, primary=mid, token_factors=token_factors))
                   for mid in scenario.comparison_models if mid != scenario.primary_model}
    falls = waterfall(catalog, inputs, recompute=rc)
    bars = sensitivity(catalog, inputs, recompute=rc) if with_sensitivity and projection.ok else ()
    best = max_requests_per_day(catalog, inputs, recompute=rc) if projection.ok else None
    today = today or date.today()
    stale = tuple(stale_models(used_models(scenario, catalog), today))
    warning = staleness_warning(used_models(scenario, catalog), today)
    notes = (warning,) if warning else ()
    return PlanResult(scenario, projection, baseline, comparisons, falls, bars, best, tokens, stale, notes)
