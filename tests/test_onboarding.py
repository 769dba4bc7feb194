"""First steps: `main.py plan.yaml` opens the plan, and a hand-written plan may leave out schema_version."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from core.plan import parse_scenario

ROOT = Path(__file__).resolve().parents[1]
PLAN = "name: Hand-written\nprimary_model: gpt-5\nworkload: {requests_per_day: 250}\n"


def test_a_plan_without_schema_version_is_read_as_the_current_version():
    scenario, problems = parse_scenario(PLAN, "plan.yaml")
    assert problems == [] and scenario.name == "Hand-written"
    assert scenario.workload.requests_per_day == 250
    _, problems = parse_scenario("schema_version: 7\n" + PLAN, "plan.yaml")
    assert [p.field for p in problems] == ["schema_version"]  # a version we do not know is still refused


def test_main_with_a_yaml_file_opens_it_in_the_app(tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN, encoding="utf-8")
    shot = tmp_path / "shot.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "TOKEN_BUDGET_DATA_DIR": str(tmp_path / "data")}
    run = subprocess.run([sys.executable, str(ROOT / "main.py"), str(plan), "--screenshot", str(shot),
                          "--size", "800x600"], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    assert shot.stat().st_size > 10_000
    # and a word that is neither a command nor a plan is still a one-line error
    bad = subprocess.run([sys.executable, str(ROOT / "main.py"), "plot"], capture_output=True, text=True,
                         cwd=tmp_path, env=env, timeout=60)
    assert bad.returncode == 2 and bad.stderr.startswith("error: unknown command 'plot'")


def test_the_schema_document_names_every_field_the_loader_reads():
    from core.plan.validation import LEVER_FIELDS, PROMPT_FIELDS, WORKLOAD_FIELDS

    doc = (ROOT / "docs" / "scenario-schema.md").read_text(encoding="utf-8")
    top = ["schema_version", "name", "notes", "primary_model", "comparison_models", "workload", "prompts", "levers"]
    names = [*top, *WORKLOAD_FIELDS, *PROMPT_FIELDS, "text", *LEVER_FIELDS,
             *(f for _cls, fields in LEVER_FIELDS.values() for f in fields if f != "enabled")]
    missing = [n for n in names if f"`{n}`" not in doc]
    assert missing == []
