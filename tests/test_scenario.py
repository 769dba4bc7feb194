"""Scenario YAML: round-trip, errors naming field and line, atomic saves with a backup."""
from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from core.base import atomicio
from core.plan.scenario import Scenario, load_demo, load_scenario, parse_scenario
from core.plan.scenario_write import dump_scenario, save_scenario
from core.plan.workload import PromptSpec


def test_demo_loads_and_round_trips():
    demo = load_demo()
    assert len(demo.prompts) == 3 and demo.primary_model == "gemini-3.1-pro-preview"
    again, errors = parse_scenario(dump_scenario(demo), "again.yaml")
    assert errors == [] and again == demo


def test_demo_prompts_share_a_long_system_prompt():
    texts = [p.text for p in load_demo().prompts]
    assert all(t.startswith("You are Nova") for t in texts)


MINIMAL = """\
schema_version: 1
name: t
primary_model: gpt-5
workload:
  requests_per_day: 100
  horizon_months: 6
  start_month: 2027-01
prompts:
  - name: a
    tokens: 1000
    output_tokens: 100
"""


def test_minimal_file_and_defaults():
    s, errors = parse_scenario(MINIMAL, "m.yaml")
    assert errors == []
    assert s.workload.requests_per_day == Decimal(100) and s.workload.start_month.isoformat() == "2027-01-01"
    assert s.prompts[0].fixed_tokens == 1000 and not s.levers.caching.enabled


@pytest.mark.parametrize("bad, field, line, words", [
    ("  requests_per_day: -5\n", "workload.requests_per_day", 5, "negative"),
    ("  requests_per_day: .nan\n", "workload.requests_per_day", 5, "finite"),
    ("  requests_per_day: lots\n", "workload.requests_per_day", 5, "number"),
    ("  requests_per_day: 1e308\n", "workload.requests_per_day", 5, "implausibly large"),
])
def test_bad_values_name_field_and_line(bad, field, line, words):
    text = MINIMAL.replace("  requests_per_day: 100\n", bad)
    s, errors = parse_scenario(text, "plan.yaml")
    assert s is None
    assert errors[0].field == field and errors[0].line == line and words in errors[0].message
    assert errors[0].file == "plan.yaml"


def test_unknown_keys_and_wrong_schema_version():
    _, errors = parse_scenario(MINIMAL.replace("name: t\n", "name: t\ncolour: red\n"), "p.yaml")
    assert errors[0].field == "colour" and errors[0].line == 3
    _, errors = parse_scenario(MINIMAL.replace("schema_version: 1", "schema_version: 9"), "p.yaml")
    assert "schema_version" in errors[0].message
    _, errors = parse_scenario(MINIMAL + "levers:\n  caching: {enabled: yes, hit_rate: 1.5}\n", "p.yaml")
    assert errors[0].field == "levers.caching.hit_rate" and errors[0].line == 13 and "between 0 and 1" in errors[0].message


def test_horizon_is_bounded():
    _, errors = parse_scenario(MINIMAL.replace("horizon_months: 6", "horizon_months: 37"), "p.yaml")
    assert errors[0].field == "workload.horizon_months"


def test_save_is_atomic_and_keeps_backup(tmp_path):
    path = tmp_path / "plan.yaml"
    first = Scenario(name="first", prompts=(PromptSpec("a", "hello"),))
    second = replace(first, name="second")
    save_scenario(first, path)
    save_scenario(second, path)
    assert load_scenario(path)[0].name == "second"
    assert load_scenario(tmp_path / "plan.yaml.bak")[0].name == "first"
    assert oct(path.stat().st_mode & 0o777) != oct(0o600)


def test_failed_save_leaves_previous_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "plan.yaml"
    save_scenario(Scenario(name="v1"), path)
    save_scenario(Scenario(name="v2"), path)

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomicio.os, "replace", broken_replace)
    with pytest.raises(OSError):
        save_scenario(Scenario(name="v3"), path)
    monkeypatch.undo()
    assert load_scenario(path)[0].name == "v2"
    assert load_scenario(tmp_path / "plan.yaml.bak")[0].name == "v2" or \
        load_scenario(tmp_path / "plan.yaml.bak")[0].name == "v1"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_unreadable_file_is_an_error_value(tmp_path):
    s, errors = load_scenario(tmp_path / "missing.yaml")
    assert s is None and "cannot read" in errors[0].message
    (tmp_path / "bin.yaml").write_bytes(b"\x00\x01binary")
    s, errors = load_scenario(tmp_path / "bin.yaml")
    assert s is None and errors
