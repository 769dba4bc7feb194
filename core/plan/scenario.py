"""A whole plan (prompts, models, levers, workload, budget) as one frozen value, and loading it from YAML (writing: core.plan.scenario_write)."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from core.plan.levers import Levers
from core.plan.validation import LEVER_FIELDS, PROMPT_FIELDS, WORKLOAD_FIELDS, read_value
from core.plan.workload import PromptSpec, TokenTable, Workload
from core.base import (
    FieldReader, LineDict, Problem, parse_yaml, read_limited, to_str)

SCHEMA_VERSION = 1
NOTES_MAX_CHARS = 100_000
MAX_PROMPT_CHARS = 20_000_000  # ~5M tokens: above every context window; pastes and files beyond are refused
# Scenario files carry whole prompts, so they may be far larger than catalogs; the YAML node limit
# (core.base.yamlio.MAX_YAML_NODES) still bounds their structure. Astral characters (emoji) are written
# as 10-character escapes, hence the headroom over MAX_PROMPT_CHARS.
MAX_SCENARIO_BYTES = 256_000_000


@dataclass(frozen=True)
class Scenario:
    name: str = "Untitled plan"
    prompts: tuple[PromptSpec, ...] = ()
    primary_model: str = "gpt-5"
    comparison_models: tuple[str, ...] = ()
    levers: Levers = field(default_factory=Levers)
    workload: Workload = field(default_factory=Workload)
    notes: str = ""

    def with_(self, **changes: Any) -> "Scenario":
        return replace(self, **changes)

    def model_ids(self) -> tuple[str, ...]:
        """Every catalog model the plan touches (primary, comparisons, routed, student)."""
        ids = [self.primary_model, *self.comparison_models]
        if self.levers.routing.enabled and self.levers.routing.model_id:
            ids.append(self.levers.routing.model_id)
        if self.levers.distillation.enabled and self.levers.distillation.student_model_id:
            ids.append(self.levers.distillation.student_model_id)
        return tuple(dict.fromkeys(ids))

    def plan_inputs(self, tokens: TokenTable, primary: str | None = None, token_factors=None):
        from core.plan.projection import PlanInputs

        return PlanInputs(self.prompts, primary or self.primary_model, self.levers, self.workload, tokens,
                          token_factors=dict(token_factors or {}))


# --- reading --------------------------------------------------------------------------------

def _workload(r: FieldReader, data: LineDict) -> Workload:
    w = Workload()
    r.unknown(data, set(WORKLOAD_FIELDS), "workload")
    return Workload(**{name: r.read(data, name, f"workload.{name}", lambda v, k=kind: read_value(k, v),
                                    getattr(w, name))
                       for name, kind in WORKLOAD_FIELDS.items()})


def _prompt(r: FieldReader, data: Any, index: int, parent: Any) -> PromptSpec | None:
    where = f"prompts[{index}]"
    data = r.mapping(data, where, parent, "prompts")
    if data is None:
        return None
    allowed = {"name", "text", "tokens", "share", "requests_per_day", "output_tokens", "reasoning_tokens"}
    r.unknown(data, allowed, where)
    before = len(r.errors)
    name = r.read(data, "name", f"{where}.name", lambda v: to_str(v, max_len=200), f"Prompt {index + 1}")
    text = r.read(data, "text", f"{where}.text", lambda v: to_str(v, max_len=MAX_PROMPT_CHARS), "")

    def value(key: str, default: Any) -> Any:
        return r.read(data, key, f"{where}.{key}", lambda v: read_value(PROMPT_FIELDS[key], v), default)

    own_rpd = value("requests_per_day", None)
    prompt = PromptSpec(
        name=name, text=text, fixed_tokens=value("tokens", None),
        share=None if own_rpd is not None else value("share", Decimal(1)),
        requests_per_day=own_rpd, output_tokens=value("output_tokens", 0),
        reasoning_tokens=value("reasoning_tokens", 0),
    )
    return prompt if len(r.errors) == before else None


def _levers(r: FieldReader, data: LineDict) -> Levers:
    r.unknown(data, set(LEVER_FIELDS), "levers")
    built = {}
    for name, (cls, fields) in LEVER_FIELDS.items():
        block = r.mapping(data.get(name), f"levers.{name}", data, name)
        if block is None:
            continue
        r.unknown(block, set(fields), f"levers.{name}")
        default = cls()
        kwargs = {}
        for key, kind in fields.items():
            kwargs[key] = r.read(block, key, f"levers.{name}.{key}", lambda v, k=kind: read_value(k, v),
                                  getattr(default, key))
        built[name] = cls(**kwargs)
    return Levers(**built)


def scenario_from_data(data: Any, file: str) -> tuple[Scenario | None, list[Problem]]:
    r = FieldReader(file)
    if not isinstance(data, dict):
        return None, [Problem(file, None, "", "a scenario file must be a YAML mapping")]
    data = data if isinstance(data, LineDict) else LineDict(data)
    version = data.get("schema_version", SCHEMA_VERSION)  # a plan written by hand may leave it out
    if version != SCHEMA_VERSION:
        r.problem(data, "schema_version", "schema_version",
              f"expected schema_version: {SCHEMA_VERSION}, got {version!r}")
        return None, r.errors
    allowed = {"schema_version", "name", "notes", "primary_model", "comparison_models", "workload",
               "prompts", "levers"}
    r.unknown(data, allowed, "")
    name = r.read(data, "name", "name", lambda v: to_str(v, max_len=200), "Untitled plan")
    notes = r.read(data, "notes", "notes", lambda v: to_str(v, max_len=NOTES_MAX_CHARS), "")
    primary = r.read(data, "primary_model", "primary_model", lambda v: to_str(v, max_len=80), "")
    if not primary:
        r.problem(data, "primary_model", "primary_model", "required: the model this plan is priced on")
    comparisons = data.get("comparison_models") or []
    if not isinstance(comparisons, list) or not all(isinstance(c, str) for c in comparisons):
        r.problem(data, "comparison_models", "comparison_models", "expected a list of model ids")
        comparisons = []
    workload_data = r.mapping(data.get("workload"), "workload", data, "workload")
    workload = _workload(r, workload_data) if workload_data is not None else Workload()
    raw_prompts = data.get("prompts") or []
    prompts: list[PromptSpec] = []
    if not isinstance(raw_prompts, list):
        r.problem(data, "prompts", "prompts", "expected a list of prompts")
    else:
        for i, raw in enumerate(raw_prompts):
            prompt = _prompt(r, raw, i, data)
            if prompt is not None:
                prompts.append(prompt)
    names = [p.name for p in prompts]
    if len(set(names)) != len(names):
        r.problem(data, "prompts", "prompts", "prompt names must be unique")
    lever_data = r.mapping(data.get("levers"), "levers", data, "levers")
    levers = _levers(r, lever_data) if lever_data is not None else Levers()
    if r.errors:
        return None, r.errors
    scenario = Scenario(name=name, prompts=tuple(prompts), primary_model=primary,
                        comparison_models=tuple(comparisons), levers=levers, workload=workload, notes=notes)
    return scenario, []


def parse_scenario(text: str | bytes, file: str) -> tuple[Scenario | None, list[Problem]]:
    data, errors = parse_yaml(text, file, max_bytes=MAX_SCENARIO_BYTES)
    if errors:
        return None, errors
    return scenario_from_data(data, file)


def load_scenario(path: Path | str) -> tuple[Scenario | None, list[Problem]]:
    raw, errors = read_limited(path, MAX_SCENARIO_BYTES)  # an oversized file is never read whole
    if raw is None:
        return None, errors
    return parse_scenario(raw, str(path))


def demo_scenario_path() -> Path:
    from resources import resource_path

    return resource_path("demo_scenario.yaml")


def load_demo() -> Scenario:
    scenario, errors = load_scenario(demo_scenario_path())
    if scenario is None:  # a broken bundled file is a packaging bug, not user input
        raise RuntimeError("; ".join(map(str, errors)))
    return scenario
