"""LargeText: a prompt held as safely cut UTF-8 chunks stays equal to its str, counts exactly, and edits share memory and counts."""
from __future__ import annotations

import random
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.profiles import examples

from core.tokens import largetext
from core.tokens.largetext import LARGE_TEXT_CHARS, LargeText, as_prompt_text
from core.plan.scenario import Scenario, parse_scenario
from core.plan.scenario_write import dump_scenario
from core.tokens.textfiles import TextFileError, read_text_file
from core.tokens.counting import count_tokens
from core.plan.workload import PromptSpec, common_prefix, count_prompts
from tests.test_tokens_chunking import fragment_text
from tests.test_tokens_reference import ENCODINGS, mixed_text, reference_encoding


def _ref(name: str, text: str) -> int:
    return len(reference_encoding(name).encode_ordinary(text))


@settings(max_examples=examples(80), deadline=None)
@given(st.data())
def test_random_edits_keep_text_and_exact_count(data):
    name = data.draw(st.sampled_from(ENCODINGS))
    chunk = data.draw(st.sampled_from([1, 3, 16]))
    text = data.draw(fragment_text)
    big = LargeText.from_str(text, chunk)
    assert big.count(name) == _ref(name, text)
    versions = [(big, text)]
    for _ in range(data.draw(st.integers(1, 10))):
        start = data.draw(st.integers(0, len(text)))
        end = data.draw(st.integers(start, len(text)))
        replacement = data.draw(fragment_text)
        text = text[:start] + replacement + text[end:]
        big = big.edit(start, end, replacement, chunk)
        assert len(big) == len(text) and big == text and str(big) == text
        assert big.count(name) == _ref(name, text)
        versions.append((big, text))
    # Old versions are untouched (undo history keeps them).
    for old, old_text in versions:
        assert str(old) == old_text and old.count(name) == _ref(name, old_text)


@settings(max_examples=examples(60), deadline=None)
@given(fragment_text, st.integers(0, 60), st.integers(0, 60))
def test_slices_equal_str_slices(text, a, b):
    big = LargeText.from_str(text, 3)
    assert big[a:b] == text[a:b]
    assert big[a:] == text[a:] and big[:b] == text[:b]
    assert big.startswith(text[:a])


def test_one_character_edit_recounts_one_or_two_chunks_and_shares_the_rest(monkeypatch):
    text = mixed_text(400_000, seed=7)
    big = LargeText.from_str(text)
    assert big.count("o200k_base") == _ref("o200k_base", text)
    counted: list[int] = []
    real = largetext.count_pieces
    monkeypatch.setattr(largetext, "count_pieces",
                        lambda pieces, name, parallel=True: counted.append(sum(map(len, pieces)))
                        or real(pieces, name, parallel))
    at = len(text) // 2
    edited = big.edit(at, at, "x")
    assert edited.count("o200k_base") == _ref("o200k_base", text[:at] + "x" + text[at:])
    assert sum(counted) <= 3 * 8 * 1024
    shared = set(map(id, big._chunks)) & set(map(id, edited._chunks))
    assert len(shared) >= edited.chunk_count - 3  # the versions share all but the edited chunks


def test_equality_and_hash_by_content():
    text = mixed_text(50_000, seed=3)
    a, b = LargeText.from_str(text, 1000), LargeText.from_str(text, 7000)
    assert a == b and hash(a) == hash(b) and a == text and text == a
    assert a != text + "x" and a != LargeText.from_str(text[:-1] + "#")
    assert a.edit(10, 10, "y") != a
    assert a.edit(10, 10, "y").edit(10, 11, "") == text


def test_prompt_spec_holds_big_texts_as_large_text_and_back():
    big = "word " * (LARGE_TEXT_CHARS // 5 + 10)
    spec = PromptSpec("big", big)
    assert isinstance(spec.text, LargeText) and spec.text == big
    small = PromptSpec("small", LargeText.from_str("short text"))
    assert small.text == "short text" and type(small.text) is str
    assert type(PromptSpec("s", "x" * 100).text) is str
    # In between the thresholds a LargeText stays one (no flipping while typing at the boundary).
    middle = LargeText.from_str("y " * (LARGE_TEXT_CHARS // 2))
    assert as_prompt_text(middle) is middle


def test_scenario_round_trip_and_counts_with_a_large_prompt(tmp_path):
    text = mixed_text(1_200_000, seed=11)
    s = Scenario(name="big", prompts=(PromptSpec("doc", text, output_tokens=10),))
    assert isinstance(s.prompts[0].text, LargeText)
    loaded, errors = parse_scenario(dump_scenario(s), "big.yaml")
    assert not errors and loaded.prompts[0].text == text
    table = count_prompts(s.prompts, ["o200k_base", "estimate:anthropic"])
    expected = _ref("o200k_base", text)
    assert table.tokens("doc", "o200k_base") == expected
    assert table.tokens("doc", "estimate:anthropic") == count_tokens(text, "estimate:anthropic").tokens
    assert table.prefix_tokens["o200k_base"] == expected  # one prompt: all of it is shared


def test_common_prefix_across_large_and_small_texts():
    head = "System: you are helpful.\n" * 50_000
    a = PromptSpec("a", head + "Question one?").text
    b = PromptSpec("b", head + "Other question").text
    assert isinstance(a, LargeText)
    prefix = common_prefix([a, b])
    assert prefix == head  # cut back to the last line break before they differ
    assert common_prefix([a, head + "Q"]) == head
    assert common_prefix([a, a]) is a


@pytest.mark.parametrize("skip_bom", [False, True])
def test_large_file_reads_equal_the_str_path(tmp_path, skip_bom):
    text = mixed_text(1_500_000, seed=5)
    path = tmp_path / "big.txt"
    path.write_bytes((b"\xef\xbb\xbf" if skip_bom else b"") + text.encode("utf-8"))
    big = read_text_file(path, large=True)
    assert isinstance(big, LargeText) and big == text == read_text_file(path)


def test_large_file_errors_name_the_same_offset_as_the_str_path(tmp_path):
    data = bytearray(("naïve 😀 text\n" * 120_000).encode("utf-8"))
    rng = random.Random(1)
    path = tmp_path / "bad.txt"
    for at in [1 << 20, (1 << 20) - 1, (1 << 20) + 1, len(data) - 1] + [rng.randrange(len(data)) for _ in range(3)]:
        bad = bytearray(data)
        bad[at] = 0xFF
        path.write_bytes(bytes(bad))
        messages = []
        for large in (True, False):
            with pytest.raises(TextFileError) as info:
                read_text_file(path, large=large)
            messages.append(str(info.value))
        assert messages[0] == messages[1] and "offset" in messages[0]
    path.write_bytes(b"\x00" + bytes(data))
    with pytest.raises(TextFileError, match="binary"):
        read_text_file(path, large=True)


def test_lone_surrogates_survive_and_count_like_tiktoken():
    text = "a\ud800b " * 1000
    big = LargeText.from_str(text, 64)
    assert str(big) == text
    assert big.count("o200k_base") == _ref("o200k_base", text.replace("\ud800", "\ufffd"))


def test_memory_is_utf8_not_ucs4():
    text = ("emoji 😀 and prose " * 60_000)  # a str of 4 bytes per character
    big = LargeText.from_str(text)
    held = sum(sys.getsizeof(c) for c in big._chunks)
    assert held < 0.4 * sys.getsizeof(text)


def test_stop_abandons_a_count_and_keeps_what_was_counted():
    text = mixed_text(3_000_000, seed=2)
    big = LargeText.from_str(text)
    calls = iter([False, True])
    with pytest.raises(InterruptedError):
        big.count("o200k_base", stop=lambda: next(calls))
    assert 0 < big.counted_chars("o200k_base") < len(big)
    assert big.count("o200k_base") == _ref("o200k_base", text)


def test_bad_edit_ranges_are_refused():
    big = LargeText.from_str("hello world")
    with pytest.raises(ValueError):
        big.edit(5, 3, "")
    with pytest.raises(ValueError):
        big.edit(0, 99, "")
    with pytest.raises(TypeError):
        big[3]  # noqa: B018
    assert LargeText().edit(0, 0, "new") == "new" and not LargeText()


@pytest.mark.parametrize("ending", ["", "\n", "\n\n", " tail",
                                    # no literal block can hold these: a streamed quoted scalar
                                    "\r\n", "bell \x07 nel \x85 ls \u2028 bom \ufeff quote \" back \\ [x]"])
def test_streamed_save_of_a_large_prompt_round_trips_without_building_it(tmp_path, monkeypatch, ending):
    from core.plan import scenario_write as scenario_module

    text = mixed_text(1_100_000, seed=4).replace("\r", "") + ending
    s = Scenario(name="big", prompts=(PromptSpec("doc", text), PromptSpec("small", "hi\n")))
    big = s.prompts[0].text
    assert isinstance(big, LargeText)
    expected = dump_scenario(s)
    monkeypatch.setattr(LargeText, "__str__", lambda self: pytest.fail("the save built the whole text"))
    parts = list(scenario_module.dump_scenario_parts(s))
    assert "".join(parts) == expected and max(map(len, parts)) < 200_000
    path = tmp_path / "big.yaml"
    scenario_module.save_scenario(s, path)
    monkeypatch.undo()
    loaded, errors = parse_scenario(path.read_bytes(), str(path))
    assert not errors and loaded.prompts[0].text == text and loaded.prompts[1].text == "hi\n"


def test_an_edit_made_while_counting_reuses_what_that_count_finishes(monkeypatch):
    """Typing during the first count of a big prompt: the edited versions take the chunk counts
    the first count makes after they were created, instead of counting everything again."""
    text = mixed_text(600_000, seed=9)
    v0 = LargeText.from_str(text)
    v1 = v0.edit(100, 100, "a")            # made before v0 was counted at all
    v2 = v1.edit(len(v1) - 5, len(v1) - 5, "b")
    v0.count("o200k_base")                 # the first count finishes after the edits
    counted: list[int] = []
    real = largetext.count_pieces
    monkeypatch.setattr(largetext, "count_pieces",
                        lambda pieces, name, parallel=True: counted.append(sum(map(len, pieces)))
                        or real(pieces, name, parallel))
    expected = text[:100] + "a" + text[100:]
    expected = expected[:len(expected) - 5] + "b" + expected[len(expected) - 5:]
    assert v2.count("o200k_base") == _ref("o200k_base", expected)
    assert sum(counted) <= 6 * 8 * 1024  # the chunks the two edits re-cut, nothing else
    assert v2._inherit is None  # fully counted: the link to older versions is dropped


@settings(max_examples=examples(40), deadline=None)
@given(st.data())
def test_inherited_counts_are_always_the_right_chunks(data):
    name = "o200k_base"
    text = data.draw(fragment_text)
    versions = [LargeText.from_str(text, 3)]
    texts = [text]
    for _ in range(data.draw(st.integers(1, 6))):
        start = data.draw(st.integers(0, len(texts[-1])))
        end = data.draw(st.integers(start, len(texts[-1])))
        replacement = data.draw(fragment_text)
        versions.append(versions[-1].edit(start, end, replacement, 3))
        texts.append(texts[-1][:start] + replacement + texts[-1][end:])
        if data.draw(st.booleans()):
            k = data.draw(st.integers(0, len(versions) - 1))
            assert versions[k].count(name) == _ref(name, texts[k])  # some count, in any order
    assert versions[-1].count(name) == _ref(name, texts[-1])


def test_the_chain_to_uncounted_versions_is_bounded():
    """A long editing session with a count list that is never completed (an encoding no longer in
    use) must not keep every earlier version's counts alive."""
    text = mixed_text(50_000, seed=13)
    v = LargeText.from_str(text)
    v.count("o200k_base")
    v.count("cl100k_base")  # from now on only o200k_base is counted
    for i in range(200):
        v = v.edit(i * 10, i * 10, "x")
        text = text[:i * 10] + "x" + text[i * 10:]
        assert v.count("o200k_base") == _ref("o200k_base", text)
    depth, link = 0, v._inherit
    while link is not None:
        depth, link = depth + 1, link[4]
    assert 0 < depth <= largetext.MAX_INHERIT_DEPTH
