"""A billed count recorded for a model calibrates its estimates in the counts shown and in the plan."""
from __future__ import annotations

from core.prices import calibration


def test_recorded_calibration_changes_counts_and_costs(window, qtbot):
    controller = window.controller
    before = controller.result.projection.total
    prompt = controller.scenario.prompts[0]
    model = controller.catalog.get(controller.scenario.primary_model)
    estimate = controller.counts[(prompt.name, model.tokenizer)].tokens
    calibration.record(model.id, estimate, int(estimate * 1.2))
    with qtbot.waitSignal(controller.result_ready, timeout=20_000):
        controller.reload_calibration()
    window.prompts._show_counts()
    assert "(calibrated)" in window.prompts.counts.text()
    assert controller.result.projection.total > before
    calibration.reset(model.id)
    with qtbot.waitSignal(controller.result_ready, timeout=20_000):
        controller.reload_calibration()
    assert controller.result.projection.total == before
