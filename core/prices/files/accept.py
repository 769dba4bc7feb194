"""Writing accepted diff items into the user's price override file, each entry checked by the catalog loader first."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml

from core.base import atomic_write_text  # temp file + os.replace, keeps <name>.bak
from core.prices import (
    RATE_KEYS, SCHEMA_VERSION, LongContextTier, Model, PricePeriod, Rates, parse_catalog, parse_model)
from core.prices.files.compare import ADDED, DiffItem
from core.prices.files.records import BATCH_FIELD, RATE_FIELDS, THRESHOLD_FIELD, TIER_PREFIX
from core.prices.files.matching import canonical_provider
from core.base import Problem, parse_yaml, read_limited


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


def _entry_errors(entry: dict[str, Any], file: str) -> list[Problem]:
    """Problems the catalog loader would report for this entry, checked through real YAML text."""
    catalog, errors = parse_catalog(_dump({"schema_version": SCHEMA_VERSION, "models": [entry]}),
                                    file, "user")
    if not errors and entry.get("id") not in catalog:
        errors = [Problem(file, None, str(entry.get("id")), "entry did not load")]
    return errors


def _refuse_bundled(path: Path) -> str | None:
    try:
        from core.base import bundled_catalog_path

        bundled = bundled_catalog_path().resolve()
    except Exception:  # resources not importable: nothing to protect
        return None
    target = path.resolve()
    if target == bundled or bundled.parent in target.parents or target.parent == bundled.parent:
        return "refusing to write into the bundled resources folder; choose the user override file"
    return None


def apply_accepted(diff_items: Iterable[DiffItem], accepted_keys: Iterable[str],
                   user_file_path: Path | str, *, today: date | None = None
                   ) -> tuple[Path | None, list[Problem]]:
    """Merge accepted diff items into the user override YAML; returns (written path or None, errors).

    A changed model gets a full override entry (the catalog model's other fields copied, so the
    entry stands on its own), with `source: imported from <file> on <date>` and `checked: <today>`.
    The file is written atomically (temp file + os.replace) and the previous version is kept as
    `<name>.bak`. An unreadable or invalid existing user file is never overwritten.
    """
    today = today or date.today()
    path = Path(user_file_path)
    name = str(path)
    by_model = _accepted_by_model(diff_items, accepted_keys)
    if not by_model:
        return None, []
    refusal = _refuse_bundled(path)
    if refusal:
        return None, [Problem(name, None, "", refusal)]
    user, errors = _read_user_file(path, name)
    if user is None:
        return None, errors
    written = 0
    for model_id, items in by_model.items():
        entry, problems = _accepted_entry(model_id, items, user, name, today)
        errors += problems
        if entry is not None:
            user.put(model_id, entry)
            written += 1
    if not written:
        return None, errors
    return _write_user_file(path, user, set(by_model), errors)


def _accepted_by_model(diff_items: Iterable[DiffItem], accepted_keys: Iterable[str]) -> dict[str, list[DiffItem]]:
    """The applicable items the user accepted (by key, or by model id for all of a model's), per model."""
    accepted = {k.strip() for k in accepted_keys if k and k.strip()}
    by_model: dict[str, list[DiffItem]] = {}
    for item in diff_items:
        if _is_accepted(item, accepted):
            by_model.setdefault(item.model_id, []).append(item)
    return by_model


@dataclass
class _UserFile:
    """The user override file being rewritten: its header, its entries, and where each model's entry is."""

    header: dict[str, Any]
    entries: list[Any]  # plain dicts and lists, as they will be written
    raw_entries: list[Any]  # as parsed (LineDicts, so the loader can name lines)
    positions: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        # The first entry of a model id is the one the loader keeps.
        self.positions = {e.get("id"): i for i, e in reversed(list(enumerate(self.entries))) if isinstance(e, dict)}

    def put(self, model_id: str, entry: dict[str, Any]) -> None:
        """The model's entry replaced, or added at the end."""
        if model_id in self.positions:
            self.entries[self.positions[model_id]] = entry
        else:
            self.positions[model_id] = len(self.entries)
            self.entries.append(entry)


def _read_user_file(path: Path, name: str) -> tuple[_UserFile | None, list[Problem]]:
    """The existing user file (empty when there is none), or None and why it must not be overwritten."""
    empty = _UserFile({"schema_version": SCHEMA_VERSION}, [], [])
    if not path.exists():
        return empty, []
    raw, errors = read_limited(path, label=name)  # an oversized file is never read whole
    if raw is None:
        return None, errors
    data, errors = parse_yaml(raw, name)
    if errors:
        return None, errors + [Problem(name, None, "", "the user file has errors; nothing was "
                                         "written (fix or move it, then import again)")]
    if data is None:
        return empty, []
    if not isinstance(data, dict) or not isinstance(data.get("models", []), list):
        return None, [Problem(name, getattr(data, "line", None), "models",
                                "the user file is not a model catalog; nothing was written")]
    if data.get("schema_version", SCHEMA_VERSION) != SCHEMA_VERSION:
        return None, [Problem(name, None, "schema_version", "unsupported schema_version; nothing was written")]
    header = {k: _plain(v) for k, v in data.items() if k != "models"}
    header["schema_version"] = SCHEMA_VERSION
    raw_entries = list(data.get("models") or [])
    return _UserFile(header, _plain(raw_entries), raw_entries), []


class _Refused(ValueError):
    """A model's accepted items cannot be written; `problems` (if any) come before the reason."""

    def __init__(self, reason: str, problems: Iterable[Problem] = ()) -> None:
        super().__init__(reason)
        self.problems = list(problems)


def _accepted_entry(model_id: str, items: list[DiffItem], user: _UserFile, name: str,
                    today: date) -> tuple[dict[str, Any] | None, list[Problem]]:
    """The entry to write for one model's accepted items, or None and the problems that stop it."""
    source = f"imported from {items[0].source_file or 'a price file'} on {today.isoformat()}"
    added = next((i for i in items if i.kind == ADDED), None)
    try:
        if added is not None:
            entry = _added_entry(added, user, source, today)
        else:
            entry = _updated_entry(items, user, name, source, today)
    except ValueError as exc:
        return None, [*getattr(exc, "problems", []), Problem(name, None, model_id, str(exc))]
    problems = _entry_errors(entry, name)  # never write an entry the loader would then reject
    return (None, problems) if problems else (entry, [])


def _added_entry(item: DiffItem, user: _UserFile, source: str, today: date) -> dict[str, Any]:
    """A new model's entry, from the price file's record of it."""
    if item.model_id in user.positions:
        raise ValueError("the user file already has this model")
    return _new_entry(item, source, today)


def _updated_entry(items: list[DiffItem], user: _UserFile, name: str, source: str, today: date) -> dict[str, Any]:
    """A known model's entry with the accepted values put into the price period they were compared on."""
    base = _model_to_update(items, user, name)
    updates = {i.field: i.theirs for i in items if i.theirs is not None and i.field}
    on = items[0].compared_on or today
    return model_to_entry(_with_updates(base, on, updates), source=source, checked=today)


def _model_to_update(items: list[DiffItem], user: _UserFile, name: str) -> Model:
    """The model accepted changes apply to: the user file's entry for it when there is one, else the catalog's."""
    model_id = items[0].model_id
    base = items[0].model
    if model_id in user.positions:
        base, problems = parse_model(user.raw_entries[user.positions[model_id]], name, "user")
        if base is None:
            raise _Refused("its entry in the user file has errors; left unchanged", problems)
    if base is None:
        raise ValueError("no catalog model to update")
    return base


def _write_user_file(path: Path, user: _UserFile, models: set[str],
                     errors: list[Problem]) -> tuple[Path | None, list[Problem]]:
    """Write the file if the loader takes every entry of `models` in it; (path or None, errors)."""
    name = str(path)
    document = dict(user.header)
    document["models"] = user.entries
    text = ("# Token Budget: your price overrides (same schema as the bundled catalog).\n"
            "# Entries here replace bundled models with the same id. Written by `prices import`;\n"
            f"# the previous version is kept as {path.name}.bak.\n"
            + _dump(document))
    _, check_errors = parse_catalog(text, name, "user")
    touched = [e for e in check_errors if e.field.split(".")[0] in models]
    if touched:
        return None, errors + touched
    try:
        atomic_write_text(path, text, keep_backup=True)
    except OSError as exc:
        return None, errors + [Problem(name, None, "", f"cannot write the user file: {exc.strerror or exc}")]
    return path, errors
