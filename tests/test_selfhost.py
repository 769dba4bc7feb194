"""Roofline engine: memory fit, batch, decode/prefill speed, MoE, TP, cost, sanity checks, properties."""
from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from tests.profiles import examples

from core.selfhost.hardware import load_hardware, load_open_models
from core.selfhost.quant import QUANT_SCHEMES
from core.selfhost.roofline import (MAX_BATCH, Deployment, SelfHostError, check_claim, estimate,
                           experts_touched, throughput_curve, tp_efficiency, usd_per_mtok)

MODELS, _ = load_open_models()
HARDWARE, _ = load_hardware()


def run(**kwargs) -> object:
    kwargs.setdefault("model_id", "llama-3.1-8b")
    kwargs.setdefault("accelerator_id", "h100")
    return estimate(Deployment(**kwargs), MODELS, HARDWARE)


# --- MoE ---------------------------------------------------------------------------------------

def test_experts_touched_formula():
    """E_touched(B) = E·(1 − (1 − k/E)^B), inference-physics §4."""
    assert experts_touched(8, 2, 1) == pytest.approx(2)  # one token reads only its top-k
    assert experts_touched(8, 2, 2) == pytest.approx(8 * (1 - 0.75 ** 2))  # 3.5
    assert experts_touched(256, 8, 96) == pytest.approx(256 * (1 - (1 - 8 / 256) ** 96))
    # by B ≈ 3·E/k almost every expert is read
    assert experts_touched(256, 8, 3 * 256 // 8) > 0.95 * 256
    assert experts_touched(128, 8, 10_000) == pytest.approx(128)


def test_moe_reads_only_touched_experts_at_small_batch():
    one = run(model_id="mixtral-8x7b", n_gpus=2, batch=1, avg_context_tokens=128)
    many = run(model_id="mixtral-8x7b", n_gpus=2, batch=64, avg_context_tokens=128)
    assert one.experts_touched == pytest.approx(2)
    assert many.experts_touched == pytest.approx(8, rel=1e-6)
    # B=1 reads ~26 GB of 93 GB (§1.9): much faster than reading every expert
    dense_equivalent = HARDWARE["h100"].bandwidth_bytes_per_s * 2 / one.weight_bytes_total
    assert one.roofline_tokens_per_s > 3 * dense_equivalent
    assert one.roofline_tokens_per_s == pytest.approx(260, rel=0.05)  # §1.9: TP2 ideal 260 tok/s


# --- memory, GPUs, batch -----------------------------------------------------------------------

def test_weights_larger_than_memory_are_rejected_with_advice():
    """The bad page's 70B fp16 on one 80 GB H100."""
    with pytest.raises(SelfHostError, match=r"weights \(138 GB\) exceed one h100's 80 GB.*use "
                                            r"more GPUs or quantize"):
        run(model_id="llama-2-70b", n_gpus=1)


def test_no_room_for_kv_is_its_own_error():
    with pytest.raises(SelfHostError, match="leave no room for the KV cache within 72 GB usable"):
        run(model_id="llama-3.1-70b", weight_quant="fp8", n_gpus=1)  # 73 GB of an 80 GB card
    with pytest.raises(SelfHostError, match="less than the KV cache of one 131,072-token sequence"):
        run(accelerator_id="rtx-4090", n_gpus=1, avg_context_tokens=131_072)


def test_auto_gpu_count_is_the_fewest_power_of_two_that_fits():
    assert run(model_id="llama-3.1-70b").n_gpus == 2  # 141 GB bf16 over 80 GB cards
    # FP8 (73 GB with the bf16 embeddings) does not leave KV room in 72 GB usable of an H100
    assert run(model_id="llama-3.1-70b", weight_quant="fp8").n_gpus == 2
    assert run(model_id="llama-3.1-70b", accelerator_id="h200", weight_quant="fp8").n_gpus == 1
    big = run(model_id="deepseek-v3", weight_quant="fp8-block128")
    assert big.n_gpus == 16 and any("across nodes" in w for w in big.warnings)
    # a requested batch that needs more KV room adds GPUs
    assert run(model_id="llama-3.1-70b", accelerator_id="h200", weight_quant="fp8",
               batch=200).n_gpus == 2


def test_max_batch_follows_kv_capacity_and_kv_dtype():
    bf16 = run(weight_quant="fp8", kv_dtype="bf16", avg_context_tokens=4096)
    fp8 = run(weight_quant="fp8", kv_dtype="fp8", avg_context_tokens=4096)
    tq3 = run(weight_quant="fp8", kv_dtype="turboquant-3bit", avg_context_tokens=4096)
    budget = HARDWARE["h100"].memory_bytes * 0.9 - bf16.weight_bytes_total
    assert bf16.max_batch == int(budget // (131_072 * 4096))
    assert fp8.max_batch in (2 * bf16.max_batch, 2 * bf16.max_batch + 1)
    assert tq3.max_batch > 4.5 * bf16.max_batch
    assert any("GSM8K" in w for w in tq3.warnings)  # the quality note travels with the estimate


def test_reserving_the_full_length_lowers_the_batch():
    paged = run(weight_quant="fp8", kv_dtype="fp8", avg_context_tokens=1152)
    reserved = run(weight_quant="fp8", kv_dtype="fp8", avg_context_tokens=1152,
                   reserve_context_tokens=2176)
    assert reserved.max_batch == pytest.approx(paged.max_batch * 1152 / 2176, abs=1)


def test_requested_batch_above_capacity_is_clipped_with_a_warning():
    result = run(n_gpus=1, batch=100_000, avg_context_tokens=8192)
    assert result.batch == result.max_batch < MAX_BATCH
    assert any("does not fit" in w for w in result.warnings)


def test_tensor_parallel_splits_weights_and_pays_efficiency():
    one = run(weight_quant="fp8", n_gpus=1, batch=1, avg_context_tokens=128)
    two = run(weight_quant="fp8", n_gpus=2, batch=1, avg_context_tokens=128)
    assert two.weight_bytes_per_gpu == pytest.approx(one.weight_bytes_per_gpu / 2)
    assert two.decode_tokens_per_s == pytest.approx(
        2 * one.decode_tokens_per_s * tp_efficiency(2, 0.9), rel=0.01)
    assert tp_efficiency(8, 0.9) == pytest.approx(0.729)


# --- decode, prefill, quantization -------------------------------------------------------------

def test_batch_one_decode_is_bandwidth_bound():
    result = run(batch=1, avg_context_tokens=1)
    assert result.decode_bound == "memory"
    # §1.9: 16.1 GB at 3.35 TB/s → 209 tok/s ceiling; the estimate applies MBU 0.65
    assert result.roofline_tokens_per_s == pytest.approx(209, abs=1)
    assert result.decode_tokens_per_s == pytest.approx(0.65 * 209, abs=1)
    assert result.tpot_ms == pytest.approx(1000 / result.tokens_per_s_per_user)


def test_weight_only_int4_speeds_up_small_batch_by_the_byte_ratio():
    bf16 = run(batch=1, avg_context_tokens=1)
    int4 = run(batch=1, avg_context_tokens=1, weight_quant="int4-g128-sym")
    ratio = int4.decode_tokens_per_s / bf16.decode_tokens_per_s
    assert ratio == pytest.approx(bf16.weight_bytes_total / int4.weight_bytes_total, rel=0.01)
    assert int4.compute_dtype == "bf16"  # weight-only: no extra FLOP/s


def test_fp8_raises_peak_flops_and_falls_back_without_fp8_cores():
    assert run(weight_quant="fp8").compute_dtype == "fp8"
    a100 = run(accelerator_id="a100", weight_quant="fp8")
    assert a100.compute_dtype == "bf16" and any("no fp8 tensor cores" in w for w in a100.warnings)


def test_large_batch_becomes_compute_bound_and_saturates():
    curve = throughput_curve(Deployment("llama-3.1-8b", "h100", weight_quant="fp8",
                                        kv_dtype="fp8", avg_context_tokens=256),
                             MODELS, HARDWARE, [1, 16, 64, 256, 1024, 4096])
    rates = [p.decode_tokens_per_s for p in curve]
    assert rates == sorted(rates)
    assert rates[-1] / rates[-2] < 1.3  # the plateau
    assert rates[1] / rates[0] > 10  # batching is the big lever at small batch
    assert [p.output_per_mtok for p in curve] == sorted((p.output_per_mtok for p in curve),
                                                        reverse=True)


def test_prefill_is_compute_bound_and_ttft_grows_with_the_prompt():
    short = run(weight_quant="fp8", prompt_tokens=128)
    # §1.6: F·MFU / (2·P) ≈ 1979e12 · 0.6 / (2 · 7.5e9) ≈ 79k tok/s (input embedding excluded)
    assert short.prefill_tokens_per_s == pytest.approx(1978.9e12 * 0.6 / (
        2 * MODELS["llama-3.1-8b"].flop_params_per_token), rel=0.01)
    long = run(weight_quant="fp8", prompt_tokens=32_000)
    assert long.prefill_tokens_per_s < short.prefill_tokens_per_s  # quadratic attention
    assert long.ttft_ms > 100 * short.ttft_ms


def test_sliding_window_prefill_is_cheaper_than_full_attention():
    gemma = MODELS["gemma-3-27b"]
    full = replace(gemma, attention=replace(gemma.attention, kind="full", local_layers=0))
    models = {**MODELS, "gemma-full": replace(full, id="gemma-full")}
    d = Deployment("gemma-3-27b", "h200", weight_quant="fp8", prompt_tokens=32_000)
    windowed = estimate(d, models, HARDWARE)
    dense = estimate(replace(d, model_id="gemma-full"), models, HARDWARE)
    assert windowed.ttft_ms < dense.ttft_ms
    assert windowed.max_batch > dense.max_batch


# --- money -------------------------------------------------------------------------------------

@pytest.mark.parametrize("usd_per_hour, tokens_per_s, expected", [
    ("2.50", 209, "3.32"),     # 8B bf16 B=1 roofline on an H100
    ("2.50", 83.32, "8.33"),   # llama.cpp Llama-2-7B f16 on H100 PCIe (§6 row 13)
    ("0.50", 130.6, "1.06"),   # llama.cpp Q4_K_M on an RTX 4090
    ("2.50", 22714, "0.031"),  # TRT-LLM 8B FP8 max throughput
    ("2.50", 2675, "0.26"),    # MLPerf Llama-2-70B per H100
    ("5.00", 6651, "0.21"),    # TRT-LLM 70B FP8 on 2×H100
    ("5.00", 53.8, "25.8"),    # NIM 70B FP8 on 2×H100, concurrency 1
])
def test_cost_per_million_tokens_matches_the_worked_examples(usd_per_hour, tokens_per_s, expected):
    """inference-physics §1.8 table (rounded as printed there)."""
    cost = usd_per_mtok(Decimal(usd_per_hour), tokens_per_s)
    assert isinstance(cost, Decimal)
    assert cost.quantize(Decimal(expected)) == Decimal(expected)


def test_roofline_floor_for_8b_bf16_batch_one():
    """§1.8: $3.32 per 1M tokens is the floor at $2.50/h (MBU 1 = the roofline)."""
    floor = run(batch=1, avg_context_tokens=1, mbu=1.0, usd_per_gpu_hour=Decimal("2.50"))
    assert floor.output_per_mtok == pytest.approx(Decimal("3.32"), abs=Decimal("0.01"))
    real = run(batch=1, avg_context_tokens=1, usd_per_gpu_hour=Decimal("2.50"))
    assert real.output_per_mtok > floor.output_per_mtok


def test_cost_uses_gpus_price_and_utilization():
    base = run(model_id="llama-3.1-70b", weight_quant="fp8", n_gpus=2, batch=32)
    assert base.usd_per_gpu_hour == HARDWARE["h100"].usd_per_hour
    assert base.usd_per_hour_total == 2 * HARDWARE["h100"].usd_per_hour
    half = run(model_id="llama-3.1-70b", weight_quant="fp8", n_gpus=2, batch=32,
               utilization=Decimal("0.5"))
    assert half.output_per_mtok == pytest.approx(2 * base.output_per_mtok, rel=Decimal("1e-20"))
    assert half.input_per_mtok == pytest.approx(2 * base.input_per_mtok, rel=Decimal("1e-20"))
    assert base.input_per_mtok < base.output_per_mtok  # prefill is far cheaper per token


# --- sanity checks -----------------------------------------------------------------------------

def test_bad_page_claim_70b_fp16_on_one_h100_fails_the_memory_check():
    """alpha-one-index: ~110 tok/s for Llama-2-70B FP16, batch 1, one 80 GB H100."""
    with pytest.raises(SelfHostError, match="exceed one h100's 80 GB"):
        check_claim(Deployment("llama-2-70b", "h100", n_gpus=1, batch=1), 110, MODELS, HARDWARE)


def test_bad_page_claim_6000_tok_s_at_batch_one_fails_the_roofline_check():
    """gputracker: 6,000 tok/s for Llama-3-8B fp16 at batch 1 on an H100 (ceiling ≈ 209)."""
    d = Deployment("llama-3.1-8b", "h100", batch=1, avg_context_tokens=128)
    with pytest.raises(SelfHostError, match=r"above the bandwidth roofline of 208 tok/s \(28\.8×"):
        check_claim(d, 6000, MODELS, HARDWARE)


def test_plausible_claims_pass_and_implausible_ones_warn():
    d = Deployment("llama-3.1-8b", "rtx-4090", weight_quant="q4_k_m", batch=1,
                   avg_context_tokens=256)
    ok = check_claim(d, 130.58, MODELS, HARDWARE)
    assert ok.warnings == () and 0.55 < ok.fraction_of_roofline < 0.9
    suspicious = check_claim(d, 0.95 * ok.roofline_tokens_per_s, MODELS, HARDWARE)
    assert "roofline" in suspicious.warnings[0]


@pytest.mark.parametrize("change, message", [
    ({"mbu": 1.5}, "beat the roofline"),
    ({"mbu": 0.0}, "mbu must be in"),
    ({"mfu": 0.0}, "mfu must be in"),
    ({"utilization": Decimal("0")}, "utilization"),
    ({"utilization": Decimal("1.5")}, "utilization"),
    ({"kv_overhead": 0.5}, "kv_overhead"),
    ({"batch": 0}, "batch must be at least 1"),
    ({"avg_context_tokens": 0}, "avg_context_tokens"),
    ({"usd_per_gpu_hour": Decimal("-1")}, "usd_per_gpu_hour"),
    ({"weight_quant": "int3"}, "unknown weight quantization 'int3'"),
    ({"kv_dtype": "int2"}, "unknown KV dtype"),
    ({"model_id": "gpt-9"}, "unknown model 'gpt-9'; choose one of"),
    ({"accelerator_id": "h900"}, "unknown accelerator"),
])
def test_invalid_deployments_are_rejected_with_a_reason(change, message):
    with pytest.raises(SelfHostError, match=message):
        run(**change)


# --- properties --------------------------------------------------------------------------------

deployments = st.builds(
    Deployment,
    model_id=st.sampled_from(["llama-3.1-8b", "qwen2.5-7b", "mistral-7b", "mixtral-8x7b",
                              "gemma-3-27b", "gpt-oss-20b", "qwen3-30b-a3b", "llama-3.1-70b"]),
    accelerator_id=st.sampled_from(["h100", "h200", "a100", "l40s", "rtx-4090", "mi300x", "b200"]),
    n_gpus=st.sampled_from([None, 1, 2, 4]),
    weight_quant=st.sampled_from(["bf16", "fp8", "int4-g128-sym", "q4_k_m", "nvfp4"]),
    kv_dtype=st.sampled_from(["bf16", "fp8", "turboquant-4bit", "turboquant-3bit"]),
    avg_context_tokens=st.integers(1, 32_768),
    prompt_tokens=st.integers(1, 8192),
)


def _fits(d: Deployment):
    try:
        return estimate(d, MODELS, HARDWARE)
    except SelfHostError:
        return None


@settings(max_examples=examples(80), deadline=None)
@given(d=deployments, data=st.data())
def test_throughput_never_falls_as_batch_grows_up_to_the_maximum(d, data):
    result = _fits(d)
    assume(result is not None)
    batches = data.draw(st.lists(st.integers(1, result.max_batch), min_size=2, max_size=6))
    curve = throughput_curve(d, MODELS, HARDWARE, batches)
    rates = [p.decode_tokens_per_s for p in curve]
    assert all(b >= a * (1 - 1e-12) for a, b in zip(rates, rates[1:]))


@settings(max_examples=examples(60), deadline=None)
@given(d=deployments, low=st.decimals("0.01", "1", places=2), high=st.decimals("0.01", "1", places=2))
def test_cost_per_token_never_rises_with_utilization(d, low, high):
    low, high = min(low, high), max(low, high)
    first = _fits(replace(d, utilization=low))
    assume(first is not None)
    second = estimate(replace(d, utilization=high), MODELS, HARDWARE)
    assert second.output_per_mtok <= first.output_per_mtok
    assert second.input_per_mtok <= first.input_per_mtok


@settings(max_examples=examples(60), deadline=None)
@given(d=deployments)
def test_estimates_never_exceed_the_roofline(d):
    result = _fits(d)
    assume(result is not None)
    assert result.decode_tokens_per_s <= result.roofline_tokens_per_s
    assert result.batch <= result.max_batch <= MAX_BATCH
    bytes_per_gpu = result.weight_bytes_per_gpu + result.kv_budget_bytes_per_gpu
    assert bytes_per_gpu <= HARDWARE[d.accelerator_id].memory_bytes * d.memory_utilization + 1


def test_every_scheme_and_model_estimates_or_explains():
    for model_id in MODELS:
        for scheme in QUANT_SCHEMES:
            try:
                result = run(model_id=model_id, accelerator_id="h200", weight_quant=scheme)
            except SelfHostError as exc:
                assert "GPUs" in str(exc)
            else:
                assert result.decode_tokens_per_s > 0 and result.output_per_mtok > 0
