"""core.tokens.counting / core.tokens.vocab: exact counts against tiktoken, vocabulary integrity, estimates, chat framing, spans, files."""
from __future__ import annotations

import dataclasses
import hashlib
import socket
import threading
import time

import pytest

from core.tokens import vocab
from core.tokens.counting import (
    CHAT_OVERHEAD_SINGLE_USER, ESTIMATE_FAMILIES, TokenCount, chat_overhead_tokens, count_chat, count_tokens,
    resolve_tokenizer, token_spans)
from core.tokens.textfiles import MAX_FILE_BYTES, TextFileError, decode_text_bytes, read_text_file
from core.tokens.vocab import VocabularyError, get_encoding, is_loaded, load_encoding, preload
from core.tokens.chunking import count_exact, count_exact_fast
from tests.test_tokens_reference import ENCODINGS, mixed_text, reference_encoding

@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """Vocabulary caches go to a temporary folder: tests never write to the user's cache."""
    monkeypatch.setenv("TOKEN_BUDGET_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "tb-cache"))


FIXED_TEXTS = [
    "",
    "hello world",
    "Hello, World! It's 2026 and we'll count THEY'RE tokens.",
    "    indented code\n\tdef f(x):\n        return x  \n\n\n",
    "数字 12345678901234567890 and ½ ² ٣",
    "日本語のテキスト。漢字とカタカナ、ひらがな！",
    "emoji 😀👍🏽👨‍👩‍👧‍👦🇯🇵 and combining e\u0301 a\u0308",
    '{"id": 1, "tags": ["a","b"], "ok": true}',
    "<|endoftext|> is ordinary text here <|fim_prefix|>",
    "trailing spaces   ",
    "\r\n\r\n  \n \t \u00a0\u3000 x",
    "https://example.com/path/to?q=1&r=2 //comment\n//\n/",
]


@pytest.mark.parametrize("name", ENCODINGS)
@pytest.mark.parametrize("text", FIXED_TEXTS)
def test_exact_count_matches_tiktoken(name, text):
    ref = reference_encoding(name)
    expected = len(ref.encode_ordinary(text))
    result = count_tokens(text, name)
    assert result == TokenCount(expected, True, name, None)
    assert count_exact(text, name) == expected


@pytest.mark.parametrize("name", ENCODINGS)
def test_our_encoding_is_tiktokens_encoding(name):
    """Same pattern, special tokens and ranks as tiktoken_ext.openai_public builds."""
    ours, ref = get_encoding(name), reference_encoding(name)
    assert ours._pat_str == ref._pat_str
    assert ours._special_tokens == ref._special_tokens
    assert ours._mergeable_ranks == ref._mergeable_ranks


@pytest.fixture(params=["bpe-openai", "tiktoken"])
def backend(request):
    """Run a test with the accelerator (the default) and with tiktoken alone (the fallback)."""
    if request.param == "tiktoken":
        request.getfixturevalue("tiktoken_only")
    return request.param


@pytest.mark.parametrize("name", ENCODINGS)
def test_large_mixed_text_fast_count_matches(name, backend):
    text = mixed_text(600_000, seed=3)
    assert count_exact_fast(text, name) == len(reference_encoding(name).encode_ordinary(text))
    assert count_tokens(text, name, incremental=True).tokens == count_exact_fast(text, name)


def test_surrogates_count_like_tiktoken(backend):
    text = "lone \ud83d surrogate and a pair \ud83d\ude00 end " * 20_000  # big: takes the chunked path
    for name in ENCODINGS:
        assert count_exact_fast(text, name) == len(reference_encoding(name).encode_ordinary(text))
        assert count_exact_fast(text[:999], name) == len(reference_encoding(name).encode_ordinary(text[:999]))


# --- vocabulary integrity ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ENCODINGS)
def test_bundled_hash_is_pinned(name):
    data = vocab.vocabulary_path(name).read_bytes()
    assert hashlib.sha256(data).hexdigest() == vocab.SPECS[name].sha256


def test_flipped_byte_raises_vocabulary_error(tmp_path):
    data = bytearray(vocab.vocabulary_path("cl100k_base").read_bytes())
    data[1000] ^= 0x01
    bad = tmp_path / "cl100k_base.tiktoken"
    bad.write_bytes(bytes(data))
    with pytest.raises(VocabularyError, match="cl100k_base.tiktoken.*corrupted"):
        load_encoding("cl100k_base", bad)


def test_missing_file_raises_vocabulary_error(tmp_path):
    with pytest.raises(VocabularyError, match="missing"):
        load_encoding("o200k_base", tmp_path / "nope.tiktoken")


def test_get_encoding_reports_corruption_and_caches_nothing(tmp_path, monkeypatch, saved_cache, tiktoken_only):
    bad = tmp_path / "o200k_base.tiktoken"
    bad.write_bytes(b"not a vocabulary\n")
    monkeypatch.setattr(vocab, "vocabulary_path", lambda name: bad)
    vocab._reset_for_tests()
    with pytest.raises(VocabularyError, match=str(bad)):
        get_encoding("o200k_base")
    assert not is_loaded("o200k_base")
    with pytest.raises(VocabularyError):  # still raises: a failed load is not remembered
        count_tokens("x", "o200k_base")  # (with tiktoken; the accelerator's vocabulary is in its wheel)


def test_parse_ranks_matches_tiktoken_loader():
    import tiktoken.load

    for name in ENCODINGS:
        path = vocab.vocabulary_path(name)
        data = path.read_bytes()
        theirs = tiktoken.load.load_tiktoken_bpe(str(path), expected_hash=vocab.SPECS[name].sha256)
        assert vocab.parse_ranks(data) == theirs
        # A file whose ranks are not 0..n-1 in order takes the slow path and still parses right.
        lines = data.splitlines()
        swapped = b"\n".join([lines[1], lines[0]] + lines[2:]) + b"\n"
        assert vocab.parse_ranks(swapped) == theirs


def test_parse_ranks_rejects_garbage():
    with pytest.raises(VocabularyError):
        vocab.parse_ranks(b"aGVsbG8= 0\nd29ybGQ=\n")
    with pytest.raises(VocabularyError):
        vocab.parse_ranks(b"aGVsbG8= 0\n", n_expected=2)
    with pytest.raises(VocabularyError, match="duplicate"):
        vocab.parse_ranks(b"aGVsbG8= 0\naGVsbG8= 1\n")


@pytest.fixture
def saved_cache():
    """Tests that reset the encoding cache put the loaded encodings back afterwards."""
    saved = dict(vocab._cache)
    counts = dict(vocab.load_count)
    yield
    vocab._cache.clear()
    vocab._cache.update(saved)
    vocab.load_count.update(counts)


def test_concurrent_first_loads_load_once(monkeypatch, saved_cache):
    real = vocab.load_encoding
    calls: list[str] = []

    def slow_load(name, path=None):
        calls.append(name)
        time.sleep(0.05)  # widen the race window
        return real(name, path)

    monkeypatch.setattr(vocab, "load_encoding", slow_load)
    vocab._reset_for_tests()
    barrier = threading.Barrier(8)
    results: list[object] = []

    def worker():
        barrier.wait()
        results.append(get_encoding("cl100k_base"))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == ["cl100k_base"]
    assert vocab.load_count["cl100k_base"] == 1
    assert len(results) == 8 and all(r is results[0] for r in results)


def test_preload_loads_in_background(saved_cache):
    vocab._reset_for_tests()
    assert not is_loaded("o200k_base")
    thread = preload(("o200k_base",))
    assert thread.daemon
    thread.join(timeout=30)
    assert is_loaded("o200k_base") and not is_loaded("cl100k_base")
    with pytest.raises(ValueError, match="unknown encoding"):
        preload(("p50k_base",))


def test_preload_counting_loads_tiktoken_only_without_the_accelerator(saved_cache, tiktoken_only):
    from core.tokens.counting import counting_ready, preload_counting

    vocab._reset_for_tests()
    preload_counting(("cl100k_base",)).join(timeout=30)
    assert is_loaded("cl100k_base") and counting_ready("cl100k_base")


def test_preload_counting_leaves_the_accelerator_to_first_use(saved_cache):
    from core.tokens import fastcount
    from core.tokens.counting import preload_counting

    assert fastcount.counter("o200k_base") is not None  # active: bpe-openai builds in ~50 ms when needed
    vocab._reset_for_tests()
    preload_counting(ENCODINGS).join(timeout=30)
    assert not is_loaded("o200k_base") and not is_loaded("cl100k_base")  # no tiktoken vocabulary parsed


def test_counting_needs_no_network(saved_cache):
    # conftest.py blocks sockets for every test; prove it is active, then load from scratch.
    with pytest.raises(Exception, match="network access attempted"):
        socket.create_connection(("example.com", 443))
    vocab._reset_for_tests()
    assert count_tokens("offline, always", "o200k_base").tokens == 3
    assert count_tokens("offline, always", "estimate:llama").exact is False


# --- estimates ----------------------------------------------------------------------------------


@pytest.mark.parametrize("family", sorted(ESTIMATE_FAMILIES))
def test_estimates_are_labelled_and_never_exact(family):
    text = mixed_text(5_000, seed=7)
    spec = ESTIMATE_FAMILIES[family]
    result = count_tokens(text, f"estimate:{family}")
    proxy = len(reference_encoding(spec.proxy).encode_ordinary(text))
    assert result.exact is False
    assert result.encoding == spec.proxy
    assert result.band_pct == spec.band_pct > 0
    assert result.tokens == int(proxy * spec.factor + 0.5)
    assert result.label == f"≈ {result.tokens:,} ± {spec.band_pct:g}%"
    assert result.low < result.tokens < result.high
    assert spec.source and spec.proxy in ENCODINGS and 0.5 < spec.factor < 2


def test_estimate_table_shape():
    assert set(ESTIMATE_FAMILIES) == {"anthropic", "gemini", "llama", "mistral", "deepseek", "qwen",
                                      "xai", "other"}
    proxy, factor, band, source = ESTIMATE_FAMILIES["anthropic"]  # a plain tuple for README checks
    assert (proxy, factor, band) == ("o200k_base", 1.40, 20.0) and "Claude" in source


def test_unknown_family_is_other_and_bad_tokenizer_raises():
    assert resolve_tokenizer("estimate:Klingon") == ("other", ESTIMATE_FAMILIES["other"])
    assert resolve_tokenizer("o200k_base") == ("o200k_base", None)
    assert count_tokens("abc", "estimate:whatever").band_pct == ESTIMATE_FAMILIES["other"].band_pct
    with pytest.raises(ValueError, match="unknown tokenizer"):
        count_tokens("abc", "p50k_base")


def test_token_count_value_and_labels():
    exact = TokenCount(12345, True, "o200k_base", None)
    assert exact.label == "12,345" and exact.low == exact.high == 12345
    est = TokenCount(12345, False, "o200k_base", 15.0)
    assert est.label == "≈ 12,345 ± 15%"
    assert (est.low, est.high) == (10493, 14197)
    assert TokenCount(0, False, "o200k_base", 25.0).label == "≈ 0 ± 25%"
    with pytest.raises(dataclasses.FrozenInstanceError):
        exact.tokens = 1  # type: ignore[misc]


# --- chat framing -------------------------------------------------------------------------------


def test_chat_overhead_numbers():
    assert chat_overhead_tokens(0) == 3
    assert chat_overhead_tokens(1) == 6
    assert chat_overhead_tokens(4) == 15
    assert CHAT_OVERHEAD_SINGLE_USER == 7
    with pytest.raises(ValueError):
        chat_overhead_tokens(-1)


@pytest.mark.parametrize("name", ENCODINGS)
def test_count_chat_follows_the_cookbook(name):
    ref = reference_encoding(name)
    content = "What is the capital of France?"
    # num_tokens_from_messages([{"role": "user", "content": content}]) from the OpenAI cookbook
    expected = 3 + len(ref.encode("user")) + len(ref.encode(content)) + 3
    assert count_chat(content, name) == TokenCount(expected, True, name, None)
    assert len(ref.encode("user")) == 1


def test_count_chat_estimate_keeps_band():
    plain = count_tokens("hello there", "estimate:gemini")
    chat = count_chat("hello there", "estimate:gemini")
    assert chat.tokens == plain.tokens + 7 and chat.exact is False and chat.band_pct == plain.band_pct


# --- token spans --------------------------------------------------------------------------------


def _check_cover(text, spans):
    assert spans[0][0] == 0 and spans[-1][1] == len(text)
    for (a, b), (c, d) in zip(spans, spans[1:]):
        assert a < b == c < d
    assert "".join(text[a:b] for a, b in spans) == text


@pytest.mark.parametrize("name", ENCODINGS)
@pytest.mark.parametrize("text", [t for t in FIXED_TEXTS if t])
def test_token_spans_cover_the_text(name, text):
    spans = token_spans(text, name)
    _check_cover(text, spans)
    assert len(spans) <= len(reference_encoding(name).encode_ordinary(text))


def test_token_spans_match_tokens_for_ascii():
    text = "The quick brown fox jumps over the lazy dog."
    enc = reference_encoding("o200k_base")
    expected = [enc.decode([t]) for t in enc.encode_ordinary(text)]
    assert [text[a:b] for a, b in token_spans(text, "o200k_base")] == expected


def test_token_spans_merge_split_characters():
    text = "a👨‍👩‍👧‍👦b"
    spans = token_spans(text, "cl100k_base")  # cl100k splits the emoji's bytes across tokens
    _check_cover(text, spans)
    assert all(not (0xDC00 <= ord(text[a]) <= 0xDFFF) for a, _ in spans)


def test_token_spans_limit_and_estimates():
    text = mixed_text(200_000, seed=5)
    spans = token_spans(text, "estimate:anthropic", limit=1000)
    assert len(spans) == 1000
    full = token_spans(text[:20_000], "o200k_base", limit=10**9)
    assert spans == full[:1000]  # the prefix cut is safe: same spans as in the whole
    assert token_spans(text, "o200k_base", limit=0) == []
    assert token_spans("", "o200k_base") == []


# --- text files ---------------------------------------------------------------------------------


def test_read_text_file_accepts_utf8_and_bom(tmp_path):
    f = tmp_path / "a.txt"
    f.write_bytes(b"\xef\xbb\xbfh\xc3\xa9llo\n")
    assert read_text_file(f) == "héllo\n"


@pytest.mark.parametrize(
    "content, pattern",
    [
        (b"abc\x00def", r"looks binary \(NUL byte at offset 3\)"),
        (b"caf\xc3\xa9 \xff", r"not valid UTF-8 \(byte 0xff at offset 6\)"),
        (b"\xef\xbb\xbfab\xc3", r"not valid UTF-8 \(byte 0xc3 at offset 5\)"),
    ],
)
def test_read_text_file_rejects(tmp_path, content, pattern):
    f = tmp_path / "bad.txt"
    f.write_bytes(content)
    with pytest.raises(TextFileError, match=pattern) as info:
        read_text_file(f)
    assert "\n" not in str(info.value) and str(f) in str(info.value)


def test_read_text_file_size_and_unreadable(tmp_path):
    f = tmp_path / "big.txt"
    f.write_bytes(b"x" * 2000)
    with pytest.raises(TextFileError, match="too large"):
        read_text_file(f, max_bytes=1000)
    assert read_text_file(f, max_bytes=2000) == "x" * 2000
    with pytest.raises(TextFileError, match="cannot read"):
        read_text_file(tmp_path / "missing.txt")
    with pytest.raises(TextFileError, match="directory"):
        read_text_file(tmp_path)
    with pytest.raises(TextFileError, match="too large"):
        decode_text_bytes(b"x" * 11, "<stdin>", max_bytes=10)
    assert MAX_FILE_BYTES >= 10 * 1024 * 1024


def test_repeat_counts_of_one_text_are_remembered(monkeypatch):
    from core.tokens import counting as tokens
    text = mixed_text(50_000, seed=9)
    tokens.clear_count_cache()
    calls: list[str] = []
    real = tokens.count_exact_fast
    monkeypatch.setattr(tokens, "count_exact_fast", lambda t, e: calls.append(e) or real(t, e))
    results = {fam: count_tokens(text, f"estimate:{fam}") for fam in ESTIMATE_FAMILIES}
    exact = count_tokens(text, "o200k_base")
    assert calls == ["o200k_base", "cl100k_base"]  # one count per encoding, not per family
    assert exact.tokens == len(reference_encoding("o200k_base").encode_ordinary(text))
    assert results["llama"].encoding == "cl100k_base"
    edited = text[:-1] + "!"  # a different text is counted afresh, never confused with the first
    assert count_tokens(edited, "o200k_base").tokens == len(reference_encoding("o200k_base").encode_ordinary(edited))
    assert len(calls) == 3
    tokens.clear_count_cache()


def test_estimate_table_markdown_lists_every_family():
    from core.tokens.counting import estimate_table_markdown

    table = estimate_table_markdown()
    for family, spec in ESTIMATE_FAMILIES.items():
        assert f"| `estimate:{family}` | {spec.proxy} | ×{spec.factor:g} | ±{spec.band_pct:g}% |" in table


def test_ranks_cache_is_used_verified_and_rebuilt(tmp_path, monkeypatch, saved_cache):
    monkeypatch.setenv("TOKEN_BUDGET_CACHE_DIR", str(tmp_path))
    spec = vocab.SPECS["cl100k_base"]
    vocab._reset_for_tests()
    first = get_encoding("cl100k_base")  # parses and writes the cache
    cached = vocab._ranks_cache_path(spec)
    assert cached.parent == tmp_path and spec.sha256[:16] in cached.name
    assert cached.read_bytes().startswith(b"TBVOCAB1" + spec.sha256.encode())

    real_parse = vocab.parse_ranks
    parses: list[int] = []
    monkeypatch.setattr(vocab, "parse_ranks", lambda *a, **k: parses.append(1) or real_parse(*a, **k))
    vocab._reset_for_tests()
    assert get_encoding("cl100k_base")._mergeable_ranks == first._mergeable_ranks
    assert parses == []  # answered from the cache

    blob = bytearray(cached.read_bytes())
    blob[-10] ^= 0xFF  # corrupt the payload: its SHA-256 no longer matches
    cached.write_bytes(bytes(blob))
    vocab._reset_for_tests()
    enc = get_encoding("cl100k_base")
    assert parses == [1] and enc.encode_ordinary("hello world") == first.encode_ordinary("hello world")
    assert vocab._read_cached_ranks(spec) is not None  # rewritten from the fresh parse

    # A cache written for another vocabulary hash is never read.
    other = dataclasses.replace(spec, sha256="0" * 64)
    assert vocab._read_cached_ranks(other) is None
    # A corrupted bundled file is refused even though a valid cache exists.
    bad = tmp_path / "bad.tiktoken"
    bad.write_bytes(b"x")
    monkeypatch.setattr(vocab, "vocabulary_path", lambda name: bad)
    vocab._reset_for_tests()
    with pytest.raises(VocabularyError, match="corrupted"):
        get_encoding("cl100k_base")


def test_ranks_cache_can_be_disabled(monkeypatch, tmp_path):
    monkeypatch.setenv("TOKEN_BUDGET_CACHE_DIR", "")
    assert vocab.cache_dir() is None
    assert vocab._ranks_cache_path(vocab.SPECS["o200k_base"]) is None
    monkeypatch.delenv("TOKEN_BUDGET_CACHE_DIR")
    assert "token-budget" in str(vocab.cache_dir())
