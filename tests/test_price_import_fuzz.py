"""Fuzzing: both price-file parsers and the cross-check return error values on any input, never raise."""
from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from hypothesis import HealthCheck, given, settings, strategies as st
from tests.profiles import examples

from core.prices.catalog import parse_catalog
from core.prices.files.compare import cross_check
from core.prices.files.matching import normalize_model_key
from core.prices.files.records import ALL_FIELDS, ImportResult
from core.prices.files.reader import FORMATS, parse_price_bytes
from core.prices.files.genai import parse_genai_prices
from core.prices.files.litellm import parse_litellm
from core.base.numbers import MAX_PRICE_PER_MTOK
from core.base.problems import Problem

FUZZ = settings(max_examples=examples(2000), deadline=None, suppress_health_check=list(HealthCheck))
DAY = date(2026, 11, 26)

CATALOG, _ = parse_catalog("""\
schema_version: 1
models:
  - id: gpt-5
    provider: openai
    name: GPT-5
    tokenizer: o200k_base
    prices: {input: "1.25", cached_input: "0.125", output: "10.00"}
    long_context: {threshold: 272000, prices: {input: "2.50", output: "15.00"}}
    batch_multiplier: "0.5"
    source: fuzz
    checked: 2026-08-21
  - id: claude-sonnet-4-5
    provider: anthropic
    name: Claude Sonnet 4.5
    tokenizer: estimate:anthropic
    prices: {input: "3.00", output: "15.00"}
    source: fuzz
    checked: 2026-07-29
""", "fuzz-catalog.yaml")

numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**25, 10**25),
    st.decimals(allow_nan=True, allow_infinity=True), st.booleans(), st.none(),
    st.sampled_from(["1e-06", "0.000003", "-1", "NaN", "1e999999999", "abc", "", "4096.0"]),
    st.text(max_size=6),
)
# Generating data dominates the run time on a loaded machine, so nested positions draw a flat
# `junk` value and only the top level uses the recursive `json_like`.
json_like = st.recursive(
    numbers | st.text(max_size=12),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8)
junk = st.one_of(numbers, st.lists(numbers, max_size=2), st.dictionaries(st.text(max_size=6), numbers, max_size=2))
model_names = st.sampled_from([
    "gpt-5", "gemini/gemini-3.1-pro-preview", "claude-sonnet-4-5-20250929", "sample_spec",
    "us.anthropic.claude-sonnet-4-5-20250929-v1:0", "openrouter/x/y", "", "a/b/c/", "@@", "-v1:0",
]) | st.text(max_size=30)

def usually(good, bad) -> st.SearchStrategy:
    """`good` three times in four. (`good | bad` would flatten into bad's many branches.)"""
    return st.integers(0, 3).flatmap(lambda pick: good if pick else bad)


def mutated(templates: list, keys: list, values) -> st.SearchStrategy:
    """A valid template with up to two keys overwritten by `values` and up to two removed.

    Building structures from scratch makes almost every draw invalid (one bad price drops an
    entry) and spends the time budget inside Hypothesis; mutating realistic entries keeps most
    draws deep enough to reach matching, tiers and the cross-check, at a fraction of the cost.
    """
    def build(base, patch, drop):
        merged = {**base, **patch}
        return {k: v for k, v in merged.items() if k not in drop}

    return st.builds(build, st.sampled_from(templates),
                     st.dictionaries(st.sampled_from(keys), values, max_size=2),
                     st.sets(st.sampled_from(keys), max_size=2))


LITELLM_TEMPLATES = [
    {"litellm_provider": "openai", "mode": "chat", "input_cost_per_token": 1.25e-06,
     "output_cost_per_token": 1e-05, "cache_read_input_token_cost": 1.25e-07,
     "input_cost_per_token_batches": 6.25e-07, "output_cost_per_token_batches": 5e-06,
     "max_input_tokens": 272000, "max_output_tokens": 128000},
    {"litellm_provider": "gemini", "mode": "chat", "input_cost_per_token": 2e-06,
     "output_cost_per_token": 1.2e-05, "input_cost_per_token_above_200k_tokens": 4e-06,
     "output_cost_per_token_above_200k_tokens": 1.8e-05,
     "cache_read_input_token_cost_above_200k_tokens": 4e-07, "deprecation_date": "2027-01-01"},
    {"litellm_provider": "anthropic", "mode": "chat", "input_cost_per_token": 3.0000000000000004e-06,
     "output_cost_per_token": 1.5e-05, "cache_creation_input_token_cost": 3.75e-06,
     "cache_creation_input_token_cost_above_1hr": 6e-06, "cache_read_input_token_cost": 3e-07},
    {"litellm_provider": "dashscope", "mode": "chat", "tiered_pricing": [
        {"input_cost_per_token": 5e-08, "output_cost_per_token": 4e-07, "range": [0, 256000.0]},
        {"input_cost_per_token": 2.5e-07, "output_cost_per_token": 2e-06, "range": [256000.0, 1e6]}]},
    {"litellm_provider": "bedrock", "mode": "embedding", "input_cost_per_token": 1e-07},
]
LITELLM_KEYS = sorted({k for t in LITELLM_TEMPLATES for k in t} | {
    "input_cost_per_token_above_99999k_tokens", "cache_creation_input_token_cost_above_272k_tokens"})
litellm_values = st.one_of(numbers, st.floats(0, 1e-3), st.sampled_from(["chat", "embedding", "openai"]), junk,
                           st.lists(st.fixed_dictionaries({"range": junk, "input_cost_per_token": numbers}), max_size=2))
litellm_entries = mutated(LITELLM_TEMPLATES, LITELLM_KEYS, litellm_values)
litellm_files = st.one_of(st.dictionaries(model_names, litellm_entries, max_size=5),
                          st.dictionaries(model_names, litellm_entries | junk, max_size=3), json_like)

PRICE_TEMPLATES = [
    {"input_mtok": 1.25, "cache_read_mtok": 0.125, "output_mtok": 10},
    {"input_mtok": {"base": 3, "tiers": [{"start": 200000, "price": 6}]},
     "cache_write_mtok": {"base": 3.75, "tiers": [{"start": 200000, "price": 7.5}]},
     "cache_write_1h_mtok": 6, "output_mtok": {"base": 15, "tiers": [{"start": 200000, "price": 22.5}]}},
    {"input_mtok": 0.27, "cache_write_5m_mtok": 0.3, "cache_write_mtok": 0.27, "output_mtok": 1.1,
     "input_audio_mtok": 4, "requests_kcount": 1},
]
PRICE_KEYS = sorted({k for t in PRICE_TEMPLATES for k in t})
tier_values = st.one_of(numbers, st.fixed_dictionaries({"base": numbers, "tiers": st.lists(
    st.fixed_dictionaries({"start": numbers, "price": numbers}), max_size=2) | junk}), junk)
price_sets = mutated(PRICE_TEMPLATES, PRICE_KEYS, tier_values)
constraints = st.one_of(st.fixed_dictionaries({"start_date": st.dates().map(str)}),
                        st.fixed_dictionaries({"start_date": numbers | st.text(max_size=10)}),
                        st.fixed_dictionaries({"start_time": st.text(max_size=8), "end_time": st.text(max_size=8)}),
                        junk)
conditional = st.lists(st.fixed_dictionaries({"prices": price_sets}, optional={"constraint": constraints}),
                       max_size=2)
MODEL_TEMPLATES = [
    {"id": "gpt-5", "match": {"or": [{"equals": "gpt-5"}, {"equals": "gpt-5-2025-08-07"}]},
     "context_window": 400000, "prices_checked": "2026-08-21"},
    {"id": "claude-sonnet-4-5", "name": "Claude Sonnet 4.5",
     "match": {"or": [{"starts_with": "claude-sonnet-4.5"}, {"and": [{"contains": "x"}]}]}},
    {"id": "anthropic/claude-sonnet-4.5", "match": {"regex": "^claude-(.*)+$"}, "deprecated": True},
]
MODEL_KEYS = ["id", "match", "name", "context_window", "prices_checked", "deprecated", "removed"]
genai_models = st.builds(lambda model, prices: {**model, "prices": prices},
                         mutated(MODEL_TEMPLATES, MODEL_KEYS, numbers | junk | model_names),
                         usually(price_sets | conditional, junk))
providers = st.builds(lambda pid, models: {"id": pid, "models": models},
                      usually(st.sampled_from(["openai", "anthropic", "google", "x-ai", "openrouter"]), numbers),
                      usually(st.lists(genai_models, max_size=3), junk))
genai_files = st.one_of(st.lists(providers, max_size=3), providers, st.lists(providers | junk, max_size=2),
                        json_like)


def assert_well_formed(result: ImportResult) -> None:
    assert isinstance(result, ImportResult)
    for error in result.errors:
        assert isinstance(error, Problem) and isinstance(error.message, str) and error.message
        assert error.line is None or error.line >= 1
    for model in result.models.values():
        for price in model.prices:
            assert price.field in ALL_FIELDS
            assert isinstance(price.value, Decimal) and price.value.is_finite()
            assert Decimal(0) <= price.value <= max(MAX_PRICE_PER_MTOK, Decimal(100_000_000))
        model.prices_on(DAY)
        model.scheduled_after(DAY)
    diff = cross_check(CATALOG, result, DAY)  # whatever was read must also be comparable
    diff.to_dict()


@FUZZ
@given(raw=st.binary(max_size=3000), fmt=st.sampled_from(FORMATS),
       name=st.sampled_from(["f.json", "f.yml", "data"]))
def test_arbitrary_bytes(raw, fmt, name):
    assert_well_formed(parse_price_bytes(raw, name, fmt))


@FUZZ
@given(text=st.text(alphabet=st.sampled_from(list('{}[]":,.-eE0123456789 \n\tabcdfilnprstu_/\\')) | st.characters(),
                    max_size=400),
       fmt=st.sampled_from(FORMATS), name=st.sampled_from(["f.json", "f.yaml"]))
def test_json_ish_text(text, fmt, name):
    assert_well_formed(parse_price_bytes(text.encode("utf-8", "surrogatepass"), name, fmt))


@FUZZ
@given(data=litellm_files)
def test_litellm_structures(data):
    assert_well_formed(parse_litellm(data, "fuzz.json"))
    encoded = json.dumps(data, default=str).encode()
    assert_well_formed(parse_price_bytes(encoded, "fuzz.json", "litellm"))


@FUZZ
@given(data=genai_files)
def test_genai_prices_structures(data):
    assert_well_formed(parse_genai_prices(data, "fuzz.json"))
    encoded = json.dumps(data, default=str).encode()
    assert_well_formed(parse_price_bytes(encoded, "fuzz.json", "auto"))


@FUZZ
@given(key=st.text(max_size=60))
def test_normalizer_is_total(key):
    assert isinstance(normalize_model_key(key), str)
