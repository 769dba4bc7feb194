"""The main window: composition root that lays out cards, panels and charts and wires them to the controller."""
from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtWidgets import (QGroupBox, QLabel, QMainWindow, QMessageBox, QSplitter, QTabWidget,
                               QVBoxLayout, QWidget)

from core.base import Problem
from core.plan import PlanResult
from gui import theme
from gui.controller import ScenarioController
from gui.panels.cards import HeadlineCards
from gui.panels.levers import LeversPanel
from gui.panels.models import ModelsPanel
from gui.panels.prompts import PromptsPanel
from gui.panels.workload import WorkloadPanel
from gui.settings import AppSettings


class PlaceholderCharts(QTabWidget):
    """Stands in for gui.charts.ChartTabs until pyqtgraph is imported (after the first paint)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.addTab(QLabel("Loading charts…", alignment=Qt.AlignmentFlag.AlignCenter), "Spend")
        self.result = None

    def show_result(self, result) -> None:
        self.result = result

    def show_error(self, text: str) -> None:
        pass

    def show_breakeven(self, curve) -> None:
        pass

    def current_chart(self) -> QWidget:
        return self.currentWidget()


def titled(title: str, widget: QWidget) -> QGroupBox:
    box = QGroupBox(title)
    layout = QVBoxLayout(box)
    layout.setContentsMargins(2, 6, 2, 2)
    layout.addWidget(widget)
    return box


class MainWindow(QMainWindow):
    def __init__(self, controller: ScenarioController, settings: AppSettings | None = None,
                 catalog_errors: list | None = None, autosaver=None) -> None:
        super().__init__()
        self.controller = controller
        self.autosaver = autosaver  # gui.autosave.Autosaver, or None (tests, screenshots)
        self.settings = settings or AppSettings()
        self.catalog_errors = list(catalog_errors or [])
        self.charts_ready = False
        self._first_result_shown = False
        self.last_breakeven = None
        self.resize(1280, 800)
        self.setMinimumSize(1024, 640)

        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        self.cards = HeadlineCards()
        self.banner = QLabel("")
        self.banner.setWordWrap(True)
        self.banner.setContentsMargins(10, 4, 10, 4)
        self.banner.hide()
        column.addWidget(self.cards)
        column.addWidget(self.banner)

        self.prompts = PromptsPanel(controller)
        self.workload = WorkloadPanel(controller)
        self.prompts.default_output_tokens = self.workload.default_output_tokens
        self.models = ModelsPanel(controller)
        self.levers = LeversPanel(controller)
        self.charts = PlaceholderCharts()

        self.left = QSplitter(Qt.Orientation.Vertical)
        self.left.addWidget(titled("Prompts", self.prompts))
        self.left.addWidget(titled("Workload && budget", self.workload))
        self.left.setStretchFactor(0, 1)
        self.right = QSplitter(Qt.Orientation.Vertical)
        self.right.addWidget(titled("Models", self.models))
        self.right.addWidget(titled("Levers", self.levers))
        self.main = QSplitter(Qt.Orientation.Horizontal)
        self.main.addWidget(self.left)
        self.main.addWidget(self.charts)
        self.main.addWidget(self.right)
        self.main.setStretchFactor(1, 1)
        for splitter in (self.left, self.right, self.main):
            splitter.setChildrenCollapsible(False)
        column.addWidget(self.main, 1)
        self.setCentralWidget(central)

        from gui.window_actions import WindowActions  # menus, shortcuts, file handling

        self.actions = WindowActions(self)
        from gui.statusbar import StatusLine

        self.status = StatusLine(self)
        self.setStatusBar(self.status)

        controller.result_ready.connect(self.show_result)
        controller.sensitivity_ready.connect(self._show_sensitivity)
        controller.breakeven_ready.connect(self._show_breakeven)
        controller.error_raised.connect(self.show_error)
        controller.scenario_changed.connect(lambda _s: self._update_title())
        controller.scenario_replaced.connect(lambda _s: self._update_title())
        if autosaver is not None:
            autosaver.saved.connect(self.status.show_autosave)
            autosaver.failed.connect(lambda problem: self.status.show_autosave(text=problem.message))
        self._update_title()
        self.restore_state()
        # pyqtgraph costs ~0.4 s to import and vocabularies ~0.25 s each to parse (holding the GIL):
        # all of that waits until the window has painted once.
        self._after_paint: list = [self.install_charts]
        self.cards.installEventFilter(self)

    def after_first_paint(self, task, *, first: bool = False) -> None:
        """Run `task` once the window has been painted (at once if it already has)."""
        if self._after_paint is None:
            QTimer.singleShot(0, task)
        else:
            self._after_paint.insert(0 if first else len(self._after_paint), task)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802
        if watched is self.cards and event.type() == QEvent.Type.Paint and self._after_paint is not None:
            tasks, self._after_paint = self._after_paint, None
            self.cards.removeEventFilter(self)
            for task in tasks:  # queued, so this paint finishes first
                QTimer.singleShot(0, task)
        return False

    # --- charts -------------------------------------------------------------------------------

    def install_charts(self) -> None:
        if self.charts_ready:
            return
        try:
            from gui.charts import ChartTabs
        except ImportError:
            return  # keep the placeholder: the window still works without charts
        charts = ChartTabs(lazy=True)  # a result never draws more than the visible chart in one turn
        index = self.main.indexOf(self.charts)
        old, self.charts = self.charts, charts
        self.main.replaceWidget(index, charts)
        old.deleteLater()
        self.charts_ready = True
        if self.controller.result is not None:
            charts.show_result(self.controller.result)
        if self.last_breakeven is not None:
            self._show_breakeven(self.last_breakeven)
        self.actions.charts_installed(charts)

    # --- results ------------------------------------------------------------------------------

    def show_result(self, result: PlanResult) -> None:
        if not self._first_result_shown:
            self._first_result_shown = True
            QTimer.singleShot(0, self.levers.selfhost.fill)  # idle work once the numbers are up
        self.cards.show_result(result)
        self.charts.show_result(result)
        self.banner.hide()
        self.status.show_result(result)

    def _show_sensitivity(self, result: PlanResult) -> None:
        self.charts.show_result(result)  # charts update their items in place; only sensitivity moved

    def _show_breakeven(self, payload) -> None:
        self.last_breakeven = payload
        if payload is None:
            self.charts.show_breakeven("Switch on the self-hosting lever to compare it with the API")
            return
        if isinstance(payload, Problem):  # the deployment cannot serve the plan: the chart says why
            self.charts.show_breakeven(payload.message)
            self.levers.selfhost.show_estimate(payload.message, "bad")
            return
        from core.plan import summary

        est, be = payload
        self.charts.show_breakeven(payload)  # the pair: the legend names the model and GPU
        self.levers.selfhost.show_estimate(summary(est, be), "good" if be.savings_usd_per_month > 0 else "")

    def show_error(self, problem: Problem | str) -> None:
        """Edit-time errors go to a banner (a dialog per keystroke would be unbearable)."""
        text = str(problem)
        c = theme.colors()
        self.banner.setStyleSheet(f"background: {c.warning_bg.name()}; color: {c.warning_text.name()};")
        kept = " — showing the last good result" if self.controller.result is not None else ""
        self.banner.setText(f"⚠ {text}{kept}")
        self.banner.show()
        self.status.showMessage(text, 8000)

    def error_dialog(self, title: str, text: str, details: str = "") -> None:
        box = QMessageBox(QMessageBox.Icon.Critical, title, text, QMessageBox.StandardButton.Ok, self)
        if details:
            box.setDetailedText(details)
        box.exec()

    def _update_title(self) -> None:
        s = self.controller.scenario
        path = f" — {self.controller.path}" if self.controller.path else ""
        self.setWindowTitle(f"{s.name}[*]{path} · Token Budget")  # Qt shows [*] as "*" when modified
        self.setWindowModified(self.controller.dirty)

    def restyle(self) -> None:
        """After a light/dark switch: panels with hand-picked colours repaint."""
        self.cards.restyle()
        if self.prompts.token_view is not None:
            self.prompts.token_view.restyle()
        if self.controller.result is not None:
            self.levers.show_result(self.controller.result)

    # --- state --------------------------------------------------------------------------------

    def restore_state(self) -> None:
        geometry = self.settings.geometry()
        if geometry is not None:
            self.restoreGeometry(geometry)
        self._layout_restored = False
        for key, splitter in (("main", self.main), ("left", self.left), ("right", self.right)):
            state = self.settings.state(f"splitter_{key}")
            if state is not None:
                self._layout_restored = splitter.restoreState(state) or self._layout_restored

    def default_layout(self) -> None:
        """Column widths for the window's real width: side panels fixed-ish, the charts get the rest."""
        width = max(self.main.width(), self.width())
        left = int(min(360, max(290, width * 0.27)))
        right = int(min(400, max(290, width * 0.29)))
        self.main.setSizes([left, max(300, width - left - right), right])
        height = max(self.left.height(), self.height() - 150)
        workload = self.left.widget(1).sizeHint().height()  # the form at its natural height; prompts get the rest
        self.left.setSizes([height - workload, workload])
        self.right.setSizes([int(height * 0.40), height - int(height * 0.40)])

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        if not getattr(self, "_layout_restored", True):
            self._layout_restored = True  # once: later resizes keep the user's proportions
            self.default_layout()

    def save_state(self) -> None:
        self.settings.set_geometry(self.saveGeometry())
        for key, splitter in (("main", self.main), ("left", self.left), ("right", self.right)):
            self.settings.set_state(f"splitter_{key}", splitter.saveState())
        self.settings.set_last_scenario(self.controller.path)
        self.settings.sync()

    def mark_clean(self) -> None:
        """The user's own file now holds the plan: the autosave copy is not needed."""
        if self.autosaver is not None:
            self.autosaver.mark_clean(self.controller.scenario)
        self._update_title()

    def closeEvent(self, event) -> None:  # noqa: N802
        if not self.actions.confirm_discard("quitting"):
            event.ignore()
            return
        if self.autosaver is not None:
            self.autosaver.clean_exit()  # saved or deliberately discarded: nothing to recover
        self.save_state()
        self.controller.shutdown()
        event.accept()
