"""`selfhost` sub-command: the roofline estimate for one model on one accelerator, as text or JSON."""
from __future__ import annotations

import argparse
import dataclasses
import sys
from decimal import Decimal

from cli import CliError, emit_json
from cli.common import fraction, positive_decimal, positive_int, token_count
from core.base import usd_price
from core.selfhost import (
    Deployment, KV_DTYPES, QUANT_SCHEMES, SelfHostError, SelfHostEstimate, estimate, load_hardware,
    load_open_models)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "selfhost", help="estimate self-hosted throughput, latency and $ per 1M tokens",
        description="Roofline estimate of serving an open model on rented GPUs.")
    p.add_argument("--model", required=True, help="open model id, e.g. llama-3.1-8b")
    p.add_argument("--gpu", required=True, help="accelerator id, e.g. h100")
    p.add_argument("--gpus", type=positive_int, help="tensor-parallel GPUs (default: fewest that fit)")
    p.add_argument("--quant", default="bf16", choices=sorted(QUANT_SCHEMES), help="weight format")
    p.add_argument("--kv", default="bf16", choices=sorted(KV_DTYPES), help="KV-cache dtype")
    p.add_argument("--batch", type=positive_int, help="concurrent sequences (default: max that fit)")
    p.add_argument("--context", type=token_count, default=2048,
                   help="average tokens per sequence in the KV cache during decode")
    p.add_argument("--prompt", type=token_count, default=1024, help="prompt tokens for TTFT")
    p.add_argument("--reserve", type=token_count,
                   help="KV tokens reserved per sequence (engines without paged admission)")
    p.add_argument("--usd-per-hour", type=positive_decimal, help="$ per GPU-hour (default: dated price)")
    p.add_argument("--utilization", type=positive_decimal, default=Decimal(1),
                   help="busy share of rented time, 0-1 (default 1)")
    p.add_argument("--mbu", type=fraction, help="bandwidth efficiency override, 0-1")
    p.add_argument("--mfu", type=fraction, default=0.6, help="compute efficiency, 0-1")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def _load():
    models, model_errors = load_open_models()
    hardware, hardware_errors = load_hardware()
    for error in model_errors + hardware_errors:  # bundled data should be clean; say so if not
        print(f"warning: {error}", file=sys.stderr)
    return models, hardware


def _gb(value: float) -> str:
    return f"{value / 1e9:,.1f} GB"


def _money(value: Decimal) -> str:
    return usd_price(value)  # per GPU-hour and per 1M tokens: cents, or more places below a dollar


def _text(e: SelfHostEstimate) -> str:
    d = e.deployment
    per_gpu = f", {_gb(e.weight_bytes_per_gpu)} per GPU" if e.n_gpus > 1 else ""
    touched = (f"; {e.experts_touched:.1f} distinct experts read per MoE layer per step"
               if e.experts_touched is not None else "")
    lines = [
        f"{e.model_name} on {e.n_gpus}× {e.accelerator_name}",
        f"  weights   {d.weight_quant} ({e.weight_bits_per_weight:.3f} bpw; "
        f"{e.model_bits_per_weight:.2f} bpw for the whole model): {_gb(e.weight_bytes_total)}"
        f"{per_gpu}",
        f"  KV cache  {d.kv_dtype}: {e.kv_bytes_per_token / 1024:,.1f} KiB/token; "
        f"{e.kv_bytes_per_sequence / 1e6:,.1f} MB per sequence at {d.avg_context_tokens:,} tokens; "
        f"{_gb(e.kv_budget_bytes_per_gpu)} free per GPU",
        f"  batch     {e.batch:,} (max {e.max_batch:,} by KV capacity)",
        f"  decode    {e.decode_tokens_per_s:,.0f} tok/s total, {e.tokens_per_s_per_user:,.1f} tok/s "
        f"per user, TPOT {e.tpot_ms:,.1f} ms (linear layers {e.decode_bound}-bound, MBU "
        f"{e.mbu:.2f}, {e.compute_dtype} math{touched})",
        f"  roofline  {e.roofline_tokens_per_s:,.0f} tok/s at this batch with ideal efficiency",
        f"  prefill   {e.prefill_tokens_per_s:,.0f} tok/s; TTFT {e.ttft_ms:,.1f} ms for "
        f"{d.prompt_tokens:,} prompt tokens on an idle replica",
        f"  cost      {_money(e.usd_per_gpu_hour)}/GPU-hour at {e.utilization:.0%} utilization → "
        f"{_money(e.output_per_mtok)} per 1M output, {_money(e.input_per_mtok)} per 1M input",
    ]
    lines += [f"  warning   {w}" for w in e.warnings]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    models, hardware = _load()
    deployment = Deployment(
        model_id=args.model, accelerator_id=args.gpu, n_gpus=args.gpus, weight_quant=args.quant,
        kv_dtype=args.kv, avg_context_tokens=args.context, prompt_tokens=args.prompt,
        batch=args.batch, reserve_context_tokens=args.reserve, 
        mbu=None if args.mbu is None else float(args.mbu), mfu=float(args.mfu),
        usd_per_gpu_hour=args.usd_per_hour, utilization=args.utilization)
    try:
        result = estimate(deployment, models, hardware)
    except SelfHostError as exc:
        raise CliError(str(exc.problem)) from None
    if args.json:
        emit_json(dataclasses.asdict(result))
    else:
        print(_text(result))
    return 0
