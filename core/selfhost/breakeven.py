"""API vs self-hosting: monthly cost of a workload on each, and the monthly volume where they cross."""
from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Iterable

from core.selfhost.roofline import (SECONDS_PER_HOUR, TOKENS_PER_MTOK, SelfHostError, SelfHostEstimate,
                           busy_seconds)

HOURS_PER_MONTH = Decimal(730)  # 8,760 hours / 12: GPUs are rented around the clock


@dataclass(frozen=True, slots=True)
class SelfHostMonthly:
    """GPUs rented for a month: whole replicas, enough for the volume and the peak concurrency."""

    gpus_per_replica: int
    replicas: int
    replicas_for_volume: int
    replicas_for_concurrency: int
    gpus: int
    usd_per_month: Decimal
    replica_usd_per_month: Decimal
    # tokens one replica serves in a month at the deployment's utilization, with this in/out mix
    replica_tokens_per_month: Decimal


@dataclass(frozen=True, slots=True)
class BreakEvenPoint:
    """One volume on the break-even chart."""

    tokens_per_month: int
    api_usd: Decimal
    selfhost_usd: Decimal


def _ceil(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_CEILING))


def _check_workload(input_tokens: int, output_tokens: int, peak_concurrency: int) -> None:
    if input_tokens < 0 or output_tokens < 0 or input_tokens + output_tokens == 0:
        raise SelfHostError("the workload needs a positive number of input or output tokens")
    if peak_concurrency < 1:
        raise SelfHostError(f"peak concurrency must be at least 1, got {peak_concurrency}")


def _replica_tokens_per_month(est: SelfHostEstimate, input_share: Decimal,
                              hours: Decimal) -> Decimal:
    # utilization is the busy share of the rented hours
    seconds_per_token = busy_seconds(est, float(input_share), float(1 - input_share))
    return hours * SECONDS_PER_HOUR * est.utilization / Decimal(repr(seconds_per_token))


def monthly_selfhost_cost(est: SelfHostEstimate, input_tokens_per_month: int,
                          output_tokens_per_month: int, peak_concurrency: int,
                          hours_per_month: Decimal = HOURS_PER_MONTH) -> SelfHostMonthly:
    """Monthly rent of whole replicas of est.n_gpus: enough busy time and enough batch slots."""
    _check_workload(input_tokens_per_month, output_tokens_per_month, peak_concurrency)
    total = input_tokens_per_month + output_tokens_per_month
    capacity = _replica_tokens_per_month(est, Decimal(input_tokens_per_month) / total,
                                         hours_per_month)
    for_volume = _ceil(total / capacity)
    # each replica decodes at most est.batch sequences at once
    for_concurrency = math.ceil(peak_concurrency / est.batch)
    replicas = max(1, for_volume, for_concurrency)
    replica_usd = est.usd_per_gpu_hour * est.n_gpus * hours_per_month
    return SelfHostMonthly(est.n_gpus, replicas, for_volume, for_concurrency,
                           replicas * est.n_gpus, replicas * replica_usd, replica_usd, capacity)


@dataclass(frozen=True, slots=True)
class BreakEven:
    """Monthly API cost next to self-hosting for one workload mix, and where the two cross."""

    input_tokens_per_month: int
    output_tokens_per_month: int
    peak_concurrency: int
    api_input_per_mtok: Decimal
    api_output_per_mtok: Decimal
    api_usd_per_month: Decimal
    selfhost: SelfHostMonthly
    # first monthly volume (same in/out mix) at which self-hosting costs no more than the API
    crossing_tokens_per_month: int | None
    # self-hosting stays cheaper at every volume above this one (adding a replica is a step up)
    cheaper_above_tokens_per_month: int | None

    @property
    def selfhost_usd_per_month(self) -> Decimal:
        return self.selfhost.usd_per_month

    @property
    def savings_usd_per_month(self) -> Decimal:
        """API minus self-hosting: positive when self-hosting is cheaper."""
        return self.api_usd_per_month - self.selfhost.usd_per_month

    def api_usd_at(self, tokens_per_month: int) -> Decimal:
        """The API bill at another volume with the same in/out mix (exact at this volume)."""
        total = self.input_tokens_per_month + self.output_tokens_per_month
        return self.api_usd_per_month * tokens_per_month / total

    def selfhost_usd_at(self, tokens_per_month: int) -> Decimal:
        s = self.selfhost
        replicas = max(1, s.replicas_for_concurrency,
                       _ceil(Decimal(tokens_per_month) / s.replica_tokens_per_month))
        return replicas * s.replica_usd_per_month

    def curve(self, volumes: Iterable[int]) -> tuple[BreakEvenPoint, ...]:
        """API and self-host monthly cost at each volume (tokens/month, this mix) for a chart."""
        return tuple(BreakEvenPoint(v, self.api_usd_at(v), self.selfhost_usd_at(v))
                     for v in volumes)


def break_even(input_tokens_per_month: int, output_tokens_per_month: int, peak_concurrency: int,
               api_input_per_mtok: Decimal, api_output_per_mtok: Decimal,
               est: SelfHostEstimate, hours_per_month: Decimal = HOURS_PER_MONTH) -> BreakEven:
    """Compare an API model's prices with a self-hosted deployment for one workload.

    Volume V scales input and output together (the workload's mix). The API costs a·V with a the
    blended $ per token; self-hosting costs R per replica, max(k_min, ⌈V / C⌉) replicas, where C
    is one replica's monthly capacity and k_min covers the peak concurrency. When a·C > R the
    first crossing is V = k_min·R / a; each added replica is a step up that the API line catches
    again, and from K* = ⌈a·C / (a·C − R)⌉ replicas on it never falls behind.
    """
    _check_workload(input_tokens_per_month, output_tokens_per_month, peak_concurrency)
    monthly = monthly_selfhost_cost(est, input_tokens_per_month, output_tokens_per_month,
                                    peak_concurrency, hours_per_month)
    total = input_tokens_per_month + output_tokens_per_month
    api = (input_tokens_per_month * api_input_per_mtok
           + output_tokens_per_month * api_output_per_mtok) / TOKENS_PER_MTOK
    per_token = api / total
    replica_usd, capacity = monthly.replica_usd_per_month, monthly.replica_tokens_per_month
    k_min = max(1, monthly.replicas_for_concurrency)
    crossing = cheaper_above = None
    margin = per_token * capacity - replica_usd  # what a full replica saves against the API
    if per_token > 0 and margin > 0:
        crossing = _ceil(k_min * replica_usd / per_token)
        k_star = _ceil(per_token * capacity / margin)
        cheaper_above = _ceil(max(k_min, k_star - 1) * replica_usd / per_token)
    return BreakEven(input_tokens_per_month, output_tokens_per_month, peak_concurrency,
                     api_input_per_mtok, api_output_per_mtok, api, monthly, crossing, cheaper_above)
