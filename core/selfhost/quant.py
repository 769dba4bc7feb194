"""Bytes of weights and KV cache: quantization schemes (bits per weight incl. metadata) and KV dtypes."""
from __future__ import annotations

from dataclasses import dataclass

from core.selfhost.architecture import OpenModel

BF16_BITS = 16.0


def group_bits_per_weight(bits: float, group_size: int, scale_bits: float, zero_bits: float = 0.0,
                          second_level_bits: float = 0.0, second_group_size: int = 0) -> float:
    """Effective bits per weight of a group-quantized tensor (inference-physics §2.1).

    bpw = b_q + (scale + zero bits) / g  [+ second-level scale bits / (g · g2)]
    The metadata is what makes "4-bit" cost 4.125-5 bits: it must be counted in every byte
    estimate, otherwise memory and bandwidth come out several percent optimistic.
    """
    bpw = bits + (scale_bits + zero_bits) / group_size
    if second_level_bits:
        bpw += second_level_bits / (group_size * second_group_size)
    return bpw


@dataclass(frozen=True, slots=True)
class QuantScheme:
    """How weights are stored and which tensor-core dtype does the math."""

    id: str
    name: str
    bits_per_weight: float
    # The dtype the matmuls run in: weight-only schemes dequantize to bf16, so they save bytes
    # but not FLOPs; W8A8 FP8 and FP4 also double / quadruple the peak FLOP/s (§2.2).
    compute_dtype: str
    # llama.cpp figures are whole-file averages (embeddings and output included); GPTQ / AWQ /
    # ModelOpt checkpoints keep the embedding table and LM head in bf16.
    quantizes_embeddings: bool
    formula: str
    source: str
    quality: str


@dataclass(frozen=True, slots=True)
class KvDtype:
    """Storage of the KV cache: bits per element and the attention-kernel cost of decoding it."""

    id: str
    name: str
    bits_per_element: float
    # Multiplier on attention time computed from the compressed bytes: dequantizing inside the
    # attention kernel is not free, so capacity gains do not turn fully into speed (§3).
    kernel_overhead: float
    quality: str
    source: str

    @property
    def capacity_gain(self) -> float:
        """How many more tokens fit in the same HBM than with bf16 KV."""
        return BF16_BITS / self.bits_per_element


def _scheme(id_: str, name: str, bpw: float, compute: str, embeddings: bool, formula: str,
            source: str, quality: str) -> QuantScheme:
    return QuantScheme(id_, name, bpw, compute, embeddings, formula, source, quality)


QUANT_SCHEMES: dict[str, QuantScheme] = {s.id: s for s in (
    _scheme("bf16", "BF16 / FP16 (unquantized)", BF16_BITS, "bf16", True, "16",
            "native checkpoint dtype", "reference"),
    _scheme("fp8", "FP8 W8A8 (per-tensor / per-channel scales)", 8.0, "fp8", False, "8 + ~0",
            "vLLM FP8 docs (inference-physics §2.1)",
            "≈0 loss: 98.7% recovery on Llama-3.1-405B (Neural Magic)"),
    _scheme("fp8-block128", "FP8 block 128×128, fp32 scale (DeepSeek-V3 layout)",
            group_bits_per_weight(8, 128 * 128, 32), "fp8", False, "8 + 32/16384",
            "DeepSeek-V3 config.json quantization_config weight_block_size [128,128]", "≈0 loss"),
    _scheme("int8", "INT8 weight-only W8A16 (per-channel fp16 scale)", 8.0, "bf16", False,
            "8 + 16/in_features ≈ 8",
            "neuralmagic Meta-Llama-3-70B-Instruct-quantized.w8a16 card",
            "98.4% recovery (OpenLLM v1) on Llama-3-70B"),
    _scheme("int4-g128-sym", "INT4 g128 symmetric, fp16 scale (GPTQ / Marlin)",
            group_bits_per_weight(4, 128, 16), "bf16", False, "4 + 16/128",
            "IST-DASLab/marlin README (0.125 bits of group-scale overhead)",
            "1-3% benchmark loss (Marlin: Llama-2-70B PPL 3.12 → 3.21)"),
    _scheme("int4-g128-asym", "INT4 g128 asymmetric, fp16 scale + fp16 zero",
            group_bits_per_weight(4, 128, 16, 16), "bf16", False, "4 + 32/128",
            "derived (inference-physics §2.1)", "1-3% benchmark loss"),
    _scheme("int4-g128-awq", "INT4 g128 asymmetric, fp16 scale + packed int4 zero (GPTQ/AWQ layout)",
            group_bits_per_weight(4, 128, 16, 4), "bf16", False, "4 + 20/128",
            "derived from the qweight/qzeros/scales layout (AutoGPTQ / AutoAWQ)",
            "1-3% benchmark loss"),
    _scheme("int4-g64", "INT4 g64 asymmetric, fp16 scale + fp16 zero",
            group_bits_per_weight(4, 64, 16, 16), "bf16", False, "4 + 32/64",
            "derived (inference-physics §2.1)", "1-3% benchmark loss"),
    _scheme("int4-g32", "INT4 g32 asymmetric, fp16 scale + fp16 zero",
            group_bits_per_weight(4, 32, 16, 16), "bf16", False, "4 + 32/32",
            "derived (inference-physics §2.1)", "1-3% benchmark loss"),
    _scheme("q4_0", "llama.cpp Q4_0 (32 weights + fp16 scale = 18 bytes)",
            group_bits_per_weight(4, 32, 16), "bf16", True, "4 + 16/32",
            "ggml-org/llama.cpp block_q4_0; RahulSChand/gpu_poor src/App.js", "noticeable loss"),
    _scheme("q8_0", "llama.cpp Q8_0 (32 weights + fp16 scale)",
            group_bits_per_weight(8, 32, 16), "bf16", True, "8 + 16/32",
            "ggml-org/llama.cpp tools/quantize/README.md (Q8_0 = 8.5008 bpw)",
            "+0.03% PPL on Llama-3-70B"),
    _scheme("q4_k_m", "llama.cpp Q4_K_M (k-quant mix, whole-file average)", 4.8944, "bf16", True,
            "measured whole-file bpw (Llama-3.1-8B: 4.58 GiB)",
            "ggml-org/llama.cpp tools/quantize/README.md (Llama-3.1-8B Q4_K_M 4.8944 bpw)",
            "+4.83% PPL on Llama-3-70B"),
    _scheme("nf4", "bitsandbytes NF4, fp32 absmax per 64", group_bits_per_weight(4, 64, 32),
            "bf16", False, "4 + 32/64", "QLoRA, Dettmers et al. 2023 (arXiv 2305.14314)",
            "small loss"),
    _scheme("nf4-dq", "bitsandbytes NF4 + double quantization",
            group_bits_per_weight(4, 64, 8, second_level_bits=32, second_group_size=256),
            "bf16", False, "4 + 8/64 + 32/(64·256)",
            "QLoRA (arXiv 2305.14314): 0.127 bits per parameter of constants", "small loss"),
    _scheme("mxfp4", "OCP MXFP4 (E2M1 + shared E8M0 scale per 32)",
            group_bits_per_weight(4, 32, 8), "fp4", False, "4 + 8/32",
            "OCP Microscaling (MX) spec; gpt-oss MoE weights", "native for gpt-oss; else small loss"),
    _scheme("nvfp4", "NVIDIA NVFP4 (E2M1 + FP8 E4M3 scale per 16)",
            group_bits_per_weight(4, 16, 8), "fp4", False, "4 + 8/16 (+ fp32 per tensor)",
            "derived from the format (inference-physics §2.1)", "small loss"),
)}

KV_DTYPES: dict[str, KvDtype] = {k.id: k for k in (
    KvDtype("bf16", "BF16 KV", 16.0, 1.0, "reference", "native"),
    # Hopper / Ada / MI300 convert FP8 in hardware, so the attention kernel reads half the bytes
    # without a measurable decode penalty (vLLM FP8 E4M3 KV-cache docs).
    KvDtype("fp8", "FP8 KV (E4M3, per-tensor scale)", 8.0, 1.0, "small loss",
            "vLLM quantized KV cache docs; inference-physics §3"),
    # vLLM PR #38479 presets at head_dim 128: 4bit_nc 136 bytes per K+V slot (= 4.25 bits),
    # 3bit_nc 104 bytes (= 3.25 bits). Overhead 1.2 is the §10 default; PR #40108 measured
    # short-decode TPOT +21-32% on Intel Arc, so the capacity gain is not free.
    KvDtype("turboquant-4bit", "TurboQuant ~4-bit KV (rotation + Lloyd-Max, vLLM 4bit_nc)",
            136 * 8 / 256, 1.2, "GSM8K 0.900 → 0.840 on Qwen3-4B; NIAH 100%",
            "vLLM PR #38479; arXiv 2504.19874"),
    KvDtype("turboquant-3bit", "TurboQuant ~3-bit KV (vLLM 3bit_nc)", 104 * 8 / 256, 1.2,
            "GSM8K 0.900 → 0.720 on Qwen3-4B; NIAH 100%: task-dependent",
            "vLLM PR #38479; arXiv 2504.19874"),
)}


def weight_bytes(model: OpenModel, scheme: QuantScheme) -> float:
    """Resident weight bytes: every parameter (all experts too) at the scheme's bits per weight."""
    embedding_bits = scheme.bits_per_weight if scheme.quantizes_embeddings else BF16_BITS
    body = model.total_params - model.embedding_params
    return (body * scheme.bits_per_weight + model.embedding_params * embedding_bits) / 8


def expert_bytes(model: OpenModel, scheme: QuantScheme) -> float:
    """Bytes of one routed expert in one MoE layer (0 for dense models)."""
    return model.expert_params * scheme.bits_per_weight / 8


def kv_bytes_per_token(model: OpenModel, kv: KvDtype) -> float:
    """KV bytes per token if every layer kept every token (the long-context upper bound).

    GQA: 2 · L · H_kv · d_h · b_kv (K and V). MLA caches the compressed latent plus the decoupled
    RoPE key instead: L · (kv_lora_rank + qk_rope_head_dim) · b_kv (§1.1).
    """
    return model.kv_elements_per_token_per_layer * model.layers * kv.bits_per_element / 8


def kv_bytes_per_sequence(model: OpenModel, context_tokens: int, kv: KvDtype) -> float:
    """KV bytes one sequence holds at S tokens; local layers keep only their window.

    KV(S) = per-layer bytes · (L_global · S + L_local · min(S, window))   (Gemma 3 report)
    """
    per_layer_token = model.kv_elements_per_token_per_layer * kv.bits_per_element / 8
    attn = model.attention
    local = attn.local_layers
    window_tokens = min(context_tokens, attn.window) if local else 0
    return per_layer_token * ((model.layers - local) * context_tokens + local * window_tokens)
