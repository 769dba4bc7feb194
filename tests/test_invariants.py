"""Engine invariants over the real bundled catalog (property-based)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings, strategies as st
from tests.profiles import examples

from core.prices.catalog import load_catalog
from core.base.formatting import usd_price as format_usd
from core.prices.pricing import NoPrice, Usage, price_request

CATALOG, _ = load_catalog(user=False)
MODELS = sorted(m.id for m in CATALOG)
DAY = date(2026, 11, 26)
TIERED = [m for m in CATALOG if m.period_on(DAY).long_context is not None]


@pytest.mark.parametrize("model", TIERED, ids=lambda m: m.id)
def test_long_context_boundary_is_exact(model):
    tier = model.period_on(DAY).long_context
    last_base = tier.threshold_tokens - (1 if tier.inclusive else 0)
    below = price_request(model, Usage(last_base, 1000), on=DAY)
    above = price_request(model, Usage(last_base + 1, 1000), on=DAY)
    assert not below.long_context and above.long_context
    rates = model.rates_on(DAY)
    assert below.total == (Decimal(last_base) * rates.input_per_mtok + 1000 * rates.output_per_mtok) / 10**6
    assert above.total == (Decimal(last_base + 1) * tier.rates.input_per_mtok
                           + 1000 * tier.rates.output_per_mtok) / 10**6


def test_catalog_has_tiered_models():
    assert len(TIERED) >= 5


@settings(max_examples=examples(500), deadline=None)
@given(st.sampled_from(MODELS), st.integers(0, 3_000_000), st.integers(0, 200_000),
       st.floats(0, 1), st.integers(0, 50_000), st.sampled_from(["standard", "batch", "priority"]))
def test_costs_are_decimal_non_negative_and_monotonic(mid, prompt, output, cached_share, extra, tier):
    model = CATALOG.get(mid)
    cached = int(prompt * cached_share)
    usage = Usage(prompt, output, cache_read_tokens=cached)
    try:
        cost = price_request(model, usage, tier=tier, on=DAY)
    except NoPrice:
        return  # an explicit "no price", never a silent $0
    assert isinstance(cost.total, Decimal) and cost.total >= 0
    assert all(isinstance(line.cost, Decimal) and line.cost >= 0 for line in cost.lines)
    assert sum(line.cost for line in cost.lines) == cost.total
    more = price_request(model, Usage(prompt, output + extra, cache_read_tokens=cached), tier=tier, on=DAY)
    assert more.total >= cost.total


@settings(max_examples=examples(300), deadline=None)
@given(st.sampled_from(MODELS), st.integers(0, 100_000))
def test_caching_never_costs_more_than_uncached_reads(mid, prompt):
    model = CATALOG.get(mid)
    rates = model.rates_on(DAY)
    if rates.cached_input_per_mtok is None:
        return
    plain = price_request(model, Usage(prompt, 0), on=DAY).total
    cached = price_request(model, Usage(prompt, 0, cache_read_tokens=prompt), on=DAY).total
    assert cached <= plain


def test_rounding_happens_only_at_display():
    model = CATALOG.get("gemini-3.1-pro-preview")
    cost = price_request(model, Usage(1, 1), on=DAY)
    assert cost.total == Decimal("0.000014")  # $2 + $12 per million, kept exact
    assert format_usd(cost.total) == "$0.000014"
    assert format_usd(Decimal("1234.5678")) == "$1,234.57"
