"""What the product sends: the prompt mix, traffic, growth and horizon, and their token counts."""
from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Callable, Iterable, Mapping

from core.base import MAX_GROWTH_PCT, MAX_HORIZON_MONTHS, MAX_REQUESTS_PER_DAY
_LARGE_TEXT_CHARS = 1_000_000  # core.tokens.largetext.LARGE_TEXT_CHARS (not imported: start-up stays light)

if TYPE_CHECKING:
    from core.tokens import LargeText


@dataclass(frozen=True, slots=True)
class PromptSpec:
    """One prompt shape in the mix.

    Traffic is either a `share` of the workload's requests/day (shares are normalized over the
    prompts that use them) or the prompt's own `requests_per_day`.
    """

    name: str
    text: "str | LargeText" = ""  # above LARGE_TEXT_CHARS characters a LargeText (see __post_init__)
    fixed_tokens: int | None = None  # use this count instead of counting `text`
    share: Decimal | None = Decimal(1)
    requests_per_day: Decimal | None = None
    output_tokens: int = 0
    reasoning_tokens: int = 0

    def __post_init__(self) -> None:
        # Large texts are held as core.tokens.largetext.LargeText whichever way they arrive (file, paste,
        # scenario load): edited versions then share memory and remembered counts.
        if type(self.text) is not str or len(self.text) > _LARGE_TEXT_CHARS:
            from core.tokens import as_prompt_text

            object.__setattr__(self, "text", as_prompt_text(self.text))


@dataclass(frozen=True, slots=True)
class Workload:
    requests_per_day: Decimal = Decimal(1000)
    growth_pct_per_month: Decimal = Decimal(0)
    horizon_months: int = 12
    start_month: date = field(default_factory=lambda: date.today().replace(day=1))
    budget_per_month: Decimal | None = None

    def validate(self) -> list[str]:
        problems = []
        if not (Decimal(0) <= self.requests_per_day <= MAX_REQUESTS_PER_DAY):
            problems.append(f"requests_per_day must be between 0 and {MAX_REQUESTS_PER_DAY:,}")
        if not (Decimal(-100) < self.growth_pct_per_month <= MAX_GROWTH_PCT):
            problems.append("growth_pct_per_month must be above -100 and at most 1000")
        if not (1 <= self.horizon_months <= MAX_HORIZON_MONTHS):
            problems.append(f"horizon_months must be between 1 and {MAX_HORIZON_MONTHS}")
        if self.budget_per_month is not None and self.budget_per_month < 0:
            problems.append("budget_per_month must not be negative")
        return problems


def add_months(first: date, months: int) -> date:
    index = first.year * 12 + (first.month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


def month_starts(workload: Workload) -> list[date]:
    first = workload.start_month.replace(day=1)
    return [add_months(first, i) for i in range(workload.horizon_months)]


def days_in_month(first: date) -> int:
    return calendar.monthrange(first.year, first.month)[1]


def growth_factor(workload: Workload, month_index: int) -> Decimal:
    """Compounding monthly growth: month 0 is the start month at the base traffic."""
    return (Decimal(1) + workload.growth_pct_per_month / 100) ** month_index


def prompt_requests_per_day(prompts: Iterable[PromptSpec], workload: Workload) -> dict[str, Decimal]:
    """Base requests/day of each prompt (before growth): shares split the workload's traffic."""
    prompts = list(prompts)
    share_total = sum((p.share for p in prompts if p.requests_per_day is None and p.share), Decimal(0))
    out: dict[str, Decimal] = {}
    for p in prompts:
        if p.requests_per_day is not None:
            out[p.name] = p.requests_per_day
        elif p.share and share_total > 0:
            out[p.name] = workload.requests_per_day * p.share / share_total
        else:
            out[p.name] = Decimal(0)
    return out


# --- token counts -------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenTable:
    """Prompt token counts per tokenizer, and the shared (cacheable) prefix per tokenizer.

    Counting is the slow part of a recompute, so it is done once (off the UI thread) and the
    pure pricing code only looks numbers up here.
    """

    prompt_tokens: Mapping[tuple[str, str], int] = field(default_factory=dict)
    prefix_tokens: Mapping[str, int] = field(default_factory=dict)
    exact: Mapping[str, bool] = field(default_factory=dict)
    prefix_chars: int = 0

    def tokens(self, prompt: str, tokenizer: str) -> int:
        return self.prompt_tokens[(prompt, tokenizer)]

    def scaled(self, factor: Decimal) -> "TokenTable":
        """Every count × factor (used by sensitivity analysis)."""
        return TokenTable(
            {k: int((Decimal(v) * factor).to_integral_value()) for k, v in self.prompt_tokens.items()},
            {k: int((Decimal(v) * factor).to_integral_value()) for k, v in self.prefix_tokens.items()},
            self.exact, self.prefix_chars)


def common_prefix(texts: "list[str | LargeText]") -> "str | LargeText":
    """The text every prompt starts with, cut back to a line/word boundary.

    Cutting at whitespace keeps the prefix's token count equal to the count of the tokens the
    prompts really share (a token that straddles the divergence point is not cacheable).
    """
    texts = [t for t in texts if t]
    if not texts:
        return ""
    if len(texts) == 1 or all(t == texts[0] for t in texts[1:]):
        return texts[0]
    n = _shared_length(texts)
    prefix = texts[0][:n]
    cut = max(prefix.rfind("\n"), prefix.rfind(" "))
    return prefix[:cut + 1] if cut >= 0 else ""


def _shared_length(texts: "list[str | LargeText]", block: int = 1 << 16) -> int:
    """How many leading characters all `texts` share, compared a block at a time.

    Slicing blocks works the same for str and LargeText and never builds a whole large text.
    """
    limit = min(map(len, texts))
    n = 0
    while n < limit:
        heads = [t[n:min(n + block, limit)] for t in texts]
        low, high = min(heads), max(heads)
        if low == high:
            n += len(low)
            continue
        i = 0
        while low[i] == high[i]:
            i += 1
        return n + i
    return n


Counter = Callable[[str, str], int]  # (text, tokenizer) -> tokens


def default_counter(text: str, tokenizer: str) -> int:
    from core.tokens import count_tokens

    return count_tokens(text, tokenizer).tokens


def count_prompts(prompts: Iterable[PromptSpec], tokenizers: Iterable[str],
                  counter: Counter | None = None) -> TokenTable:
    """Count every prompt (and the shared prefix) once per tokenizer."""
    counter = counter or default_counter
    prompts = list(prompts)
    tokenizers = sorted(set(tokenizers))
    prefix = common_prefix([p.text for p in prompts if p.fixed_tokens is None])
    table: dict[tuple[str, str], int] = {}
    prefix_tokens: dict[str, int] = {}
    for tok in tokenizers:
        for p in prompts:
            table[(p.name, tok)] = p.fixed_tokens if p.fixed_tokens is not None else counter(p.text, tok)
        prefix_tokens[tok] = counter(prefix, tok) if prefix else 0
    from core.prices import EXACT_TOKENIZERS

    exact = {tok: tok in EXACT_TOKENIZERS for tok in tokenizers}
    return TokenTable(table, prefix_tokens, exact, len(prefix))
