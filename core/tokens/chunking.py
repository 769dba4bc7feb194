"""Exact token counts of large texts: split only where tiktoken's pre-tokenizer cannot join, count the pieces (bpe-openai, tiktoken in parallel, or both at once); edits are recounted by core.tokens.incremental and core.tokens.largetext."""
from __future__ import annotations

import itertools
import os
import re
import threading
import time
from typing import TYPE_CHECKING, Callable, Iterator, Sequence

from core.tokens import fastcount
from core.tokens.fastcount import fix_surrogates as _fix_surrogates
from core.tokens.vocab import get_encoding, is_loaded

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

FAST_MIN_CHARS = 200_000  # tiktoken: below this one plain call beats the thread hand-off
CHUNK_CHARS = 64 * 1024  # one-shot counting: big enough that per-call overhead vanishes
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


def piece_counter(encoding_name: str) -> tuple[Callable[[str], int], bool]:
    """(text -> exact token count, may pieces be counted on threads?) for `encoding_name`.

    bpe-openai (core.tokens.fastcount) when it is installed and passes its self-check: about twice as
    fast as tiktoken and no tiktoken vocabulary to load, but it holds the GIL, so no threads.
    Otherwise tiktoken, whose Rust core releases the GIL.
    """
    fast = fastcount.counter(encoding_name)
    if fast is not None:
        return fast, False
    return counter_for(get_encoding(encoding_name)), True


def count_pieces(pieces: Sequence[str], encoding_name: str, parallel: bool = True) -> list[int]:
    """Exact token count of each piece (in parallel when worthwhile)."""
    count, threads = piece_counter(encoding_name)
    total_chars = sum(map(len, pieces))
    if not threads or not parallel or len(pieces) < 2 or total_chars < FAST_MIN_CHARS:
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
    """Exact token count with one tiktoken call: the reference path (tests compare against it)."""
    return counter_for(get_encoding(encoding_name))(text)


def count_exact_fast(text: str, encoding_name: str) -> int:
    """Exact token count, equal to len(encode_ordinary(text)), by the fastest path available.

    With bpe-openai: safely cut ~64k-character pieces, counted one after the other (pieces are
    cut lazily, so a 10 MB text is never copied whole). With tiktoken: one call below
    FAST_MIN_CHARS, else the pieces on a thread pool.
    """
    fast = fastcount.counter(encoding_name)
    if fast is not None:
        if len(text) <= CHUNK_CHARS:
            return fast(text)
        if len(text) >= HYBRID_MIN_CHARS and is_loaded(encoding_name):
            return _count_hybrid(text, encoding_name, fast)
        return sum(map(fast, iter_split(text, CHUNK_CHARS)))
    if len(text) < FAST_MIN_CHARS:
        return count_exact(text, encoding_name)
    return sum(count_pieces(split_text(text, CHUNK_CHARS), encoding_name))


HYBRID_MIN_CHARS = 1 << 20
HYBRID_BATCH_CHARS = 512 * 1024  # what the tiktoken thread claims at a time, until the end nears
# Below this share of a core for the bpe-openai thread (CPU time / wall time over 4 pieces), the
# tiktoken thread is only competing with it for one core: it stops claiming pieces.
HYBRID_MIN_CPU_SHARE = 0.8


def _piece_bounds(text: str, target: int) -> list[int]:
    """[0, c1, c2, ..., len(text)]: the safe cuts split_text would make, without slicing anything."""
    bounds, n, search = [0], len(text), CUT.search
    while n - bounds[-1] > target:
        m = search(text, bounds[-1] + target)
        if m is None:
            break
        bounds.append(m.start())
    bounds.append(n)
    return bounds


def _count_hybrid(text: str, encoding_name: str, fast: Callable[[str], int]) -> int:
    """Both exact engines at once, when tiktoken's vocabulary is already resident.

    bpe-openai (about twice tiktoken's speed, but it holds the GIL) counts pieces from the front
    in this thread; a pool thread counts batches from the back with tiktoken (its Rust core
    releases the GIL) until they meet. Claiming pieces as they go, rather than splitting the text
    once, keeps both busy whatever other processes take from either core (2.27× raw tiktoken
    against 1.94× for a fixed 35/65 split in one comparison). When the bpe-openai thread gets less
    than HYBRID_MIN_CPU_SHARE of a core, there is no second core to use: the tiktoken thread stops
    claiming, so a busy machine counts as fast as bpe-openai alone rather than slower.
    Loading tiktoken's vocabulary just for this would cost more than it saves, so only callers
    that already have it benefit (the benchmark; the app once the token view was used).
    """
    bounds = _piece_bounds(text, CHUNK_CHARS)
    slow = counter_for(get_encoding(encoding_name))
    lock = threading.Lock()
    span = [0, len(bounds) - 1]  # pieces span[0] .. span[1] - 1 are not claimed yet
    crowded = threading.Event()  # set when the machine has no second core for us after all

    def from_the_back() -> int:
        total, claims = 0, 0
        while True:
            with lock:
                front, back = span
                if back <= front or crowded.is_set():
                    return total
                # Growing batches while much is left (fewer GIL hand-overs; small at first, while
                # it is not yet known whether a second core is free), single pieces near the end.
                want = (min(HYBRID_BATCH_CHARS, CHUNK_CHARS << claims)
                        if bounds[back] - bounds[front] > 4 * HYBRID_BATCH_CHARS else 1)
                claims += 1
                first = back - 1
                while first > front and bounds[back] - bounds[first] < want:
                    first -= 1
                span[1] = first
            piece = text[bounds[first]:bounds[back]]
            try:
                total += slow(piece)
            except Exception:  # e.g. tiktoken's regex stack limit on a million spaces
                total += fast(piece)

    tail = _executor().submit(from_the_back)
    head, done = 0, 0
    cpu, wall = time.thread_time(), time.perf_counter()
    while True:
        with lock:
            i = span[0]
            if i >= span[1]:
                break
            span[0] = i + 1
        head += fast(text[bounds[i]:bounds[i + 1]])
        done += 1
        if done % 4 == 0 and not crowded.is_set():
            # Does this thread still get a whole core? When another process holds the other one,
            # the tiktoken thread only takes CPU time from bpe-openai, the faster engine: stop it.
            now_cpu, now_wall = time.thread_time(), time.perf_counter()
            if now_cpu - cpu < HYBRID_MIN_CPU_SHARE * (now_wall - wall):
                crowded.set()
            cpu, wall = now_cpu, now_wall
    return head + tail.result()
