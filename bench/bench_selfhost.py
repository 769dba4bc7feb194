"""Prints the self-hosting roofline's predictions next to published measurements, with the ratio.

No timing: it already runs in well under a second, so --smoke (accepted for the suite's smoke test)
runs exactly the same thing.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # runnable from any directory

from core.selfhost import load_hardware, load_open_models  # noqa: E402
from core.selfhost import Deployment, busy_seconds, estimate  # noqa: E402

TRT_LLM = "NVIDIA/TensorRT-LLM docs/source/performance/perf-overview.md"
NIM = "docs.nvidia.com/nim/benchmarking/llm/1.0.0/performance"
LLAMA_CPP = "XiongjieDai/GPU-Benchmarks-on-LLM-Inference README.md"


@dataclass(frozen=True, slots=True)
class Case:
    """One published measurement and the deployment that reproduces its workload."""

    id: str
    label: str
    deployment: Deployment
    metric: str  # "offline_tokens_per_s", "decode_tokens_per_s" or "tpot_ms"
    published: float
    source: str
    output_tokens: int = 0  # per request, for offline throughput (prompt = deployment.prompt_tokens)


def _trt(case_id: str, label: str, model: str, gpu: str, n_gpus: int, published: float,
         isl: int = 128, osl: int = 2048, quant: str = "fp8") -> Case:
    # trtllm-bench throughput, ISL/OSL 128/2048, every request queued at once; it reports total
    # output tokens over the whole run, so each request's prefill time counts too;
    # - S̄ = ISL + OSL/2: the average context a sequence holds over its decode;
    # - the batch is what the KV cache holds when each request reserves ISL + OSL tokens:
    #   trtllm-bench sizes max_batch_size from KV capacity at ISL+OSL (bench/build/tuning.py)
    #   and the default GUARANTEED_NO_EVICT scheduler admits a request only if its full
    #   length fits;
    # - FP8 KV: the nvidia/*-FP8 ModelOpt checkpoints set kv_cache_quant_algo FP8 (lm_head
    #   excluded, so it stays bf16), and trtllm-bench sizes the cache with 1 byte per element.
    deployment = Deployment(model, gpu, n_gpus=n_gpus, weight_quant=quant, kv_dtype="fp8",
                            avg_context_tokens=isl + osl // 2, prompt_tokens=isl,
                            reserve_context_tokens=isl + osl)
    return Case(case_id, label, deployment, "offline_tokens_per_s", published, TRT_LLM, osl)


def _llama_cpp_tg512(quant: str) -> Deployment:
    # llama-bench tg512: one stream generating 512 tokens after an empty prompt, so the cache
    # holds 256 tokens on average; llama.cpp keeps an f16 KV cache. Llama-3-8B has the same
    # shapes as Llama-3.1-8B.
    return Deployment("llama-3.1-8b", "rtx-4090", n_gpus=1, weight_quant=quant, kv_dtype="bf16",
                      avg_context_tokens=256, prompt_tokens=512, batch=1)


CASES: tuple[Case, ...] = (
    _trt("trt-8b-h100", "TRT-LLM Llama-3.1-8B FP8, 1×H100, 128/2048", "llama-3.1-8b", "h100", 1,
         22_714),
    _trt("trt-8b-h200", "TRT-LLM Llama-3.1-8B FP8, 1×H200, 128/2048", "llama-3.1-8b", "h200", 1,
         26_221),
    _trt("trt-70b-h200", "TRT-LLM Llama-3.3-70B FP8, 1×H200, 128/2048", "llama-3.3-70b", "h200",
         1, 4_336),
    _trt("trt-70b-2xh100", "TRT-LLM Llama-3.3-70B FP8, 2×H100 TP2, 128/2048", "llama-3.3-70b",
         "h100", 2, 6_651),
    # NIM serves the same FP8 TRT-LLM engine; concurrency 1, 5000 prompt + 500 output tokens:
    # the cache holds 5000 + 250 tokens on average while the 500 tokens are generated.
    Case("nim-70b-2xh100-c1", "NIM Llama-3.3-70B FP8, 2×H100 TP2, 5000/500, concurrency 1",
         Deployment("llama-3.3-70b", "h100", n_gpus=2, weight_quant="fp8", kv_dtype="fp8",
                    avg_context_tokens=5250, prompt_tokens=5000, batch=1),
         "tpot_ms", 18.58, NIM),
    Case("llamacpp-8b-4090-f16", "llama.cpp Llama-3-8B F16, RTX 4090, tg512",
         _llama_cpp_tg512("bf16"), "decode_tokens_per_s", 54.84, LLAMA_CPP),
    Case("llamacpp-8b-4090-q4km", "llama.cpp Llama-3-8B Q4_K_M, RTX 4090, tg512",
         _llama_cpp_tg512("q4_k_m"), "decode_tokens_per_s", 130.58, LLAMA_CPP),
)

# Published points outside the calibrated set: printed for information, not asserted. FP4 on
# Blackwell and large MoE deployments (attention-DP, expert parallelism) are not calibrated.
EXTRA_CASES: tuple[Case, ...] = (
    _trt("trt-8b-h100-1k1k", "TRT-LLM Llama-3.1-8B FP8, 1×H100, 1000/1000", "llama-3.1-8b",
         "h100", 1, 15_220, 1000, 1000),
    _trt("trt-8b-h100-20k2k", "TRT-LLM Llama-3.1-8B FP8, 1×H100, 20000/2000", "llama-3.1-8b",
         "h100", 1, 1_351, 20000, 2000),
    _trt("trt-70b-h200-5k500", "TRT-LLM Llama-3.3-70B FP8, 1×H200, 5000/500", "llama-3.3-70b",
         "h200", 1, 566, 5000, 500),
    _trt("trt-70b-b200-fp4", "TRT-LLM Llama-3.3-70B NVFP4, 1×B200, 128/2048", "llama-3.3-70b",
         "b200", 1, 9_922, quant="nvfp4"),
    _trt("trt-qwen3-235b-8xh200", "TRT-LLM Qwen3-235B-A22B FP8, 8×H200, 128/2048",
         "qwen3-235b-a22b", "h200", 8, 42_821),
    _trt("trt-maverick-8xh200", "TRT-LLM Llama-4-Maverick FP8, 8×H200, 128/2048",
         "llama-4-maverick", "h200", 8, 40_572),
    _trt("trt-qwen3-30b-b200-fp4", "TRT-LLM Qwen3-30B-A3B NVFP4, 1×B200, 128/2048",
         "qwen3-30b-a3b", "b200", 1, 37_844, quant="nvfp4"),
)


def predicted(case: Case, models, hardware) -> float:
    """The engine's value for the case's metric."""
    result = estimate(case.deployment, models, hardware)
    if case.metric == "tpot_ms":
        return result.tpot_ms
    if case.metric == "offline_tokens_per_s":
        prompt = case.deployment.prompt_tokens
        return case.output_tokens / busy_seconds(result, prompt, case.output_tokens)
    return result.decode_tokens_per_s


def _table(title: str, cases: tuple[Case, ...], models, hardware) -> list[str]:
    rows = [title, f"{'case':<58} {'predicted':>11} {'published':>11} {'ratio':>6}"]
    for case in cases:
        value = predicted(case, models, hardware)
        unit = " ms" if case.metric == "tpot_ms" else " t/s"
        rows.append(f"{case.label:<58} {value:>8,.1f}{unit:<3} {case.published:>8,.1f}{unit:<3}"
                    f" {value / case.published:>5.2f}x")
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="the same run (it is already seconds)")
    parser.parse_args(argv)
    models, model_errors = load_open_models()
    hardware, hardware_errors = load_hardware()
    for error in model_errors + hardware_errors:
        print(f"warning: {error}", file=sys.stderr)
    lines = _table("Validation (asserted within ±35% in tests/test_selfhost_validation.py)",
                   CASES, models, hardware)
    lines += [""] + _table("Outside the calibrated set (information only)", EXTRA_CASES,
                           models, hardware)
    lines += ["", "ratio = predicted / published; sources: " + "; ".join((TRT_LLM, NIM, LLAMA_CPP))]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
