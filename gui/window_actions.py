"""The main window's menus, keyboard shortcuts and file handling (new, open, save, recent, export)."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox

from core.plan import NOTES_MAX_CHARS, PromptSpec, Scenario, Workload, load_scenario, save_scenario

YAML_FILTER = "Scenarios (*.yaml *.yml);;All files (*)"
SHORTCUTS = (
    ("Ctrl+N", "New scenario"), ("Ctrl+O", "Open a scenario"), ("Ctrl+S", "Save"),
    ("Ctrl+Shift+S", "Save as"), ("Ctrl+E", "Export an HTML report"), ("Ctrl+Q", "Quit"),
    ("Ctrl+Z / Ctrl+Shift+Z", "Undo / redo a scenario edit"), ("Ctrl+Shift+P", "Add a prompt"),
    ("Ctrl+D", "Duplicate the prompt"), ("Ctrl+F", "Search the models"), ("Ctrl+T", "Token view"),
    ("Ctrl+1 … Ctrl+5", "Chart tabs"), ("F5", "Recompute now"), ("Ctrl+Shift+C", "Compare scenarios"),
    ("F1", "This list"),
)


class WindowActions:
    """Owns every QAction so the window class stays about layout and results."""

    def __init__(self, window) -> None:
        self.w = window
        self.c = window.controller
        bar = window.menuBar()
        self.file = bar.addMenu("&File")
        self._add(self.file, "&New", self.new, QKeySequence.StandardKey.New)
        self._add(self.file, "&Open…", self.open, QKeySequence.StandardKey.Open)
        self.recent = self.file.addMenu("Open &Recent")
        self._add(self.file, "&Save", self.save, QKeySequence.StandardKey.Save)
        self._add(self.file, "Save &As…", self.save_as, "Ctrl+Shift+S")
        self.file.addSeparator()
        export = self.file.addMenu("&Export")
        self._add(export, "Spend table (&CSV)…", lambda: self.export("csv"))
        self._add(export, "Current chart (&PNG)…", lambda: self.export("png"))
        self._add(export, "Report (&HTML)…", lambda: self.export("html"), "Ctrl+E")
        self.file.addSeparator()
        self._add(self.file, "&Quit", window.close, QKeySequence.StandardKey.Quit)

        edit = bar.addMenu("&Edit")
        self.undo = self._add(edit, "&Undo", self.c.undo, QKeySequence.StandardKey.Undo)
        self.redo = self._add(edit, "&Redo", self.c.redo, QKeySequence.StandardKey.Redo)
        edit.addSeparator()
        self._add(edit, "&Add prompt", window.prompts.add_prompt, "Ctrl+Shift+P")
        self._add(edit, "&Duplicate prompt", window.prompts.duplicate_prompt, "Ctrl+D")
        self._add(edit, "Re&name prompt…", window.prompts.rename_prompt)
        self._add(edit, "Re&move prompt", window.prompts.remove_prompt)
        edit.addSeparator()
        self._add(edit, "&Find model", window.models.focus_search, QKeySequence.StandardKey.Find)
        self._add(edit, "Model &prices…", self.prices)
        edit.aboutToShow.connect(self._edit_state)

        view = bar.addMenu("&View")
        self.token_view = self._add(view, "&Token view", window.prompts.show_token_view, "Ctrl+T")
        self.token_view.setCheckable(True)
        window.prompts.view_tabs.currentChanged.connect(lambda i: self.token_view.setChecked(i == 1))
        view.addSeparator()
        for i, name in enumerate(("Spend", "Breakdown", "Savings", "Self-host", "Sensitivity")):
            self._add(view, f"{name} chart", lambda _=False, i=i: self.w.charts.setCurrentIndex(i), f"Ctrl+{i + 1}")
        view.addSeparator()
        self._add(view, "&Reset layout", self.reset_layout)

        scenario = bar.addMenu("&Scenario")
        self._add(scenario, "&Recompute", self.c.recompute_now, "F5")
        self._add(scenario, "&Compare…", self.compare, "Ctrl+Shift+C")
        self._add(scenario, "Re&name…", self.rename_scenario)
        self._add(scenario, "&Notes…", self.edit_notes)

        help_menu = bar.addMenu("&Help")
        self._add(help_menu, "&Keyboard shortcuts", self.show_shortcuts, "F1")
        self._add(help_menu, "&About Token Budget", self.about)
        self.rebuild_recent()

    def _add(self, menu, text, slot, shortcut=None) -> QAction:
        action = QAction(text, self.w)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda _checked=False: slot() if not action.isCheckable() else slot(_checked))
        menu.addAction(action)
        return action

    def _edit_state(self) -> None:
        self.undo.setEnabled(self.c.can_undo())
        self.redo.setEnabled(self.c.can_redo())

    def charts_installed(self, charts) -> None:
        """Hook for when the real chart tabs replace the placeholder (nothing to rewire today)."""

    # --- files --------------------------------------------------------------------------------

    def confirm_discard(self, doing: str) -> bool:
        if not self.c.dirty:
            return True
        answer = QMessageBox.question(
            self.w, "Unsaved changes", f"Save the changes to “{self.c.scenario.name}” before {doing}?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Save)
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def new(self) -> None:
        if not self.confirm_discard("starting a new scenario"):
            return
        s = Scenario(name="Untitled plan", prompts=(PromptSpec("Prompt 1", output_tokens=300),),
                     primary_model=self.c.scenario.primary_model,
                     workload=Workload(start_month=date.today().replace(day=1)))
        self.c.set_scenario(s)

    def open(self) -> None:
        if not self.confirm_discard("opening another scenario"):
            return
        start = str(Path(self.c.path).parent) if self.c.path else ""
        path, _ = QFileDialog.getOpenFileName(self.w, "Open scenario", start, YAML_FILTER)
        if path:
            self.open_path(path)

    def open_path(self, path: str) -> bool:
        """Load a scenario; on any problem show it in a dialog and keep the current plan."""
        scenario, errors = load_scenario(path)
        if scenario is not None:
            unknown = [m for m in scenario.model_ids() if m not in self.c.catalog]
            if unknown:
                errors = [f"{path}: unknown model(s) {', '.join(unknown)} (not in the catalog)"]
                scenario = None
        if scenario is None:
            details = "\n".join(str(e) for e in errors)
            self.w.error_dialog("Cannot open the scenario",
                                f"{Path(path).name} has {len(errors)} problem(s); the current plan is kept.\n\n"
                                + "\n".join(str(e) for e in errors[:5]), details)
            return False
        self.c.set_scenario(scenario, str(Path(path).resolve()))
        self.w.mark_clean()
        self.w.settings.add_recent(path)
        self.w.settings.set_last_scenario(str(Path(path).resolve()))
        self.rebuild_recent()
        return True

    def save(self) -> bool:
        if not self.c.path:
            return self.save_as()
        return self._write(self.c.path)

    def save_as(self) -> bool:
        suggested = self.c.path or f"{self.c.scenario.name}.yaml"
        path, _ = QFileDialog.getSaveFileName(self.w, "Save scenario", suggested, YAML_FILTER)
        if not path:
            return False
        if not path.endswith((".yaml", ".yml")):
            path += ".yaml"
        return self._write(path)

    def _write(self, path: str) -> bool:
        try:
            save_scenario(self.c.scenario, path)
        except (OSError, ValueError) as exc:  # ValueError: text UTF-8 cannot hold; the old file stays
            self.w.error_dialog("Cannot save", f"{path}: {getattr(exc, 'strerror', None) or exc}; "
                                "the file on disk is unchanged.")
            return False
        self.c.mark_saved(str(Path(path).resolve()))
        self.w.mark_clean()
        self.w.settings.add_recent(path)
        self.w.settings.set_last_scenario(self.c.path)
        self.rebuild_recent()
        self.w._update_title()
        self.w.status.showMessage(f"saved {path}", 4000)
        return True

    def rebuild_recent(self) -> None:
        self.recent.clear()
        files = self.w.settings.recent_files()
        for path in files:
            self._add(self.recent, path, lambda p=path: self.confirm_discard("opening another scenario")
                      and self.open_path(p))
        if files:
            self.recent.addSeparator()
            self._add(self.recent, "Clear list", lambda: (self.w.settings.clear_recent(), self.rebuild_recent()))
        self.recent.setEnabled(bool(files))

    # --- other actions ------------------------------------------------------------------------

    def export(self, kind: str) -> None:
        result = self.c.result
        if result is None:
            QMessageBox.information(self.w, "Export", "Nothing to export yet: the plan is still computing.")
            return
        charts = self.w.charts
        what = {"csv": ("monthly spend table", "CSV files (*.csv)"), "png": ("current chart", "PNG images (*.png)"),
                "html": ("report", "HTML files (*.html)")}[kind]
        stem = Path(self.c.path).stem if self.c.path else self.c.scenario.name
        tab = charts.tabText(charts.currentIndex()).lower() if kind == "png" else ""
        suggested = f"{stem}{'-' + tab if tab else ''}.{kind}"
        path, _ = QFileDialog.getSaveFileName(self.w, f"Export the {what[0]}", suggested, what[1])
        if not path:
            return
        if not path.lower().endswith(f".{kind}"):
            path += f".{kind}"
        self.export_to(kind, path)

    def export_to(self, kind: str, path: str) -> bool:
        """Write one export of the shown result; errors go to a dialog, never a traceback."""
        from gui import export

        result, charts = self.c.result, self.w.charts
        try:
            if kind == "csv":
                export.export_csv(result, path)
            elif kind == "png":
                export.export_png(charts.current_chart(), path)
            else:
                images = export.chart_pngs(charts.chart_widgets()) if hasattr(charts, "chart_widgets") else {}
                export.export_html(result, images, path)
        except (OSError, ValueError) as exc:
            self.w.error_dialog("Export failed", f"{path}: {getattr(exc, 'strerror', None) or exc}")
            return False
        self.w.status.showMessage(f"exported {path}", 5000)
        return True

    def compare(self) -> None:
        """A non-modal window with the current plan as its first column; more files can be opened there."""
        from gui.compare import CompareDialog

        dialog = CompareDialog(self.c.catalog, self.w)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        result = self.c.result
        if result is not None and result.scenario != self.c.scenario:
            result = None  # an edit is still being priced: the dialog computes the current plan itself
        dialog.add_scenario(self.c.scenario, f"{self.c.scenario.name} (current)", result=result)
        dialog.show()
        self.compare_dialog = dialog

    def prices(self) -> None:
        from gui.prices_dialog import PricesDialog

        dialog = PricesDialog(self.c.catalog, self.w)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.applied.connect(lambda _path: self.reload_catalog())
        dialog.calibration_changed.connect(lambda _model: self.c.reload_calibration())
        dialog.show()
        self.prices_dialog = dialog

    def reload_catalog(self) -> bool:
        """After the user's price overrides changed: every panel shows the new catalog.

        If the override file now has problems they are listed in a dialog and the catalog in use
        stays as it was (the last good prices); False then.
        """
        from core.prices import load_catalog
        from core.base import user_catalog_path

        catalog, errors = load_catalog()
        user_file = str(user_catalog_path())
        if any(e.file == user_file for e in errors):
            self.show_catalog_problems([e for e in errors if e.file == user_file], kept=True)
            return False
        self.w.catalog_errors = list(errors)
        self.c.set_catalog(catalog)
        self.w.models.set_catalog(catalog)
        self.w.levers.set_catalog(catalog)
        self.w.status.show_catalog()
        return True

    def show_catalog_problems(self, errors, *, kept: bool = False) -> None:
        """Catalog load errors (file:line [field]: reason) in a dialog."""
        if not errors:
            return
        files = sorted({e.file for e in errors})
        outcome = ("the prices in use are unchanged" if kept
                   else "those entries were skipped; the bundled prices apply to them")
        self.w.error_dialog("Problems in the price catalog",
                            f"{len(errors)} problem(s) in {', '.join(files)}; {outcome}.\n\n"
                            + "\n".join(str(e) for e in errors[:5]),
                            "\n".join(str(e) for e in errors))

    def rename_scenario(self) -> None:
        name, ok = QInputDialog.getText(self.w, "Rename scenario", "Name:", text=self.c.scenario.name)
        if ok and name.strip():
            self.c.update(name=name.strip())

    def edit_notes(self) -> None:
        """Free-text notes saved with the scenario (assumptions, sources, who asked)."""
        notes, ok = QInputDialog.getMultiLineText(self.w, "Scenario notes",
                                                  "Notes saved with this scenario:", self.c.scenario.notes)
        if ok and notes != self.c.scenario.notes:
            if len(notes) > NOTES_MAX_CHARS:
                self.w.error_dialog("Notes not changed", f"Notes hold at most {NOTES_MAX_CHARS:,} characters; "
                                    f"these have {len(notes):,}.")
                return
            self.c.update(notes=notes)

    def reset_layout(self) -> None:
        self.w.default_layout()

    def show_shortcuts(self) -> None:
        rows = "".join(f"<tr><td><b>{keys}</b></td><td>&nbsp;&nbsp;{what}</td></tr>" for keys, what in SHORTCUTS)
        QMessageBox.information(self.w, "Keyboard shortcuts", f"<table>{rows}</table>")

    def about(self) -> None:
        QMessageBox.about(self.w, "About Token Budget",
                          "<b>Token Budget</b><br>Plan what large-language-model usage costs: exact token "
                          "counts, provider price rules, cost levers and self-hosting, with live charts.<br><br>"
                          "Fully offline: your prompts never leave this machine.")
