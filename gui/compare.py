"""Side-by-side comparison of scenarios: a table of key numbers per plan and their monthly spend overlaid."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (QAbstractItemView, QDialog, QDialogButtonBox, QFileDialog, QHBoxLayout,
                               QHeaderView, QLabel, QPushButton, QSplitter, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from core.base import Problem
from core.plan import PlanResult, Scenario, count_scenario, evaluate, load_scenario
from gui.jobs import JobRunner

ROWS = ("Primary model", "Month 1", "Month N", "Total", "Budget / month", "First breach",
        "Levers save", "Max requests/day", "Traffic")


@dataclass
class CompareEntry:
    label: str
    scenario: Scenario
    result: PlanResult | None = None
    error: str = ""
    source: str = ""  # file path, or "" for the current scenario

    @property
    def pending(self) -> bool:
        return self.result is None and not self.error


def _money(value) -> str:
    from gui.charts.style import money

    return money(value)


def entry_cells(entry: CompareEntry) -> list[str]:
    """The column of one scenario, in ROWS order (plain text; every number from the PlanResult)."""
    s = entry.scenario
    w = s.workload
    traffic = f"{w.requests_per_day:,} req/day, +{w.growth_pct_per_month}%/month"
    if entry.pending:
        return [s.primary_model, "computing…", "", "", "", "", "", "", traffic]
    if entry.error:
        return [s.primary_model, f"error: {entry.error}", "", "", "", "", "", "", traffic]
    r, p = entry.result, entry.result.projection
    if not p.ok:
        return [s.primary_model, "error: " + "; ".join(p.errors), "", "", "", "", "", "", traffic]
    first, last = p.months[0], p.months[-1]
    breach = p.first_breach
    budget = w.budget_per_month
    if budget is None:
        verdict = "no budget"
    else:
        verdict = f"{breach.month:%b %Y}" if breach else "never (within budget)"
    fall = r.waterfall
    if fall.errors:
        levers = "error: " + "; ".join(fall.errors)
    elif not fall.steps:
        levers = "no levers on"
    else:
        levers = f"{r.saving_pct:.1f}% ({_money(fall.saving)})"
    most = "—" if r.max_requests_per_day is None else f"{r.max_requests_per_day:,}"
    return [s.primary_model, f"{_money(first.cost)} ({first.month:%b %Y})",
            f"{_money(last.cost)} ({last.month:%b %Y})", f"{_money(p.total)} ({len(p.months)} months)",
            "—" if budget is None else _money(budget), verdict, levers, most, traffic]


class CompareDialog(QDialog):
    """Compare the current scenario with scenario files the user opens.

    `add_scenario(scenario, label, result=None)` adds a column (the current plan's PlanResult can
    be passed in to skip recomputing); `add_file(path)` loads a YAML file; "Open…" asks for files.
    A column without a result says "computing…" until the job runner delivers it (`busy`).
    """

    def __init__(self, catalog, parent: QWidget | None = None, *,
                 counter: Callable[[str, str], int] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Compare scenarios")
        self.resize(980, 640)
        self.catalog = catalog
        self.counter = counter
        self.entries: list[CompareEntry] = []
        self._jobs = JobRunner(self, name="compare")

        self.table = QTableWidget(len(ROWS), 0)
        self.table.setVerticalHeaderLabels(list(ROWS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectColumns)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setWordWrap(True)
        self.chart = _compare_chart_class()()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.open_button = QPushButton("Open scenario files…")
        self.open_button.clicked.connect(self.open_files)
        self.remove_button = QPushButton("Remove column")
        self.remove_button.clicked.connect(self.remove_selected)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.open_button)
        row.addWidget(self.remove_button)
        row.addStretch(1)
        row.addWidget(buttons)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.chart)
        splitter.setSizes([250, 350])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.message)
        layout.addLayout(row)

    # -- adding scenarios
    def add_scenario(self, scenario: Scenario, label: str | None = None, result: PlanResult | None = None,
                     source: str = "") -> CompareEntry:
        entry = CompareEntry(label or scenario.name, scenario, result, source=source)
        self.entries.append(entry)
        if result is None:
            self._evaluate(entry)
        self._refresh()
        return entry

    def add_file(self, path: str | Path) -> bool:
        """Load a scenario file as a new column; a file that does not load is reported below the table."""
        scenario, errors = load_scenario(path)
        if scenario is None:
            shown = "; ".join(str(e) for e in errors[:3]) + (f" (+{len(errors) - 3} more)" if len(errors) > 3 else "")
            self.message.setText(f"Could not open {Path(path).name}: {shown}")
            return False
        self.message.clear()
        self.add_scenario(scenario, f"{scenario.name} ({Path(path).name})", source=str(path))
        return True

    def open_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Open scenarios to compare", "",
                                                "Scenarios (*.yaml *.yml);;All files (*)")
        for path in paths:
            self.add_file(path)

    def remove_selected(self) -> None:
        columns = sorted({i.column() for i in self.table.selectedIndexes()}, reverse=True)
        for column in columns:
            if 0 <= column < len(self.entries):
                self._jobs.cancel(_kind(self.entries[column]))  # its result would have no column
                del self.entries[column]
        self._refresh()

    # -- evaluation
    def _evaluate(self, entry: CompareEntry) -> None:
        """Count and price the entry's plan through the job runner; its column fills in when done."""
        self._jobs.submit(_kind(entry), _compare_job, entry.scenario, self.catalog, self.counter,
                          on_done=lambda result, e=entry: self._finished(e, result),
                          on_problem=lambda problem, e=entry: self._failed(e, problem))

    def _finished(self, entry: CompareEntry, result: PlanResult) -> None:
        entry.result = result
        if entry in self.entries:
            self._refresh()

    def _failed(self, entry: CompareEntry, problem: Problem) -> None:
        # a scenario that cannot be evaluated is a column error, not a crash
        entry.error = problem.message
        if entry in self.entries:
            self._refresh()

    @property
    def busy(self) -> bool:
        return any(e.pending for e in self.entries)

    # -- drawing
    def _refresh(self) -> None:
        self.table.setColumnCount(len(self.entries))
        self.table.setHorizontalHeaderLabels([e.label for e in self.entries])
        totals = [e.result.projection.total for e in self.entries
                  if e.result is not None and e.result.projection.ok]
        best = min(totals) if len(totals) > 1 else None
        for column, entry in enumerate(self.entries):
            for row, text in enumerate(entry_cells(entry)):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                if row == ROWS.index("Total") and best is not None and entry.result is not None \
                        and entry.result.projection.ok and entry.result.projection.total == best:
                    font = QFont(item.font())
                    font.setBold(True)
                    item.setFont(font)
                    item.setToolTip(text + " — the lowest total")
                self.table.setItem(row, column, item)
        self.table.resizeRowsToContents()
        self.remove_button.setEnabled(bool(self.entries))
        self.chart.show_entries(self.entries)

    def cell(self, row_name: str, column: int) -> str:
        item = self.table.item(ROWS.index(row_name), column)
        return item.text() if item is not None else ""

    def done(self, code: int) -> None:  # noqa: D401 (Qt override)
        self._jobs.shutdown()  # plans still computing are dropped with the dialog
        super().done(code)


def _kind(entry: CompareEntry) -> str:
    return f"entry-{id(entry)}"  # one job per column: columns never supersede each other


def _compare_job(job, scenario: Scenario, catalog, counter) -> PlanResult:
    """Worker: count the plan's prompts, then price it (no sensitivity bars: the table does not show them)."""
    tokens = count_scenario(scenario, catalog, counter)
    job.check()  # the column was removed (or the dialog closed) while counting
    return evaluate(scenario, catalog, tokens, with_sensitivity=False)


def _compare_chart_class():
    """Built on first use: pyqtgraph is imported only when a comparison is opened."""
    import pyqtgraph as pg

    from core.plan import add_months
    from gui.charts.base import ChartBase
    from gui.charts.style import MoneyAxis, money as fmt, month_label, swatch

    class CompareChart(ChartBase):
        """Monthly spend of every compared plan on one calendar axis, each with its budget (dashed)."""

        Y_LABEL = "Spend (USD / month)"
        X_LABEL = "Month"

        def __init__(self) -> None:
            super().__init__(left_axis=MoneyAxis("left"))
            self.setMinimumHeight(220)

        def _build(self) -> None:
            self.lines: dict[int, pg.PlotDataItem] = {}
            self.budgets: dict[int, pg.PlotDataItem] = {}
            self._drawn: list[tuple[str, list[int], list[float], object]] = []
            self._origin = None
            self._entries: list[CompareEntry] = []

        def show_entries(self, entries: list[CompareEntry]) -> None:
            self._entries = list(entries)
            if not any(e.result is not None and e.result.projection.ok for e in entries):
                self._message("No data: open scenario files to compare them with this one"
                              if not entries else "No data: no plan could be priced")
                return
            self._update()
            self._show_plot()

        def _item(self, pool: dict, key: int, **opts) -> pg.PlotDataItem:
            if key not in pool:
                pool[key] = pg.PlotDataItem(**opts)
                self.plot_item.addItem(pool[key])
            return pool[key]

        def _update(self) -> None:
            c = self.colors
            drawn = [e for e in self._entries if e.result is not None and e.result.projection.ok]
            origin = min(e.result.projection.months[0].month for e in drawn)
            self._origin, self._drawn, legend, live = origin, [], [], set()
            last, top = 0, 0.0
            caps = {e.scenario.workload.budget_per_month for e in drawn}
            shared = len(caps) == 1 and None not in caps  # one budget line instead of stacked copies
            for index, entry in enumerate(drawn):
                key = id(entry)
                live.add(key)
                months = entry.result.projection.months
                # one calendar axis: plans that start later are shifted right by whole months
                xs = [(m.month.year - origin.year) * 12 + m.month.month - origin.month for m in months]
                ys = [float(m.cost) for m in months]
                color = c.series_color(index)
                line = self._item(self.lines, key, symbol="o", symbolSize=5)
                line.setData(xs, ys)
                line.setPen(pg.mkPen(color, width=2.2))
                line.setSymbolBrush(color)
                line.setSymbolPen(pg.mkPen(color))
                budget = entry.scenario.workload.budget_per_month
                cap = self._item(self.budgets, key)
                if budget is None or shared:
                    cap.setData([], [])
                else:
                    cap.setData([xs[0] - 0.3, xs[-1] + 0.3], [float(budget)] * 2)
                    cap.setPen(pg.mkPen(color, width=1.2, style=Qt.PenStyle.DashLine))
                    top = max(top, float(budget))
                legend.append((line, entry.label))
                self._drawn.append((entry.label, xs, ys, color))
                last, top = max(last, xs[-1]), max(top, max(ys))
            common = self._item(self.budgets, -1)
            if shared:
                (budget,) = caps
                live.add(-1)
                common.setData([-0.75, last + 0.5], [float(budget)] * 2)
                common.setPen(pg.mkPen(c.budget, width=1.4, style=Qt.PenStyle.DashDotLine))
                legend.append((common, f"budget {fmt(budget, cents=False)}/month"))
                top = max(top, float(budget))
            for pool in (self.lines, self.budgets):
                for key in [k for k in pool if k not in live]:
                    self.plot_item.removeItem(pool.pop(key))
            self._set_view(-0.75, last + 0.5, 0.0, top * 1.1 if top > 0 else 1.0)
            self._set_x_categories(months=[add_months(origin, i) for i in range(last + 1)])
            self._legend_set(legend)

        def _hover_html(self, x: float, y: float) -> str | None:
            i = int(round(x))
            rows = [f"{swatch(color, label)}: {fmt(ys[xs.index(i)])}"
                    for label, xs, ys, color in self._drawn if i in xs]
            if not rows:
                return None
            return f"<b>{month_label(add_months(self._origin, i))}</b><br>" + "<br>".join(rows)

        def line_data(self) -> list[list[float]]:
            return [list(line.getData()[1]) for line in self.lines.values()]

    return CompareChart
