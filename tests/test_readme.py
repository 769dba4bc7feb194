"""The README stays true: its estimate table is the one the code uses, its test command is CI's."""
from __future__ import annotations

from pathlib import Path

from core.tokens.counting import estimate_table_markdown

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_estimate_table_matches_the_code():
    assert estimate_table_markdown() in README


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    command = "python -m pip install -q -e '.[test]' && python -m pytest -q"
    assert command in README and command in ci


def test_ci_runs_the_fuzz_profile_as_a_second_step_with_its_own_time_limit():
    from tests import profiles

    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    steps = [line for line in ci.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    command = "python -m pip install -q -e '.[test]' && python -m pytest -q"
    fuzz = steps[steps.index(command) + 1]  # the README's command is a line of its own, then this
    assert fuzz.startswith(f"{profiles.PROFILE_ENV}={profiles.FUZZ} timeout ")
    assert "python -m pytest" in fuzz and "-m hypothesis" in fuzz
