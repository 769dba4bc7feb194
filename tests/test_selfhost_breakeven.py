"""API vs self-hosting monthly cost: whole replicas, concurrency, the crossing volume, the chart curve."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.profiles import examples

from core.selfhost.breakeven import HOURS_PER_MONTH, break_even, monthly_selfhost_cost
from core.selfhost.hardware import load_hardware, load_open_models
from core.selfhost.roofline import Deployment, SelfHostError, busy_seconds, estimate

MODELS, _ = load_open_models()
HARDWARE, _ = load_hardware()
# Llama-3.1-8B FP8 on one H100 at $2.50/h, serving 256 concurrent chats of ~2k tokens
EST = estimate(Deployment("llama-3.1-8b", "h100", n_gpus=1, weight_quant="fp8", kv_dtype="fp8",
                          avg_context_tokens=2048, prompt_tokens=1024, batch=256,
                          usd_per_gpu_hour=Decimal("2.50"), utilization=Decimal("0.5")),
               MODELS, HARDWARE)
IN_PRICE, OUT_PRICE = Decimal("0.30"), Decimal("2.50")  # an API's $ per 1M input / output


def test_api_cost_is_exact_decimal_arithmetic():
    result = break_even(50_000_000, 10_000_000, 10, IN_PRICE, OUT_PRICE, EST)
    assert result.api_usd_per_month == Decimal("15.00") + Decimal("25.00")
    assert result.api_usd_at(60_000_000) == result.api_usd_per_month


def test_selfhost_rents_whole_replicas_around_the_clock():
    monthly = monthly_selfhost_cost(EST, 50_000_000, 10_000_000, 10)
    assert monthly.replicas == 1 and monthly.gpus == 1
    assert monthly.usd_per_month == Decimal("2.50") * HOURS_PER_MONTH  # $1,825
    # capacity: busy seconds per token of this mix, at 50% utilization
    seconds = busy_seconds(EST, 50 / 60, 10 / 60)
    expected = float(HOURS_PER_MONTH) * 3600 * 0.5 / seconds
    assert float(monthly.replica_tokens_per_month) == pytest.approx(expected)


def test_gpus_are_rounded_up_for_volume_and_for_concurrency():
    capacity = monthly_selfhost_cost(EST, 1, 1, 1).replica_tokens_per_month
    volume = int(capacity * Decimal("2.5"))
    by_volume = monthly_selfhost_cost(EST, volume // 2, volume - volume // 2, 1)
    assert by_volume.replicas_for_volume == 3 and by_volume.gpus == 3
    by_peak = monthly_selfhost_cost(EST, 1_000, 1_000, 257)  # 257 streams on batch-256 replicas
    assert by_peak.replicas_for_concurrency == 2 and by_peak.gpus == 2


def test_crossing_volume_is_where_selfhosting_stops_costing_more():
    result = break_even(50_000_000, 10_000_000, 10, IN_PRICE, OUT_PRICE, EST)
    assert result.savings_usd_per_month < 0  # 60M tokens/month: the API is far cheaper
    v = result.crossing_tokens_per_month
    assert v is not None
    assert result.selfhost_usd_at(v) <= result.api_usd_at(v)
    assert result.selfhost_usd_at(v - 1) > result.api_usd_at(v - 1)
    # R / a: one replica's rent over the blended API price per token
    blended = (50 * IN_PRICE + 10 * OUT_PRICE) / 60 / 1_000_000
    assert v == pytest.approx(float(Decimal("2.50") * HOURS_PER_MONTH / blended), rel=1e-9)


def test_cheaper_above_accounts_for_each_added_replica():
    result = break_even(50_000_000, 10_000_000, 10, IN_PRICE, OUT_PRICE, EST)
    above = result.cheaper_above_tokens_per_month
    assert above is not None and above >= result.crossing_tokens_per_month
    capacity = result.selfhost.replica_tokens_per_month
    for step in range(1, 200):  # every replica boundary after the threshold stays below the API
        v = int(above + capacity * step / 7)
        assert result.selfhost_usd_at(v) <= result.api_usd_at(v)


def test_no_crossing_when_the_api_is_cheaper_per_token_at_full_load():
    cheap_api = break_even(50_000_000, 10_000_000, 10, Decimal("0.01"), Decimal("0.02"), EST)
    assert cheap_api.crossing_tokens_per_month is None
    assert cheap_api.cheaper_above_tokens_per_month is None
    for volume in (10**6, 10**9, 10**12):
        assert cheap_api.selfhost_usd_at(volume) > cheap_api.api_usd_at(volume)


def test_curve_for_the_chart():
    result = break_even(50_000_000, 10_000_000, 10, IN_PRICE, OUT_PRICE, EST)
    volumes = [10**6, 10**8, 10**9, 10**10]
    points = result.curve(volumes)
    assert [p.tokens_per_month for p in points] == volumes
    assert all(isinstance(p.api_usd, Decimal) and isinstance(p.selfhost_usd, Decimal)
               for p in points)
    assert points[0].selfhost_usd == Decimal("2.50") * HOURS_PER_MONTH  # at least one replica
    assert [p.api_usd for p in points] == sorted(p.api_usd for p in points)


@pytest.mark.parametrize("args, message", [
    ((0, 0, 1), "positive number of input or output tokens"),
    ((-5, 10, 1), "positive number"),
    ((10, 10, 0), "peak concurrency"),
])
def test_invalid_workloads(args, message):
    with pytest.raises(SelfHostError, match=message):
        break_even(*args, IN_PRICE, OUT_PRICE, EST)


@settings(max_examples=examples(80), deadline=None)
@given(volume=st.integers(1, 10**12))
def test_first_crossing_is_the_first_volume_where_selfhosting_is_not_dearer(volume):
    result = break_even(50_000_000, 10_000_000, 10, IN_PRICE, OUT_PRICE, EST)
    if volume < result.crossing_tokens_per_month:
        assert result.selfhost_usd_at(volume) > result.api_usd_at(volume)
    if volume >= result.cheaper_above_tokens_per_month:
        assert result.selfhost_usd_at(volume) <= result.api_usd_at(volume)


def test_adding_a_replica_can_briefly_make_selfhosting_dearer_again():
    """API price 1.5× a full replica's cost per token: cheaper from R/a, dearer again just past
    one replica's capacity, and for good from 2·R/a (K* = ⌈1.5 / 0.5⌉ = 3 replicas)."""
    monthly = monthly_selfhost_cost(EST, 1_000, 1_000, 1)
    rent, capacity = monthly.replica_usd_per_month, monthly.replica_tokens_per_month
    price = Decimal("1.5") * rent / capacity * 1_000_000  # same $ per 1M for input and output
    result = break_even(1_000, 1_000, 1, price, price, EST)
    per_token = price / 1_000_000
    assert result.crossing_tokens_per_month == pytest.approx(float(rent / per_token), rel=1e-9)
    assert result.cheaper_above_tokens_per_month == pytest.approx(float(2 * rent / per_token),
                                                                  rel=1e-9)
    just_past_one = int(capacity) + 1_000
    assert result.selfhost_usd_at(just_past_one) > result.api_usd_at(just_past_one)
