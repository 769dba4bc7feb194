"""With tiktoken's vocabulary resident, big counts split across both exact engines and stay exact."""
from __future__ import annotations

import random

import pytest

from core import chunking, fastcount
from core.vocab import get_encoding
from tests.test_tokens_chunking import FRAGMENTS


@pytest.mark.parametrize("name", ["o200k_base", "cl100k_base"])
def test_hybrid_count_equals_tiktoken(name, monkeypatch):
    if fastcount.counter(name) is None:
        pytest.skip("bpe-openai not available: no hybrid path")
    rng = random.Random(7)
    text = "".join(rng.choice(FRAGMENTS) for _ in range(700_000))
    assert len(text) >= chunking.HYBRID_MIN_CHARS
    enc = get_encoding(name)  # resident now, so count_exact_fast takes the hybrid path
    calls = []
    real = chunking._count_hybrid
    monkeypatch.setattr(chunking, "_count_hybrid", lambda *a: calls.append(1) or real(*a))
    assert chunking.count_exact_fast(text, name) == len(enc.encode_ordinary(text))
    assert calls == [1]
