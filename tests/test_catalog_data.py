"""Checks on the DATA in the bundled price catalog (resources/models.yaml).

These tests read the file with plain yaml.safe_load, so they do not depend on the loader in
core/prices/catalog.py (one last test runs that loader on the same file). They guard
the invariants a price edit most easily breaks: string prices, provider cache-price ratios,
the required model ids, dated changes in order, and sources and check dates on every row.
"""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pytest
import yaml

CATALOG_PATH = Path(__file__).resolve().parents[1] / "resources" / "models.yaml"

RATE_KEYS = {"input", "cached_input", "cache_write_5m", "cache_write_1h", "output"}
MODEL_KEYS = {
    "id", "provider", "name", "tokenizer", "context_window", "max_output", "prices",
    "long_context", "batch_multiplier", "batch_caching", "priority_multiplier",
    "min_cache_prefix", "fine_tune_training_per_mtok", "open_model", "changes", "source",
    "checked", "notes",
}
REQUIRED_FIELDS = ("id", "provider", "name", "tokenizer", "context_window", "max_output",
                   "prices", "source", "checked")
ESTIMATE_FAMILIES = {"anthropic", "gemini", "llama", "mistral", "deepseek", "qwen", "xai", "other"}
ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")
# ids used by the self-hosting comparison data (open_models.yaml)
OPEN_MODEL_IDS = {
    "llama-3.1-8b", "llama-3.1-70b", "qwen2.5-7b", "mistral-7b", "mixtral-8x7b", "deepseek-v3",
    "gpt-oss-20b", "gpt-oss-120b", "gemma-3-27b", "qwen3-30b-a3b", "qwen3-235b-a22b",
    "llama-4-maverick",
}
REQUIRED_IDS = {
    "gemini-3.1-pro-preview",
    "gpt-5", "gpt-5.1", "gpt-5-mini", "gpt-5-nano", "gpt-5.2", "gpt-5.4", "gpt-5.4-mini",
    "gpt-5.5", "gpt-5.6-sol", "gpt-5.6-terra", "gpt-5.6-luna", "gpt-6-astra",
    "gpt-4o", "gpt-4o-mini",
    "claude-haiku-4-5", "claude-sonnet-4-5", "claude-sonnet-4-6", "claude-opus-4-6",
    "claude-opus-4-8", "claude-sonnet-5", "claude-opus-5",
    "deepseek-v3.2", "deepseek-v4-flash", "deepseek-v4-pro",
    "mistral-large-3",
    "gemini-3.6-flash",
}
REQUIRED_PROVIDERS = {"openai", "anthropic", "google", "deepseek", "mistral", "xai"}
HOSTING_PROVIDERS = {"together", "groq", "fireworks"}
D = Decimal


# --- helpers -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def data() -> dict:
    with CATALOG_PATH.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@pytest.fixture(scope="module")
def models(data) -> list[dict]:
    return data["models"]


@pytest.fixture(scope="module")
def by_id(models) -> dict[str, dict]:
    return {m["id"]: m for m in models}


def price_blocks(model: dict):
    """Every price mapping in a model: base, its tier, each change and each change's tier."""
    yield "prices", model["prices"]
    if model.get("long_context"):
        yield "long_context.prices", model["long_context"]["prices"]
    for i, change in enumerate(model.get("changes") or []):
        yield f"changes[{i}].prices", change.get("prices") or {}
        if change.get("long_context"):
            yield f"changes[{i}].long_context.prices", change["long_context"]["prices"]


def periods(model: dict) -> list[tuple[date | None, dict, dict | None]]:
    """(effective, full prices, tier or None) for each period, applying the changes in order."""
    prices = dict(model["prices"])
    tier = model.get("long_context")
    out = [(None, dict(prices), tier)]
    for change in model.get("changes") or []:
        prices.update(change.get("prices") or {})
        if "long_context" in change:
            tier = change["long_context"]
        out.append((change["effective"], dict(prices), tier))
    return out


def dec(value) -> Decimal:
    assert isinstance(value, str), f"price {value!r} must be a quoted string"
    try:
        result = Decimal(value)
    except InvalidOperation:
        pytest.fail(f"price {value!r} is not a decimal number")
    assert result.is_finite() and result >= 0, f"price {value!r} must be a finite non-negative number"
    return result


def prices_on(model: dict, day: date) -> tuple[dict, dict | None]:
    chosen = periods(model)[0]
    for period in periods(model)[1:]:
        if period[0] <= day:
            chosen = period
    return chosen[1], chosen[2]


# --- file-level ----------------------------------------------------------------------------------


def test_top_level_shape(data):
    assert set(data) == {"schema_version", "models"}
    assert data["schema_version"] == 1
    assert isinstance(data["models"], list)


def test_header_explains_sources_units_and_no_overwrite():
    head = CATALOG_PATH.read_text(encoding="utf-8")[:4000]
    assert head.startswith("#")
    for needle in ("L = ", "G = ", "S = ", "X = ", "per 1 million tokens", "NEVER OVERWRITTEN"):
        assert needle in head, f"header comment should mention {needle!r}"


def test_every_flagged_conflict_is_resolved_in_a_comment():
    text = CATALOG_PATH.read_text(encoding="utf-8")
    for n in range(1, 18):
        assert re.search(rf"CONFLICT #{n}\b", text), f"conflict #{n} of prices-2026.md has no resolution comment"


def test_at_least_40_models_from_at_least_6_providers(models):
    assert len(models) >= 40
    providers = {m["provider"] for m in models}
    assert len(providers) >= 6
    assert REQUIRED_PROVIDERS <= providers
    assert providers & HOSTING_PROVIDERS, "open-weight models sold by a hosting provider are required"


def test_required_ids_present(by_id):
    missing = REQUIRED_IDS - set(by_id)
    assert not missing, f"missing required models: {sorted(missing)}"


def test_ids_are_unique_lowercase_slugs(models):
    ids = [m["id"] for m in models]
    assert len(ids) == len(set(ids)), "duplicate ids"
    for mid in ids:
        assert isinstance(mid, str) and ID_RE.match(mid), f"bad id {mid!r}"


# --- per-model fields ------------------------------------------------------------------------------


def test_required_fields_and_no_unknown_keys(models):
    for m in models:
        for key in REQUIRED_FIELDS:
            assert m.get(key) not in (None, ""), f"{m.get('id')}: missing {key}"
        unknown = set(m) - MODEL_KEYS
        assert not unknown, f"{m['id']}: unknown keys {unknown}"
        assert isinstance(m["context_window"], int) and m["context_window"] > 0
        assert isinstance(m["max_output"], int) and 0 < m["max_output"] <= m["context_window"]


def test_every_model_has_source_and_checked_date(models):
    for m in models:
        assert isinstance(m["source"], str) and len(m["source"].strip()) >= 5, m["id"]
        checked = m["checked"]
        assert isinstance(checked, date), f"{m['id']}: checked must be a YAML date, got {checked!r}"
        assert date(2025, 1, 1) <= checked <= date.today(), f"{m['id']}: implausible checked date {checked}"


def test_tokenizers(models):
    for m in models:
        tok = m["tokenizer"]
        if tok in ("o200k_base", "cl100k_base"):
            continue
        assert tok.startswith("estimate:") and tok.split(":", 1)[1] in ESTIMATE_FAMILIES, (m["id"], tok)
    for m in models:
        if re.match(r"^(gpt-(4o|4\.1|5|6)|o[134]\b|o[134]-)", m["id"]) or "gpt-oss" in m["id"]:
            assert m["tokenizer"] == "o200k_base", m["id"]
        if m["provider"] == "anthropic":
            assert m["tokenizer"] == "estimate:anthropic", m["id"]
        if m["provider"] == "google":
            assert m["tokenizer"] == "estimate:gemini", m["id"]


def test_every_price_is_a_string_non_negative_decimal(models):
    for m in models:
        for where, block in price_blocks(m):
            assert isinstance(block, dict), f"{m['id']}.{where}"
            assert set(block) <= RATE_KEYS, f"{m['id']}.{where}: unknown price keys {set(block) - RATE_KEYS}"
            for key, value in block.items():
                amount = dec(value)
                # "0" only for something really free; no model in the bundled catalog is free
                assert amount > 0, f"{m['id']}.{where}.{key} is zero; omit the key if there is no price"
        assert "input" in m["prices"] and "output" in m["prices"], m["id"]
        for key in ("batch_multiplier", "priority_multiplier", "fine_tune_training_per_mtok"):
            if key in m:
                assert dec(m[key]) > 0, f"{m['id']}.{key}"


def test_cached_reads_are_cheaper_than_input(models):
    for m in models:
        for eff, prices, tier in periods(m):
            for block in [prices] + ([tier["prices"]] if tier else []):
                if "cached_input" in block:
                    assert dec(block["cached_input"]) < dec(block["input"]), (m["id"], eff)


def test_long_context_tiers_are_well_formed(models):
    for m in models:
        for eff, prices, tier in periods(m):
            if tier is None:
                continue
            assert set(tier) <= {"threshold", "inclusive", "prices"}, m["id"]
            assert isinstance(tier["threshold"], int) and tier["threshold"] > 0, m["id"]
            assert isinstance(tier.get("inclusive", False), bool), m["id"]
            assert tier["prices"], m["id"]
            for key, value in tier["prices"].items():
                assert dec(value) >= dec(prices[key]), f"{m['id']} ({eff}): tier {key} below base"
            # the tier must price every token type the base prices
            assert set(tier["prices"]) == set(prices), f"{m['id']} ({eff}): tier keys differ from base"


def test_scheduled_changes_are_in_date_order(models):
    for m in models:
        changes = m.get("changes") or []
        dates = [c.get("effective") for c in changes]
        for c in changes:
            assert isinstance(c.get("effective"), date), f"{m['id']}: change without a date"
            assert set(c) <= {"effective", "prices", "long_context", "note"}, m["id"]
            assert c.get("note"), f"{m['id']}: every change should say why"
        assert dates == sorted(dates) and len(set(dates)) == len(dates), f"{m['id']}: changes out of order"


def test_open_model_ids_are_known(models):
    for m in models:
        if "open_model" in m:
            assert m["open_model"] in OPEN_MODEL_IDS, (m["id"], m["open_model"])
    used = {m["open_model"] for m in models if "open_model" in m}
    assert used == OPEN_MODEL_IDS, f"self-hosting ids without a hosted price: {sorted(OPEN_MODEL_IDS - used)}"
    open_models_file = CATALOG_PATH.parent / "open_models.yaml"
    if open_models_file.exists():  # the self-hosting data, when present, must know every link
        raw = yaml.safe_load(open_models_file.read_text(encoding="utf-8"))
        entries = raw.get("models", []) if isinstance(raw, dict) else raw
        known = {e.get("id") for e in entries if isinstance(e, dict)}
        assert used <= known, f"open_model ids missing from open_models.yaml: {sorted(used - known)}"


# --- provider rules ------------------------------------------------------------------------------------


def test_anthropic_cache_ratios(models):
    anthropic = [m for m in models if m["provider"] == "anthropic"]
    assert anthropic
    for m in anthropic:
        for eff, prices, tier in periods(m):
            for block in [prices] + ([tier["prices"]] if tier else []):
                base = dec(block["input"])
                assert dec(block["cache_write_5m"]) == base * D("1.25"), (m["id"], eff)
                assert dec(block["cache_write_1h"]) == base * 2, (m["id"], eff)
                assert dec(block["cached_input"]) == base * D("0.1"), (m["id"], eff)
        assert m["batch_multiplier"] == "0.5" and m["batch_caching"] is True, m["id"]


def test_openai_cache_write_rule(models):
    """<= GPT-5.5: writes are billed as normal input; >= GPT-5.6: one write price at 1.25x input."""
    for m in models:
        if m["provider"] != "openai":
            continue
        if "cached_input" in m["prices"]:  # Pro models have no prompt caching at all
            assert m.get("min_cache_prefix") == 1024, m["id"]
        assert m.get("batch_multiplier") == "0.5", m["id"]
        newer = bool(re.match(r"^gpt-(5\.6|6)", m["id"]))
        for eff, prices, tier in periods(m):
            for block in [prices] + ([tier["prices"]] if tier else []):
                if "cached_input" not in block:
                    assert "cache_write_5m" not in block, m["id"]
                    continue
                factor = D("1.25") if newer else D(1)
                assert dec(block["cache_write_5m"]) == dec(block["input"]) * factor, (m["id"], eff)
                assert "cache_write_1h" not in block, m["id"]


def test_openai_long_context_tier_is_2x_and_1_5x(models):
    for m in models:
        if m["provider"] != "openai" or not m.get("long_context"):
            continue
        for eff, prices, tier in periods(m):
            assert tier["threshold"] == 272000 and tier.get("inclusive", False) is False, m["id"]
            for key, value in tier["prices"].items():
                factor = D("1.5") if key == "output" else D(2)
                assert dec(value) == dec(prices[key]) * factor, (m["id"], eff, key)


def test_gemini_rules(models):
    for m in models:
        if m["provider"] != "google":
            continue
        assert m["batch_multiplier"] == "0.5", m["id"]
        assert m["priority_multiplier"] == "1.8", m["id"]
        assert m["min_cache_prefix"] in (1024, 2048, 4096), m["id"]
        for eff, prices, tier in periods(m):
            # implicit caching: no write fee, the prefix is billed as normal input
            assert prices["cache_write_5m"] == prices["input"], m["id"]
            assert dec(prices["cached_input"]) == dec(prices["input"]) * D("0.1"), m["id"]
            if tier:
                assert tier["threshold"] == 200000 and tier.get("inclusive", False) is False, m["id"]


def test_xai_tiers_are_inclusive(models):
    for m in models:
        if m["provider"] == "xai" and m.get("long_context"):
            assert m["long_context"]["inclusive"] is True, m["id"]


def test_no_batch_discount_assumed_for_mistral(models):
    for m in models:
        if m["provider"] == "mistral":
            assert "batch_multiplier" not in m, m["id"]


# --- specific models and dated changes ----------------------------------------------------------------


def test_gemini_3_1_pro_preview_prices(by_id):
    m = by_id["gemini-3.1-pro-preview"]
    p = m["prices"]
    assert (p["input"], p["cached_input"], p["output"]) == ("2.00", "0.20", "12.00")
    tier = m["long_context"]
    assert tier["threshold"] == 200000 and tier.get("inclusive", False) is False
    t = tier["prices"]
    assert (t["input"], t["cached_input"], t["output"]) == ("4.00", "0.40", "18.00")
    assert m["min_cache_prefix"] == 4096 and m["priority_multiplier"] == "1.8"
    assert not m.get("changes")


def test_gemini_3_6_flash_intro_price_ends_2027_01_01(by_id):
    m = by_id["gemini-3.6-flash"]
    assert (m["prices"]["input"], m["prices"]["cached_input"], m["prices"]["output"]) == ("0.75", "0.075", "3.75")
    (change,) = m["changes"]
    assert change["effective"] == date(2027, 1, 1)
    assert (change["prices"]["input"], change["prices"]["cached_input"], change["prices"]["output"]) == (
        "1.50", "0.15", "7.50")
    now, _ = prices_on(m, date(2026, 12, 31))
    later, _ = prices_on(m, date(2027, 1, 1))
    assert now["input"] == "0.75" and later["input"] == "1.50"


@pytest.mark.parametrize("mid, launch, cut", [
    ("gpt-5.6-terra", ("2.50", "0.25", "15.00"), ("2.00", "0.20", "12.00")),
    ("gpt-5.6-luna", ("1.00", "0.10", "6.00"), ("0.20", "0.02", "1.20")),
])
def test_gpt_5_6_terra_luna_cut_on_2026_07_30(by_id, mid, launch, cut):
    m = by_id[mid]
    before, tier_before = prices_on(m, date(2026, 7, 29))
    after, tier_after = prices_on(m, date(2026, 7, 30))
    assert (before["input"], before["cached_input"], before["output"]) == launch
    assert (after["input"], after["cached_input"], after["output"]) == cut
    assert [c["effective"] for c in m["changes"]] == [date(2026, 7, 30)]
    # the > 272k tier moves with the cut
    assert dec(tier_after["prices"]["input"]) == dec(cut[0]) * 2
    assert dec(tier_before["prices"]["input"]) == dec(launch[0]) * 2


def test_gpt_5_6_sol_promo_is_dated_and_list_price_after_the_promised_window(by_id):
    m = by_id["gpt-5.6-sol"]
    launch, _ = prices_on(m, date(2026, 8, 20))
    promo, promo_tier = prices_on(m, date(2026, 11, 21))
    after, _ = prices_on(m, date(2026, 11, 22))
    assert (launch["input"], launch["output"]) == ("5.00", "30.00")
    assert (promo["input"], promo["cached_input"], promo["output"]) == ("4.00", "0.40", "20.00")
    assert promo_tier["prices"]["output"] == "30.00"
    # promo promised only "at least through 2026-11-21": conservative list price afterwards
    assert (after["input"], after["cached_input"], after["output"]) == ("5.00", "0.50", "30.00")


@pytest.mark.parametrize("mid", ["claude-sonnet-4-6", "claude-opus-4-6"])
def test_anthropic_4_6_long_context_tier_removed_2026_03_13(by_id, mid):
    m = by_id[mid]
    assert m["long_context"]["threshold"] == 200000
    (change,) = m["changes"]
    assert change["effective"] == date(2026, 3, 13)
    assert "long_context" in change and change["long_context"] is None
    _, tier_before = prices_on(m, date(2026, 3, 12))
    base_after, tier_after = prices_on(m, date(2026, 3, 13))
    assert tier_before is not None and tier_after is None
    assert base_after == m["prices"]  # only the tier changed


def test_claude_sonnet_5_rise_cancelled(by_id):
    m = by_id["claude-sonnet-5"]
    assert (m["prices"]["input"], m["prices"]["output"]) == ("2.00", "10.00")
    assert not m.get("changes"), "the announced 2026-09-01 rise to 3/15 was cancelled"
    assert not m.get("long_context")


def test_deepseek_and_mistral_required_models(by_id):
    assert by_id["deepseek-v3.2"]["prices"]["input"] == "0.28"
    assert by_id["deepseek-v3.2"]["prices"]["cache_write_5m"] == by_id["deepseek-v3.2"]["prices"]["input"]
    for mid in ("deepseek-v4-flash", "deepseek-v4-pro"):
        p = by_id[mid]["prices"]
        assert p["cache_write_5m"] == p["input"], mid  # a cache miss is billed as input
    assert (by_id["mistral-large-3"]["prices"]["input"], by_id["mistral-large-3"]["prices"]["output"]) == (
        "0.50", "1.50")


def test_priority_multipliers_from_litellm(by_id):
    assert by_id["gpt-4o"]["priority_multiplier"] == "1.7"
    for mid in ("gpt-5.2", "gpt-5.4"):
        assert by_id[mid]["priority_multiplier"] == "2.0", mid
    # GPT-5.5 priority is 2.5x (L *_priority keys and OpenAI's launch post), not 2x
    assert by_id["gpt-5.5"]["priority_multiplier"] == "2.5"


# --- the real loader ----------------------------------------------------------------------------------


def test_bundled_catalog_loads_through_core_catalog(by_id):
    """The same file through the engine's loader: no problems and every model the data lists.

    Imported plainly: if the loader moves or changes its signature, this fails instead of skipping.
    """
    from core.prices import load_catalog

    catalog, errors = load_catalog(CATALOG_PATH, user=False)
    assert errors == [], [str(e) for e in errors]
    assert sorted(m.id for m in catalog) == sorted(by_id)
    assert len(catalog) >= 40
