"""The scenario's rules in one place: a reader per field (YAML loader, GUI edits, CLI) and the whole-plan check."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from core.base import (
    MAX_BUDGET_PER_MONTH, MAX_GROWTH_PCT, MAX_HORIZON_MONTHS, MAX_OUTPUT_TOKENS, MAX_PROMPT_SHARE,
    MAX_REQUESTS_PER_DAY, MIN_GROWTH_PCT, FieldError, Problem, to_date, to_decimal, to_int, to_str)
from core.plan.levers import (BatchLever, CachingLever, DistillationLever, OutputTrimLever, RoutingLever,
                              SelfHostLever)

MAX_NAME_CHARS = 200
MAX_FIXED_TOKENS = 100_000_000
EARLIEST_MONTH = date(2000, 1, 1)
LATEST_MONTH = date(2100, 12, 1)  # a 36-month horizon from here still has real calendar months


def _growth(value: Any) -> Decimal:
    result = to_decimal(value, minimum=None, maximum=MAX_GROWTH_PCT)
    if result <= MIN_GROWTH_PCT:
        raise FieldError(f"growth must be above {MIN_GROWTH_PCT}%")
    return result


def _month(value: Any) -> date:
    if isinstance(value, str) and len(value.strip()) == 7:
        value = value.strip() + "-01"
    month = to_date(value).replace(day=1)
    if not EARLIEST_MONTH <= month <= LATEST_MONTH:
        raise FieldError(f"expected a month between {EARLIEST_MONTH:%Y-%m} and {LATEST_MONTH:%Y-%m}, "
                         f"got {month:%Y-%m}")
    return month


def _fraction(value: Any) -> Decimal:
    result = to_decimal(value, maximum=MAX_PROMPT_SHARE)
    if result > 1:
        raise FieldError(f"must be between 0 and 1 (a share), got {value!r}")
    return result


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise FieldError(f"expected true or false, got {value!r}")
    return value


def _ttl(value: Any) -> str:
    if value not in ("5m", "1h"):
        raise FieldError(f"expected 5m or 1h, got {value!r}")
    return value


# kind -> reader; a trailing "?" on a kind (below) also accepts null.
READERS = {
    "bool": _bool,
    "str": lambda v: to_str(v, max_len=MAX_NAME_CHARS),
    "int": lambda v: to_int(v, minimum=0, maximum=10**13),
    "fraction": _fraction,
    "pct": lambda v: to_decimal(v, maximum=Decimal(100)),
    "money": lambda v: to_decimal(v, maximum=MAX_BUDGET_PER_MONTH),
    "ttl": _ttl,
    "requests_per_day": lambda v: to_decimal(v, maximum=MAX_REQUESTS_PER_DAY),
    "growth": _growth,
    "horizon": lambda v: to_int(v, minimum=1, maximum=MAX_HORIZON_MONTHS),
    "month": _month,
    "share": lambda v: to_decimal(v, maximum=MAX_PROMPT_SHARE),
    "tokens": lambda v: to_int(v, maximum=MAX_FIXED_TOKENS),
    "output_tokens": lambda v: to_int(v, maximum=MAX_OUTPUT_TOKENS),
}

WORKLOAD_FIELDS = {"requests_per_day": "requests_per_day", "growth_pct_per_month": "growth",
                   "horizon_months": "horizon", "start_month": "month", "budget_per_month": "money?"}
PROMPT_FIELDS = {"tokens": "tokens?", "share": "share", "requests_per_day": "requests_per_day?",
                 "output_tokens": "output_tokens", "reasoning_tokens": "output_tokens"}
LEVER_FIELDS: dict[str, tuple[type, dict[str, str]]] = {
    # yaml key -> (dataclass, {yaml field: kind})
    "caching": (CachingLever, {"enabled": "bool", "hit_rate": "fraction", "ttl": "ttl", "prefix_share": "fraction?"}),
    "batch": (BatchLever, {"enabled": "bool", "share": "fraction"}),
    "routing": (RoutingLever, {"enabled": "bool", "model_id": "str", "share": "fraction", "cascade": "bool",
                               "escalation_rate": "fraction"}),
    "distillation": (DistillationLever, {"enabled": "bool", "student_model_id": "str", "share": "fraction",
                                         "training_tokens": "int", "training_cost": "money?"}),
    "output_trim": (OutputTrimLever, {"enabled": "bool", "cap_tokens": "int?", "reduce_pct": "pct"}),
    "selfhost": (SelfHostLever, {"enabled": "bool", "open_model": "str", "accelerator": "str", "n_gpus": "int?",
                                 "weight_quant": "str", "kv_dtype": "str", "utilization": "fraction",
                                 "usd_per_gpu_hour": "money?", "peak_concurrency": "int"}),
}


def read_value(kind: str, value: Any) -> Any:
    """`value` as the kind of field requires, or FieldError with a message for the user."""
    optional = kind.endswith("?")
    kind = kind.rstrip("?")
    if value is None:
        if optional:
            return None
        raise FieldError("a value is required")
    return READERS[kind](value)


def field_kind(path: str) -> str:
    """The kind of a scenario field named like the YAML: workload.requests_per_day, levers.batch.share, prompts.share."""
    section, _, rest = path.partition(".")
    if section == "workload" and rest in WORKLOAD_FIELDS:
        return WORKLOAD_FIELDS[rest]
    if section == "prompts" and rest in PROMPT_FIELDS:
        return PROMPT_FIELDS[rest]
    if section == "levers":
        lever, _, name = rest.partition(".")
        if lever in LEVER_FIELDS and name in LEVER_FIELDS[lever][1]:
            return LEVER_FIELDS[lever][1][name]
    raise KeyError(f"no such scenario field: {path}")


def read_field(path: str, value: Any) -> Any:
    """A value typed into the app (or given to the CLI) for a scenario field, checked by the loader's rule.

    Widgets hand over floats; they become exact Decimals through their shortest repr.
    """
    return read_value(field_kind(path), value)


def check_scenario(s) -> list[Problem]:
    """Problems that would make the engine compute nonsense; an edit that has any is refused."""
    problems: list[Problem] = []

    def bad(field: str, message: str) -> None:
        problems.append(Problem("", None, field, message))

    w = s.workload
    for name, kind in WORKLOAD_FIELDS.items():
        try:
            read_value(kind, getattr(w, name))
        except FieldError as exc:
            bad(f"workload.{name}", str(exc))
    names = [p.name for p in s.prompts]
    if any(not n.strip() for n in names):
        bad("prompts", "a prompt needs a name")
    if len(set(names)) != len(names):
        bad("prompts", "prompt names must be unique")
    for i, p in enumerate(s.prompts):
        for name, value in (("share", p.share), ("requests_per_day", p.requests_per_day),
                            ("tokens", p.fixed_tokens), ("output_tokens", p.output_tokens),
                            ("reasoning_tokens", p.reasoning_tokens)):
            if value is None:
                continue
            try:
                read_value(PROMPT_FIELDS[name], value)
            except FieldError as exc:
                bad(f"prompts[{i}].{name}", f"{p.name}: {exc}")
    for lever_name, (_cls, fields) in LEVER_FIELDS.items():
        lever = getattr(s.levers, lever_name)
        for name, kind in fields.items():
            try:
                read_value(kind, getattr(lever, name))
            except FieldError as exc:
                bad(f"levers.{lever_name}.{name}", str(exc))
    return problems
