"""Price age: which models' prices were last checked too long ago, and the warning sentence reports print."""
from __future__ import annotations

from datetime import date
from typing import Iterable

from core.prices.catalog import Model

# Providers re-price every few months (prices-2026.md lists cuts of 20-80% within a quarter), so
# a price unchecked for a quarter is the point where a projection deserves a visible caveat.
STALE_DAYS = 90


def price_age_days(model: Model, on: date) -> int:
    return (on - model.checked).days


def is_stale(model: Model, on: date) -> bool:
    """Older than STALE_DAYS (a price checked exactly 90 days ago is still fresh)."""
    return price_age_days(model, on) > STALE_DAYS


def stale_models(models: Iterable[Model], on: date) -> list[tuple[str, date, int]]:
    """(model id, checked, age in days) for every stale model, oldest first."""
    found = [(m.id, m.checked, price_age_days(m, on)) for m in models if is_stale(m, on)]
    return sorted(found, key=lambda row: (-row[2], row[0]))


def staleness_warning(models: Iterable[Model], on: date, *, show: int = 3) -> str | None:
    """One sentence naming the stale prices a projection or report relies on, or None.

    Pass only the models the projection actually uses: a warning about unused models is noise.
    """
    stale = stale_models(models, on)
    if not stale:
        return None
    named = ", ".join(f"{mid} (checked {checked.isoformat()}, {age} days ago)"
                      for mid, checked, age in stale[:show])
    more = f" and {len(stale) - show} more" if len(stale) > show else ""
    subject = "a price" if len(stale) == 1 else "prices"
    return (f"This uses {subject} older than {STALE_DAYS} days: {named}{more}. Check the providers' "
            f"pricing pages or import a fresh price file (`prices import FILE`).")
