"""Token-count calibration: factors stored in the app-data folder, calibrated counts, corrupt files as errors."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from core.prices import calibration
from core.prices.calibration import CalibratedCount, calibrated


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    """Every test writes under tmp_path, never the real home folder."""
    monkeypatch.setenv("TOKEN_BUDGET_DATA_DIR", str(tmp_path))
    return tmp_path


@dataclass(frozen=True, slots=True)
class FakeCount:
    """The shape of core.tokens.counting.TokenCount (tokens, exact, encoding, band_pct)."""

    tokens: int
    exact: bool
    encoding: str
    band_pct: float | None


def test_record_factor_reset_round_trip(data_dir):
    assert calibration.factor("claude-sonnet-4-5") is None
    result, errors = calibration.record("claude-sonnet-4-5", 10_000, 11_500, today=date(2026, 11, 26))
    assert errors == [] and result.factor == pytest.approx(1.15)
    assert (data_dir / "calibration.yaml").exists()
    assert calibration.factor("claude-sonnet-4-5") == pytest.approx(1.15)
    assert calibration.factor("gpt-5") is None
    removed, errors = calibration.reset("claude-sonnet-4-5")
    assert removed and errors == []
    assert calibration.factor("claude-sonnet-4-5") is None
    assert calibration.reset("claude-sonnet-4-5") == (False, [])


def test_samples_combine_as_a_ratio_of_totals():
    calibration.record("m-1", 1_000, 1_200)
    result, _ = calibration.record("m-1", 9_000, 9_900)
    assert result.samples == 2 and (result.estimate_tokens, result.billed_tokens) == (10_000, 11_100)
    assert result.factor == pytest.approx(1.11)  # the long prompt weighs 9x the short one


@pytest.mark.parametrize("estimate, billed, words", [
    (50, 60, "at least"),          # too short: framing overhead swamps the ratio
    (1_000, 5_000, "not a tokenizer difference"),
    (1_000, 200, "not a tokenizer difference"),
    (-5, 100, "whole number"),
    (True, 100, "whole number"),
])
def test_implausible_samples_are_refused_and_nothing_is_written(data_dir, estimate, billed, words):
    result, errors = calibration.record("m-1", estimate, billed)
    assert result is None and words in errors[-1].message
    assert not (data_dir / "calibration.yaml").exists()


def test_bad_model_id_is_refused():
    result, errors = calibration.record("Not A Slug!", 1_000, 1_100)
    assert result is None and "slug" in errors[0].message


def test_corrupted_file_is_an_error_value_and_recording_recovers(data_dir):
    path = data_dir / "calibration.yaml"
    path.write_bytes(b"schema_version: 1\nmodels: {m-1: [unclosed\n")
    calibrations, errors = calibration.load()
    assert calibrations == {} and errors and errors[0].line is not None
    assert calibration.factor("m-1") is None
    result, errors = calibration.record("m-1", 1_000, 1_100)
    assert result is not None and any(".bak" in e.message for e in errors)
    assert (data_dir / "calibration.yaml.bak").read_bytes().startswith(b"schema_version: 1\nmodels: {m-1: [")
    assert calibration.factor("m-1") == pytest.approx(1.1)


@pytest.mark.parametrize("content", [
    b"\x00\x01\x02binary",
    b"\xff\xfe not utf-8",
    b"- just\n- a list\n",
    b"schema_version: 99\nmodels: {}\n",
    b"",
])
def test_unusable_files_never_crash(data_dir, content):
    (data_dir / "calibration.yaml").write_bytes(content)
    calibrations, _ = calibration.load()
    assert calibrations == {}
    assert calibration.factor("m-1") is None
    assert calibration.reset("m-1")[0] is False


def test_bad_entries_are_skipped_and_good_ones_kept(data_dir):
    (data_dir / "calibration.yaml").write_text("""\
schema_version: 1
models:
  good-one: {estimate_tokens: 1000, billed_tokens: 1100, samples: 1, updated: 2026-11-01}
  bad-one: {estimate_tokens: 0, billed_tokens: 1100, samples: 1, updated: 2026-11-01}
  wild-one: {estimate_tokens: 100, billed_tokens: 100000, samples: 1, updated: 2026-11-01}
""")
    calibrations, errors = calibration.load()
    assert list(calibrations) == ["good-one"]
    assert {e.field for e in errors} == {"bad-one", "wild-one"} and errors[0].line == 4


def test_writes_are_atomic_and_leave_no_temp_files(data_dir):
    calibration.record("m-1", 1_000, 1_100)
    calibration.record("m-2", 1_000, 900)
    names = sorted(p.name for p in data_dir.iterdir())
    assert names == ["calibration.yaml", "calibration.yaml.bak"]


# --- calibrated counts -----------------------------------------------------------------------


def test_calibrated_count_scales_narrows_the_band_and_says_so():
    count = calibrated(FakeCount(10_735, False, "o200k_base", 15.0), 1.15)
    assert isinstance(count, CalibratedCount)
    assert count.tokens == round(10_735 * 1.15) == 12_345
    assert count.exact is False and count.calibrated is True and count.band_pct == 3.0
    assert count.label == "≈ 12,345 ± 3% (calibrated)"
    assert count.low <= count.tokens <= count.high
    assert (count.low, count.high) == (11_974, 12_716)


def test_calibration_never_widens_a_band():
    assert calibrated(FakeCount(1_000, False, "o200k_base", 2.0), 1.1).band_pct == 2.0
    assert calibrated(FakeCount(1_000, False, "o200k_base", None), 1.1).band_pct == 3.0


def test_exact_counts_are_not_scaled():
    exact = FakeCount(1_000, True, "o200k_base", None)
    assert calibrated(exact, 1.2) is exact


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan"), float("inf"), 10.0, True])
def test_calibrated_refuses_impossible_factors(bad):
    with pytest.raises(ValueError):
        calibrated(FakeCount(1_000, False, "x", 10.0), bad)


def test_a_token_count_type_with_a_calibrated_flag_keeps_its_type():
    @dataclass(frozen=True, slots=True)
    class Flagged:
        tokens: int
        exact: bool
        encoding: str
        band_pct: float | None
        calibrated: bool = False

    result = calibrated(Flagged(1_000, False, "o200k_base", 12.0), 1.1)
    assert type(result) is Flagged and result.calibrated and result.tokens == 1_100


def test_works_with_the_real_token_count():
    """A real estimate from the counter calibrates; if TokenCount or count_tokens moves, this fails."""
    from core.prices.calibration import RESIDUAL_BAND_PCT
    from core.tokens import count_tokens

    estimate = count_tokens("Calibrate this estimate, please. " * 40, "estimate:anthropic")
    assert estimate.exact is False and estimate.tokens > 0 and estimate.band_pct
    result = calibrated(estimate, 1.2)
    assert result.tokens == round(estimate.tokens * 1.2) and result.exact is False
    assert result.band_pct == min(estimate.band_pct, RESIDUAL_BAND_PCT)
    assert "calibrated" in result.label and result.low <= result.tokens <= result.high
    exact = count_tokens("An exact count is never scaled.", "o200k_base")
    assert exact.exact and calibrated(exact, 1.2) is exact


def test_apply_is_the_same_function():
    assert calibration.apply is calibrated
