"""Editing a large prompt through a window: the editor holds ~100k characters of a LargeText, and its edits are applied to the whole (WindowedEditing, mixed into the prompts panel).

Why: a QPlainTextEdit holding 10 MB costs ~53 MB (UTF-16 plus a block and a layout per line) and
reading it back after each pause in typing ~55 ms on the UI thread. A window of 100k characters
costs ~1 MB and a millisecond; the edit itself (LargeText.edit) touches one or two 8k chunks.
"""
from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QToolButton, QVBoxLayout, QWidget

from core.tokens import LargeText
from core.plan import MAX_PROMPT_CHARS
from gui.panels.prompt_editor import _index, _utf16_len, has_long_line, preview_of

WINDOW_CHARS = 100_000  # what the editor holds of a large prompt
_LINE_SEARCH = 4_000  # windows start and end after a line break found within this many characters


def window_bounds(text: LargeText, start: int, size: int = WINDOW_CHARS) -> tuple[int, int]:
    """(start, end) of the window that begins at or before `start`, cut after line breaks when one is near.

    Whole lines keep the editor's view honest (no line shown cut in half) as long as lines are
    shorter than _LINE_SEARCH; longer lines are cut where the window ends.
    """
    n = len(text)
    start = max(0, min(start, n))
    if start > 0:
        before = text[max(0, start - _LINE_SEARCH):start]
        newline = before.rfind("\n")
        if newline >= 0:
            start = start - len(before) + newline + 1
        elif len(before) == start:  # no line break between the text's start and here: start there
            start = 0
    end = min(n, start + size)
    if end < n:
        after = text[end:min(n, end + _LINE_SEARCH)]
        newline = after.find("\n")
        if newline >= 0:
            end += newline + 1
    return start, end


def edit_between(old: str, new: str, block: int = 4096) -> tuple[int, int, str]:
    """(start, end, replacement) such that old[:start] + replacement + old[end:] == new.

    The shortest one found by comparing from both ends, a block at a time then character by
    character within the differing block: one keystroke gives a one-character edit.
    """
    limit = min(len(old), len(new))
    head = 0
    while head < limit:
        size = min(block, limit - head)
        if old[head:head + size] == new[head:head + size]:
            head += size
            continue
        while old[head] == new[head]:
            head += 1
        break
    room = limit - head  # the tail may not overlap the head
    tail = 0
    while tail < room:
        size = min(block, room - tail)
        if old[len(old) - tail - size:len(old) - tail] == new[len(new) - tail - size:len(new) - tail]:
            tail += size
            continue
        while old[len(old) - 1 - tail] == new[len(new) - 1 - tail]:
            tail += 1
        break
    return head, len(old) - tail, new[head:len(new) - tail]


class WindowBar(QWidget):
    """'Characters a–b of n' with earlier/later buttons and a slider to move the window."""

    moved = Signal(int)  # the character position the window should start at

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.label = QLabel("")
        self.label.setWordWrap(True)
        self.earlier = QToolButton(text="◀ Earlier")
        self.later = QToolButton(text="Later ▶")
        self.earlier.setToolTip("Show the previous part of this prompt in the editor")
        self.later.setToolTip("Show the next part of this prompt in the editor")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 1000)
        self.slider.setToolTip("Where in the prompt the editor is: drag to move there")
        controls = QHBoxLayout()
        controls.setSpacing(4)
        controls.addWidget(self.earlier)
        controls.addWidget(self.slider, 1)
        controls.addWidget(self.later)
        layout.addWidget(self.label)
        layout.addLayout(controls)
        self._start = self._end = self._length = 0
        self.earlier.clicked.connect(lambda: self.moved.emit(max(0, self._start - WINDOW_CHARS)))
        self.later.clicked.connect(lambda: self.moved.emit(self._end))
        self.slider.sliderReleased.connect(
            lambda: self.moved.emit(self._length * self.slider.value() // 1000))

    def show_window(self, start: int, end: int, text: LargeText, read_only: bool) -> None:
        self._start, self._end, self._length = start, end, len(text)
        mb = text.utf8_size / 1_048_576
        what = "read-only: a line is too long to edit" if read_only else "edits apply to the whole"
        self.label.setText(f"{len(text):,} characters ({mb:.1f} MB), counted in full. "
                           f"Editor: {start + 1:,}–{end:,} ({what}).")
        self.label.setToolTip("A large prompt: the editor holds about 100,000 characters of it at a time. "
                              + ("Paste or drop a file to replace the whole prompt." if read_only else
                                 "Move with Earlier / Later or the slider."))
        self.earlier.setEnabled(start > 0)
        self.later.setEnabled(end < len(text))
        self.slider.blockSignals(True)
        self.slider.setValue(1000 * start // max(1, len(text)))
        self.slider.blockSignals(False)


class WindowedEditing:
    """The prompts panel's handling of a large prompt's window (a mixin: it uses the panel's editor,
    controller, window bar and the _large / _window / _window_text / _window_row state)."""

    def _show_window(self, text: LargeText, start: int, read_only: bool = False) -> None:
        """Put the part of a large prompt that begins near `start` in the editor."""
        start, end = window_bounds(text, start)
        window = text[start:end]
        preview = has_long_line(window)
        self._large, self._window, self._window_text = text, (start, end), window
        self._window_row = self.current()
        self.editor.preview = preview
        with QSignalBlocker(self.editor):
            self.editor.setPlainText(preview_of(window) if preview else window)
        self.editor.setReadOnly(read_only or preview)
        self.large_info.hide()
        self.window_bar.show_window(start, end, text, preview)
        self.window_bar.show()

    def _move_window(self, start: int) -> None:
        row = self.current()
        if self._large is not None and 0 <= row < len(self.controller.scenario.prompts):
            p = self.controller.scenario.prompts[row]
            self._show_window(self._large, start, p.fixed_tokens is not None)

    def _send_window_edit(self, window: str | None = None) -> bool:
        """Apply what changed in the editor's window (or `window`, a paste's result) to the whole prompt."""
        row = self.current()
        if self._large is None or not 0 <= row < len(self.controller.scenario.prompts):
            return False
        new_window = self.editor.text() if window is None else window
        a, b, replacement = edit_between(self._window_text, new_window)
        if a == b and not replacement:
            return True
        start, end = self._window
        old = self._large
        text = old.edit(start + a, start + b, replacement)
        if len(text) > MAX_PROMPT_CHARS:
            self.editor.refused.emit(f"The prompt would have {len(text):,} characters; the limit is "
                                     f"{MAX_PROMPT_CHARS:,}.")
            self._show_window(old, start)
            return False
        self._large, self._window_text = text, new_window
        self._window = (start, end + len(replacement) - (b - a))
        name = self.controller.scenario.prompts[row].name
        self._sent[name] = text  # before the update, whose echo would refill the editor
        if not self.controller.update_prompt(row, text=text):
            self._sent[name] = old
            self._show_window(old, start)
            return False
        if window is not None:  # a big paste: the editor still shows the old window
            self._show_window(text, start)
        self.window_bar.show_window(*self._window, text, self.editor.preview)
        if self.view_tabs.currentIndex() == 1:
            self._token_timer.start()
        return True

    def _place_caret(self, at: int) -> None:
        """Caret at character `at` of the prompt, moving a large prompt's window there first."""
        if self._large is not None:
            start, end = self._window
            if not start <= at <= end:
                self._show_window(self._large, max(0, at - WINDOW_CHARS // 2))
            shown, at = self._window_text, at - self._window[0]
        else:
            shown = self.editor.text()
        if self.editor.preview:
            return
        cursor = self.editor.textCursor()
        cursor.setPosition(_utf16_len(shown[:max(0, min(at, len(shown)))]))
        self.editor.setTextCursor(cursor)
        self.editor.ensureCursorVisible()

    def caret_offset(self) -> int:
        """The caret's character position in the whole prompt (a large prompt's window included)."""
        at = self.editor.textCursor().position()
        if self._large is not None:
            return self._window[0] + _index(self._window_text, at)
        return _index(self.editor.text(), at)

    def _window_around_cursor(self, stored: LargeText, shown: str) -> None:
        """Switch the editor to a window of `stored` around where its cursor was in `shown`."""
        at = _index(shown, self.editor.textCursor().position())
        self._show_window(stored, max(0, at - WINDOW_CHARS // 2))
        self._place_caret(at)
