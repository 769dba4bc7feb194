"""Cross-checking imported prices against the catalog, and merging accepted changes into the user override file."""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml

from core.atomicio import atomic_write_text  # temp file + os.replace, keeps <name>.bak
from core.catalog import (RATE_KEYS, SCHEMA_VERSION, Catalog, LongContextTier, Model, PricePeriod,
                          Rates, parse_catalog, parse_model)
from core.price_import import (ALL_FIELDS, BATCH_FIELD, RATE_FIELDS, THRESHOLD_FIELD, TIER_PREFIX,
                               ImportedModel, ImportResult)
from core.yamlio import LoadError, parse_yaml, read_limited

TOLERANCE = Decimal("0.01")  # a relative difference above 1% is a disagreement

# Diff item kinds. Only the first three can be applied to the user file: the import never
# deletes a price or a model, because a file lacking something is weak evidence it is gone.
CHANGED = "changed"          # both sides price the field and differ by more than the tolerance
NEW_FIELD = "new_field"      # the file prices a field the catalog leaves unpriced
ADDED = "added"              # a first-party model the catalog lacks (from a provider it covers)
FIELD_MISSING = "field_missing"  # the catalog prices a field the file does not
MISSING = "missing"          # a catalog model the file has no entry for
APPLICABLE = (CHANGED, NEW_FIELD, ADDED)


# --- provider and id matching ----------------------------------------------------------------

# File provider names → the provider names our catalog uses. Both sides go through this table,
# so "x-ai" (genai-prices), "xai" (LiteLLM) and a catalog's "xai" all meet.
_CANONICAL_PROVIDER = {
    "openai": "openai", "text-completion-openai": "openai", "chatgpt": "openai",
    "anthropic": "anthropic",
    "google": "google", "gemini": "google",
    "mistral": "mistral", "codestral": "mistral", "text-completion-codestral": "mistral",
    "deepseek": "deepseek",
    "xai": "xai", "x-ai": "xai",
    "together": "together", "together_ai": "together",
    "groq": "groq",
    "fireworks": "fireworks", "fireworks_ai": "fireworks",
    "cohere": "cohere", "cohere_chat": "cohere",
    "moonshot": "moonshot", "moonshotai": "moonshot",
    "zai": "zai", "zhipuai": "zai", "bigmodel": "zai",
    "minimax": "minimax",
    "meta": "meta", "meta_llama": "meta",
    "qwen": "qwen", "alibaba": "qwen", "dashscope": "qwen", "qwen_ai_platform": "qwen",
    "amazon": "amazon", "amazon_nova": "amazon",
    "cerebras": "cerebras", "sambanova": "sambanova", "perplexity": "perplexity",
}
# The vendor's own second storefront: same company, but regional uplifts and different
# preview terms, so it ranks after the vendor's main API and before resellers.
_SECONDARY = {"vertex_ai-language-models": "google", "vertex_ai": "google"}

# Names a file uses for one of our models that no mechanical rule can derive. Keys are
# normalized file names; values are catalog ids. An alias pointing at an id the catalog lacks
# does nothing. Moving pointers such as `mistral-large-latest` or `deepseek-chat` are deliberately
# absent: a file's price for a pointer reflects whatever it pointed at when the file was written
# (the stale `mistral-large-latest` 2 / 6 row in prices-2026.md is exactly that; `deepseek-chat`
# moved from V3.2 to V4 Flash in 2026-04).
ALIASES: Mapping[str, str] = {
    "gpt-5.6": "gpt-5.6-sol",            # OpenAI's `gpt-5.6` alias serves Sol (prices-2026.md)
    "llama4-maverick-instruct-basic": "llama-4-maverick",  # Fireworks' name (host-prefixed below)
}

# Bedrock / Vertex spellings: region prefixes (us., eu., global. …), vendor prefixes
# (anthropic., meta. …), version suffixes (-v1:0, :0) and snapshot dates (-20250929,
# @20250929, -2025-08-07). Four-digit suffixes such as mistral-large-2411 are NOT stripped:
# there they name a different model, not a snapshot.
_REGION = re.compile(r"^(?:us-gov|us|eu|apac|global|jp|au|ca|ap|sa|uk)\.")
_VENDOR = re.compile(r"^(?:anthropic|meta|mistral|amazon|cohere|ai21|deepseek|openai|qwen|google|"
                     r"moonshotai|moonshot|xai|minimax|zai|writer|twelvelabs)\.")
_VERSION = re.compile(r"(?:-v\d+(?::\d+)?|:\d+)$")
_DATE = re.compile(r"(?:[-@]20\d{6}|-20\d{2}-\d{2}-\d{2})$")
_FIREWORKS_VERSION = re.compile(r"\bv(\d+)p(\d+)")   # Fireworks writes 3.1 as v3p1
_FIREWORKS_POINT = re.compile(r"(?<=\d)p(?=\d)")      # … and 2.5 as 2p5 (qwen2p5, glm-4p6)
_CLAUDE_DOT = re.compile(r"(?<=\d)\.(?=\d)")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")


def canonical_provider(name: str) -> str:
    name = (name or "").strip().lower()
    return _CANONICAL_PROVIDER.get(name, name)


def normalize_model_key(key: str, provider: str = "") -> str:
    """A file's model key → the slug our catalog would use for the same model.

    `gemini/gemini-3.1-pro-preview` → `gemini-3.1-pro-preview`;
    `us.anthropic.claude-sonnet-4-5-20250929-v1:0` → `claude-sonnet-4-5`;
    `vertex_ai/claude-sonnet-4-5@20250929` → `claude-sonnet-4-5`; `claude-sonnet-4.5` →
    `claude-sonnet-4-5` (Anthropic ids use dashes, resellers often dots);
    `fireworks_ai/accounts/fireworks/models/llama-v3p1-8b-instruct` → `llama-3.1-8b-instruct`
    (and on Fireworks `qwen2p5-72b-instruct` → `qwen2.5-72b-instruct`).
    """
    k = (key or "").strip().lower().rsplit("/", 1)[-1]
    k = _REGION.sub("", k, count=1)
    k = _VENDOR.sub("", k, count=1)
    k = _VERSION.sub("", k)
    k = _DATE.sub("", k)
    k = _FIREWORKS_VERSION.sub(r"v\1.\2", k)
    if canonical_provider(provider) == "fireworks" or "fireworks" in (key or "").lower():
        k = _FIREWORKS_POINT.sub(".", k)
    if k.startswith("llama-v"):
        k = "llama-" + k[len("llama-v"):]
    if k.startswith("claude"):
        k = _CLAUDE_DOT.sub("-", k)
    return k


def _provider_rank(file_provider: str, our_provider: str) -> int:
    """0: the vendor's own API; 1: the vendor's second storefront; 2: a reseller."""
    ours = canonical_provider(our_provider)
    if file_provider in _SECONDARY:
        return 1 if _SECONDARY[file_provider] == ours else 2
    return 0 if canonical_provider(file_provider) == ours else 2


def _names(entry: ImportedModel) -> list[tuple[str, int]]:
    """(name, closeness) pairs under which a file entry can match a catalog id.

    Closeness: 0 the key itself, 1 the key without its provider path, 2 normalized (dates,
    Bedrock spellings), 3 an explicit alias or a genai-prices match literal.
    """
    names = [(entry.ref.lower(), 0), (entry.model_id.lower(), 0)]
    names.append((entry.model_id.lower().rsplit("/", 1)[-1], 1))
    normal = normalize_model_key(entry.model_id, entry.provider)
    names.append((normal, 2))
    for alias in entry.aliases:
        names.append((normalize_model_key(alias, entry.provider), 3))
    for name, _ in list(names):
        if name in ALIASES:
            names.append((ALIASES[name], 3))
    return names


def _candidates(model: Model, index: Mapping[str, list[tuple[int, ImportedModel]]]):
    """File entries that may describe `model`: (closeness, entry, host_only).

    Catalog ids of hosted open models carry the host as a prefix (`groq-gpt-oss-120b`); the
    file names the model without it (`groq/openai/gpt-oss-120b`). The unprefixed name is shared
    by every host, so it only counts for entries of the model's own host (host_only).
    """
    for closeness, entry in index.get(model.id, []):
        yield closeness, entry, False
    prefix = canonical_provider(model.provider) + "-"
    if model.id.startswith(prefix) and len(model.id) > len(prefix):
        bare = model.id[len(prefix):]
        for closeness, entry in index.get(bare, []):
            yield max(closeness, 1), entry, True


@dataclass(frozen=True, slots=True)
class Match:
    model_id: str
    ref: str
    provider: str            # the file's provider of the chosen entry
    provider_rank: int       # 0 vendor, 1 vendor's second storefront, 2 reseller
    closeness: int


def match_models(catalog: Catalog, imported: ImportResult,
                 on: date | None = None) -> dict[str, Match]:
    """For each catalog model, the file entry that best describes it (first-party first)."""
    on = on or date.today()
    index: dict[str, list[tuple[int, ImportedModel]]] = {}
    for entry in imported.models.values():
        best: dict[str, int] = {}
        for name, closeness in _names(entry):
            best[name] = min(closeness, best.get(name, 9))
        for name, closeness in best.items():
            index.setdefault(name, []).append((closeness, entry))
    matches: dict[str, Match] = {}
    for model in catalog:
        ranked = []
        for closeness, entry, host_only in _candidates(model, index):
            if not entry.prices_on(on):
                continue
            rank = _provider_rank(entry.provider, model.provider)
            if host_only and rank != 0:
                continue
            ranked.append(((rank, closeness, entry.is_deprecated(on), len(entry.ref), entry.ref),
                           Match(model.id, entry.ref, entry.provider, rank, closeness)))
        if ranked:
            matches[model.id] = min(ranked, key=lambda r: r[0])[1]
    return matches


# --- the diff --------------------------------------------------------------------------------


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
    errors: tuple[LoadError, ...] = ()
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
        if not _SLUG.match(slug) or slug in catalog:
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


# --- writing the user override file ----------------------------------------------------------


def _is_accepted(item: DiffItem, accepted: set[str]) -> bool:
    return item.applicable and (item.key in accepted or item.model_id in accepted)


def _plain(value: Any) -> Any:
    """LineDicts and nested containers → plain dicts/lists that yaml.safe_dump can write."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _dec(value: Decimal) -> str:
    """Prices as the catalog writes them: plain digits, at least two decimals ("20.00", "0.125")."""
    whole, _, frac = format(value, "f").partition(".")
    return f"{whole}.{frac.rstrip('0').ljust(2, '0')}"


def _rates_entry(rates: Rates, previous: Rates | None = None) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for key in RATE_KEYS:
        value = rates.get(key)
        if value is not None:
            out[key] = _dec(value)
        elif previous is not None and previous.get(key) is not None:
            out[key] = None  # an explicit null removes a price a later period no longer has
    return out


def _tier_entry(tier: LongContextTier | None) -> dict[str, Any] | None:
    if tier is None:
        return None
    out: dict[str, Any] = {"threshold": tier.threshold_tokens}
    if tier.inclusive:
        out["inclusive"] = True
    out["prices"] = _rates_entry(tier.rates)
    return out


def model_to_entry(model: Model, *, source: str | None = None,
                   checked: date | None = None) -> dict[str, Any]:
    """A Model value → a catalog entry (docs/catalog-schema.md) that parses back to the same prices."""
    first = model.periods[0]
    entry: dict[str, Any] = {"id": model.id, "provider": model.provider, "name": model.name,
                             "tokenizer": model.tokenizer}
    if model.context_window is not None:
        entry["context_window"] = model.context_window
    if model.max_output is not None:
        entry["max_output"] = model.max_output
    entry["prices"] = _rates_entry(first.rates)
    if first.long_context is not None:
        entry["long_context"] = _tier_entry(first.long_context)
    if model.batch_multiplier is not None:
        entry["batch_multiplier"] = format(model.batch_multiplier, "f")
        entry["batch_caching"] = model.batch_caching
    if model.priority_multiplier is not None:
        entry["priority_multiplier"] = format(model.priority_multiplier, "f")
    if model.min_cache_prefix is not None:
        entry["min_cache_prefix"] = model.min_cache_prefix
    if model.fine_tune_training_per_mtok is not None:
        entry["fine_tune_training_per_mtok"] = _dec(model.fine_tune_training_per_mtok)
    if model.open_model:
        entry["open_model"] = model.open_model
    changes = []
    for previous, period in zip(model.periods, model.periods[1:]):
        # Each change is written in full (every price and the tier), so it reads the same
        # whatever the periods before it say.
        change: dict[str, Any] = {"effective": period.effective,
                                  "prices": _rates_entry(period.rates, previous.rates),
                                  "long_context": _tier_entry(period.long_context)}
        if period.note:
            change["note"] = period.note
        changes.append(change)
    if changes:
        entry["changes"] = changes
    entry["source"] = source if source is not None else model.source
    entry["checked"] = checked if checked is not None else model.checked
    if model.notes:
        entry["notes"] = model.notes
    return entry


def _with_updates(model: Model, on: date, updates: Mapping[str, Decimal]) -> Model:
    """The model with accepted field values put into the price period in force on `on`."""
    periods = list(model.periods)
    index = 0  # the same choice as Model.period_on, by position
    for position, candidate in enumerate(periods[1:], start=1):
        if candidate.effective is not None and candidate.effective <= on:
            index = position
    period = periods[index]
    rates = period.rates.overlay({f: v for f, v in updates.items() if f in RATE_FIELDS})
    tier = period.long_context
    tier_rates = {f[len(TIER_PREFIX):]: v for f, v in updates.items()
                  if f.startswith(TIER_PREFIX) and f != THRESHOLD_FIELD}
    if THRESHOLD_FIELD in updates or tier_rates:
        if tier is None:
            if THRESHOLD_FIELD not in updates:
                raise ValueError("a new long-context tier needs its threshold: accept "
                                 f"{model.id}:{THRESHOLD_FIELD} too")
            new_rates = Rates().overlay(tier_rates)
            if new_rates.input_per_mtok is None or new_rates.output_per_mtok is None:
                raise ValueError("a new long-context tier needs input and output prices: accept "
                                 f"{model.id}:long_context.input and :long_context.output too")
            tier = LongContextTier(int(updates[THRESHOLD_FIELD]), new_rates)
        else:
            tier = LongContextTier(int(updates.get(THRESHOLD_FIELD, tier.threshold_tokens)),
                                   tier.rates.overlay(tier_rates), tier.inclusive)
    periods[index] = PricePeriod(period.effective, rates, tier, period.note)
    return replace(model, periods=tuple(periods),
                   batch_multiplier=updates.get(BATCH_FIELD, model.batch_multiplier))


def guess_tokenizer(provider: str, model_id: str) -> str:
    """The tokenizer a newly imported model most likely uses (the user can edit it later)."""
    mid = model_id.lower()
    if provider == "openai":
        legacy = mid.startswith(("gpt-3.5", "gpt-4-", "gpt-4")) and not mid.startswith(("gpt-4o", "gpt-4.1"))
        return "cl100k_base" if legacy else "o200k_base"
    families = (("claude", "anthropic"), ("gemini", "gemini"), ("gemma", "gemini"),
                ("llama", "llama"), ("mistral", "mistral"), ("mixtral", "mistral"),
                ("codestral", "mistral"), ("deepseek", "deepseek"), ("qwen", "qwen"),
                ("grok", "xai"))
    for needle, family in families:
        if needle in mid:
            return f"estimate:{family}"
    by_provider = {"anthropic": "anthropic", "google": "gemini", "mistral": "mistral",
                   "deepseek": "deepseek", "xai": "xai", "qwen": "qwen", "meta": "llama"}
    return f"estimate:{by_provider.get(provider, 'other')}"


def _new_entry(item: DiffItem, source: str, today: date) -> dict[str, Any]:
    entry = item.imported
    assert entry is not None
    prices = {f: p.value for f, p in entry.prices_on(item.compared_on).items()}
    provider = canonical_provider(entry.provider)
    out: dict[str, Any] = {"id": item.model_id, "provider": provider,
                           "name": (entry.name or item.model_id)[:200],
                           "tokenizer": guess_tokenizer(provider, item.model_id)}
    if entry.context_window:
        out["context_window"] = entry.context_window
    if entry.max_output:
        out["max_output"] = entry.max_output
    out["prices"] = {f: _dec(prices[f]) for f in RATE_FIELDS if f in prices}
    tier = {f[len(TIER_PREFIX):]: _dec(v) for f, v in prices.items()
            if f.startswith(TIER_PREFIX) and f != THRESHOLD_FIELD}
    if THRESHOLD_FIELD in prices and "input" in tier and "output" in tier:
        out["long_context"] = {"threshold": int(prices[THRESHOLD_FIELD]), "prices": tier}
    if BATCH_FIELD in prices:
        out["batch_multiplier"] = format(prices[BATCH_FIELD], "f")
    out["source"] = source
    out["checked"] = today
    out["notes"] = f"added by import from entry {entry.ref!r}; tokenizer guessed"[:4000]
    return out


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True  # the same date object twice must not become an &id001 anchor


def _dump(document: dict[str, Any]) -> str:
    return yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110,
                     default_flow_style=None)


def _entry_errors(entry: dict[str, Any], file: str) -> list[LoadError]:
    """Problems the catalog loader would report for this entry, checked through real YAML text."""
    catalog, errors = parse_catalog(_dump({"schema_version": SCHEMA_VERSION, "models": [entry]}),
                                    file, "user")
    if not errors and entry.get("id") not in catalog:
        errors = [LoadError(file, None, str(entry.get("id")), "entry did not load")]
    return errors


def _refuse_bundled(path: Path) -> str | None:
    try:
        from core.catalog import bundled_catalog_path

        bundled = bundled_catalog_path().resolve()
    except Exception:  # resources not importable: nothing to protect
        return None
    target = path.resolve()
    if target == bundled or bundled.parent in target.parents or target.parent == bundled.parent:
        return "refusing to write into the bundled resources folder; choose the user override file"
    return None


def apply_accepted(diff_items: Iterable[DiffItem], accepted_keys: Iterable[str],
                   user_file_path: Path | str, *, today: date | None = None
                   ) -> tuple[Path | None, list[LoadError]]:
    """Merge accepted diff items into the user override YAML; returns (written path or None, errors).

    A changed model gets a full override entry (the catalog model's other fields copied, so the
    entry stands on its own), with `source: imported from <file> on <date>` and `checked: <today>`.
    The file is written atomically (temp file + os.replace) and the previous version is kept as
    `<name>.bak`. An unreadable or invalid existing user file is never overwritten.
    """
    today = today or date.today()
    path = Path(user_file_path)
    name = str(path)
    accepted = {k.strip() for k in accepted_keys if k and k.strip()}
    chosen = [i for i in diff_items if _is_accepted(i, accepted)]
    if not chosen:
        return None, []
    refusal = _refuse_bundled(path)
    if refusal:
        return None, [LoadError(name, None, "", refusal)]

    entries: list[Any] = []
    raw_entries: list[Any] = []  # as parsed (LineDicts, so the loader can name lines)
    header: dict[str, Any] = {"schema_version": SCHEMA_VERSION}
    if path.exists():
        raw, errors = read_limited(path, label=name)  # an oversized file is never read whole
        if raw is None:
            return None, errors
        data, errors = parse_yaml(raw, name)
        if errors:
            return None, errors + [LoadError(name, None, "", "the user file has errors; nothing was "
                                             "written (fix or move it, then import again)")]
        if data is not None:
            if not isinstance(data, dict) or not isinstance(data.get("models", []), list):
                return None, [LoadError(name, getattr(data, "line", None), "models",
                                        "the user file is not a model catalog; nothing was written")]
            if data.get("schema_version", SCHEMA_VERSION) != SCHEMA_VERSION:
                return None, [LoadError(name, None, "schema_version",
                                        "unsupported schema_version; nothing was written")]
            header = {k: _plain(v) for k, v in data.items() if k != "models"}
            header["schema_version"] = SCHEMA_VERSION
            raw_entries = list(data.get("models") or [])
            entries = _plain(raw_entries)

    errors: list[LoadError] = []
    by_model: dict[str, list[DiffItem]] = {}
    for item in chosen:
        by_model.setdefault(item.model_id, []).append(item)
    positions = {e.get("id"): i for i, e in reversed(list(enumerate(entries))) if isinstance(e, dict)}
    written = 0
    for model_id, items in by_model.items():
        source_file = items[0].source_file or "a price file"
        source = f"imported from {source_file} on {today.isoformat()}"
        try:
            if any(i.kind == ADDED for i in items):
                if model_id in positions:
                    raise ValueError("the user file already has this model")
                entry = _new_entry(next(i for i in items if i.kind == ADDED), source, today)
            else:
                base = items[0].model
                if model_id in positions:
                    base, perrors = parse_model(raw_entries[positions[model_id]], name, "user")
                    if base is None:
                        errors += perrors
                        raise ValueError("its entry in the user file has errors; left unchanged")
                if base is None:
                    raise ValueError("no catalog model to update")
                updates = {i.field: i.theirs for i in items if i.theirs is not None and i.field}
                on = items[0].compared_on or today
                entry = model_to_entry(_with_updates(base, on, updates), source=source, checked=today)
        except ValueError as exc:
            errors.append(LoadError(name, None, model_id, str(exc)))
            continue
        perrors = _entry_errors(entry, name)
        if perrors:  # never write an entry the loader would then reject
            errors += perrors
            continue
        if model_id in positions:
            entries[positions[model_id]] = entry
        else:
            positions[model_id] = len(entries)
            entries.append(entry)
        written += 1
    if not written:
        return None, errors

    document = dict(header)
    document["models"] = entries
    text = ("# Token Budget: your price overrides (same schema as the bundled catalog).\n"
            "# Entries here replace bundled models with the same id. Written by `prices import`;\n"
            f"# the previous version is kept as {path.name}.bak.\n"
            + _dump(document))
    _, check_errors = parse_catalog(text, name, "user")
    touched = [e for e in check_errors if e.field.split(".")[0] in by_model]
    if touched:
        return None, errors + touched
    try:
        atomic_write_text(path, text, keep_backup=True)
    except OSError as exc:
        return None, errors + [LoadError(name, None, "", f"cannot write the user file: {exc.strerror or exc}")]
    return path, errors


__all__ = [
    "ADDED", "ALIASES", "APPLICABLE", "CHANGED", "DiffItem", "FIELD_MISSING", "MISSING", "Match",
    "NEW_FIELD", "PriceDiff", "TOLERANCE", "apply_accepted", "canonical_provider", "cross_check",
    "guess_tokenizer", "match_models", "model_to_entry", "normalize_model_key", "our_value",
    "relative_difference", "resolve_accept",
]
