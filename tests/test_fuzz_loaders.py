"""Fuzzing: the catalog and scenario loaders and the CLI never raise on arbitrary input."""
from __future__ import annotations

import io
import string
from contextlib import redirect_stderr, redirect_stdout

import yaml
from hypothesis import HealthCheck, given, settings, strategies as st
from tests.profiles import examples

from core.prices.catalog import parse_catalog
from cli import run as cli_run
from core.plan.scenario import parse_scenario
from core.base.problems import Problem

FUZZ = settings(max_examples=examples(2000), deadline=None, suppress_health_check=list(HealthCheck))

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-10**30, max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20),
    st.sampled_from(["1e308", "-1", "NaN", ".inf", "0x10", "2026-02-30", "5m", "1h", "o200k_base",
                     "estimate:gemini", "", "  ", "1_000", "3.5"]),
)
keys = st.sampled_from([
    "schema_version", "models", "id", "provider", "name", "tokenizer", "prices", "input", "output",
    "cached_input", "cache_write_5m", "cache_write_1h", "long_context", "threshold", "inclusive",
    "changes", "effective", "source", "checked", "batch_multiplier", "context_window", "prompts",
    "workload", "requests_per_day", "horizon_months", "start_month", "budget_per_month", "levers",
    "caching", "enabled", "hit_rate", "share", "text", "tokens", "output_tokens", "primary_model",
]) | st.text(max_size=8)
# Small trees: generating big ones cost a minute a target, and real documents with hostile edits
# (tests/test_fuzz_mutations.py) reach the deep validation paths these random shapes seldom do.
trees = st.recursive(scalars, lambda children: st.lists(children, max_size=4)
                     | st.dictionaries(keys, children, max_size=5), max_leaves=12)


def assert_errors_are_values(result):
    value, errors = result
    assert isinstance(errors, list)
    for error in errors:
        assert isinstance(error, Problem) and error.file and error.message


def dump(tree) -> str:
    try:
        return yaml.dump(tree, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), allow_unicode=True)
    except (yaml.YAMLError, ValueError):
        return str(tree)


@FUZZ
@given(st.text(max_size=400))
def test_catalog_loader_arbitrary_text(text):
    assert_errors_are_values(parse_catalog(text, "fuzz.yaml"))


@FUZZ
@given(st.binary(max_size=400))
def test_catalog_loader_arbitrary_bytes(data):
    assert_errors_are_values(parse_catalog(data, "fuzz.yaml"))


@FUZZ
@given(st.dictionaries(keys, trees, max_size=5) | trees)
def test_catalog_loader_yaml_shaped_input(tree):
    wrapped = {"schema_version": 1, "models": [tree]} if isinstance(tree, dict) else tree
    assert_errors_are_values(parse_catalog(dump(wrapped), "fuzz.yaml"))


@FUZZ
@given(st.text(max_size=400))
def test_scenario_loader_arbitrary_text(text):
    assert_errors_are_values(parse_scenario(text, "fuzz.yaml"))


@FUZZ
@given(st.binary(max_size=400))
def test_scenario_loader_arbitrary_bytes(data):
    assert_errors_are_values(parse_scenario(data, "fuzz.yaml"))


@FUZZ
@given(st.dictionaries(keys, trees, max_size=8))
def test_scenario_loader_yaml_shaped_input(tree):
    tree = {"schema_version": 1, **tree}
    assert_errors_are_values(parse_scenario(dump(tree), "fuzz.yaml"))


words = st.sampled_from(["cost", "models", "count", "project", "--model", "--input", "--output",
                         "--cached", "--cache-write", "--cache-ttl", "--reasoning", "--batch", "--priority",
                         "--date", "--json", "--provider", "--chat", "-", "gpt-5", "claude-sonnet-5",
                         "1e308", "-1", "NaN", "10", "2026-02-30", "5m", "/nonexistent", "--csv", "\x00"])
argvs = st.lists(words | st.text(alphabet=string.printable, max_size=10), min_size=1, max_size=8)


@FUZZ
@given(argvs)
def test_cli_argument_handling_never_raises(argv):
    # stdin is never read for real: a fuzzed "count -" sees an empty stream.
    import sys
    out, err = io.StringIO(), io.StringIO()
    old_stdin = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(b""))
    try:
        with redirect_stdout(out), redirect_stderr(err):
            status = cli_run(argv)
    finally:
        sys.stdin = old_stdin
    assert isinstance(status, int)
    assert "Traceback" not in err.getvalue()
    assert status != 70, err.getvalue()  # 70 = an internal error slipped through
