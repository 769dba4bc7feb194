"""IncrementalCounter: a str text kept as safely cut UTF-8 chunks with a cached count each, so an edit recounts only its chunks."""
from __future__ import annotations

import bisect
import itertools
from typing import Sequence

from core.tokens.chunking import EDIT_CHUNK_CHARS, count_pieces, iter_split, piece_counter, split_text



_SET_BATCH_CHARS = 1 << 20  # set_text counts ~1M characters of pieces at a time (bounded copies)


def edited_region(chunks: Sequence[bytes], ends: Sequence[int], start: int, end: int,
                  replacement: str) -> tuple[int, int, str]:
    """(first, stop, region): chunks[first:stop] must be replaced by `region`, cut afresh.

    The region runs from the chunk holding text[start-1] through the chunk holding text[end]:
    the cuts outside it have both neighbouring characters untouched, and the rules that made them
    safe look at nothing else. `ends` are the chunks' cumulative character lengths; the text is
    not empty and 0 ≤ start ≤ end ≤ its length.
    """
    n = ends[-1]
    first = bisect.bisect_right(ends, max(start - 1, 0))
    last = bisect.bisect_right(ends, min(end, n - 1))
    base = ends[first - 1] if first else 0
    region = unpack(b"".join(chunks[first:last + 1]))
    return first, last + 1, region[:start - base] + replacement + region[end - base:]


def pack(piece: str) -> bytes:
    # Chunks are stored as UTF-8: ~1 byte per character of prose and code, where a str holding
    # one emoji takes 4 bytes per character. surrogatepass keeps lone surrogates as they were.
    return piece.encode("utf-8", "surrogatepass")


def unpack(chunk: bytes) -> str:
    return chunk.decode("utf-8", "surrogatepass")


class IncrementalCounter:
    """A text kept as safely-cut chunks with a cached count each; an edit recounts only its chunks.

    Two ways to change the text: apply_edit(start, end, replacement) when the edit is known, and
    update_text(new_text) when only the new text is (an editor's contents after typing): the
    chunks that still match the new text at its start or its end are kept, the rest is recounted.
    The chunks are stored as UTF-8 bytes (about one byte per character for prose and code).
    `recounted_chars` tells how many characters the last operation counted.

    Not thread-safe: one editor (or the worker that serves it) owns an instance.
    """

    def __init__(self, encoding_name: str, *, chunk_chars: int = EDIT_CHUNK_CHARS) -> None:
        piece_counter(encoding_name)  # fail fast on an unknown encoding or a corrupted vocabulary
        if chunk_chars < 1:
            raise ValueError("chunk_chars must be ≥ 1")
        self.encoding_name = encoding_name
        self._target = chunk_chars
        self._chunks: list[bytes] = []
        self._lens: list[int] = []  # characters per chunk
        self._counts: list[int] = []
        self._length = 0
        self._total = 0
        self._joined: str | None = ""  # the whole text when known without joining the chunks
        self.recounted_chars = 0

    @property
    def tokens(self) -> int:
        return self._total

    @property
    def text(self) -> str:
        if self._joined is None:
            self._joined = unpack(b"".join(self._chunks))
        return self._joined

    def __len__(self) -> int:
        return self._length

    @property
    def chunk_count(self) -> int:
        return len(self._chunks)

    def set_text(self, text: str) -> int:
        """Replace the whole text; returns the exact token count."""
        chunks: list[bytes] = []
        lens: list[int] = []
        counts: list[int] = []
        batch: list[str] = []
        size = 0
        for piece in iter_split(text, self._target):
            batch.append(piece)
            size += len(piece)
            if size >= _SET_BATCH_CHARS:
                self._absorb(batch, chunks, lens, counts)
                batch, size = [], 0
        self._absorb(batch, chunks, lens, counts)
        self._chunks, self._lens, self._counts = chunks, lens, counts
        self._length, self._total, self._joined = len(text), sum(counts), text
        self.recounted_chars = len(text)
        return self._total

    def _absorb(self, pieces: list[str], chunks: list[bytes], lens: list[int], counts: list[int]) -> None:
        if pieces:
            counts.extend(count_pieces(pieces, self.encoding_name))
            chunks.extend(map(pack, pieces))
            lens.extend(map(len, pieces))

    def _replace(self, first: int, stop: int, region: str) -> None:
        """Chunks [first, stop) now hold `region`: cut it afresh and count only its pieces."""
        pieces = split_text(region, self._target)
        counts = count_pieces(pieces, self.encoding_name)
        self._total += sum(counts) - sum(self._counts[first:stop])
        self._length += len(region) - sum(self._lens[first:stop])
        self._chunks[first:stop] = map(pack, pieces)
        self._lens[first:stop] = map(len, pieces)
        self._counts[first:stop] = counts
        self.recounted_chars = len(region)

    def apply_edit(self, start: int, end: int, replacement: str) -> int:
        """Replace text[start:end] with `replacement`; returns the new exact token count."""
        n = self._length
        if not 0 <= start <= end <= n:
            raise ValueError(f"edit range {start}:{end} outside text of length {n}")
        if not self._chunks:
            return self.set_text(replacement)
        first, stop, region = edited_region(self._chunks, list(itertools.accumulate(self._lens)),
                                            start, end, replacement)
        self._replace(first, stop, region)
        self._joined = None
        return self._total

    def update_text(self, new_text: str) -> int:
        """Make the text `new_text`; recounts only the chunks that differ from the current text.

        Chunks equal to the start of `new_text` (scanned from the front) and to its end (from the
        back) are kept; the one next to each changed stretch is recounted too, because a cut is
        only known to be safe while both characters around it are unchanged. Comparing costs
        about one pass over the unchanged text (memory compares, no counting).
        """
        if new_text is self._joined:
            self.recounted_chars = 0
            return self._total
        if not self._chunks or not new_text:
            return self.set_text(new_text)
        old, n_old, n_new = self._joined, self._length, len(new_text)

        def chunk(i: int, old_at: int) -> str:
            return old[old_at:old_at + self._lens[i]] if old is not None else unpack(self._chunks[i])

        k = len(self._chunks)
        first, head = 0, 0  # chunks [0, first) equal new_text[:head]
        while first < k and head + self._lens[first] <= n_new and new_text.startswith(chunk(first, head), head):
            head += self._lens[first]
            first += 1
        if first == k and head == n_new:
            self._joined, self.recounted_chars = new_text, 0
            return self._total
        stop, tail = k, 0  # chunks [stop, k) equal new_text[n_new - tail:]
        while stop > first:
            size = self._lens[stop - 1]
            if head + tail + size > n_new or not new_text.startswith(chunk(stop - 1, n_old - tail - size),
                                                                   n_new - tail - size):
                break
            tail += size
            stop -= 1
        region_first = max(first - 1, 0)
        region_stop = min(stop + 1, k)
        if region_first == 0 and region_stop == k:
            return self.set_text(new_text)  # nothing in common: count it afresh, piece by piece
        start = head - (self._lens[first - 1] if first else 0)
        end = n_new - tail + (self._lens[stop] if stop < k else 0)
        self._replace(region_first, region_stop, new_text[start:end])
        self._joined = new_text
        return self._total
