"""`token-budget count`: output formats, catalog resolution (and its memo), one-line errors."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cli import run
from cli import count_cmd
from core.tokens.counting import ESTIMATE_FAMILIES
from tests.test_tokens_reference import reference_encoding

ROOT = Path(__file__).resolve().parents[1]
TEXT = "Token Budget counts tokens offline. It's exact for GPT models!\n"


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path, monkeypatch):
    """No user catalog, and the memo goes to a fresh cache folder: tests never touch $HOME."""
    monkeypatch.setenv("TOKEN_BUDGET_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TOKEN_BUDGET_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def sample(tmp_path):
    f = tmp_path / "prompt.txt"
    f.write_text(TEXT, encoding="utf-8")
    return f


def _json(capsys, *argv):
    assert run(["count", *map(str, argv), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_exact_model_json(capsys, sample):
    out = _json(capsys, sample, "--model", "gpt-5")
    n = len(reference_encoding("o200k_base").encode_ordinary(TEXT))
    assert out == {"model": "gpt-5", "tokens": n, "exact": True, "encoding": "o200k_base",
                   "band_pct": None, "low": n, "high": n, "chat_overhead": 0}


def test_chat_adds_framing(capsys, sample):
    plain = _json(capsys, sample, "--model", "gpt-5")
    chat = _json(capsys, sample, "--model", "gpt-5", "--chat")
    assert chat["tokens"] == plain["tokens"] + 7 and chat["chat_overhead"] == 7


def test_estimate_model_human_line(capsys, sample):
    assert run(["count", str(sample), "--model", "claude-sonnet-5"]) == 0
    line = capsys.readouterr().out
    fam = ESTIMATE_FAMILIES["anthropic"]
    proxy = len(reference_encoding("o200k_base").encode_ordinary(TEXT))
    tokens = int(proxy * fam.factor + 0.5)
    assert line == (f"≈ {tokens:,} ± {fam.band_pct:g}% tokens (estimate via o200k_base "
                    f"×{fam.factor:g}) for claude-sonnet-5\n")
    out = _json(capsys, sample, "--model", "claude-sonnet-5")
    assert out["exact"] is False and out["band_pct"] == fam.band_pct
    assert out["low"] < out["tokens"] < out["high"]


def test_exact_human_line(capsys, tmp_path):
    f = tmp_path / "big.txt"
    f.write_text("word " * 12_345, encoding="utf-8")
    assert run(["count", str(f), "--model", "gpt-5", "--chat"]) == 0
    n = len(reference_encoding("o200k_base").encode_ordinary("word " * 12_345)) + 7
    assert capsys.readouterr().out == (f"{n:,} tokens (exact, o200k_base) for gpt-5, "
                                       f"including 7 chat-format tokens\n")


def test_stdin(capsys, monkeypatch):
    import io

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(TEXT.encode())))
    out = _json(capsys, "-", "--model", "gpt-5")
    assert out["tokens"] == len(reference_encoding("o200k_base").encode_ordinary(TEXT))


@pytest.mark.parametrize(
    "content, message",
    [
        (b"\x7fELF\x00\x00", "looks binary (NUL byte at offset 4), not text"),
        (b"caf\xe9", "is not valid UTF-8 (byte 0xe9 at offset 3); save it as UTF-8"),
    ],
)
def test_bad_files_are_one_line_errors(capsys, tmp_path, content, message):
    f = tmp_path / "bad"
    f.write_bytes(content)
    assert run(["count", str(f), "--model", "gpt-5"]) == 2
    assert capsys.readouterr().err == f"error: {f} {message}\n"


def test_unknown_model_and_missing_file(capsys, sample, tmp_path):
    assert run(["count", str(sample), "--model", "gpt-99-ultra"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: unknown model 'gpt-99-ultra'") and err.count("\n") == 1
    assert run(["count", str(tmp_path / "missing.txt"), "--model", "gpt-5"]) == 2
    assert capsys.readouterr().err.startswith("error: cannot read ")
    assert run(["count", str(sample)]) == 2  # --model is required
    assert "--model" in capsys.readouterr().err


def test_catalog_memo_is_keyed_by_the_catalog(capsys, sample, tmp_path):
    first = _json(capsys, sample, "--model", "gpt-5")
    memo_file = tmp_path / "cache" / "catalog-tokenizers.json"
    memo = json.loads(memo_file.read_text())
    assert memo["tokenizers"]["gpt-5"] == "o200k_base"
    assert memo["tokenizers"]["claude-sonnet-5"].startswith("estimate:")
    # The memo is what answers while its key matches...
    memo["tokenizers"]["gpt-5"] = "cl100k_base"
    memo_file.write_text(json.dumps(memo))
    assert _json(capsys, sample, "--model", "gpt-5")["encoding"] == "cl100k_base"
    # ...and it is ignored as soon as any catalog file changes (here: a user override appears).
    user = tmp_path / "data" / "models.yaml"
    user.parent.mkdir(parents=True)
    user.write_text("schema_version: 1\nmodels: []\n")
    assert _json(capsys, sample, "--model", "gpt-5") == first
    # A corrupt memo is never trusted.
    memo_file.write_text("{not json")
    assert _json(capsys, sample, "--model", "gpt-5") == first
    memo_file.write_text(json.dumps({"key": "0" * 64, "tokenizers": {"gpt-5": "cl100k_base"}}))
    assert _json(capsys, sample, "--model", "gpt-5") == first


def test_memo_failure_to_write_is_harmless(capsys, sample, tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv("TOKEN_BUDGET_CACHE_DIR", str(blocker / "cache"))
    assert _json(capsys, sample, "--model", "gpt-5")["exact"] is True


def test_cache_dir_default_is_per_user(monkeypatch):
    monkeypatch.delenv("TOKEN_BUDGET_CACHE_DIR")
    assert "token-budget" in str(count_cmd.cache_dir())
    monkeypatch.setenv("TOKEN_BUDGET_CACHE_DIR", "")
    assert count_cmd.cache_dir() is None  # "" disables the memo (and the vocabulary cache)


def test_whole_process_entry_point(sample, tmp_path):
    env = dict(os.environ, TOKEN_BUDGET_DATA_DIR=str(tmp_path / "data"),
               TOKEN_BUDGET_CACHE_DIR=str(tmp_path / "cache"))
    done = subprocess.run([sys.executable, str(ROOT / "main.py"), "count", str(sample), "--model",
                           "gpt-5", "--json"], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["tokens"] == len(reference_encoding("o200k_base").encode_ordinary(TEXT))
    done = subprocess.run([sys.executable, str(ROOT / "main.py"), "count", "-", "--model", "gpt-5"],
                          input=b"\xff\xfe", capture_output=True, env=env, timeout=60)
    assert done.returncode == 2
    assert done.stderr.decode() == "error: <stdin> is not valid UTF-8 (byte 0xff at offset 0); save it as UTF-8\n"
    assert b"Traceback" not in done.stderr
