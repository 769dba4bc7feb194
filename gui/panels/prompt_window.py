"""Editing a large prompt through a window: the editor holds ~100k characters of a LargeText, and its edits are applied to the whole.

Why: a QPlainTextEdit holding 10 MB costs ~53 MB (UTF-16 plus a block and a layout per line) and
reading it back after each pause in typing ~55 ms on the UI thread. A window of 100k characters
costs ~1 MB and a millisecond; the edit itself (LargeText.edit) touches one or two 8k chunks.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QToolButton, QVBoxLayout, QWidget

from core.largetext import LargeText

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
