"""Public entry for reading a downloaded price file: byte checks, JSON/YAML decoding, format detection, dispatch."""
from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

# Callers and tests import every price-import name from here; which module defines it is an
# implementation detail, so the names are re-exported.
from core.prices.files.genai import looks_genai, parse_genai_prices
from core.prices.files.litellm import looks_litellm, parse_litellm
from core.prices.files.reading import BadValue
from core.prices.files.records import ImportResult
from core.base import Problem, parse_yaml

# LiteLLM's map is ~3.5 MB in late 2026 and grows ~1 MB a year; genai-prices data.json is ~0.4 MB.
# 32 MB leaves room for years of growth while refusing a mistaken multi-GB drop. Defined here, next
# to its only readers, so patching price_import.MAX_IMPORT_BYTES (as the tests do) takes effect.
MAX_IMPORT_BYTES = 32_000_000

FORMATS = ("auto", "litellm", "genai-prices")


def detect_format(data: Any) -> str:
    if looks_genai(data):
        return "genai-prices"
    if looks_litellm(data):
        return "litellm"
    return "unknown"


def parse_price_bytes(raw: bytes, file: str, fmt: str = "auto") -> ImportResult:
    """Bytes of a downloaded price file → ImportResult; every problem is an error value."""
    if fmt not in FORMATS:
        return ImportResult(file, "unknown", {}, (Problem(file, None, "", f"unknown format {fmt!r}"),))

    def fatal(reason: str, line: int | None = None) -> ImportResult:
        return ImportResult(file, fmt if fmt != "auto" else "unknown", {},
                            (Problem(file, line, "", reason),))

    if not isinstance(raw, (bytes, bytearray)):
        return fatal("expected the bytes of a file")
    if len(raw) > MAX_IMPORT_BYTES:
        return fatal(f"file is larger than {MAX_IMPORT_BYTES:,} bytes; refused")
    if not raw.strip():
        return fatal("the file is empty")
    if b"\x00" in raw:
        return fatal("binary data (NUL byte), not a JSON or YAML price file")
    try:
        text = bytes(raw).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return fatal(f"not UTF-8 text (bad byte at offset {exc.start})")
    data, error = _decode_json(text, file)
    if error is not None:
        is_yaml_name = file.lower().endswith((".yml", ".yaml"))
        if not text.lstrip().startswith(("{", "[")) and (is_yaml_name or fmt == "genai-prices"):
            # genai-prices keeps its sources as one YAML file per provider; same structure.
            ydata, yerrors = parse_yaml(text, file)
            if yerrors:
                return ImportResult(file, "genai-prices", {}, tuple(yerrors))
            if not looks_genai(ydata):
                return fatal("not a genai-prices provider file (expected id and a models list)")
            return parse_genai_prices(ydata, file)
        return ImportResult(file, fmt if fmt != "auto" else "unknown", {}, (error,))
    chosen = detect_format(data) if fmt == "auto" else fmt
    if chosen == "litellm":
        return parse_litellm(data, file, text=text)
    if chosen == "genai-prices":
        return parse_genai_prices(data, file, text=text)
    return fatal("not a recognised price file: expected LiteLLM's model_prices_and_context_window"
                 ".json (an object of model entries) or genai-prices data.json (a list of providers)")


def _reject_constant(name: str) -> Any:
    raise BadValue(f"{name} is not a valid JSON number")


def _decode_json(text: str, file: str) -> tuple[Any, Problem | None]:
    try:
        # parse_float=Decimal keeps the literal as written (no binary float round-off).
        return json.loads(text, parse_float=Decimal, parse_constant=_reject_constant), None
    except json.JSONDecodeError as exc:
        return None, Problem(file, exc.lineno, "", f"invalid JSON: {exc.msg} (column {exc.colno})")
    except BadValue as exc:
        return None, Problem(file, None, "", f"invalid JSON: {exc}")
    except (ValueError, RecursionError, MemoryError) as exc:
        # ValueError: e.g. an integer longer than Python's 4,300-digit limit; RecursionError: nesting.
        kind = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)[:200]
        return None, Problem(file, None, "", f"invalid JSON: {kind}")


def read_price_file(path: Path | str, fmt: str = "auto") -> ImportResult:
    """Read a downloaded price file from disk (bytes, size-limited) and parse it."""
    name = Path(path).name
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_IMPORT_BYTES + 1)
    except (OSError, ValueError) as exc:  # ValueError: a path with a NUL byte
        return ImportResult(name, "unknown", {},
                            (Problem(name, None, "", f"cannot read file: {getattr(exc, 'strerror', None) or exc}"),))
    return parse_price_bytes(raw, name, fmt)
