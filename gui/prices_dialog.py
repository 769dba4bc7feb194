"""Price data that stays true: cross-check a LiteLLM / genai-prices file, accept changes, calibrate counts."""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDialog, QDialogButtonBox, QFileDialog,
                               QFormLayout, QHBoxLayout, QHeaderView, QLabel, QPlainTextEdit,
                               QPushButton, QSpinBox, QTableWidget, QTableWidgetItem, QTabWidget,
                               QVBoxLayout, QWidget)

from core.prices import Catalog, calibration, load_catalog
from core.base import Problem, user_catalog_path
from core.prices.files import (
    ADDED, CHANGED, FIELD_MISSING, FORMATS, MISSING, NEW_FIELD, PriceDiff, apply_accepted, cross_check,
    field_text, read_price_file)
from gui.jobs import JobRunner

KIND_TITLES = {CHANGED: "price differs", NEW_FIELD: "newly priced", ADDED: "new model",
               FIELD_MISSING: "file lacks this price", MISSING: "file lacks this model"}
FILTERS = (("Applicable changes", (CHANGED, NEW_FIELD, ADDED)), ("Price differences", (CHANGED,)),
           ("New models", (ADDED,)), ("Everything", (CHANGED, NEW_FIELD, ADDED, FIELD_MISSING, MISSING)))
COLUMNS = ("", "model", "field", "what", "catalog", "file", "diff", "file entry")


class PricesDialog(QDialog):
    """Two tabs: "Cross-check & import" (diff a price file, apply the checked rows to the user
    override file) and "Calibration" (billed vs estimated counts per model).

    Signals: `applied(Path)` after the override file was written (reload the catalog then);
    `calibration_changed(str)` with the model id after recording or resetting a calibration.
    """

    applied = Signal(object)
    calibration_changed = Signal(str)
    diff_ready = Signal(object)

    def __init__(self, catalog: Catalog, parent: QWidget | None = None, *, user_file: Path | None = None,
                 reload_catalog: Callable[[], Catalog] | None = None, today: date | None = None,
                 calibration_file: Path | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Price data")
        self.resize(1000, 640)
        self.catalog = catalog
        self.user_file = Path(user_file) if user_file else user_catalog_path()
        self._reload = reload_catalog or (lambda: load_catalog()[0])
        self.today = today
        self.calibration_file = calibration_file
        self.diff: PriceDiff | None = None
        self._path: Path | None = None
        self._jobs = JobRunner(self, name="prices")
        tabs = QTabWidget()
        tabs.addTab(self._build_import(), "Cross-check && import")
        tabs.addTab(self._build_calibration(), "Calibration")
        self.tabs = tabs
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(tabs)
        layout.addWidget(buttons)
        self.refresh_calibrations()

    # === cross-check & import ===================================================================

    def _build_import(self) -> QWidget:
        page = QWidget()
        self.choose_button = QPushButton("Choose price file…")
        self.choose_button.setToolTip("A downloaded LiteLLM model_prices_and_context_window.json or a "
                                      "genai-prices data.json / provider .yml (read offline)")
        self.choose_button.clicked.connect(self.choose_file)
        self.format_box = QComboBox()
        self.format_box.addItems(FORMATS)
        self.filter_box = QComboBox()
        self.filter_box.addItems([name for name, _ in FILTERS])
        self.filter_box.currentIndexChanged.connect(self._apply_filter)
        self.summary = QLabel("Choose a price file to compare with the catalog. Nothing is downloaded.")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemChanged.connect(self._count_checked)
        self.check_all_button = QPushButton("Check all price changes")
        self.check_all_button.setToolTip("Every differing or newly priced field of catalog models; new "
                                         "models are added only when you tick them")
        self.check_all_button.clicked.connect(self.check_all_changes)
        self.apply_button = QPushButton("Apply checked to my override file")
        self.apply_button.clicked.connect(self.apply_checked)
        self.apply_button.setEnabled(False)
        self.result_label = QLabel()
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        top = QHBoxLayout()
        for w in (self.choose_button, QLabel("format:"), self.format_box):
            top.addWidget(w)
        top.addStretch(1)
        top.addWidget(QLabel("show:"))
        top.addWidget(self.filter_box)
        bottom = QHBoxLayout()
        bottom.addWidget(self.check_all_button)
        bottom.addStretch(1)
        bottom.addWidget(self.apply_button)
        layout = QVBoxLayout(page)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addLayout(bottom)
        layout.addWidget(self.result_label)
        return page

    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a price file", "",
                                              "Price files (*.json *.yml *.yaml);;All files (*)")
        if path:
            self.load_file(path)

    def load_file(self, path: str | Path, fmt: str | None = None, *, background: bool = True) -> None:
        """Read and cross-check a price file (through the job runner unless background=False).

        A newer file (or the re-check after an apply) supersedes a read still going: only the
        latest diff is shown.
        """
        self._path = Path(path)
        fmt = fmt or self.format_box.currentText()
        self.summary.setText(f"Reading {self._path.name}…")
        self.result_label.clear()
        args = (self._path, fmt, self.catalog, self.today or date.today())
        if not background:
            self._jobs.cancel("diff")
            outcome = _diff_job(None, *args)
            self._diff_failed(outcome) if isinstance(outcome, Problem) else self._diff_done(outcome)
            return
        self._jobs.submit("diff", _diff_job, *args, on_done=self._diff_done, on_problem=self._diff_failed,
                          context=f"Cannot use {self._path.name}")

    def _diff_failed(self, problem: Problem) -> None:
        self.diff = None
        self.table.setSortingEnabled(False)
        self.table.setRowCount(0)
        self.summary.setText(problem.message)
        self.apply_button.setEnabled(False)
        self.diff_ready.emit(None)

    def _diff_done(self, diff: PriceDiff) -> None:
        self.diff = diff
        self.table.setSortingEnabled(False)
        self.table.setRowCount(0)
        counts = diff.counts()
        resellers = sum(1 for m in diff.matches.values() if m.provider_rank == 2)
        warn = f" {len(diff.errors)} entries of the file could not be read." if diff.errors else ""
        self.summary.setText(
            f"{Path(diff.file).name} ({diff.format}, {diff.file_models:,} priced entries), prices in force on "
            f"{diff.on.isoformat()}: matched {len(diff.matches)} of {diff.catalog_size} catalog models"
            f"{f' ({resellers} only through a reseller)' if resellers else ''}. "
            f"{counts[CHANGED]} differ by more than {float(diff.tolerance) * 100:g}%, "
            f"{counts[NEW_FIELD]} newly priced fields, {counts[ADDED]} models the catalog lacks, "
            f"{counts[MISSING]} catalog models the file lacks.{warn} Nothing is deleted by an import.")
        self.table.blockSignals(True)
        self.table.setRowCount(len(diff.items))
        # Price differences first (what a budget depends on), then new fields, new models, gaps.
        order = {kind: i for i, kind in enumerate(KIND_TITLES)}
        ordered = sorted(diff.items, key=lambda i: (order.get(i.kind, 9), i.model_id, i.field))
        for row, item in enumerate(ordered):
            # A label beside the box: some dark styles draw an unchecked indicator nearly invisibly.
            check = QTableWidgetItem("accept" if item.applicable else "")
            check.setData(Qt.ItemDataRole.UserRole, item.key)
            if item.applicable:
                check.setFlags(check.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                check.setCheckState(Qt.CheckState.Unchecked)
            else:
                check.setFlags(Qt.ItemFlag.ItemIsEnabled)
            pct = "" if item.rel_diff is None else f"{float(item.rel_diff) * 100:+.1f}%"
            if item.kind == ADDED:
                theirs = field_text("input", item.theirs) + " input"
            else:
                theirs = field_text(item.field, item.theirs)
            cells = [check, item.model_id, item.field or "(whole model)", KIND_TITLES.get(item.kind, item.kind),
                     field_text(item.field, item.ours), theirs, pct, item.source_ref]
            for column, cell in enumerate(cells):
                cell = cell if isinstance(cell, QTableWidgetItem) else QTableWidgetItem(cell)
                if not item.applicable:  # information only: greyed, no checkbox
                    cell.setForeground(self.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text))
                self.table.setItem(row, column, cell)
        self.table.blockSignals(False)
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)  # header clicks sort; the first view keeps the order above
        self._apply_filter()
        self._count_checked()
        self.diff_ready.emit(diff)

    def _apply_filter(self) -> None:
        kinds = FILTERS[self.filter_box.currentIndex()][1]
        by_key = {i.key: i for i in self.diff.items} if self.diff else {}
        for row in range(self.table.rowCount()):
            key = self.table.item(row, 0).data(Qt.ItemDataRole.UserRole)
            item = by_key.get(key)
            self.table.setRowHidden(row, item is None or item.kind not in kinds)

    def checked_keys(self) -> list[str]:
        keys = []
        for row in range(self.table.rowCount()):
            cell = self.table.item(row, 0)
            if cell is not None and cell.checkState() == Qt.CheckState.Checked:
                keys.append(cell.data(Qt.ItemDataRole.UserRole))
        return keys

    def set_checked(self, keys) -> None:
        wanted = set(keys)
        for row in range(self.table.rowCount()):
            cell = self.table.item(row, 0)
            if cell.flags() & Qt.ItemFlag.ItemIsUserCheckable:
                cell.setCheckState(Qt.CheckState.Checked if cell.data(Qt.ItemDataRole.UserRole) in wanted
                                   else Qt.CheckState.Unchecked)

    def check_all_changes(self) -> None:
        """Like `prices import --accept all`: price changes and new fields, never whole new models."""
        if self.diff is not None:
            self.set_checked(i.key for i in self.diff.items if i.applicable and i.kind != ADDED)

    def _count_checked(self, *_args) -> None:
        n = len(self.checked_keys())
        self.apply_button.setEnabled(n > 0)
        self.apply_button.setText(f"Apply {n} checked to my override file" if n else
                                  "Apply checked to my override file")

    def apply_checked(self) -> Path | None:
        """Merge the checked rows into the user override file; returns the path written (or None)."""
        if self.diff is None:
            return None
        keys = self.checked_keys()
        written, errors = apply_accepted(self.diff.items, keys, self.user_file, today=self.today)
        problems = "".join(f"\n• {e}" for e in errors[:5])
        if written is None:
            self.result_label.setText("Nothing was written." + problems)
            return None
        models = sorted({k.split(":")[0] for k in keys})
        # The catalog now includes the override: recompare so the accepted rows drop out.
        self.catalog = self._reload()
        self.applied.emit(written)
        if self._path is not None:
            self.load_file(self._path)  # the re-check reads the file again: off the UI thread
        self.result_label.setText(f"Wrote {len(models)} model(s) to {written}: {', '.join(models)}. "
                                  f"The previous version is kept as {written.name}.bak; delete an entry "
                                  f"there to go back to the bundled price.{problems}")
        return written

    # === calibration ============================================================================

    def _build_calibration(self) -> QWidget:
        page = QWidget()
        self.model_box = QComboBox()
        for model in sorted(self.catalog, key=lambda m: m.id):
            exact = " (exact tokenizer)" if model.tokenizer in ("o200k_base", "cl100k_base") else ""
            self.model_box.addItem(f"{model.id}{exact}", model.id)
        self.estimate_box = QSpinBox()
        self.billed_box = QSpinBox()
        for box in (self.estimate_box, self.billed_box):
            box.setRange(0, 2_000_000_000)
            box.setGroupSeparatorShown(True)
        self.prompt_box = QPlainTextEdit()
        self.prompt_box.setPlaceholderText("Optional: paste the exact prompt the provider billed, then "
                                           "“Estimate from text” fills our uncalibrated count.")
        self.prompt_box.setMaximumHeight(110)
        estimate_button = QPushButton("Estimate from text")
        estimate_button.clicked.connect(self.estimate_from_text)
        record_button = QPushButton("Record billed count")
        record_button.clicked.connect(self.record_calibration)
        self.cal_table = QTableWidget(0, 6)
        self.cal_table.setHorizontalHeaderLabels(["model", "factor", "samples", "estimated", "billed", "updated"])
        self.cal_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.cal_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.cal_table.verticalHeader().hide()
        self.cal_table.horizontalHeader().setStretchLastSection(True)
        reset_button = QPushButton("Reset selected")
        reset_button.clicked.connect(self.reset_selected)
        self.cal_status = QLabel(f"Factor = billed ÷ estimated tokens over all samples; estimates are then "
                                 f"shown ±{calibration.RESIDUAL_BAND_PCT:g}%. Exact tokenizers are not scaled.")
        self.cal_status.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Model", self.model_box)
        form.addRow("Prompt", self.prompt_box)
        row = QHBoxLayout()
        row.addWidget(self.estimate_box, 1)
        row.addWidget(estimate_button)
        form.addRow("Our estimate (tokens)", row)
        form.addRow("Billed input tokens", self.billed_box)
        buttons = QHBoxLayout()
        buttons.addWidget(record_button)
        buttons.addStretch(1)
        buttons.addWidget(reset_button)
        layout = QVBoxLayout(page)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.cal_status)
        layout.addWidget(self.cal_table, 1)
        return page

    def _model_id(self) -> str:
        return self.model_box.currentData() or ""

    def estimate_from_text(self) -> None:
        from core.tokens import count_tokens

        model = self.catalog.get(self._model_id())
        text = self.prompt_box.toPlainText()
        if model is None or not text:
            self.cal_status.setText("Choose a model and paste the prompt first.")
            return
        count = count_tokens(text, model.tokenizer)  # uncalibrated, as calibration.record expects
        self.estimate_box.setValue(count.tokens)

    def record_calibration(self) -> bool:
        model_id = self._model_id()
        result, errors = calibration.record(model_id, self.estimate_box.value(), self.billed_box.value(),
                                            path=self.calibration_file, today=self.today)
        if result is None:
            self.cal_status.setText(str(errors[-1].message if errors else "calibration not recorded"))
            return False
        note = "".join(f" ({e.message})" for e in errors[:1])
        self.cal_status.setText(f"{model_id}: factor {result.factor:.4f} from {result.samples} sample(s).{note}")
        self.refresh_calibrations()
        self.calibration_changed.emit(model_id)
        return True

    def refresh_calibrations(self) -> None:
        entries, errors = calibration.load(self.calibration_file)
        if errors:
            self.cal_status.setText(f"The calibration file has problems: {errors[0]}")
        rows = sorted(entries.values(), key=lambda c: c.model_id)
        self.cal_table.setRowCount(len(rows))
        for r, c in enumerate(rows):
            for col, text in enumerate((c.model_id, f"{c.factor:.4f}", str(c.samples), f"{c.estimate_tokens:,}",
                                        f"{c.billed_tokens:,}", c.updated.isoformat())):
                self.cal_table.setItem(r, col, QTableWidgetItem(text))

    def reset_selected(self) -> None:
        rows = sorted({i.row() for i in self.cal_table.selectedIndexes()})
        for model_id in [self.cal_table.item(r, 0).text() for r in rows]:
            removed, errors = calibration.reset(model_id, path=self.calibration_file)
            self.cal_status.setText(f"{model_id}: calibration removed; counts are plain estimates again."
                                    if removed else f"{model_id} had no calibration.")
            self.calibration_changed.emit(model_id)
        self.refresh_calibrations()

    def done(self, code: int) -> None:  # noqa: D401 (Qt override)
        self._jobs.shutdown()  # a read still going is dropped with the dialog
        super().done(code)


def _diff_job(job, path: Path, fmt: str, catalog: Catalog, on: date) -> PriceDiff | Problem:
    """Worker (or inline): read a price file and cross-check it with the catalog."""
    try:
        imported = read_price_file(path, fmt)
        if not imported.ok:
            first = imported.errors[0] if imported.errors else "no priced models found"
            return Problem(str(path), None, "", f"Cannot use {path.name}: {first}")
        if job is not None:
            job.check()  # another file was chosen while this one was read
        return cross_check(catalog, imported, on=on)
    except Exception as exc:  # reported in the dialog; a bad file must not take the app down
        return Problem(str(path), None, "", f"Cannot use {path.name}: {exc}")
