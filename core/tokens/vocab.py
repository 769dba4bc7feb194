"""Offline tiktoken vocabularies: load the bundled BPE files, verify their SHA-256, build and cache encodings."""
from __future__ import annotations

import binascii
import hashlib
import marshal
import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:  # tiktoken is imported on first load only: `token-budget models` never pays for it
    import tiktoken


class VocabularyError(RuntimeError):
    """A bundled vocabulary file is missing, unreadable, corrupted or does not match its pinned hash."""


# Copied from tiktoken_ext/openai_public.py (tiktoken 0.14.0). tiktoken.get_encoding() is never
# called: it would try to download the files (openai/tiktoken #369, #513).
_O200K_PAT = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)
_CL100K_PAT = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|"""
    r"""\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)


@dataclass(frozen=True, slots=True)
class EncodingSpec:
    """Everything needed to build one tiktoken encoding from a bundled file."""

    name: str
    filename: str
    sha256: str  # equals tiktoken's own `expected_hash` (see shared/encodings/README.md)
    pat_str: str
    special_tokens: tuple[tuple[str, int], ...]
    n_ranks: int  # mergeable tokens in the file; a cheap structural check after the hash


SPECS: dict[str, EncodingSpec] = {
    "o200k_base": EncodingSpec(
        "o200k_base", "o200k_base.tiktoken",
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
        _O200K_PAT,
        (("<|endoftext|>", 199999), ("<|endofprompt|>", 200018)),
        199998,
    ),
    "cl100k_base": EncodingSpec(
        "cl100k_base", "cl100k_base.tiktoken",
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
        _CL100K_PAT,
        (("<|endoftext|>", 100257), ("<|fim_prefix|>", 100258), ("<|fim_middle|>", 100259),
         ("<|fim_suffix|>", 100260), ("<|endofprompt|>", 100276)),
        100256,
    ),
}
ENCODING_NAMES: tuple[str, ...] = tuple(SPECS)

_cache: dict[str, "tiktoken.Encoding"] = {}
# One lock per encoding: concurrent first calls for the same name load once, while a caller that
# wants cl100k never queues behind an o200k load.
_locks: dict[str, threading.Lock] = {name: threading.Lock() for name in SPECS}
load_count: dict[str, int] = {name: 0 for name in SPECS}  # loads performed (tests assert "once")


def _spec(name: str) -> EncodingSpec:
    try:
        return SPECS[name]
    except KeyError:
        raise ValueError(f"unknown encoding {name!r}; bundled encodings: {', '.join(SPECS)}") from None


def vocabulary_path(name: str) -> Path:
    """Where the bundled `.tiktoken` file for `name` lives."""
    from resources import resource_path

    return resource_path("encodings", _spec(name).filename)


def parse_ranks(data: bytes, n_expected: int | None = None, source: str = "vocabulary") -> dict[bytes, int]:
    """Parse tiktoken's `base64-token rank` lines into the mergeable-ranks dict.

    About 4x faster than tiktoken.load.load_tiktoken_bpe (0.08 s vs 0.31 s for o200k here): one
    bytes.split() and binascii in C instead of a Python loop per line. Both bundled files number
    their ranks 0..n-1 in order; that is checked (first/last rank, count, no duplicates) and only
    a file that breaks it pays for int() on every rank.
    """
    parts = data.split()
    if len(parts) % 2:
        raise VocabularyError(f"{source}: malformed (odd number of fields)")
    tokens, ranks = parts[0::2], parts[1::2]
    n = len(tokens)
    if n_expected is not None and n != n_expected:
        raise VocabularyError(f"{source}: expected {n_expected} tokens, found {n}")
    try:
        decoded = map(binascii.a2b_base64, tokens)
        if n and int(ranks[0]) == 0 and int(ranks[-1]) == n - 1:
            result = dict(zip(decoded, range(n)))
            if len(result) == n and all(int(r) == i for i, r in _spot_checks(ranks)):
                return result
        result = dict(zip(map(binascii.a2b_base64, tokens), map(int, ranks)))
    except (binascii.Error, ValueError) as exc:
        raise VocabularyError(f"{source}: malformed ({exc})") from None
    if len(result) != n:
        raise VocabularyError(f"{source}: duplicate tokens")
    return result


def _spot_checks(ranks: list[bytes]) -> Iterable[tuple[int, bytes]]:
    # Ranks in order are what makes the implicit numbering valid; checking every 997th costs
    # microseconds and catches a reordered file even before the hash would.
    return ((i, ranks[i]) for i in range(0, len(ranks), 997))


def cache_dir() -> Path | None:
    """The per-user cache folder; TOKEN_BUDGET_CACHE_DIR overrides it and "" disables caching."""
    override = os.environ.get("TOKEN_BUDGET_CACHE_DIR")
    if override is not None:
        return Path(override) if override else None
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local")) / "token-budget" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "token-budget"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "token-budget"


# A marshal copy of the parsed ranks loads in ~48 ms instead of ~85 ms for parsing (fresh
# process, o200k). It is only a cache: the bundled file is still read and hashed on every load,
# the cache file is named and headed by that hash (plus Python and marshal versions, since
# marshal is version-specific) and carries the SHA-256 of its own payload. Anything that does
# not match is ignored and rewritten from a fresh parse.
_CACHE_MAGIC = b"TBVOCAB1"


def _ranks_cache_path(spec: EncodingSpec) -> Path | None:
    folder = cache_dir()
    if folder is None:
        return None
    tag = f"py{sys.version_info[0]}{sys.version_info[1]}-m{marshal.version}"
    return folder / f"{spec.name}-{spec.sha256[:16]}-{tag}.ranks"


def _read_cached_ranks(spec: EncodingSpec) -> dict[bytes, int] | None:
    path = _ranks_cache_path(spec)
    if path is None:
        return None
    try:
        blob = path.read_bytes()
    except OSError:
        return None
    head = _CACHE_MAGIC + spec.sha256.encode()
    if not blob.startswith(head):
        return None
    digest, payload = blob[len(head):len(head) + 32], blob[len(head) + 32:]
    if hashlib.sha256(payload).digest() != digest:
        return None
    try:
        ranks = marshal.loads(payload)
    except (EOFError, ValueError, TypeError):
        return None
    if not isinstance(ranks, dict) or len(ranks) != spec.n_ranks:
        return None
    return ranks


def _write_cached_ranks(spec: EncodingSpec, ranks: dict[bytes, int]) -> None:
    path = _ranks_cache_path(spec)
    if path is None:
        return
    payload = marshal.dumps(ranks)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(_CACHE_MAGIC + spec.sha256.encode() + hashlib.sha256(payload).digest() + payload)
        os.replace(tmp, path)  # atomic: a concurrent reader sees the old file or the new one
    except OSError:
        try:
            tmp.unlink()
        except OSError:
            pass


def load_encoding(name: str, path: Path | str | None = None) -> "tiktoken.Encoding":
    """Build encoding `name` from its bundled file (or `path`), verifying SHA-256. Not cached in memory.

    The bundled file's parsed ranks are cached on disk (see cache_dir()); an explicit `path`
    is always parsed.
    """
    spec = _spec(name)
    file = Path(path) if path is not None else vocabulary_path(name)
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise VocabularyError(f"vocabulary file {file} is missing (reinstall Token Budget)") from None
    except OSError as exc:
        raise VocabularyError(f"cannot read vocabulary file {file}: {exc.strerror or exc}") from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != spec.sha256:
        raise VocabularyError(
            f"vocabulary file {file} is corrupted: SHA-256 {digest[:16]}… does not match the pinned "
            f"{spec.sha256[:16]}… for {name} (reinstall Token Budget)"
        )
    ranks = _read_cached_ranks(spec) if path is None else None
    if ranks is None:
        ranks = parse_ranks(data, spec.n_ranks, str(file))
        if path is None:
            _write_cached_ranks(spec, ranks)
    import tiktoken

    return tiktoken.Encoding(
        name, pat_str=spec.pat_str, mergeable_ranks=ranks, special_tokens=dict(spec.special_tokens)
    )


def get_encoding(name: str) -> "tiktoken.Encoding":
    """The cached encoding `name`, loading it on first use (thread-safe; concurrent callers load once)."""
    enc = _cache.get(name)
    if enc is not None:
        return enc
    lock = _locks.get(name)
    if lock is None:
        _spec(name)  # raises the clear ValueError
    with lock:  # type: ignore[union-attr]
        enc = _cache.get(name)
        if enc is None:
            enc = load_encoding(name)
            load_count[name] += 1
            _cache[name] = enc
    return enc


def is_loaded(name: str) -> bool:
    """True once `name` is in memory (a count will not wait for vocabulary parsing)."""
    return name in _cache


def preload(names: Iterable[str] = ("o200k_base", "cl100k_base")) -> threading.Thread:
    """Start loading vocabularies in a daemon thread so start-up never waits for ~0.25 s of parsing.

    Errors are not raised here; the next get_encoding() for that name raises them.
    """
    names = tuple(names)
    for name in names:
        _spec(name)

    def work() -> None:
        for name in names:
            try:
                get_encoding(name)
            except VocabularyError:
                pass  # reported when a count actually needs this encoding

    thread = threading.Thread(target=work, name="token-budget-vocab-preload", daemon=True)
    thread.start()
    return thread


def _reset_for_tests() -> None:
    """Forget loaded encodings (tests of first-load behaviour)."""
    _cache.clear()
    for name in load_count:
        load_count[name] = 0
