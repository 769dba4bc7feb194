"""A large prompt in the editor: a window of it, moved with Earlier/Later, edited in place, undone."""
from __future__ import annotations

from core.tokens.largetext import LargeText
from gui.panels.prompt_window import WINDOW_CHARS

LINE = "Line {:06d}: some prose, code() and 漢字 😀\n"
TEXT = "".join(LINE.format(i) for i in range(40_000))  # ≈ 1.6 M characters, short lines


def _open_big(window, qtbot):
    c, panel = window.controller, window.prompts
    index = c.add_prompt("Big", TEXT)
    panel.list.setCurrentRow(index)
    assert isinstance(c.scenario.prompts[index].text, LargeText)
    return c, panel, index


def test_the_editor_holds_a_line_aligned_window_and_moves_through_the_prompt(window, qtbot):
    c, panel, index = _open_big(window, qtbot)
    start, end = panel._window
    assert start == 0 and WINDOW_CHARS <= end < WINDOW_CHARS + 100 and TEXT[end - 1] == "\n"
    assert panel.editor.text() == TEXT[start:end]
    assert panel.window_bar.isVisible() and not panel.window_bar.earlier.isEnabled()
    assert "1–" in panel.window_bar.label.text() and f"{len(TEXT):,} characters" in panel.window_bar.label.text()

    panel.window_bar.later.click()
    start2, end2 = panel._window
    assert start2 == end and panel.editor.text() == TEXT[start2:end2]
    assert panel.window_bar.earlier.isEnabled()
    panel.window_bar.earlier.click()
    assert panel._window == (0, end)
    panel._move_window(len(TEXT) - 10)  # the slider's end: the last (short) window
    assert panel._window[1] == len(TEXT) and not panel.window_bar.later.isEnabled()
    assert panel.editor.text() == TEXT[panel._window[0]:]


def test_typing_in_the_window_edits_the_whole_prompt_and_undo_keeps_the_place(window, qtbot):
    c, panel, index = _open_big(window, qtbot)
    qtbot.wait(300)  # past the debounce: adding the prompt is one undo step, typing the next
    panel.window_bar.later.click()
    start = panel._window[0]
    cursor = panel.editor.textCursor()
    cursor.setPosition(4)  # "Line|" — ASCII so far, UTF-16 and character positions agree
    panel.editor.setTextCursor(cursor)
    qtbot.keyClicks(panel.editor, "XY")
    edited = TEXT[:start + 4] + "XY" + TEXT[start + 4:]
    assert c.scenario.prompts[index].text == edited
    assert panel.caret_offset() == start + 6
    qtbot.keyClick(panel.editor, "\b")  # backspace
    assert c.scenario.prompts[index].text == TEXT[:start + 4] + "X" + TEXT[start + 4:]

    qtbot.wait(300)
    c.undo()
    assert c.scenario.prompts[index].text == TEXT
    assert panel._window[0] == start and panel.editor.text() == TEXT[start:panel._window[1]]

    panel.list.setCurrentRow(0)  # another prompt, then back: the window starts at the top again
    assert panel.window_bar.isHidden()
    panel.list.setCurrentRow(index)
    assert panel._window[0] == 0 and panel.window_bar.isVisible()


def test_replacing_the_window_keeps_the_rest_of_the_prompt(window, qtbot):
    c, panel, index = _open_big(window, qtbot)
    end = panel._window[1]
    panel.editor.selectAll()
    qtbot.keyClicks(panel.editor, "gone")  # the window's text replaced: the rest of the prompt stays
    assert c.scenario.prompts[index].text == "gone" + TEXT[end:]
    assert panel._window == (0, 4) and panel.editor.text() == "gone"
