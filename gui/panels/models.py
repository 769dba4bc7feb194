"""Models panel: searchable, sortable catalog table; pick the primary model and comparison models."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from PySide6.QtCore import (QAbstractTableModel, QModelIndex, QSignalBlocker, QSortFilterProxyModel, Qt)
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QLabel,
                               QLineEdit, QTableView, QVBoxLayout, QWidget)

from core.base import per_mtok
from core.prices import Catalog, Model, STALE_DAYS
from core.plan import Scenario
from gui import theme
from gui.controller import ScenarioController

SORT_ROLE = Qt.ItemDataRole.UserRole
ID_ROLE = Qt.ItemDataRole.UserRole + 1
# Short headers: the column is narrow; the tooltips carry the units.
COLUMNS = ("", "Model", "In", "Out", "Cached", "Age", "Context", "Provider")
TIPS = ("Compare: also project the plan on this model (the primary model is always in)",
        "★ = primary model; double-click a row to make it the primary model; ✎ = your price override",
        "Input price, $ per 1M tokens", "Output price, $ per 1M tokens",
        "Cached-input (cache read) price, $ per 1M tokens",
        f"Days since the price was checked (highlighted over {STALE_DAYS})", "Context window in tokens",
        "Provider")
COL_COMPARE, COL_MODEL, COL_IN, COL_OUT, COL_CACHED, COL_AGE, COL_CONTEXT, COL_PROVIDER = range(8)


def _price(value: Decimal | None) -> str:
    return "—" if value is None else per_mtok(value)  # $/1M as the provider publishes it (core.base)


def _sort_price(value: Decimal | None) -> float:
    return float("inf") if value is None else float(value)  # "no price" sorts last, never as $0


def _context(tokens: int | None) -> str:
    if tokens is None:
        return "—"
    return f"{tokens / 1_000_000:g}M" if tokens >= 1_000_000 else f"{tokens // 1000}k"


class CatalogTableModel(QAbstractTableModel):
    """One row per catalog model; check state in column 0 = comparison model."""

    def __init__(self, catalog: Catalog, parent=None) -> None:
        super().__init__(parent)
        self._models: list[Model] = list(catalog)
        self._today = date.today()
        self.primary = ""
        self.compare: set[str] = set()
        self.on_compare = None  # callback(model_id, checked), set by the panel

    def set_catalog(self, catalog: Catalog) -> None:
        self.beginResetModel()
        self._models = list(catalog)
        self.endResetModel()

    def set_selection(self, primary: str, compare: set[str]) -> None:
        if primary == self.primary and compare == self.compare:
            return
        self.primary, self.compare = primary, set(compare)
        if self._models:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._models) - 1, len(COLUMNS) - 1))

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._models)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return TIPS[section]
        return None

    def flags(self, index):
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == COL_COMPARE:
            base |= Qt.ItemFlag.ItemIsUserCheckable
        return base

    def model_at(self, row: int) -> Model:
        return self._models[row]

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        m = self._models[index.row()]
        col = index.column()
        rates = m.rates_on(self._today)
        age = m.price_age_days(self._today)
        if role == ID_ROLE:
            return m.id
        if role == Qt.ItemDataRole.CheckStateRole and col == COL_COMPARE:
            if m.id == self.primary:
                return Qt.CheckState.PartiallyChecked
            return Qt.CheckState.Checked if m.id in self.compare else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.DisplayRole:
            if col == COL_MODEL:
                return ("★ " if m.id == self.primary else "") + m.id + ("  ✎user" if m.origin == "user" else "")
            return {COL_IN: _price(rates.input_per_mtok), COL_CACHED: _price(rates.cached_input_per_mtok),
                    COL_OUT: _price(rates.output_per_mtok), COL_CONTEXT: _context(m.context_window),
                    COL_AGE: f"{age} d", COL_PROVIDER: m.provider}.get(col)
        if role == SORT_ROLE:  # plain str/float: QVariant cannot order Decimals or tuples
            rank = 0 if m.id == self.primary else 1 if m.id in self.compare else 2
            return {COL_COMPARE: f"{rank}{m.id}", COL_MODEL: m.id, COL_PROVIDER: m.provider,
                    COL_IN: _sort_price(rates.input_per_mtok), COL_CACHED: _sort_price(rates.cached_input_per_mtok),
                    COL_OUT: _sort_price(rates.output_per_mtok), COL_CONTEXT: float(m.context_window or 0),
                    COL_AGE: float(age)}[col]
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (COL_IN, COL_CACHED, COL_OUT, COL_CONTEXT,
                                                                    COL_AGE):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.FontRole and m.id == self.primary:
            font = QFont()
            font.setBold(True)
            return font
        if age > STALE_DAYS and col == COL_AGE:
            if role == Qt.ItemDataRole.BackgroundRole:
                return theme.colors().warning_bg
            if role == Qt.ItemDataRole.ForegroundRole:
                return theme.colors().warning_text
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [f"{m.name} ({m.provider}) — tokenizer {m.tokenizer}"
                     + ("" if m.exact_tokens else " (estimated counts)"),
                     f"price checked {m.checked.isoformat()} ({age} days ago)"
                     + (f" — older than {STALE_DAYS} days: re-check it" if age > STALE_DAYS else ""),
                     f"source: {m.source}"]
            if m.origin == "user":
                lines.append("from your override file (user price)")
            return "\n".join(lines)
        return None

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if role != Qt.ItemDataRole.CheckStateRole or index.column() != COL_COMPARE:
            return False
        model_id = self._models[index.row()].id
        if model_id == self.primary:
            return False  # the primary model is always in the plan
        checked = Qt.CheckState(value) == Qt.CheckState.Checked
        if self.on_compare is not None:
            self.on_compare(model_id, checked)
        return True


class ModelFilter(QSortFilterProxyModel):
    """Search text (id, name, provider) and a provider filter."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.text = ""
        self.provider = ""
        self.setSortRole(SORT_ROLE)

    def set_text(self, text: str) -> None:
        self._refilter(lambda: setattr(self, "text", text.strip().lower()))

    def set_provider(self, provider: str) -> None:
        self._refilter(lambda: setattr(self, "provider", provider))

    def _refilter(self, change) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt ≥ 6.10; invalidateRowsFilter() is deprecated there
            self.beginFilterChange()
            change()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            change()
            self.invalidateRowsFilter()

    def filterAcceptsRow(self, row: int, parent) -> bool:  # noqa: N802
        m = self.sourceModel().model_at(row)
        if self.provider and m.provider != self.provider:
            return False
        if not self.text:
            return True
        haystack = f"{m.id} {m.name} {m.provider}".lower()
        return all(word in haystack for word in self.text.split())


class ModelsPanel(QWidget):
    def __init__(self, controller: ScenarioController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        top = QHBoxLayout()
        self.primary = QComboBox()
        self.primary.setToolTip("The model the plan is priced on (double-click a row to change it)")
        self.primary.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.primary.setMinimumContentsLength(14)
        top.addWidget(QLabel("Primary"))
        top.addWidget(self.primary, 1)
        layout.addLayout(top)
        row = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search models (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.provider = QComboBox()
        self.provider.setToolTip("Show one provider only")
        row.addWidget(self.search, 1)
        row.addWidget(self.provider)
        layout.addLayout(row)

        self.model = CatalogTableModel(controller.catalog, self)
        self.model.on_compare = controller.set_comparison
        self.proxy = ModelFilter(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(COL_COMPARE, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        header = self.table.horizontalHeader()
        # Widths from the font, not ResizeToContents: that asks every cell for its size (~0.3 s).
        fm = self.fontMetrics()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for col, sample in ((COL_COMPARE, "MM"), (COL_MODEL, "★ gemini-3.1-pro"), (COL_IN, "10.00"),
                            (COL_OUT, "180.0"), (COL_CACHED, "Cached"), (COL_AGE, "999 d"),
                            (COL_CONTEXT, "Context"), (COL_PROVIDER, "anthropic")):
            header.resizeSection(col, fm.horizontalAdvance(sample) + 14)
        header.setStretchLastSection(True)
        layout.addWidget(self.table, 1)

        self.search.textChanged.connect(self.proxy.set_text)
        self.provider.currentIndexChanged.connect(
            lambda _i: self.proxy.set_provider(self.provider.currentData() or ""))
        self.primary.activated.connect(lambda _i: controller.set_primary(self.primary.currentData()))
        self.table.doubleClicked.connect(self._double_clicked)
        controller.scenario_changed.connect(self.show_scenario)
        controller.scenario_replaced.connect(self.show_scenario)
        self.set_catalog(controller.catalog)

    def set_catalog(self, catalog: Catalog) -> None:
        self.model.set_catalog(catalog)
        with QSignalBlocker(self.provider):
            self.provider.clear()
            self.provider.addItem("All providers", "")
            for p in catalog.providers():
                self.provider.addItem(p, p)
        with QSignalBlocker(self.primary):
            self.primary.clear()
            for m in catalog:
                self.primary.addItem(m.id + (" (user)" if m.origin == "user" else ""), m.id)
        self.show_scenario(self.controller.scenario)

    def show_scenario(self, s: Scenario) -> None:
        self.model.set_selection(s.primary_model, set(s.comparison_models))
        with QSignalBlocker(self.primary):
            index = self.primary.findData(s.primary_model)
            if index < 0:  # unknown to the catalog: show it anyway so the error has a face
                self.primary.addItem(f"{s.primary_model} (unknown)", s.primary_model)
                index = self.primary.count() - 1
            self.primary.setCurrentIndex(index)

    def _double_clicked(self, index) -> None:
        if index.column() != COL_COMPARE:
            self.controller.set_primary(self.proxy.data(index, ID_ROLE))

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()
