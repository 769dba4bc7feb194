"""Editing a 10 MB prompt in the app: the editor holds a window of it, a keystroke edits the whole, and only the chunks around the edit are recounted."""
from __future__ import annotations

from core.tokens import chunking
from core.tokens.largetext import LargeText
from tests.test_tokens_reference import reference_encoding

BIG = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit. It's 2026: 12345 tokens! "
       "漢字とカタカナ 😀👍🏽\n") * 105_000  # ≈ 10 M characters


def _counted(c, index: int, text: str, tokens_expected: int) -> bool:
    """The worker has counted exactly `text` for prompt `index` and the window shows that count."""
    prompt = c.scenario.prompts[index]
    count = c.counts.get((prompt.name, "o200k_base"))
    return not c.busy and prompt.text == text and count is not None and count.tokens == tokens_expected


def test_one_character_edit_in_a_10_mb_prompt_is_recounted_incrementally(window, qtbot, monkeypatch):
    c, panel = window.controller, window.prompts
    reference = reference_encoding("o200k_base")  # the demo compares gpt-5.4, an o200k_base model
    index = c.add_prompt("Big document")
    panel.list.setCurrentRow(index)
    panel.editor.setPlainText(BIG)  # as if typed: read after a pause, counted in full once
    expected = len(reference.encode_ordinary(BIG))
    qtbot.waitUntil(lambda: _counted(c, index, BIG, expected), timeout=120_000)
    # Held as a LargeText; the editor switched to a window of it instead of holding 10 MB.
    assert isinstance(c.scenario.prompts[index].text, LargeText)
    assert panel.window_bar.isVisible()
    assert panel.editor.document().characterCount() < 200_000

    counted: list[int] = []
    real = chunking.count_pieces

    def spy(pieces, name, parallel=True):
        counted.append(sum(map(len, pieces)))
        return real(pieces, name, parallel)

    from core.tokens import largetext
    monkeypatch.setattr(largetext, "count_pieces", spy)
    cursor = panel.editor.textCursor()
    cursor.setPosition(1000)  # Qt counts UTF-16 units: the emoji before it take two
    panel.editor.setTextCursor(cursor)
    at = panel.large_window.bounds[0] + len(panel.editor.text().encode("utf-16-le", "surrogatepass")[:2000]
                                .decode("utf-16-le", "surrogatepass"))
    qtbot.keyClicks(panel.editor, "x")  # one keystroke in the middle of 10 MB
    qtbot.waitUntil(lambda: len(c.scenario.prompts[index].text) == len(BIG) + 1, timeout=10_000)
    edited = c.scenario.prompts[index].text
    wanted = BIG[:at] + "x" + BIG[at:]
    assert edited == wanted
    expected = len(reference.encode_ordinary(wanted))
    qtbot.waitUntil(lambda: _counted(c, index, wanted, expected), timeout=60_000)

    # The incremental path did it: a few kilobytes around the edit were counted, nothing else
    # (the estimates for the other models share the o200k_base count).
    assert counted and sum(counted) <= 4 * chunking.EDIT_CHUNK_CHARS, counted
