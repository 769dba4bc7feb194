"""Matching price-file entries to catalog models: provider names, model-key spellings and aliases."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Mapping

from core.prices import Catalog, Model
from core.prices.files.records import ImportedModel, ImportResult

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
