"""Bits per weight with group metadata, weight bytes, and KV bytes for GQA, MLA and sliding windows."""
from __future__ import annotations

import pytest

from core.selfhost.hardware import load_open_models
from core.selfhost.quant import (KV_DTYPES, QUANT_SCHEMES, group_bits_per_weight, kv_bytes_per_sequence,
                        kv_bytes_per_token, weight_bytes)

MODELS, _ = load_open_models()
BF16_KV = KV_DTYPES["bf16"]


@pytest.mark.parametrize("scheme_id, bpw", [
    ("bf16", 16.0),
    ("fp8", 8.0),
    ("int4-g128-sym", 4.125),   # Marlin: 0.125 bits of group-scale overhead
    ("int4-g128-asym", 4.25),
    ("int4-g128-awq", 4.156),   # packed int4 zero point
    ("int4-g64", 4.5),
    ("int4-g32", 5.0),
    ("q4_0", 4.5),              # 18 bytes per 32 weights
    ("q8_0", 8.5),
    ("q4_k_m", 4.894),          # llama.cpp whole-file figure for Llama-3.1-8B
    ("nf4", 4.5),
    ("nf4-dq", 4.127),          # QLoRA: 8/64 + 32/(64·256) = 0.127 bits
    ("mxfp4", 4.25),
    ("nvfp4", 4.5),
    ("fp8-block128", 8.002),
])
def test_bits_per_weight_table(scheme_id, bpw):
    """inference-physics §2.1, to the precision the table prints."""
    assert QUANT_SCHEMES[scheme_id].bits_per_weight == pytest.approx(bpw, abs=0.0005)


def test_every_scheme_names_its_source_and_compute_dtype():
    for scheme in QUANT_SCHEMES.values():
        assert scheme.source and scheme.formula and scheme.quality
        assert scheme.compute_dtype in ("bf16", "fp8", "fp4")


def test_group_formula():
    assert group_bits_per_weight(4, 128, 16) == 4.125
    assert group_bits_per_weight(4, 64, 8, second_level_bits=32, second_group_size=256) == (
        4 + 8 / 64 + 32 / (64 * 256))


def test_weight_bytes():
    llama = MODELS["llama-3.1-8b"]
    assert weight_bytes(llama, QUANT_SCHEMES["bf16"]) == pytest.approx(16.06e9, rel=0.001)
    # the llama.cpp file: 4.58 GiB
    assert weight_bytes(llama, QUANT_SCHEMES["q4_k_m"]) == pytest.approx(4.58 * 2**30, rel=0.005)
    # GPTQ keeps embeddings and LM head in bf16: 1.05 B params at 16 bits, the rest at 4.125
    body = llama.total_params - llama.embedding_params
    assert weight_bytes(llama, QUANT_SCHEMES["int4-g128-sym"]) == pytest.approx(
        (body * 4.125 + llama.embedding_params * 16) / 8)
    # MoE: every expert is resident
    assert weight_bytes(MODELS["mixtral-8x7b"], QUANT_SCHEMES["bf16"]) == pytest.approx(
        93.4e9, rel=0.01)


@pytest.mark.parametrize("model_id, bytes_per_token", [
    ("llama-3.1-8b", 131_072),
    ("llama-3.1-70b", 327_680),
    ("qwen2.5-7b", 57_344),
    ("deepseek-v3", 70_272),     # MLA: 61 · (512 + 64) · 2
    ("gpt-oss-120b", 73_728),
    ("gpt-oss-20b", 49_152),
    ("qwen3-30b-a3b", 98_304),
    ("qwen3-235b-a22b", 192_512),
    ("llama-4-maverick", 196_608),
    ("gemma-3-27b", 507_904),    # if every layer were global
])
def test_kv_bytes_per_token_bf16(model_id, bytes_per_token):
    assert kv_bytes_per_token(MODELS[model_id], BF16_KV) == bytes_per_token


@pytest.mark.parametrize("context", [1, 512, 1024, 1025, 4096, 131_072])
def test_gemma3_sliding_window_formula(context):
    """KV(S) = 2·H_kv·d_h·b·(L_global·S + L_local·min(S, 1024)), 52 local + 10 global layers."""
    expected = 2 * 16 * 128 * 2 * (10 * context + 52 * min(context, 1024))
    assert kv_bytes_per_sequence(MODELS["gemma-3-27b"], context, BF16_KV) == expected


def test_windowed_layers_stop_growing():
    gemma = MODELS["gemma-3-27b"]
    growth = (kv_bytes_per_sequence(gemma, 5000, BF16_KV)
              - kv_bytes_per_sequence(gemma, 4999, BF16_KV))
    assert growth == 81_920  # only the 10 global layers keep every token
    mistral = MODELS["mistral-7b"]  # every layer has a 4,096 window
    assert kv_bytes_per_sequence(mistral, 32_000, BF16_KV) == kv_bytes_per_sequence(
        mistral, 4096, BF16_KV)
    llama = MODELS["llama-3.1-8b"]
    assert kv_bytes_per_sequence(llama, 1000, BF16_KV) == 1000 * 131_072


def test_kv_dtypes_scale_bytes_and_report_capacity_gain():
    llama = MODELS["llama-3.1-8b"]
    assert kv_bytes_per_token(llama, KV_DTYPES["fp8"]) == 65_536
    assert KV_DTYPES["fp8"].capacity_gain == 2
    tq4, tq3 = KV_DTYPES["turboquant-4bit"], KV_DTYPES["turboquant-3bit"]
    # inference-physics §3 guidance: 4-bit ≈ 4.1-4.5 bits, 3-bit ≈ 3.25-3.5 bits with metadata
    assert 4.1 <= tq4.bits_per_element <= 4.5 and 3.25 <= tq3.bits_per_element <= 3.5
    # vLLM PR #38479: 3.8x and 4.9x compression against bf16
    assert tq4.capacity_gain == pytest.approx(3.8, abs=0.05)
    assert tq3.capacity_gain == pytest.approx(4.9, abs=0.05)
    for kv in KV_DTYPES.values():
        assert 1.0 <= kv.kernel_overhead <= 1.35 and kv.source
    assert tq4.kernel_overhead > 1.0  # the capacity gain is not free
