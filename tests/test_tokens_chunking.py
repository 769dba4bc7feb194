"""Chunked and incremental counting equal tiktoken's count: property tests with adversarial text and every cut point."""
from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.profiles import examples

from core.tokens.chunking import (CUT, count_exact, count_pieces, cut_points, iter_split,
                           split_text)
from core.tokens.incremental import IncrementalCounter
from tests.test_tokens_reference import ENCODINGS, mixed_text, reference_encoding

@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """Vocabulary caches go to a temporary folder: tests never write to the user's cache."""
    monkeypatch.setenv("TOKEN_BUDGET_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "tb-cache"))


# Fragments that stress every alternative of both pre-tokenizer patterns: whitespace and
# newline runs (the `\s+(?!\S)`, `\s*[\r\n]+`, `\s++$` cases), contractions in all cases,
# digit runs (split in threes), "/" after newlines (o200k's `[\r\n/]*`), marks, emoji,
# non-ASCII whitespace, Python-only whitespace (\x1c), mixed scripts, special-token text.
FRAGMENTS = [
    "a", "b", "Z", "s", "t", "ll", "re", "'", "'s", "'S", "'ll", "'RE", "'ve", "'d", "'m", "'t",
    " ", "  ", "   ", "\t", "\n", "\n\n", "\r", "\r\n", " \n", "\n ", " \n\n  ", "\x0b", "\x0c",
    "/", "//", "!", ".", ",", "?", "-", "_", '"', "{", "}", "(", ")", ":", ";", "#", "@", "<", ">",
    "0", "1", "23", "456", "7890", "12345678", "½", "²", "٣",
    "é", "e\u0301", "\u0301", "\u0308", "Ω", "ß", "ǅ", "ʰ", "ª", "İ", "ﬁ",
    "漢", "字", "漢字", "。", "，", "！", "「", "」", "ア", "ー", "・", "か", "한", "글",
    "😀", "👍🏽", "👨‍👩‍👧‍👦", "🇯🇵", "\u200d", "\ufe0f",
    "\u00a0", "\u3000", "\u2028", "\x85", "\x1c", "\x1f",
    "<|endoftext|>", "<|fim_prefix|>", "Hello", "WORLD", "don't", "IT'S", "x'y",
]

fragment_text = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=4)), max_size=48
).map("".join)


def _ref_count(name: str, text: str) -> int:
    return len(reference_encoding(name).encode_ordinary(text))


def _check_all_cuts(name: str, text: str) -> None:
    expected = _ref_count(name, text)
    assert count_exact(text, name) == expected
    # target=1 cuts at EVERY safe position at once; the pieces must add up exactly.
    pieces = split_text(text, 1)
    assert "".join(pieces) == text
    assert len(pieces) == len(cut_points(text)) + (1 if text else 0)
    assert sum(count_pieces(pieces, name, parallel=False)) == expected
    # And each cut on its own: prefix + suffix.
    for p in cut_points(text):
        assert _ref_count(name, text[:p]) + _ref_count(name, text[p:]) == expected, (text, p)


@settings(max_examples=examples(350), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fragment_text)
def test_every_cut_is_exact_o200k(text):
    _check_all_cuts("o200k_base", text)


@settings(max_examples=examples(350), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fragment_text)
def test_every_cut_is_exact_cl100k(text):
    _check_all_cuts("cl100k_base", text)


@settings(max_examples=examples(150), deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60))
def test_every_cut_is_exact_on_arbitrary_unicode(text):
    for name in ENCODINGS:
        _check_all_cuts(name, text)


@pytest.fixture(params=["bpe-openai", "tiktoken"])
def backend(request):
    """Run a test with the accelerator (the default) and with tiktoken alone (the fallback)."""
    if request.param == "tiktoken":
        request.getfixturevalue("tiktoken_only")
    return request.param


@pytest.mark.parametrize("name", ENCODINGS)
def test_every_cut_is_exact_on_mixed_text(name, backend):
    text = mixed_text(40_000, seed=11)
    expected = _ref_count(name, text)
    pieces = split_text(text, 1)
    assert len(pieces) > 3000
    assert sum(count_pieces(pieces, name, parallel=False)) == expected
    for target in (7, 100, 4096):
        assert sum(count_pieces(split_text(text, target), name)) == expected


def test_split_text_shapes():
    assert split_text("") == []
    assert split_text("abc", 10) == ["abc"]
    assert split_text("x" * 1000, 10) == ["x" * 1000]  # no safe cut inside a letter run
    pieces = split_text("word " * 1000, 50)
    assert "".join(pieces) == "word " * 1000
    assert all(len(p) >= 50 for p in pieces[:-1]) and all(len(p) < 60 for p in pieces)
    assert list(iter_split("a b", 1)) == ["a", " b"]
    with pytest.raises(ValueError):
        split_text("abc", 0)


def test_cut_rule_cases():
    assert cut_points("a b") == [1]            # R1: space after non-whitespace
    assert cut_points("a  b") == [1]           # not inside a whitespace run
    assert cut_points("x\ny") == [2]           # R2: after a newline, before non-whitespace
    assert cut_points("x\n/y") == []           # o200k's punctuation tail may take "/"
    assert cut_points("x!\n\ny") == [1, 4]   # R3 then R2
    assert cut_points("ab,cd") == [2]          # R3: letter → ASCII punctuation
    assert cut_points("it's") == []            # never before a contraction apostrophe
    assert cut_points("漢字。漢字") == [2]      # R3 for CJK punctuation
    assert cut_points("e\u0301,") == []        # a mark is not in the conservative letter set
    assert CUT.pattern  # documented in core/chunking.py


# --- incremental counting -----------------------------------------------------------------------


def _random_edit(r: random.Random, n: int) -> tuple[int, int, str]:
    kind = r.random()
    start = r.randint(0, n)
    if kind < 0.35:  # typing
        return start, start, r.choice(FRAGMENTS)
    if kind < 0.6:  # deleting, sometimes across many chunks
        return start, min(n, start + r.choice([1, 1, 2, 5, 40, 500])), ""
    if kind < 0.85:  # replacing
        return start, min(n, start + r.randint(0, 20)), "".join(r.choice(FRAGMENTS) for _ in range(r.randint(1, 6)))
    # pasting a block (bigger than a chunk)
    return start, min(n, start + r.randint(0, 100)), mixed_text(r.randint(50, 3000), seed=r.randint(0, 10**6))


@pytest.mark.parametrize("name", ENCODINGS)
@pytest.mark.parametrize("chunk_chars", [4, 64, 1024])
@pytest.mark.parametrize("how", ["apply_edit", "update_text"])
def test_incremental_identity_after_random_edits(name, chunk_chars, how, backend):
    r = random.Random(f"{name}{chunk_chars}")
    text = mixed_text(6_000, seed=chunk_chars)
    counter = IncrementalCounter(name, chunk_chars=chunk_chars)
    assert counter.set_text(text) == _ref_count(name, text)
    for step in range(150):
        start, end, replacement = _random_edit(r, len(text))
        text = text[:start] + replacement + text[end:]
        if how == "apply_edit":
            tokens = counter.apply_edit(start, end, replacement)
        else:
            tokens = counter.update_text(text)
        assert tokens == counter.tokens == _ref_count(name, text), (step, start, end, replacement)
        if step % 25 == 0:
            assert counter.text == text and len(counter) == len(text)
    assert counter.text == text


def test_update_text_recounts_only_the_changed_chunks():
    from core.tokens import chunking
    text = mixed_text(300_000, seed=12)
    counter = IncrementalCounter("o200k_base")
    counter.set_text(text)
    assert counter.recounted_chars == len(text)
    for where in (0, 1, len(text) // 3, len(text) - 1, len(text)):
        edited = text[:where] + "x\n" + text[where + 1:]
        assert counter.update_text(edited) == _ref_count("o200k_base", edited)
        assert counter.recounted_chars <= 4 * chunking.EDIT_CHUNK_CHARS, where
        text = edited
    assert counter.update_text(text) == counter.tokens and counter.recounted_chars == 0  # same object
    assert counter.update_text(text[:]) == counter.tokens  # an equal copy: compared, not counted
    assert counter.update_text(str(text)) == _ref_count("o200k_base", text)
    assert counter.update_text("") == 0 and counter.chunk_count == 0
    assert counter.update_text("fresh text") == _ref_count("o200k_base", "fresh text")


def test_chunks_round_trip_lone_surrogates():
    text = "a \ud83d b \ud83d\ude00 c " * 50
    counter = IncrementalCounter("o200k_base", chunk_chars=16)
    counter.set_text(text)
    counter.apply_edit(10, 11, "\udc00")
    text = text[:10] + "\udc00" + text[11:]
    assert counter.text == text
    assert counter.tokens == _ref_count("o200k_base", text)


@settings(max_examples=examples(60), deadline=None)
@given(st.data())
def test_incremental_identity_hypothesis(data):
    name = data.draw(st.sampled_from(ENCODINGS))
    text = data.draw(fragment_text)
    counter = IncrementalCounter(name, chunk_chars=data.draw(st.sampled_from([1, 3, 16])))
    counter.set_text(text)
    for _ in range(data.draw(st.integers(1, 12))):
        start = data.draw(st.integers(0, len(text)))
        end = data.draw(st.integers(start, len(text)))
        replacement = data.draw(fragment_text)
        text = text[:start] + replacement + text[end:]
        assert counter.apply_edit(start, end, replacement) == _ref_count(name, text)
    assert counter.text == text


def test_incremental_edge_cases():
    counter = IncrementalCounter("o200k_base", chunk_chars=8)
    assert counter.tokens == 0 and counter.text == ""
    assert counter.apply_edit(0, 0, "hello world") == _ref_count("o200k_base", "hello world")
    assert counter.apply_edit(0, len(counter.text), "") == 0 and counter.chunk_count == 0
    counter.set_text("abc def ghi")
    with pytest.raises(ValueError):
        counter.apply_edit(5, 3, "x")
    with pytest.raises(ValueError):
        counter.apply_edit(0, 100, "x")
    assert counter.apply_edit(11, 11, "!") == _ref_count("o200k_base", "abc def ghi!")


def test_one_character_edit_recounts_only_nearby_chunks(monkeypatch):
    from core.tokens import chunking
    from core.tokens import incremental
    text = mixed_text(300_000, seed=2)
    counter = IncrementalCounter("o200k_base")
    counter.set_text(text)
    seen: list[int] = []
    real = chunking.count_pieces

    def spy(pieces, name, parallel=True):
        seen.append(sum(map(len, pieces)))
        return real(pieces, name, parallel)

    monkeypatch.setattr(incremental, "count_pieces", spy)
    middle = len(text) // 2
    counter.apply_edit(middle, middle, "x")
    assert len(seen) == 1 and seen[0] <= 4 * chunking.EDIT_CHUNK_CHARS
    text = text[:middle] + "x" + text[middle:]
    assert counter.tokens == _ref_count("o200k_base", text)
