"""The model catalog: Model records loaded from resources/models.yaml plus the user's override file."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator, Mapping

from core.base import bundled_catalog_path, is_model_id, user_catalog_path
from core.base import (
    MAX_PRICE_PER_MTOK, FieldError, LineDict, Problem, parse_yaml, read_limited, to_date, to_decimal,
    to_int, to_str)

SCHEMA_VERSION = 1
RATE_KEYS = ("input", "cached_input", "cache_write_5m", "cache_write_1h", "output")
EXACT_TOKENIZERS = ("o200k_base", "cl100k_base")
ESTIMATE_FAMILIES = ("anthropic", "gemini", "llama", "mistral", "deepseek", "qwen", "xai", "other")
_MODEL_KEYS = {
    "id", "provider", "name", "tokenizer", "context_window", "max_output", "prices",
    "long_context", "batch_multiplier", "batch_caching", "priority_multiplier",
    "min_cache_prefix", "fine_tune_training_per_mtok", "open_model", "changes", "source",
    "checked", "notes",
}


@dataclass(frozen=True, slots=True)
class Rates:
    """USD per 1M tokens for each token type; None means the provider publishes no price."""

    input_per_mtok: Decimal | None = None
    cached_input_per_mtok: Decimal | None = None
    cache_write_5m_per_mtok: Decimal | None = None
    cache_write_1h_per_mtok: Decimal | None = None
    output_per_mtok: Decimal | None = None

    def get(self, key: str) -> Decimal | None:
        return getattr(self, f"{key}_per_mtok")

    def overlay(self, changes: Mapping[str, Decimal | None]) -> "Rates":
        return replace(self, **{f"{k}_per_mtok": v for k, v in changes.items()})


@dataclass(frozen=True, slots=True)
class LongContextTier:
    """Whole-request tier: once the prompt crosses the threshold every token moves to these rates."""

    threshold_tokens: int
    rates: Rates
    inclusive: bool = False  # True: the tier starts AT the threshold (xAI), else above it

    def applies(self, prompt_tokens: int) -> bool:
        if self.inclusive:
            return prompt_tokens >= self.threshold_tokens
        return prompt_tokens > self.threshold_tokens


@dataclass(frozen=True, slots=True)
class PricePeriod:
    """The prices in force from `effective` (None: since the start) until the next period."""

    effective: date | None
    rates: Rates
    long_context: LongContextTier | None
    note: str = ""


@dataclass(frozen=True, slots=True)
class Model:
    id: str
    provider: str
    name: str
    tokenizer: str
    periods: tuple[PricePeriod, ...]
    source: str
    checked: date
    context_window: int | None = None
    max_output: int | None = None
    batch_multiplier: Decimal | None = None
    batch_caching: bool = True
    priority_multiplier: Decimal | None = None
    min_cache_prefix: int | None = None
    fine_tune_training_per_mtok: Decimal | None = None
    open_model: str | None = None
    notes: str = ""
    origin: str = "bundled"  # "bundled" or "user"

    def period_on(self, day: date | None = None) -> PricePeriod:
        """The price period in force on `day` (today when None)."""
        day = day or date.today()
        chosen = self.periods[0]
        for period in self.periods[1:]:
            if period.effective is not None and period.effective <= day:
                chosen = period
        return chosen

    def rates_on(self, day: date | None = None) -> Rates:
        return self.period_on(day).rates

    @property
    def exact_tokens(self) -> bool:
        return self.tokenizer in EXACT_TOKENIZERS

    def price_age_days(self, today: date | None = None) -> int:
        return ((today or date.today()) - self.checked).days

    def change_dates(self) -> tuple[date, ...]:
        return tuple(p.effective for p in self.periods if p.effective is not None)


@dataclass(frozen=True)
class Catalog:
    """An immutable id → Model mapping in file order."""

    models: Mapping[str, Model] = field(default_factory=dict)

    def get(self, model_id: str) -> Model | None:
        return self.models.get(model_id)

    def __contains__(self, model_id: object) -> bool:
        return model_id in self.models

    def __iter__(self) -> Iterator[Model]:
        return iter(self.models.values())

    def __len__(self) -> int:
        return len(self.models)

    def providers(self) -> tuple[str, ...]:
        return tuple(sorted({m.provider for m in self}))

    def oldest_check(self) -> date | None:
        return min((m.checked for m in self), default=None)

    def newest_check(self) -> date | None:
        return max((m.checked for m in self), default=None)

    def merged(self, overrides: "Catalog") -> "Catalog":
        """Override entries replace bundled ones with the same id; new ids are added."""
        models = dict(self.models)
        models.update(overrides.models)
        return Catalog(models)


class UnknownModel(LookupError):
    """A model id that is in neither the bundled catalog nor the user's overrides."""

    def __init__(self, model_id: str, catalog: Catalog | None = None) -> None:
        hint = ""
        if catalog is not None:
            close = [m.id for m in catalog if model_id.lower() in m.id][:5]
            if close:
                hint = f" (did you mean: {', '.join(close)}?)"
        super().__init__(f"unknown model {model_id!r}: not in the catalog{hint}")
        self.model_id = model_id


# --- parsing -------------------------------------------------------------------------------


def _rates(raw: Any, file: str, where: str, line: int | None,
           errors: list[Problem]) -> dict[str, Decimal | None] | None:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        errors.append(Problem(file, line, where, "expected a mapping of prices"))
        return None
    out: dict[str, Decimal | None] = {}
    for key, value in raw.items():
        key_line = raw.line_of(key) if isinstance(raw, LineDict) else line
        if key not in RATE_KEYS:
            errors.append(Problem(file, key_line, f"{where}.{key}",
                                    f"unknown price key (expected one of {', '.join(RATE_KEYS)})"))
            return None
        if value is None:
            out[key] = None
            continue
        try:
            out[key] = to_decimal(value, maximum=MAX_PRICE_PER_MTOK)
        except FieldError as exc:
            errors.append(Problem(file, key_line, f"{where}.{key}", str(exc)))
            return None
    return out


def _tier(raw: Any, base: Rates | None, file: str, where: str, line: int | None,
          errors: list[Problem]) -> LongContextTier | None | bool:
    """Parse a long_context block; returns False on error, None for 'no tier'."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        errors.append(Problem(file, line, where, "expected a mapping with threshold and prices"))
        return False
    unknown = set(raw) - {"threshold", "inclusive", "prices"}
    if unknown:
        errors.append(Problem(file, raw.line_of(sorted(map(str, unknown))[0]), where,
                                f"unknown key(s): {', '.join(sorted(map(str, unknown)))}"))
        return False
    try:
        threshold = to_int(raw.get("threshold"), minimum=1, maximum=100_000_000)
    except FieldError as exc:
        errors.append(Problem(file, raw.line_of("threshold"), f"{where}.threshold", str(exc)))
        return False
    inclusive = raw.get("inclusive", False)
    if not isinstance(inclusive, bool):
        errors.append(Problem(file, raw.line_of("inclusive"), f"{where}.inclusive",
                                "expected true or false"))
        return False
    prices = _rates(raw.get("prices"), file, f"{where}.prices", raw.line_of("prices"), errors)
    if prices is None:
        return False
    if not prices:
        errors.append(Problem(file, raw.line_of("prices"), f"{where}.prices",
                                "a long-context tier needs its prices"))
        return False
    return LongContextTier(threshold, Rates().overlay(prices), inclusive)


class _Invalid(Exception):
    """A catalog entry that does not load, with the problems that say why (raised by parse_model's steps)."""

    def __init__(self, *problems: Problem) -> None:
        super().__init__(problems)
        self.problems = list(problems)


_REQUIRED = ("provider", "name", "tokenizer", "prices", "source", "checked")
# Optional fields, each read into the Model attribute of the same name; absent or null: None.
_OPTIONAL = (
    ("context_window", lambda v: to_int(v, minimum=1, maximum=100_000_000)),
    ("max_output", lambda v: to_int(v, minimum=1, maximum=100_000_000)),
    ("min_cache_prefix", lambda v: to_int(v, minimum=0, maximum=10_000_000)),
    ("batch_multiplier", lambda v: to_decimal(v, maximum=Decimal(10))),
    ("priority_multiplier", lambda v: to_decimal(v, maximum=Decimal(100))),
    ("fine_tune_training_per_mtok", lambda v: to_decimal(v, maximum=MAX_PRICE_PER_MTOK)),
    ("open_model", lambda v: to_str(v, max_len=80)),
)


def parse_model(entry: Any, file: str, origin: str = "bundled") -> tuple[Model | None, list[Problem]]:
    """One catalog entry → (Model, []) or (None, errors naming file, line and field)."""
    if not isinstance(entry, dict):
        return None, [Problem(file, None, "models[]", "each model must be a mapping")]
    if not isinstance(entry, LineDict):
        entry = _as_linedict(entry)
    try:
        mid = _model_id(entry, file)
        _check_fields(entry, file, mid)
        tokenizer = _tokenizer(entry, file, mid)
        texts = _texts(entry, file, mid)
        options = _options(entry, file, mid)
        periods = _periods(entry, file, mid)
    except _Invalid as exc:
        return None, exc.problems
    return Model(id=mid, tokenizer=tokenizer, periods=periods, origin=origin, **texts, **options), []


def _model_id(entry: LineDict, file: str) -> str:
    raw_id = entry.get("id")
    if not is_model_id(raw_id):
        raise _Invalid(Problem(file, entry.line_of("id"), "id",
                               f"model id must be a lowercase slug like 'gpt-5', got {raw_id!r}"))
    return raw_id


def _check_fields(entry: LineDict, file: str, mid: str) -> None:
    """No unknown field, and every required one there (all the missing ones named at once)."""
    unknown = sorted(str(k) for k in set(entry) - _MODEL_KEYS)
    if unknown:
        raise _Invalid(Problem(file, entry.line_of(unknown[0]), f"{mid}.{unknown[0]}",
                               f"unknown field (known: {', '.join(sorted(_MODEL_KEYS))})"))
    missing = [Problem(file, entry.line_of(required) or entry.line, f"{mid}.{required}", "required field is missing")
               for required in _REQUIRED if entry.get(required) in (None, "")]
    if missing:
        raise _Invalid(*missing)


def _tokenizer(entry: LineDict, file: str, mid: str) -> str:
    tokenizer = str(entry["tokenizer"])
    family = tokenizer.removeprefix("estimate:")
    if tokenizer in EXACT_TOKENIZERS or (tokenizer.startswith("estimate:") and family in ESTIMATE_FAMILIES):
        return tokenizer
    raise _Invalid(Problem(file, entry.line_of("tokenizer"), f"{mid}.tokenizer",
                           f"unknown tokenizer {tokenizer!r} (use o200k_base, cl100k_base or "
                           f"estimate:<{'|'.join(ESTIMATE_FAMILIES)}>)"))


def _texts(entry: LineDict, file: str, mid: str) -> dict[str, Any]:
    """provider, name, source, notes and the date the prices were checked."""
    try:
        return {"provider": to_str(entry["provider"], max_len=40).strip().lower(),
                "name": to_str(entry["name"], max_len=200),
                "source": to_str(entry["source"], max_len=2000),
                "notes": to_str(entry.get("notes") or "", max_len=4000),
                "checked": to_date(entry["checked"])}
    except FieldError as exc:
        raise _Invalid(Problem(file, entry.line, mid, str(exc))) from None


def _options(entry: LineDict, file: str, mid: str) -> dict[str, Any]:
    """The optional limits and multipliers (_OPTIONAL), and batch_caching."""
    out: dict[str, Any] = {}
    for key, read in _OPTIONAL:
        if entry.get(key) is None:
            continue
        try:
            out[key] = read(entry[key])
        except FieldError as exc:
            raise _Invalid(Problem(file, entry.line_of(key), f"{mid}.{key}", str(exc))) from None
    out["batch_caching"] = entry.get("batch_caching", True)
    if not isinstance(out["batch_caching"], bool):
        raise _Invalid(Problem(file, entry.line_of("batch_caching"), f"{mid}.batch_caching",
                               "expected true or false"))
    return out


def _periods(entry: LineDict, file: str, mid: str) -> tuple[PricePeriod, ...]:
    """The prices since the start, then one period for each dated change, applied in order."""
    errors: list[Problem] = []
    base = _rates(entry["prices"], file, f"{mid}.prices", entry.line_of("prices"), errors)
    if base is None:
        raise _Invalid(*errors)
    rates = Rates().overlay(base)
    if rates.input_per_mtok is None or rates.output_per_mtok is None:
        raise _Invalid(Problem(file, entry.line_of("prices"), f"{mid}.prices", "input and output prices are required"))
    tier = _tier(entry.get("long_context"), rates, file, f"{mid}.long_context", entry.line_of("long_context"), errors)
    if tier is False:
        raise _Invalid(*errors)
    periods = [PricePeriod(None, rates, tier)]
    changes = entry.get("changes") or []
    if not isinstance(changes, list):
        raise _Invalid(Problem(file, entry.line_of("changes"), f"{mid}.changes", "expected a list of dated changes"))
    for index, change in enumerate(changes):
        line = change.line if isinstance(change, LineDict) else entry.line_of("changes")
        periods.append(_changed_period(change, periods[-1], file, f"{mid}.changes[{index}]", line))
    return tuple(periods)


def _changed_period(change: Any, previous: PricePeriod, file: str, where: str, line: int | None) -> PricePeriod:
    """One entry of `changes`: the previous period's prices with this change's applied from its date."""
    if not isinstance(change, dict):
        raise _Invalid(Problem(file, line, where, "expected a mapping with effective and prices"))
    bad = set(change) - {"effective", "prices", "long_context", "note"}
    if bad:
        raise _Invalid(Problem(file, line, where, f"unknown key(s): {', '.join(sorted(map(str, bad)))}"))
    try:
        effective = to_date(change.get("effective"))
    except FieldError as exc:
        raise _Invalid(Problem(file, line, f"{where}.effective", str(exc))) from None
    if previous.effective is not None and effective <= previous.effective:
        raise _Invalid(Problem(file, line, f"{where}.effective", "changes must be in increasing date order"))
    errors: list[Problem] = []
    delta = _rates(change.get("prices"), file, f"{where}.prices", line, errors)
    if delta is None:
        raise _Invalid(*errors)
    tier: LongContextTier | None | bool = previous.long_context
    if "long_context" in change:
        tier = _tier(change["long_context"], None, file, f"{where}.long_context", line, errors)
        if tier is False:
            raise _Invalid(*errors)
    return PricePeriod(effective, previous.rates.overlay(delta), tier, str(change.get("note") or ""))


def _as_linedict(value: dict) -> LineDict:
    result = LineDict(value)
    result.key_lines = {}
    return result


def parse_catalog(text: str | bytes, file: str, origin: str = "bundled") -> tuple[Catalog, list[Problem]]:
    """Parse catalog YAML text. Bad entries are reported and skipped; good ones load."""
    data, errors = parse_yaml(text, file)
    if errors:
        return Catalog({}), errors
    if data is None:
        return Catalog({}), [Problem(file, None, "", "the file is empty")]
    if not isinstance(data, dict) or "models" not in data:
        return Catalog({}), [Problem(file, getattr(data, "line", None), "models",
                                       "expected a mapping with schema_version and a models list")]
    version = data.get("schema_version", SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        return Catalog({}), [Problem(file, data.line_of("schema_version"), "schema_version",
                                       f"unsupported schema_version {version!r} (this app reads {SCHEMA_VERSION})")]
    entries = data["models"]
    if not isinstance(entries, list):
        return Catalog({}), [Problem(file, data.line_of("models"), "models", "expected a list of models")]
    models: dict[str, Model] = {}
    for entry in entries:
        model, entry_errors = parse_model(entry, file, origin)
        errors.extend(entry_errors)
        if model is None:
            continue
        if model.id in models:
            errors.append(Problem(file, getattr(entry, "line", None), model.id,
                                    "duplicate model id (the first entry is kept)"))
            continue
        models[model.id] = model
    return Catalog(models), errors


def load_catalog_file(path: Path | str, origin: str = "bundled") -> tuple[Catalog, list[Problem]]:
    data_file = str(path)
    raw, errors = read_limited(path, label=data_file)  # an oversized file is never read whole
    if raw is None:
        return Catalog({}), errors
    return parse_catalog(raw, data_file, origin)


def load_catalog(bundled: Path | str | None = None,
                 user: Path | str | None | bool = None) -> tuple[Catalog, list[Problem]]:
    """The bundled catalog merged with the user's override file (if it exists).

    `user=False` skips the override file (used by tests that must not depend on the machine).
    """
    catalog, errors = load_catalog_file(bundled or bundled_catalog_path(), "bundled")
    if user is False:
        return catalog, errors
    user_path = Path(user) if user else user_catalog_path()
    if user_path.exists():
        overrides, user_errors = load_catalog_file(user_path, "user")
        errors = errors + user_errors
        catalog = catalog.merged(overrides)
    return catalog, errors
