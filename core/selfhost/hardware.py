"""Loaders for resources/hardware.yaml (accelerators) and open_models.yaml (architectures)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, TypeVar

from core.selfhost.architecture import ATTENTION_KINDS, Attention, MoE, OpenModel
from core.base import (
    FieldError, FieldReader, LineDict, Problem, parse_yaml, read_yaml_file, to_date, to_decimal, to_int, to_str)
from resources import resource_path

SCHEMA_VERSION = 1
GB = 1e9  # vendors quote decimal gigabytes and TB/s; keep their units
MAX_USD_PER_HOUR = Decimal("1000")  # per GPU; anything above is a typo, not a rental price


@dataclass(frozen=True, slots=True)
class Accelerator:
    """One GPU / TPU: dense peak FLOP/s per dtype, memory, bandwidth and a dated rental price."""

    id: str
    name: str
    vendor: str
    memory_bytes: float
    bandwidth_bytes_per_s: float
    bf16_flops_per_s: float
    fp8_flops_per_s: float | None
    fp4_flops_per_s: float | None
    tdp_watts: int | None
    usd_per_hour: Decimal
    price_range: str
    price_source: str
    price_date: str  # YYYY-MM-DD, YYYY-MM or YYYY: price pages are often dated coarsely
    spec_source: str
    checked: dt.date

    def flops_per_s(self, compute_dtype: str) -> tuple[float, str]:
        """Peak dense FLOP/s for a compute dtype, falling back to bf16 where the chip lacks it.

        Without FP8/FP4 tensor cores the weights are dequantized and multiplied in bf16, so the
        fallback is bf16 (not the next-narrower format). Returns (FLOP/s, dtype actually used).
        """
        if compute_dtype == "fp4" and self.fp4_flops_per_s:
            return self.fp4_flops_per_s, "fp4"
        if compute_dtype == "fp8" and self.fp8_flops_per_s:
            return self.fp8_flops_per_s, "fp8"
        return self.bf16_flops_per_s, "bf16"


# --- YAML reading: core.base.yamlio parses (lines, limits); _Entry turns fields into values -------

T = TypeVar("T")


class _Entry:
    """One YAML mapping of a record, collecting errors (file, line, field) instead of raising."""

    def __init__(self, raw: LineDict, file: str, where: str, errors: list[Problem]) -> None:
        self.raw, self.file, self.where, self.errors = raw, file, where, errors
        self.reader = FieldReader(file, errors)
        self.failed = False

    def line_of(self, field: str) -> int | None:
        return self.raw.line_of(field)

    def error(self, field: str, reason: str) -> None:
        self.failed = True
        self.reader.problem(self.raw, field, f"{self.where}.{field}", reason)

    def get(self, field: str, convert: Callable[[Any], T], required: bool = True,
            default: T | None = None) -> T | None:
        if self.raw.get(field) is None:  # a record's null is a missing value
            if required:
                self.error(field, "missing")
            return default
        before = len(self.errors)
        value = self.reader.read(self.raw, field, f"{self.where}.{field}", convert, default)
        self.failed |= len(self.errors) > before
        return value

    def text(self, field: str, required: bool = True) -> str:
        def convert(value: Any) -> str:
            text = to_str(value).strip()
            if not text:
                raise FieldError("expected text, got an empty value")
            return text
        return self.get(field, convert, required) or ""

    def count(self, field: str, required: bool = True, minimum: int = 1, default: int = 0) -> int:
        return self.get(field, lambda v: to_int(v, minimum=minimum), required, default)

    def number(self, field: str, required: bool = True) -> float | None:
        def convert(value: Any) -> float:
            amount = to_decimal(value)
            if amount <= 0:
                raise FieldError(f"must be positive, got {value!r}")
            return float(amount)
        return self.get(field, convert, required)

    def flag(self, field: str, default: bool) -> bool:
        def convert(value: Any) -> bool:
            if not isinstance(value, bool):
                raise FieldError(f"expected true or false, got {value!r}")
            return value
        return self.get(field, convert, False, default)

    def money(self, field: str) -> Decimal | None:
        def convert(value: Any) -> Decimal:
            amount = to_decimal(value, maximum=MAX_USD_PER_HOUR)
            if amount <= 0:
                raise FieldError(f"must be positive, got {value!r}")
            return amount
        return self.get(field, convert)

    def date(self, field: str) -> dt.date | None:
        return self.get(field, to_date)

    def month(self, field: str) -> str:
        def convert(value: Any) -> str:
            # price pages are often dated to the month or the year only
            if isinstance(value, dt.date):
                return value.isoformat()
            text = str(value).strip()
            if isinstance(value, (int, str)) and not isinstance(value, bool) and (
                    len(text) in (4, 7) and text[:4].isdigit() and 1990 <= int(text[:4]) <= 2100):
                return text
            raise FieldError(f"expected a date (YYYY-MM-DD, YYYY-MM or YYYY), got {value!r}")
        return self.get(field, convert) or ""

    def mapping(self, field: str, required: bool = True) -> _Entry | None:
        value = self.raw.get(field)
        if value is None:
            if required:
                self.error(field, "missing")
            return None
        if not isinstance(value, LineDict):
            self.error(field, "expected a mapping")
            return None
        return _Entry(value, self.file, f"{self.where}.{field}", self.errors)

    def reject_unknown(self, allowed: frozenset[str]) -> None:
        for field in self.raw:
            if field not in allowed:
                self.error(str(field), f"unknown field (allowed: {', '.join(sorted(allowed))})")


def _load_entries(data: Any, errors: list[Problem], file: str, list_key: str,
                  build: Callable[[_Entry], T | None]) -> tuple[dict[str, T], list[Problem]]:
    """Build each mapping of `list_key`; a bad one is skipped with its errors, the rest load."""
    if data is None and errors:
        return {}, errors
    if not isinstance(data, LineDict):
        return {}, errors + [Problem(file, 1, "", "expected a mapping at the top level")]
    version = data.get("schema_version", SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        return {}, errors + [Problem(file, data.line_of("schema_version"), "schema_version",
                                       f"unsupported schema version {version!r}")]
    items = data.get(list_key)
    if not isinstance(items, list):
        return {}, errors + [Problem(file, data.line_of(list_key), list_key, "expected a list")]
    loaded: dict[str, T] = {}
    for index, raw in enumerate(items):
        where = f"{list_key}[{index}]"
        if not isinstance(raw, LineDict):
            errors.append(Problem(file, data.line_of(list_key), where, "expected a mapping"))
            continue
        if isinstance(raw.get("id"), str) and raw["id"].strip():
            where = raw["id"].strip()
        entry = _Entry(raw, file, where, errors)
        value = build(entry)
        if value is None or entry.failed:
            continue
        if value.id in loaded:
            entry.error("id", f"duplicate id {value.id!r} (the first one is kept)")
            continue
        loaded[value.id] = value
    return loaded, errors


def _slug(entry: _Entry) -> str:
    value = entry.text("id")
    if value and (value != value.lower() or " " in value):
        entry.error("id", f"ids are lowercase slugs without spaces, got {value!r}")
    return value


# --- hardware.yaml --------------------------------------------------------------------------

_ACCELERATOR_FIELDS = frozenset({
    "id", "name", "vendor", "memory_gb", "bandwidth_tb_per_s", "bf16_dense_tflops",
    "fp8_dense_tflops", "fp4_dense_tflops", "tdp_watts", "spec_source", "checked", "price",
    "notes"})
_PRICE_FIELDS = frozenset({"usd_per_hour", "range", "source", "date"})


def _build_accelerator(e: _Entry) -> Accelerator | None:
    e.reject_unknown(_ACCELERATOR_FIELDS)
    id_, name, vendor = _slug(e), e.text("name"), e.text("vendor")
    memory, bandwidth = e.number("memory_gb"), e.number("bandwidth_tb_per_s")
    bf16 = e.number("bf16_dense_tflops")
    fp8, fp4 = e.number("fp8_dense_tflops", False), e.number("fp4_dense_tflops", False)
    tdp = e.count("tdp_watts", required=False, default=0) or None
    spec_source, checked = e.text("spec_source"), e.date("checked")
    price = e.mapping("price")
    usd = rng = price_source = price_date = None
    if price is not None:
        price.reject_unknown(_PRICE_FIELDS)
        usd, rng = price.money("usd_per_hour"), price.text("range", required=False)
        price_source, price_date = price.text("source"), price.month("date")
        e.failed = e.failed or price.failed
    if e.failed or None in (memory, bandwidth, bf16, usd, checked):
        return None
    tera = 1e12
    return Accelerator(
        id=id_, name=name, vendor=vendor, memory_bytes=memory * GB,
        bandwidth_bytes_per_s=bandwidth * tera, bf16_flops_per_s=bf16 * tera,
        fp8_flops_per_s=fp8 * tera if fp8 else None, fp4_flops_per_s=fp4 * tera if fp4 else None,
        tdp_watts=tdp, usd_per_hour=usd, price_range=rng or "", price_source=price_source or "",
        price_date=price_date or "", spec_source=spec_source, checked=checked)


def parse_hardware(text: str | bytes, file: str = "hardware.yaml",
                   ) -> tuple[dict[str, Accelerator], list[Problem]]:
    """Accelerators from YAML text; bad entries are skipped and reported, good ones load."""
    return _load_entries(*parse_yaml(text, file), file, "accelerators", _build_accelerator)


# --- open_models.yaml -----------------------------------------------------------------------

_MODEL_FIELDS = frozenset({
    "id", "name", "layers", "hidden_size", "attention_heads", "kv_heads", "head_dim",
    "ffn_intermediate", "vocab_size", "tied_embeddings", "context_window", "attention", "moe",
    "published", "source", "checked", "notes"})
_ATTENTION_FIELDS = frozenset({
    "kind", "window", "local_layers", "kv_lora_rank", "q_lora_rank", "qk_nope_head_dim",
    "qk_rope_head_dim", "v_head_dim"})
_MOE_FIELDS = frozenset({"experts", "top_k", "expert_intermediate", "shared_experts", "moe_layers"})
_PUBLISHED_FIELDS = frozenset({
    "total_params_b", "active_params_b", "active_excludes_input_embedding", "source"})


def _build_attention(a: _Entry, layers: int) -> Attention | None:
    a.reject_unknown(_ATTENTION_FIELDS)
    kind = a.text("kind")
    if kind and kind not in ATTENTION_KINDS:
        a.error("kind", f"expected one of {', '.join(ATTENTION_KINDS)}, got {kind!r}")
    windowed = kind in ("sliding", "hybrid")
    window = a.count("window", required=windowed)
    local = layers if kind == "sliding" else a.count("local_layers", required=kind == "hybrid")
    if kind == "hybrid" and layers and local >= layers:
        a.error("local_layers", f"must be below the layer count {layers}")
    mla = kind == "mla"
    dims = {f: a.count(f, required=mla) for f in
            ("kv_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim")}
    q_lora = a.count("q_lora_rank", required=False)
    if a.failed:
        return None
    return Attention(kind=kind, window=window if windowed else 0, local_layers=local if windowed
                     else 0, q_lora_rank=q_lora, **dims)


def _build_moe(m: _Entry, layers: int) -> MoE | None:
    m.reject_unknown(_MOE_FIELDS)
    experts, top_k = m.count("experts", minimum=2), m.count("top_k")
    size, shared = m.count("expert_intermediate"), m.count("shared_experts", False, minimum=0)
    moe_layers = m.count("moe_layers", required=False, default=layers)
    if experts and top_k > experts:
        m.error("top_k", f"top_k {top_k} exceeds {experts} experts")
    if layers and moe_layers > layers:
        m.error("moe_layers", f"exceeds the layer count {layers}")
    return None if m.failed else MoE(experts, top_k, size, shared, moe_layers)


def _build_model(e: _Entry) -> OpenModel | None:
    e.reject_unknown(_MODEL_FIELDS)
    id_, name = _slug(e), e.text("name")
    ints = {f: e.count(f) for f in ("layers", "hidden_size", "attention_heads", "kv_heads",
                                    "head_dim", "ffn_intermediate", "vocab_size", "context_window")}
    tied = e.flag("tied_embeddings", False)
    att_entry = e.mapping("attention")
    attention = _build_attention(att_entry, ints["layers"]) if att_entry else None
    moe_entry = e.mapping("moe", required=False)
    moe = _build_moe(moe_entry, ints["layers"]) if moe_entry else None
    pub = e.mapping("published")
    total = active = None
    excludes = False
    if pub is not None:
        pub.reject_unknown(_PUBLISHED_FIELDS)
        total, active = pub.number("total_params_b"), pub.number("active_params_b")
        excludes = pub.flag("active_excludes_input_embedding", False)
        pub.text("source")
    source, checked = e.text("source"), e.date("checked")
    notes = e.text("notes", required=False)
    if e.failed or attention is None or None in (total, active, checked):
        return None
    if moe_entry is not None and moe is None:
        return None
    return OpenModel(id=id_, name=name, tied_embeddings=tied, attention=attention, moe=moe,
                     published_total_params=total * 1e9, published_active_params=active * 1e9,
                     published_active_excludes_input_embedding=excludes, source=source,
                     checked=checked, notes=notes, **ints)


def parse_open_models(text: str | bytes, file: str = "open_models.yaml",
                      ) -> tuple[dict[str, OpenModel], list[Problem]]:
    """Open-weight architectures from YAML text; bad entries are skipped and reported."""
    return _load_entries(*parse_yaml(text, file), file, "models", _build_model)


def _load(path: str | Path | None, bundled: str, list_key: str,
          build: Callable[[_Entry], T | None]) -> tuple[dict[str, T], list[Problem]]:
    if path is None:
        path, label = resource_path(bundled), bundled
    else:
        label = str(path)
    # read_yaml_file turns a missing, oversized or binary file into an error value
    return _load_entries(*read_yaml_file(path, label=label), label, list_key, build)


def load_hardware(path: str | Path | None = None,
                  ) -> tuple[dict[str, Accelerator], list[Problem]]:
    """The bundled (or given) hardware.yaml."""
    return _load(path, "hardware.yaml", "accelerators", _build_accelerator)


def load_open_models(path: str | Path | None = None,
                     ) -> tuple[dict[str, OpenModel], list[Problem]]:
    """The bundled (or given) open_models.yaml."""
    return _load(path, "open_models.yaml", "models", _build_model)
