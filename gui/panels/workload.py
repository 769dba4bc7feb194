"""Workload & budget panel: traffic, growth, horizon, start month and the optional monthly cap."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

from PySide6.QtCore import QDate, QSignalBlocker
from PySide6.QtWidgets import (QCheckBox, QDateEdit, QFormLayout, QHBoxLayout, QPushButton, QWidget)

from core.base import MAX_GROWTH_PCT, MAX_HORIZON_MONTHS, MAX_REQUESTS_PER_DAY
from core.plan import Scenario
from gui.controller import ScenarioController
from gui.panels.widgets import int_spin, set_quiet, spin

MAX_BUDGET = 1e12
MAX_OUTPUT_TOKENS = 10_000_000


class WorkloadPanel(QWidget):
    """Widget ranges equal the engine's valid ranges, so no negative, NaN or absurd value gets through."""

    def __init__(self, controller: ScenarioController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        form = QFormLayout(self)
        form.setContentsMargins(6, 6, 6, 6)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)

        self.requests = spin(0, float(MAX_REQUESTS_PER_DAY), step=100,
                             tip="Requests per day in the first month, shared by the prompts' traffic shares")
        self.output = int_spin(0, MAX_OUTPUT_TOKENS, step=50,
                               tip="Expected output tokens per request, used for new prompts")
        self.apply_output = QPushButton("Apply to all")
        self.apply_output.setToolTip("Set every prompt's expected output tokens to this value")
        output_row = QHBoxLayout()
        output_row.setContentsMargins(0, 0, 0, 0)
        output_row.addWidget(self.output, 1)
        output_row.addWidget(self.apply_output)
        self.growth = spin(-99, float(MAX_GROWTH_PCT), decimals=1, suffix=" %/mo", step=1,
                           tip="Compound growth of traffic per month (negative: shrinking)")
        self.horizon = int_spin(1, MAX_HORIZON_MONTHS, suffix=" months",
                                tip=f"How many months to project (1–{MAX_HORIZON_MONTHS})")
        self.start = QDateEdit()
        self.start.setDisplayFormat("MMM yyyy")
        self.start.setDateRange(QDate(2000, 1, 1), QDate(2100, 12, 1))
        self.start.setToolTip("First month of the projection")
        self.has_cap = QCheckBox("Cap")
        self.cap = spin(0, MAX_BUDGET, prefix="$", suffix=" /month", step=100,
                        tip="Monthly budget: the spend chart draws it and the cards say when it is breached")
        cap_row = QHBoxLayout()
        cap_row.setContentsMargins(0, 0, 0, 0)
        cap_row.addWidget(self.has_cap)
        cap_row.addWidget(self.cap, 1)

        form.addRow("Requests/day", self.requests)
        form.addRow("Output tokens", output_row)
        form.addRow("Growth", self.growth)
        form.addRow("Horizon", self.horizon)
        form.addRow("Start month", self.start)
        form.addRow("Budget", cap_row)

        self.requests.valueChanged.connect(lambda v: controller.update_workload(requests_per_day=v))
        self.growth.valueChanged.connect(lambda v: controller.update_workload(growth_pct_per_month=v))
        self.horizon.valueChanged.connect(lambda v: controller.update_workload(horizon_months=v))
        self.start.dateChanged.connect(self._start_changed)
        self.has_cap.toggled.connect(self._cap_changed)
        self.cap.valueChanged.connect(self._cap_changed)
        self.apply_output.clicked.connect(self._apply_output)
        controller.scenario_changed.connect(self.show_scenario)
        controller.scenario_replaced.connect(self.show_scenario)
        self.show_scenario(controller.scenario)
        prompts = controller.scenario.prompts
        set_quiet(self.output, prompts[0].output_tokens if prompts else 300)

    def show_scenario(self, s: Scenario) -> None:
        w = s.workload
        set_quiet(self.requests, w.requests_per_day)
        set_quiet(self.growth, w.growth_pct_per_month)
        set_quiet(self.horizon, w.horizon_months)
        with QSignalBlocker(self.start):
            self.start.setDate(QDate(w.start_month.year, w.start_month.month, 1))
        set_quiet(self.has_cap, w.budget_per_month is not None)
        if w.budget_per_month is not None:
            set_quiet(self.cap, w.budget_per_month)
        self.cap.setEnabled(w.budget_per_month is not None)

    def _start_changed(self, qdate: QDate) -> None:
        self.controller.update_workload(start_month=date(qdate.year(), qdate.month(), 1))

    def _cap_changed(self, *_args) -> None:
        on = self.has_cap.isChecked()
        self.cap.setEnabled(on)
        self.controller.update_workload(budget_per_month=self.cap.value() if on else None)

    def _apply_output(self) -> None:
        value = self.output.value()
        prompts = tuple(replace(p, output_tokens=value) for p in self.controller.scenario.prompts)
        self.controller.update(prompts=prompts)

    def default_output_tokens(self) -> int:
        return self.output.value()
