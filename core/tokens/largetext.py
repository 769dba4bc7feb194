"""Large prompt texts held as immutable UTF-8 chunks with remembered token counts: cheap to edit, to keep in undo history and to recount.

Why: a 10 MB prompt held as a Python str takes up to 40 MB (4 bytes per character as soon as it
holds one emoji), every edited version is a new 40 MB copy, and the app's undo history keeps up
to a hundred of them. A LargeText keeps the text as UTF-8 chunks of ~8k characters cut at the
positions where the encodings' pre-tokenizers cannot join the two sides (core.tokens.chunking.CUT), so
its exact token count is the sum of its chunks' counts. An edit returns a new LargeText that
shares every untouched chunk (bytes objects, not copies) and its remembered counts with the old
one: a one-character edit costs one or two chunks of memory and of counting.

Equality is by content, also against a plain str, so code that compares prompt texts keeps
working; `str(text)` builds the whole str when a caller really needs it (saving, export).
"""
from __future__ import annotations

import bisect
import codecs
import hashlib
import itertools
import threading
from typing import Callable, Iterable, Iterator

from core.tokens.chunking import EDIT_CHUNK_CHARS, count_pieces, iter_split, split_text
from core.tokens.incremental import edited_region
from core.tokens.incremental import pack as _pack
from core.tokens.incremental import unpack as _unpack

LARGE_TEXT_CHARS = 1_000_000  # prompts longer than this are held as a LargeText
_COUNT_BATCH_CHARS = 1 << 20  # chunks are decoded and counted ~1M characters at a time
_READ_BLOCK = 1 << 20


class LargeText:
    """An immutable text as safely cut UTF-8 chunks; see the module docstring."""

    __slots__ = ("_chunks", "_lens", "_ends", "_counts", "_inherit", "_digest", "_lock", "__weakref__")

    def __init__(self, chunks: tuple[bytes, ...] = (), lens: tuple[int, ...] = (),
                 counts: dict[str, list[int | None]] | None = None, inherit: "_Inherit | None" = None) -> None:
        if len(chunks) != len(lens):
            raise ValueError("one length per chunk")
        self._chunks = chunks
        self._lens = lens
        self._ends = tuple(itertools.accumulate(lens))
        self._counts: dict[str, list[int | None]] = counts or {}
        # Where counts not known at edit time may still come from: the version this one was
        # edited from may be being counted right now (the user typed during the first count).
        self._inherit = inherit
        self._digest: bytes | None = None
        self._lock = threading.Lock()

    # --- building ---------------------------------------------------------------------------

    @classmethod
    def from_str(cls, text: str, chunk_chars: int = EDIT_CHUNK_CHARS) -> "LargeText":
        return cls.from_pieces(iter_split(text, chunk_chars))

    @classmethod
    def from_pieces(cls, pieces: Iterable[str]) -> "LargeText":
        """From pieces already cut at safe positions (core.tokens.chunking.split_text)."""
        chunks, lens = [], []
        for piece in pieces:
            if piece:
                chunks.append(_pack(piece))
                lens.append(len(piece))
        return cls(tuple(chunks), tuple(lens))

    @classmethod
    def from_utf8(cls, blocks: Iterable[bytes], chunk_chars: int = EDIT_CHUNK_CHARS) -> "LargeText":
        """Strict UTF-8 `blocks` (e.g. a file read 1 MB at a time), never holding the whole text as a str.

        Raises UnicodeDecodeError with `start` as the offset in the whole byte stream.
        """
        decoder = codecs.getincrementaldecoder("utf-8")("strict")
        chunks: list[bytes] = []
        lens: list[int] = []
        carry = ""  # the unfinished last piece: the next block may still extend it
        offset = 0
        for block in itertools.chain(blocks, [None]):
            final = block is None
            pending = len(decoder.getstate()[0])  # bytes of a character cut by the last block
            try:
                decoded = decoder.decode(b"" if final else block, final=final)
            except UnicodeDecodeError as exc:  # its offsets count the pending bytes, then this block
                at = offset - pending
                raise UnicodeDecodeError(exc.encoding, exc.object, at + exc.start, at + exc.end,
                                         exc.reason) from None
            if not final:
                offset += len(block)
            cut = split_text(carry + decoded, chunk_chars)
            carry = "" if final or not cut else cut.pop()
            chunks.extend(_pack(piece) for piece in cut if piece)  # packed at once: a str piece
            lens.extend(len(piece) for piece in cut if piece)      # may take 4 bytes per character
        return cls(tuple(chunks), tuple(lens))

    @classmethod
    def read_file(cls, path, skip: int = 0) -> "LargeText":
        """A UTF-8 file read 1 MB at a time from byte `skip` (e.g. 3 for a BOM)."""
        def blocks() -> Iterator[bytes]:
            with open(path, "rb") as fh:
                fh.seek(skip)
                while block := fh.read(_READ_BLOCK):
                    yield block

        return cls.from_utf8(blocks())

    # --- reading ----------------------------------------------------------------------------

    def __len__(self) -> int:
        return self._ends[-1] if self._ends else 0

    def __bool__(self) -> bool:
        return bool(self._chunks)

    @property
    def utf8_size(self) -> int:
        return sum(map(len, self._chunks))

    @property
    def chunk_count(self) -> int:
        return len(self._chunks)

    def __str__(self) -> str:
        return _unpack(b"".join(self._chunks))

    def pieces(self) -> Iterator[str]:
        """The text as its chunks' strs, in order ("".join() of them is str(self))."""
        return map(_unpack, self._chunks)

    def _chunk_at(self, position: int) -> int:
        """Index of the chunk holding character `position` (0 ≤ position < len)."""
        return bisect.bisect_right(self._ends, position)

    def _start_of(self, index: int) -> int:
        return self._ends[index - 1] if index else 0

    def __getitem__(self, key: slice) -> str:
        """A slice as a str, decoding only the chunks it covers (step 1 only)."""
        if not isinstance(key, slice):
            raise TypeError("LargeText supports slices only: text[start:end]")
        start, stop, step = key.indices(len(self))
        if step != 1:
            raise ValueError("LargeText slices take no step")
        if stop <= start:
            return ""
        first, last = self._chunk_at(start), self._chunk_at(stop - 1)
        base = self._start_of(first)
        region = _unpack(b"".join(self._chunks[first:last + 1]))
        return region[start - base:stop - base]

    def startswith(self, prefix: str) -> bool:
        return len(prefix) <= len(self) and self[:len(prefix)] == prefix

    @property
    def digest(self) -> bytes:
        """BLAKE2b-128 of the UTF-8 text (computed once)."""
        if self._digest is None:
            h = hashlib.blake2b(digest_size=16)
            for chunk in self._chunks:
                h.update(chunk)
            self._digest = h.digest()
        return self._digest

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if isinstance(other, LargeText):
            if len(self) != len(other):
                return False
            if self._lens == other._lens:
                return self._chunks == other._chunks  # shared chunks compare by identity first
            return self.digest == other.digest
        if isinstance(other, str):
            if len(self) != len(other):
                return False
            at = 0
            for piece in self.pieces():
                if not other.startswith(piece, at):
                    return False
                at += len(piece)
            return True
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.digest)

    def __repr__(self) -> str:
        return f"LargeText({len(self):,} characters in {len(self._chunks):,} chunks)"

    # --- editing ----------------------------------------------------------------------------

    def edit(self, start: int, end: int, replacement: str, chunk_chars: int = EDIT_CHUNK_CHARS) -> "LargeText":
        """A new LargeText with text[start:end] replaced; untouched chunks and their counts are shared."""
        n = len(self)
        if not 0 <= start <= end <= n:
            raise ValueError(f"edit range {start}:{end} outside text of length {n}")
        if not self._chunks:
            return LargeText.from_str(replacement, chunk_chars)
        first, stop, region = edited_region(self._chunks, self._ends, start, end, replacement)
        pieces = [p for p in split_text(region, chunk_chars) if p]
        chunks = self._chunks[:first] + tuple(map(_pack, pieces)) + self._chunks[stop:]
        lens = self._lens[:first] + tuple(map(len, pieces)) + self._lens[stop:]
        with self._lock:
            counts = {enc: known[:first] + [None] * len(pieces) + known[stop:]
                      for enc, known in self._counts.items()}
            older = self._inherit
            if older is not None and older[5] >= MAX_INHERIT_DEPTH:
                older = None  # a bounded chain: each link keeps one version's count lists alive
            inherit = (self._counts, first, stop, first + len(pieces), older,
                       1 if older is None else older[5] + 1)
        return LargeText(chunks, lens, counts, inherit)

    # --- counting ---------------------------------------------------------------------------

    def count(self, encoding: str, *, stop: Callable[[], bool] | None = None) -> int:
        """Exact token count for `encoding`, equal to len(encode_ordinary(str(self))).

        Counts only the chunks whose count is not known yet (all of them the first time; one or
        two after an edit). `stop()` is asked between batches; when it returns True the count is
        abandoned (the counts made so far are kept) and InterruptedError is raised.
        """
        with self._lock:
            known = self._counts.setdefault(encoding, [None] * len(self._chunks))
            inherit = self._inherit
        missing = [i for i, c in enumerate(known) if c is None]
        if inherit is not None:
            for i in missing:
                known[i] = _inherited(i, encoding, inherit)
            missing = [i for i in missing if known[i] is None]
        batch: list[int] = []
        size = 0
        for position, i in enumerate(missing):
            batch.append(i)
            size += self._lens[i]
            if size >= _COUNT_BATCH_CHARS or position == len(missing) - 1:
                if stop is not None and stop():
                    raise InterruptedError("count abandoned")
                counted = count_pieces([_unpack(self._chunks[j]) for j in batch], encoding)
                for j, c in zip(batch, counted):
                    known[j] = c
                batch, size = [], 0
        with self._lock:
            if all(c is not None for counts in self._counts.values() for c in counts):
                self._inherit = None  # nothing left to take from the versions before
        return sum(known)

    def counted_chars(self, encoding: str) -> int:
        """How many characters already have a remembered count for `encoding` (diagnostics, tests)."""
        with self._lock:
            known = self._counts.get(encoding)
        return sum(n for n, c in zip(self._lens, known or ()) if c is not None)


# (the parent version's counts, first re-cut chunk, the parent's end of the re-cut chunks, this
# version's end of them, the parent's own _Inherit, the chain's length)
_Inherit = tuple  # tuple[dict[str, list[int | None]], int, int, int, "_Inherit | None", int]
# Versions that were never counted (a burst of typing between two counts) link to the one before;
# a count list for an encoding no longer in use is never completed, so its link would never be
# dropped: the chain is cut at this length (inheriting is only a shortcut; counts stay exact).
MAX_INHERIT_DEPTH = 16


def _inherited(index: int, encoding: str, inherit: "_Inherit | None") -> int | None:
    """Chunk `index`'s count from an earlier version, if one has counted that chunk by now."""
    while inherit is not None:
        counts, first, old_stop, new_stop, inherit, _depth = inherit
        if first <= index < new_stop:
            return None  # a chunk this edit cut afresh: no earlier version has it
        if index >= new_stop:
            index += old_stop - new_stop
        known = counts.get(encoding)
        if known is not None and known[index] is not None:
            return known[index]
    return None


def as_prompt_text(text: "str | LargeText") -> "str | LargeText":
    """How a prompt's text is held: a LargeText above LARGE_TEXT_CHARS, else a str."""
    if isinstance(text, str) and len(text) > LARGE_TEXT_CHARS:
        return LargeText.from_str(text)
    if isinstance(text, LargeText) and len(text) <= LARGE_TEXT_CHARS // 2:
        return str(text)  # small again: a str is lighter (the gap avoids flipping at the boundary)
    return text
