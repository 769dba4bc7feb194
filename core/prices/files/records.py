"""What a price file yields: the neutral field names and the ImportedPrice / ImportedModel / ImportResult records."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Mapping

from core.base import Problem

RATE_FIELDS = ("input", "cached_input", "cache_write_5m", "cache_write_1h", "output")
TIER_PREFIX = "long_context."
THRESHOLD_FIELD = "long_context.threshold"
BATCH_FIELD = "batch_multiplier"
# Every field an ImportedPrice can carry, in display order.
ALL_FIELDS = (RATE_FIELDS + (BATCH_FIELD, THRESHOLD_FIELD)
              + tuple(TIER_PREFIX + f for f in RATE_FIELDS))


@dataclass(frozen=True, slots=True)
class ImportedPrice:
    """One price for one model and field, as a downloaded file states it.

    `value` is USD per 1M tokens for rate fields, a plain ratio for `batch_multiplier` and a token
    count for `long_context.threshold`.
    """

    model_ref: str          # unique within the file (LiteLLM key; genai-prices "provider/id")
    field: str              # one of ALL_FIELDS
    value: Decimal
    effective: date | None = None   # genai-prices start_date; None = in force from the start
    location: str = ""      # key path in the file, for messages


@dataclass(frozen=True, slots=True)
class ImportedModel:
    """One model entry of a price file with its prices (possibly several dated periods)."""

    ref: str                # unique key within the file
    model_id: str           # the id as the source spells it (no provider prefix for genai-prices)
    provider: str           # the file's provider name (litellm_provider or genai-prices provider id)
    name: str = ""
    context_window: int | None = None
    max_output: int | None = None
    checked: date | None = None       # genai-prices prices_checked
    source: str = ""                  # URL the file cites, if any
    mode: str | None = None           # LiteLLM mode
    deprecated: bool = False          # genai-prices deprecated/removed flag
    deprecation_date: date | None = None  # LiteLLM deprecation_date
    aliases: tuple[str, ...] = ()     # other names the file says this entry answers to
    prices: tuple[ImportedPrice, ...] = ()

    def is_deprecated(self, day: date | None = None) -> bool:
        day = day or date.today()
        return self.deprecated or (self.deprecation_date is not None and self.deprecation_date <= day)

    def effective_dates(self) -> tuple[date | None, ...]:
        dates = {p.effective for p in self.prices}
        return tuple(sorted(dates, key=lambda d: (d is not None, d or date.min)))

    def prices_on(self, day: date | None = None) -> dict[str, ImportedPrice]:
        """The field → price mapping in force on `day` (today when None).

        genai-prices conditional prices are complete price sets, not overlays: the last one whose
        start date has passed wins, and a field it omits is simply not priced then.
        """
        day = day or date.today()
        active: date | None | bool = False
        for eff in self.effective_dates():
            if eff is None or eff <= day:
                active = eff
        if active is False:
            return {}
        return {p.field: p for p in self.prices if p.effective == active}

    def scheduled_after(self, day: date | None = None) -> tuple[date, ...]:
        day = day or date.today()
        return tuple(d for d in self.effective_dates() if d is not None and d > day)


@dataclass(frozen=True)
class ImportResult:
    """Everything read from one price file: models (by ref), errors as values, what was skipped."""

    file: str
    format: str                                   # "litellm" | "genai-prices" | "unknown"
    models: Mapping[str, ImportedModel] = field(default_factory=dict)
    errors: tuple[Problem, ...] = ()
    skipped: int = 0                              # entries that are not text-generation models
    entries: int = 0                              # entries looked at

    @property
    def prices(self) -> tuple[ImportedPrice, ...]:
        return tuple(p for m in self.models.values() for p in m.prices)

    @property
    def ok(self) -> bool:
        """True when the file yielded at least one priced model."""
        return bool(self.models)
