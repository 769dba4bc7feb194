"""The roofline against published measurements (cases in bench/bench_selfhost.py, tolerances here)."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from core.selfhost.hardware import load_hardware, load_open_models

_BENCH = Path(__file__).resolve().parents[1] / "bench" / "bench_selfhost.py"
_spec = importlib.util.spec_from_file_location("bench_selfhost", _BENCH)
bench = importlib.util.module_from_spec(_spec)
sys.modules["bench_selfhost"] = bench  # dataclasses resolve their module by name
_spec.loader.exec_module(bench)

MODELS, _ = load_open_models()
HARDWARE, _ = load_hardware()

# Tolerance = allowed |predicted / published − 1|, with the reason it is what it is.
TOLERANCES: dict[str, tuple[float, str]] = {
    "trt-8b-h100": (0.35, "max-throughput decode limited by KV capacity (FP8 KV, ISL+OSL reserved) "
                          "and by FP8 compute; engine defaults MBU 0.75 / MFU 0.6 sit mid-range of "
                          "§6's 0.7-0.9 large-batch calibration, so ±35% covers the spread"),
    "trt-8b-h200": (0.35, "same engine and workload as the H100 row; H200 only changes memory and "
                          "bandwidth, so the same ±35% applies"),
    "trt-70b-h200": (0.35, "KV-capacity-bound with ~150 sequences; §6 rows 3-4 put the "
                           "published figures at 0.74-0.77 of the roofline, the 0.75 large-batch "
                           "MBU default; ±35% for the KV-dtype and admission assumptions"),
    "trt-70b-2xh100": (0.35, "as the H200 row plus TP2 (0.9 per doubling, §1.7); ±35%"),
    "nim-70b-2xh100-c1": (0.35, "batch-1 TPOT is one weight read per step: the small-batch MBU "
                                "0.65 and TP 0.9 land near NIM's implied 0.57 MBU; ±35%"),
    "llamacpp-8b-4090-f16": (0.35, "llama.cpp reaches 0.87 of the roofline here while the engine "
                                   "default small-batch MBU is 0.65 (0.75 ratio); ±35% keeps one "
                                   "default for all engines rather than tuning per engine"),
    "llamacpp-8b-4090-q4km": (0.35, "quantized llama.cpp kernels reach 0.64 of the roofline "
                                    "(§6 row 12), close to the 0.65 default; ±35%"),
}


def test_every_required_case_has_a_tolerance():
    assert {c.id for c in bench.CASES} == set(TOLERANCES)


@pytest.mark.parametrize("case", bench.CASES, ids=lambda c: c.id)
def test_prediction_within_tolerance_of_published(case):
    tolerance, reason = TOLERANCES[case.id]
    ratio = bench.predicted(case, MODELS, HARDWARE) / case.published
    assert abs(ratio - 1) <= tolerance, (
        f"{case.label}: predicted/published = {ratio:.2f}, outside ±{tolerance:.0%} ({reason})")


@pytest.mark.parametrize("case", bench.EXTRA_CASES, ids=lambda c: c.id)
def test_informational_cases_still_estimate(case):
    """Not calibrated (FP4 on Blackwell, large MoE): only checked to stay within a factor of 2.5."""
    ratio = bench.predicted(case, MODELS, HARDWARE) / case.published
    assert 0.4 < ratio < 2.5


def test_batching_is_a_lever_of_roughly_100x():
    """§1.8: the same 70B FP8 TP2 deployment at concurrency 1 vs max throughput."""
    by_id = {c.id: c for c in bench.CASES}
    single = bench.predicted(by_id["nim-70b-2xh100-c1"], MODELS, HARDWARE)  # ms per token
    batched = bench.predicted(by_id["trt-70b-2xh100"], MODELS, HARDWARE)  # tok/s
    assert 80 < batched / (1000 / single) < 250


def test_bench_prints_a_row_per_case(capsys):
    assert bench.main([]) == 0  # (not pytest's own command line)
    out = capsys.readouterr().out
    for case in bench.CASES + bench.EXTRA_CASES:
        row = next(line for line in out.splitlines() if line.startswith(case.label))
        ratio = bench.predicted(case, MODELS, HARDWARE) / case.published
        assert row.endswith(f"{ratio:.2f}x"), row  # each row ends with its predicted / published
    assert "ratio = predicted / published" in out
