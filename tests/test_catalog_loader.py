"""Catalog loading: errors as values naming file, line and field; good entries still load."""
from __future__ import annotations

from decimal import Decimal

from core.prices.catalog import Catalog, load_catalog, parse_catalog

GOOD = """\
schema_version: 1
models:
  - id: good-one
    provider: openai
    name: Good One
    tokenizer: o200k_base
    prices: {input: "1.00", output: "2.00"}
    source: test
    checked: 2026-11-01
"""


def test_good_entry_parses_prices_as_decimals():
    catalog, errors = parse_catalog(GOOD, "models.yaml")
    assert errors == []
    model = catalog.get("good-one")
    assert model.rates_on().input_per_mtok == Decimal("1.00")
    assert model.rates_on().cached_input_per_mtok is None  # no price, not zero


def test_bad_field_names_file_line_and_field_and_keeps_good_entries():
    text = GOOD + """\
  - id: bad-price
    provider: openai
    name: Bad
    tokenizer: o200k_base
    prices: {input: "-3", output: "2.00"}
    source: test
    checked: 2026-11-01
  - id: bad-tokenizer
    provider: openai
    name: Bad
    tokenizer: sentencepiece
    prices: {input: "1", output: "2.00"}
    source: test
    checked: 2026-11-01
"""
    catalog, errors = parse_catalog(text, "models.yaml")
    assert list(catalog.models) == ["good-one"]
    assert len(errors) == 2
    assert errors[0].file == "models.yaml" and errors[0].line == 14
    assert errors[0].field == "bad-price.prices.input" and "negative" in errors[0].message
    assert errors[1].field == "bad-tokenizer.tokenizer" and errors[1].line == 20
    assert str(errors[0]).startswith("models.yaml:14 [bad-price.prices.input]")


def test_malformed_yaml_names_the_line():
    catalog, errors = parse_catalog("schema_version: 1\nmodels:\n  - id: [unclosed\n", "x.yaml")
    assert len(catalog) == 0
    assert errors[0].file == "x.yaml" and errors[0].line is not None and "invalid YAML" in errors[0].message


def test_nan_infinity_and_float_prices():
    text = GOOD.replace('"1.00"', ".nan")
    _, errors = parse_catalog(text, "m.yaml")
    assert "finite" in errors[0].message
    catalog, errors = parse_catalog(GOOD.replace('"1.00"', "0.1"), "m.yaml")
    assert errors == [] and catalog.get("good-one").rates_on().input_per_mtok == Decimal("0.1")


def test_missing_required_and_unknown_fields():
    _, errors = parse_catalog(GOOD.replace("    source: test\n", ""), "m.yaml")
    assert errors[0].field == "good-one.source"
    _, errors = parse_catalog(GOOD.replace("    source: test\n", "    source: test\n    colour: red\n"), "m.yaml")
    assert errors[0].field == "good-one.colour" and errors[0].line == 9


def test_alias_bomb_is_refused():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(8))
    catalog, errors = parse_catalog(bomb, "bomb.yaml")
    assert len(catalog) == 0 and "alias" in errors[0].message


def test_binary_and_non_utf8_bytes():
    _, errors = parse_catalog(b"\xff\xfe\x00bad", "bin.yaml")
    assert errors and errors[0].file == "bin.yaml"


def test_user_override_replaces_and_adds(tmp_path):
    bundled = tmp_path / "bundled.yaml"
    bundled.write_text(GOOD)
    user = tmp_path / "user.yaml"
    user.write_text(GOOD.replace('"1.00"', '"0.50"') + GOOD.split("models:\n")[1].replace("good-one", "mine"))
    catalog, errors = load_catalog(bundled, user)
    assert errors == []
    assert catalog.get("good-one").rates_on().input_per_mtok == Decimal("0.50")
    assert catalog.get("good-one").origin == "user" and "mine" in catalog


def test_bundled_catalog_loads_without_errors():
    catalog, errors = load_catalog(user=False)
    assert errors == [], [str(e) for e in errors]
    assert isinstance(catalog, Catalog) and len(catalog) >= 40
