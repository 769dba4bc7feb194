"""The job runner: results on the UI thread, stale results dropped, cancel, progress, errors as Problems; the plan never computed on the UI thread."""
from __future__ import annotations

import threading

import pytest

from core.base import Problem
from gui.jobs import Cancelled, JobRunner


@pytest.fixture
def runner(qtbot):
    r = JobRunner(name="test-jobs")
    yield r
    r.shutdown()


def settle(runner, qtbot):
    qtbot.waitUntil(lambda: runner.idle, timeout=5_000)


def test_results_arrive_on_the_ui_thread_and_work_runs_on_a_worker(runner, qtbot):
    ran_on, delivered_on, values = [], [], []

    def work(job, a, b):
        ran_on.append(threading.current_thread())
        return a + b

    runner.submit("add", work, 2, 3, on_done=lambda v: (values.append(v), delivered_on.append(threading.current_thread())))
    settle(runner, qtbot)
    assert values == [5]
    assert ran_on[0] is not threading.main_thread() and ran_on[0].name.startswith("test-jobs")
    assert delivered_on == [threading.main_thread()]


def test_lanes_are_separate_threads(runner, qtbot):
    names = []
    for lane in ("one", "two"):
        runner.submit(lane, lambda job: names.append(threading.current_thread().name), lane=lane)
    settle(runner, qtbot)
    assert sorted(n.split("_")[0] for n in names) == ["one", "two"]


def test_an_older_job_of_the_same_kind_is_stale_and_dropped(runner, qtbot):
    gate, delivered = threading.Event(), []

    def slow(job, label):
        gate.wait(5)
        return label

    first = runner.submit("plan", slow, "old", on_done=delivered.append, lane="a")
    runner.submit("plan", lambda job, label: label, "new", on_done=delivered.append, lane="b")
    assert first.cancelled  # superseded at once, though still running
    qtbot.waitUntil(lambda: delivered == ["new"], timeout=5_000)
    gate.set()  # the old job finishes now, after the new one: its result would show the past
    settle(runner, qtbot)
    assert delivered == ["new"]


def test_independent_jobs_of_one_kind_can_both_be_kept(runner, qtbot):
    delivered = []
    for label in ("a", "b"):
        runner.submit("column", lambda job, x: x, label, on_done=delivered.append, supersede=False)
    settle(runner, qtbot)
    assert delivered == ["a", "b"]


def test_cancel_stops_a_running_job_at_its_next_check_and_a_queued_one_never_starts(runner, qtbot):
    started, steps, delivered, problems = threading.Event(), [], [], []

    def loop(job):
        started.set()
        for i in range(10_000):
            job.check()
            steps.append(i)
            threading.Event().wait(0.001)
        return "finished"

    queued_ran = []
    runner.submit("count", loop, on_done=delivered.append, on_problem=problems.append)
    runner.submit("later", lambda job: queued_ran.append(True), on_done=delivered.append)  # same lane, queued
    assert started.wait(5)
    runner.cancel("count", "later")
    settle(runner, qtbot)
    assert delivered == [] and problems == [] and queued_ran == []
    assert len(steps) < 10_000  # it stopped early instead of running to the end


def test_cancelled_is_what_a_job_raises_to_stop(runner, qtbot):
    delivered, problems = [], []

    def gives_up(job):
        raise Cancelled

    runner.submit("x", gives_up, on_done=delivered.append, on_problem=problems.append)
    settle(runner, qtbot)
    assert delivered == [] and problems == []  # a stop is not an error


def test_progress_is_reported_on_the_ui_thread(runner, qtbot):
    seen, threads = [], []
    gate = threading.Event()

    def work(job):
        for done in range(1, 4):
            job.report(done, 3)
            threading.Event().wait(0.05)  # long enough for the UI thread's poll to see each value
        gate.wait(5)
        return "ok"

    def progress(done, total):
        seen.append((done, total))
        threads.append(threading.current_thread())

    runner.submit("count", work, on_progress=progress)
    qtbot.waitUntil(lambda: (3, 3) in seen, timeout=5_000)
    gate.set()
    settle(runner, qtbot)
    assert seen == sorted(set(seen)) and seen[-1] == (3, 3)  # in order, each value once
    assert set(threads) == {threading.main_thread()}


def test_an_exception_becomes_a_reported_problem(runner, qtbot):
    problems, delivered = [], []
    runner.submit("read", lambda job: int("twelve"), on_done=delivered.append, on_problem=problems.append,
                  context="Cannot use prices.json")
    settle(runner, qtbot)
    assert delivered == []
    (problem,) = problems
    assert isinstance(problem, Problem) and problem.severity == "error"
    assert problem.message.startswith("Cannot use prices.json: invalid literal for int()")


def test_a_returned_problem_is_reported_the_same_way(runner, qtbot):
    problems, delivered = [], []
    wanted = Problem("models.yaml", 7, "gpt-5.prices.input", "must not be negative")
    runner.submit("read", lambda job: wanted, on_done=delivered.append, on_problem=problems.append)
    settle(runner, qtbot)
    assert problems == [wanted] and delivered == []


def test_a_broken_callback_does_not_stop_the_next_delivery(runner, qtbot):
    delivered = []

    def broken(_value):
        raise RuntimeError("bug in a slot")

    with qtbot.capture_exceptions() as raised:
        runner.submit("a", lambda job: 1, on_done=broken, supersede=False)
        runner.submit("b", lambda job: 2, on_done=delivered.append)
        settle(runner, qtbot)
    assert delivered == [2]
    assert len(raised) == 1 and "bug in a slot" in str(raised[0][1])


def test_a_held_back_job_is_pending_and_can_be_cancelled_before_it_starts(runner, qtbot):
    ran, delivered = [], []
    runner.submit("follow-up", lambda job: ran.append(True), delay_ms=200, on_done=delivered.append)
    assert not runner.idle
    runner.cancel("follow-up")
    assert runner.idle
    qtbot.wait(300)
    assert ran == [] and delivered == []
    runner.submit("follow-up", lambda job: "late", delay_ms=20, on_done=delivered.append)
    settle(runner, qtbot)
    assert delivered == ["late"]


def test_finish_waits_and_delivers_at_once(runner):
    delivered = []
    runner.submit("write", lambda job: threading.Event().wait(0.05) or "written", on_done=delivered.append)
    runner.finish("write")  # no event loop needed: the UI thread waits for this short job
    assert delivered == ["written"] and runner.idle


def test_nothing_is_delivered_after_shutdown(qtbot):
    runner = JobRunner(name="closing")
    gate, delivered = threading.Event(), []
    runner.submit("x", lambda job: gate.wait(5) and "late", on_done=delivered.append)
    runner.shutdown()
    gate.set()
    qtbot.wait(100)
    assert delivered == [] and runner.idle
    with pytest.raises(RuntimeError):
        runner.submit("x", lambda job: None)


# --- the controller's plan never computed on the UI thread --------------------------------------


@pytest.fixture
def engine_threads(monkeypatch):
    """Threads that ran evaluate(), sensitivity() and the self-host comparison from now on."""
    import core.plan
    import gui.controller as controller_module

    seen: dict[str, list[threading.Thread]] = {"evaluate": [], "sensitivity": [], "selfhost": []}

    def recording(name, real):
        def wrapped(*args, **kwargs):
            seen[name].append(threading.current_thread())
            return real(*args, **kwargs)
        return wrapped

    monkeypatch.setattr(controller_module, "evaluate", recording("evaluate", controller_module.evaluate))
    monkeypatch.setattr(core.plan, "sensitivity", recording("sensitivity", core.plan.sensitivity))
    monkeypatch.setattr(core.plan, "selfhost_comparison",
                        recording("selfhost", core.plan.selfhost_comparison))
    return seen


def _published(window, qtbot, check) -> None:
    c = window.controller
    qtbot.waitUntil(lambda: c.idle and c.result is not None and c.result.scenario is c.scenario
                    and check(c.result), timeout=20_000)


def test_a_lever_toggle_is_priced_off_the_ui_thread(window, qtbot, engine_threads):
    box = window.levers.boxes["batch"]
    wanted = not box.isChecked()
    box.setChecked(wanted)  # what a click on the group box title does
    _published(window, qtbot, lambda r: r.scenario.levers.batch.enabled == wanted and bool(r.sensitivity))
    assert engine_threads["evaluate"] and engine_threads["sensitivity"]
    ran_on = {t for threads in engine_threads.values() for t in threads}
    assert threading.main_thread() not in ran_on
    assert window.cards.isVisible() and window.charts.result.scenario is window.controller.scenario


def test_a_workload_edit_is_priced_off_the_ui_thread_and_shown_everywhere(window, qtbot, engine_threads):
    c = window.controller
    window.workload.requests.setValue(float(c.scenario.workload.requests_per_day) + 1234)
    wanted = c.scenario.workload.requests_per_day
    _published(window, qtbot, lambda r: r.scenario.workload.requests_per_day == wanted and bool(r.sensitivity))
    ran_on = {t for threads in engine_threads.values() for t in threads}
    assert engine_threads["evaluate"] and threading.main_thread() not in ran_on
    # the numbers on screen are the new plan's: the visible chart is drawn on the next turn
    qtbot.waitUntil(lambda: "Spend" not in window.charts.pending, timeout=2_000)
    assert window.charts.result.scenario is c.scenario and window.charts.currentWidget() is window.charts.spend
    line = window.charts.spend.series()[f"{c.scenario.primary_model} (with levers)"]
    assert line.getData()[1][0] == pytest.approx(float(c.result.projection.months[0].cost))


def test_an_edit_while_a_plan_is_priced_drops_the_older_plan(qtbot, catalog, demo, monkeypatch):
    """A slow evaluate() of the first edit finishes after the second edit's: only the second is published."""
    import gui.controller as controller_module
    from gui.controller import ScenarioController

    gate = threading.Event()
    real = controller_module.evaluate

    def slow_for_the_first(scenario, *args, **kwargs):
        if scenario.workload.requests_per_day == 1111:
            gate.wait(5)
        return real(scenario, *args, **kwargs)

    c = ScenarioController(catalog, demo, debounce_ms=10)
    with qtbot.waitSignal(c.result_ready, timeout=20_000):
        c.recompute_now()
    published = []
    c.result_ready.connect(lambda r: published.append(int(r.scenario.workload.requests_per_day)))
    monkeypatch.setattr(controller_module, "evaluate", slow_for_the_first)
    c.update_workload(requests_per_day=1111)
    c.recompute_now()  # its evaluate waits at the gate
    c.update_workload(requests_per_day=2222)
    c.recompute_now()
    gate.set()
    qtbot.waitUntil(lambda: c.idle and bool(published), timeout=10_000)
    qtbot.wait(100)
    assert published == [2222]
    c.shutdown()
