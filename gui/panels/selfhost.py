"""The self-hosting lever's box: open model, GPU, quantization, KV dtype, utilization, price, concurrency."""
from __future__ import annotations

from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import QComboBox, QLabel

from core.plan import Scenario, SelfHostLever
from gui.controller import ScenarioController
from gui.panels.levers import LeverBox, lever_tooltip, select_data
from gui.panels.widgets import PercentSlider, int_spin, set_quiet, spin


def _choices() -> dict[str, list[tuple[str, str]]]:
    """(id, label) lists from core's hardware, open-model and quantization tables."""
    from core.selfhost import KV_DTYPES, QUANT_SCHEMES
    from core.plan import tables

    models, accelerators = tables()
    return {
        "open_model": [(m.id, m.name) for m in models.values()],
        "accelerator": [(a.id, f"{a.name} (${a.usd_per_hour}/h)") for a in accelerators.values()],
        "weight_quant": [(q.id, q.name) for q in QUANT_SCHEMES.values()],
        "kv_dtype": [(k.id, k.name) for k in KV_DTYPES.values()],
    }


class SelfHostBox(LeverBox):
    """Self-hosting is priced beside the API plan (break-even chart), not folded into the waterfall."""

    def __init__(self, controller: ScenarioController) -> None:
        super().__init__("selfhost", lever_tooltip(SelfHostLever), controller)
        self.filled = False
        self.combos: dict[str, QComboBox] = {}
        for key, label, tip in (("open_model", "Open model", "Open-weight architecture to serve"),
                                ("accelerator", "GPU", "Accelerator and its default $/GPU-hour"),
                                ("weight_quant", "Weights", "Weight quantization (bits per weight incl. scales)"),
                                ("kv_dtype", "KV cache", "KV-cache element type: capacity vs kernel overhead")):
            box = QComboBox()
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            box.setMinimumContentsLength(10)
            box.setToolTip(tip)
            box.currentIndexChanged.connect(lambda _i, k=key, b=box: self.edit(**{k: b.currentData()}))
            self.combos[key] = box
            self.form.addRow(label, box)
        self.n_gpus = int_spin(0, 64, special="auto", tip="GPUs per replica; auto = the fewest the model fits on")
        self.n_gpus.valueChanged.connect(lambda v: self.edit(n_gpus=v or None))
        self.utilization = PercentSlider("Busy share of the rented GPU time")
        self.utilization.valueChanged.connect(lambda v: self.edit(utilization=v))
        self.price = spin(0, 1000, decimals=2, prefix="$", suffix=" /GPU-h", step=0.1, special="GPU default",
                          tip="Your $ per GPU-hour; 'GPU default' uses the accelerator's dated price")
        self.price.valueChanged.connect(lambda v: self.edit(usd_per_gpu_hour=v if v > 0 else None))
        self.concurrency = int_spin(1, 100_000, tip="Peak concurrent requests the deployment must hold")
        self.concurrency.valueChanged.connect(lambda v: self.edit(peak_concurrency=v))
        self.estimate = QLabel("")
        self.estimate.setWordWrap(True)
        self.form.addRow("GPUs", self.n_gpus)
        self.form.addRow("Utilization", self.utilization)
        self.form.addRow("Price", self.price)
        self.form.addRow("Peak conc.", self.concurrency)
        self.form.addRow(self.estimate)

        # Parsing the hardware tables costs ~0.25 s: filled after the first paint (or when needed).
        self.toggled.connect(lambda on: on and self.fill())

    def fill(self) -> None:
        if self.filled:
            return
        self.filled = True
        try:
            choices = _choices()
        except Exception as exc:  # a broken bundled table must not take the lever panel down
            choices = {}
            self.set_saving(f"hardware tables unavailable: {exc}", "bad")
        for key, box in self.combos.items():
            with QSignalBlocker(box):
                for value, text in choices.get(key, []):
                    box.addItem(text, value)
        self.show_scenario(self.controller.scenario)

    def show_scenario(self, s: Scenario) -> None:
        lever = s.levers.selfhost
        for key, box in self.combos.items():
            if self.filled:
                select_data(box, getattr(lever, key))
        set_quiet(self.n_gpus, lever.n_gpus or 0)
        self.utilization.setValue(lever.utilization)
        set_quiet(self.price, lever.usd_per_gpu_hour or 0)
        set_quiet(self.concurrency, lever.peak_concurrency)
        if not lever.enabled:
            self.set_saving("off — switch on to compare self-hosting with the API (Self-host chart)")

    def show_estimate(self, text: str, tone: str = "") -> None:
        """A one-line summary the controller computed (tokens/s, $/1M, break-even)."""
        self.set_saving(text, tone)
