"""The self-hosting comparison of a plan: its monthly tokens fed to core's roofline estimate and break-even."""
from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from core.base import usd, usd_whole
from core.prices import Catalog
from core.plan.evaluation import PlanResult
from core.plan.workload import prompt_requests_per_day


@lru_cache(maxsize=1)
def tables():
    """(open models, accelerators) from the bundled YAML, parsed once per process (~0.25 s)."""
    from core.selfhost import load_hardware, load_open_models

    return load_open_models()[0], load_hardware()[0]


def selfhost_comparison(result: PlanResult, catalog: Catalog):
    """(SelfHostEstimate, BreakEven) for the plan's first month; raises ValueError with a reason.

    The API side is the primary model's list prices scaled by what the enabled levers save in that
    month, so the chart compares self-hosting with the optimized API plan, not the raw list price.
    """
    from core.selfhost import Deployment, break_even, estimate

    s = result.scenario
    lever = s.levers.selfhost
    primary = catalog.get(s.primary_model)
    if primary is None or not result.projection.months:
        raise ValueError("no priced API plan to compare with")
    first, base = result.projection.months[0], result.baseline.months[0]
    rpd = prompt_requests_per_day(s.prompts, s.workload)
    requests = sum(rpd.values(), Decimal(0)) * first.days
    if requests <= 0:
        raise ValueError("the plan has no traffic")
    tok = primary.tokenizer
    input_tokens = sum((rpd[p.name] * first.days * result.tokens.tokens(p.name, tok) for p in s.prompts),
                       Decimal(0))
    output_tokens = sum((rpd[p.name] * first.days * (p.output_tokens + p.reasoning_tokens) for p in s.prompts),
                        Decimal(0))
    avg_prompt = max(1, int(input_tokens / requests))
    avg_output = int(output_tokens / requests)
    models, hardware = tables()
    deployment = Deployment(
        model_id=lever.open_model, accelerator_id=lever.accelerator, n_gpus=lever.n_gpus,
        weight_quant=lever.weight_quant, kv_dtype=lever.kv_dtype,
        avg_context_tokens=avg_prompt + avg_output // 2, prompt_tokens=avg_prompt,
        usd_per_gpu_hour=lever.usd_per_gpu_hour, utilization=lever.utilization)
    est = estimate(deployment, models, hardware)
    rates = primary.rates_on(first.month)
    if rates.input_per_mtok is None or rates.output_per_mtok is None:
        raise ValueError(f"{primary.id} has no input or output price to compare with")
    factor = first.cost / base.cost if base.cost > 0 else Decimal(1)
    be = break_even(int(input_tokens), int(output_tokens), lever.peak_concurrency,
                    rates.input_per_mtok * factor, rates.output_per_mtok * factor, est)
    return est, be


def summary(est, be) -> str:
    """One line for the lever box: throughput, $ per 1M, and where self-hosting breaks even."""
    text = (f"{est.model_name} on {est.n_gpus}× {est.accelerator_name}: {est.decode_tokens_per_s:,.0f} tok/s, "
            f"{usd(est.output_per_mtok)}/1M out · {be.selfhost.gpus} GPU(s) "
            f"{usd_whole(be.selfhost_usd_per_month)}/month vs API {usd_whole(be.api_usd_per_month)}")
    if be.crossing_tokens_per_month:
        now = be.input_tokens_per_month + be.output_tokens_per_month
        text += f" · breaks even at {be.crossing_tokens_per_month / 1e9:,.2f}B tokens/month (now {now / 1e9:,.2f}B)"
    else:
        text += " · never cheaper than the API at this mix"
    return text
