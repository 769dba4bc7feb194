"""Cross-checking price files against the catalog, and writing accepted prices to the user override file."""
from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from core.prices.catalog import load_catalog, load_catalog_file, parse_catalog
from core.prices.files.compare import CHANGED, FIELD_MISSING, MISSING, NEW_FIELD, cross_check, resolve_accept
from core.prices.files.accept import apply_accepted, model_to_entry
from core.prices.files.matching import match_models, normalize_model_key
from core.prices.files.litellm import parse_litellm
from core.prices.files.reader import read_price_file

FIXTURES = Path(__file__).parent / "fixtures" / "prices"
ROOT = Path(__file__).resolve().parents[1]
DAY = date(2026, 11, 26)

CATALOG = """\
schema_version: 1
models:
  - id: gpt-5
    provider: openai
    name: GPT-5
    tokenizer: o200k_base
    context_window: 400000
    prices: {input: "1.25", cached_input: "0.125", cache_write_5m: "1.25", output: "10.00"}
    batch_multiplier: "0.5"
    batch_caching: false
    source: test
    checked: 2026-08-21
  - id: claude-sonnet-4-5
    provider: anthropic
    name: Claude Sonnet 4.5
    tokenizer: estimate:anthropic
    prices: {input: "3.00", cached_input: "0.30", cache_write_5m: "3.75", output: "15.00"}
    long_context: {threshold: 200000, prices: {input: "6.00", output: "22.50"}}
    source: test
    checked: 2026-07-29
    notes: keep me
  - id: gemini-3.1-pro-preview
    provider: google
    name: Gemini 3.1 Pro Preview
    tokenizer: estimate:gemini
    prices: {input: "2.00", cached_input: "0.20", output: "12.00"}
    long_context: {threshold: 200000, prices: {input: "4.00", cached_input: "0.40", output: "18.00"}}
    batch_multiplier: "0.5"
    priority_multiplier: "1.8"
    min_cache_prefix: 4096
    source: test
    checked: 2026-02-23
  - id: gpt-5.6-terra
    provider: openai
    name: GPT-5.6 Terra
    tokenizer: o200k_base
    prices: {input: "2.50", cached_input: "0.25", cache_write_5m: "3.125", output: "15.00"}
    changes:
      - effective: 2026-07-30
        prices: {input: "2.00", cached_input: "0.20", cache_write_5m: "2.50", output: "12.00"}
        note: 20% cut
    source: test
    checked: 2026-08-21
  - id: widget-7b
    provider: acme
    name: Widget 7B
    tokenizer: estimate:other
    prices: {input: "0.10", output: "0.20"}
    source: test
    checked: 2026-01-01
  - id: mistral-large-3
    provider: mistral
    name: Mistral Large 3
    tokenizer: estimate:mistral
    prices: {input: "0.50", output: "1.50"}
    source: test
    checked: 2026-06-01
"""


@pytest.fixture()
def catalog():
    cat, errors = parse_catalog(CATALOG, "test-catalog.yaml")
    assert errors == []
    return cat


def litellm(entries: dict) -> object:
    return parse_litellm(entries, "mini.json")


def chat(provider: str, input_per_token, output_per_token, **extra) -> dict:
    return {"litellm_provider": provider, "mode": "chat", "input_cost_per_token": input_per_token,
            "output_cost_per_token": output_per_token, **extra}


# --- matching --------------------------------------------------------------------------------


@pytest.mark.parametrize("key, slug", [
    ("gpt-5", "gpt-5"),
    ("gemini/gemini-3.1-pro-preview", "gemini-3.1-pro-preview"),
    ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
    ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5"),
    ("anthropic.claude-opus-4-6-v1", "claude-opus-4-6"),
    ("vertex_ai/claude-sonnet-4-5@20250929", "claude-sonnet-4-5"),
    ("openrouter/anthropic/claude-sonnet-4.5", "claude-sonnet-4-5"),
    ("gpt-5-2025-08-07", "gpt-5"),
    ("gpt-5.4", "gpt-5.4"),                         # dots in OpenAI/Gemini ids are kept
    ("mistral/mistral-large-2411", "mistral-large-2411"),  # 4-digit suffixes name other models
    ("fireworks_ai/accounts/fireworks/models/llama-v3p1-8b-instruct", "llama-3.1-8b-instruct"),
    ("together_ai/mistralai/Mistral-7B-Instruct-v0.3", "mistral-7b-instruct-v0.3"),
    ("fireworks_ai/accounts/fireworks/models/qwen2p5-72b-instruct", "qwen2.5-72b-instruct"),
    ("openai/gpt-4p5", "gpt-4p5"),                   # the 2p5 spelling is only Fireworks'
])
def test_normalize_model_key(key, slug):
    assert normalize_model_key(key) == slug


def test_host_spellings_follow_the_host_not_the_key():
    assert normalize_model_key("qwen3-1p7b", "fireworks") == "qwen3-1.7b"  # genai-prices: bare id
    assert normalize_model_key("qwen3-1p7b", "together") == "qwen3-1p7b"


def test_first_party_entries_win_over_vertex_bedrock_and_dated_snapshots(catalog):
    matches = match_models(catalog, read_price_file(FIXTURES / "litellm_small.json"), DAY)
    assert matches["gemini-3.1-pro-preview"].ref == "gemini/gemini-3.1-pro-preview"  # not Vertex
    assert matches["claude-sonnet-4-5"].ref == "claude-sonnet-4-5-20250929"  # not Bedrock us.
    assert matches["gpt-5"].ref == "gpt-5" and matches["gpt-5"].closeness == 0  # not the snapshot
    # Only a reseller lists widget-7b: it is used, and marked as such.
    assert matches["widget-7b"].provider_rank == 2


def test_reseller_is_ignored_when_the_vendor_lists_the_model(catalog):
    imported = litellm({
        "openrouter/openai/gpt-5": chat("openrouter", 9e-06, 9e-05),
        "gpt-5": chat("openai", 1.25e-06, 1e-05),
    })
    assert match_models(catalog, imported, DAY)["gpt-5"].ref == "gpt-5"


def test_hosted_open_models_match_only_their_own_host():
    cat, _ = parse_catalog(CATALOG.split("  - id: gpt-5\n")[0] + """\
  - id: fireworks-llama-3.1-8b-instruct
    provider: fireworks
    name: Llama 3.1 8B (Fireworks)
    tokenizer: estimate:llama
    prices: {input: "0.20", output: "0.20"}
    source: test
    checked: 2026-11-01
""", "c.yaml")
    imported = litellm({
        "together_ai/meta-llama/llama-3.1-8b-instruct": chat("together_ai", 1.8e-07, 1.8e-07),
        "fireworks_ai/accounts/fireworks/models/llama-v3p1-8b-instruct": chat("fireworks_ai", 2e-07, 2e-07),
    })
    match = match_models(cat, imported, DAY)["fireworks-llama-3.1-8b-instruct"]
    assert match.ref.startswith("fireworks_ai/")


def test_genai_match_literals_and_provider_qualified_ids(catalog):
    diff = cross_check(catalog, read_price_file(FIXTURES / "genai_small.json"), DAY)
    assert diff.matches["claude-sonnet-4-5"].ref == "anthropic/claude-sonnet-4-5"
    assert diff.matches["widget-7b"].ref == "openrouter/acme/widget-7b"


# --- the diff --------------------------------------------------------------------------------


def test_more_than_one_percent_is_a_disagreement_exactly_one_percent_is_not(catalog):
    imported = litellm({
        "gpt-5": chat("openai", Decimal("1.2625E-6"), Decimal("1.0101E-5")),  # +1.00%, +1.01%
        "claude-sonnet-4-5": chat("anthropic", Decimal("2.985E-6"), Decimal("1.5E-5")),  # -0.5%
    })
    diff = cross_check(catalog, imported, DAY)
    changed = {i.key: i for i in diff.disagreements}
    assert set(changed) == {"gpt-5:output"}
    item = changed["gpt-5:output"]
    assert (item.ours, item.theirs) == (Decimal("10.00"), Decimal("10.101"))
    assert item.rel_diff == Decimal("0.0101")


def test_cross_check_against_litellm_fixture(catalog):
    diff = cross_check(catalog, read_price_file(FIXTURES / "litellm_small.json"), DAY)
    kinds = {(i.kind, i.key) for i in diff.items}
    # Float noise (3.0000000000000004e-06) is no disagreement.
    assert not any(i.model_id == "claude-sonnet-4-5" and i.field == "input" for i in diff.items)
    assert (NEW_FIELD, "claude-sonnet-4-5:cache_write_1h") in kinds
    assert (FIELD_MISSING, "gpt-5:cache_write_5m") in kinds
    # The file has no tier for Claude; the catalog does: listed, never a disagreement.
    assert (FIELD_MISSING, "claude-sonnet-4-5:long_context.threshold") in kinds
    assert diff.only_in_catalog == ("gpt-5.6-terra", "mistral-large-3")
    # Only first-party text models of providers the catalog covers are offered as additions.
    assert diff.only_in_file == ("gpt-9-mini",)
    assert diff.counts()[CHANGED] == 0


def test_added_models_are_the_providers_own_and_hosts_get_prefixed_ids(catalog):
    imported = litellm({
        "vertex_ai/claude-opus-9": chat("vertex_ai-anthropic_models", 1e-05, 5e-05),
        "gemini/claude-opus-9": chat("gemini", 1e-05, 5e-05),  # another vendor's model
        "gemini/gemini-9-flash": chat("gemini", 1e-07, 4e-07),
        "fireworks_ai/accounts/fireworks/models/qwen2p5-72b-instruct": chat("fireworks_ai", 9e-07, 9e-07),
    })
    cat, _ = parse_catalog(CATALOG + """\
  - id: fireworks-other
    provider: fireworks
    name: Other (Fireworks)
    tokenizer: estimate:other
    prices: {input: "1", output: "1"}
    source: test
    checked: 2026-11-01
""", "c.yaml")
    diff = cross_check(cat, imported, DAY)
    assert diff.only_in_file == ("fireworks-qwen2.5-72b-instruct", "gemini-9-flash")


def test_cross_check_compares_the_prices_in_force_on_the_day(catalog):
    genai = read_price_file(FIXTURES / "genai_small.json")
    after = cross_check(catalog, genai, date(2026, 8, 1))
    assert not [i for i in after.disagreements if i.model_id == "gpt-5.6-terra"]
    before = cross_check(catalog, genai, date(2026, 7, 29))
    assert not [i for i in before.disagreements if i.model_id == "gpt-5.6-terra"]
    # The file before the cut against the catalog after it: every field disagrees by +25%.
    stale = parse_litellm({"gpt-5.6-terra": chat("openai", 2.5e-06, 1.5e-05,
                                                 cache_read_input_token_cost=2.5e-07)}, "old.json")
    items = cross_check(catalog, stale, date(2026, 8, 1)).disagreements
    assert {i.field for i in items} == {"input", "cached_input", "output"}
    assert all(i.rel_diff == Decimal("0.25") for i in items)


def test_genai_never_reports_batch_as_missing(catalog):
    diff = cross_check(catalog, read_price_file(FIXTURES / "genai_small.json"), DAY)
    assert not [i for i in diff.items if i.field == "batch_multiplier"]


def test_zero_in_catalog_against_a_price_is_flagged_without_a_ratio():
    cat, _ = parse_catalog(CATALOG.replace('input: "0.10", output: "0.20"', 'input: "0", output: "0.20"'), "c")
    diff = cross_check(cat, litellm({"widget-7b": chat("acme", 1e-07, 2e-07)}), DAY)
    (item,) = diff.disagreements
    assert item.key == "widget-7b:input" and item.rel_diff is None


def test_diff_to_dict_is_json_ready(catalog):
    import json

    diff = cross_check(catalog, read_price_file(FIXTURES / "litellm_small.json"), DAY)
    payload = json.loads(json.dumps(diff.to_dict()))
    assert payload["counts"][MISSING] == 2 and payload["only_in_file"][0]["model"] == "gpt-9-mini"
    assert payload["matched"]["widget-7b"]["reseller"] is True


# --- accepting -------------------------------------------------------------------------------


def test_resolve_accept(catalog):
    diff = cross_check(catalog, read_price_file(FIXTURES / "litellm_small.json"), DAY)
    assert resolve_accept(diff.items, "none") == (set(), [])
    everything, problems = resolve_accept(diff.items, "all")
    assert "claude-sonnet-4-5:cache_write_1h" in everything and "gpt-9-mini" not in everything
    assert problems == []
    named, _ = resolve_accept(diff.items, "all,gpt-9-mini")
    assert "gpt-9-mini" in named
    _, problems = resolve_accept(diff.items, "gpt-5:cache_write_5m,nope")  # field_missing: not applicable
    assert len(problems) == 2


def _stale_terra_diff(catalog):
    stale = parse_litellm({"gpt-5.6-terra": chat("openai", 2.2e-06, 1.5e-05),
                           "gpt-9-mini": chat("openai", 3e-07, 2.4e-06, max_input_tokens=400000)},
                          "prices.json")
    return cross_check(catalog, stale, DAY)


def test_apply_writes_a_full_override_entry_and_never_touches_the_bundled_file(catalog, tmp_path):
    bundled = ROOT / "resources" / "models.yaml"
    before = hashlib.sha256(bundled.read_bytes()).hexdigest() if bundled.exists() else None
    diff = _stale_terra_diff(catalog)
    user = tmp_path / "data" / "models.yaml"
    written, errors = apply_accepted(diff.items, {"gpt-5.6-terra:input"}, user, today=DAY)
    assert errors == [] and written == user
    overrides, load_errors = load_catalog_file(user, "user")
    assert load_errors == []
    terra = overrides.get("gpt-5.6-terra")
    assert terra.rates_on(DAY).input_per_mtok == Decimal("2.2")
    assert terra.rates_on(DAY).output_per_mtok == Decimal("12.00")  # not accepted: unchanged
    assert terra.rates_on(date(2026, 7, 1)).input_per_mtok == Decimal("2.50")  # history kept
    assert terra.source == "imported from prices.json on 2026-11-26" and terra.checked == DAY
    assert terra.name == "GPT-5.6 Terra" and terra.periods[1].note == "20% cut"
    text = user.read_text()
    assert text.count("schema_version: 1") == 1 and "&id" not in text
    if before is not None:
        assert hashlib.sha256(bundled.read_bytes()).hexdigest() == before


def test_model_to_entry_round_trips_every_catalog_model(catalog):
    import yaml

    entries = [model_to_entry(m) for m in catalog]
    again, errors = parse_catalog(yaml.safe_dump({"schema_version": 1, "models": entries}), "rt")
    assert errors == []
    for model in catalog:
        copy = again.get(model.id)
        assert copy.periods == model.periods and copy.batch_multiplier == model.batch_multiplier
        assert (copy.min_cache_prefix, copy.notes, copy.checked) == (model.min_cache_prefix, model.notes, model.checked)


def test_apply_merges_with_existing_overrides_and_keeps_a_backup(catalog, tmp_path):
    user = tmp_path / "models.yaml"
    user.write_text("""\
schema_version: 1
models:
  - id: my-private-model
    provider: acme
    name: Mine
    tokenizer: estimate:other
    prices: {input: "1", output: "2"}
    source: me
    checked: 2026-11-01
  - id: gpt-5.6-terra
    provider: openai
    name: Terra (my edit)
    tokenizer: o200k_base
    prices: {input: "2.00", output: "12.00"}
    source: me
    checked: 2026-11-01
""")
    original = user.read_text()
    diff = _stale_terra_diff(catalog)
    written, errors = apply_accepted(diff.items, {"gpt-5.6-terra", "gpt-9-mini"}, user, today=DAY)
    assert errors == [] and written == user
    assert (tmp_path / "models.yaml.bak").read_text() == original
    merged, load_errors = load_catalog_file(user, "user")
    assert load_errors == [] and list(merged.models) == ["my-private-model", "gpt-5.6-terra", "gpt-9-mini"]
    terra = merged.get("gpt-5.6-terra")
    assert terra.name == "Terra (my edit)"  # the user's own entry is the base, not the bundled one
    assert terra.rates_on(DAY).input_per_mtok == Decimal("2.2")
    new = merged.get("gpt-9-mini")
    assert new.provider == "openai" and new.tokenizer == "o200k_base" and new.context_window == 400000
    assert new.rates_on(DAY).output_per_mtok == Decimal("2.40")


def test_apply_nothing_accepted_writes_nothing(catalog, tmp_path):
    written, errors = apply_accepted(_stale_terra_diff(catalog).items, set(), tmp_path / "m.yaml")
    assert (written, errors) == (None, []) and not (tmp_path / "m.yaml").exists()


def test_apply_never_overwrites_a_broken_user_file(catalog, tmp_path):
    user = tmp_path / "models.yaml"
    user.write_text("schema_version: 1\nmodels: [unclosed\n")
    written, errors = apply_accepted(_stale_terra_diff(catalog).items, {"gpt-5.6-terra"}, user)
    assert written is None and any("nothing was written" in e.message for e in errors)
    assert user.read_text() == "schema_version: 1\nmodels: [unclosed\n"


def test_apply_refuses_the_bundled_catalog_path(catalog):
    from core.base.paths import bundled_catalog_path

    target = bundled_catalog_path()
    before = target.read_bytes() if target.exists() else None
    written, errors = apply_accepted(_stale_terra_diff(catalog).items, {"gpt-5.6-terra"}, target)
    assert written is None and "bundled" in errors[0].message
    assert (target.read_bytes() if target.exists() else None) == before


def test_new_long_context_tier_needs_its_threshold(catalog, tmp_path):
    imported = litellm({"gpt-5": chat("openai", 1.25e-06, 1e-05,
                                      input_cost_per_token_above_272k_tokens=2.5e-06,
                                      output_cost_per_token_above_272k_tokens=1.5e-05)})
    diff = cross_check(catalog, imported, DAY)
    written, errors = apply_accepted(diff.items, {"gpt-5:long_context.input"}, tmp_path / "m.yaml")
    assert written is None and "threshold" in errors[0].message
    written, errors = apply_accepted(diff.items, {"gpt-5"}, tmp_path / "m.yaml", today=DAY)
    assert errors == []
    tier = load_catalog_file(written, "user")[0].get("gpt-5").period_on(DAY).long_context
    assert tier.threshold_tokens == 272000 and tier.rates.output_per_mtok == Decimal("15.00")


def test_loading_bundled_plus_written_overrides_uses_the_override(catalog, tmp_path):
    bundled = tmp_path / "bundled.yaml"
    bundled.write_text(CATALOG)
    user = tmp_path / "user.yaml"
    apply_accepted(_stale_terra_diff(catalog).items, {"gpt-5.6-terra:input"}, user, today=DAY)
    merged, errors = load_catalog(bundled, user)
    assert errors == [] and merged.get("gpt-5.6-terra").origin == "user"
    assert merged.get("gpt-5").origin == "bundled"


# --- the real files (trimmed into tests/fixtures/prices/reference) -------------------------------


REFERENCE = FIXTURES / "reference"  # see its README: sources, licenses, how trim.py rebuilds them


@pytest.mark.parametrize("name, fmt, gpt5_ref", [("litellm_reference.json", "litellm", "gpt-5"),
                                                 ("genai_reference.json", "genai-prices", "openai/gpt-5")])
def test_real_price_file_against_the_bundled_catalog(name, fmt, gpt5_ref):
    catalog, errors = load_catalog(ROOT / "resources" / "models.yaml", user=False)
    assert errors == [] and len(catalog) > 0
    imported = read_price_file(REFERENCE / name)
    assert imported.ok and imported.format == fmt and list(imported.errors) == []
    diff = cross_check(catalog, imported, DAY)
    assert diff.catalog_size == len(catalog) and len(diff.matches) > len(catalog) // 2
    # The fixture holds only entries some catalog model chooses: each one is matched, none is new.
    assert sorted({m.ref for m in diff.matches.values()}) == sorted(imported.models), \
        "the catalog changed: rebuild the fixture (tests/fixtures/prices/reference/trim.py)"
    assert diff.only_in_file == () and diff.file_models == len(imported.models)
    first_party = diff.matches["gpt-5"]
    assert (first_party.ref, first_party.provider_rank, first_party.closeness) == (gpt5_ref, 0, 0)
    # Each disagreement is the price as the file states it against a catalog price more than the
    # tolerance away.
    for item in diff.disagreements:
        assert item.theirs == imported.models[item.source_ref].prices_on(DAY)[item.field].value, item.key
        assert item.ours is not None and abs(item.theirs - item.ours) > diff.tolerance * abs(item.ours), item.key
    print(f"\n{name}: {imported.format}, {len(imported.models)} priced entries, "
          f"{len(imported.errors)} problems; matched {len(diff.matches)}/{len(catalog)}; "
          f"counts {diff.counts()}")
    for item in diff.disagreements:
        print(f"  {item.key}: catalog {item.ours} vs file {item.theirs} "
              f"({'n/a' if item.rel_diff is None else f'{float(item.rel_diff):+.1%}'}) [{item.source_ref}]")
    print(f"  catalog models the file lacks: {', '.join(diff.only_in_catalog) or 'none'}")


# --- staleness -------------------------------------------------------------------------------


def test_stale_models_are_those_checked_more_than_90_days_ago(catalog):
    from core.prices.staleness import STALE_DAYS, stale_models

    on = date(2026, 11, 26)
    rows = stale_models(catalog, on)
    # Oldest first; the two GPT models were checked 2026-08-21, 97 days before `on`.
    assert [r[0] for r in rows] == ["widget-7b", "gemini-3.1-pro-preview", "mistral-large-3",
                                    "claude-sonnet-4-5", "gpt-5", "gpt-5.6-terra"]
    assert rows[1] == ("gemini-3.1-pro-preview", date(2026, 2, 23), 276)
    assert STALE_DAYS == 90
    # Exactly 90 days is still fresh; 91 is stale.
    gpt5 = catalog.get("gpt-5")  # checked 2026-08-21
    assert stale_models([gpt5], date(2026, 11, 19)) == []
    assert stale_models([gpt5], date(2026, 11, 20))[0][2] == 91


def test_staleness_warning_names_the_models_a_projection_uses(catalog):
    from core.prices.staleness import staleness_warning

    on = date(2026, 11, 26)
    assert staleness_warning([catalog.get("gpt-5")], date(2026, 9, 1)) is None
    one = staleness_warning([catalog.get("gemini-3.1-pro-preview"), catalog.get("gpt-5")], date(2026, 10, 1))
    assert one.startswith("This uses a price older than 90 days: gemini-3.1-pro-preview (checked 2026-02-23")
    many = staleness_warning(catalog, on, show=2)
    assert "and 4 more" in many and "prices import" in many
