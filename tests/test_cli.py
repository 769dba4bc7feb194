"""The headless commands as a user runs them: real processes, the bundled catalog, no Qt."""
from __future__ import annotations

import json
import re
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(*args, stdin=None, env_extra=None):
    env = dict(os.environ, TOKEN_BUDGET_DATA_DIR=str(ROOT / "tests" / "fixtures" / "no-user-data"))
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "main.py", *args], cwd=ROOT, capture_output=True, text=True,
                          input=stdin, env=env, timeout=120)


def test_cost_seed_example_json():
    result = run("cost", "--model", "gemini-3.1-pro-preview", "--input", "50000", "--output", "2000", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert Decimal(data["total"]) == Decimal("0.124")
    assert {line["token_type"] for line in data["lines"]} == {"input", "output"}


def test_cost_long_context_text():
    result = run("cost", "--model", "gemini-3.1-pro-preview", "--input", "250000", "--output", "2000")
    assert result.returncode == 0
    assert "$1.036" in result.stdout and "LONG-CONTEXT" in result.stdout


def test_cost_anthropic_batch_with_cache_read():
    result = run("cost", "--model", "claude-sonnet-4-6", "--input", "50000", "--cached", "45000",
                 "--output", "2000", "--batch", "--json")
    assert Decimal(json.loads(result.stdout)["total"]) == Decimal("0.02925")


def test_cost_one_hour_write_and_reasoning():
    result = run("cost", "--model", "claude-sonnet-4-6", "--input", "50000", "--cache-write", "45000",
                 "--cache-ttl", "1h", "--output", "2000", "--reasoning", "1000", "--json")
    data = json.loads(result.stdout)
    assert Decimal(data["total"]) == Decimal("0.27") + Decimal("0.015") + Decimal("0.030") + Decimal("0.015")


@pytest.mark.parametrize("args, words", [
    (("cost", "--model", "gpt-99", "--input", "1", "--output", "1"), "unknown model 'gpt-99'"),
    (("cost", "--model", "gpt-5", "--input", "-5", "--output", "1"), "whole number"),
    (("cost", "--model", "gpt-5", "--input", "ten", "--output", "1"), "whole number"),
    (("cost", "--model", "gpt-5", "--input", "10", "--cached", "20", "--output", "1"), "exceed"),
    (("cost", "--model", "gpt-5", "--input", "10", "--output", "1", "--date", "2026-13-01"), "date"),
    (("models", "--provider", "nobody"), "no models from provider"),
    (("frobnicate",), "unknown command"),
])
def test_errors_are_one_line_without_traceback(args, words):
    result = run(*args)
    assert result.returncode != 0
    assert words in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_models_json_and_provider_filter():
    data = json.loads(run("models", "--json").stdout)
    assert data["count"] >= 40
    assert {"id", "provider"} <= set(data["models"][0])
    assert len({m["provider"] for m in data["models"]}) >= 6
    anthropic = json.loads(run("models", "--provider", "anthropic", "--json").stdout)
    assert anthropic["models"] and all(m["provider"] == "anthropic" for m in anthropic["models"])


def test_models_table_shows_price_age():
    out = run("models", "--provider", "google").stdout
    assert "gemini-3.1-pro-preview" in out and "age" in out


def test_demo_json_has_months_waterfall_and_sensitivity(tmp_path):
    csv_path = tmp_path / "months.csv"
    result = run("demo", "--json", "--csv", str(csv_path))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert len(data["months"]) == 12 and all("month" in m and "cost" in m for m in data["months"])
    steps = data["waterfall"]["steps"]
    assert steps and all("saving" in s for s in steps)
    assert sum(Decimal(s["saving"]) for s in steps) == \
        Decimal(data["waterfall"]["baseline"]) - Decimal(data["waterfall"]["optimized"])
    assert data["sensitivity"]
    lines = csv_path.read_text().splitlines()
    assert lines[0].startswith("month,") and len(lines) == 13


def test_project_bad_file_is_one_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("schema_version: 1\nprimary_model: gpt-5\nworkload: {requests_per_day: -1}\n")
    result = run("project", str(bad))
    assert result.returncode == 2 and "bad.yaml:3" in result.stderr and "Traceback" not in result.stderr


def test_cli_commands_do_not_import_qt():
    code = ("import sys, main; main.main(['cost','--model','gpt-5','--input','10','--output','1']);"
            "print([m for m in sys.modules if m.startswith(('PySide6','pyqtgraph'))])")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.stdout.strip().endswith("[]"), result.stdout + result.stderr


def test_cost_on_a_past_date_never_says_negative_days_ago():
    result = run("cost", "--model", "gpt-5", "--input", "10", "--output", "1", "--date", "2020-01-01")
    assert result.returncode == 0, result.stderr
    line = next(x for x in result.stdout.splitlines() if x.startswith("price checked"))
    assert "days ago" not in line and not re.search(r"\(-\d", line)
    assert re.search(r"price checked \d{4}-\d\d-\d\d, \d+ days after 2020-01-01;", result.stdout)
