"""Explicitly tagged bad scalars (!!int "", !!float "", !!timestamp x, !!bool maybe) are field errors, never crashes."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from core.base import parse_yaml
from core.plan import parse_scenario
from core.prices import parse_catalog

ROOT = Path(__file__).resolve().parents[1]
TAGGED = ['!!int ""', '!!float ""', "!!timestamp x", "!!bool maybe", "!!int 1e3", "!!float abc"]


@pytest.mark.parametrize("pure_python", [False, True])
@pytest.mark.parametrize("tagged", TAGGED)
def test_the_parser_keeps_a_bad_tagged_scalar_as_text(tagged, pure_python):
    data, problems = parse_yaml(f"a: {tagged}\nb: 1\n", "f.yaml", pure_python=pure_python)
    assert problems == [] and data["b"] == 1 and isinstance(data["a"], str)


def test_good_tagged_scalars_still_mean_what_they_say():
    data, _ = parse_yaml("a: !!int 12\nb: !!float 1.5\nc: !!bool yes\nd: !!timestamp 2026-01-02\n", "f.yaml")
    assert (data["a"], data["b"], data["c"], str(data["d"])) == (12, 1.5, True, "2026-01-02")


@pytest.mark.parametrize("tagged", [t for t in TAGGED if t != "!!int 1e3"])  # "1e3" is a fine number as text
def test_a_scenario_field_holding_one_is_named_with_its_line(tagged):
    text = f"schema_version: 1\nprimary_model: gpt-5\nworkload:\n  requests_per_day: {tagged}\n"
    scenario, problems = parse_scenario(text, "plan.yaml")
    assert scenario is None
    assert [(p.file, p.line, p.field) for p in problems] == [("plan.yaml", 4, "workload.requests_per_day")]


def test_a_catalog_price_holding_one_is_named_with_its_line():
    text = ("schema_version: 1\nmodels:\n  - id: m1\n    name: M1\n    provider: openai\n    tokenizer: o200k_base\n"
            "    context_window: 1000\n    source: x\n    checked: 2026-11-01\n"
            '    prices: {input: !!float "", output: "2"}\n')
    catalog, problems = parse_catalog(text, "models.yaml")
    assert any(p.line == 10 and p.field.endswith("prices.input") for p in problems), problems


@pytest.mark.parametrize("tagged", ['!!int ""', "!!timestamp x"])
def test_project_exits_2_with_file_and_line_not_70(tmp_path, tagged):
    plan = tmp_path / "plan.yaml"
    plan.write_text(f"schema_version: 1\nprimary_model: gpt-5\nworkload:\n  horizon_months: {tagged}\n",
                    encoding="utf-8")
    run = subprocess.run([sys.executable, str(ROOT / "main.py"), "project", str(plan)],
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 2, run.stderr
    assert f"{plan}:4 [workload.horizon_months]" in run.stderr and "internal error" not in run.stderr
