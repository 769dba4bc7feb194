"""The report layer and the one formatter: worked examples, and the CLI and the app printing the same figures."""
from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from cli import run
from core.base import csv_money, per_mtok, plural, usd, usd_budget, usd_price, usd_short, usd_whole
from core.plan import (budget_verdict, comparison_table, count_scenario, evaluate, headline_cards, lever_lines,
                       load_demo, monthly_csv, monthly_table, waterfall_table)
from core.prices import load_catalog

CATALOG, _ = load_catalog(user=False)
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def demo():
    scenario = load_demo()
    return evaluate(scenario, CATALOG, count_scenario(scenario, CATALOG))


# --- the formatter, by hand ---------------------------------------------------------------------


@pytest.mark.parametrize("amount, text", [
    (Decimal("0.124"), "$0.12"),
    (Decimal("1234.565"), "$1,234.57"),       # half up, as a person rounds
    (Decimal("-362"), "−$362.00"),            # a typographic minus before the sign, never "$-362"
    (Decimal("-0.001"), "$0.00"),             # no "−$0.00"
    (Decimal("3.7E+45"), "$3.7 × 10^45"),     # any size prints
    (Decimal("9.96E+20"), "$1.0 × 10^21"),
    (None, "—"),
])
def test_usd(amount, text):
    assert usd(amount) == text


def test_the_other_money_shapes():
    assert usd_whole(Decimal("4210.49")) == "$4,210" and usd_whole(Decimal("12.345")) == "$12.35"
    assert usd_budget(Decimal("4000")) == "$4,000" and usd_budget(Decimal("4000.5")) == "$4,000.50"
    # DESIGN.md's worked example: 50,000 × $2.00/1M + 2,000 × $12.00/1M = $0.124
    assert usd_price(Decimal(50_000) * 2 / 10**6 + Decimal(2_000) * 12 / 10**6) == "$0.124"
    assert usd_price(Decimal("0.00035")) == "$0.00035" and usd_price(Decimal("1.5")) == "$1.50"
    assert [usd_short(v) for v in (950, 1234.0, Decimal("2.5E6"), Decimal("1.2E9"), -5000, 0.42)] == \
        ["$950", "$1.2k", "$2.5M", "$1.2B", "−$5k", "$0.42"]
    assert csv_money(Decimal("514.3181838080000")) == "514.32" and csv_money(Decimal("0E-26")) == "0.00"
    assert per_mtok(Decimal("2")) == "2.00" and per_mtok(Decimal("0.125")) == "0.125"
    assert plural(1, "token") == "1 token" and plural(3840, "token") == "3,840 tokens"


@given(st.decimals(min_value=Decimal("-1e14"), max_value=Decimal("1e14"), allow_nan=False, places=6))
def test_csv_money_is_plain_cents_that_read_back_within_half_a_cent(amount):
    text = csv_money(amount)
    assert "E" not in text and "," not in text and "$" not in text
    whole, _, cents = text.lstrip("-").partition(".")
    assert whole.isdigit() and len(cents) == 2
    assert abs(Decimal(text) - amount) <= Decimal("0.005")


# --- presenters over the demo plan ----------------------------------------------------------------


def test_cards_show_the_projection_figures(demo):
    cards = {c.key: c for c in headline_cards(demo, today=date(1999, 1, 1))}
    months = demo.projection.months
    assert cards["first"].value == usd_whole(months[0].cost)
    assert cards["first"].title == f"First month · {months[0].month:%b %Y}"
    assert cards["last"].value == usd_whole(months[-1].cost) and cards["last"].title == f"Month {len(months)}"
    breach = demo.projection.first_breach
    assert breach is not None and cards["budget"].value == f"breached in {breach.month:%b %Y}"
    assert cards["budget"].tone == "bad"
    assert cards["saving"].value == f"{demo.waterfall.saving_pct:.0f}%"
    assert cards["capacity"].value == f"{demo.max_requests_per_day:,}"


def test_lever_lines_and_waterfall_agree(demo):
    lines = lever_lines(demo)
    table = waterfall_table(demo)
    for step in demo.waterfall.steps:
        assert usd_whole(step.saving) in lines[step.lever][0]
        row = next(r for r in table.rows if r[0] == step.title)
        assert row[1] == usd(step.saving) and row[3] == usd(step.total_after)
    assert table.rows[-1] == ("optimized", usd(demo.waterfall.saving),
                              f"{demo.waterfall.saving / demo.waterfall.baseline * 100:.1f}%",
                              usd(demo.waterfall.optimized))


def test_the_cli_prints_the_report_tables(demo):
    out = io.StringIO()
    with redirect_stdout(out):
        assert run(["demo"]) == 0
    text = out.getvalue()
    for table in (monthly_table(demo), waterfall_table(demo), comparison_table(demo)):
        for row in table.rows:
            for cell in row:
                assert cell in text
    assert budget_verdict(demo) in text


def test_cli_csv_json_and_report_agree(demo, tmp_path):
    path = tmp_path / "m.csv"
    out = io.StringIO()
    with redirect_stdout(out):
        assert run(["demo", "--json", "--csv", str(path)]) == 0
    data = json.loads(out.getvalue())
    assert path.read_text(encoding="utf-8") == monthly_csv(demo)
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    for line, month in zip(lines[1:], data["months"]):
        row = dict(zip(header, line.split(",")))
        assert row["cost_usd"] == csv_money(Decimal(month["cost"]))
        assert row["requests"] == csv_money(Decimal(month["requests"]), 0)
        for mid in demo.comparisons:
            assert f"compare:{mid}_usd" in row


def test_a_plan_warning_is_one_problem_printed_the_same_by_the_cli_and_listed_by_the_json(tmp_path):
    """Caching two short prompts on Claude: the 4-token shared prefix is below the 1,024-token minimum."""
    import subprocess
    import sys

    plan = tmp_path / "warn.yaml"
    plan.write_text("schema_version: 1\nname: warn\nprimary_model: claude-sonnet-4-6\n"
                    "workload: {requests_per_day: 100}\nprompts:\n"
                    "  - {name: a, text: short prompt one, output_tokens: 10}\n"
                    "  - {name: b, text: short prompt two, output_tokens: 10}\n"
                    "levers:\n  caching: {enabled: true, hit_rate: 0.5}\n", encoding="utf-8")
    from core.plan import load_scenario

    scenario, _ = load_scenario(plan)
    result = evaluate(scenario, CATALOG, count_scenario(scenario, CATALOG))
    warnings = [p for p in result.problems if p.severity == "warning"]
    assert len(warnings) == 1 and "below the minimum cacheable prefix (1,024)" in warnings[0].message
    text = subprocess.run([sys.executable, str(ROOT / "main.py"), "project", str(plan)],
                          capture_output=True, text=True, cwd=ROOT)
    assert text.returncode == 0 and text.stderr.splitlines() == [str(warnings[0])]
    assert str(warnings[0]).startswith("warning: ")
    data = json.loads(subprocess.run([sys.executable, str(ROOT / "main.py"), "project", str(plan), "--json"],
                                     capture_output=True, text=True, cwd=ROOT).stdout)
    assert data["problems"] == [{"severity": "warning", "field": "", "message": warnings[0].message}]


def test_the_largest_plan_the_limits_accept_prints(tmp_path):
    """10^10 requests/day growing 1,000%/month for 36 months: about $8 × 10^44 a month, printed, not a crash."""
    import subprocess
    import sys

    plan = tmp_path / "huge.yaml"
    plan.write_text("schema_version: 1\nprimary_model: gpt-5\nworkload: {requests_per_day: '10000000000', "
                    "growth_pct_per_month: '1000', horizon_months: 36}\n"
                    "prompts:\n  - {name: a, text: hello there, output_tokens: 100}\n", encoding="utf-8")
    text = subprocess.run([sys.executable, str(ROOT / "main.py"), "project", str(plan)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert text.returncode == 0, text.stderr
    last = [line for line in text.stdout.splitlines() if line.startswith("2029-")][-1]
    assert "× 10^4" in last and "internal error" not in text.stderr
