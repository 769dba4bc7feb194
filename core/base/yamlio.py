"""Safe, size-limited YAML reading that remembers line numbers; problems come back as values."""
from __future__ import annotations

from typing import Any, Callable

import yaml

from core.base.numbers import FieldError
from core.base.problems import Problem

MAX_YAML_BYTES = 5_000_000  # catalogs, hardware tables, price files: far above any real one
MAX_ALIASES = 50  # anchors are legitimate, but a "billion laughs" document needs many aliases
MAX_YAML_NODES = 200_000  # the bundled catalog has ~2,700; bounds memory whatever the file size

# libyaml (PyYAML's C extension) does the character-level scanning when it is installed: 50-100×
# faster than the pure-Python scanner on big prompt texts. Composing stays in Python either way,
# so the alias and node limits below apply to both.
try:
    from yaml._yaml import CParser as _CParser  # the binding yaml.CSafeLoader is built on
except ImportError:  # PyYAML without libyaml: the pure-Python scanner, same results, slower
    _CParser = None


class LineDict(dict):
    """A mapping that also knows the line of itself and of each of its keys (1-based)."""

    line: int | None = None
    key_lines: dict[Any, int]

    def line_of(self, key: Any) -> int | None:
        return getattr(self, "key_lines", {}).get(key, self.line)


class FieldReader:
    """Reads the fields of one file's mappings through converters; each refusal becomes a located Problem.

    The scenario loader and the hardware tables read through it, so a bad value anywhere is
    reported as file:line [field]: message and the rest of the file still loads.
    """

    def __init__(self, file: str, errors: list[Problem] | None = None) -> None:
        self.file = file
        self.errors: list[Problem] = [] if errors is None else errors

    def problem(self, mapping: Any, key: Any, field: str, message: str) -> None:
        line = mapping.line_of(key) if isinstance(mapping, LineDict) else None
        self.errors.append(Problem(self.file, line, field, message))

    def read(self, mapping: Any, key: Any, field: str, convert: Callable[[Any], Any], default: Any) -> Any:
        """convert(mapping[key]), or `default` when the key is absent or its value is refused (and recorded)."""
        if key not in mapping:
            return default
        try:
            return convert(mapping[key])
        except FieldError as exc:
            self.problem(mapping, key, field, str(exc))
            return default

    def mapping(self, value: Any, field: str, parent: Any, key: Any) -> LineDict | None:
        """A nested mapping (absent is empty); anything else is recorded and gives None."""
        if value is None:
            return LineDict()
        if not isinstance(value, dict):
            self.problem(parent, key, field, "expected a mapping")
            return None
        return value if isinstance(value, LineDict) else LineDict(value)

    def unknown(self, mapping: Any, allowed: set[str] | frozenset[str], where: str) -> None:
        for key in mapping:
            if key not in allowed:
                self.problem(mapping, key, f"{where}.{key}" if where else str(key),
                             f"unknown key (expected one of: {', '.join(sorted(allowed))})")


class _LimitedComposer(yaml.composer.Composer):
    """Composer that refuses alias bombs and documents with an absurd number of nodes."""

    def compose_node(self, parent, index):  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                event = self.peek_event()
                raise yaml.YAMLError(
                    f"line {event.start_mark.line + 1}: more than {MAX_ALIASES} aliases "
                    "(refused: possible alias bomb)")
        else:
            self._nodes += 1
            if self._nodes > MAX_YAML_NODES:
                event = self.peek_event()
                raise yaml.YAMLError(
                    f"line {event.start_mark.line + 1}: more than {MAX_YAML_NODES:,} values "
                    "(refused: too large for a data file)")
        return super().compose_node(parent, index)

    # A date like 2026-02-30, an integer beyond Python's digit limit or an explicitly tagged bad
    # scalar (`!!int ""`, `!!float ""`, `!!timestamp x`, `!!bool maybe`) would otherwise abort the
    # whole file with an IndexError or KeyError and no line number; kept as text they reach the
    # field checks, which name the line and the field.
    def _lenient(self, construct, node):
        try:
            return construct(self, node)
        except (ValueError, OverflowError, IndexError, KeyError, AttributeError, TypeError):
            return self.construct_scalar(node)

    def construct_lenient_timestamp(self, node):
        return self._lenient(yaml.constructor.SafeConstructor.construct_yaml_timestamp, node)

    def construct_lenient_int(self, node):
        return self._lenient(yaml.constructor.SafeConstructor.construct_yaml_int, node)

    def construct_lenient_float(self, node):
        return self._lenient(yaml.constructor.SafeConstructor.construct_yaml_float, node)

    def construct_lenient_bool(self, node):
        return self._lenient(yaml.constructor.SafeConstructor.construct_yaml_bool, node)

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


class _PyLoader(_LimitedComposer, yaml.SafeLoader):
    """SafeLoader (pure Python) that records line numbers and enforces the limits."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._aliases = self._nodes = 0


_Loader: type = _PyLoader
if _CParser is not None:
    class _CLoader(_LimitedComposer, _CParser, yaml.constructor.SafeConstructor,  # type: ignore[misc, valid-type]
                   yaml.resolver.Resolver):
        """libyaml's parser emits events; the Python composer above builds (and limits) the nodes;
        SafeConstructor builds only plain data (no arbitrary objects, ever)."""

        def __init__(self, stream: str) -> None:
            _CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)
            self._aliases = self._nodes = 0

    _Loader = _CLoader

for _cls in {_PyLoader, _Loader}:
    _cls.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _LimitedComposer.construct_line_mapping)
    _cls.add_constructor("tag:yaml.org,2002:timestamp", _LimitedComposer.construct_lenient_timestamp)
    _cls.add_constructor("tag:yaml.org,2002:int", _LimitedComposer.construct_lenient_int)
    _cls.add_constructor("tag:yaml.org,2002:float", _LimitedComposer.construct_lenient_float)
    _cls.add_constructor("tag:yaml.org,2002:bool", _LimitedComposer.construct_lenient_bool)


def _too_large(file: str, max_bytes: int) -> Problem:
    return Problem(file, None, "", f"file is larger than {max_bytes:,} bytes")


def parse_yaml(text: str | bytes, file: str, *, max_bytes: int = MAX_YAML_BYTES,
               pure_python: bool = False) -> tuple[Any, list[Problem]]:
    """Parse one YAML document safely (SafeConstructor only, size, alias and node limits).

    Returns (data or None, errors). `pure_python` skips libyaml (tests compare the two paths).
    """
    if isinstance(text, bytes):
        if len(text) > max_bytes:
            return None, [_too_large(file, max_bytes)]
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            return None, [Problem(file, None, "", f"not UTF-8 text (bad byte at offset {exc.start})")]
    if len(text) > max_bytes:
        return None, [_too_large(file, max_bytes)]
    if "\x00" in text:
        return None, [Problem(file, None, "", "binary data (NUL byte), not a YAML text file")]
    loader = None
    try:
        # The reader validates characters in its constructor, so it belongs inside the try.
        loader = (_PyLoader if pure_python else _Loader)(text)
        return loader.get_single_data(), []
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        reason = " ".join(str(p) for p in (exc.context, exc.problem) if p) or "invalid YAML"
        return None, [Problem(file, line, "", f"invalid YAML: {reason}")]
    except (yaml.YAMLError, RecursionError, ValueError, TypeError, OverflowError, MemoryError) as exc:
        return None, [Problem(file, None, "", f"invalid YAML: {exc}"[:300])]
    except Exception as exc:  # a constructor bug we have not met yet: still a message, never a crash
        return None, [Problem(file, None, "", f"invalid YAML ({type(exc).__name__}): {exc}"[:300])]
    finally:
        if loader is not None:
            loader.dispose()


def read_limited(path, max_bytes: int = MAX_YAML_BYTES, *, label: str | None = None
                 ) -> tuple[bytes | None, list[Problem]]:
    """At most max_bytes + 1 bytes of a file (one more tells "too large" apart from "just fits").

    An oversized file is refused without reading it all; an unreadable one is an error value.
    """
    name = label or str(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(max_bytes + 1)
    except (OSError, ValueError) as exc:  # ValueError: a path with a NUL byte
        return None, [Problem(name, None, "", f"cannot read file: {getattr(exc, 'strerror', None) or exc}")]
    if len(raw) > max_bytes:
        return None, [_too_large(name, max_bytes)]
    return raw, []


def read_yaml_file(path, *, label: str | None = None,
                   max_bytes: int = MAX_YAML_BYTES) -> tuple[Any, list[Problem]]:
    """Read and parse a YAML file; an unreadable file is an error value, not an exception."""
    name = label or str(path)
    raw, errors = read_limited(path, max_bytes, label=name)
    if raw is None:
        return None, errors
    return parse_yaml(raw, name, max_bytes=max_bytes)
