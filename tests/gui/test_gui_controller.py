"""ScenarioController: debounce, off-thread counting with a cache, stale results, validation, undo."""
from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest
from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication

from core.base import Problem
from gui.controller import ScenarioController


class SlowCounter:
    """A fake tokenizer (4 characters a token) that records which thread counted what."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.calls: list[tuple[int, str]] = []
        self.threads: set[str] = set()

    def __call__(self, text: str, tokenizer: str):
        from core.tokens.counting import TokenCount

        self.calls.append((len(text), tokenizer))
        self.threads.add(threading.current_thread().name)
        time.sleep(self.delay)
        return TokenCount(len(text) // 4, True, tokenizer, None)


@pytest.fixture
def controller(qtbot, catalog, demo):
    c = ScenarioController(catalog, demo, counter=SlowCounter())
    with qtbot.waitSignal(c.result_ready, timeout=10_000):
        c.recompute_now()
    yield c
    c.shutdown()


def test_twenty_rapid_edits_deliver_exactly_one_result_on_the_main_thread(controller, qtbot):
    delivered = []
    controller.result_ready.connect(
        lambda r: delivered.append((r, QThread.currentThread() is QApplication.instance().thread())))
    base = controller.scenario.prompts[0].text
    for i in range(20):  # typing: each keystroke is an edit of the prompt text
        controller.update_prompt(0, text=base + " word" * (i + 1))
    qtbot.waitUntil(lambda: len(delivered) >= 1, timeout=10_000)
    qtbot.wait(400)  # longer than the debounce: a second result would have arrived by now
    assert len(delivered) == 1
    result, on_main = delivered[0]
    assert on_main
    assert result.scenario.prompts[0].text == base + " word" * 20  # the last edit, not a stale one
    assert all(name.startswith("token-count") for name in controller._count.threads)


def test_unchanged_prompts_are_not_recounted(controller, qtbot):
    counter = controller._count
    counter.calls.clear()
    with qtbot.waitSignal(controller.result_ready, timeout=10_000):
        controller.update_lever("batch", share=0.5)  # no text changed: pricing only, no counting
    assert counter.calls == []
    with qtbot.waitSignal(controller.result_ready, timeout=10_000):
        controller.update_prompt(1, text=controller.scenario.prompts[1].text + " (edited)")
    counted = {n for n, _tok in counter.calls}
    edited = len(controller.scenario.prompts[1].text)
    assert edited in counted  # the edited prompt (and the unchanged shared prefix) only
    assert all(n != len(controller.scenario.prompts[0].text) for n in counted)


def test_a_stale_count_is_dropped(qtbot, catalog, demo):
    c = ScenarioController(catalog, demo, counter=SlowCounter(delay=0.05))
    results = []
    c.result_ready.connect(results.append)
    c.recompute_now()
    c.update_prompt(0, text="short prompt")  # supersedes the first job while it is counting
    c.recompute_now()
    qtbot.waitUntil(lambda: bool(results), timeout=10_000)
    qtbot.wait(300)
    assert [r.scenario.prompts[0].text for r in results] == ["short prompt"]
    c.shutdown()


def test_sensitivity_follows_the_first_result(controller, qtbot):
    with qtbot.waitSignal(controller.sensitivity_ready, timeout=10_000) as blocker:
        controller.update_workload(growth_pct_per_month=5)
    assert blocker.args[0].sensitivity and blocker.args[0] is controller.result


@pytest.mark.parametrize("changes", [
    {"requests_per_day": float("nan")}, {"requests_per_day": float("inf")}, {"requests_per_day": -1},
    {"requests_per_day": 1e11}, {"growth_pct_per_month": -100}, {"horizon_months": 0},
    {"horizon_months": 37}, {"budget_per_month": -5}, {"budget_per_month": "abc"},
])
def test_invalid_workload_values_never_reach_the_engine(controller, qtbot, changes):
    before = controller.scenario
    with qtbot.waitSignal(controller.error_raised, timeout=1000):
        assert controller.update_workload(**changes) is False
    assert controller.scenario is before


def test_errors_keep_the_last_good_result(controller, qtbot):
    good = controller.result
    with qtbot.waitSignal(controller.error_raised, timeout=10_000) as blocker:
        controller.update_lever("distillation", enabled=True, student_model_id="gpt-5.4-nano",
                                training_tokens=1_000_000, training_cost=None)  # no fine-tuning price
    problem = blocker.args[0]
    assert isinstance(problem, Problem)  # one kind of error value, from the job runner
    assert "fine-tuning" in str(problem) or "price" in str(problem)
    assert controller.result.scenario is good.scenario  # (its sensitivity bars may have arrived since)


def test_unknown_model_is_an_error_not_zero_dollars(controller, qtbot):
    good = controller.result
    with qtbot.waitSignal(controller.error_raised, timeout=10_000) as blocker:
        controller.update(primary_model="no-such-model")
    assert "no-such-model" in str(blocker.args[0])
    assert controller.result.scenario is good.scenario


def test_undo_and_redo_restore_whole_scenarios(controller, qtbot):
    original = controller.scenario
    controller.update_workload(requests_per_day=9000)
    qtbot.wait(200)  # a new burst of edits
    controller.update_workload(requests_per_day=12000)
    controller.undo()
    assert controller.scenario.workload.requests_per_day == Decimal(9000)
    controller.undo()
    assert controller.scenario == original
    controller.redo()
    assert controller.scenario.workload.requests_per_day == Decimal(9000)


def test_prompt_names_stay_unique(controller):
    first = controller.scenario.prompts[0].name
    index = controller.duplicate_prompt(0)
    assert controller.scenario.prompts[index].name == f"{first} copy"
    assert controller.rename_prompt(index, first) == f"{first} (2)"


def test_a_prompt_added_while_counting_never_meets_the_old_table(qtbot, catalog, demo):
    """The count finishes after a prompt was added but before its debounced recompute: no KeyError."""
    gate = threading.Event()

    class GatedCounter(SlowCounter):
        def __call__(self, text, tokenizer):
            gate.wait(10)
            return super().__call__(text, tokenizer)

    c = ScenarioController(catalog, demo, counter=GatedCounter(), debounce_ms=400)
    errors, results = [], []
    c.error_raised.connect(errors.append)
    c.result_ready.connect(results.append)
    c.recompute_now()  # the demo's count starts and waits at the gate
    c.add_prompt("Added while counting", "a brand new prompt text")  # recompute is 400 ms away
    gate.set()  # the first count finishes now, with the three-prompt table
    qtbot.waitUntil(lambda: len(results) >= 2, timeout=10_000)
    assert errors == []
    assert len(results[0].scenario.prompts) == len(demo.prompts)  # the counted snapshot
    assert results[-1].scenario.prompts[-1].name == "Added while counting"
    c.shutdown()
