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
    start, end = panel.large_window.bounds
    assert start == 0 and WINDOW_CHARS <= end < WINDOW_CHARS + 100 and TEXT[end - 1] == "\n"
    assert panel.editor.text() == TEXT[start:end]
    assert panel.window_bar.isVisible() and not panel.window_bar.earlier.isEnabled()
    assert "1–" in panel.window_bar.label.text() and f"{len(TEXT):,} characters" in panel.window_bar.label.text()

    panel.window_bar.later.click()
    start2, end2 = panel.large_window.bounds
    assert start2 == end and panel.editor.text() == TEXT[start2:end2]
    assert panel.window_bar.earlier.isEnabled()
    panel.window_bar.earlier.click()
    assert panel.large_window.bounds == (0, end)
    panel.window_bar.moved.emit(len(TEXT) - 10)  # the slider's end: the last (short) window
    assert panel.large_window.bounds[1] == len(TEXT) and not panel.window_bar.later.isEnabled()
    assert panel.editor.text() == TEXT[panel.large_window.bounds[0]:]


def test_typing_in_the_window_edits_the_whole_prompt_and_undo_keeps_the_place(window, qtbot):
    c, panel, index = _open_big(window, qtbot)
    qtbot.wait(300)  # past the debounce: adding the prompt is one undo step, typing the next
    panel.window_bar.later.click()
    start = panel.large_window.bounds[0]
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
    assert panel.large_window.bounds[0] == start and panel.editor.text() == TEXT[start:panel.large_window.bounds[1]]

    panel.list.setCurrentRow(0)  # another prompt, then back: the window starts at the top again
    assert panel.window_bar.isHidden()
    panel.list.setCurrentRow(index)
    assert panel.large_window.bounds[0] == 0 and panel.window_bar.isVisible()


def test_replacing_the_window_keeps_the_rest_of_the_prompt(window, qtbot):
    c, panel, index = _open_big(window, qtbot)
    end = panel.large_window.bounds[1]
    panel.editor.selectAll()
    qtbot.keyClicks(panel.editor, "gone")  # the window's text replaced: the rest of the prompt stays
    assert c.scenario.prompts[index].text == "gone" + TEXT[end:]
    assert panel.large_window.bounds == (0, 4) and panel.editor.text() == "gone"


def test_a_user_scrolls_the_window_types_at_its_end_and_undoes(window, qtbot):
    """The user's path through a 1.6 M-character prompt: drag the slider, scroll, Ctrl+End, type, undo."""
    from PySide6.QtCore import Qt

    c, panel, index = _open_big(window, qtbot)
    assert len(TEXT) > 1_000_000
    qtbot.wait(300)  # adding the prompt is one undo step, the typing below the next
    slider = panel.window_bar.slider
    slider.setSliderDown(True)  # a drag to the middle, released there
    slider.setValue(500)
    slider.setSliderDown(False)
    start, end = panel.large_window.bounds
    assert start <= len(TEXT) // 2 < end and TEXT[start - 1] == "\n"  # a whole line starts the window
    assert panel.editor.text() == TEXT[start:end] and panel.window_bar.earlier.isEnabled()

    scroll = panel.editor.verticalScrollBar()
    scroll.setValue(scroll.maximum())  # the wheel, down to the window's last line
    qtbot.keyClick(panel.editor, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    assert panel.caret_offset() == end
    qtbot.keyClicks(panel.editor, "tail")
    assert c.scenario.prompts[index].text == TEXT[:end] + "tail" + TEXT[end:]
    assert panel.caret_offset() == end + 4 and panel.large_window.bounds == (start, end + 4)

    qtbot.wait(300)
    window.actions.undo.trigger()  # Edit ▸ Undo
    assert c.scenario.prompts[index].text == TEXT
    assert panel.large_window.bounds == (start, end) and panel.editor.text() == TEXT[start:end]
    panel.window_bar.later.click()  # and on through the rest of the prompt, unchanged
    assert panel.large_window.bounds[0] == end and panel.editor.text().startswith(TEXT[end:end + 100])
