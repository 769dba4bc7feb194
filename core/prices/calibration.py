"""Per-model correction factors for estimated token counts, learnt from counts a provider actually billed."""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Mapping

import yaml

from core.base import atomic_write_text  # temp file + os.replace, keeps <name>.bak
from core.base import Problem, is_model_id, read_yaml_file

SCHEMA_VERSION = 1
CALIBRATION_FILE = "calibration.yaml"

# After calibration the systematic bias of the proxy tokenizer (tiktoken standing in for Claude's
# or Gemini's vocabulary, typically 10-20% off) is measured away; what remains is how much the
# billed/estimate ratio varies between texts of the same kind. For prose and code that variation
# is a few percent (the ctoc author reports ~96-99% agreement between two vocabularies over
# similar text), so ±3% is an honest residual band, and it is never wider than the band before.
RESIDUAL_BAND_PCT = 3.0
# Below ~100 tokens the provider's fixed per-request framing (role markers, a system preamble)
# is a large share of the billed count and would be misread as a tokenizer ratio.
MIN_SAMPLE_TOKENS = 100
# A billed count 4x the estimate (or a quarter of it) means a different prompt was pasted, or
# the billed figure includes tools / images / history; refusing it protects every later count.
FACTOR_LIMITS = (0.25, 4.0)


@dataclass(frozen=True, slots=True)
class Calibration:
    """What the user has told us about one model: summed estimates and summed billed counts."""

    model_id: str
    estimate_tokens: int
    billed_tokens: int
    samples: int
    updated: date

    @property
    def factor(self) -> float:
        # A ratio of totals weights each sample by its size: long prompts, whose framing
        # overhead is negligible, say the most about the tokenizer.
        return self.billed_tokens / self.estimate_tokens


@dataclass(frozen=True, slots=True)
class CalibratedCount:
    """A calibrated token estimate, shaped like core.tokens.counting.TokenCount plus `calibrated` and `factor`."""

    tokens: int
    exact: bool
    encoding: str
    band_pct: float | None
    calibrated: bool = True
    factor: float = 1.0

    @property
    def low(self) -> int:
        return self.tokens if not self.band_pct else max(0, math.floor(self.tokens * (1 - self.band_pct / 100)))

    @property
    def high(self) -> int:
        return self.tokens if not self.band_pct else math.ceil(self.tokens * (1 + self.band_pct / 100))

    @property
    def label(self) -> str:
        band = f" ± {self.band_pct:g}%" if self.band_pct else ""
        return f"≈ {self.tokens:,}{band} (calibrated)"


def calibration_path() -> Path:
    from core.base import app_data_dir  # honours TOKEN_BUDGET_DATA_DIR (tests use tmp_path)

    return app_data_dir() / CALIBRATION_FILE


# --- pure parts ------------------------------------------------------------------------------


def parse_calibrations(data: Any, file: str) -> tuple[dict[str, Calibration], list[Problem]]:
    """Decoded calibration YAML → (model id → Calibration, errors). Bad entries are skipped."""
    if data is None:
        return {}, []
    if not isinstance(data, dict) or not isinstance(data.get("models", {}), dict):
        return {}, [Problem(file, getattr(data, "line", None), "models",
                              "expected a mapping with schema_version and models")]
    if data.get("schema_version", SCHEMA_VERSION) != SCHEMA_VERSION:
        return {}, [Problem(file, None, "schema_version",
                              f"unsupported schema_version {data.get('schema_version')!r}")]
    models = data.get("models") or {}
    out: dict[str, Calibration] = {}
    errors: list[Problem] = []
    for model_id, entry in models.items():
        line = models.line_of(model_id) if hasattr(models, "line_of") else None
        try:
            out[str(model_id)] = _entry(model_id, entry)
        except ValueError as exc:
            errors.append(Problem(file, line, str(model_id)[:80], str(exc)))
    return out, errors


def _whole(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10**15:
        raise ValueError(f"{what} must be a whole number ≥ 1, got {value!r}"[:200])
    return value


def _entry(model_id: Any, entry: Any) -> Calibration:
    if not is_model_id(model_id):
        raise ValueError("model id must be a catalog slug")
    if not isinstance(entry, dict):
        raise ValueError("expected estimate_tokens, billed_tokens, samples, updated")
    estimate = _whole(entry.get("estimate_tokens"), "estimate_tokens")
    billed = _whole(entry.get("billed_tokens"), "billed_tokens")
    samples = _whole(entry.get("samples", 1), "samples")
    updated = entry.get("updated")
    if isinstance(updated, str):
        try:
            updated = date.fromisoformat(updated)
        except ValueError:
            pass
    if not isinstance(updated, date):
        raise ValueError(f"updated must be a date, got {updated!r}"[:200])
    result = Calibration(model_id, estimate, billed, samples, updated)
    if not FACTOR_LIMITS[0] <= result.factor <= FACTOR_LIMITS[1]:
        raise ValueError(f"factor {result.factor:.3f} is outside {FACTOR_LIMITS[0]}–{FACTOR_LIMITS[1]}")
    return result


def dump_calibrations(calibrations: Mapping[str, Calibration]) -> str:
    models = {
        c.model_id: {"factor": round(c.factor, 6), "estimate_tokens": c.estimate_tokens,
                     "billed_tokens": c.billed_tokens, "samples": c.samples, "updated": c.updated}
        for c in sorted(calibrations.values(), key=lambda c: c.model_id)
    }
    return ("# Token Budget: token-count calibration per model (billed ÷ estimated tokens).\n"
            "# `factor` is informative; it is recomputed from the two totals when read.\n"
            + yaml.safe_dump({"schema_version": SCHEMA_VERSION, "models": models},
                             sort_keys=False, allow_unicode=True))


def add_sample(previous: Calibration | None, model_id: str, our_estimate: int, billed: int,
               today: date) -> Calibration:
    """Fold one (estimate, billed) pair into a model's calibration; raises ValueError if implausible."""
    if not is_model_id(model_id):
        raise ValueError(f"model id must be a catalog slug like 'claude-sonnet-4-5', got {model_id!r}")
    for value, what in ((our_estimate, "the estimate"), (billed, "the billed count")):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value > 10**12:
            raise ValueError(f"{what} must be a whole number of tokens, got {value!r}")
    if our_estimate < MIN_SAMPLE_TOKENS or billed < MIN_SAMPLE_TOKENS:
        raise ValueError(f"use a prompt of at least {MIN_SAMPLE_TOKENS} tokens: below that the "
                         "provider's per-request framing swamps the tokenizer difference")
    ratio = billed / our_estimate
    if not FACTOR_LIMITS[0] <= ratio <= FACTOR_LIMITS[1]:
        raise ValueError(f"billed {billed:,} is {ratio:.2f}× the estimate {our_estimate:,}: that is "
                         "not a tokenizer difference (was the same prompt pasted, without tools, "
                         "images or chat history?)")
    if previous is None:
        return Calibration(model_id, our_estimate, billed, 1, today)
    return Calibration(model_id, previous.estimate_tokens + our_estimate,
                       previous.billed_tokens + billed, previous.samples + 1, today)


def calibrated(count: Any, factor: float) -> Any:
    """A token count corrected by a model's factor, marked as a calibrated estimate.

    tokens = round(tokens × factor); exact=False; the band narrows to ±RESIDUAL_BAND_PCT (never
    widens). Exact counts are returned unchanged: their tokenizer is the provider's own, so the
    only gap to a billed count is per-message framing, which is additive — scaling it by a
    factor would make counts of other prompt sizes wrong.
    """
    if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not math.isfinite(factor) \
            or not FACTOR_LIMITS[0] <= factor <= FACTOR_LIMITS[1]:
        raise ValueError(f"calibration factor must be within {FACTOR_LIMITS}, got {factor!r}")
    if getattr(count, "exact", False):
        return count
    tokens = round(count.tokens * factor)
    band = count.band_pct
    band = RESIDUAL_BAND_PCT if band is None else min(float(band), RESIDUAL_BAND_PCT)
    names = {f.name for f in dataclasses.fields(count)} if dataclasses.is_dataclass(count) else set()
    if "calibrated" in names:
        # core.tokens.counting.TokenCount learnt the flag: stay within its type.
        return dataclasses.replace(count, tokens=tokens, exact=False, band_pct=band, calibrated=True)
    return CalibratedCount(tokens, False, getattr(count, "encoding", ""), band, True, float(factor))


apply = calibrated  # the name the issue uses


# --- the file in the app-data folder ---------------------------------------------------------


def load(path: Path | str | None = None) -> tuple[dict[str, Calibration], list[Problem]]:
    """All calibrations; a missing file is empty, a corrupted one is empty plus an error value."""
    path = Path(path) if path is not None else calibration_path()
    if not path.exists():
        return {}, []
    data, errors = read_yaml_file(path, label=str(path))
    if errors:
        return {}, errors
    return parse_calibrations(data, str(path))


def factor(model_id: str, path: Path | str | None = None) -> float | None:
    """The model's correction factor, or None when it has never been calibrated (or the file is bad)."""
    calibrations, _ = load(path)
    entry = calibrations.get(model_id)
    return entry.factor if entry else None


def _save(calibrations: Mapping[str, Calibration], path: Path) -> list[Problem]:
    try:
        atomic_write_text(path, dump_calibrations(calibrations), keep_backup=True)
    except OSError as exc:
        return [Problem(str(path), None, "", f"cannot write: {exc.strerror or exc}")]
    return []


def record(model_id: str, our_estimate: int, billed: int, *, path: Path | str | None = None,
           today: date | None = None) -> tuple[Calibration | None, list[Problem]]:
    """Add one sample and save; returns (the model's new calibration or None, errors).

    `our_estimate` must be the uncalibrated estimate for the prompt the provider billed. If the
    file is corrupted it is kept as `<name>.bak` and a fresh file is started (reported as an error
    value), so one bad file never blocks calibrating again.
    """
    path = Path(path) if path is not None else calibration_path()
    today = today or date.today()
    calibrations, errors = load(path)
    try:
        updated = add_sample(calibrations.get(model_id), model_id, our_estimate, billed, today)
    except ValueError as exc:
        return None, errors + [Problem(str(path), None, str(model_id)[:80], str(exc))]
    if errors:
        errors = errors + [Problem(str(path), None, "", "the unreadable parts were dropped; the "
                                     f"previous file is kept as {path.name}.bak")]
    new = dict(calibrations)
    new[model_id] = updated
    write_errors = _save(new, path)
    if write_errors:
        return None, errors + write_errors
    return updated, errors


def reset(model_id: str, *, path: Path | str | None = None) -> tuple[bool, list[Problem]]:
    """Forget a model's calibration; returns (whether there was one, errors)."""
    path = Path(path) if path is not None else calibration_path()
    calibrations, errors = load(path)
    if model_id not in calibrations:
        return False, errors
    remaining = {k: v for k, v in calibrations.items() if k != model_id}
    return True, errors + _save(remaining, path)
