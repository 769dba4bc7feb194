"""With tiktoken's vocabulary resident, big counts split across both exact engines and stay exact."""
from __future__ import annotations

import random

import pytest

from core.tokens import chunking
from core.tokens import fastcount
from core.tokens.vocab import get_encoding
from tests.test_tokens_chunking import FRAGMENTS


def _accelerator(name: str):
    """bpe-openai's counter: a required dependency, so its absence fails here rather than skipping."""
    fast = fastcount.counter(name)
    assert fast is not None, f"bpe-openai counter unavailable: {fastcount.status(name)}"
    return fast


@pytest.mark.parametrize("name", ["o200k_base", "cl100k_base"])
def test_hybrid_count_equals_tiktoken(name, monkeypatch):
    _accelerator(name)
    rng = random.Random(7)
    text = "".join(rng.choice(FRAGMENTS) for _ in range(700_000))
    assert len(text) >= chunking.HYBRID_MIN_CHARS
    enc = get_encoding(name)  # resident now, so count_exact_fast takes the hybrid path
    calls = []
    real = chunking._count_hybrid
    monkeypatch.setattr(chunking, "_count_hybrid", lambda *a: calls.append(1) or real(*a))
    assert chunking.count_exact_fast(text, name) == len(enc.encode_ordinary(text))
    assert calls == [1]


def test_hybrid_count_survives_a_piece_tiktoken_cannot_count(monkeypatch):
    """A million spaces has no safe cut and overflows tiktoken's regex stack: bpe-openai takes it."""
    name = "o200k_base"
    fast = _accelerator(name)
    text = "word " * 300_000 + " " * 1_000_000  # the last piece (from the back) is the space run
    get_encoding(name)
    expected = sum(fast(p) for p in chunking.split_text(text))
    assert chunking._count_hybrid(text, name, fast) == expected
    failed = []

    def broken(_enc):
        def count(piece):
            failed.append(len(piece))
            raise ValueError("Max stack size exceeded for backtracking")
        return count

    monkeypatch.setattr(chunking, "counter_for", broken)  # every tiktoken call fails now
    assert chunking._count_hybrid(text, name, fast) == expected
    assert failed  # the thread did try, and its pieces were counted by bpe-openai instead


@pytest.mark.parametrize("size", [1, 2, 65_537, 300_000])
def test_hybrid_count_on_any_number_of_pieces(size):
    name = "o200k_base"
    fast = _accelerator(name)
    rng = random.Random(size)
    text = "".join(rng.choice(FRAGMENTS) for _ in range(size))
    assert chunking._count_hybrid(text, name, fast) == len(get_encoding(name).encode_ordinary(text))


def test_hybrid_count_stays_exact_when_the_second_core_turns_out_busy(monkeypatch):
    """When the bpe-openai thread gets less than a core (thread CPU time lags wall time), the
    tiktoken thread stops claiming pieces; whatever each side counted, the sum is exact."""
    name = "o200k_base"
    fast = _accelerator(name)
    rng = random.Random(11)
    text = "".join(rng.choice(FRAGMENTS) for _ in range(900_000))
    monkeypatch.setattr(chunking.time, "thread_time", lambda: 0.0)  # "no CPU time at all"
    assert chunking._count_hybrid(text, name, fast) == len(get_encoding(name).encode_ordinary(text))
