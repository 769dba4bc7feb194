"""`python main.py selfhost ...` as a user runs it: a real process, bundled data, no Qt."""
from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def selfhost(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "main.py", "selfhost", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_text_output_names_every_figure():
    result = selfhost("--model", "llama-3.1-8b", "--gpu", "h100", "--quant", "fp8", "--kv", "fp8",
                      "--context", "1152", "--reserve", "2176", "--prompt", "128")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("Llama 3.1 8B on 1× NVIDIA H100 SXM 80GB")
    for label in ("weights", "KV cache", "batch", "decode", "roofline", "prefill", "cost",
                  "per 1M output", "TPOT", "TTFT", "$2.95/GPU-hour"):
        assert label in out
    assert result.stderr == ""


def test_json_output_is_the_estimate():
    result = selfhost("--model", "llama-3.3-70b", "--gpu", "h100", "--gpus", "2", "--quant", "fp8",
                      "--kv", "fp8", "--batch", "1", "--context", "5250", "--prompt", "5000",
                      "--usd-per-hour", "2.50", "--utilization", "0.5", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["n_gpus"] == 2 and data["batch"] == 1
    assert data["deployment"]["weight_quant"] == "fp8"
    assert 12 < data["tpot_ms"] < 25  # NIM measured 18.58 ms
    assert Decimal(data["usd_per_hour_total"]) == Decimal("10")  # 2 × $2.50 / 0.5
    assert Decimal(data["output_per_mtok"]) > Decimal(data["input_per_mtok"]) > 0


def test_impossible_configuration_is_one_line_and_exit_2():
    result = selfhost("--model", "llama-2-70b", "--gpu", "h100", "--gpus", "1")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip().count("\n") == 0
    assert "exceed one h100's 80 GB: use more GPUs or quantize" in result.stderr


def test_user_errors_exit_2_without_traceback():
    for args in (("--model", "gpt-9", "--gpu", "h100"),
                 ("--model", "llama-3.1-8b", "--gpu", "h100", "--quant", "int3"),
                 ("--model", "llama-3.1-8b", "--gpu", "h100", "--batch", "0"),
                 ("--model", "llama-3.1-8b", "--gpu", "h100", "--utilization", "2"),
                 ("--model", "llama-3.1-8b", "--gpu", "h100", "--usd-per-hour", "free"),
                 ("--model", "llama-3.1-8b", "--gpu", "h100", "--mbu", "1.5"),
                 ("--model", "llama-3.1-8b", "--gpu", "h100", "--context", "0"),
                 ("--model", "llama-3.1-8b",)):
        result = selfhost(*args)
        assert result.returncode == 2, args
        assert "Traceback" not in result.stderr and result.stderr.startswith("error: "), args


def test_auto_gpu_count_and_warnings_print():
    result = selfhost("--model", "deepseek-v3", "--gpu", "h100", "--quant", "fp8-block128",
                      "--kv", "fp8")
    assert result.returncode == 0, result.stderr
    assert "on 16× NVIDIA H100" in result.stdout and "warning" in result.stdout
