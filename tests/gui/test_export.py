"""Exports: CSV equal to the projection's Decimals, valid PNGs, an escaped self-contained HTML report."""
from __future__ import annotations

import base64
import csv
import io
import re
from dataclasses import replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from core.prices.catalog import load_catalog_file
from core.plan.evaluation import count_scenario, evaluate
from core.plan.levers import CachingLever, Levers
from core.plan.projection import TOKEN_TYPES
from core.plan.scenario import Scenario
from core.plan.workload import PromptSpec, Workload
from gui.charts import ChartTabs
from core.base.atomicio import atomic_write_bytes
from core.plan.report import monthly_csv as csv_text
from gui.export import chart_pngs, export_csv, export_html, export_png, png_bytes

CATALOG, _ = load_catalog_file(Path(__file__).parents[1] / "fixtures" / "mini_catalog.yaml")
EVIL = "<script>alert('x')</script>"


def make_result(name="Export & test", prompt_name="system prompt", notes=""):
    scenario = Scenario(
        name=name, notes=notes,
        prompts=(PromptSpec(prompt_name, text="You are a helpful assistant. " * 300, output_tokens=250),
                 PromptSpec("short", fixed_tokens=900, output_tokens=80, share=Decimal("0.3"))),
        primary_model="gemini-3.1-pro-preview", comparison_models=("gpt-5",),
        levers=Levers(caching=CachingLever(enabled=True, hit_rate=Decimal("0.7"))),
        workload=Workload(requests_per_day=Decimal(1500), growth_pct_per_month=Decimal(7), horizon_months=6,
                          start_month=date(2027, 3, 1), budget_per_month=Decimal(200)),
    )
    tokens = count_scenario(scenario, CATALOG, counter=lambda text, tok: len(text) // 4)
    return evaluate(scenario, CATALOG, tokens, today=date(2027, 3, 1))


def is_valid_nonblank_png(data: bytes) -> bool:
    image = QImage.fromData(data, "PNG")
    if image.isNull() or image.width() < 100 or image.height() < 100:
        return False
    colors = {image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)}
    return len(colors) > 5


def cents(value) -> Decimal:
    """The provider-style rounding of money to the cent (half up), done by hand for the check."""
    return Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def test_csv_has_the_projection_to_the_cent(tmp_path):
    result = make_result()
    path = tmp_path / "out" / "monthly.csv"
    export_csv(result, path)
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    months = result.projection.months
    assert len(rows) == len(months)
    models = sorted({m for r in months for m in r.by_model})
    for row, m in zip(rows, months):
        assert row["month"] == m.month.strftime("%Y-%m")
        assert int(row["days"]) == m.days
        assert int(row["requests"]) == m.requests.quantize(1, rounding=ROUND_HALF_UP)  # whole requests
        assert Decimal(row["cost_usd"]) == cents(m.cost) and re.fullmatch(r"-?\d+\.\d\d", row["cost_usd"])
        assert Decimal(row["budget_usd"]) == cents(m.budget) and Decimal(row["headroom_usd"]) == cents(m.headroom)
        assert row["over_budget"] == ("yes" if m.over_budget else "no")
        for t in TOKEN_TYPES:
            assert Decimal(row[f"{t}_usd"]) == cents(m.by_token_type.get(t, Decimal(0)))
        for mid in models:
            assert Decimal(row[f"model:{mid}_usd"]) == cents(m.by_model.get(mid, Decimal(0)))
        for mid, comp in result.comparisons.items():
            same_month = next(c for c in comp.months if c.month == m.month)
            assert Decimal(row[f"compare:{mid}_usd"]) == cents(same_month.cost)
        parts = sum((Decimal(row[f"{t}_usd"]) for t in TOKEN_TYPES), Decimal(0))
        assert abs(parts - Decimal(row["cost_usd"])) <= Decimal("0.01") * len(TOKEN_TYPES) / 2  # each part rounds
    assert not any(p.name.endswith(".tmp") or p.name.endswith(".bak") for p in path.parent.iterdir())


def test_the_app_and_the_cli_write_the_same_csv(tmp_path):
    """Export ▸ CSV and `project --csv` are one function: byte-identical files for the same plan."""
    from cli.project_cmd import write_csv

    result = make_result()
    export_csv(result, tmp_path / "app.csv")
    write_csv(str(tmp_path / "cli.csv"), result)
    assert (tmp_path / "app.csv").read_bytes() == (tmp_path / "cli.csv").read_bytes()
    header = (tmp_path / "app.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    assert [h for h in header if h.startswith("compare:")] == [f"compare:{m}_usd" for m in result.comparisons]


def test_csv_of_a_failed_result_is_refused(tmp_path):
    result = make_result()
    broken = replace(result, projection=replace(result.projection, months=(), errors=("no price",)))
    with pytest.raises(ValueError, match="no price"):
        export_csv(broken, tmp_path / "x.csv")
    assert not (tmp_path / "x.csv").exists()


def test_png_export_is_a_valid_nonblank_png(qtbot, tmp_path):
    tabs = ChartTabs()
    qtbot.addWidget(tabs)
    tabs.show_result(make_result())
    path = tmp_path / "spend.png"
    export_png(tabs.current_chart(), path)
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert is_valid_nonblank_png(data)
    # a hidden tab renders at the asked size, without resizing the live widget
    hidden = tabs.chart_widgets()["Savings"]
    before = hidden.size()
    image = QImage.fromData(png_bytes(hidden, (800, 450)), "PNG")
    assert (image.width(), image.height()) == (800, 450)
    assert hidden.size() == before
    pngs = chart_pngs(tabs.chart_widgets())
    assert set(pngs) == {"Spend", "Breakdown", "Savings", "Sensitivity"}  # Self-host shows only a message
    assert all(is_valid_nonblank_png(b) for b in pngs.values())


def test_html_report_has_the_numbers_and_escapes_user_text(qtbot, tmp_path):
    result = make_result(name=f"Plan {EVIL}", prompt_name=EVIL, notes=f"ask finance {EVIL}")
    tabs = ChartTabs()
    qtbot.addWidget(tabs)
    tabs.show_result(result)
    pngs = chart_pngs(tabs.chart_widgets(), size=(600, 340))
    path = tmp_path / "report.html"
    export_html(result, pngs, path)
    html = path.read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    # self-contained: inline CSS and images, nothing fetched
    assert "<style>" in html and not re.search(r"(src|href)=['\"]https?:", html)
    images = re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", html)
    assert len(images) == len(pngs)
    assert all(is_valid_nonblank_png(base64.b64decode(b)) for b in images)
    # the numbers: every month's spend, the total, the waterfall and the comparison
    for m in result.projection.months:
        assert f"${m.cost.quantize(Decimal('0.01')):,}" in html
    assert f"${result.projection.total.quantize(Decimal('0.01')):,}" in html
    for step in result.waterfall.steps:
        assert f"${step.saving.quantize(Decimal('0.01')):,}" in html
    assert f"${result.comparisons['gpt-5'].total.quantize(Decimal('0.01')):,}" in html
    breach = result.projection.first_breach
    assert breach is not None and f"breached in {breach.month:%b %Y}" in html
    assert "Prompt caching" in html and "hit_rate=0.7" in html and "formula" in html
    # prompt texts stay private unless asked for
    assert "helpful assistant" not in html
    export_html(result, {}, path, include_prompt_text=True)
    assert "helpful assistant" in path.read_text(encoding="utf-8")


def test_html_report_lists_stale_prices_and_errors(tmp_path):
    result = make_result()
    stale = replace(result, stale_prices=(("gemini-3.1-pro-preview", date(2026, 1, 1), 424),),
                    notes=("price of gemini-3.1-pro-preview was checked 2026-01-01 (424 days ago)",))
    path = tmp_path / "r.html"
    export_html(stale, {}, path)
    html = path.read_text(encoding="utf-8")
    assert "Stale prices" in html and "424 days ago" in html
    failed = replace(result, projection=replace(result.projection, months=(), errors=("unknown model 'x'",)))
    export_html(failed, {}, path)
    assert "unknown model &#x27;x&#x27;" in path.read_text(encoding="utf-8")


def test_atomic_bytes_write_replaces_whole_file(tmp_path):
    path = tmp_path / "a.bin"
    atomic_write_bytes(path, b"old")
    atomic_write_bytes(path, b"new contents")
    assert path.read_bytes() == b"new contents"
    assert [p.name for p in tmp_path.iterdir()] == ["a.bin"]


def test_csv_text_has_no_float_noise():
    text = csv_text(make_result())
    assert not re.search(r"\de[-+]\d", text.lower())
