"""The bpe-openai accelerator (core.tokens.fastcount): same vocabulary, same token ids and counts as tiktoken, self-check and fallback."""
from __future__ import annotations

import gzip
import hashlib
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.profiles import examples

from core.tokens import chunking
from core.tokens import fastcount
from core.tokens import counting as tokens
from core.tokens import vocab
from core.tokens.chunking import count_exact_fast, split_text
from core.tokens.incremental import IncrementalCounter
from tests.test_tokens_chunking import FRAGMENTS, fragment_text
from tests.test_tokens_reference import ENCODINGS, mixed_text, reference_encoding

ROOT = Path(__file__).resolve().parents[1]


def _ref_count(name: str, text: str) -> int:
    return len(reference_encoding(name).encode_ordinary(text))


def _fast(name: str):
    fast = fastcount.counter(name)
    assert fast is not None, fastcount.status(name)
    return fast


@pytest.mark.parametrize("name", ENCODINGS)
def test_probe_constants_are_tiktokens_counts(name):
    assert fastcount.PROBE_TOKENS[name] == tuple(_ref_count(name, t) for t in fastcount.PROBE_TEXTS)


@pytest.mark.parametrize("name", ENCODINGS)
def test_accelerator_is_active(name):
    """bpe-openai is a dependency: in this environment every count goes through it."""
    _fast(name)
    assert fastcount.status(name) == "bpe-openai"
    assert tokens.counting_backend(name) == "bpe-openai" and tokens.counting_ready(name)


@pytest.mark.parametrize("name", ENCODINGS)
def test_wheel_vocabulary_is_the_pinned_file(name):
    """The crate's vocabulary comes from these files, and they are byte-identical to our bundled, SHA-256-pinned ones."""
    spec = importlib.util.find_spec("bpe_openai")
    data = gzip.decompress((Path(spec.submodule_search_locations[0]) / "data" / f"{name}.tiktoken.gz").read_bytes())
    assert hashlib.sha256(data).hexdigest() == vocab.SPECS[name].sha256
    assert data == vocab.vocabulary_path(name).read_bytes()


@pytest.mark.parametrize("name", ENCODINGS)
def test_token_ids_equal_tiktokens(name):
    """Not only the counts: the crate produces tiktoken's very token ids (same ranks, same merges)."""
    native = fastcount._bindings().tokenizer_for_encoding(name)
    text = mixed_text(60_000, seed=21)
    for piece in split_text(text, 4096):
        assert native.encode(piece) == reference_encoding(name).encode_ordinary(piece)


@pytest.mark.parametrize("name", ENCODINGS)
def test_large_text_counts_equal_tiktokens(name):
    text = mixed_text(700_000, seed=23)
    assert count_exact_fast(text, name) == _ref_count(name, text)
    assert sum(map(_fast(name), split_text(text, 1000))) == _ref_count(name, text)


@pytest.mark.parametrize("name", ENCODINGS)
@settings(max_examples=examples(500), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=fragment_text)
def test_accelerated_count_equals_tiktoken_on_adversarial_text(name, text):
    expected = _ref_count(name, text)
    assert count_exact_fast(text, name) == expected
    fast = _fast(name)
    assert sum(map(fast, split_text(text, 1))) == expected  # cut at every safe position
    assert sum(map(fast, split_text(text, 16))) == expected


_edit_text = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=3)), max_size=6).map("".join)


@pytest.mark.parametrize("name", ENCODINGS)
@settings(max_examples=examples(500), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_accelerated_incremental_edits_equal_tiktoken(name, data):
    text = data.draw(fragment_text)
    counter = IncrementalCounter(name, chunk_chars=data.draw(st.sampled_from([1, 4, 32])))
    assert counter.set_text(text) == _ref_count(name, text)
    for _ in range(data.draw(st.integers(1, 8))):
        start = data.draw(st.integers(0, len(text)))
        end = data.draw(st.integers(start, min(len(text), start + 12)))
        replacement = data.draw(_edit_text)
        text = text[:start] + replacement + text[end:]
        if data.draw(st.booleans()):
            got = counter.apply_edit(start, end, replacement)
        else:
            got = counter.update_text(text)  # the editor's way: only the new text is known
        assert got == counter.tokens == _ref_count(name, text)
    assert counter.text == text and len(counter) == len(text)


# --- fallback -----------------------------------------------------------------------------------


@pytest.fixture
def rebuilt():
    """Tests that break the accelerator get a fresh one afterwards."""
    fastcount._reset_for_tests()
    yield
    fastcount._reset_for_tests()


def test_failed_self_check_falls_back_to_tiktoken(monkeypatch, rebuilt):
    monkeypatch.setitem(fastcount.PROBE_TOKENS, "o200k_base", (1, 2, 3, 4, 5, 6))
    assert fastcount.counter("o200k_base") is None
    assert "self-check" in fastcount.status("o200k_base")
    assert tokens.counting_backend("o200k_base") == "tiktoken"
    text = mixed_text(300_000, seed=4)
    assert count_exact_fast(text, "o200k_base") == _ref_count("o200k_base", text)
    assert fastcount.counter("cl100k_base") is not None  # decided per encoding


def test_missing_package_falls_back_to_tiktoken(monkeypatch, rebuilt):
    def missing():
        raise ImportError("bpe-openai is not installed")

    monkeypatch.setattr(fastcount, "_bindings", missing)
    assert fastcount.counter("cl100k_base") is None
    assert "not installed" in fastcount.status("cl100k_base")
    counter = IncrementalCounter("cl100k_base")
    text = mixed_text(50_000, seed=6)
    assert counter.set_text(text) == _ref_count("cl100k_base", text)
    assert counter.update_text(text[:100] + "x" + text[100:]) == _ref_count("cl100k_base", text[:100] + "x" + text[100:])


def test_switched_off_by_environment(tiktoken_only):
    assert fastcount.counter("o200k_base") is None
    assert fastcount.DISABLE_ENV in fastcount.status("o200k_base")
    assert chunking.piece_counter("o200k_base")[1] is True  # tiktoken: pieces may go to threads


def test_unknown_encodings_are_not_accelerated():
    assert fastcount.counter("p50k_base") is None
    with pytest.raises(ValueError, match="unknown encoding"):
        chunking.piece_counter("p50k_base")


# --- whole processes ----------------------------------------------------------------------------

_PROBE = r"""
import json, sys
sys.argv = ["main.py", "count", sys.argv[1], "--model", "gpt-5", "--json"]
import main
code = main.main()
print(json.dumps({"code": code, "tiktoken": "tiktoken" in sys.modules, "yaml": "yaml" in sys.modules}))
"""


def test_cli_count_never_builds_a_tiktoken_encoding(tmp_path):
    """The vocabulary-load cost the whole-process benchmark counts: with bpe-openai, tiktoken is not even imported."""
    text = mixed_text(20_000, seed=8)
    file = tmp_path / "p.txt"
    file.write_text(text, encoding="utf-8", newline="")
    env = {"TOKEN_BUDGET_CACHE_DIR": str(tmp_path / "cache"), "TOKEN_BUDGET_DATA_DIR": str(tmp_path / "data")}
    runs = [subprocess.run([sys.executable, "-c", _PROBE, str(file)], capture_output=True, text=True,
                           cwd=ROOT, env={**os.environ, **env}, timeout=120) for _ in range(2)]
    outputs = []
    for run in runs:
        assert run.returncode == 0, run.stderr
        *counted, probe = run.stdout.strip().splitlines()
        outputs.append((json.loads("".join(counted))["tokens"], json.loads(probe)))
    expected = _ref_count("o200k_base", text)
    assert outputs[0] == (expected, {"code": 0, "tiktoken": False, "yaml": True})  # first run: memo written
    assert outputs[1] == (expected, {"code": 0, "tiktoken": False, "yaml": False})  # memo warm: no YAML either


def test_the_bpe_openai_package_still_imports_after_our_direct_load():
    code = ("from core.tokens import fastcount; fastcount.counter('cl100k_base'); import bpe_openai; "
            "print(bpe_openai.get_encoding('cl100k_base').encode('hello world'))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == str(reference_encoding("cl100k_base").encode("hello world"))


# --- releasing the embedded vocabulary pages (Linux) --------------------------------------------

_RELEASE_PROBE = r"""
import json, os, sys
from core.tokens import fastcount
from core.tokens.chunking import split_text
text = open(sys.argv[1], encoding="utf-8", newline="").read()
names = sys.argv[2:]
counters = {name: fastcount.counter(name) for name in names}
path = os.path.realpath(fastcount._bindings().__file__)
with open("/proc/self/smaps") as smaps:
    lines = smaps.read().splitlines()
heads = [i for i, line in enumerate(lines) if line.endswith(" " + path) and line.split()[1] == "r--p"]
first_rss = next(int(line.split()[1]) for line in lines[heads[0]:] if line.startswith("Rss:"))
print(json.dumps({
    "built": {name: c is not None for name, c in counters.items()},
    "first_rss_kb": first_rss,
    "released": fastcount.released_bytes(),
    "probes": {name: [c(t) for t in fastcount.PROBE_TEXTS] for name, c in counters.items()},
    "counts": {name: sum(map(c, split_text(text, 4096))) for name, c in counters.items()},
}))
"""

# madvise page release is Linux-only; bpe-openai itself is a required dependency, so a missing
# module fails these tests (in _release_run) instead of skipping them.
linux_with_accelerator = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                            reason="releases pages on Linux only")


def _release_run(tmp_path, names, **env):
    """Build `names` through fastcount.counter in a fresh process, then count a mixed text there."""
    text = "".join(fastcount.PROBE_TEXTS) * 50 + mixed_text(150_000, seed=31)
    file = tmp_path / "text.txt"
    file.write_text(text, encoding="utf-8", newline="")
    run = subprocess.run([sys.executable, "-c", _RELEASE_PROBE, str(file), *names], capture_output=True,
                         text=True, cwd=ROOT, env={**os.environ, **env}, timeout=120)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["built"] == {name: True for name in names}  # the self-checks passed
    for name in names:
        assert result["probes"][name] == list(fastcount.PROBE_TOKENS[name])
        assert result["counts"][name] == _ref_count(name, text)
    return result


@linux_with_accelerator
def test_vocabulary_pages_are_released_after_the_build_and_counts_stay_exact(tmp_path):
    result = _release_run(tmp_path, ["o200k_base"])
    assert result["released"] > 10 << 20
    assert result["first_rss_kb"] < 4 << 10  # counting the text re-faulted only a little of it


@linux_with_accelerator
def test_keep_vocab_pages_switch_releases_nothing(tmp_path):
    result = _release_run(tmp_path, ["o200k_base"], **{fastcount.KEEP_PAGES_ENV: "1"})
    assert result["released"] == 0
    assert result["first_rss_kb"] > 10 << 10


@linux_with_accelerator
def test_cl100k_builds_and_counts_exactly_after_o200k_released_pages(tmp_path):
    """The second build reads the vocabulary segment again (re-faulted from the file) and releases again."""
    result = _release_run(tmp_path, ["o200k_base", "cl100k_base"])
    assert result["released"] > 20 << 20
    assert result["first_rss_kb"] < 4 << 10


def test_release_is_silent_off_linux_and_on_errors(monkeypatch):
    monkeypatch.delenv(fastcount.KEEP_PAGES_ENV, raising=False)
    before = fastcount.released_bytes()
    monkeypatch.setattr(sys, "platform", "darwin")
    assert fastcount._release_embedded_vocabularies() == 0
    monkeypatch.setattr(sys, "platform", "linux")

    def missing():
        raise ImportError("bpe-openai is not installed")

    monkeypatch.setattr(fastcount, "_bindings", missing)
    assert fastcount._release_embedded_vocabularies() == 0
    assert fastcount.released_bytes() == before
