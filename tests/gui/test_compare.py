"""Compare dialog: two or more scenarios side by side, numbers from core.plan.evaluation, bad files reported."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from core.prices.catalog import load_catalog_file
from core.plan.evaluation import count_scenario, evaluate
from core.plan.levers import CachingLever, Levers
from core.plan.scenario import Scenario
from core.plan.scenario_write import save_scenario
from core.plan.workload import PromptSpec, Workload
from gui.charts.style import money
from gui import compare as compare_module
from gui.compare import ROWS, CompareDialog

CATALOG, _ = load_catalog_file(Path(__file__).parents[1] / "fixtures" / "mini_catalog.yaml")


def counter(text: str, tokenizer: str) -> int:
    return len(text) // 4


def scenario(name="Current", model="gemini-3.1-pro-preview", rpd="1000", budget="150", start=date(2027, 1, 1)):
    return Scenario(
        name=name, primary_model=model,
        prompts=(PromptSpec("q", text="Answer the question about storage plans. " * 120, output_tokens=200),),
        levers=Levers(caching=CachingLever(enabled=True, hit_rate=Decimal("0.6"))),
        workload=Workload(requests_per_day=Decimal(rpd), growth_pct_per_month=Decimal(10), horizon_months=6,
                          start_month=start, budget_per_month=Decimal(budget)))


@pytest.fixture
def dialog(qtbot):
    d = CompareDialog(CATALOG, counter=counter)
    qtbot.addWidget(d)
    return d


def computed(dialog, qtbot):
    """Every column's plan is counted and priced by the job runner (off the UI thread)."""
    qtbot.waitUntil(lambda: not dialog.busy, timeout=10_000)


def test_two_scenarios_side_by_side(dialog, tmp_path, qtbot):
    current = scenario()
    result = evaluate(current, CATALOG, count_scenario(current, CATALOG, counter))
    dialog.add_scenario(current, "Current plan", result=result)
    other = scenario("Cheaper", model="gpt-5", rpd="800")
    path = tmp_path / "cheaper.yaml"
    save_scenario(other, path)
    assert dialog.add_file(path)
    computed(dialog, qtbot)
    assert dialog.table.columnCount() == 2
    assert dialog.table.rowCount() == len(ROWS)
    assert dialog.table.horizontalHeaderItem(0).text() == "Current plan"
    assert dialog.table.horizontalHeaderItem(1).text() == "Cheaper (cheaper.yaml)"
    assert dialog.cell("Primary model", 0) == "gemini-3.1-pro-preview"
    assert dialog.cell("Primary model", 1) == "gpt-5"
    # the numbers are core's, formatted
    p = result.projection
    assert dialog.cell("Month 1", 0) == f"{money(p.months[0].cost)} (Jan 2027)"
    assert dialog.cell("Month N", 0) == f"{money(p.months[-1].cost)} (Jun 2027)"
    assert dialog.cell("Total", 0).startswith(money(p.total))
    breach = p.first_breach
    assert dialog.cell("First breach", 0) == (f"{breach.month:%b %Y}" if breach else "never (within budget)")
    assert dialog.cell("Levers save", 0).startswith(f"{result.saving_pct:.1f}%")
    expected_other = evaluate(other, CATALOG, count_scenario(other, CATALOG, counter), with_sensitivity=False)
    assert dialog.cell("Total", 1).startswith(money(expected_other.projection.total))
    assert dialog.cell("Max requests/day", 1) == f"{expected_other.max_requests_per_day:,}"
    # the overlay chart has a line per plan with that plan's monthly spend
    lines = dialog.chart.line_data()
    assert lines == [[float(m.cost) for m in p.months],
                     [float(m.cost) for m in expected_other.projection.months]]
    # the cheaper total is bold
    totals = [dialog.table.item(ROWS.index("Total"), c) for c in range(2)]
    cheaper = 0 if p.total < expected_other.projection.total else 1
    assert totals[cheaper].font().bold() and not totals[1 - cheaper].font().bold()


def test_bad_file_is_reported_not_added(dialog, tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("schema_version: 1\nprimary_model: [oops\n", encoding="utf-8")
    assert not dialog.add_file(path)
    assert "Could not open broken.yaml" in dialog.message.text()
    assert dialog.table.columnCount() == 0


def test_unknown_model_shows_an_error_in_its_column(dialog, qtbot):
    dialog.add_scenario(scenario("Ghost", model="no-such-model"))
    computed(dialog, qtbot)
    assert dialog.cell("Month 1", 0).startswith("error: unknown model 'no-such-model'")


def test_plans_with_different_start_months_share_a_calendar(dialog, qtbot):
    dialog.add_scenario(scenario("Early"))
    dialog.add_scenario(scenario("Late", start=date(2027, 4, 1)))
    computed(dialog, qtbot)
    xs = [list(line.getData()[0]) for line in dialog.chart.lines.values()]
    assert xs[0][0] == 0 and xs[1][0] == 3


def test_remove_column(dialog, qtbot):
    dialog.add_scenario(scenario("A"))
    dialog.add_scenario(scenario("B"))
    computed(dialog, qtbot)
    dialog.table.selectColumn(0)
    dialog.remove_selected()
    assert [e.label for e in dialog.entries] == ["B"]
    assert len(dialog.chart.lines) == 1


def test_plans_are_counted_and_priced_off_the_ui_thread(dialog, qtbot, monkeypatch):
    import threading

    threads = []
    real = compare_module.evaluate
    monkeypatch.setattr(compare_module, "evaluate",
                        lambda *a, **k: threads.append(threading.current_thread()) or real(*a, **k))
    entry = dialog.add_scenario(scenario("Big"))
    assert dialog.cell("Month 1", 0) in ("computing…",) or not entry.pending
    computed(dialog, qtbot)
    assert dialog.cell("Month 1", 0).startswith("$")
    assert threads and threading.main_thread() not in threads


def test_budget_lines_shared_or_per_plan(dialog, qtbot):
    dialog.add_scenario(scenario("A", budget="150"))
    dialog.add_scenario(scenario("B", budget="150"))
    computed(dialog, qtbot)
    drawn = {k: list(v.getData()[1]) for k, v in dialog.chart.budgets.items() if v.getData()[1] is not None
             and len(v.getData()[1])}
    assert list(drawn.values()) == [[150.0, 150.0]]  # one shared line, not two on top of each other
    dialog.add_scenario(scenario("C", budget="220"))
    computed(dialog, qtbot)
    drawn = sorted(list(v.getData()[1]) for v in dialog.chart.budgets.values()
                   if v.getData()[1] is not None and len(v.getData()[1]))
    assert drawn == [[150.0, 150.0], [150.0, 150.0], [220.0, 220.0]]
