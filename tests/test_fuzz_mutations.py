"""Structure-aware fuzzing: valid scenarios and catalog entries with hostile edits, and files fed to the CLI.

tests/test_fuzz_loaders.py throws arbitrary text and YAML-shaped trees at the loaders; almost none of
those get past the first checks. Here real documents (the bundled demo, bundled catalog entries) get
one to four edits each — a value replaced by something hostile, a key deleted, an unknown key added —
so every field's validation is reached. Whatever happens, the loaders return errors as values, and
each error about a field names the file, the line and the field.
"""
from __future__ import annotations

import copy
import io
import string
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st
from tests.profiles import examples

from core.prices.catalog import parse_catalog
from cli import run as cli_run
from core.plan.scenario import parse_scenario

ROOT = Path(__file__).resolve().parents[1]
FUZZ = settings(max_examples=examples(2000), deadline=None, suppress_health_check=list(HealthCheck))
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

DEMO = yaml.safe_load((ROOT / "resources" / "demo_scenario.yaml").read_text(encoding="utf-8"))
for _prompt in DEMO["prompts"]:
    _prompt["text"] = _prompt.get("text", "")[:120]  # the structure matters here, not 20 kB of prose
DEMO["workload"]["horizon_months"] = 2
_BUNDLED = yaml.safe_load((ROOT / "resources" / "models.yaml").read_text(encoding="utf-8"))["models"]
ENTRIES = [m for m in _BUNDLED if m.get("long_context")][:2] + [m for m in _BUNDLED if m.get("changes")][:2]

hostile = st.one_of(
    st.none(), st.booleans(), st.integers(-10**40, 10**40), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30), st.text(string.digits + "._-+eE", max_size=12),
    st.sampled_from(["1e308", "-1e308", "-1", "-0", "NaN", ".nan", ".inf", "-.inf", "", " ", "0x1F", "1_000",
                     "2026-02-30", "2026-13-01", "9" * 5000, "lots", "5m", "1h", "gpt-5", "estimate:gemini",
                     "o200k_base", "\u202e", "😀", "a" * 300_000]),
    st.dates().map(str), st.lists(st.integers(-5, 5), max_size=3),
    st.dictionaries(st.sampled_from(["input", "output", "threshold", "x", "enabled", "share"]),
                    st.integers(-5, 5) | st.text(max_size=4), max_size=3),
)


def _paths(node, prefix=()):
    """Every place in the document a value sits (mapping keys and list indices)."""
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, prefix + (index,))


def _apply(doc, edits):
    doc = copy.deepcopy(doc)
    for path, action, value in edits:
        if not path:
            continue
        parent = doc
        try:
            for step in path[:-1]:
                parent = parent[step]
            last = path[-1]
            if action == "set":
                parent[last] = value
            elif action == "delete":
                del parent[last]
            elif isinstance(parent, dict):
                parent[f"unknown_{len(parent)}"] = value
            else:
                parent.append(value)
        except (KeyError, IndexError, TypeError, AttributeError):
            continue  # an earlier edit removed or replaced this place
    return doc


def edits_of(doc):
    paths = list(_paths(doc))
    return st.lists(st.tuples(st.sampled_from(paths), st.sampled_from(["set", "set", "delete", "add"]), hostile),
                    min_size=1, max_size=4)


def _dump(doc) -> str:
    return yaml.dump(doc, Dumper=DUMPER, allow_unicode=True, sort_keys=False)


DOCUMENT_LEVEL = ("invalid YAML", "a scenario file must be", "expected a mapping with schema_version",
                  "the file is empty", "file is larger")


def _check(errors, file: str):
    assert isinstance(errors, list)
    for error in errors:
        assert error.file == file and error.message
        if not error.message.startswith(DOCUMENT_LEVEL):
            assert error.line is not None, error  # a field problem names its line…
            assert error.field or error.message.startswith("duplicate"), error  # …and its field
        assert len(str(error)) < 1_000  # long values are quoted briefly


@FUZZ
@given(edits_of(DEMO))
def test_edited_demo_scenarios_give_located_errors_or_a_scenario(edits):
    scenario, errors = parse_scenario(_dump(_apply(DEMO, edits)), "plan.yaml")
    assert (scenario is None) == bool(errors)
    _check(errors, "plan.yaml")


@FUZZ
@given(st.integers(0, len(ENTRIES) - 1).flatmap(lambda i: st.tuples(st.just(i), edits_of(ENTRIES[i]))))
def test_edited_catalog_entries_give_located_errors_or_a_model(case):
    index, edits = case
    document = {"schema_version": 1, "models": [_apply(ENTRIES[index], edits), ENTRIES[(index + 1) % len(ENTRIES)]]}
    catalog, errors = parse_catalog(_dump(document), "models.yaml", "user")
    _check(errors, "models.yaml")
    assert len(catalog) >= 1  # the untouched entry always loads, whatever its neighbour holds


# --- files through the command line ---------------------------------------------------------------


def _cli(argv) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    old = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(b""))
    try:
        with redirect_stdout(out), redirect_stderr(err):
            status = cli_run(argv)
    finally:
        sys.stdin = old
    return status, err.getvalue()


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz-files")


file_bytes = st.one_of(
    st.binary(max_size=3000),
    st.text(max_size=3000).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.text(max_size=1000).map(lambda t: b"\xef\xbb\xbf" + t.encode("utf-8", "replace")),
    st.text(max_size=500).map(lambda t: t.encode("utf-16")),
)


@FUZZ
@given(content=file_bytes, model=st.sampled_from(["gpt-5", "claude-sonnet-4-6", "gemini-3.1-pro-preview"]),
       chat=st.booleans())
def test_count_on_arbitrary_file_contents(work, content, model, chat):
    path = work / "input.txt"
    path.write_bytes(content)
    status, err = _cli(["count", str(path), "--model", model, "--json"] + (["--chat"] if chat else []))
    assert status in (0, 2), err
    assert "Traceback" not in err and (status == 0 or err.count("\n") == 1), err


@settings(FUZZ, max_examples=examples(300))  # each valid plan is projected in full: fewer examples
@given(edits_of(DEMO))
def test_project_on_edited_scenarios(work, edits):
    path = work / "plan.yaml"
    path.write_text(_dump(_apply(DEMO, edits)), encoding="utf-8")
    status, err = _cli(["project", str(path), "--json"])
    assert status in (0, 2), err
    assert "Traceback" not in err and "internal error" not in err, err
