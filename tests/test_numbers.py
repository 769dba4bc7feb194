"""Money is Decimal from the catalog's YAML strings to the digits printed; rounding happens only at display.

Complements tests/test_invariants.py (pricing of one request) and tests/test_projection.py (months):
the same invariants with every lever switched on, and through the command line's JSON.
"""
from __future__ import annotations

import ast
import io
import json
import re
from contextlib import redirect_stdout
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings, strategies as st
from tests.profiles import examples

from core.prices.catalog import load_catalog
from cli import run
from core.plan.levers import BatchLever, CachingLever, Levers, OutputTrimLever, RoutingLever
from core.plan.projection import PlanInputs, project
from core.plan.workload import PromptSpec, Workload, count_prompts

ROOT = Path(__file__).resolve().parents[1]
CATALOG, _ = load_catalog(user=False)
RAW = {m["id"]: m for m in yaml.safe_load((ROOT / "resources" / "models.yaml").read_text(encoding="utf-8"))["models"]}
DAY = date(2026, 11, 26)
PROPERTY = settings(max_examples=examples(300), deadline=None, suppress_health_check=list(HealthCheck))
MONEY_PATH = ("prices/pricing.py", "plan/projection.py", "plan/levers.py", "plan/workload.py", "plan/evaluation.py",
              "plan/slice_costs.py", "plan/billing.py", "plan/report.py",
              "plan/analysis.py", "prices/catalog.py")
PLAIN_DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")  # no exponent, no float artefacts


def _cli_json(*args: str):
    out = io.StringIO()
    with redirect_stdout(out):
        assert run(list(args)) == 0
    return json.loads(out.getvalue())


def test_no_float_and_no_rounding_on_the_money_path():
    """No float() call, float literal, round() or quantize in the modules money passes through.

    Display rounding happens only in core/base/formatting.py, which is not on the money path.
    """
    found = []
    for name in MONEY_PATH:
        tree = ast.parse((ROOT / "core" / name).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, float):
                found.append(f"{name}:{node.lineno}: float literal {node.value!r}")
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("float", "round"):
                found.append(f"{name}:{node.lineno}: {node.func.id}()")
            if isinstance(node, ast.Attribute) and node.attr == "quantize":
                found.append(f"{name}:{node.lineno}: quantize outside the display formatter")
    assert found == []


# Models whose price today is the one written in models.yaml (no dated change), priced below any tier.
PLAIN = sorted(m.id for m in CATALOG if not m.change_dates() and "changes" not in RAW[m.id])


@PROPERTY
@given(st.sampled_from(PLAIN), st.integers(0, 150_000), st.integers(0, 100_000))
def test_cli_cost_is_the_catalog_strings_times_the_tokens_exactly(model_id, prompt, output):
    raw = RAW[model_id]["prices"]
    tier = RAW[model_id].get("long_context")
    if tier and prompt >= int(tier["threshold"]):
        prompt = int(tier["threshold"]) - 1
    got = _cli_json("cost", "--model", model_id, "--input", str(prompt), "--output", str(output),
                    "--date", DAY.isoformat(), "--json")
    expected = (D(prompt) * D(str(raw["input"])) + D(output) * D(str(raw["output"]))) / 10**6
    assert D(got["total"]) == expected
    assert PLAIN_DECIMAL.match(got["total"]) and all(PLAIN_DECIMAL.match(line["cost"]) for line in got["lines"])
    for line in got["lines"]:  # each rate is the catalog's string, each cost tokens × rate / 1M exactly
        assert D(line["rate_per_mtok"]) == D(str(raw[line["token_type"]]))
        assert D(line["cost"]) == D(line["tokens"]) * D(line["rate_per_mtok"]) / 10**6
    assert sum((D(line["cost"]) for line in got["lines"]), D(0)) == D(got["total"])


def test_demo_json_carries_the_engines_exact_decimals():
    from core.plan.evaluation import count_scenario, evaluate
    from core.plan.scenario import load_demo

    got = _cli_json("demo", "--json")
    scenario = load_demo()
    catalog, _ = load_catalog()
    result = evaluate(scenario, catalog, count_scenario(scenario, catalog))
    assert [D(m["cost"]) for m in got["months"]] == [m.cost for m in result.projection.months]
    assert D(got["total"]) == result.projection.total == sum((D(m["cost"]) for m in got["months"]), D(0))
    for month in got["months"]:
        # Shares and compound growth are not finite decimals: Decimal carries them to 28 significant
        # digits, so parts and total may differ in the 24th decimal place of a dollar, no more.
        parts = sum((D(v) for v in month["by_token_type"].values()), D(0))
        assert D(month["cost"]) >= 0 and abs(parts - D(month["cost"])) <= D("1e-20")
    money = [got["total"], got["baseline_total"], got["waterfall"]["baseline"], got["waterfall"]["optimized"]]
    money += [m["cost"] for m in got["months"]] + [s["saving"] for s in got["waterfall"]["steps"]]
    assert all(isinstance(v, str) and PLAIN_DECIMAL.match(v) for v in money), money
    # The waterfall's steps add up to its two ends exactly: nothing was rounded on the way.
    w = got["waterfall"]
    assert D(w["baseline"]) - sum((D(s["saving"]) for s in w["steps"]), D(0)) == D(w["optimized"])


# --- projections with every lever ----------------------------------------------------------------

API = ["gpt-5", "claude-sonnet-4-6", "gemini-3.1-pro-preview"]
fractions = st.integers(0, 100).map(lambda n: D(n) / 100)


def _plan(model, rpd, growth, horizon, prompt_tokens, output, levers):
    prompts = (PromptSpec("system+user", fixed_tokens=prompt_tokens, output_tokens=output),)
    table = count_prompts(prompts, {m.tokenizer for m in CATALOG}, counter=lambda text, tok: len(text))
    workload = Workload(D(rpd), D(growth), horizon, date(2027, 1, 1), None)
    return PlanInputs(prompts, model, levers, workload, table)


levers = st.builds(
    Levers,
    caching=st.builds(CachingLever, enabled=st.booleans(), hit_rate=fractions, ttl=st.sampled_from(["5m", "1h"]),
                      prefix_share=fractions),
    batch=st.builds(BatchLever, enabled=st.booleans(), share=fractions),
    routing=st.builds(RoutingLever, enabled=st.booleans(), model_id=st.sampled_from(["gpt-5-mini", "gemini-3.1-flash-lite"]),
                      share=fractions, cascade=st.booleans(), escalation_rate=fractions),
    output_trim=st.builds(OutputTrimLever, enabled=st.booleans(), cap_tokens=st.none() | st.integers(0, 5_000),
                          reduce_pct=st.integers(0, 100).map(D)),
)


@PROPERTY
@given(st.sampled_from(API), st.integers(1, 50_000), st.integers(1, 50_000), st.integers(-50, 100),
       st.integers(1, 36), st.integers(0, 400_000), st.integers(0, 20_000), levers)
def test_spend_is_never_negative_and_monotonic_in_traffic_with_any_levers(model, rpd, extra, growth, horizon,
                                                                         prompt_tokens, output, lv):
    low = project(CATALOG, _plan(model, rpd, growth, horizon, prompt_tokens, output, lv))
    high = project(CATALOG, _plan(model, rpd + extra, growth, horizon, prompt_tokens, output, lv))
    if not low.ok:  # e.g. a routed model without a batch price: an explicit error, never $0
        assert low.errors and not high.ok
        return
    assert all(isinstance(m.cost, D) and D(0) <= m.cost <= n.cost for m, n in zip(low.months, high.months))
    assert all(v >= 0 for m in low.months for v in m.by_token_type.values())
    assert low.total == sum((m.cost for m in low.months), D(0))


@PROPERTY
@given(st.sampled_from(API), st.integers(1, 50_000), st.integers(1, 36), st.integers(0, 20_000), levers)
def test_more_output_never_costs_less(model, rpd, horizon, output, lv):
    base = project(CATALOG, _plan(model, rpd, 0, horizon, 10_000, output, lv))
    more = project(CATALOG, _plan(model, rpd, 0, horizon, 10_000, output + 500, lv))
    if base.ok:
        assert all(a.cost <= b.cost for a, b in zip(base.months, more.months))


def test_long_context_cliff_is_exact_at_the_threshold_in_a_projection():
    model = CATALOG.get("gemini-3.1-pro-preview")
    tier = model.period_on(DAY).long_context
    at = project(CATALOG, _plan(model.id, 1, 0, 1, tier.threshold_tokens, 0, Levers()))
    above = project(CATALOG, _plan(model.id, 1, 0, 1, tier.threshold_tokens + 1, 0, Levers()))
    days = at.months[0].days
    rates = model.rates_on(date(2027, 1, 1))
    assert at.months[0].cost == days * D(tier.threshold_tokens) * rates.input_per_mtok / 10**6
    assert above.months[0].cost == days * D(tier.threshold_tokens + 1) * tier.rates.input_per_mtok / 10**6


def test_tiny_amounts_are_written_in_plain_notation():
    """str(Decimal) writes $0.0000009 as "9E-7"; the JSON, the CSV and the text must not."""
    got = _cli_json("cost", "--model", "codestral-2508", "--input", "0", "--output", "1", "--date",
                    DAY.isoformat(), "--json")
    assert got["total"] == "0.0000009" and all(PLAIN_DECIMAL.match(line["cost"]) for line in got["lines"])
    out = io.StringIO()
    with redirect_stdout(out):
        assert run(["cost", "--model", "codestral-2508", "--input", "0", "--output", "1"]) == 0
    assert "(exact: $0.0000009)" in out.getvalue()
