"""Projection, levers, waterfall, sensitivity and the inverse budget solve, checked by hand."""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal as D
from pathlib import Path

from hypothesis import given, settings, strategies as st
from tests.profiles import examples

from core.plan.analysis import sensitivity, waterfall
from core.prices.catalog import load_catalog_file
from core.plan.levers import (BatchLever, CachingLever, DistillationLever, Levers, OutputTrimLever,
                         RoutingLever)
from core.plan.projection import PlanInputs, max_requests_per_day, project
from core.plan.workload import PromptSpec, Workload, common_prefix, count_prompts

CATALOG, _ = load_catalog_file(Path(__file__).parent / "fixtures" / "mini_catalog.yaml")


def plan(model="gemini-3.1-pro-preview", tokens=50_000, output=2_000, rpd=100, growth=0,
         start=date(2027, 2, 1), horizon=2, budget=None, levers=Levers(), prompts=None):
    prompts = prompts or (PromptSpec("p", fixed_tokens=tokens, output_tokens=output),)
    tokenizers = {m.tokenizer for m in CATALOG}
    table = count_prompts(prompts, tokenizers, counter=lambda text, tok: len(text))
    workload = Workload(D(rpd), D(growth), horizon, start, None if budget is None else D(budget))
    return PlanInputs(tuple(prompts), model, levers, workload, table)


def test_real_month_lengths_and_seed_price():
    result = project(CATALOG, plan())
    assert [m.days for m in result.months] == [28, 31]
    assert [m.cost for m in result.months] == [D("347.2"), D("384.4")]  # 100 x days x $0.124
    assert result.months[0].by_token_type["input"] == D("280") and result.months[0].by_token_type["output"] == D("67.2")


def test_compounding_growth():
    result = project(CATALOG, plan(growth=10, horizon=3, start=date(2027, 3, 1)))
    # Mar 31d, Apr 30d x 1.1, May 31d x 1.21
    assert [m.cost for m in result.months] == [D("384.4"), D("409.2"), D("465.124")]


def test_scheduled_change_applies_from_its_month():
    result = project(CATALOG, plan("gemini-3.6-flash", 10_000, 1_000, 1000, start=date(2026, 12, 1)))
    assert [m.cost for m in result.months] == [D("348.75"), D("697.5")]
    assert result.price_dates == (date(2027, 1, 1),)


def test_change_inside_a_month_splits_by_day():
    result = project(CATALOG, plan("gpt-5.6-terra", 100_000, 10_000, 10, start=date(2026, 7, 1), horizon=1))
    assert result.months[0].cost == D("122.4")  # 29 days at $0.40 + 2 days at $0.32


def test_caching_expected_cost_and_write_premium():
    caching = CachingLever(enabled=True, hit_rate=D("0.75"), ttl="5m", prefix_share=D("0.9"))
    result = project(CATALOG, plan("claude-sonnet-4-6", start=date(2026, 4, 1), horizon=1,
                                   levers=Levers(caching=caching)))
    assert result.months[0].cost == D("291.9375")  # 30 x 100 x (0.75 x 0.0585 + 0.25 x 0.21375)


def test_caching_can_lose_money_and_waterfall_shows_it():
    caching = CachingLever(enabled=True, hit_rate=D("0.1"), prefix_share=D("0.9"))
    result = waterfall(CATALOG, plan("claude-sonnet-4-6", start=date(2026, 4, 1), horizon=1,
                                     levers=Levers(caching=caching)))
    assert result.steps[0].saving == D(3000) * (D("0.18") - D("0.198225"))
    assert result.steps[0].saving < 0


def test_minimum_cacheable_prefix_blocks_caching():
    caching = CachingLever(enabled=True, hit_rate=D("0.9"), prefix_share=D("0.5"))
    result = project(CATALOG, plan("gemini-3.1-flash-lite", tokens=1_500, output=0, levers=Levers(caching=caching)))
    base = project(CATALOG, plan("gemini-3.1-flash-lite", tokens=1_500, output=0))
    assert result.total == base.total
    assert any("minimum cacheable prefix" in w for w in result.warnings)


def test_routing_cascade_pays_both_models():
    routing = RoutingLever(enabled=True, model_id="gemini-3.1-flash-lite", share=D("0.4"),
                           cascade=True, escalation_rate=D("0.25"))
    result = project(CATALOG, plan(horizon=1, levers=Levers(routing=routing)))
    assert result.months[0].cost == D("2800") * D("0.093")
    assert result.months[0].by_model["gemini-3.1-flash-lite"] == D("2800") * D("0.4") * D("0.0155")


def test_batch_share_halves_its_part():
    result = project(CATALOG, plan(horizon=1, levers=Levers(batch=BatchLever(enabled=True, share=D("0.5")))))
    assert result.months[0].cost == D("2800") * D("0.124") * D("0.75")


def test_distillation_amortizes_training_over_the_horizon():
    lever = DistillationLever(enabled=True, student_model_id="gemini-3.6-flash", share=D("0.5"),
                              training_tokens=10_000_000)
    result = project(CATALOG, plan(start=date(2027, 2, 1), levers=Levers(distillation=lever)))
    student = D(50_000) * D("1.50") / 10**6 + D(2_000) * D("7.50") / 10**6  # list price from 2027-01
    first = D(2800) * (D("0.5") * D("0.124") + D("0.5") * student) + D(25)
    assert result.months[0].cost == first
    assert result.months[0].by_token_type["training"] == D(25)


def test_output_trimming_caps_then_cuts():
    lever = OutputTrimLever(enabled=True, cap_tokens=1_000, reduce_pct=D(10))
    result = project(CATALOG, plan(horizon=1, levers=Levers(output_trim=lever)))
    assert result.months[0].by_token_type["output"] == D(2800) * 900 * D(12) / 10**6


def test_unknown_model_is_an_error_not_zero():
    result = project(CATALOG, plan("no-such-model"))
    assert not result.ok and "unknown model 'no-such-model'" in result.errors[0]


def test_waterfall_steps_sum_exactly_to_the_difference():
    levers = Levers(
        caching=CachingLever(enabled=True, hit_rate=D("0.8"), prefix_share=D("0.9")),
        batch=BatchLever(enabled=True, share=D("0.3")),
        routing=RoutingLever(enabled=True, model_id="gemini-3.1-flash-lite", share=D("0.4"),
                             cascade=True, escalation_rate=D("0.1")),
        output_trim=OutputTrimLever(enabled=True, cap_tokens=None, reduce_pct=D(15)),
    )
    result = waterfall(CATALOG, plan(horizon=6, growth=5, levers=levers))
    assert len(result.steps) == 4
    assert sum(s.saving for s in result.steps) == result.baseline - result.optimized
    assert result.optimized == project(CATALOG, plan(horizon=6, growth=5, levers=levers)).total


def test_budget_breach_and_headroom():
    result = project(CATALOG, plan(budget=360))
    assert result.first_breach.month == date(2027, 3, 1)
    assert result.months[0].headroom == D("12.8") and result.min_headroom == D("-24.4")


def test_inverse_solve_exact_to_one_request():
    inputs = plan(rpd=100, budget=1000, start=date(2027, 2, 1))
    best = max_requests_per_day(CATALOG, inputs)
    assert best == 260  # 260 x 31 x 0.124 = 999.44; 261 x 31 x 0.124 = 1003.28


def test_inverse_solve_with_growth_and_training():
    lever = DistillationLever(enabled=True, student_model_id="gemini-3.6-flash", share=D("0.2"),
                              training_cost=D(100))
    inputs = plan(rpd=50, growth=7, horizon=6, budget=2500, levers=Levers(distillation=lever))
    best = max_requests_per_day(CATALOG, inputs)

    def worst(rpd):
        return max(m.cost for m in project(CATALOG, replace(inputs, workload=replace(inputs.workload, requests_per_day=D(rpd)))).months)
    assert worst(best) <= 2500 < worst(best + 1)


def test_sensitivity_sorted_by_impact():
    bars = sensitivity(CATALOG, plan(horizon=3, growth=10))
    impacts = [b.impact for b in bars]
    assert impacts == sorted(impacts, reverse=True)
    rpd = next(b for b in bars if b.input == "requests/day")
    assert rpd.high_cost == rpd.base_cost * D("1.2") and rpd.low_cost == rpd.base_cost * D("0.8")


def test_common_prefix_cut_at_a_boundary():
    assert common_prefix(["You are Nova. Answer: hi", "You are Nova. Answer: bye"]) == "You are Nova. Answer: "
    assert common_prefix(["abc", "abd"]) == ""
    assert common_prefix(["same", "same"]) == "same"


@settings(max_examples=examples(200), deadline=None)
@given(st.integers(1, 10_000), st.integers(1, 10_000), st.integers(0, 30), st.integers(1, 36))
def test_spend_is_monotonic_in_traffic(rpd, extra, growth, horizon):
    low = project(CATALOG, plan(rpd=rpd, growth=growth, horizon=horizon))
    high = project(CATALOG, plan(rpd=rpd + extra, growth=growth, horizon=horizon))
    assert all(D(0) <= a.cost <= b.cost for a, b in zip(low.months, high.months))


def test_calibration_scales_estimated_counts_only():
    prompts = (PromptSpec("p", text="x" * 40_000, output_tokens=0),)
    base = plan("gemini-3.1-pro-preview", prompts=prompts, horizon=1)
    calibrated = replace(base, token_factors={"gemini-3.1-pro-preview": D("1.1"), "gpt-5": D("2")})
    # the fake counter counts characters: 40,000 tokens, x1.1 = 44,000 at $2/1M, 28 days x 100
    assert project(CATALOG, calibrated).months[0].cost == D(2800) * D(44_000) * 2 / 10**6
    exact = replace(calibrated, primary_model="gpt-5")
    assert project(CATALOG, exact).total == project(CATALOG, replace(base, primary_model="gpt-5")).total
