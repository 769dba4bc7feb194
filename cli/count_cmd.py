"""`count`: exact or estimated token count of a file (or stdin) for a catalog model."""
from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sys
import threading
from pathlib import Path

from cli import CliError, emit_json
from core.tokens import cache_dir  # light: no tiktoken until a vocabulary loads

# Resolving a model id to its tokenizer means loading the catalog (~0.25 s of YAML with line
# tracking), as long as the vocabulary itself. The answer only changes when the catalog files
# or the code that reads them change, so it is memoised in the cache folder under a key that
# hashes all of them; any mismatch, parse problem or unknown id falls back to the full load.
_MEMO_NAME = "catalog-tokenizers.json"
_MEMO_VERSION = "1"


def add_parser(sub) -> None:
    p = sub.add_parser(
        "count", help="count the tokens of a text file for a model",
        description="Count the tokens of a UTF-8 text file (or - for standard input) with the "
                    "model's tokenizer: exact for OpenAI encodings, a labelled estimate with an "
                    "error band for the others. Nothing leaves this machine.")
    p.add_argument("file", metavar="FILE|-", help="UTF-8 text file, or - to read standard input")
    p.add_argument("--model", required=True, metavar="ID", help="catalog model id (see `models`)")
    p.add_argument("--chat", action="store_true",
                   help="count the text as one user chat message (adds the chat framing tokens)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def _catalog_key() -> str | None:
    """SHA-256 over the catalog files and the loader's source; None if they cannot be located.

    Nothing here imports the catalog loader: PyYAML and its regexes cost ~35 ms a process, which
    a warm memo saves.
    """
    try:
        from core.base import bundled_catalog_path, user_catalog_path

        paths = [bundled_catalog_path(), user_catalog_path()]
        for module in ("core.prices.catalog", "core.base.yamlio", "core.base.numbers", "core.base.paths"):
            spec = importlib.util.find_spec(module)
            paths.append(Path(spec.origin))
    except (ImportError, AttributeError, TypeError):
        return None
    h = hashlib.sha256(_MEMO_VERSION.encode())
    for path in paths:
        try:
            data = hashlib.sha256(Path(path).read_bytes()).digest()
        except FileNotFoundError:
            data = b"absent"
        except OSError:
            return None
        h.update(str(path).encode() + b"\0" + data)
    return h.hexdigest()


def _read_memo(key: str) -> dict | None:
    folder = cache_dir()
    if folder is None:
        return None
    try:
        memo = json.loads((folder / _MEMO_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(memo, dict) or memo.get("key") != key or not isinstance(memo.get("tokenizers"), dict):
        return None
    return memo


def _write_memo(key: str, tokenizers: dict[str, str], warnings: list[str]) -> None:
    folder = cache_dir()
    if folder is None:
        return
    tmp = folder / f".{_MEMO_NAME}.{os.getpid()}.tmp"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps({"key": key, "tokenizers": tokenizers, "warnings": warnings}),
                       encoding="utf-8")
        os.replace(tmp, folder / _MEMO_NAME)  # atomic: a concurrent reader sees old or new
    except OSError:
        try:
            tmp.unlink()
        except OSError:
            pass


def _print_warnings(warnings: list[str]) -> None:
    # Same output as cli.common.load_catalog_or_fail, whether or not the memo answered.
    for warning in warnings[:10]:
        print(f"warning: {warning}", file=sys.stderr)
    if len(warnings) > 10:
        print(f"warning: … and {len(warnings) - 10} more catalog problems", file=sys.stderr)


def model_tokenizer(model_id: str) -> str:
    """The catalog's tokenizer for `model_id` (CliError if the model is unknown)."""
    key = _catalog_key()
    memo = _read_memo(key) if key else None
    if memo is not None and isinstance(memo["tokenizers"].get(model_id), str):
        _print_warnings([w for w in memo.get("warnings", []) if isinstance(w, str)])
        return memo["tokenizers"][model_id]
    from core.prices import load_catalog
    from cli.common import find_model

    catalog, errors = load_catalog()
    warnings = [str(e) for e in errors]
    _print_warnings(warnings)
    if key:
        _write_memo(key, {m.id: m.tokenizer for m in catalog}, warnings)
    return find_model(catalog, model_id).tokenizer


def _read_input(name: str) -> str:
    from core.tokens import MAX_FILE_BYTES, TextFileError, decode_text_bytes, read_text_file

    try:
        if name == "-":
            return decode_text_bytes(sys.stdin.buffer.read(MAX_FILE_BYTES + 1), "<stdin>")
        return read_text_file(name)
    except TextFileError as exc:
        raise CliError(str(exc)) from None


def run(args) -> int:
    # Read the file on a thread while the catalog is consulted: disk reads release the GIL.
    box: dict[str, object] = {}

    def read() -> None:
        try:
            box["text"] = _read_input(args.file)
        except CliError as exc:
            box["error"] = exc

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    tokenizer = model_tokenizer(args.model)
    reader.join()
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    text = box["text"]
    assert isinstance(text, str)

    from core.tokens import (
        CHAT_OVERHEAD_SINGLE_USER, VocabularyError, count_chat, count_tokens, resolve_tokenizer)

    try:
        result = count_chat(text, tokenizer) if args.chat else count_tokens(text, tokenizer)
    except VocabularyError as exc:
        raise CliError(str(exc)) from None
    except ValueError as exc:  # a tokenizer string the catalog let through but tokens.py rejects
        raise CliError(f"model {args.model!r}: {exc}") from None
    overhead = CHAT_OVERHEAD_SINGLE_USER if args.chat else 0

    if args.json:
        emit_json({
            "model": args.model, "tokens": result.tokens, "exact": result.exact,
            "encoding": result.encoding, "band_pct": result.band_pct,
            "low": result.low, "high": result.high, "chat_overhead": overhead,
        })
        return 0
    if result.exact:
        how = f"exact, {result.encoding}"
    else:
        _, family = resolve_tokenizer(tokenizer)
        how = f"estimate via {result.encoding} ×{family.factor:g}" if family else "estimate"
    chat = f", including {overhead} chat-format tokens" if overhead else ""
    print(f"{result.label} tokens ({how}) for {args.model}{chat}")
    return 0
