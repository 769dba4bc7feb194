"""Writing a Scenario as YAML: plain data, then big prompts streamed piece by piece as literal blocks or escaped scalars; atomic save."""
from __future__ import annotations

import re
import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

import yaml

from core.base import atomic_write_text
from core.plan.scenario import SCHEMA_VERSION, Scenario
from core.plan.validation import LEVER_FIELDS

if TYPE_CHECKING:
    from core.tokens import LargeText


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
    for name, (_cls, fields) in LEVER_FIELDS.items():
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
