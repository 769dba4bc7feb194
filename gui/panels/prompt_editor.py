"""The prompt editor widget: pastes too big to insert piecewise, dropped files, and the text helpers (previews, UTF-16 positions) the prompts panel uses."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QPlainTextEdit

from core.tokens import LargeText
from core.plan import MAX_PROMPT_CHARS

BIG_DOC_CHARS = 100_000  # above this the editor's text is read on a short timer, not per keystroke
# What the editor can hold and still answer within ~0.1 s. Qt lays a paragraph out as one piece:
# a 50,000-character line without spaces takes 0.25 s, a 1 MB one over a minute. A prompt with a
# longer line, or more text than this in all, is counted in full but shown as a read-only preview.
EDITOR_MAX_CHARS = 12_000_000
EDITOR_MAX_LINE_CHARS = 10_000
PREVIEW_LINES = 400
PREVIEW_LINE_CHARS = 2_000
SYNC_READ_BYTES = 1_000_000  # dropped files above this are read on a worker thread


def read_files(paths: list[str]) -> list[tuple[str, str | None, str | None]]:
    """(path, text, problem) for each file, in order; runs on a worker for big files."""
    out = []
    for path in paths:
        try:
            out.append((path, read_prompt_file(path), None))
        except ValueError as exc:  # TextFileError: binary, not UTF-8, unreadable, too large
            out.append((path, None, str(exc)))
    return out


def has_long_line(text: str, limit: int = EDITOR_MAX_LINE_CHARS) -> bool:
    """True if a line of `text` is longer than `limit` characters.

    Each step jumps to the last line break within the next limit + 1 characters, so 10 MB of short
    lines take ~1,000 C-level searches, not one Python step per line.
    """
    pos, size = 0, len(text)
    while size - pos > limit:
        found = text.rfind("\n", pos, pos + limit + 1)
        if found < 0:
            return True
        pos = found + 1
    return False


def too_big_to_edit(text: str) -> bool:
    """True when the editor would stall on `text` (see EDITOR_MAX_CHARS): it gets a preview instead."""
    return len(text) > EDITOR_MAX_CHARS or has_long_line(text)


def preview_of(text: str) -> str:
    """The first PREVIEW_LINES lines, each cut to PREVIEW_LINE_CHARS characters, with what was left out."""
    lines, start, size = [], 0, len(text)
    while start <= size and len(lines) < PREVIEW_LINES:
        end = text.find("\n", start)
        if end < 0:
            end = size
        line = text[start:min(end, start + PREVIEW_LINE_CHARS)]
        if end - start > PREVIEW_LINE_CHARS:
            line += f" … [{end - start - PREVIEW_LINE_CHARS:,} more characters on this line]"
        lines.append(line)
        start = end + 1
    if start <= size:
        lines.append(f"… [{size - start:,} more characters]")
    return "\n".join(lines)


def _mb(n: int) -> str:
    return f"{n / 1_048_576:.1f} MB"


def read_prompt_file(path: str) -> "str | LargeText":
    """A dropped file's text (a LargeText when big); binary, non-UTF-8 or oversized files raise TextFileError."""
    from core.tokens import TextFileError, read_text_file

    text = read_text_file(path, large=True)
    if len(text) > MAX_PROMPT_CHARS:
        raise TextFileError(f"{Path(path).name} has {len(text):,} characters; the limit is {MAX_PROMPT_CHARS:,}")
    return text


class PromptEditor(QPlainTextEdit):
    """Plain-text editor that turns dropped files into prompts instead of inserting their paths.

    Big pastes are not inserted piecewise: `replace_all` carries the whole resulting prompt text to
    the panel, which sets it in one go (or shows a preview when the editor would stall on it);
    `refused` carries the reason a paste was not taken.
    """

    files_dropped = Signal(list)
    replace_all = Signal(object)  # (new text, caret as a character index in it); `object`: no 10 MB copies
    refused = Signal(str)
    preview = False  # True while it shows a read-only preview of a prompt too big to edit

    def text(self) -> str:
        """The editor's exact text. toPlainText() would turn non-breaking spaces into spaces."""
        return self.document().toRawText().replace("\u2029", "\n")  # Qt's paragraph separator

    def keyPressEvent(self, event) -> None:  # noqa: N802
        if self.preview and event.matches(QKeySequence.StandardKey.Paste):
            self.insertFromMimeData(QApplication.clipboard().mimeData())  # replaces the whole prompt
            return
        super().keyPressEvent(event)

    def insertFromMimeData(self, source) -> None:  # noqa: N802 (Qt override: paste and text drops)
        if source is None or not source.hasText():
            super().insertFromMimeData(source)
            return
        # One conversion of the clipboard, checked by its length: measuring the UTF-8 size first
        # (QMimeData.data) cost a second full conversion, a quarter of a 10 MB paste's UI time.
        pasted = source.text()
        if len(pasted) > MAX_PROMPT_CHARS:
            self.refused.emit(f"The pasted text has {len(pasted):,} characters ({_mb(len(pasted))} or more); "
                              f"a prompt holds at most {MAX_PROMPT_CHARS:,} characters. Nothing was pasted.")
            return
        if self.preview:
            whole, caret = pasted, len(pasted)
        elif (len(pasted) <= EDITOR_MAX_LINE_CHARS
              and self.document().characterCount() + len(pasted) <= EDITOR_MAX_CHARS):
            super().insertFromMimeData(source)  # the everyday paste: nothing to check
            return
        else:
            current = self.text()
            cursor = self.textCursor()
            start, end = (char_index(current, cursor.selectionStart()), char_index(current, cursor.selectionEnd()))
            whole, caret = current[:start] + pasted + current[end:], start + len(pasted)
        if len(whole) > MAX_PROMPT_CHARS:
            self.refused.emit(f"The prompt would have {len(whole):,} characters; the limit is "
                              f"{MAX_PROMPT_CHARS:,}. Nothing was pasted.")
            return
        # setPlainText is a third faster than inserting 10 MB, and the panel needs no read-back.
        # The panel puts the caret after the pasted text, as after any paste.
        self.replace_all.emit((whole, caret))

    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event) -> None:  # noqa: N802
        urls = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            event.acceptProposedAction()
            self.files_dropped.emit(urls)
        else:
            super().dropEvent(event)


def utf16_len(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-16-le", "surrogatepass")) // 2


def char_index(text: str, utf16_position: int) -> int:
    """Qt counts positions in UTF-16 units; Python in code points (they differ after an emoji)."""
    if utf16_position <= 0 or text.isascii():
        return min(max(utf16_position, 0), len(text))
    units = text.encode("utf-16-le", "surrogatepass")[:2 * utf16_position]
    return len(units.decode("utf-16-le", "surrogatepass"))
