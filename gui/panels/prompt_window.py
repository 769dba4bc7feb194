"""A large prompt's window: the editor holds ~100k characters of a LargeText (LargePromptWindow), and their edits go to the whole.

Why: a QPlainTextEdit holding 10 MB costs ~53 MB (UTF-16 plus a block and a layout per line) and
reading it back after each pause in typing ~55 ms on the UI thread. A window of 100k characters
costs ~1 MB and a millisecond; the edit itself (LargeText.edit) touches one or two 8k chunks.
"""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QToolButton, QVBoxLayout, QWidget

from core.tokens import LargeText
from core.plan import MAX_PROMPT_CHARS
from gui.panels.prompt_editor import PromptEditor, char_index, has_long_line, preview_of, utf16_len

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


class LargePromptWindow:
    """Which part of a large prompt the editor holds, and how an edit there becomes an edit of the whole.

    It owns the window's state and drives the editor and the window bar it is given. The panel
    tells it what to show and answers three callbacks: `current_row()`, the selected prompt (a
    window belongs to the prompt selected when it was shown); `commit(new_text, old_text) -> bool`,
    which stores an edited prompt (False: not taken, the window goes back to the old text); and
    `refuse(reason)`, why an edit was not applied. Outside a window (a prompt small enough to edit
    whole) positions are those of the editor's text.
    """

    def __init__(self, editor: PromptEditor, bar: WindowBar, current_row: Callable[[], int],
                 commit: Callable[[LargeText, LargeText], bool], refuse: Callable[[str], None]) -> None:
        self.editor, self.bar = editor, bar
        self._current_row, self._commit, self._refuse = current_row, commit, refuse
        self.text: LargeText | None = None  # the large prompt the editor shows a window of
        self.bounds = (0, 0)  # that window, as character positions in it
        self._shown = ""  # the editor's text when the window was last shown or synced
        self._row = -1  # the prompt row that window belongs to

    @property
    def active(self) -> bool:
        return self.text is not None

    def holds(self, row: int) -> bool:
        """True if the editor shows a window of prompt `row` (an undo there keeps the place)."""
        return self.text is not None and self._row == row

    def show(self, text: LargeText, start: int, read_only: bool = False) -> None:
        """Put the part of the selected prompt's `text` that begins near `start` in the editor."""
        start, end = window_bounds(text, start)
        window = text[start:end]
        preview = has_long_line(window)
        self.text, self.bounds, self._shown = text, (start, end), window
        self._row = self._current_row()
        self.editor.preview = preview
        with QSignalBlocker(self.editor):
            self.editor.setPlainText(preview_of(window) if preview else window)
        self.editor.setReadOnly(read_only or preview)
        self.bar.show_window(start, end, text, preview)
        self.bar.show()

    def close(self) -> None:
        """The editor holds a whole prompt again."""
        self.text = None
        self.bar.hide()

    def forget_place(self) -> None:
        """A new text for the prompt: its next window starts at the top."""
        self._row = -1

    def move_to(self, start: int, read_only: bool) -> None:
        if self.text is not None:
            self.show(self.text, start, read_only)

    def apply_edit(self, window: str | None = None) -> bool:
        """Apply what changed in the editor's window (or `window`, a paste's result) to the whole prompt."""
        if self.text is None:
            return False
        new_window = self.editor.text() if window is None else window
        a, b, replacement = edit_between(self._shown, new_window)
        if a == b and not replacement:
            return True
        start, end = self.bounds
        old = self.text
        text = old.edit(start + a, start + b, replacement)
        if len(text) > MAX_PROMPT_CHARS:
            self._refuse(f"The prompt would have {len(text):,} characters; the limit is {MAX_PROMPT_CHARS:,}.")
            self.show(old, start)
            return False
        # The new state is in place before the commit: its echo must find the editor in sync.
        self.text, self._shown = text, new_window
        self.bounds = (start, end + len(replacement) - (b - a))
        if not self._commit(text, old):
            self.show(old, start)
            return False
        if window is not None:  # a big paste: the editor still shows the old window
            self.show(text, start)
        self.bar.show_window(*self.bounds, text, self.editor.preview)
        return True

    def place_caret(self, at: int) -> None:
        """Caret at character `at` of the prompt, moving a large prompt's window there first."""
        if self.text is not None:
            start, end = self.bounds
            if not start <= at <= end:
                self.show(self.text, max(0, at - WINDOW_CHARS // 2))
            shown, at = self._shown, at - self.bounds[0]
        else:
            shown = self.editor.text()
        if self.editor.preview:
            return
        cursor = self.editor.textCursor()
        cursor.setPosition(utf16_len(shown[:max(0, min(at, len(shown)))]))
        self.editor.setTextCursor(cursor)
        self.editor.ensureCursorVisible()

    def caret_offset(self) -> int:
        """The caret's character position in the whole prompt (a large prompt's window included)."""
        at = self.editor.textCursor().position()
        if self.text is not None:
            return self.bounds[0] + char_index(self._shown, at)
        return char_index(self.editor.text(), at)

    def switch_to(self, stored: LargeText, shown: str) -> None:
        """The prompt grew large: show a window of `stored` around where the cursor was in `shown`."""
        at = char_index(shown, self.editor.textCursor().position())
        self.show(stored, max(0, at - WINDOW_CHARS // 2))
        self.place_caret(at)
