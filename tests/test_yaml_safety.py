"""YAML is only ever read with the safe, size-limited loader, and scenarios survive a save/load round trip."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st
from tests.profiles import examples

from core.plan import scenario as scenario_module
from core.base import yamlio
from core.plan.scenario import MAX_SCENARIO_BYTES, Scenario, parse_scenario, scenario_from_data
from core.plan.scenario_write import dump_scenario
from core.plan.workload import PromptSpec
from core.base.yamlio import MAX_ALIASES, MAX_YAML_BYTES, MAX_YAML_NODES, parse_yaml

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted(p for folder in ("core", "gui", "tools", "bench") for p in (ROOT / folder).rglob("*.py")) + [ROOT / "main.py"]
PARSERS = pytest.mark.parametrize("pure_python", [False, True], ids=["libyaml", "pure-python"])


def test_no_unsafe_yaml_or_unbounded_reads_in_the_sources():
    """Only core/base/yamlio.py constructs YAML loaders, and it builds them on SafeConstructor."""
    unsafe = re.compile(r"yaml\.(load|load_all|unsafe_load|full_load|full_load_all|parse|compose)\s*\(|"
                        r"(Full|Unsafe|Base)?Loader\b(?<!SafeLoader)|yaml\.safe_load")
    offenders = []
    for path in SOURCES:
        text = path.read_text(encoding="utf-8")
        for number, line in enumerate(text.splitlines(), 1):
            code = line.split("#", 1)[0]
            if "yaml" in code and unsafe.search(code) and path.name != "yamlio.py":
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == [], "read YAML through core.base.yamlio.parse_yaml/read_yaml_file:\n" + "\n".join(offenders)


def test_the_loader_is_built_on_safe_constructor_only():
    for loader in {yamlio._Loader, yamlio._PyLoader}:
        assert issubclass(loader, yaml.constructor.SafeConstructor)
        assert not issubclass(loader, (yaml.constructor.FullConstructor, yaml.constructor.UnsafeConstructor))
    tags = set(yamlio._Loader.yaml_constructors)
    assert not any(str(t).startswith("tag:yaml.org,2002:python/") for t in tags)


def test_every_yaml_import_site_is_known():
    """A new module importing yaml must be looked at (dumping is fine; loading goes through yamlio)."""
    importers = set()
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            if any(n == "yaml" or n.startswith("yaml.") for n in names):
                importers.add(str(path.relative_to(ROOT)))
    assert importers <= {"core/base/yamlio.py", "core/plan/scenario_write.py", "core/prices/calibration.py",
                         "core/prices/files/accept.py",
                         "tools/make_demo_scenario.py"}, importers


@PARSERS
def test_python_object_tags_are_refused(pure_python):
    for text in ("!!python/object/apply:os.system ['echo pwned']", "!!python/name:os.system", "a: !!python/tuple [1]"):
        data, errors = parse_yaml(text, "evil.yaml", pure_python=pure_python)
        assert data is None and "could not determine a constructor" in errors[0].message


@PARSERS
def test_alias_bomb_is_refused_quickly(pure_python):
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    data, errors = parse_yaml("\n".join(lines), "bomb.yaml", pure_python=pure_python)
    assert data is None and f"more than {MAX_ALIASES} aliases" in errors[0].message


@PARSERS
def test_a_flat_list_with_too_many_values_is_refused(pure_python, monkeypatch):
    assert MAX_YAML_NODES >= 50 * 2_675  # the bundled catalog's size, with room to grow
    monkeypatch.setattr(yamlio, "MAX_YAML_NODES", 1_000)
    data, errors = parse_yaml("[" + "1," * 1_010 + "]", "flat.yaml", pure_python=pure_python)
    assert data is None and "more than 1,000 values" in errors[0].message
    assert parse_yaml("[" + "1," * 990 + "]", "flat.yaml", pure_python=pure_python)[1] == []


def test_size_limits_are_checked_before_parsing(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_bytes(b"# " + b"x" * MAX_YAML_BYTES)
    from core.prices.catalog import load_catalog_file

    catalog, errors = load_catalog_file(big)
    assert len(catalog) == 0 and "larger than 5,000,000 bytes" in errors[0].message
    data, errors = yamlio.read_yaml_file(big)
    assert data is None and "larger than" in errors[0].message
    # Scenarios hold whole prompts: they have their own, larger limit.
    assert MAX_SCENARIO_BYTES > 4 * scenario_module.MAX_PROMPT_CHARS
    assert parse_scenario(b"x" * (MAX_SCENARIO_BYTES + 1), "huge.yaml")[1][0].message.startswith("file is larger")


@PARSERS
def test_both_parsers_agree_on_the_bundled_files(pure_python):
    for name in ("models.yaml", "hardware.yaml", "open_models.yaml", "demo_scenario.yaml"):
        text = (ROOT / "resources" / name).read_text(encoding="utf-8")
        data, errors = parse_yaml(text, name, pure_python=pure_python)
        assert errors == [] and data == parse_yaml(text, name)[0]


@PARSERS
def test_bad_dates_and_huge_integers_reach_the_field_checks(pure_python):
    text = "schema_version: 1\nprimary_model: gpt-5\nworkload:\n  start_month: 2026-02-30\n  horizon_months: " + "9" * 5000
    data, errors = parse_yaml(text, "plan.yaml", pure_python=pure_python)
    assert errors == []
    scenario, errors = scenario_from_data(data, "plan.yaml")
    assert scenario is None
    assert {(e.line, e.field) for e in errors} == {(4, "workload.start_month"), (5, "workload.horizon_months")}
    assert all(len(str(e)) < 300 for e in errors)  # a 5,000-digit value is quoted briefly


# --- round trip -----------------------------------------------------------------------------------

# Every character a prompt can hold: pasted text and UTF-8 files never contain lone surrogates.
prompt_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=300)
ROUND_TRIP = settings(max_examples=examples(2000), deadline=None, suppress_health_check=list(HealthCheck))


def _round_trip(texts: list[str], pure_python: bool = False) -> tuple[str, ...]:
    s = Scenario(name="rt", primary_model="gpt-5",
                 prompts=tuple(PromptSpec(f"p{i}", text=t) for i, t in enumerate(texts)))
    data, errors = parse_yaml(dump_scenario(s), "rt.yaml", pure_python=pure_python)
    assert errors == []
    loaded, errors = scenario_from_data(data, "rt.yaml")
    assert errors == [], errors
    return tuple(p.text for p in loaded.prompts)


@ROUND_TRIP
@given(st.lists(prompt_text, min_size=1, max_size=3))
def test_any_prompt_text_round_trips_exactly(texts):
    assert _round_trip(texts) == tuple(texts)


@pytest.fixture
def literal_for_all():
    from core.plan import scenario_write

    old = scenario_write.LITERAL_BLOCK_MIN_CHARS
    scenario_write.LITERAL_BLOCK_MIN_CHARS = 0  # every text takes the writer used for big prompts
    yield
    scenario_write.LITERAL_BLOCK_MIN_CHARS = old


@ROUND_TRIP
@given(st.lists(prompt_text, min_size=1, max_size=3))
def test_any_prompt_text_round_trips_through_the_literal_block_writer(literal_for_all, texts):
    assert _round_trip(texts) == tuple(texts)


@settings(ROUND_TRIP, max_examples=examples(300))
@given(st.lists(prompt_text, min_size=1, max_size=3))
def test_literal_blocks_read_the_same_without_libyaml(literal_for_all, texts):
    assert _round_trip(texts, pure_python=True) == tuple(texts)


def test_big_prompts_are_written_as_literal_blocks_without_escapes():
    text = ("naïve 😀 line with trailing spaces   \n\tindented by a tab\n  two spaces\n" * 20_000)
    dumped = dump_scenario(Scenario(prompts=(PromptSpec("big", text=text),)))
    assert "text: |2" in dumped and "\\U0001F600" not in dumped
    assert len(dumped.encode()) < len(text.encode()) + 4 * text.count("\n") + 1_000  # indentation only
    assert _round_trip([text]) == (text,)
