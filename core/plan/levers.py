"""API-side optimizations, each a pure transform of the traffic plan with a formula and a source."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal
from core.prices import ServiceTier

ZERO, ONE = Decimal(0), Decimal(1)


@dataclass(frozen=True, slots=True)
class Slice:
    """A part of one prompt's traffic, priced one way.

    `weight` is the number of requests of this slice per request of the prompt (a cascade's
    escalations make the weights sum to more than 1: both models are paid).
    """

    prompt: str
    model_id: str
    weight: Decimal = ONE
    tier: ServiceTier = ServiceTier.STANDARD
    cache_hit_rate: Decimal = ZERO
    cache_prefix_share: Decimal | None = None  # None: the prompts' common prefix
    cache_ttl: str = "5m"
    output_cap: int | None = None
    output_scale: Decimal = ONE
    role: str = "primary"  # primary | routed | escalated | student

    def but(self, **changes) -> "Slice":
        """This slice with some fields changed: `dataclasses.replace` without its generic field walk
        (a recompute rebuilds a template for each varied lever share)."""
        return Slice(changes.get("prompt", self.prompt), changes.get("model_id", self.model_id),
                     changes.get("weight", self.weight), changes.get("tier", self.tier),
                     changes.get("cache_hit_rate", self.cache_hit_rate),
                     changes.get("cache_prefix_share", self.cache_prefix_share),
                     changes.get("cache_ttl", self.cache_ttl), changes.get("output_cap", self.output_cap),
                     changes.get("output_scale", self.output_scale), changes.get("role", self.role))


@dataclass(frozen=True, slots=True)
class CachingLever:
    enabled: bool = False
    hit_rate: Decimal = Decimal("0.8")
    ttl: str = "5m"
    prefix_share: Decimal | None = None  # None: computed from the prompts' common token prefix

    formula = ("per request: uncached×p_in + h·C×p_read + (1−h)·C×p_write, C = cacheable prefix "
               "tokens (0 below the provider's minimum), h = hit rate")
    source = ("Anthropic prompt-caching pricing (write 1.25× 5 min / 2× 1 h, read 0.1×); OpenAI prompt "
              "caching (reads 0.1×–0.5×, writes 1.25× from GPT-5.6); Gemini implicit caching (90% off) — "
              "reference/prices-2026.md, inference-physics.md §5")

    def apply(self, slices: tuple[Slice, ...]) -> tuple[Slice, ...]:
        return tuple(s.but(cache_hit_rate=self.hit_rate, cache_prefix_share=self.prefix_share, cache_ttl=self.ttl)
                     for s in slices)


@dataclass(frozen=True, slots=True)
class BatchLever:
    enabled: bool = False
    share: Decimal = Decimal("0.3")

    formula = "cost = b·cost_batch + (1−b)·cost_standard, cost_batch = 0.5× every rate (caching stacks where allowed)"
    source = "OpenAI Batch API, Anthropic Message Batches, Gemini Batch Mode: 50% off (prices-2026.md)"

    def apply(self, slices: tuple[Slice, ...]) -> tuple[Slice, ...]:
        out = []
        for s in slices:
            if self.share > 0:
                out.append(s.but(weight=s.weight * self.share, tier=ServiceTier.BATCH))
            if self.share < 1:
                out.append(s.but(weight=s.weight * (ONE - self.share)))
        return tuple(out)


@dataclass(frozen=True, slots=True)
class RoutingLever:
    enabled: bool = False
    model_id: str = ""
    share: Decimal = Decimal("0.4")
    cascade: bool = False
    escalation_rate: Decimal = Decimal("0.1")

    formula = ("route: r·c_small + (1−r)·c_big; cascade: r·c_small + r·e·c_big + (1−r)·c_big "
               "(escalated answers are paid on both models)")
    source = ("RouteLLM (lm-sys/RouteLLM, LMSYS 2024-07-01): >85% cost cut on MT Bench at 95% of GPT-4 "
              "quality; inference-physics.md §9")

    def apply(self, slices: tuple[Slice, ...]) -> tuple[Slice, ...]:
        out = []
        for s in slices:
            if s.role != "primary" or not self.model_id:
                out.append(s)
                continue
            out.append(s.but(model_id=self.model_id, weight=s.weight * self.share, role="routed"))
            if self.cascade and self.escalation_rate > 0:
                out.append(s.but(weight=s.weight * self.share * self.escalation_rate, role="escalated"))
            if self.share < 1:
                out.append(s.but(weight=s.weight * (ONE - self.share)))
        return tuple(out)


@dataclass(frozen=True, slots=True)
class DistillationLever:
    enabled: bool = False
    student_model_id: str = ""
    share: Decimal = Decimal("0.3")
    training_tokens: int = 0
    training_cost: Decimal | None = None  # a $ amount instead of tokens × fine-tuning price

    formula = ("s·c_student + (1−s)·c_teacher per request, plus training cost / horizon each month "
               "(training cost = training tokens × fine-tuning price, or a $ amount)")
    source = "inference-physics.md §9 (small models / distillation); fine-tuning prices from the catalog"

    def apply(self, slices: tuple[Slice, ...]) -> tuple[Slice, ...]:
        out = []
        for s in slices:
            if s.role != "primary" or not self.student_model_id:
                out.append(s)
                continue
            out.append(s.but(model_id=self.student_model_id, weight=s.weight * self.share, role="student"))
            if self.share < 1:
                out.append(s.but(weight=s.weight * (ONE - self.share)))
        return tuple(out)

    def one_time_cost(self, fine_tune_per_mtok: Decimal | None) -> Decimal | None:
        """Training cost in USD, or None when neither a $ amount nor a fine-tuning price is known."""
        if self.training_cost is not None:
            return self.training_cost
        if self.training_tokens == 0:
            return ZERO
        if fine_tune_per_mtok is None:
            return None
        return Decimal(self.training_tokens) * fine_tune_per_mtok / Decimal(1_000_000)


@dataclass(frozen=True, slots=True)
class OutputTrimLever:
    enabled: bool = False
    cap_tokens: int | None = None
    reduce_pct: Decimal = Decimal(20)

    formula = "output' = min(output, cap) × (1 − cut%); reasoning tokens are untouched"
    source = "provider max_tokens parameter; shorter answers via prompt instructions (user's estimate)"

    def apply(self, slices: tuple[Slice, ...]) -> tuple[Slice, ...]:
        scale = ONE - self.reduce_pct / 100
        return tuple(s.but(output_cap=self.cap_tokens, output_scale=s.output_scale * scale) for s in slices)


@dataclass(frozen=True, slots=True)
class SelfHostLever:
    """Self-hosting is compared beside the API plan (break-even chart), not folded into it."""

    enabled: bool = False
    open_model: str = "llama-3.1-70b"
    accelerator: str = "h100"
    n_gpus: int | None = None
    weight_quant: str = "fp8"
    kv_dtype: str = "fp8"
    utilization: Decimal = Decimal("0.6")
    usd_per_gpu_hour: Decimal | None = None
    peak_concurrency: int = 32

    formula = "$/1M out = n_GPU·$/h / u / (decode tok/s·3600)·1e6; prefill priced the same way for input"
    source = "inference-physics.md §1.8, §10 (roofline with MBU/MFU efficiencies)"


@dataclass(frozen=True, slots=True)
class Levers:
    caching: CachingLever = field(default_factory=CachingLever)
    batch: BatchLever = field(default_factory=BatchLever)
    routing: RoutingLever = field(default_factory=RoutingLever)
    distillation: DistillationLever = field(default_factory=DistillationLever)
    output_trim: OutputTrimLever = field(default_factory=OutputTrimLever)
    selfhost: SelfHostLever = field(default_factory=SelfHostLever)

    def only(self, names: tuple[str, ...]) -> "Levers":
        """These API levers as configured, every other API lever switched off."""
        return replace(self, **{name: replace(getattr(self, name), enabled=getattr(self, name).enabled
                                              and name in names) for name in API_LEVERS})


# Order matters only for the waterfall's attribution; the transforms split traffic
# proportionally, so the final plan is the same in any order.
API_LEVERS: tuple[str, ...] = ("caching", "batch", "routing", "distillation", "output_trim")
LEVER_TITLES = {
    "caching": "Prompt caching", "batch": "Batch API", "routing": "Routing to a small model",
    "distillation": "Distillation", "output_trim": "Output trimming", "selfhost": "Self-hosting",
}


def traffic_template(primary_model: str, levers: Levers) -> tuple[Slice, ...]:
    """The slices of one prompt (named ""): every prompt's traffic splits the same way.

    Each lever maps every slice to slices of its own without looking at the prompt, so a plan is
    this template repeated per prompt, in the same order.
    """
    slices: tuple[Slice, ...] = (Slice(prompt="", model_id=primary_model),)
    # Splitting levers first so caching, batch and trimming apply to every resulting slice.
    for name in ("distillation", "routing", "caching", "batch", "output_trim"):
        lever = getattr(levers, name)
        if lever.enabled:
            slices = lever.apply(slices)
    return slices

