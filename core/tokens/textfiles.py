"""Text files for counting: strict UTF-8 with a clear reason when refused (too large, binary, not UTF-8), big files as LargeText read 1 MB at a time."""
from __future__ import annotations

import os
from pathlib import Path

from core.tokens.largetext import LARGE_TEXT_CHARS, LargeText

MAX_FILE_BYTES = 64 * 1024 * 1024
_BINARY_SNIFF = 8192
_BOM = b"\xef\xbb\xbf"


class TextFileError(ValueError):
    """A file that cannot be counted as text; str() is a one-line reason naming the file."""


def decode_text_bytes(data: bytes, source: str = "<stdin>", max_bytes: int = MAX_FILE_BYTES) -> str:
    """Strict UTF-8 text from `data` (a UTF-8 BOM is dropped), or TextFileError saying why not."""
    if len(data) > max_bytes:
        raise TextFileError(f"{source} is too large ({_mb(len(data))}; the limit is {_mb(max_bytes)})")
    _refuse_binary(source, data[:_BINARY_SNIFF])
    offset = len(_BOM) if data.startswith(_BOM) else 0
    try:
        return data[offset:].decode("utf-8")
    except UnicodeDecodeError as exc:
        at = exc.start + offset
        raise _not_utf8(source, data[at], at) from None


def read_text_file(path: str | os.PathLike[str], max_bytes: int = MAX_FILE_BYTES, *,
                   large: bool = False) -> "str | LargeText":
    """The text of a UTF-8 file, or TextFileError: unreadable, too large, binary or not UTF-8.

    `large=True`: a file of more than LARGE_TEXT_CHARS bytes comes back as a LargeText, read and
    checked 1 MB at a time, so its text never exists as one str (4 bytes per character with emoji).
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise TextFileError(f"{path} is too large ({_mb(size)}; the limit is {_mb(max_bytes)})")
        with path.open("rb") as fh:
            if large and size > LARGE_TEXT_CHARS:
                return _read_large(path, fh)
            data = fh.read(max_bytes + 1)
    except TextFileError:
        raise
    except IsADirectoryError:
        raise TextFileError(f"{path} is a directory, not a file") from None
    except (OSError, ValueError) as exc:  # ValueError: a path with a NUL byte
        raise TextFileError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    return decode_text_bytes(data, str(path), max_bytes)


def _read_large(path: Path, fh) -> LargeText:
    head = fh.read(_BINARY_SNIFF)
    _refuse_binary(path, head)
    offset = len(_BOM) if head.startswith(_BOM) else 0
    try:
        return LargeText.read_file(path, skip=offset)
    except UnicodeDecodeError as exc:
        at = exc.start + offset
        fh.seek(at)
        raise _not_utf8(path, fh.read(1)[0], at) from None


def _refuse_binary(source, head: bytes) -> None:
    nul = head.find(b"\x00")
    if nul >= 0:
        raise TextFileError(f"{source} looks binary (NUL byte at offset {nul}), not text")


def _not_utf8(source, byte: int, at: int) -> TextFileError:
    return TextFileError(f"{source} is not valid UTF-8 (byte 0x{byte:02x} at offset {at}); save it as UTF-8")


def _mb(n: int) -> str:
    return f"{n / 1_048_576:.1f} MB"
