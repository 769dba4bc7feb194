"""Worked examples computed by hand from the providers' published rules (prices-2026.md)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st
from tests.profiles import examples

from core.prices.catalog import load_catalog_file
from core.prices.pricing import InvalidUsage, NoPrice, ServiceTier, Usage, price_request

CATALOG, ERRORS = load_catalog_file(Path(__file__).parent / "fixtures" / "mini_catalog.yaml")
DAY = date(2026, 11, 26)


def model(mid):
    return CATALOG.get(mid)


def test_fixture_loads_cleanly():
    assert ERRORS == []
    assert len(CATALOG) == 7


def test_seed_example_gemini_31_pro():
    cost = price_request(model("gemini-3.1-pro-preview"), Usage(50_000, 2_000), on=DAY)
    assert cost.total == D("0.124")
    assert cost.cost_of("input") == D("0.1") and cost.cost_of("output") == D("0.024")
    assert not cost.long_context


def test_gemini_long_context_moves_whole_request():
    cost = price_request(model("gemini-3.1-pro-preview"), Usage(250_000, 2_000), on=DAY)
    assert cost.long_context
    assert cost.total == D("1.036")  # 250k x $4 + 2k x $18, not the marginal $0.624


def test_gemini_threshold_itself_stays_at_base_rate():
    at = price_request(model("gemini-3.1-pro-preview"), Usage(200_000, 0), on=DAY)
    above = price_request(model("gemini-3.1-pro-preview"), Usage(200_001, 0), on=DAY)
    assert at.total == D("0.4") and not at.long_context
    assert above.long_context and above.total == D("200001") * 4 / 1_000_000


def test_gemini_cached_tokens_count_toward_threshold():
    cost = price_request(model("gemini-3.1-pro-preview"),
                         Usage(250_000, 0, cache_read_tokens=100_000), on=DAY)
    assert cost.long_context
    assert cost.total == D("150000") * 4 / 10**6 + D("100000") * D("0.40") / 10**6


def test_gemini_implicit_cache_hit_variation():
    cost = price_request(model("gemini-3.1-pro-preview"),
                         Usage(50_000, 2_000, cache_read_tokens=40_000), on=DAY)
    assert cost.total == D("0.052")


def test_gemini_batch_and_priority():
    m = model("gemini-3.1-pro-preview")
    assert price_request(m, Usage(50_000, 2_000), tier="batch", on=DAY).total == D("0.062")
    assert price_request(m, Usage(50_000, 2_000), tier=ServiceTier.PRIORITY, on=DAY).total == D("0.2232")


def test_anthropic_cache_write_5m_first_call():
    cost = price_request(model("claude-sonnet-4-6"),
                         Usage(50_000, 2_000, cache_write_5m_tokens=45_000), on=DAY)
    assert cost.total == D("0.21375")  # 45k x 3.75 + 5k x 3 + 2k x 15


def test_anthropic_cache_write_1h():
    cost = price_request(model("claude-sonnet-4-6"),
                         Usage(50_000, 2_000, cache_write_1h_tokens=45_000), on=DAY)
    assert cost.total == D("0.27") + D("0.015") + D("0.030")  # 45k x $6 = 0.27


def test_anthropic_cache_read_and_batch_stacks():
    usage = Usage(50_000, 2_000, cache_read_tokens=45_000)
    m = model("claude-sonnet-4-6")
    assert price_request(m, usage, on=DAY).total == D("0.0585")
    assert price_request(m, usage, tier="batch", on=DAY).total == D("0.02925")


def test_openai_cached_input_gpt5():
    cost = price_request(model("gpt-5"), Usage(10_000, 1_000, cache_read_tokens=8_000), on=DAY)
    # 2k x 1.25 + 8k x 0.125 + 1k x 10 = 0.0025 + 0.001 + 0.01
    assert cost.total == D("0.0135")


def test_batch_without_cache_stacking_bills_cached_as_input():
    usage = Usage(10_000, 1_000, cache_read_tokens=8_000)
    cost = price_request(model("gpt-5"), usage, tier="batch", on=DAY)
    assert cost.total == (D("10000") * D("1.25") + D("1000") * 10) / 10**6 / 2


def test_reasoning_tokens_billed_as_output():
    cost = price_request(model("gpt-5"), Usage(1_000, 500, reasoning_tokens=3_000), on=DAY)
    assert cost.cost_of("reasoning") == D("0.03")
    assert cost.total == D("0.00125") + D("0.005") + D("0.03")


def test_scheduled_change_each_side_of_its_date():
    m = model("gpt-5.6-terra")
    usage = Usage(100_000, 10_000)
    before = price_request(m, usage, on=date(2026, 7, 29))
    after = price_request(m, usage, on=date(2026, 7, 30))
    assert before.total == D("0.25") + D("0.15")
    assert after.total == D("0.2") + D("0.12")
    assert after.period_effective == date(2026, 7, 30)


def test_tier_removed_by_dated_change():
    m = model("claude-sonnet-4-6")
    usage = Usage(300_000, 1_000)
    assert price_request(m, usage, on=date(2026, 3, 12)).long_context
    after = price_request(m, usage, on=date(2026, 3, 13))
    assert not after.long_context and after.total == D("0.9") + D("0.015")


def test_openai_long_context_tier_with_cache_write():
    m = model("gpt-5.6-terra")
    cost = price_request(m, Usage(300_000, 1_000, cache_write_5m_tokens=100_000), on=DAY)
    assert cost.long_context
    assert cost.total == D("200000") * 4 / 10**6 + D("100000") * 5 / 10**6 + D("1000") * 18 / 10**6


def test_no_cached_price_is_an_error_not_zero():
    with pytest.raises(NoPrice, match="mistral-large-3 has no cached input price"):
        price_request(model("mistral-large-3"), Usage(5_000, 100, cache_read_tokens=1_000), on=DAY)


def test_no_batch_api_is_an_error():
    with pytest.raises(NoPrice, match="batch"):
        price_request(model("mistral-large-3"), Usage(5_000, 100), tier="batch", on=DAY)


def test_parts_exceeding_input_are_refused():
    with pytest.raises(InvalidUsage):
        price_request(model("gpt-5"), Usage(1_000, 0, cache_read_tokens=2_000), on=DAY)
    with pytest.raises(InvalidUsage):
        price_request(model("gpt-5"), Usage(-1, 0), on=DAY)


@settings(max_examples=examples(300), deadline=None)
@given(st.integers(0, 2_000_000), st.integers(0, 2_000_000), st.integers(0, 100_000),
       st.sampled_from(["gemini-3.1-pro-preview", "claude-sonnet-4-6", "gpt-5", "gpt-5.6-terra"]))
def test_cost_monotonic_in_output_and_never_negative(prompt, out, extra, mid):
    m = model(mid)
    low = price_request(m, Usage(prompt, out), on=DAY)
    high = price_request(m, Usage(prompt, out + extra), on=DAY)
    assert D(0) <= low.total <= high.total
    assert sum(line.cost for line in low.lines) == low.total
