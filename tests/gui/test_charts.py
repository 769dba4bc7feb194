"""Charts: items updated in place, budget/breach markers where the result says, empty results."""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QPalette

from core.prices.catalog import load_catalog_file
from core.plan.evaluation import count_scenario, evaluate
from core.plan.levers import BatchLever, CachingLever, Levers
from core.plan.scenario import Scenario
from core.plan.workload import PromptSpec, Workload
from gui.charts import TAB_NAMES, BreakEvenCurve, ChartTabs
from gui.charts.style import MoneyAxis, chart_colors, money, money_short, tokens_short

CATALOG, _ = load_catalog_file(Path(__file__).parents[1] / "fixtures" / "mini_catalog.yaml")


def make_result(rpd="2000", budget="900", growth="10", levers=None, comparisons=("gpt-5",),
                primary="gemini-3.1-pro-preview"):
    scenario = Scenario(
        name="Chart test",
        prompts=(PromptSpec("system+question", fixed_tokens=6000, output_tokens=300),
                 PromptSpec("long ticket", fixed_tokens=20000, output_tokens=500, share=Decimal("0.5"))),
        primary_model=primary,
        comparison_models=comparisons,
        levers=levers or Levers(caching=CachingLever(enabled=True, hit_rate=Decimal("0.8"),
                                                     prefix_share=Decimal("0.5")),
                                batch=BatchLever(enabled=True, share=Decimal("0.3"))),
        workload=Workload(requests_per_day=Decimal(rpd), growth_pct_per_month=Decimal(growth),
                          horizon_months=12, start_month=date(2027, 1, 1),
                          budget_per_month=None if budget is None else Decimal(budget)),
    )
    tokens = count_scenario(scenario, CATALOG, counter=lambda text, tok: len(text) // 4)
    return evaluate(scenario, CATALOG, tokens, today=date(2027, 1, 1))


@pytest.fixture
def tabs(qtbot):
    widget = ChartTabs()
    qtbot.addWidget(widget)
    widget.resize(900, 520)
    return widget


def test_tabs_and_chart_widgets(tabs):
    assert [tabs.tabText(i) for i in range(tabs.count())] == list(TAB_NAMES)
    widgets = tabs.chart_widgets()
    assert list(widgets) == list(TAB_NAMES)
    tabs.setCurrentIndex(2)
    assert tabs.current_chart() is widgets["Savings"]


def test_spend_updates_items_in_place(tabs):
    first = make_result()
    tabs.show_result(first)
    spend = tabs.spend
    items = dict(spend.series())
    assert set(items) == {"gemini-3.1-pro-preview (with levers)", "gemini-3.1-pro-preview (no levers)",
                          "gpt-5 (with levers)"}
    before = list(items["gemini-3.1-pro-preview (with levers)"].getData()[1])
    assert before == [float(m.cost) for m in first.projection.months]

    second = make_result(rpd="3000")
    tabs.show_result(second)
    after_items = spend.series()
    for name, item in items.items():
        assert after_items[name] is item  # the same PlotDataItem, not a rebuilt one
    after = list(items["gemini-3.1-pro-preview (with levers)"].getData()[1])
    assert after == [float(m.cost) for m in second.projection.months]
    assert after != before
    # comparison lines come from the result's comparisons, not from a price computed here
    gpt = list(items["gpt-5 (with levers)"].getData()[1])
    assert gpt == [float(m.cost) for m in second.comparisons["gpt-5"].months]


def test_budget_line_and_breach_marker_match_the_result(tabs):
    result = make_result(budget="900", growth="10")
    breach = result.projection.first_breach
    assert breach is not None, "the fixture must breach its budget"
    tabs.show_result(result)
    spend = tabs.spend
    assert spend.budget_value == pytest.approx(900.0)
    months = [m.month for m in result.projection.months]
    assert spend.breach_index == months.index(breach.month)
    assert spend.breach_text == f"breach: {breach.month:%b %Y}"

    tabs.show_result(make_result(budget=None))
    assert spend.budget_value is None and spend.breach_index is None
    tabs.show_result(make_result(budget="1000000"))
    assert spend.budget_value == pytest.approx(1e6) and spend.breach_index is None


def test_comparison_that_disappears_is_hidden_not_drawn(tabs):
    tabs.show_result(make_result())
    line = tabs.spend.comparison_items["gpt-5"]
    tabs.show_result(make_result(comparisons=()))
    assert "gpt-5 (with levers)" not in tabs.spend.series()
    assert not line.isVisible()
    tabs.show_result(make_result())
    assert tabs.spend.comparison_items["gpt-5"] is line and line.isVisible()


def test_breakdown_stacks_sum_to_monthly_cost(tabs):
    result = make_result()
    tabs.show_result(result)
    stacks = tabs.breakdown.stacks()
    assert stacks, "some token types must be drawn"
    layers = dict(tabs.breakdown.layers)
    for i, row in enumerate(result.projection.months):
        assert sum(values[i] for values in stacks.values()) == pytest.approx(float(row.cost), rel=1e-9)
    tabs.show_result(make_result(rpd="5000"))
    assert all(tabs.breakdown.layers[k] is v for k, v in layers.items())
    tabs.breakdown.set_mode("model")
    by_model = tabs.breakdown.stacks()
    assert "gemini-3.1-pro-preview" in by_model


def test_waterfall_bars_sum_and_telescope(tabs):
    result = make_result()
    tabs.show_result(result)
    bars = tabs.waterfall.bars()
    w = result.waterfall
    assert [b.label for b in bars][0] == "Baseline" and bars[-1].label == "Optimized"
    assert len(bars) == len(w.steps) + 2
    assert bars[0].top == pytest.approx(float(w.baseline))
    assert bars[-1].top == pytest.approx(float(w.optimized))
    level = bars[0].top
    for bar, step in zip(bars[1:-1], w.steps):
        # each floating bar spans exactly from the running total before to the total after
        assert bar.top - bar.bottom == pytest.approx(abs(float(step.saving)))
        assert (bar.bottom, bar.top) == pytest.approx(tuple(sorted((level, float(step.total_after)))))
        level = float(step.total_after)
    assert level == pytest.approx(bars[-1].top)
    assert float(w.baseline) - sum(b.amount for b in bars[1:-1]) == pytest.approx(float(w.optimized))
    item = tabs.waterfall.bars_item
    tabs.show_result(make_result(rpd="4000"))
    assert tabs.waterfall.bars_item is item


def test_waterfall_marks_a_lever_that_costs_more(tabs):
    # Anthropic 1-hour cache writes cost 2× input: at a 5% hit rate caching loses money
    levers = Levers(caching=CachingLever(enabled=True, hit_rate=Decimal("0.05"), ttl="1h",
                                         prefix_share=Decimal("0.9")))
    result = make_result(levers=levers, comparisons=(), primary="claude-sonnet-4-6")
    tabs.show_result(result)
    step = result.waterfall.steps[0]
    assert step.saving < 0
    bar = tabs.waterfall.bars()[1]
    assert bar.kind == "cost" and bar.amount == pytest.approx(float(step.saving))
    assert bar.top == pytest.approx(float(step.total_after))
    color = tabs.waterfall.bars_item.opts["brushes"][1].color()
    assert color == tabs.waterfall.colors.warning
    assert tabs.waterfall.labels[1].textItem.toPlainText().startswith("+$")


def test_sensitivity_sorted_with_names_on_the_axis(tabs):
    result = make_result()
    tabs.show_result(result)
    rows = tabs.sensitivity.rows()
    impacts = [abs(high - low) for _, low, _, high in rows]
    assert impacts == sorted(impacts, reverse=True)
    assert {r[0] for r in rows} == {b.input for b in result.sensitivity}
    low_item = tabs.sensitivity.low_item
    tabs.show_result(make_result(rpd="2500"))
    assert tabs.sensitivity.low_item is low_item


def test_failed_and_empty_results_show_a_message(tabs):
    broken = replace(make_result(), projection=replace(make_result().projection, months=(),
                                                       errors=("unknown model 'nope'",)))
    tabs.show_result(broken)
    for name in ("Spend", "Breakdown", "Sensitivity"):
        chart = tabs.chart_widgets()[name]
        assert chart.showing_message
        assert chart.message == "No data: unknown model 'nope'"
    tabs.show_result(None)
    assert all(c.showing_message for c in tabs.chart_widgets().values())
    tabs.show_result(make_result())
    assert not tabs.spend.showing_message
    tabs.show_error("token counting failed")
    assert tabs.spend.message == "No data: token counting failed"


def test_breakeven_curve_and_crossing(tabs):
    vols = tuple(10 ** (6 + i / 10) for i in range(40))
    curve = BreakEvenCurve(vols, tuple(v * 4e-6 for v in vols), tuple(2000.0 for _ in vols),
                           crossing_volume=5e8, current_volume=2e8)
    assert tabs.breakeven.showing_message
    tabs.show_breakeven(curve)
    chart = tabs.breakeven
    assert not chart.showing_message
    assert chart.crossing_x == pytest.approx(8.69897, abs=1e-4)
    api_item = chart.api_item
    tabs.show_breakeven(replace(curve, crossing_volume=None))
    assert chart.crossing_x is None and chart.api_item is api_item
    tabs.show_breakeven("the model does not fit on one H100")
    assert chart.message == "No data: the model does not fit on one H100"


def test_breakeven_from_core_estimate_pair(tabs):
    from core.selfhost.breakeven import break_even
    from core.selfhost.hardware import load_hardware, load_open_models
    from core.selfhost.roofline import Deployment, estimate

    est = estimate(Deployment("llama-3.1-70b", "h100", weight_quant="fp8", kv_dtype="fp8"),
                   load_open_models()[0], load_hardware()[0])
    be = break_even(800_000_000, 200_000_000, 32, Decimal("2.00"), Decimal("12.00"), est)
    tabs.show_breakeven((est, be))
    chart = tabs.breakeven
    assert not chart.showing_message
    if be.crossing_tokens_per_month:
        import math
        assert chart.crossing_x == pytest.approx(math.log10(be.crossing_tokens_per_month))
    curve = chart._curve
    # the drawn costs are core's own numbers at each sampled volume, never recomputed here
    for v, api, own in list(zip(curve.volumes, curve.api_costs, curve.selfhost_costs))[::20]:
        assert api == be.api_usd_at(int(v)) and own == be.selfhost_usd_at(int(v))
    assert est.model_name in chart.legend.items[1][1].text


def test_hover_text_follows_the_month(tabs):
    result = make_result()
    tabs.show_result(result)
    html = tabs.spend.hover_at(2, 100)
    assert f"{result.projection.months[2].month:%b %Y}" in html
    assert money(result.projection.months[2].cost) in html
    assert tabs.spend.hover_item.isVisible()
    assert tabs.spend.hover_at(99, 0) is None and not tabs.spend.hover_item.isVisible()


def test_colors_follow_the_palette(tabs):
    dark = QPalette()
    dark.setColor(QPalette.ColorRole.Base, QColor("#111111"))
    dark.setColor(QPalette.ColorRole.Text, QColor("#eeeeee"))
    tabs.show_result(make_result())
    tabs.setPalette(dark)
    assert tabs.spend.colors.dark
    assert tabs.spend.colors.foreground == QColor("#eeeeee")
    assert tabs.spend.plot_item.getAxis("left").textPen().color() == QColor("#eeeeee")
    light = QPalette()
    light.setColor(QPalette.ColorRole.Base, QColor("#ffffff"))
    light.setColor(QPalette.ColorRole.Text, QColor("#111111"))
    assert chart_colors(light).dark is False


def test_money_formatting():
    assert money_short(1234) == "$1.2k" and money_short(15000) == "$15k" and money_short(2.5e6) == "$2.5M"
    assert money_short(950) == "$950" and money_short(0.42) == "$0.42" and money_short(-1500) == "−$1.5k"
    assert money(Decimal("1234.5")) == "$1,234.50" and money(None) == "—"
    assert money(Decimal("4000"), cents=False) == "$4,000"
    assert tokens_short(1.5e9) == "1.5B"
    axis = MoneyAxis("left")
    assert axis.tickStrings([0, 500, 1000, 1500], 1, 500) == ["$0", "$500", "$1,000", "$1,500"]
    assert axis.tickStrings([0, 2500, 5000], 1, 2500) == ["$0", "$2,500", "$5,000"]
    assert axis.tickStrings([20000, 22500, 25000], 1, 2500) == ["$20.0k", "$22.5k", "$25.0k"]
    assert axis.tickStrings([1e6, 1.5e6], 1, 5e5) == ["$1.0M", "$1.5M"]


def test_mouse_move_through_the_signal_proxy_shows_hover(tabs, qtbot):
    from PySide6.QtCore import QPointF

    result = make_result()
    tabs.show()
    tabs.show_result(result)
    qtbot.waitExposed(tabs)
    vb = tabs.spend.plot_item.getViewBox()
    scene_pos = vb.mapViewToScene(QPointF(3, float(result.projection.months[3].cost)))
    tabs.spend.plot_widget.scene().sigMouseMoved.emit(scene_pos)
    qtbot.waitUntil(lambda: tabs.spend.hover_item.isVisible(), timeout=10_000)
    assert f"{result.projection.months[3].month:%b %Y}" in tabs.spend.hover_item.textItem.toHtml()


def _qt_drops_none_refs() -> bool:
    """PySide6 6.12.0 on Python < 3.12 releases a reference to None on every void Qt call."""
    import sys

    import PySide6

    return sys.version_info < (3, 12) and PySide6.__version__.startswith("6.12.")


@pytest.mark.xfail(_qt_drops_none_refs(), strict=True,
                   reason="PySide6 6.12 + Python 3.11: each void call (update(), setText(), …) drops a "
                          "reference to None, so a long session crashes with 'deallocating None'; "
                          "pin PySide6-Essentials<6.12 on Python<3.12")
def test_many_updates_do_not_drain_none_refcount(tabs):
    import gc
    import sys

    first, second = make_result(), make_result(rpd="3000")
    tabs.show_result(first)
    gc.collect()
    before = sys.getrefcount(None)
    for i in range(3):  # few: under the bug each update drains ~400 references
        tabs.show_result(second if i % 2 else first)
    gc.collect()
    # each update makes hundreds of void Qt calls; a healthy binding keeps None's count steady
    assert sys.getrefcount(None) >= before - 50


def _count_updates(tabs, monkeypatch) -> dict[str, int]:
    """How many times each chart redrew its items (its `_update`) from now on."""
    counts = {name: 0 for name in TAB_NAMES}
    for name, chart in tabs.chart_widgets().items():
        real = chart._update

        def counted(real=real, name=name):
            counts[name] += 1
            real()
        monkeypatch.setattr(chart, "_update", counted)
    return counts


def test_only_the_charts_whose_data_changed_redraw(tabs, monkeypatch):
    result = make_result()
    tabs.show_result(result)
    counts = _count_updates(tabs, monkeypatch)
    # the sensitivity bars arriving for the same plan: only the tornado moves
    tabs.show_result(replace(result, sensitivity=tuple(reversed(result.sensitivity))))
    assert counts == {"Spend": 0, "Breakdown": 0, "Savings": 0, "Self-host": 0, "Sensitivity": 1}
    # an equal plan computed again (a no-op edit, an undo back to it): nothing redraws
    tabs.show_result(make_result())
    assert counts["Spend"] == counts["Breakdown"] == counts["Savings"] == 0
    # a new budget moves the budget line and the breach marker, not the bars of the other charts
    tabs.show_result(make_result(budget="1500"))
    assert counts == {"Spend": 1, "Breakdown": 0, "Savings": 0, "Self-host": 0, "Sensitivity": 2}
    assert tabs.spend.budget_value == 1500.0
    # more traffic changes every figure: every result chart redraws
    tabs.show_result(make_result(budget="1500", rpd="3000"))
    assert counts == {"Spend": 2, "Breakdown": 1, "Savings": 1, "Self-host": 0, "Sensitivity": 3}
    # a message in between (a failed recompute) and the same plan again: drawn again
    tabs.show_error("counting failed")
    tabs.show_result(make_result(budget="1500", rpd="3000"))
    assert not tabs.spend.showing_message and counts["Spend"] == 3


def test_lazy_tabs_draw_the_visible_chart_next_turn_and_hidden_ones_when_shown(qtbot, monkeypatch):
    tabs = ChartTabs(lazy=True)
    qtbot.addWidget(tabs)
    tabs.resize(900, 520)
    counts = _count_updates(tabs, monkeypatch)
    result = make_result()
    tabs.show_result(result)
    assert tabs.result is result and sum(counts.values()) == 0  # nothing drawn inside the call
    qtbot.waitUntil(lambda: counts["Spend"] == 1, timeout=2_000)
    assert set(tabs.pending) == {"Breakdown", "Savings", "Sensitivity"}
    assert counts["Savings"] == 0
    tabs.setCurrentIndex(TAB_NAMES.index("Savings"))  # drawn before its first paint
    assert counts["Savings"] == 1 and "Savings" not in tabs.pending
    newer = make_result(rpd="5000")
    tabs.show_result(newer)  # replaces the plan the hidden charts never drew
    assert tabs.chart_widgets()["Breakdown"] is tabs.breakdown  # exports see every chart drawn
    assert tabs.pending == [] and counts["Breakdown"] == 1
    assert tabs.breakdown.stacks() and tabs.waterfall.bars()[0].amount == float(newer.waterfall.baseline)


def test_money_axis_ticks_carry_their_unit_and_the_title_no_si_factor(qtbot):
    """Large spend read "$5 … $1" under a "(x1e+09)" title; ticks now say $2B, $4B, and 10^44 prints too."""
    from gui.charts.style import MoneyAxis

    axis = MoneyAxis("left")
    axis.setLabel("Spend (USD / month)")
    axis.setRange(0, 5e9)
    axis.updateAutoSIPrefix()
    assert "x1e" not in axis.labelString()
    assert axis.tickStrings([0, 2e9, 4e9], 1, 2e9) == ["$0", "$2B", "$4B"]
    assert axis.tickStrings([0, 4e44, 8e44], 1, 4e44) == ["$0", "$4.0 × 10^44", "$8.0 × 10^44"]
