"""Levers panel: each optimization's switch and parameters, its formula in the tooltip, its saving beside it."""
from __future__ import annotations


from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel,
                               QRadioButton, QScrollArea, QVBoxLayout, QWidget)

from core.prices import Catalog
from core.plan import (
    BatchLever, CachingLever, DistillationLever, LEVER_TITLES, OutputTrimLever, PlanResult, RoutingLever,
    Scenario, lever_lines)
from gui import theme
from gui.controller import ScenarioController
from gui.panels.widgets import PercentSlider, WheelOnlyWhenFocused, int_spin, set_quiet, spin

LEVER_CLASSES = {"caching": CachingLever, "batch": BatchLever, "routing": RoutingLever,
                 "distillation": DistillationLever, "output_trim": OutputTrimLever}


def lever_tooltip(cls) -> str:
    return f"<b>Formula</b><br>{cls.formula}<br><br><b>Source</b><br>{cls.source}"


def model_combo(catalog: Catalog, tip: str) -> QComboBox:
    box = QComboBox()
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    box.setMinimumContentsLength(10)
    box.setToolTip(tip)
    fill_models(box, catalog)
    return box


def fill_models(box: QComboBox, catalog: Catalog) -> None:
    with QSignalBlocker(box):
        current = box.currentData()
        box.clear()
        for m in catalog:
            rates = m.rates_on()
            box.addItem(m.id, m.id)
            box.setItemData(box.count() - 1, f"{m.name}: ${rates.input_per_mtok} in / "
                            f"${rates.output_per_mtok} out per 1M", Qt.ItemDataRole.ToolTipRole)
        if current is not None:
            box.setCurrentIndex(max(0, box.findData(current)))


def enable_in(box: QGroupBox, widget: QWidget, on: bool) -> None:
    """Enable a parameter only as far as its lever's switch allows (mirrors QGroupBox's own rule)."""
    widget.setEnabled(on)
    if on and box.isCheckable() and not box.isChecked():
        widget.setEnabled(False)
        widget.setAttribute(Qt.WidgetAttribute.WA_ForceDisabled, False)  # re-enabled with the switch


def select_data(box: QComboBox, value: str) -> None:
    with QSignalBlocker(box):
        index = box.findData(value)
        if index < 0 and value:
            box.addItem(f"{value} (unknown)", value)
            index = box.count() - 1
        box.setCurrentIndex(index)


class LeverBox(QGroupBox):
    """A checkable group: the switch is the title; the saving line leads the parameters."""

    def __init__(self, name: str, tip: str, controller: ScenarioController) -> None:
        super().__init__(LEVER_TITLES[name])
        self.name = name
        self.controller = controller
        self.setCheckable(True)
        self.setToolTip(tip)
        self.form = QFormLayout(self)
        self.form.setContentsMargins(8, 4, 8, 6)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.saving = QLabel("")
        self.saving.setWordWrap(True)
        self.form.addRow(self.saving)
        self.toggled.connect(lambda on: controller.update_lever(name, enabled=on))

    def edit(self, **changes) -> None:
        self.controller.update_lever(self.name, **changes)

    def set_saving(self, text: str, tone: str = "") -> None:
        c = theme.colors()
        color = {"good": c.good, "bad": c.bad}.get(tone, c.muted)
        self.saving.setStyleSheet(f"color: {color.name()};")
        self.saving.setText(text)


class LeversPanel(QScrollArea):
    def __init__(self, controller: ScenarioController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.setWidgetResizable(True)
        inner = QWidget()
        self.column = QVBoxLayout(inner)
        self.column.setContentsMargins(4, 4, 4, 4)
        self.boxes: dict[str, LeverBox] = {}
        catalog = controller.catalog
        self._caching()
        self._batch()
        self._routing(catalog)
        self._distillation(catalog)
        self._trim()
        from gui.panels.selfhost import SelfHostBox  # own module: the combos need core/hardware data

        self.selfhost = SelfHostBox(controller)
        self.boxes["selfhost"] = self.selfhost
        self.column.addWidget(self.selfhost)
        self.column.addStretch(1)
        self.setWidget(inner)
        self.wheel_guard = WheelOnlyWhenFocused(self)
        self.wheel_guard.guard(inner)
        controller.scenario_changed.connect(self.show_scenario)
        controller.scenario_replaced.connect(self.show_scenario)
        controller.result_ready.connect(self.show_result)
        self.show_scenario(controller.scenario)

    def set_catalog(self, catalog: Catalog) -> None:
        fill_models(self.route_model, catalog)
        fill_models(self.student, catalog)
        self.show_scenario(self.controller.scenario)

    def _box(self, name: str) -> LeverBox:
        box = LeverBox(name, lever_tooltip(LEVER_CLASSES[name]), self.controller)
        self.boxes[name] = box
        self.column.addWidget(box)
        return box

    def _caching(self) -> None:
        box = self._box("caching")
        self.hit_rate = PercentSlider("Share of requests that find the prefix in the cache")
        self.hit_rate.valueChanged.connect(lambda v: box.edit(hit_rate=v))
        self.ttl = QComboBox()
        self.ttl.addItem("5 minutes", "5m")
        self.ttl.addItem("1 hour", "1h")
        self.ttl.setToolTip("Cache lifetime: a 1-hour write costs more (Anthropic 2× vs 1.25×)")
        self.ttl.currentIndexChanged.connect(lambda _i: box.edit(ttl=self.ttl.currentData()))
        self.prefix_auto = QRadioButton("auto")
        self.prefix_auto.setToolTip("Cache the prompts' common token prefix (computed from the pasted text)")
        self.prefix_manual = QRadioButton("manual")
        self.prefix_share = PercentSlider("Cacheable share of each prompt, set by hand")
        self.prefix_auto.toggled.connect(self._prefix_mode)
        self.prefix_share.valueChanged.connect(lambda v: box.edit(prefix_share=v))
        modes = QHBoxLayout()
        modes.addWidget(self.prefix_auto)
        modes.addWidget(self.prefix_manual)
        modes.addStretch(1)
        self.prefix_info = QLabel("shared prefix: …")
        self.prefix_info.setWordWrap(True)
        self.prefix_info.setToolTip("The text every prompt starts with, counted on the primary model's tokenizer")
        box.form.addRow("Hit rate", self.hit_rate)
        box.form.addRow("TTL", self.ttl)
        box.form.addRow("Prefix", modes)
        box.form.addRow("", self.prefix_share)
        box.form.addRow(self.prefix_info)

    def _prefix_mode(self, auto: bool) -> None:
        enable_in(self.boxes["caching"], self.prefix_share, not auto)
        self.boxes["caching"].edit(prefix_share=None if auto else self.prefix_share.value())

    def _batch(self) -> None:
        box = self._box("batch")
        self.batch_share = PercentSlider("Share of traffic that can wait for the batch API (≤ 24 h)")
        self.batch_share.valueChanged.connect(lambda v: box.edit(share=v))
        box.form.addRow("Share", self.batch_share)

    def _routing(self, catalog: Catalog) -> None:
        box = self._box("routing")
        self.route_model = model_combo(catalog, "The small model that answers the routed share")
        self.route_model.currentIndexChanged.connect(lambda _i: box.edit(model_id=self.route_model.currentData()))
        self.route_share = PercentSlider("Share of requests sent to the small model")
        self.route_share.valueChanged.connect(lambda v: box.edit(share=v))
        self.cascade = QCheckBox("cascade (escalate failures)")
        self.cascade.setToolTip("Escalated requests are paid twice: small model, then the primary model")
        self.cascade.toggled.connect(lambda on: box.edit(cascade=on))
        self.escalation = PercentSlider("Share of routed requests escalated to the primary model")
        self.escalation.valueChanged.connect(lambda v: box.edit(escalation_rate=v))
        box.form.addRow("Small model", self.route_model)
        box.form.addRow("Share", self.route_share)
        box.form.addRow(self.cascade)
        box.form.addRow("Escalation", self.escalation)

    def _distillation(self, catalog: Catalog) -> None:
        box = self._box("distillation")
        self.student = model_combo(catalog, "The fine-tuned student model")
        self.student.currentIndexChanged.connect(lambda _i: box.edit(student_model_id=self.student.currentData()))
        self.student_share = PercentSlider("Share of requests the student answers")
        self.student_share.valueChanged.connect(lambda v: box.edit(share=v))
        self.train_by_tokens = QRadioButton("tokens")
        self.train_by_cost = QRadioButton("$")
        self.train_tokens = int_spin(0, 2_000_000_000, step=1_000_000,
                                     tip="Training tokens × the student's fine-tuning price")
        self.train_cost = spin(0, 1e9, prefix="$", step=100, tip="One-time training cost in dollars")
        self.train_by_tokens.toggled.connect(self._training_mode)
        self.train_tokens.valueChanged.connect(lambda v: box.edit(training_tokens=v))
        self.train_cost.valueChanged.connect(lambda v: box.edit(training_cost=v))
        modes = QHBoxLayout()
        modes.addWidget(self.train_by_tokens)
        modes.addWidget(self.train_tokens, 1)
        cost_row = QHBoxLayout()
        cost_row.addWidget(self.train_by_cost)
        cost_row.addWidget(self.train_cost, 1)
        box.form.addRow("Student", self.student)
        box.form.addRow("Share", self.student_share)
        box.form.addRow("Training", modes)
        box.form.addRow("", cost_row)

    def _training_mode(self, by_tokens: bool) -> None:
        enable_in(self.boxes["distillation"], self.train_tokens, by_tokens)
        enable_in(self.boxes["distillation"], self.train_cost, not by_tokens)
        self.boxes["distillation"].edit(training_cost=None if by_tokens else self.train_cost.value())

    def _trim(self) -> None:
        box = self._box("output_trim")
        self.has_cap = QCheckBox("cap")
        self.cap = int_spin(1, 1_000_000, suffix=" tokens", step=50, tip="max_tokens: longer answers are cut")
        self.cut = spin(0, 100, decimals=0, suffix=" %", tip="Shorter answers by instruction: expected cut")
        self.has_cap.toggled.connect(self._cap_toggled)
        self.cap.valueChanged.connect(lambda v: box.edit(cap_tokens=v))
        self.cut.valueChanged.connect(lambda v: box.edit(reduce_pct=v))
        row = QHBoxLayout()
        row.addWidget(self.has_cap)
        row.addWidget(self.cap, 1)
        box.form.addRow("Max output", row)
        box.form.addRow("Cut", self.cut)

    def _cap_toggled(self, on: bool) -> None:
        enable_in(self.boxes["output_trim"], self.cap, on)
        self.boxes["output_trim"].edit(cap_tokens=self.cap.value() if on else None)

    # --- model → widgets ----------------------------------------------------------------------

    def show_scenario(self, s: Scenario) -> None:
        lv = s.levers
        for name, box in self.boxes.items():
            set_quiet(box, getattr(lv, name).enabled)
        c = lv.caching
        self.hit_rate.setValue(c.hit_rate)
        with QSignalBlocker(self.ttl):
            self.ttl.setCurrentIndex(max(0, self.ttl.findData(c.ttl)))
        set_quiet(self.prefix_auto, c.prefix_share is None)
        set_quiet(self.prefix_manual, c.prefix_share is not None)
        enable_in(self.boxes["caching"], self.prefix_share, c.prefix_share is not None)
        if c.prefix_share is not None:
            self.prefix_share.setValue(c.prefix_share)
        self.batch_share.setValue(lv.batch.share)
        r = lv.routing
        select_data(self.route_model, r.model_id)
        self.route_share.setValue(r.share)
        set_quiet(self.cascade, r.cascade)
        self.escalation.setValue(r.escalation_rate)
        enable_in(self.boxes["routing"], self.escalation, r.cascade)
        d = lv.distillation
        select_data(self.student, d.student_model_id)
        self.student_share.setValue(d.share)
        set_quiet(self.train_by_tokens, d.training_cost is None)
        set_quiet(self.train_by_cost, d.training_cost is not None)
        set_quiet(self.train_tokens, d.training_tokens)
        enable_in(self.boxes["distillation"], self.train_tokens, d.training_cost is None)
        enable_in(self.boxes["distillation"], self.train_cost, d.training_cost is not None)
        if d.training_cost is not None:
            set_quiet(self.train_cost, d.training_cost)
        t = lv.output_trim
        set_quiet(self.has_cap, t.cap_tokens is not None)
        enable_in(self.boxes["output_trim"], self.cap, t.cap_tokens is not None)
        if t.cap_tokens is not None:
            set_quiet(self.cap, t.cap_tokens)
        set_quiet(self.cut, t.reduce_pct)
        self.selfhost.show_scenario(s)

    def show_result(self, result: PlanResult) -> None:
        lines = lever_lines(result)  # the same saving text the CLI and the HTML report print
        for name in LEVER_CLASSES:
            box = self.boxes[name]
            if name in lines:
                box.set_saving(*lines[name])
            else:
                box.set_saving("off — switch on to see its saving" if not box.isChecked() else "")
        self._prefix(result)

    def _prefix(self, result: PlanResult) -> None:
        model = self.controller.catalog.get(result.scenario.primary_model)
        tokens = result.tokens
        if model is None:
            return
        prefix = tokens.prefix_tokens.get(model.tokenizer, 0)
        per_prompt = [tokens.prompt_tokens.get((p.name, model.tokenizer), 0) for p in result.scenario.prompts]
        per_prompt = [n for n in per_prompt if n > 0]
        if not prefix or not per_prompt:
            self.prefix_info.setText("shared prefix: none (the prompts start differently)")
            return
        low, high = min(prefix / n for n in per_prompt), max(min(prefix / n, 1) for n in per_prompt)
        share = f"{low:.0%}" if abs(high - low) < 0.005 else f"{low:.0%}–{high:.0%}"
        approx = "" if model.exact_tokens else "≈ "
        self.prefix_info.setText(f"shared prefix: {approx}{prefix:,} tokens = {share} of each prompt "
                                 f"({model.tokenizer})")
