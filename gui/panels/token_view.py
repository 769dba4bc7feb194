"""Token view: the selected prompt with alternating background colours per token, like providers' tokenizer pages."""
from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtGui import QSyntaxHighlighter, QTextCharFormat
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from gui import theme

MAX_TOKENS = 20_000
# One-for-one stand-ins for characters Qt would treat as line or paragraph breaks, so block
# offsets stay equal to string offsets (and the whitespace becomes visible, which helps here).
_VISIBLE = str.maketrans({"\r": "␍", "\u2028": "␤", "\u2029": "¶", "\x0b": "␋", "\x0c": "␌"})


def utf16_offsets(text: str) -> list[int] | None:
    """Qt counts UTF-16 code units; None when every character is one unit (the common case)."""
    if not text or max(text) < "\U00010000":
        return None
    out, pos = [0], 0
    for ch in text:
        pos += 2 if ord(ch) > 0xFFFF else 1
        out.append(pos)
    return out


def block_runs(text: str, spans: list[tuple[int, int]]) -> list[list[tuple[int, int, int]]]:
    """Per line: (start, length, colour index) in UTF-16 units relative to the line's start."""
    conv = utf16_offsets(text)
    u = (lambda i: conv[i]) if conv else (lambda i: i)
    line_starts = [0]
    for i, ch in enumerate(text):
        if ch == "\n":
            line_starts.append(i + 1)
    runs: list[list[tuple[int, int, int]]] = [[] for _ in line_starts]
    line = 0
    for index, (start, end) in enumerate(spans):
        pos = start
        while pos < end:  # a token may run over a line break: one run per line
            while line + 1 < len(line_starts) and line_starts[line + 1] <= pos:
                line += 1
            line_end = line_starts[line + 1] - 1 if line + 1 < len(line_starts) else len(text)
            stop = min(end, line_end)
            if stop > pos:
                runs[line].append((u(pos) - u(line_starts[line]), u(stop) - u(pos), index % 4))
            pos = line_end + 1 if stop == line_end else stop
    return runs


class _TokenHighlighter(QSyntaxHighlighter):
    def __init__(self, document) -> None:
        super().__init__(document)
        self.runs: list[list[tuple[int, int, int]]] = []
        self.formats: list[QTextCharFormat] = []
        self.restyle()

    def restyle(self) -> None:
        c = theme.colors()
        self.formats = []
        for bg in c.token_bg:
            fmt = QTextCharFormat()
            fmt.setBackground(bg)
            fmt.setForeground(c.text)
            self.formats.append(fmt)

    def highlightBlock(self, text: str) -> None:  # noqa: N802 (Qt override)
        number = self.currentBlock().blockNumber()
        if number < len(self.runs):
            for start, length, colour in self.runs[number]:
                self.setFormat(start, length, self.formats[colour])


class TokenView(QWidget):
    """Shows where a tokenizer cuts the text; limited to the first MAX_TOKENS tokens."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.info = QLabel("")
        self.info.setWordWrap(True)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.highlighter = _TokenHighlighter(self.text.document())
        layout.addWidget(self.info)
        layout.addWidget(self.text, 1)
        self._pending: tuple[str, str] | None = None
        self._preloading: set[str] = set()
        self._retry = QTimer(self, singleShot=True, interval=250)
        self._retry.timeout.connect(self._render_pending)
        self.shown_tokens = 0

    def show_text(self, text: str, tokenizer: str) -> None:
        self._pending = (text, tokenizer)
        self._render_pending()

    def _render_pending(self) -> None:
        if self._pending is None:
            return
        text, tokenizer = self._pending
        from core import tokens

        name, family = tokens.resolve_tokenizer(tokenizer)
        encoding = family.proxy if family else name
        if not tokens.is_loaded(encoding):  # never block the UI on vocabulary parsing
            self.info.setText(f"loading the {encoding} vocabulary…")
            if encoding not in self._preloading:
                self._preloading.add(encoding)
                tokens.preload([encoding])
            self._retry.start()
            return
        self._pending = None
        spans = tokens.token_spans(text, tokenizer, limit=MAX_TOKENS)
        cut = spans[-1][1] if spans else 0
        shown = text[:cut].translate(_VISIBLE)
        self.highlighter.runs = block_runs(shown, spans)
        self.text.setPlainText(shown)
        self.shown_tokens = len(spans)
        how = (f"approximate boundaries ({encoding} tokens): this model's tokenizer is not available offline"
               if family else f"exact {tokenizer} token boundaries")
        more = (f" — showing the first {len(spans):,} tokens ({cut:,} of {len(text):,} characters)"
                if cut < len(text) else f" — {len(spans):,} tokens")
        self.info.setText(how + more)

    def restyle(self) -> None:
        self.highlighter.restyle()
        self.highlighter.rehighlight()
