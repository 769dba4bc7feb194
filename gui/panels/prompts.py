"""Prompts panel: the prompt mix (add, rename, duplicate, remove), its text, traffic and live token counts."""
from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from PySide6.QtCore import QSignalBlocker, Qt, QTimer
from PySide6.QtWidgets import (QComboBox, QFormLayout, QHBoxLayout, QInputDialog, QLabel, QListWidget,
                               QMessageBox, QProgressBar, QStackedWidget, QTabBar, QToolButton,
                               QVBoxLayout, QWidget)

from core.tokens import LargeText
from core.plan import Scenario
from gui.controller import ScenarioController
from gui.panels.prompt_editor import (BIG_DOC_CHARS, EDITOR_MAX_CHARS, EDITOR_MAX_LINE_CHARS, SYNC_READ_BYTES,
                                      PromptEditor, preview_of, read_files, too_big_to_edit)
from gui.panels.prompt_window import LargePromptWindow, WindowBar
from gui.panels.widgets import int_spin, set_quiet, spin


class PromptsPanel(QWidget):
    def __init__(self, controller: ScenarioController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.setAcceptDrops(True)
        self.default_output_tokens = lambda: 300  # the main window points this at the workload panel
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)

        self.list = QListWidget()
        self.list.setMaximumHeight(self.fontMetrics().height() * 5 + 12)
        self.list.setToolTip("The prompt mix; double-click to rename. Drop text files here to add prompts.")
        layout.addWidget(self.list)
        buttons = QHBoxLayout()
        buttons.setSpacing(2)
        self.buttons: dict[str, QToolButton] = {}
        for key, text, tip in (("add", "Add", "Add a prompt (Ctrl+Shift+P)"),
                               ("dup", "Duplicate", "Duplicate the prompt (Ctrl+D)"),
                               ("rename", "Rename", "Rename the prompt"), ("remove", "Remove", "Remove the prompt")):
            button = QToolButton()
            button.setText(text)
            button.setToolTip(tip)
            buttons.addWidget(button)
            self.buttons[key] = button
        buttons.addStretch(1)
        layout.addLayout(buttons)

        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.traffic_mode = QComboBox()
        self.traffic_mode.addItem("share of traffic", "share")
        self.traffic_mode.addItem("own requests/day", "rpd")
        self.traffic_mode.setToolTip("Shares split the workload's requests/day between prompts")
        self.traffic = spin(0, 1e10, decimals=2, step=0.05)
        traffic_row = QHBoxLayout()
        traffic_row.addWidget(self.traffic_mode)
        traffic_row.addWidget(self.traffic, 1)
        self.output = int_spin(0, 10_000_000, step=50, tip="Expected output tokens per request")
        self.reasoning = int_spin(0, 10_000_000, step=100, tip="Reasoning tokens per request (billed as output)")
        tokens_row = QHBoxLayout()
        tokens_row.addWidget(QLabel("out"))
        tokens_row.addWidget(self.output, 1)
        tokens_row.addWidget(QLabel("reasoning"))
        tokens_row.addWidget(self.reasoning, 1)
        form.addRow("Traffic", traffic_row)
        form.addRow("Tokens", tokens_row)
        layout.addLayout(form)

        self.counts = QLabel("counting…")
        self.counts.setWordWrap(True)
        self.counts.setTextFormat(Qt.TextFormat.RichText)
        self.counts.setToolTip("Prompt tokens per model: exact for bundled vocabularies, "
                               "≈ with an error band where the tokenizer is not available offline")
        self.progress = QProgressBar()
        self.progress.setMaximumHeight(10)
        self.progress.setTextVisible(False)
        self.progress.hide()
        layout.addWidget(self.counts)
        layout.addWidget(self.progress)

        self.view_tabs = QTabBar()
        self.view_tabs.addTab("Text")
        self.view_tabs.addTab("Tokens")
        self.view_tabs.setToolTip("Tokens: colour each token of the primary model's tokenizer")
        self.editor = PromptEditor()
        self.editor.setPlaceholderText("Paste the prompt your product sends, or drop text / Markdown / code / "
                                       "JSON files here")
        self.large_info = QLabel("")
        self.large_info.setWordWrap(True)
        self.large_info.hide()
        self.window_bar = WindowBar()  # a large prompt: which part of it the editor holds
        self.window_bar.hide()
        self.large_window = LargePromptWindow(self.editor, self.window_bar, self.current,
                                              self._store_window_edit, self.editor.refused.emit)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.editor)
        self.token_view = None  # built on first use (Tokens tab)
        layout.addWidget(self.view_tabs)
        layout.addWidget(self.large_info)
        layout.addWidget(self.window_bar)
        layout.addWidget(self.stack, 1)

        self._read_timer = QTimer(self, singleShot=True, interval=150)
        self._read_timer.timeout.connect(self._send_text)
        self._token_timer = QTimer(self, singleShot=True, interval=300)
        self._token_timer.timeout.connect(self._refresh_tokens)
        self._sent: dict[str, str] = {}  # prompt name -> text last sent, so echoes do not reset the cursor
        self._busy = False

        self.buttons["add"].clicked.connect(self.add_prompt)
        self.buttons["dup"].clicked.connect(self.duplicate_prompt)
        self.buttons["rename"].clicked.connect(self.rename_prompt)
        self.buttons["remove"].clicked.connect(self.remove_prompt)
        self.list.currentRowChanged.connect(self._select)
        self.list.itemDoubleClicked.connect(lambda _item: self.rename_prompt())
        self.traffic_mode.currentIndexChanged.connect(self._traffic_changed)
        self.traffic.valueChanged.connect(self._traffic_changed)
        self.output.valueChanged.connect(lambda v: self._edit(output_tokens=v))
        self.reasoning.valueChanged.connect(lambda v: self._edit(reasoning_tokens=v))
        self.editor.textChanged.connect(self._text_changed)
        self.editor.files_dropped.connect(self.add_files)
        self.editor.replace_all.connect(self._replace_all)
        self.window_bar.moved.connect(self._move_window)
        self.editor.refused.connect(lambda reason: QMessageBox.warning(self, "Paste refused", reason))
        self._file_pool: ThreadPoolExecutor | None = None
        self._file_jobs: list[Future] = []
        self._file_poll = QTimer(self, interval=20)
        self._file_poll.timeout.connect(self._collect_files)
        self.view_tabs.currentChanged.connect(self._view_changed)
        controller.scenario_changed.connect(self.show_scenario)
        controller.scenario_replaced.connect(self._replaced)
        controller.counts_ready.connect(lambda _c: self._show_counts())
        controller.counting_changed.connect(self._counting)
        controller.count_progress.connect(self._progress)
        self._replaced(controller.scenario)

    # --- selection and list -------------------------------------------------------------------

    def current(self) -> int:
        return self.list.currentRow()

    def caret_offset(self) -> int:
        """The caret's character position in the whole prompt (a large prompt's window included)."""
        return self.large_window.caret_offset()

    def _replaced(self, s: Scenario) -> None:
        row = max(0, min(self.current(), len(s.prompts) - 1))
        self._sent = {}
        self.show_scenario(s)
        with QSignalBlocker(self.list):
            self.list.setCurrentRow(row if s.prompts else -1)
        self._select(self.current())

    def show_scenario(self, s: Scenario) -> None:
        with QSignalBlocker(self.list):
            row = self.current()
            if self.list.count() != len(s.prompts):
                self.list.clear()
                self.list.addItems(["" for _ in s.prompts])
            for i, p in enumerate(s.prompts):
                self.list.item(i).setText(self._item_text(s, i))
            self.list.setCurrentRow(min(row, len(s.prompts) - 1))
        for key in ("dup", "rename", "remove"):
            self.buttons[key].setEnabled(bool(s.prompts))
        self._show_params(s)
        self._show_counts()
        if self.view_tabs.currentIndex() == 1 and s.primary_model != getattr(self, "_token_model", None):
            self._token_timer.start()  # another primary model may cut the text differently

    def _item_text(self, s: Scenario, i: int) -> str:
        p = s.prompts[i]
        if p.requests_per_day is not None:
            traffic = f"{p.requests_per_day:,.0f}/day"
        else:
            total = sum((q.share or 0) for q in s.prompts if q.requests_per_day is None)
            traffic = f"{(p.share or 0) / total:.0%}" if total else "0%"
        model = self.controller.catalog.get(s.primary_model)
        count = self.controller.counts.get((p.name, model.tokenizer)) if model else None
        tokens = (f" · {p.fixed_tokens:,} tk" if p.fixed_tokens is not None
                  else f" · {'' if count.exact else '≈ '}{count.tokens:,} tk" if count is not None else "")
        return f"{p.name} — {traffic}{tokens}"

    def _select(self, row: int) -> None:
        s = self.controller.scenario
        self._show_params(s)
        if 0 <= row < len(s.prompts):
            self._fill_editor(s.prompts[row].text, s.prompts[row].fixed_tokens is not None)
            self._sent[s.prompts[row].name] = s.prompts[row].text
        else:
            self._fill_editor("")
        self.editor.setEnabled(0 <= row < len(s.prompts))
        self._show_counts()
        if self.view_tabs.currentIndex() == 1:
            self._refresh_tokens()

    def _show_params(self, s: Scenario) -> None:
        row = self.current()
        enabled = 0 <= row < len(s.prompts)
        for w in (self.traffic_mode, self.traffic, self.output, self.reasoning):
            w.setEnabled(enabled)
        if not enabled:
            return
        p = s.prompts[row]
        own = p.requests_per_day is not None
        with QSignalBlocker(self.traffic_mode):
            self.traffic_mode.setCurrentIndex(1 if own else 0)
        set_quiet(self.traffic, p.requests_per_day if own else (p.share or 0))
        self.traffic.setSuffix(" req/day" if own else "")
        self.traffic.setDecimals(0 if own else 2)
        set_quiet(self.output, p.output_tokens)
        set_quiet(self.reasoning, p.reasoning_tokens)
        # An undo or an open may change the text under the editor: show it (but not our own echo).
        if self._sent.get(p.name) != p.text and not self._read_timer.isActive():
            self._fill_editor(p.text, p.fixed_tokens is not None)
            self._sent[p.name] = p.text

    def _fill_editor(self, text: "str | LargeText", read_only: bool = False) -> None:
        """Show `text` in the editor, or a read-only preview when the editor would stall on it."""
        if isinstance(text, LargeText):  # the same prompt again (an undo): keep the place
            same = self.large_window.holds(self.current())
            self.large_info.hide()
            self.large_window.show(text, self.large_window.bounds[0] if same else 0, read_only)
            return
        self.large_window.close()
        large = too_big_to_edit(text)
        self.editor.preview = large
        with QSignalBlocker(self.editor):
            self.editor.setPlainText(preview_of(text) if large else text)
        self.editor.setReadOnly(read_only or large)
        if large:
            lines = text.count("\n") + 1
            self.large_info.setText(
                f"This prompt has {len(text):,} characters on {lines:,} line(s); it is counted in full, "
                f"but the editor takes at most {EDITOR_MAX_CHARS:,} characters and lines of "
                f"{EDITOR_MAX_LINE_CHARS:,}, so this is a read-only preview of its start. "
                "Paste (Ctrl+V) or drop a file to replace it.")
        self.large_info.setVisible(large)

    def _replace_all(self, payload: tuple[str, int]) -> None:
        """After a big paste: the prompt takes the whole text; the editor shows it, or a preview."""
        text, caret = payload
        row = self.current()
        if not 0 <= row < len(self.controller.scenario.prompts):
            return
        self._read_timer.stop()
        if self.large_window.active and not self.editor.preview:
            start = self.large_window.bounds[0]
            if self._send_window_edit(text):  # the paste went into the window of a large prompt
                self.large_window.place_caret(start + caret)
            return
        prompt = self.controller.scenario.prompts[row]
        self._sent[prompt.name] = text  # before the update, whose echo would fill the editor again
        if not self.controller.update_prompt(row, text=text):
            self._sent[prompt.name] = prompt.text
            self._fill_editor(prompt.text, prompt.fixed_tokens is not None)
            return
        stored = self.controller.scenario.prompts[row].text  # a LargeText when big
        self._sent[prompt.name] = stored
        self.large_window.forget_place()  # a new text: its window starts at the top
        self._fill_editor(stored)
        if not self.editor.preview:
            self.large_window.place_caret(caret)
        if self.view_tabs.currentIndex() == 1:
            self._token_timer.start()

    # --- edits --------------------------------------------------------------------------------

    def _edit(self, **changes) -> None:
        if 0 <= self.current() < len(self.controller.scenario.prompts):
            self.controller.update_prompt(self.current(), **changes)

    def _traffic_changed(self, *_args) -> None:
        own = self.traffic_mode.currentData() == "rpd"
        value = self.traffic.value()
        prompt = self.controller.scenario.prompts[self.current()] if self.current() >= 0 else None
        if prompt is not None and own != (prompt.requests_per_day is not None) and self.sender() is self.traffic_mode:
            # switching mode: start from a sensible number rather than reinterpreting the old one
            value = 100.0 if own else 1.0
        self._edit(requests_per_day=value if own else None, share=None if own else value)

    def _text_changed(self) -> None:
        self._mark_counting()
        if self.large_window.active:
            self._send_window_edit()  # a window of ~100k characters: cheap to read on every keystroke
        elif self.editor.document().characterCount() > BIG_DOC_CHARS:
            self._read_timer.start()  # reading 10 MB on every keystroke would make typing lag
        else:
            self._send_text()

    def _send_text(self) -> None:
        row = self.current()
        if not 0 <= row < len(self.controller.scenario.prompts) or self.editor.preview:
            return
        text = self.editor.text()
        name = self.controller.scenario.prompts[row].name
        self._sent[name] = text
        self.controller.update_prompt(row, text=text)
        stored = self.controller.scenario.prompts[row].text
        if isinstance(stored, LargeText) and stored is not self.large_window.text:
            self._sent[name] = stored
            self.large_info.hide()
            self.large_window.switch_to(stored, text)  # it grew large: the editor keeps a window of it
        if self.view_tabs.currentIndex() == 1:
            self._token_timer.start()

    # --- a large prompt's window (LargePromptWindow does the editing) --------------------------

    def _move_window(self, start: int) -> None:
        """Earlier / Later / the slider: the selected prompt's window starts near `start`."""
        row = self.current()
        if self.large_window.active and 0 <= row < len(self.controller.scenario.prompts):
            self.large_window.move_to(start, self.controller.scenario.prompts[row].fixed_tokens is not None)

    def _send_window_edit(self, window: str | None = None) -> bool:
        """An edit in a large prompt's window (or a paste's whole new `window`) goes to the selected prompt."""
        if not 0 <= self.current() < len(self.controller.scenario.prompts):
            return False
        return self.large_window.apply_edit(window)

    def _store_window_edit(self, text: LargeText, old: LargeText) -> bool:
        """LargePromptWindow's commit: the selected prompt takes the edited text (False: refused)."""
        row = self.current()
        name = self.controller.scenario.prompts[row].name
        self._sent[name] = text  # before the update, whose echo would refill the editor
        if not self.controller.update_prompt(row, text=text):
            self._sent[name] = old
            return False
        if self.view_tabs.currentIndex() == 1:
            self._token_timer.start()
        return True

    def add_prompt(self) -> None:
        row = self.controller.add_prompt(output_tokens=self.default_output_tokens())
        self.list.setCurrentRow(row)
        self.editor.setFocus()

    def duplicate_prompt(self) -> None:
        if self.current() >= 0:
            self.list.setCurrentRow(self.controller.duplicate_prompt(self.current()))

    def rename_prompt(self) -> None:
        row = self.current()
        if row < 0:
            return
        old = self.controller.scenario.prompts[row].name
        name, ok = QInputDialog.getText(self, "Rename prompt", "Name:", text=old)
        if ok and name.strip() and name != old:
            self._sent.pop(old, None)
            self.controller.rename_prompt(row, name)

    def remove_prompt(self) -> None:
        row = self.current()
        if row >= 0:
            self.controller.remove_prompt(row)
            self.list.setCurrentRow(min(row, len(self.controller.scenario.prompts) - 1))
            self._select(self.current())

    def add_files(self, paths: list[str]) -> None:
        """Dropped files become prompts; big ones are read on a worker so the window keeps answering."""
        def size(path: str) -> int:
            try:
                return os.stat(path).st_size
            except (OSError, ValueError):
                return 0  # read_prompt_file reports the problem

        if not any(size(p) > SYNC_READ_BYTES for p in paths):
            self._add_read_files(read_files(paths))
            return
        if self._file_pool is None:
            self._file_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="prompt-files")
        self._file_jobs.append(self._file_pool.submit(read_files, list(paths)))
        self._file_poll.start()
        self.counts.setText(f"reading {len(paths)} file(s)…")

    def _collect_files(self) -> None:
        while self._file_jobs and self._file_jobs[0].done():
            self._add_read_files(self._file_jobs.pop(0).result())
        if not self._file_jobs:
            self._file_poll.stop()
            self._show_counts()

    def _add_read_files(self, results: list[tuple[str, str | None, str | None]]) -> None:
        problems = []
        for path, text, problem in results:
            if text is None:
                problems.append(problem or f"{path}: cannot be read")
                continue
            row = self.controller.add_prompt(Path(path).stem, text, self.default_output_tokens())
            self.list.setCurrentRow(row)
        if problems:
            QMessageBox.warning(self, "Some files were not added", "\n".join(problems))

    @property
    def reading_files(self) -> bool:
        return bool(self._file_jobs)

    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        self.add_files([u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()])

    # --- counts -------------------------------------------------------------------------------

    def _counting(self, busy: bool, message: str) -> None:
        self._busy = busy
        self.progress.setVisible(busy and message != "counting…")
        if busy:
            self.progress.setRange(0, 0)
            self.progress.setToolTip(message)
        self._show_counts()

    def _progress(self, done: int, total: int) -> None:
        if self.progress.isVisible():
            self.progress.setRange(0, total)
            self.progress.setValue(done)

    def _mark_counting(self) -> None:
        self.counts.setText("counting…")

    def _show_counts(self) -> None:
        s = self.controller.scenario
        row = self.current()
        if not 0 <= row < len(s.prompts):
            self.counts.setText("no prompt selected")
            return
        p = s.prompts[row]
        if p.fixed_tokens is not None:
            self.counts.setText(f"{p.fixed_tokens:,} tokens (fixed count from the scenario file)")
            return
        parts = []
        for i, model_id in enumerate((s.primary_model, *s.comparison_models)):
            model = self.controller.catalog.get(model_id)
            count = self.controller.counts.get((p.name, model.tokenizer)) if model else None
            factor = self.controller.token_factors.get(model_id) if model else None
            if count is not None and factor is not None and not count.exact:
                from core.prices import calibrated

                count = calibrated(count, float(factor))
            label = "counting…" if count is None else count.label
            name = f"<b>{model_id}</b>" if i == 0 else model_id
            parts.append(f"{name}: {label}")
        stale = " <i>(updating…)</i>" if self._busy else ""
        self.counts.setText(" · ".join(parts) + stale)
        with QSignalBlocker(self.list):
            for i in range(min(self.list.count(), len(s.prompts))):
                self.list.item(i).setText(self._item_text(s, i))

    # --- token view ---------------------------------------------------------------------------

    def _view_changed(self, index: int) -> None:
        if index == 1 and self.token_view is None:
            from gui.panels.token_view import TokenView

            self.token_view = TokenView()
            self.stack.addWidget(self.token_view)
        self.stack.setCurrentIndex(index)
        if index == 1:
            self._refresh_tokens()

    def _refresh_tokens(self) -> None:
        s = self.controller.scenario
        row = self.current()
        model = self.controller.catalog.get(s.primary_model)
        if self.token_view is None or model is None or not 0 <= row < len(s.prompts):
            return
        self._token_model = s.primary_model
        self.token_view.show_text(s.prompts[row].text, model.tokenizer)

    def show_token_view(self, on: bool) -> None:
        self.view_tabs.setCurrentIndex(1 if on else 0)
