"""A whole plan (prompts, models, levers, workload, budget) as one frozen value, with YAML load/save."""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

import yaml

from core.atomicio import atomic_write_text  # re-exported: callers save through here
from core.levers import (BatchLever, CachingLever, DistillationLever, Levers, OutputTrimLever,
                         RoutingLever, SelfHostLever)
from core.workload import MAX_HORIZON_MONTHS, PromptSpec, TokenTable, Workload
from core.yamlio import (FieldError, LineDict, LoadError, parse_yaml, read_limited, to_date, to_decimal,
                         to_int, to_str)

if TYPE_CHECKING:
    from core.largetext import LargeText

SCHEMA_VERSION = 1
NOTES_MAX_CHARS = 100_000
MAX_PROMPT_CHARS = 20_000_000  # ~5M tokens: above every context window; pastes and files beyond are refused
# Scenario files carry whole prompts, so they may be far larger than catalogs; the YAML node limit
# (core.yamlio.MAX_YAML_NODES) still bounds their structure. Astral characters (emoji) are written
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
        from core.projection import PlanInputs

        return PlanInputs(self.prompts, primary or self.primary_model, self.levers, self.workload, tokens,
                          token_factors=dict(token_factors or {}))


# --- reading --------------------------------------------------------------------------------

_LEVER_FIELDS: dict[str, tuple[type, dict[str, str]]] = {
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


def _convert(kind: str, value: Any) -> Any:
    optional = kind.endswith("?")
    kind = kind.rstrip("?")
    if value is None:
        if optional:
            return None
        raise FieldError("a value is required")
    if kind == "bool":
        if not isinstance(value, bool):
            raise FieldError(f"expected true or false, got {value!r}")
        return value
    if kind == "str":
        return to_str(value, max_len=200)
    if kind == "int":
        return to_int(value, minimum=0, maximum=10**13)
    if kind == "fraction":
        result = to_decimal(value, maximum=Decimal(10) ** 6)
        if result > 1:
            raise FieldError(f"must be between 0 and 1 (a share), got {value!r}")
        return result
    if kind == "pct":
        return to_decimal(value, maximum=Decimal(100))
    if kind == "money":
        return to_decimal(value, maximum=Decimal(10) ** 12)
    if kind == "ttl":
        if value not in ("5m", "1h"):
            raise FieldError(f"expected 5m or 1h, got {value!r}")
        return value
    raise AssertionError(kind)


class _Reader:
    def __init__(self, file: str) -> None:
        self.file = file
        self.errors: list[LoadError] = []

    def err(self, mapping: Any, key: Any, field_name: str, reason: str) -> None:
        line = mapping.line_of(key) if isinstance(mapping, LineDict) else None
        self.errors.append(LoadError(self.file, line, field_name, reason))

    def mapping(self, value: Any, where: str, parent: Any, key: Any) -> LineDict | None:
        if value is None:
            return LineDict()
        if not isinstance(value, dict):
            self.err(parent, key, where, "expected a mapping")
            return None
        return value if isinstance(value, LineDict) else LineDict(value)

    def unknown(self, data: LineDict, allowed: set[str], where: str) -> None:
        for key in data:
            if key not in allowed:
                self.err(data, key, f"{where}.{key}" if where else str(key),
                         f"unknown key (expected one of: {', '.join(sorted(allowed))})")

    def field(self, data: LineDict, key: str, where: str, conv, default: Any) -> Any:
        if key not in data:
            return default
        try:
            return conv(data[key])
        except FieldError as exc:
            self.err(data, key, f"{where}.{key}" if where else key, str(exc))
            return default


def _workload(r: _Reader, data: LineDict) -> Workload:
    w = Workload()
    allowed = {"requests_per_day", "growth_pct_per_month", "horizon_months", "start_month", "budget_per_month"}
    r.unknown(data, allowed, "workload")

    def month(value: Any) -> date:
        if isinstance(value, str) and len(value.strip()) == 7:
            value = value.strip() + "-01"
        return to_date(value).replace(day=1)

    return Workload(
        requests_per_day=r.field(data, "requests_per_day", "workload",
                                 lambda v: to_decimal(v, maximum=Decimal(10) ** 10), w.requests_per_day),
        growth_pct_per_month=r.field(data, "growth_pct_per_month", "workload",
                                     lambda v: _growth(v), w.growth_pct_per_month),
        horizon_months=r.field(data, "horizon_months", "workload",
                               lambda v: to_int(v, minimum=1, maximum=MAX_HORIZON_MONTHS), w.horizon_months),
        start_month=r.field(data, "start_month", "workload", month, w.start_month),
        budget_per_month=r.field(data, "budget_per_month", "workload",
                                 lambda v: None if v is None else to_decimal(v, maximum=Decimal(10) ** 12),
                                 None),
    )


def _growth(value: Any) -> Decimal:
    result = to_decimal(value, maximum=Decimal(1000), allow_negative=True)
    if result <= -100:
        raise FieldError("growth must be above -100%")
    return result


def _prompt(r: _Reader, data: Any, index: int, parent: Any) -> PromptSpec | None:
    where = f"prompts[{index}]"
    data = r.mapping(data, where, parent, "prompts")
    if data is None:
        return None
    allowed = {"name", "text", "tokens", "share", "requests_per_day", "output_tokens", "reasoning_tokens"}
    r.unknown(data, allowed, where)
    before = len(r.errors)
    name = r.field(data, "name", where, lambda v: to_str(v, max_len=200), f"Prompt {index + 1}")
    text = r.field(data, "text", where, lambda v: to_str(v, max_len=MAX_PROMPT_CHARS), "")
    own_rpd = r.field(data, "requests_per_day", where, lambda v: to_decimal(v, maximum=Decimal(10) ** 10), None)
    prompt = PromptSpec(
        name=name, text=text,
        fixed_tokens=r.field(data, "tokens", where, lambda v: to_int(v, maximum=100_000_000), None),
        share=None if own_rpd is not None else r.field(data, "share", where,
                                                        lambda v: to_decimal(v, maximum=Decimal(10) ** 6), Decimal(1)),
        requests_per_day=own_rpd,
        output_tokens=r.field(data, "output_tokens", where, lambda v: to_int(v, maximum=10_000_000), 0),
        reasoning_tokens=r.field(data, "reasoning_tokens", where, lambda v: to_int(v, maximum=10_000_000), 0),
    )
    return prompt if len(r.errors) == before else None


def _levers(r: _Reader, data: LineDict) -> Levers:
    r.unknown(data, set(_LEVER_FIELDS), "levers")
    built = {}
    for name, (cls, fields) in _LEVER_FIELDS.items():
        block = r.mapping(data.get(name), f"levers.{name}", data, name)
        if block is None:
            continue
        r.unknown(block, set(fields), f"levers.{name}")
        default = cls()
        kwargs = {}
        for key, kind in fields.items():
            kwargs[key] = r.field(block, key, f"levers.{name}", lambda v, k=kind: _convert(k, v),
                                  getattr(default, key))
        built[name] = cls(**kwargs)
    return Levers(**built)


def scenario_from_data(data: Any, file: str) -> tuple[Scenario | None, list[LoadError]]:
    r = _Reader(file)
    if not isinstance(data, dict):
        return None, [LoadError(file, None, "", "a scenario file must be a YAML mapping")]
    data = data if isinstance(data, LineDict) else LineDict(data)
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        r.err(data, "schema_version", "schema_version",
              f"expected schema_version: {SCHEMA_VERSION}, got {version!r}")
        return None, r.errors
    allowed = {"schema_version", "name", "notes", "primary_model", "comparison_models", "workload",
               "prompts", "levers"}
    r.unknown(data, allowed, "")
    name = r.field(data, "name", "", lambda v: to_str(v, max_len=200), "Untitled plan")
    notes = r.field(data, "notes", "", lambda v: to_str(v, max_len=NOTES_MAX_CHARS), "")
    primary = r.field(data, "primary_model", "", lambda v: to_str(v, max_len=80), "")
    if not primary:
        r.err(data, "primary_model", "primary_model", "required: the model this plan is priced on")
    comparisons = data.get("comparison_models") or []
    if not isinstance(comparisons, list) or not all(isinstance(c, str) for c in comparisons):
        r.err(data, "comparison_models", "comparison_models", "expected a list of model ids")
        comparisons = []
    workload_data = r.mapping(data.get("workload"), "workload", data, "workload")
    workload = _workload(r, workload_data) if workload_data is not None else Workload()
    raw_prompts = data.get("prompts") or []
    prompts: list[PromptSpec] = []
    if not isinstance(raw_prompts, list):
        r.err(data, "prompts", "prompts", "expected a list of prompts")
    else:
        for i, raw in enumerate(raw_prompts):
            prompt = _prompt(r, raw, i, data)
            if prompt is not None:
                prompts.append(prompt)
    names = [p.name for p in prompts]
    if len(set(names)) != len(names):
        r.err(data, "prompts", "prompts", "prompt names must be unique")
    lever_data = r.mapping(data.get("levers"), "levers", data, "levers")
    levers = _levers(r, lever_data) if lever_data is not None else Levers()
    if r.errors:
        return None, r.errors
    scenario = Scenario(name=name, prompts=tuple(prompts), primary_model=primary,
                        comparison_models=tuple(comparisons), levers=levers, workload=workload, notes=notes)
    return scenario, []


def parse_scenario(text: str | bytes, file: str) -> tuple[Scenario | None, list[LoadError]]:
    data, errors = parse_yaml(text, file, max_bytes=MAX_SCENARIO_BYTES)
    if errors:
        return None, errors
    return scenario_from_data(data, file)


def load_scenario(path: Path | str) -> tuple[Scenario | None, list[LoadError]]:
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


# --- writing --------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def scenario_to_data(s: Scenario, *, keep_large: bool = False) -> dict[str, Any]:
    """Plain data for YAML; `keep_large` leaves LargeText prompt texts as they are (for streaming)."""
    prompts = []
    for p in s.prompts:
        item: dict[str, Any] = {"name": p.name}
        if p.requests_per_day is not None:
            item["requests_per_day"] = str(p.requests_per_day)
        elif p.share is not None:
            item["share"] = str(p.share)
        item["output_tokens"] = p.output_tokens
        if p.reasoning_tokens:
            item["reasoning_tokens"] = p.reasoning_tokens
        if p.fixed_tokens is not None:
            item["tokens"] = p.fixed_tokens
        if p.text:
            item["text"] = p.text if keep_large else str(p.text)
        prompts.append(item)
    levers = {}
    for name, (_cls, fields) in _LEVER_FIELDS.items():
        lever = getattr(s.levers, name)
        levers[name] = {key: _plain(getattr(lever, key)) for key in fields}
    w = s.workload
    return {
        "schema_version": SCHEMA_VERSION,
        "name": s.name,
        **({"notes": s.notes} if s.notes else {}),
        "primary_model": s.primary_model,
        "comparison_models": list(s.comparison_models),
        "workload": {
            "requests_per_day": str(w.requests_per_day),
            "growth_pct_per_month": str(w.growth_pct_per_month),
            "horizon_months": w.horizon_months,
            "start_month": w.start_month.strftime("%Y-%m"),
            "budget_per_month": None if w.budget_per_month is None else str(w.budget_per_month),
        },
        "levers": levers,
        "prompts": prompts,
    }


# libyaml's emitter writes a 10 MB prompt in ~0.1 s; the pure-Python one takes seconds.
class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    pass


def _str_presenter(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value and not any(c in value for c in "\r\t") and value == value.rstrip(" ") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_presenter)


# Big prompt texts bypass the emitter: it holds the GIL while it writes one scalar (~10 ns a
# character, so an autosave of a 20 MB prompt on a worker thread would freeze the window for a
# fifth of a second) and escapes every emoji as 10 characters. A literal block scalar with an
# explicit indentation indicator holds any text made only of YAML-printable characters without a
# single escape, so those texts are written as one, by string operations that take milliseconds.
LITERAL_BLOCK_MIN_CHARS = 65_536
_NOT_LITERAL = re.compile("[^\t\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd"
                          "\U00010000-\U0010ffff]")


def _pieces(text: "str | LargeText", chunk: int = 1 << 20) -> Iterator[str]:
    """`text` a megabyte at a time (a LargeText by its chunks): no whole copy, and between
    pieces another thread (the UI) can take the GIL."""
    if isinstance(text, str):
        return (text[start:start + chunk] for start in range(0, len(text), chunk))
    return text.pieces()


def _literal_safe(text: "str | LargeText") -> bool:
    return not any(_NOT_LITERAL.search(piece) for piece in _pieces(text))


def _literal_block(text: "str | LargeText", indent: str) -> Iterator[str]:
    """`text` as a literal block scalar whose lines start with `indent` (after the `key: `), in parts."""
    n = len(text)
    tail = text[max(0, n - 2):n]
    chomp = "-" if not tail.endswith("\n") else ("+" if tail == "\n\n" or n == 1 else "")
    # "|2": the content sits two columns right of the key, so a first line starting with spaces
    # cannot be mistaken for indentation.
    yield f"|2{chomp}\n{indent}"
    pieces = _pieces(text)
    pending = ""  # the body leaves out the text's final newline: hold each piece back by one
    for piece in pieces:
        if pending:
            yield pending.replace("\n", "\n" + indent)
        pending = piece
    if pending.endswith("\n"):
        pending = pending[:-1]
    yield pending.replace("\n", "\n" + indent)


_QUOTED_ESCAPE = re.compile(r"[^\x20\x21\x23-\x5b\x5d-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe"
                            r"\uff00-\ufffd\U00010000-\U0010ffff]")  # raw: the class holds [ and ]
_SHORT_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r", '"': '\\"', "\\": "\\\\", "\0": "\\0"}


def _escape(match: re.Match) -> str:
    char = match.group()
    short = _SHORT_ESCAPES.get(char)
    if short is not None:
        return short
    code = ord(char)
    if 0xD800 <= code < 0xE000:  # as the emitter: a lone surrogate cannot be saved (nor loaded)
        raise UnicodeEncodeError("utf-8", char, 0, 1, "surrogates not allowed")
    return f"\\x{code:02X}" if code < 0x100 else f"\\u{code:04X}" if code < 0x10000 else f"\\U{code:08X}"


def _quoted_scalar(text: "str | LargeText") -> Iterator[str]:
    """`text` as one double-quoted YAML scalar on one line, escaped piece by piece.

    For big texts a literal block cannot hold (CR, control characters, lone surrogates, U+2028):
    the emitter would need the whole text as one str and write its own copy of it.
    """
    yield '"'
    for piece in _pieces(text):
        yield _QUOTED_ESCAPE.sub(_escape, piece)
    yield '"'


def dump_scenario_parts(s: Scenario) -> Iterator[str]:
    """The scenario's YAML in parts whose concatenation is dump_scenario(s).

    Big prompts are streamed piece by piece, so saving (and autosaving) a 10 MB prompt never
    builds the whole file, or the whole prompt, as one str.
    """
    data = scenario_to_data(s, keep_large=True)
    blocks: dict[str, Any] = {}
    for item in data["prompts"]:
        text = item.get("text", "")
        if len(text) >= LITERAL_BLOCK_MIN_CHARS:
            token = f"tb-literal-{uuid.uuid4().hex}"
            blocks[token] = text
            item["text"] = token
    out = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    done = 0
    for at, token in sorted((out.index(token), token) for token in blocks):
        line_start = out.rindex("\n", 0, at) + 1  # a plain scalar on its own "text: <token>" line
        key_column = len(out[line_start:at]) - len(out[line_start:at].lstrip(" -"))
        yield out[done:at]
        text = blocks[token]
        yield from (_literal_block(text, " " * (key_column + 2)) if _literal_safe(text) else _quoted_scalar(text))
        done = at + len(token)
    yield out[done:]


def dump_scenario(s: Scenario) -> str:
    return "".join(dump_scenario_parts(s))


def save_scenario(s: Scenario, path: Path | str) -> None:
    atomic_write_text(path, dump_scenario_parts(s))
