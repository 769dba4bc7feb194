"""Price-file import: both formats into per-1M Decimal prices; every bad input is an error value."""
from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from core.prices.files import reader as price_import
from core.prices.files.records import ImportResult
from core.prices.files.genai import parse_genai_prices
from core.prices.files.litellm import parse_litellm
from core.prices.files.reader import parse_price_bytes, read_price_file
from core.prices.files import reading
from core.prices.files.reading import per_token_to_per_mtok
from core.base.problems import Problem

FIXTURES = Path(__file__).parent / "fixtures" / "prices"


def prices(result: ImportResult, ref: str, on: date | None = None) -> dict[str, Decimal]:
    return {f: p.value for f, p in result.models[ref].prices_on(on or date(2026, 11, 26)).items()}


# --- LiteLLM ---------------------------------------------------------------------------------


@pytest.mark.parametrize("per_token, per_mtok", [
    (1.25e-06, "1.25"), (1.25e-07, "0.125"), (1e-05, "10"), (3.0000000000000004e-06, "3"),
    (0.0, "0"), (2.5e-08, "0.025"), (Decimal("6.25E-7"), "0.625"), ("0.000002", "2"),
])
def test_per_token_floats_become_exact_per_mtok_decimals(per_token, per_mtok):
    value = per_token_to_per_mtok(per_token)
    assert value == Decimal(per_mtok)
    assert "E" not in format(value, "f")


def test_litellm_fields_map_to_catalog_fields():
    result = read_price_file(FIXTURES / "litellm_small.json")
    assert result.format == "litellm" and result.errors == ()
    assert prices(result, "claude-sonnet-4-5-20250929") == {
        "input": Decimal("3"), "cached_input": Decimal("0.3"), "cache_write_5m": Decimal("3.75"),
        "cache_write_1h": Decimal("6"), "output": Decimal("15")}
    gpt5 = result.models["gpt-5"]
    assert gpt5.provider == "openai" and gpt5.context_window == 272000 and gpt5.max_output == 128000
    assert prices(result, "gpt-5")["batch_multiplier"] == Decimal("0.5")


def test_litellm_above_200k_keys_become_a_whole_request_tier():
    result = read_price_file(FIXTURES / "litellm_small.json")
    got = prices(result, "gemini/gemini-3.1-pro-preview")
    assert got["long_context.threshold"] == 200000
    assert (got["long_context.input"], got["long_context.cached_input"], got["long_context.output"]) == (
        Decimal("4"), Decimal("0.4"), Decimal("18"))


def test_litellm_tiered_pricing_table_first_range_is_base_second_is_tier():
    got = prices(read_price_file(FIXTURES / "litellm_small.json"), "dashscope/qwen-flash")
    assert got["input"] == Decimal("0.05") and got["output"] == Decimal("0.4")
    assert got["long_context.threshold"] == 256000 and got["long_context.input"] == Decimal("0.25")


def test_litellm_skips_spec_and_non_text_models():
    result = read_price_file(FIXTURES / "litellm_small.json")
    assert "sample_spec" not in result.models
    assert "text-embedding-9" not in result.models
    assert result.skipped == 1


def test_litellm_partial_file_keeps_good_entries_and_names_each_problem():
    result = read_price_file(FIXTURES / "litellm_partial.json")
    assert set(result.models) == {"gpt-5", "claude-sonnet-4-5"}  # half-read entries are dropped
    by_field = {e.field: e for e in result.errors}
    assert all(isinstance(e, Problem) and e.file == "litellm_partial.json" for e in result.errors)
    negative = by_field["bad-negative.input_cost_per_token"]
    assert "negative" in negative.message and negative.line == 9
    assert "cheap" in by_field["bad-text-price.input_cost_per_token"].message
    assert by_field["bad-text-price.output_cost_per_token"].message.startswith("expected a number")
    assert by_field["not-an-object"].line == 20
    assert "plausible" in by_field["bad-huge.input_cost_per_token"].message
    # A bad context window is reported, but the model's prices still count.
    assert "claude-sonnet-4-5.max_input_tokens" in by_field
    assert prices(result, "claude-sonnet-4-5")["output"] == Decimal("15")


def test_key_paths_quote_keys_with_dots():
    assert reading.key_path("gpt-5.4", "input_cost_per_token") == '["gpt-5.4"].input_cost_per_token'
    assert reading.key_path("providers", "openai", "models", 3) == "providers.openai.models[3]"


# --- genai-prices ----------------------------------------------------------------------------


def test_genai_tiered_prices_become_the_long_context_tier():
    result = read_price_file(FIXTURES / "genai_small.json")
    assert result.format == "genai-prices" and result.errors == ()
    got = prices(result, "anthropic/claude-sonnet-4-5")
    assert got["input"] == 3 and got["cache_write_5m"] == Decimal("3.75") and got["cache_write_1h"] == 6
    assert got["long_context.threshold"] == 200000 and got["long_context.output"] == Decimal("22.5")
    model = result.models["anthropic/claude-sonnet-4-5"]
    assert model.checked == date(2026, 7, 29) and model.name == "Claude Sonnet 4.5"
    assert "claude-sonnet-4.5" in model.aliases


def test_genai_conditional_prices_switch_on_their_start_date():
    result = read_price_file(FIXTURES / "genai_small.json")
    before = prices(result, "anthropic/claude-sonnet-4-6", date(2026, 3, 12))
    after = prices(result, "anthropic/claude-sonnet-4-6", date(2026, 3, 13))
    assert before["long_context.input"] == 6
    assert "long_context.input" not in after and after["input"] == 3  # sets are complete, not overlays
    terra = result.models["openai/gpt-5.6-terra"]
    assert terra.prices_on(date(2026, 7, 29))["input"].value == Decimal("2.5")
    assert terra.prices_on(date(2026, 7, 30))["input"].value == 2
    assert terra.scheduled_after(date(2026, 7, 1)) == (date(2026, 7, 30),)


def test_genai_time_of_day_prices_are_skipped_not_applied():
    got = prices(read_price_file(FIXTURES / "genai_small.json"), "deepseek/deepseek-chat")
    assert got["input"] == Decimal("0.27")


def test_genai_refs_are_provider_qualified():
    result = read_price_file(FIXTURES / "genai_small.json")
    assert "openrouter/anthropic/claude-sonnet-4.5" in result.models
    assert result.models["openrouter/anthropic/claude-sonnet-4.5"].model_id == "anthropic/claude-sonnet-4.5"


def test_genai_partial_file_reports_each_problem_and_keeps_good_models():
    result = read_price_file(FIXTURES / "genai_partial.json")
    assert set(result.models) == {"openai/gpt-5", "openai/bad-tiers"}
    reasons = {e.field: e.message for e in result.errors}
    assert "negative" in reasons["providers.openai.models.bad-negative.prices.input_mtok"]
    assert "non-empty" in reasons["providers.openai.models[2].id"]
    assert "different token counts" in reasons["providers.openai.models.bad-tiers.prices"]
    assert "next tuesday" in reasons["providers.openai.models.bad-date.prices[0].constraint.start_date"]
    assert "expected a list" in reasons["providers.mistral.models"]
    # The tier that cannot be represented is dropped; the base prices stay.
    assert prices(result, "openai/bad-tiers") == {"input": 1, "output": 4}


def test_genai_provider_yaml_file_reads_with_line_numbers():
    result = read_price_file(FIXTURES / "genai_provider.yml")
    assert result.format == "genai-prices"
    assert set(result.models) == {"google/gemini-3.1-pro-preview", "google/gemini-3.6-flash"}
    (error,) = result.errors
    assert error.line == 54 and error.field.endswith("gemini-broken.prices.input_mtok")
    flash = result.models["google/gemini-3.6-flash"]
    assert flash.prices_on(date(2026, 12, 31))["input"].value == Decimal("0.75")
    assert flash.prices_on(date(2027, 1, 1))["input"].value == Decimal("1.5")


# --- malformed files -------------------------------------------------------------------------


@pytest.mark.parametrize("name, reason, line", [
    ("litellm_truncated.json", "invalid JSON", 9),
    ("litellm_nan.json", "NaN", None),
    ("not_utf8.json", "not UTF-8", None),
    ("binary.json", "binary", None),
    ("not_a_price_file.json", "not a recognised price file", None),
])
def test_malformed_files_yield_one_error_and_no_models(name, reason, line):
    result = read_price_file(FIXTURES / name)
    assert not result.ok and result.models == {}
    (error,) = result.errors
    assert reason in error.message and error.file == name and error.line == line


def test_missing_file_is_an_error_value(tmp_path):
    result = read_price_file(tmp_path / "nope.json")
    assert not result.ok and "cannot read" in result.errors[0].message


def test_empty_and_oversized_files_are_refused(monkeypatch):
    assert "empty" in parse_price_bytes(b"  \n", "e.json").errors[0].message
    monkeypatch.setattr(price_import, "MAX_IMPORT_BYTES", 100)
    big = parse_price_bytes(b"{" + b" " * 200 + b"}", "big.json")
    assert "larger than" in big.errors[0].message


def test_deeply_nested_json_is_an_error_not_a_crash():
    result = parse_price_bytes(b"[" * 100_000 + b"]" * 100_000, "deep.json")
    assert not result.ok and "invalid JSON" in result.errors[0].message


def test_forcing_the_wrong_format_gives_errors_not_a_crash():
    litellm_as_genai = read_price_file(FIXTURES / "litellm_small.json", "genai-prices")
    genai_as_litellm = read_price_file(FIXTURES / "genai_small.json", "litellm")
    assert not litellm_as_genai.ok and litellm_as_genai.errors
    assert not genai_as_litellm.ok and genai_as_litellm.errors


def test_unknown_format_name_is_an_error():
    assert "unknown format" in parse_price_bytes(b"{}", "x.json", "csv").errors[0].message


def test_error_flood_is_capped():
    data = {f"m{i}": {"mode": "chat", "input_cost_per_token": "x"} for i in range(1000)}
    result = parse_litellm(data, "flood.json", text=json.dumps(data))
    assert len(result.errors) == reading.MAX_ERRORS + 1
    assert "more problems" in result.errors[-1].message


def test_parsers_accept_already_decoded_structures_with_floats():
    result = parse_litellm({"m": {"mode": "chat", "input_cost_per_token": 1e-06,
                                  "output_cost_per_token": float("inf")}}, "x")
    assert result.models == {} and "finite" in result.errors[0].message
    genai = parse_genai_prices({"id": "p", "models": [{"id": "m", "prices": {"input_mtok": 0.1}}]}, "y")
    assert genai.models["p/m"].prices[0].value == Decimal("0.1")
