"""Roofline estimate of self-hosted inference: memory fit, batch, tokens/s, latency, $ per 1M tokens."""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Mapping, Sequence

from core.base import Problem
from core.selfhost.architecture import OpenModel
from core.selfhost.hardware import Accelerator
from core.selfhost.quant import (KV_DTYPES, QUANT_SCHEMES, KvDtype, QuantScheme, expert_bytes,
                        kv_bytes_per_sequence, kv_bytes_per_token, weight_bytes)

# Efficiency defaults (inference-physics §10, inside the published ranges of §6): optimized
# engines reach 0.55-0.75 of the bandwidth roofline at small batch and 0.7-0.9 at large batch.
MBU_SMALL_BATCH = 0.65
MBU_LARGE_BATCH = 0.75
SMALL_BATCH_BELOW = 16
MFU = 0.6  # large GEMMs reach 0.5-0.8 of dense peak (FlashAttention-3 75%, GB200 FP8 0.55)
TP_EFFICIENCY_PER_DOUBLING = 0.9  # §1.7: 0.75-0.9 per doubling for decode
MOE_FACTOR = 0.7  # §4: router, permutation and all-to-all cost 0.6-0.8 on top of MBU
MEMORY_UTILIZATION = 0.90  # vLLM's default gpu_memory_utilization
# trtllm-bench caps the total batch at 4096 "to avoid decoder buffer size becoming too large"
# (tensorrt_llm/bench/build/tuning.py); beyond it the decode is compute-bound anyway.
MAX_BATCH = 4096
NODE_GPUS = 8  # tensor parallelism beyond one 8-GPU node crosses the slower inter-node fabric
MAX_GPUS = 64
SECONDS_PER_HOUR = 3600
TOKENS_PER_MTOK = 1_000_000


class SelfHostError(ValueError):
    """An impossible or invalid configuration, with a message that says what to change.

    It carries the engine's one error value: `problem` names the deployment field at fault, so the
    app and the CLI report it like any loader's Problem.
    """

    def __init__(self, message: str, field: str = "deployment") -> None:
        super().__init__(message)
        self.problem = Problem("", None, field, message)


@dataclass(frozen=True, slots=True)
class Deployment:
    """What the user would run: model, accelerator, quantization, context, batch and price."""

    model_id: str
    accelerator_id: str
    n_gpus: int | None = None  # None: the fewest (power-of-two) GPUs the model fits on
    weight_quant: str = "bf16"
    kv_dtype: str = "bf16"
    avg_context_tokens: int = 2048  # S̄: tokens in each sequence's KV cache during decode
    prompt_tokens: int = 1024  # prompt length for prefill throughput and TTFT
    batch: int | None = None  # concurrent sequences; None: as many as the KV cache holds
    # KV reserved per admitted sequence. None: paged KV holds only what is used (vLLM). Engines
    # that guarantee no eviction (TensorRT-LLM) reserve prompt + max output per request.
    reserve_context_tokens: int | None = None
    memory_utilization: float = MEMORY_UTILIZATION
    mbu: float | None = None  # None: 0.65 below batch 16, 0.75 from 16 on
    mfu: float = MFU
    tp_efficiency_per_doubling: float = TP_EFFICIENCY_PER_DOUBLING
    moe_factor: float = MOE_FACTOR
    kv_overhead: float | None = None  # None: the KV dtype's kernel overhead
    usd_per_gpu_hour: Decimal | None = None  # None: the accelerator's dated default
    utilization: Decimal = Decimal("1")  # busy share of rented time


@dataclass(frozen=True, slots=True)
class SelfHostEstimate:
    """Everything the roofline says about one deployment (per replica of n_gpus)."""

    deployment: Deployment
    model_name: str
    accelerator_name: str
    n_gpus: int
    weight_bits_per_weight: float  # the scheme's bpw
    model_bits_per_weight: float  # whole model, bf16 embeddings included
    weight_bytes_total: float
    weight_bytes_per_gpu: float
    kv_bytes_per_token: float  # all layers global; windows make real sequences smaller
    kv_bytes_per_sequence: float  # at avg_context_tokens
    kv_budget_bytes_per_gpu: float
    max_batch: int
    batch: int
    compute_dtype: str
    mbu: float
    decode_bound: str  # what limits the linear layers: "memory" or "compute"
    experts_touched: float | None  # distinct routed experts read per MoE layer per step
    decode_step_s: float
    decode_tokens_per_s: float  # all sequences together
    tokens_per_s_per_user: float
    tpot_ms: float
    roofline_tokens_per_s: float  # ideal ceiling at this batch (MBU = MFU = 1)
    prefill_tokens_per_s: float  # batched prompts, compute-bound
    ttft_ms: float  # one prompt of prompt_tokens on an idle replica
    usd_per_gpu_hour: Decimal
    usd_per_hour_total: Decimal  # n_gpus · $/GPU-hour / utilization
    utilization: Decimal
    input_per_mtok: Decimal
    output_per_mtok: Decimal
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CurvePoint:
    """One batch size on the throughput curve (for charts)."""

    batch: int
    decode_tokens_per_s: float
    tokens_per_s_per_user: float
    tpot_ms: float
    output_per_mtok: Decimal


@dataclass(frozen=True, slots=True)
class ClaimCheck:
    """A published or quoted throughput compared with the physical ceiling."""

    claimed_tokens_per_s: float
    roofline_tokens_per_s: float
    fraction_of_roofline: float
    warnings: tuple[str, ...] = ()


def experts_touched(experts: int, top_k: int, tokens: int) -> float:
    """Distinct experts a batch reads per MoE layer with uniform routing: E·(1 − (1 − k/E)^B)."""
    return experts * (1.0 - (1.0 - top_k / experts) ** tokens)


def tp_efficiency(n_gpus: int, per_doubling: float) -> float:
    """Tensor-parallel efficiency: per_doubling ** log2(n) (two all-reduces per layer)."""
    return per_doubling ** math.log2(n_gpus)


def usd_per_mtok(usd_per_hour: Decimal, tokens_per_s: float) -> Decimal:
    """$ per 1M tokens = $/hour / (tokens/s · 3600) · 1e6 (§1.8)."""
    if tokens_per_s <= 0:
        raise SelfHostError("throughput must be positive to price tokens")
    return usd_per_hour * TOKENS_PER_MTOK / (Decimal(repr(tokens_per_s)) * SECONDS_PER_HOUR)


def busy_seconds(est: SelfHostEstimate, input_tokens: float, output_tokens: float) -> float:
    """Replica time to prefill and decode a token mix at the estimate's batch (§1.8 phase split).

    GPU_seconds = N_in / prefill_tok_s + N_out / decode_tok_s. Offline benchmarks report output
    tokens over this whole time, prefill included.
    """
    return input_tokens / est.prefill_tokens_per_s + output_tokens / est.decode_tokens_per_s


def default_mbu(batch: int) -> float:
    return MBU_SMALL_BATCH if batch < SMALL_BATCH_BELOW else MBU_LARGE_BATCH


@dataclass(frozen=True, slots=True)
class _Plan:
    """A deployment resolved against the data: records, GPU count and the memory split."""

    d: Deployment
    model: OpenModel
    acc: Accelerator
    scheme: QuantScheme
    kv: KvDtype
    n: int
    weight_bytes: float
    kv_budget_per_gpu: float
    kv_seq_per_gpu: float  # at the average context: what each step reads
    max_batch: int
    flops_per_s: float
    compute_dtype: str

    @property
    def kv_overhead(self) -> float:
        return self.d.kv_overhead if self.d.kv_overhead is not None else self.kv.kernel_overhead

    def mbu(self, batch: int) -> float:
        return self.d.mbu if self.d.mbu is not None else default_mbu(batch)

    def weight_read_bytes(self, tokens: int) -> float:
        """Weights read per forward pass: all dense weights, only the experts the tokens touch."""
        m = self.model.moe
        if m is None:
            return self.weight_bytes
        one = expert_bytes(self.model, self.scheme)
        routed = self.model.routed_expert_params * self.scheme.bits_per_weight / 8
        touched = experts_touched(m.experts, m.top_k, tokens)
        return self.weight_bytes - routed + m.moe_layers * touched * one


def _check_range(name: str, value: float, low: float, high: float, why: str) -> None:
    if not low < value <= high:
        raise SelfHostError(f"{name} must be in ({low:g}, {high:g}], got {value:g}: {why}", name)


def _validate(d: Deployment) -> None:
    beat = "an efficiency above 1 would beat the roofline"
    for name, value in (("mfu", d.mfu), ("tp_efficiency_per_doubling", d.tp_efficiency_per_doubling),
                        ("moe_factor", d.moe_factor)) + ((("mbu", d.mbu),) if d.mbu is not None
                                                         else ()):
        _check_range(name, value, 0, 1, beat)
    _check_range("memory_utilization", d.memory_utilization, 0, 1, "a share of GPU memory")
    _check_range("utilization", float(d.utilization), 0, 1, "the busy share of rented time")
    if d.kv_overhead is not None and d.kv_overhead < 1:
        raise SelfHostError(f"kv_overhead must be ≥ 1, got {d.kv_overhead:g}: below 1 the "
                            "attention kernel would read KV faster than the bandwidth roofline", "kv_overhead")
    for name, value in (("n_gpus", d.n_gpus), ("batch", d.batch),
                        ("avg_context_tokens", d.avg_context_tokens),
                        ("prompt_tokens", d.prompt_tokens),
                        ("reserve_context_tokens", d.reserve_context_tokens)):
        if value is not None and value < 1:
            raise SelfHostError(f"{name} must be at least 1, got {value}", name)
    if d.usd_per_gpu_hour is not None and d.usd_per_gpu_hour <= 0:
        raise SelfHostError(f"usd_per_gpu_hour must be positive, got {d.usd_per_gpu_hour}", "usd_per_gpu_hour")


def _lookup(kind: str, key: str, table: Mapping[str, object], field: str) -> object:
    if key not in table:
        raise SelfHostError(f"unknown {kind} {key!r}; choose one of: {', '.join(sorted(table))}", field)
    return table[key]


def _kv_per_gpu(model: OpenModel, kv_bytes: float, n: int) -> float:
    # GQA shards KV by head; with fewer KV heads than GPUs the heads are replicated. MLA's latent
    # is shared by all heads, so every tensor-parallel GPU holds the whole cache.
    if model.attention.kind == "mla":
        return kv_bytes
    return kv_bytes / min(n, model.kv_heads)


def _fit(d: Deployment, model: OpenModel, acc: Accelerator, kv: KvDtype, w_total: float,
         n: int) -> tuple[float, float, int]:
    """(KV budget per GPU, KV bytes per sequence per GPU at S̄, max batch) on n GPUs."""
    budget = acc.memory_bytes * d.memory_utilization - w_total / n
    reserve_tokens = d.reserve_context_tokens or d.avg_context_tokens
    reserve = _kv_per_gpu(model, kv_bytes_per_sequence(model, reserve_tokens, kv), n)
    seq = _kv_per_gpu(model, kv_bytes_per_sequence(model, d.avg_context_tokens, kv), n)
    return budget, seq, max(0, min(MAX_BATCH, int(budget // reserve))) if budget > 0 else 0


def _memory_error(d: Deployment, model: OpenModel, acc: Accelerator, w_total: float, n: int,
                  budget: float) -> SelfHostError:
    gb = 1e9
    w_gpu = w_total / n
    usable = acc.memory_bytes * d.memory_utilization
    if w_gpu > usable:
        where = (f"one {acc.id}'s {acc.memory_bytes / gb:.0f} GB" if n == 1 else
                 f"{acc.id}'s {acc.memory_bytes / gb:.0f} GB per GPU ({w_gpu / gb:.0f} GB each "
                 f"over {n})")
        verb = "exceed" if w_gpu > acc.memory_bytes else (
            f"leave no room for the KV cache within {usable / gb:.0f} GB usable "
            f"({d.memory_utilization:.0%}) of")
        return SelfHostError(f"{model.name} {d.weight_quant} weights ({w_total / gb:.0f} GB) "
                             f"{verb} {where}: use more GPUs or quantize")
    tokens = d.reserve_context_tokens or d.avg_context_tokens
    return SelfHostError(f"{model.name} {d.weight_quant} weights ({w_gpu / gb:.1f} GB per GPU) "
                         f"leave {max(budget, 0) / gb:.1f} GB on {n}× {acc.id}, less than the KV "
                         f"cache of one {tokens:,}-token sequence: use more GPUs, quantize the "
                         "weights or the KV cache, or shorten the context")


def _plan(d: Deployment, models: Mapping[str, OpenModel],
          hardware: Mapping[str, Accelerator]) -> _Plan:
    _validate(d)
    model = _lookup("model", d.model_id, models, "model_id")
    acc = _lookup("accelerator", d.accelerator_id, hardware, "accelerator_id")
    scheme = _lookup("weight quantization", d.weight_quant, QUANT_SCHEMES, "weight_quant")
    kv = _lookup("KV dtype", d.kv_dtype, KV_DTYPES, "kv_dtype")
    w_total = weight_bytes(model, scheme)
    wanted = min(d.batch or 1, MAX_BATCH)
    if d.n_gpus is not None:
        n = d.n_gpus
        budget, seq, b_max = _fit(d, model, acc, kv, w_total, n)
        if b_max < 1:
            raise _memory_error(d, model, acc, w_total, n, budget)
    else:  # the fewest power-of-two GPUs that hold the requested batch, else at least one sequence
        sizes = [2 ** i for i in range(int(math.log2(MAX_GPUS)) + 1)]
        fits = {s: _fit(d, model, acc, kv, w_total, s) for s in sizes}
        usable = [s for s in sizes if fits[s][2] >= 1]
        if not usable:
            raise _memory_error(d, model, acc, w_total, MAX_GPUS, fits[MAX_GPUS][0])
        n = next((s for s in usable if fits[s][2] >= wanted), usable[0])
        budget, seq, b_max = fits[n]
    flops, dtype = acc.flops_per_s(scheme.compute_dtype)
    return _Plan(d, model, acc, scheme, kv, n, w_total, budget, seq, b_max, flops, dtype)


@dataclass(frozen=True, slots=True)
class _Step:
    seconds: float
    bound: str
    touched: float | None


def _decode_step(p: _Plan, batch: int, ideal: bool = False) -> _Step:
    """T_step = B·S̄·kv_bpt/(BW·MBU) + max(W_read/(BW·MBU), 2·B·P_act/(F·MFU))  (§1.4, §4).

    Attention bytes always add (decode attention is bandwidth-bound at any batch); the linear
    layers are memory- or compute-bound. `ideal` drops every efficiency factor: the roofline.
    """
    n = p.n
    bw = p.acc.bandwidth_bytes_per_s * (1.0 if ideal else p.mbu(batch))
    flops = p.flops_per_s * (1.0 if ideal else p.d.mfu)
    t_weights = p.weight_read_bytes(batch) / n / bw
    t_compute = 2.0 * batch * p.model.flop_params_per_token / n / flops
    t_linear = max(t_weights, t_compute)
    if p.model.is_moe and not ideal:
        t_linear /= p.d.moe_factor
    t_attention = batch * p.kv_seq_per_gpu * (1.0 if ideal else p.kv_overhead) / bw
    tp = 1.0 if ideal else tp_efficiency(n, p.d.tp_efficiency_per_doubling)
    m = p.model.moe
    touched = experts_touched(m.experts, m.top_k, batch) if m else None
    return _Step((t_linear + t_attention) / tp,
                 "compute" if t_compute > t_weights else "memory", touched)


def _prefill_flops(model: OpenModel, tokens: int) -> float:
    """2·P_act·N + causal attention H_q·(d_qk+d_v)·Σ_i min(i, window) over layers (§1.2, §1.6)."""
    d_qk, d_v = model.prefill_attention_dims
    local, window = model.attention.local_layers, model.attention.window
    full_pairs = tokens * tokens
    local_pairs = full_pairs if tokens <= window else 2 * window * tokens - window * window
    pairs = (model.layers - local) * full_pairs + local * local_pairs
    return 2.0 * model.flop_params_per_token * tokens + model.attention_heads * (d_qk + d_v) * pairs


def _usd_per_hour_total(p: _Plan) -> tuple[Decimal, Decimal]:
    """($/GPU-hour, $/hour for the replica) = n · $/GPU-hour / utilization (§1.8)."""
    d = p.d
    usd_gpu = d.usd_per_gpu_hour if d.usd_per_gpu_hour is not None else p.acc.usd_per_hour
    return usd_gpu, usd_gpu * p.n / d.utilization


def _prefill(p: _Plan) -> tuple[float, float]:
    """(batched prefill tokens/s, TTFT seconds for one prompt on an idle replica)."""
    tokens = p.d.prompt_tokens
    tp = tp_efficiency(p.n, p.d.tp_efficiency_per_doubling)
    compute = p.n * p.flops_per_s * p.d.mfu * tp
    flops = _prefill_flops(p.model, tokens)
    bw = p.acc.bandwidth_bytes_per_s * p.mbu(tokens)
    ttft = max(flops / compute, p.weight_read_bytes(tokens) / p.n / bw / tp)
    return tokens * compute / flops, ttft


def _warnings(p: _Plan) -> tuple[str, ...]:
    d, model = p.d, p.model
    out = []
    if p.compute_dtype != p.scheme.compute_dtype:
        out.append(f"{p.acc.id} has no {p.scheme.compute_dtype} tensor cores: {p.scheme.id} "
                   "weights are dequantized and multiplied in bf16")
    if d.batch is not None and d.batch > p.max_batch:
        out.append(f"batch {d.batch:,} does not fit: the KV cache holds {p.max_batch:,} sequences "
                   f"of {d.reserve_context_tokens or d.avg_context_tokens:,} tokens; using "
                   f"{p.max_batch:,}")
    if p.n > NODE_GPUS:
        out.append(f"{p.n} GPUs: tensor parallelism across nodes is slower than the "
                   f"{d.tp_efficiency_per_doubling:.0%}-per-doubling efficiency assumes")
    if model.attention.kind == "mla" and p.n > 1:
        out.append("MLA's latent KV cache is replicated on every tensor-parallel GPU")
    elif p.n > model.kv_heads:
        out.append(f"{model.kv_heads} KV heads on {p.n} GPUs: KV heads are replicated")
    longest = max(d.avg_context_tokens, d.reserve_context_tokens or 0, d.prompt_tokens)
    if longest > model.context_window:
        out.append(f"{longest:,} tokens exceed {model.name}'s {model.context_window:,}-token "
                   "context window")
    if d.kv_dtype.startswith("turboquant"):
        out.append(f"{p.kv.name}: {p.kv.quality}; kernel overhead ×{p.kv_overhead:g} on attention")
    return tuple(out)


def estimate(deployment: Deployment, models: Mapping[str, OpenModel],
             hardware: Mapping[str, Accelerator]) -> SelfHostEstimate:
    """The roofline estimate for one deployment; raises SelfHostError when it cannot work."""
    p = _plan(deployment, models, hardware)
    d, model = p.d, p.model
    batch = min(d.batch, p.max_batch) if d.batch is not None else p.max_batch
    step = _decode_step(p, batch)
    ceiling = batch / _decode_step(p, batch, ideal=True).seconds
    tokens_per_s = batch / step.seconds
    if tokens_per_s > ceiling * (1 + 1e-9):  # cannot happen with validated factors: a guard
        raise SelfHostError(f"{tokens_per_s:,.0f} tok/s is above the roofline {ceiling:,.0f}")
    prefill_tps, ttft_s = _prefill(p)
    usd_gpu, usd_total = _usd_per_hour_total(p)
    return SelfHostEstimate(
        deployment=d, model_name=model.name, accelerator_name=p.acc.name, n_gpus=p.n,
        weight_bits_per_weight=p.scheme.bits_per_weight,
        model_bits_per_weight=p.weight_bytes * 8 / model.total_params,
        weight_bytes_total=p.weight_bytes, weight_bytes_per_gpu=p.weight_bytes / p.n,
        kv_bytes_per_token=kv_bytes_per_token(model, p.kv),
        kv_bytes_per_sequence=kv_bytes_per_sequence(model, d.avg_context_tokens, p.kv),
        kv_budget_bytes_per_gpu=p.kv_budget_per_gpu, max_batch=p.max_batch, batch=batch,
        compute_dtype=p.compute_dtype, mbu=p.mbu(batch), decode_bound=step.bound,
        experts_touched=step.touched, decode_step_s=step.seconds, decode_tokens_per_s=tokens_per_s,
        tokens_per_s_per_user=1.0 / step.seconds, tpot_ms=step.seconds * 1000,
        roofline_tokens_per_s=ceiling, prefill_tokens_per_s=prefill_tps, ttft_ms=ttft_s * 1000,
        usd_per_gpu_hour=usd_gpu, usd_per_hour_total=usd_total, utilization=d.utilization,
        input_per_mtok=usd_per_mtok(usd_total, prefill_tps),
        output_per_mtok=usd_per_mtok(usd_total, tokens_per_s), warnings=_warnings(p))


def throughput_curve(deployment: Deployment, models: Mapping[str, OpenModel],
                     hardware: Mapping[str, Accelerator], batches: Sequence[int],
                     ) -> tuple[CurvePoint, ...]:
    """Decode throughput and cost per batch size; batches the KV cache cannot hold are left out."""
    p = _plan(deployment, models, hardware)
    usd_total = _usd_per_hour_total(p)[1]
    points = []
    for batch in sorted({b for b in batches if 1 <= b <= p.max_batch}):
        step = _decode_step(p, batch).seconds
        points.append(CurvePoint(batch, batch / step, 1.0 / step, step * 1000,
                                 usd_per_mtok(usd_total, batch / step)))
    return tuple(points)


def check_claim(deployment: Deployment, claimed_tokens_per_s: float,
                models: Mapping[str, OpenModel], hardware: Mapping[str, Accelerator],
                ) -> ClaimCheck:
    """Reject a quoted throughput that no engine could reach (§10), warn when it is implausible.

    The claim is for deployment.batch sequences (1 if unset) on deployment.n_gpus (1 if unset).
    """
    batch = deployment.batch or 1
    claim = replace(deployment, n_gpus=deployment.n_gpus or 1, batch=batch)
    p = _plan(claim, models, hardware)
    if p.max_batch < batch:
        raise SelfHostError(f"batch {batch:,} of {claim.avg_context_tokens:,}-token sequences "
                            f"does not fit next to {p.model.name} on {p.n}× {p.acc.id}: the KV "
                            f"cache holds {p.max_batch:,}")
    ideal = _decode_step(p, batch, ideal=True)
    ceiling = batch / ideal.seconds
    where = (f"{p.model.name} {claim.weight_quant} at batch {batch:,} on {p.n}× {p.acc.id}")
    if claimed_tokens_per_s > ceiling:
        roof = "bandwidth" if ideal.bound == "memory" else "compute"
        raise SelfHostError(
            f"{claimed_tokens_per_s:,.0f} tok/s claimed for {where} is above the {roof} roofline "
            f"of {ceiling:,.0f} tok/s ({claimed_tokens_per_s / ceiling:.1f}× too high)")
    fraction = claimed_tokens_per_s / ceiling
    warnings = ()
    if fraction > 0.9:
        warnings = (f"{fraction:.0%} of the roofline: published engines reach 0.55-0.9 of it "
                    "(inference-physics §6)",)
    return ClaimCheck(claimed_tokens_per_s, ceiling, fraction, warnings)
