"""Safe, size-limited YAML reading that remembers line numbers, and errors as values."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml

MAX_YAML_BYTES = 5_000_000
MAX_ALIASES = 50  # anchors are legitimate, but a "billion laughs" document needs many aliases


@dataclass(frozen=True, slots=True)
class LoadError:
    """One problem found while reading a data file; the rest of the file still loads."""

    file: str
    line: int | None
    field: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        field = f" [{self.field}]" if self.field else ""
        return f"{where}{field}: {self.reason}"


class LineDict(dict):
    """A mapping that also knows the line of itself and of each of its keys (1-based)."""

    line: int | None = None
    key_lines: dict[Any, int]

    def line_of(self, key: Any) -> int | None:
        return getattr(self, "key_lines", {}).get(key, self.line)


class _Loader(yaml.SafeLoader):
    """SafeLoader that records line numbers and refuses alias bombs."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._aliases = 0

    def compose_node(self, parent, index):  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                event = self.peek_event()
                raise yaml.YAMLError(
                    f"line {event.start_mark.line + 1}: more than {MAX_ALIASES} aliases "
                    "(refused: possible alias bomb)")
        return super().compose_node(parent, index)

    def construct_line_mapping(self, node: yaml.MappingNode) -> LineDict:
        self.flatten_mapping(node)
        result = LineDict()
        result.line = node.start_mark.line + 1
        result.key_lines = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                raise yaml.constructor.ConstructorError(
                    None, None, "unhashable mapping key", key_node.start_mark) from None
            result[key] = self.construct_object(value_node, deep=True)
            result.key_lines[key] = key_node.start_mark.line + 1
        return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
                        _Loader.construct_line_mapping)


def parse_yaml(text: str | bytes, file: str) -> tuple[Any, list[LoadError]]:
    """Parse one YAML document safely. Returns (data or None, errors)."""
    if isinstance(text, bytes):
        if len(text) > MAX_YAML_BYTES:
            return None, [LoadError(file, None, "", f"file is larger than {MAX_YAML_BYTES:,} bytes")]
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            return None, [LoadError(file, None, "", f"not UTF-8 text (bad byte at offset {exc.start})")]
    if len(text) > MAX_YAML_BYTES:
        return None, [LoadError(file, None, "", f"file is larger than {MAX_YAML_BYTES:,} bytes")]
    if "\x00" in text:
        return None, [LoadError(file, None, "", "binary data (NUL byte), not a YAML text file")]
    loader = None
    try:
        # The reader validates characters in its constructor, so it belongs inside the try.
        loader = _Loader(text)
        return loader.get_single_data(), []
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        reason = " ".join(str(p) for p in (exc.context, exc.problem) if p) or "invalid YAML"
        return None, [LoadError(file, line, "", f"invalid YAML: {reason}")]
    except (yaml.YAMLError, RecursionError, ValueError, TypeError, OverflowError) as exc:
        return None, [LoadError(file, None, "", f"invalid YAML: {exc}"[:300])]
    finally:
        if loader is not None:
            loader.dispose()


def read_yaml_file(path, *, label: str | None = None) -> tuple[Any, list[LoadError]]:
    """Read and parse a YAML file; an unreadable file is an error value, not an exception."""
    name = label or str(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_YAML_BYTES + 1)
    except (OSError, ValueError) as exc:  # ValueError: a path with a NUL byte
        return None, [LoadError(name, None, "", f"cannot read file: {getattr(exc, 'strerror', None) or exc}")]
    return parse_yaml(raw, name)


class FieldError(ValueError):
    """A field value that cannot be accepted; the message is shown to the user."""


MAX_PRICE_PER_MTOK = Decimal("100000")


def to_decimal(value: Any, *, maximum: Decimal | None = None, allow_negative: bool = False) -> Decimal:
    """A finite Decimal from a YAML scalar (strings preferred; ints and floats accepted)."""
    if isinstance(value, bool) or value is None:
        raise FieldError(f"expected a number, got {value!r}")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise FieldError(f"expected a finite number, got {value!r}")
        value = repr(value)  # shortest repr round-trips, so 0.1 becomes exactly Decimal("0.1")
    if isinstance(value, (int, str)):
        try:
            result = Decimal(str(value).strip())
        except InvalidOperation:
            raise FieldError(f"expected a number, got {value!r}") from None
    else:
        raise FieldError(f"expected a number, got {type(value).__name__}")
    if not result.is_finite():
        raise FieldError(f"expected a finite number, got {value!r}")
    if result < 0 and not allow_negative:
        raise FieldError(f"must not be negative, got {value!r}")
    if maximum is not None and abs(result) > maximum:
        raise FieldError(f"{value!r} is implausibly large (limit {maximum})")
    return result


def to_int(value: Any, *, minimum: int = 0, maximum: int = 10**12) -> int:
    """A bounded int from a YAML scalar; floats with a fractional part are refused."""
    if isinstance(value, bool) or value is None:
        raise FieldError(f"expected a whole number, got {value!r}")
    if isinstance(value, float):
        if not math.isfinite(value) or value != int(value):
            raise FieldError(f"expected a whole number, got {value!r}")
        value = int(value)
    if isinstance(value, str):
        try:
            value = int(value.replace("_", "").replace(",", "").strip())
        except ValueError:
            raise FieldError(f"expected a whole number, got {value!r}") from None
    if not isinstance(value, int):
        raise FieldError(f"expected a whole number, got {type(value).__name__}")
    if value < minimum:
        raise FieldError(f"must be at least {minimum}, got {value}")
    if value > maximum:
        raise FieldError(f"{value} is implausibly large (limit {maximum:,})")
    return value


def to_date(value: Any) -> date:
    """A date from YAML (a bare 2026-11-26 parses as a date already; strings are accepted)."""
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise FieldError(f"expected a date like 2026-11-26, got {value!r}")


def to_str(value: Any, *, max_len: int = 2000) -> str:
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise FieldError(f"expected text, got {type(value).__name__}")
    text = str(value)
    if len(text) > max_len:
        raise FieldError(f"text longer than {max_len} characters")
    return text
