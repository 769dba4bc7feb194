"""Input checks between widgets and the engine: finite, bounded numbers and a scenario core/ can price."""
from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from typing import Any

from core.plan.scenario import Scenario


def to_decimal(value: Any, *, minimum: Decimal | None = Decimal(0), maximum: Decimal | None = None) -> Decimal:
    """A finite Decimal within bounds, or ValueError: NaN, ±inf and absurd values never reach core/."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"not a finite number: {value!r}")
    try:
        result = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValueError(f"not a number: {value!r}") from None
    if not result.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    if minimum is not None and result < minimum:
        raise ValueError(f"{value} is below {minimum}")
    if maximum is not None and result > maximum:
        raise ValueError(f"{value} is above {maximum}")
    return result


def check_scenario(s: Scenario) -> list[str]:
    """Problems that would make the engine compute nonsense; an edit that has any is refused."""
    problems = list(s.workload.validate())
    names = [p.name for p in s.prompts]
    if any(not n.strip() for n in names):
        problems.append("a prompt needs a name")
    if len(set(names)) != len(names):
        problems.append("prompt names must be unique")
    for p in s.prompts:
        for label, value in (("share", p.share), ("requests/day", p.requests_per_day)):
            if value is not None and (not value.is_finite() or value < 0):
                problems.append(f"{p.name}: {label} must be a non-negative number")
        if p.output_tokens < 0 or p.reasoning_tokens < 0 or (p.fixed_tokens or 0) < 0:
            problems.append(f"{p.name}: token counts must not be negative")
    lv = s.levers
    for label, value in (("cache hit rate", lv.caching.hit_rate), ("batch share", lv.batch.share),
                         ("routed share", lv.routing.share), ("escalation rate", lv.routing.escalation_rate),
                         ("distilled share", lv.distillation.share), ("utilization", lv.selfhost.utilization)):
        if not (value.is_finite() and 0 <= value <= 1):
            problems.append(f"{label} must be between 0 and 100%")
    if not (0 <= lv.output_trim.reduce_pct <= 100):
        problems.append("output cut must be between 0 and 100%")
    return problems
