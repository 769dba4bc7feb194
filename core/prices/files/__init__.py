"""Downloaded price files (LiteLLM, genai-prices): reading, matching to the catalog, diff and accepted writes."""
from core.base.lazyapi import public_api

__getattr__, __dir__, __all__ = public_api(__name__, {
    "accept": ("apply_accepted",),
    "compare": ("ADDED", "CHANGED", "FIELD_MISSING", "MISSING", "NEW_FIELD", "PriceDiff", "cross_check", "field_text", "resolve_accept"),
    "reader": ("FORMATS", "read_price_file",),
})
