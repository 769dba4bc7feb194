"""Comparing the catalog with one imported price file: the diff items, their kinds and what to accept."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Iterable, Mapping

from core.prices import Catalog, Model, PricePeriod
from core.prices.files.records import (
    ALL_FIELDS, BATCH_FIELD, RATE_FIELDS, THRESHOLD_FIELD, TIER_PREFIX, ImportedModel, ImportResult)
from core.prices.files.matching import (_SECONDARY, ALIASES, Match, canonical_provider, match_models,
                              normalize_model_key)
from core.base import Problem, is_model_id, per_mtok

TOLERANCE = Decimal("0.01")  # a relative difference above 1% is a disagreement

# Diff item kinds. Only the first three can be applied to the user file: the import never
# deletes a price or a model, because a file lacking something is weak evidence it is gone.
CHANGED = "changed"          # both sides price the field and differ by more than the tolerance
NEW_FIELD = "new_field"      # the file prices a field the catalog leaves unpriced
ADDED = "added"              # a first-party model the catalog lacks (from a provider it covers)
FIELD_MISSING = "field_missing"  # the catalog prices a field the file does not
MISSING = "missing"          # a catalog model the file has no entry for
APPLICABLE = (CHANGED, NEW_FIELD, ADDED)

# The catalog's own id rule: a new model is only offered under an id the loader would accept.


@dataclass(frozen=True, slots=True)
class DiffItem:
    """One difference between a price file and the catalog."""

    kind: str                      # CHANGED | NEW_FIELD | ADDED | FIELD_MISSING | MISSING
    model_id: str                  # catalog id (for ADDED: the id the new entry would get)
    field: str = ""                # one of price_import.ALL_FIELDS; "" for model-level kinds
    ours: Decimal | None = None
    theirs: Decimal | None = None
    rel_diff: Decimal | None = None  # (theirs - ours) / ours; None when ours is 0 or absent
    source_ref: str = ""           # the file's key for the entry compared
    source_provider: str = ""
    source_file: str = ""
    compared_on: date | None = None
    model: Model | None = None     # our model (for writing a full override entry)
    imported: ImportedModel | None = None

    @property
    def key(self) -> str:
        """What the user types to accept this item: `model` or `model:field`."""
        return f"{self.model_id}:{self.field}" if self.field else self.model_id

    @property
    def applicable(self) -> bool:
        return self.kind in APPLICABLE

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "key": self.key, "kind": self.kind, "model": self.model_id, "field": self.field or None,
            "ours": _fmt(self.ours), "theirs": _fmt(self.theirs),
            "relative_difference": None if self.rel_diff is None else float(self.rel_diff),
            "source_entry": self.source_ref or None, "source_provider": self.source_provider or None,
        }
        if self.kind == ADDED and self.imported is not None:
            out["prices"] = {f: _fmt(p.value) for f, p in self.imported.prices_on(self.compared_on).items()}
        return out


def field_text(field: str, value: Decimal | None, *, units: bool = True) -> str:
    """A compared value as the catalog writes it: $2.00/1M for a price, ×0.5 for a multiplier, a token threshold."""
    if value is None:
        return "—"
    if field.endswith("threshold"):
        return f"{int(value):,} tokens" if units else f"{int(value):,}"
    if field == "batch_multiplier":
        return f"×{value.normalize():f}"
    return f"${per_mtok(value)}/1M" if units else per_mtok(value)


def _fmt(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


@dataclass(frozen=True)
class PriceDiff:
    """The outcome of comparing one price file with the catalog."""

    file: str
    format: str
    on: date
    tolerance: Decimal
    catalog_size: int
    items: tuple[DiffItem, ...] = ()
    matches: Mapping[str, Match] = field(default_factory=dict)
    errors: tuple[Problem, ...] = ()
    file_models: int = 0

    def of_kind(self, kind: str) -> tuple[DiffItem, ...]:
        return tuple(i for i in self.items if i.kind == kind)

    @property
    def disagreements(self) -> tuple[DiffItem, ...]:
        return self.of_kind(CHANGED)

    @property
    def only_in_catalog(self) -> tuple[str, ...]:
        return tuple(i.model_id for i in self.of_kind(MISSING))

    @property
    def only_in_file(self) -> tuple[str, ...]:
        return tuple(i.model_id for i in self.of_kind(ADDED))

    def counts(self) -> dict[str, int]:
        return {kind: len(self.of_kind(kind))
                for kind in (CHANGED, NEW_FIELD, FIELD_MISSING, ADDED, MISSING)}

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file, "format": self.format, "on": self.on.isoformat(),
            "tolerance": float(self.tolerance), "catalog_models": self.catalog_size,
            "file_models": self.file_models,
            "matched": {mid: {"entry": m.ref, "provider": m.provider,
                              "reseller": m.provider_rank == 2}
                        for mid, m in self.matches.items()},
            "counts": self.counts(),
            "disagreements": [i.to_dict() for i in self.of_kind(CHANGED)],
            "new_fields": [i.to_dict() for i in self.of_kind(NEW_FIELD)],
            "missing_fields": [i.to_dict() for i in self.of_kind(FIELD_MISSING)],
            "only_in_catalog": list(self.only_in_catalog),
            "only_in_file": [i.to_dict() for i in self.of_kind(ADDED)],
            "errors": [str(e) for e in self.errors],
        }


def our_value(model: Model, period: PricePeriod, fld: str) -> Decimal | None:
    """The catalog's value for a field in one price period (None: not priced)."""
    if fld in RATE_FIELDS:
        return period.rates.get(fld)
    if fld == BATCH_FIELD:
        return model.batch_multiplier
    tier = period.long_context
    if tier is None:
        return None
    if fld == THRESHOLD_FIELD:
        return Decimal(tier.threshold_tokens)
    return tier.rates.get(fld[len(TIER_PREFIX):])


def relative_difference(ours: Decimal, theirs: Decimal) -> Decimal | None:
    """(theirs − ours) / ours; None when ours is zero (any non-zero price is then infinitely off)."""
    if ours.is_zero():
        return None
    return (theirs - ours) / ours


def _disagree(ours: Decimal, theirs: Decimal, tolerance: Decimal) -> bool:
    if ours.is_zero():
        return not theirs.is_zero()
    return abs(theirs - ours) > tolerance * abs(ours)  # "more than 1%": exactly 1% is agreement


def cross_check(catalog: Catalog, imported: ImportResult, on: date | None = None,
                tolerance: Decimal = TOLERANCE) -> PriceDiff:
    """Compare every catalog model with its best file entry on the day `on` (today when None).

    Returns per-field disagreements, fields only one side prices, catalog models the file lacks,
    and first-party models the file has from providers the catalog covers.
    """
    on = on or date.today()
    matches = match_models(catalog, imported, on)
    items: list[DiffItem] = []
    for model in catalog:
        match = matches.get(model.id)
        if match is None:
            items.append(DiffItem(MISSING, model.id, source_file=imported.file, compared_on=on,
                                  model=model))
            continue
        entry = imported.models[match.ref]
        theirs_all = entry.prices_on(on)
        period = model.period_on(on)
        common = dict(source_ref=entry.ref, source_provider=entry.provider,
                      source_file=imported.file, compared_on=on, model=model, imported=entry)
        for fld in ALL_FIELDS:
            if fld == BATCH_FIELD and imported.format == "genai-prices":
                continue  # genai-prices has no way to state batch prices: silence is not absence
            ours = our_value(model, period, fld)
            theirs = theirs_all.get(fld)
            if theirs is None and ours is None:
                continue
            if theirs is None:
                items.append(DiffItem(FIELD_MISSING, model.id, fld, ours, None, **common))
            elif ours is None:
                items.append(DiffItem(NEW_FIELD, model.id, fld, None, theirs.value, **common))
            elif _disagree(ours, theirs.value, tolerance):
                items.append(DiffItem(CHANGED, model.id, fld, ours, theirs.value,
                                      relative_difference(ours, theirs.value), **common))
    items += _added(catalog, imported, matches, on)
    return PriceDiff(imported.file, imported.format, on, tolerance, len(catalog), tuple(items),
                     matches, imported.errors, len(imported.models))


# Providers that host other vendors' open models; the catalog names their entries
# `<host>-<model>` (groq-gpt-oss-120b), so a new one gets the same shape.
HOSTS = frozenset({"together", "groq", "fireworks", "cerebras", "sambanova"})
# Whose model a name is, to tell a vendor's own model from one it resells (Claude on Vertex).
_FAMILIES = (("claude", "anthropic"), ("gpt-", "openai"), ("o1", "openai"), ("o3", "openai"),
             ("o4", "openai"), ("gemini", "google"), ("gemma", "google"), ("grok", "xai"),
             ("mistral", "mistral"), ("codestral", "mistral"), ("devstral", "mistral"),
             ("magistral", "mistral"), ("deepseek", "deepseek"), ("llama", "meta"), ("qwen", "qwen"))


def _vendor_of(slug: str) -> str | None:
    for prefix, vendor in _FAMILIES:
        if slug.startswith(prefix):
            return vendor
    return None


def _added(catalog: Catalog, imported: ImportResult, matches: Mapping[str, Match],
           on: date) -> list[DiffItem]:
    """First-party text models of providers the catalog covers, that no catalog model matched.

    First-party means the provider's own model (not Claude listed under Google's Vertex), or for
    a host (Groq, Together, Fireworks …) any model it serves, named `<host>-<model>`.
    """
    covered = {canonical_provider(m.provider) for m in catalog}
    matched_refs = {m.ref for m in matches.values()}
    best: dict[str, tuple[tuple, ImportedModel]] = {}
    for entry in imported.models.values():
        provider = canonical_provider(entry.provider)
        if (entry.provider in _SECONDARY or provider not in covered or entry.ref in matched_refs
                or entry.is_deprecated(on)):
            continue
        prices = entry.prices_on(on)
        if "input" not in prices or "output" not in prices:
            continue
        slug = normalize_model_key(entry.model_id, entry.provider)
        slug = ALIASES.get(slug, slug)
        if provider in HOSTS:
            slug = f"{provider}-{slug}"
        elif _vendor_of(slug) not in (None, provider):
            continue  # another vendor's model resold here
        if not is_model_id(slug) or slug in catalog:
            continue
        rank = (slug != entry.model_id.lower(), len(entry.ref), entry.ref)
        if slug not in best or rank < best[slug][0]:
            best[slug] = (rank, entry)
    return [DiffItem(ADDED, slug, source_ref=entry.ref, source_provider=entry.provider,
                     source_file=imported.file, compared_on=on, imported=entry,
                     theirs=entry.prices_on(on)["input"].value)
            for slug, (_, entry) in sorted(best.items())]


def resolve_accept(items: Iterable[DiffItem], spec: str) -> tuple[set[str], list[str]]:
    """A user's --accept text → (accepted keys, problems).

    `none` accepts nothing; `all` accepts every price change and newly priced field of models the
    catalog has (new models are never added wholesale: name them); otherwise a comma list of
    model ids (all of that model's applicable items) or `model:field` keys; `all,new-model`
    combines both.
    """
    items = [i for i in items if i.applicable]
    known_keys = {i.key for i in items}
    known_models = {i.model_id for i in items}
    accepted: set[str] = set()
    problems: list[str] = []
    for word in (w.strip() for w in (spec or "none").split(",")):
        if not word or word.lower() == "none":
            continue
        if word.lower() == "all":
            accepted |= {i.key for i in items if i.kind != ADDED}
        elif word in known_keys or word in known_models:
            accepted.add(word)
        else:
            problems.append(f"{word!r} is not an applicable item of this diff")
    return accepted, problems
