"""`prices check / import / calibrate`: exit 0 when they ran, one-line errors (exit 2) for user mistakes."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.prices.catalog import parse_catalog
from cli import run

FIXTURES = Path(__file__).parent / "fixtures" / "prices"
LITELLM = str(FIXTURES / "litellm_small.json")

CATALOG = """\
schema_version: 1
models:
  - id: gpt-5
    provider: openai
    name: GPT-5
    tokenizer: o200k_base
    prices: {input: "1.25", cached_input: "0.125", output: "11.00"}
    source: test
    checked: 2026-08-21
  - id: claude-sonnet-4-5
    provider: anthropic
    name: Claude Sonnet 4.5
    tokenizer: estimate:anthropic
    prices: {input: "3.00", cached_input: "0.30", cache_write_5m: "3.75", output: "15.00"}
    source: test
    checked: 2026-07-29
  - id: mistral-large-3
    provider: mistral
    name: Mistral Large 3
    tokenizer: estimate:mistral
    prices: {input: "0.50", output: "1.50"}
    source: test
    checked: 2026-06-01
"""


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """A fixture catalog instead of the bundled one (being edited elsewhere); app data in tmp_path."""
    monkeypatch.setenv("TOKEN_BUDGET_DATA_DIR", str(tmp_path))
    catalog, errors = parse_catalog(CATALOG, "cli-test.yaml")
    assert errors == []
    monkeypatch.setattr("cli.prices_cmd.load_catalog_or_fail", lambda: catalog)
    return tmp_path


def cli(capsys, *argv):
    code = run(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --- check -----------------------------------------------------------------------------------


def test_check_lists_disagreements_and_exits_0(capsys):
    code, out, err = cli(capsys, "prices", "check", LITELLM)
    assert code == 0 and err == ""
    assert "1 disagreement(s) over 1%" in out
    row = next(line for line in out.splitlines() if line.startswith("gpt-5 "))
    assert "11.00" in row and "10.00" in row and "-9.1%" in row
    assert "Catalog models the file lacks (1): mistral-large-3" in out
    assert "gpt-9-mini" in out


def test_check_json(capsys):
    code, out, _ = cli(capsys, "prices", "check", LITELLM, "--json")
    payload = json.loads(out)
    assert code == 0 and payload["format"] == "litellm"
    assert [d["key"] for d in payload["disagreements"]] == ["gpt-5:output"]
    assert payload["disagreements"][0]["ours"] == "11.00" and payload["disagreements"][0]["theirs"] == "10"
    assert payload["only_in_catalog"] == ["mistral-large-3"]


def test_check_genai_prices_with_forced_format(capsys):
    code, out, _ = cli(capsys, "prices", "check", str(FIXTURES / "genai_small.json"),
                       "--format", "genai-prices", "--on", "2026-11-26")
    assert code == 0 and "genai-prices" in out and "prices in force on 2026-11-26" in out


def test_partial_file_warns_on_stderr_and_still_exits_0(capsys):
    code, out, err = cli(capsys, "prices", "check", str(FIXTURES / "litellm_partial.json"))
    assert code == 0 and "warning:" in err and "negative" in err and "Cross-check" in out


@pytest.mark.parametrize("name", ["litellm_truncated.json", "binary.json", "not_utf8.json",
                                  "not_a_price_file.json", "litellm_nan.json"])
def test_unusable_file_is_a_one_line_error_exit_2(capsys, name):
    code, out, err = cli(capsys, "prices", "check", str(FIXTURES / name))
    assert code == 2 and out == "" and err.count("\n") == 1 and err.startswith("error: cannot use")


def test_missing_file_is_a_user_error(capsys, tmp_path):
    code, _, err = cli(capsys, "prices", "check", str(tmp_path / "nope.json"))
    assert code == 2 and "no such file" in err


def test_bad_option_is_one_line(capsys):
    code, _, err = cli(capsys, "prices", "check", LITELLM, "--format", "csv")
    assert code == 2 and err.count("\n") == 1


# --- import ----------------------------------------------------------------------------------


def test_import_defaults_to_a_dry_run(capsys, isolated):
    code, out, _ = cli(capsys, "prices", "import", LITELLM)
    assert code == 0 and "Dry run: nothing written" in out and "--accept" in out
    assert not (isolated / "models.yaml").exists()


def test_import_writes_only_accepted_items_to_the_user_file(capsys, isolated):
    code, out, _ = cli(capsys, "prices", "import", LITELLM, "--accept", "gpt-5:output")
    assert code == 0 and "Wrote 1 model(s)" in out
    from core.prices.catalog import load_catalog_file

    user, errors = load_catalog_file(isolated / "models.yaml", "user")
    assert errors == [] and list(user.models) == ["gpt-5"]
    assert str(user.get("gpt-5").rates_on().output_per_mtok) == "10.00"
    assert user.get("gpt-5").source.startswith("imported from litellm_small.json on ")


def test_import_all_plus_a_named_new_model_json(capsys, isolated):
    code, out, _ = cli(capsys, "prices", "import", LITELLM, "--accept", "all,gpt-9-mini", "--json")
    payload = json.loads(out)
    assert code == 0 and payload["written"] == str(isolated / "models.yaml")
    assert "gpt-9-mini" in payload["accepted"] and "gpt-5:output" in payload["accepted"]
    assert payload["write_errors"] == []


def test_import_unknown_accept_key_is_a_user_error(capsys, isolated):
    code, _, err = cli(capsys, "prices", "import", LITELLM, "--accept", "no-such-model")
    assert code == 2 and "no-such-model" in err and err.count("\n") == 1
    assert not (isolated / "models.yaml").exists()


# --- calibrate -------------------------------------------------------------------------------


def test_calibrate_record_list_and_reset(capsys, isolated):
    code, out, _ = cli(capsys, "prices", "calibrate", "claude-sonnet-4-5", "--estimate", "10,000",
                       "--billed", "11500")
    assert code == 0 and "factor 1.1500" in out and "calibrated (± 3%)" in out
    assert (isolated / "calibration.yaml").exists()
    code, out, _ = cli(capsys, "prices", "calibrate", "--json")
    (entry,) = json.loads(out)["calibrations"]
    assert entry["model"] == "claude-sonnet-4-5" and entry["factor"] == pytest.approx(1.15)
    code, out, _ = cli(capsys, "prices", "calibrate", "--reset", "claude-sonnet-4-5")
    assert code == 0 and "removed" in out
    code, out, _ = cli(capsys, "prices", "calibrate")
    assert code == 0 and "No calibrations yet" in out


def test_calibrate_exact_model_notes_that_counts_stay_exact(capsys):
    code, _, err = cli(capsys, "prices", "calibrate", "gpt-5", "--estimate", "1000", "--billed", "1010")
    assert code == 0 and "exact" in err


@pytest.mark.parametrize("argv, words", [
    (["claude-sonnet-4-5", "--estimate", "1000"], "--billed"),
    (["claude-sonnet-4-5", "--estimate", "1000", "--billed", "9000"], "not a tokenizer difference"),
    (["no-such-model", "--estimate", "1000", "--billed", "1100"], "unknown model"),
    (["claude-sonnet-4-5", "--reset", "claude-sonnet-4-5"], "either"),
    (["--estimate", "1000", "--billed", "1100"], "name the model"),
    (["claude-sonnet-4-5", "--estimate", "lots", "--billed", "1100"], "whole number"),
])
def test_calibrate_user_errors_are_one_line(capsys, isolated, argv, words):
    code, _, err = cli(capsys, "prices", "calibrate", *argv)
    assert code == 2 and words in err and err.count("\n") == 1
    assert not (isolated / "calibration.yaml").exists()


def test_import_that_cannot_write_exits_non_zero_and_names_the_file(capsys, isolated, monkeypatch):
    blocker = isolated / "not-a-folder"
    blocker.write_text("a file where the data folder should be", encoding="utf-8")
    monkeypatch.setenv("TOKEN_BUDGET_DATA_DIR", str(blocker))
    code, out, err = cli(capsys, "prices", "import", LITELLM, "--accept", "gpt-5:output")
    assert code == 1 and "Wrote" not in out
    assert f"nothing could be written to {blocker / 'models.yaml'}" in err
    code, out, _ = cli(capsys, "prices", "import", LITELLM, "--accept", "gpt-5:output", "--json")
    assert code == 1 and json.loads(out)["written"] is None
