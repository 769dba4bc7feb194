"""Status bar: the catalog's price dates, vocabulary load state, autosave time and plan warnings."""
from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QStatusBar

from core.prices import STALE_DAYS
from core.plan import PlanResult

ENCODINGS = ("o200k_base", "cl100k_base")


class StatusLine(QStatusBar):
    def __init__(self, window) -> None:
        super().__init__(window)
        self.window_ = window
        self.prices = QLabel("")
        self.warnings = QLabel("")
        self.vocab = QLabel("vocabularies: loading…")
        self.autosave = QLabel("")
        for label in (self.warnings, self.prices, self.vocab, self.autosave):
            label.setContentsMargins(8, 0, 8, 0)
            self.addPermanentWidget(label)
        self.show_catalog()
        self._vocab_timer = QTimer(self, interval=250)
        self._vocab_timer.timeout.connect(self._poll_vocab)
        self._vocab_timer.start()
        self._poll_vocab()

    def show_catalog(self) -> None:
        catalog = self.window_.controller.catalog
        newest, oldest = catalog.newest_check(), catalog.oldest_check()
        if newest is None:
            self.prices.setText("catalog is empty")
            return
        stale = sorted((m for m in catalog if m.price_age_days() > STALE_DAYS), key=lambda m: m.checked)
        text = f"prices checked up to {newest.isoformat()}"
        if oldest != newest:
            text += f" · oldest {oldest.isoformat()}"
        self.prices.setText(text)
        lines = [f"{len(catalog)} models; {len(stale)} price(s) older than {STALE_DAYS} days"]
        lines += [f"  {m.id}: checked {m.checked.isoformat()}" for m in stale[:12]]
        errors = self.window_.catalog_errors
        if errors:
            lines.append(f"{len(errors)} catalog entr(ies) skipped:")
            lines += [f"  {e}" for e in errors[:8]]
        self.prices.setToolTip("\n".join(lines))

    def _poll_vocab(self) -> None:
        try:  # light modules only: this runs before the first paint
            from core.tokens import is_loaded, is_ready
        except ImportError:
            return
        loaded = [name for name in ENCODINGS if is_ready(name) or is_loaded(name)]
        waiting = [name for name in ENCODINGS if name not in loaded]
        # bpe-openai builds a tokenizer in ~50 ms when a count first needs it: nothing is preloaded.
        later = "on first use" if any(is_ready(name) for name in ENCODINGS) else "loading…"
        parts = [f"{name} ✓" for name in loaded] + [f"{name} {later}" for name in waiting]
        self.vocab.setText("vocabularies: " + " · ".join(parts))
        if not waiting:
            self._vocab_timer.stop()

    def show_result(self, result: PlanResult) -> None:
        notes = [p.message for p in result.problems if p.severity == "warning"]
        if notes:
            self.warnings.setText(f"⚠ {len(notes)} note(s)")
            self.warnings.setToolTip("\n".join(notes))
        else:
            self.warnings.setText("")
            self.warnings.setToolTip("")

    def show_autosave(self, when: datetime | None = None, text: str | None = None) -> None:
        if text is not None:
            self.autosave.setText(text)
            return
        self.autosave.setText(f"autosaved {(when or datetime.now()).strftime('%H:%M')}")
