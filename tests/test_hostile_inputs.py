"""Hostile input to the engine and the command line: each gets a one-line message, nothing crashes.

Binary files, invalid UTF-8, a 10 MB single line, a 100 MB file, YAML alias bombs, and numbers like
1e308, NaN, negative or non-numeric ones in scenarios, catalogs and command-line options. The GUI's
side of the same inputs (pastes, drops, dialogs, UI stalls) is in tests/gui/test_hostile_gui.py.
"""
from __future__ import annotations

import io
import sys
from contextlib import redirect_stderr, redirect_stdout

import pytest

from core.prices.catalog import load_catalog, parse_catalog
from cli import run
from core.plan.scenario import load_scenario, parse_scenario
from tests.test_tokens_reference import reference_encoding

GOOD_MODEL = """\
schema_version: 1
models:
  - id: my-model
    provider: me
    name: My model
    tokenizer: o200k_base
    prices: {input: "1.00", output: "2.00"}
    source: hand
    checked: 2026-11-26
"""

PLAN = """\
schema_version: 1
name: Plan
primary_model: gpt-5
workload:
  requests_per_day: {rpd}
  growth_pct_per_month: {growth}
  horizon_months: {horizon}
  budget_per_month: {budget}
levers:
  caching: {{enabled: true, hit_rate: {hit}}}
prompts:
  - name: p
    text: hello
    share: {share}
    output_tokens: {out}
"""
OK = dict(rpd="100", growth="0", horizon="3", budget="null", hit="0.5", share="1", out="100")


def cli(*args: str, stdin: bytes = b"") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    old = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin))
    try:
        with redirect_stdout(out), redirect_stderr(err):
            status = run(list(args))
    finally:
        sys.stdin = old
    return status, out.getvalue(), err.getvalue()


def one_line_error(status: int, err: str, *words: str) -> None:
    assert status == 2, err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    for word in words:
        assert word in err, err


# --- count: files -------------------------------------------------------------------------------


def test_count_refuses_binary_files(tmp_path):
    for name, data in (("model.safetensors", bytes(range(256)) * 4000), ("a.png", b"\x89PNG\r\n\x1a\n\x00"),
                       ("utf16.txt", "hello".encode("utf-16"))):
        path = tmp_path / name
        path.write_bytes(data)
        one_line_error(*cli("count", str(path), "--model", "gpt-5")[::2], "looks binary (NUL byte")


def test_count_refuses_invalid_utf8_and_names_the_byte(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes(("x" * 5000 + "Grüße").encode("latin-1"))
    one_line_error(*cli("count", str(path), "--model", "gpt-5")[::2],
                   "is not valid UTF-8 (byte 0xfc at offset 5002)")
    status, _, err = cli("count", "-", "--model", "gpt-5", stdin=b"ok \xff\xfe")
    one_line_error(status, err, "<stdin> is not valid UTF-8")


def test_count_a_10_mb_single_line_exactly(tmp_path):
    line = ('{"id": 1234, "name": "naïve café", "tags": ["a", "b"], "ok": true}, ' * 150_000)[:10_000_000]
    assert "\n" not in line
    path = tmp_path / "minified.json"
    path.write_text(line, encoding="utf-8")
    status, out, err = cli("count", str(path), "--model", "gpt-5", "--json")
    assert status == 0, err
    import json

    assert json.loads(out)["tokens"] == len(reference_encoding("o200k_base").encode_ordinary(line))


def test_count_refuses_100_mb_without_reading_it(tmp_path):
    path = tmp_path / "huge.txt"
    with path.open("wb") as handle:
        handle.truncate(100 * 1024 * 1024)  # sparse: the size is all that is checked
    one_line_error(*cli("count", str(path), "--model", "gpt-5")[::2],
                   "is too large (100.0 MB; the limit is 64.0 MB)")


def test_count_refuses_100_mb_on_stdin():
    status, _, err = cli("count", "-", "--model", "gpt-5", stdin=b"word " * (20 * 1024 * 1024))
    one_line_error(status, err, "<stdin> is too large", "the limit is 64.0 MB")


def test_count_refuses_a_directory_and_a_missing_file(tmp_path):
    one_line_error(*cli("count", str(tmp_path), "--model", "gpt-5")[::2], "is a directory")
    one_line_error(*cli("count", str(tmp_path / "nope.txt"), "--model", "gpt-5")[::2], "cannot read")


# --- numbers on the command line ----------------------------------------------------------------


@pytest.mark.parametrize("option, value", [
    ("--input", "1e308"), ("--input", "NaN"), ("--input", "inf"), ("--input", "-1"), ("--input", "ten"),
    ("--output", "1.5"), ("--output", "0x10"), ("--cached", "-0"), ("--reasoning", "9" * 400),
    ("--input", "1" + "0" * 13),
])
def test_cost_refuses_bad_token_numbers(option, value):
    args = {"--input": "1000", "--output": "10"}
    args[option] = value
    flat = [x for pair in args.items() for x in pair]
    status, _, err = cli("cost", "--model", "gpt-5", *flat)
    one_line_error(status, err)
    assert "whole number" in err or "implausibly large" in err or "expected" in err


# --- scenarios ----------------------------------------------------------------------------------


@pytest.mark.parametrize("field, value, line, words", [
    ("rpd", "1e308", 5, "implausibly large"),
    ("rpd", ".nan", 5, "finite number"),
    ("rpd", "-5", 5, "must not be negative"),
    ("rpd", "lots", 5, "expected a number"),
    ("growth", "-100", 6, "above -100%"),
    ("growth", ".inf", 6, "finite number"),
    ("horizon", "0", 7, "at least 1"),
    ("horizon", "1e3", 7, "whole number"),
    ("budget", "-1", 8, "must not be negative"),
    ("budget", "1e400", 8, "implausibly large"),
    ("hit", "1.5", 10, "between 0 and 1"),
    ("hit", ".nan", 10, "finite number"),
    ("share", "-0.5", 14, "must not be negative"),
    ("out", "12.5", 15, "whole number"),
    ("out", "'9999999999999999999999999999999999'", 15, "implausibly large"),
])
def test_scenario_numbers_name_line_and_field(tmp_path, field, value, line, words):
    text = PLAN.format(**{**OK, field: value})
    scenario, errors = parse_scenario(text, "plan.yaml")
    assert scenario is None and len(errors) == 1, errors
    error = errors[0]
    assert (error.file, error.line) == ("plan.yaml", line) and error.field and words in error.message, error
    path = tmp_path / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    one_line_error(*cli("project", str(path))[::2], f"{path}:{line}", words)


def test_the_plan_template_itself_is_fine():
    scenario, errors = parse_scenario(PLAN.format(**OK), "plan.yaml")
    assert errors == [] and scenario.workload.horizon_months == 3


@pytest.mark.parametrize("content, words", [
    (b"\x00\x00\x00binary", "binary data (NUL byte)"),
    (b"name: caf\xe9\n", "not UTF-8 text"),
    (b"a: &a [x, x]\n" + b"".join(b"b%d: &b%d [*a, *a, *a]\n" % (i, i) for i in range(30)), "alias bomb"),
    (b"[" * 5000 + b"]" * 5000, "invalid YAML"),  # nesting deeper than Python's recursion limit
    (b"!!python/object/apply:os.system ['echo pwned']", "could not determine a constructor"),
])
def test_project_refuses_hostile_scenario_files(tmp_path, content, words):
    path = tmp_path / "plan.yaml"
    path.write_bytes(content)
    scenario, errors = load_scenario(path)
    assert scenario is None and words in errors[0].message
    one_line_error(*cli("project", str(path))[::2], words)


def test_a_huge_scenario_file_is_refused_before_it_is_read(tmp_path, monkeypatch):
    from core.plan import scenario as scenario_module

    monkeypatch.setattr(scenario_module, "MAX_SCENARIO_BYTES", 1_000_000)
    path = tmp_path / "plan.yaml"
    with path.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    reads = []
    real_open = open

    def spy(file, mode="r", *args, **kwargs):
        handle = real_open(file, mode, *args, **kwargs)
        if str(file) == str(path):
            real_read = handle.read
            handle.read = lambda n=-1: reads.append(n) or real_read(n)
        return handle

    monkeypatch.setattr("builtins.open", spy)
    scenario, errors = load_scenario(path)
    assert scenario is None and errors[0].message == "file is larger than 1,000,000 bytes"
    assert reads == [1_000_001]  # one bounded read, never the 50 MB


# --- catalogs -----------------------------------------------------------------------------------


@pytest.mark.parametrize("prices, field, words", [
    ('{input: "1e308", output: "2"}', "prices.input", "implausibly large"),
    ('{input: .nan, output: "2"}', "prices.input", "finite number"),
    ('{input: "-0.5", output: "2"}', "prices.input", "must not be negative"),
    ('{input: "cheap", output: "2"}', "prices.input", "expected a number"),
    ('{input: "1", output: .inf}', "prices.output", "finite number"),
    ('{input: "1", output: true}', "prices.output", "expected a number"),
    ('{input: "1", output: [1, 2]}', "prices.output", "expected a number"),
])
def test_catalog_prices_name_line_and_field(prices, field, words):
    text = GOOD_MODEL.replace('{input: "1.00", output: "2.00"}', prices)
    catalog, errors = parse_catalog(text, "models.yaml", "user")
    assert len(catalog) == 0 and len(errors) == 1
    assert (errors[0].line, errors[0].field) == (7, f"my-model.{field}") and words in errors[0].message


@pytest.mark.parametrize("extra, field, words", [
    ("    long_context: {threshold: -1, prices: {input: '2', output: '3'}}\n", "long_context.threshold", "at least 1"),
    ("    long_context: {threshold: 1e308, prices: {input: '2', output: '3'}}\n", "long_context.threshold", "whole number"),
    ("    batch_multiplier: .nan\n", "batch_multiplier", "finite number"),
    ("    batch_multiplier: '-0.5'\n", "batch_multiplier", "must not be negative"),
    ("    context_window: lots\n", "context_window", "whole number"),
    ("    checked: 2026-02-30\n", "my-model", "expected a date"),
])
def test_catalog_fields_name_line_and_field(extra, field, words):
    text = GOOD_MODEL.replace("    checked: 2026-11-26\n", "") + extra
    if "checked" not in extra:
        text += "    checked: 2026-11-26\n"
    catalog, errors = parse_catalog(text, "models.yaml", "user")
    assert len(catalog) == 0 and errors, text
    assert errors[0].field == f"my-model.{field}" if field != "my-model" else errors[0].field == "my-model"
    assert words in errors[0].message and errors[0].line


def test_a_hostile_user_catalog_never_stops_the_cli(tmp_path, monkeypatch):
    """An alias bomb (or any broken file) as the user's price overrides: a warning, the bundled prices."""
    monkeypatch.setenv("TOKEN_BUDGET_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TOKEN_BUDGET_CACHE_DIR", str(tmp_path / "cache"))
    bomb = "a: &a [x, x]\n" + "".join(f"b{i}: &b{i} [*a, *a, *a]\n" for i in range(60))
    for content in (bomb, "\x00binary", "models: [" * 3000):
        (tmp_path / "models.yaml").write_text(content, encoding="utf-8")
        catalog, errors = load_catalog()
        assert len(catalog) > 20 and errors and errors[0].file.endswith("models.yaml")
        status, out, err = cli("cost", "--model", "gemini-3.1-pro-preview", "--input", "50000", "--output", "2000")
        assert status == 0 and "$0.124" in out and err.startswith("warning: ")
        status, out, err = cli("count", "-", "--model", "gpt-5", stdin=b"hello world")
        assert status == 0 and out.startswith("2 tokens")


def test_unicode_and_control_characters_in_names_do_not_break_errors(tmp_path):
    text = PLAN.format(**OK).replace("name: Plan", "name: \"\\u202e\\u0000evil\\u202c\"").replace(
        "primary_model: gpt-5", "primary_model: " + "g" * 10_000)
    scenario, errors = parse_scenario(text, "plan.yaml")
    assert scenario is None and errors and all(len(str(e)) < 700 for e in errors)
