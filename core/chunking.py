"""Exact token counts of large texts: split only where tiktoken's pre-tokenizer cannot join, count chunks in parallel, recount edits locally."""
from __future__ import annotations

import bisect
import itertools
import os
import re
import threading
from typing import TYPE_CHECKING, Callable, Iterator, Sequence

from core.vocab import get_encoding

if TYPE_CHECKING:
    import tiktoken

# --- where a text may be cut ----------------------------------------------------------------
#
# tiktoken counts a text as the sum, over the matches of the encoding's pre-tokenizer regex
# (pat_str), of the BPE tokens of each match. Cutting at position p keeps the count exact iff
# (a) a match boundary of the whole-text scan lies at p, (b) scanning text[:p] alone yields the
# same matches, and (c) scanning text[p:] alone does too. (c) always holds at a boundary: neither
# pattern has a look-behind or `^`. Both o200k_base and cl100k_base patterns have these shapes:
#
#   * a whitespace character can only be the FIRST character of a letter/punctuation match
#     (the optional `[^\r\n\p{L}\p{N}]?` / ` ?` prefix), or part of an all-whitespace match;
#   * a newline can additionally END a punctuation match (`[\r\n/]*` in o200k, `[\r\n]*` in cl100k),
#     and o200k lets that tail also take `/`;
#   * a letter belongs to a letter match, which ends at the end of the letter/mark run or after
#     an ASCII-apostrophe contraction; the only look-around is `\s+(?!\S)` and cl100k's `\s++$`,
#     both inside all-whitespace alternatives.
#
# From these, three cut rules are safe for both encodings (each depends only on text[p-1] and
# text[p], which is what lets IncrementalCounter re-split an edited region locally):
#
#   R1  text[p] == " " and text[p-1] is not whitespace. No match can hold text[p-1] and a space
#       after it (the space would not be first, and the match is not all-whitespace), so a
#       boundary is at p; the scan of text[:p] differs only in what it sees at p (end vs. a
#       space), which only a letter class, `'`, `[\r\n/]`, `(?!\S)` or `$` inspect — none of
#       them matches a space, `(?!\S)` succeeds on both, and `$` can only follow whitespace.
#   R2  text[p-1] == "\n" and text[p] is neither whitespace nor "/". The match holding the
#       newline is a punctuation tail (stops before a non-newline, non-"/") or all-whitespace
#       (stops before non-whitespace); prefixes exclude \r\n. On text[:p] the whitespace run
#       that ends in the newline is matched to the same span: o200k's `\s*[\r\n]+` (tried
#       before `\s+(?!\S)`) matches it whole either way; in cl100k `\s*[\r\n]` matches it whole
#       in the full text and `\s++$` does on the cut-off text — same span, same tokens.
#   R3  text[p-1] is a letter and text[p] is ASCII punctuation other than "'" (or common CJK
#       punctuation). The letter match ends at p: the next character is not a letter, a mark
#       or the apostrophe of a contraction. Letters are restricted to ASCII and long-assigned
#       CJK/kana/Hangul blocks so that Python's and the Rust regex crate's Unicode tables agree.
#
# Python's `\s` (str.isspace) is a superset of Unicode White_Space, so "not \s" here implies
# "not \s" for tiktoken: the rules only ever err towards fewer cuts. R3 exists for text with
# few spaces or newlines (CJK, minified JSON). The property tests in tests/test_tokens_chunking.py
# cut at every candidate and compare with tiktoken on adversarial text.
_LETTER = "A-Za-z\u3041-\u3096\u30a1-\u30fa\u4e00-\u9fa5\uac00-\ud7a3"
_PUNCT = "!-&(-/:-@\\[-`{-~\u3001\u3002\uff01\uff08\uff09\uff0c\uff1a\uff1b\uff1f"
CUT = re.compile(rf"(?<=\S)(?= )|(?<=\n)(?=[^\s/])|(?<=[{_LETTER}])(?=[{_PUNCT}])")

FAST_MIN_CHARS = 200_000  # below this one plain call beats the thread hand-off
CHUNK_CHARS = 64 * 1024  # parallel one-shot counting: big enough that per-call overhead vanishes
EDIT_CHUNK_CHARS = 8 * 1024  # IncrementalCounter: a one-character edit recounts ~8-16 KB


def cut_points(text: str) -> list[int]:
    """Every position where `text` may be cut without changing its exact token count."""
    return [m.start() for m in CUT.finditer(text)]


def split_text(text: str, target: int = CHUNK_CHARS) -> list[str]:
    """Cut `text` into pieces of roughly `target` characters at safe positions; "".join() restores it.

    A text without any safe position (e.g. one long run of letters) stays one piece.
    """
    return list(iter_split(text, target))


def iter_split(text: str, target: int = CHUNK_CHARS) -> Iterator[str]:
    """split_text() lazily: a caller that needs only the start of a big text stops early."""
    if target < 1:
        raise ValueError("target must be ≥ 1")
    n = len(text)
    start = 0
    search = CUT.search
    while n - start > target:
        # The first safe cut at or after start + target; pieces are ≥ target characters, so a
        # text is never shredded into tiny pieces even where safe cuts are dense.
        m = search(text, start + target)
        if m is None:
            break
        cut = m.start()
        yield text[start:cut]
        start = cut
    if start < n:
        yield text[start:]


# --- counting ---------------------------------------------------------------------------------

_EMPTY: set[str] = set()


def _fix_surrogates(text: str) -> str:
    # What tiktoken does when a str holds lone surrogates (they cannot be UTF-8 encoded).
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def counter_for(enc: "tiktoken.Encoding") -> Callable[[str], int]:
    """A function text -> exact token count, as len(enc.encode_ordinary(text)).

    Uses tiktoken's buffer API when present: it returns the tokens as one u32 buffer instead of a
    Python list of ints, which is ~15% of the time of a big encode_ordinary call. Special-token
    text such as "<|endoftext|>" counts as ordinary text, like encode_ordinary.
    """
    core = getattr(enc, "_core_bpe", None)
    to_buffer = getattr(core, "encode_to_tiktoken_buffer", None)
    if to_buffer is None:  # other tiktoken versions: the public API
        return lambda text: len(enc.encode_ordinary(text))

    def count(text: str) -> int:
        try:
            return memoryview(to_buffer(text, _EMPTY)).nbytes // 4
        except UnicodeEncodeError:
            return memoryview(to_buffer(_fix_surrogates(text), _EMPTY)).nbytes // 4

    return count


_pool = None
_pool_lock = threading.Lock()


def _executor():
    """The shared counting pool (created on first use; tiktoken's Rust core releases the GIL)."""
    global _pool
    if _pool is None:
        with _pool_lock:
            if _pool is None:
                from concurrent.futures import ThreadPoolExecutor

                workers = max(2, min(4, os.cpu_count() or 2))
                _pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="token-count")
    return _pool


def count_pieces(pieces: Sequence[str], encoding_name: str, parallel: bool = True) -> list[int]:
    """Exact token count of each piece (in parallel when worthwhile)."""
    count = counter_for(get_encoding(encoding_name))
    total_chars = sum(map(len, pieces))
    if not parallel or len(pieces) < 2 or total_chars < FAST_MIN_CHARS:
        return [count(p) for p in pieces]
    # Hand the pool batches of ~256 KB rather than single pieces: a few dozen tasks keep both
    # cores busy without paying a future per 8 KB piece.
    batches: list[list[str]] = []
    batch: list[str] = []
    size = 0
    for p in pieces:
        batch.append(p)
        size += len(p)
        if size >= 256 * 1024:
            batches.append(batch)
            batch, size = [], 0
    if batch:
        batches.append(batch)
    results = _executor().map(lambda b: [count(p) for p in b], batches)
    return list(itertools.chain.from_iterable(results))


def count_exact(text: str, encoding_name: str) -> int:
    """Exact token count with one tiktoken call (the reference path for small texts)."""
    return counter_for(get_encoding(encoding_name))(text)


def count_exact_fast(text: str, encoding_name: str) -> int:
    """Exact token count, equal to len(encode_ordinary(text)), using all cores for large texts."""
    if len(text) < FAST_MIN_CHARS:
        return count_exact(text, encoding_name)
    return sum(count_pieces(split_text(text, CHUNK_CHARS), encoding_name))


# --- incremental counting --------------------------------------------------------------------


class IncrementalCounter:
    """A text kept as safely-cut chunks with a cached count each; an edit recounts only its chunks.

    Not thread-safe: one editor (or the worker that serves it) owns an instance.
    """

    def __init__(self, encoding_name: str, *, chunk_chars: int = EDIT_CHUNK_CHARS) -> None:
        get_encoding(encoding_name)  # fail fast on an unknown or corrupted vocabulary
        self.encoding_name = encoding_name
        self._target = chunk_chars
        self._chunks: list[str] = []
        self._counts: list[int] = []
        self._total = 0
        self._joined: str | None = ""

    @property
    def tokens(self) -> int:
        return self._total

    @property
    def text(self) -> str:
        if self._joined is None:
            self._joined = "".join(self._chunks)
        return self._joined

    def __len__(self) -> int:
        return sum(map(len, self._chunks))

    @property
    def chunk_count(self) -> int:
        return len(self._chunks)

    def set_text(self, text: str) -> int:
        """Replace the whole text; returns the exact token count."""
        self._chunks = split_text(text, self._target)
        self._counts = count_pieces(self._chunks, self.encoding_name)
        self._total = sum(self._counts)
        self._joined = text
        return self._total

    def apply_edit(self, start: int, end: int, replacement: str) -> int:
        """Replace text[start:end] with `replacement`; returns the new exact token count."""
        ends = list(itertools.accumulate(map(len, self._chunks)))
        n = ends[-1] if ends else 0
        if not 0 <= start <= end <= n:
            raise ValueError(f"edit range {start}:{end} outside text of length {n}")
        if not self._chunks:
            return self.set_text(replacement)
        # The chunk holding text[start-1] through the chunk holding text[end]: the cuts outside
        # that range have both neighbouring characters untouched, and the rules that made them
        # safe look at nothing else.
        first = bisect.bisect_right(ends, max(start - 1, 0))
        last = bisect.bisect_right(ends, min(end, n - 1))
        region_start = ends[first - 1] if first else 0
        region = "".join(self._chunks[first:last + 1])
        new_region = region[:start - region_start] + replacement + region[end - region_start:]
        pieces = split_text(new_region, self._target)
        counts = count_pieces(pieces, self.encoding_name)
        self._total += sum(counts) - sum(self._counts[first:last + 1])
        self._chunks[first:last + 1] = pieces
        self._counts[first:last + 1] = counts
        self._joined = None
        return self._total
