"""Prices: the model catalog, the price of one request under each provider rule, staleness, calibration."""
from core.base.lazyapi import public_api

__getattr__, __dir__, __all__ = public_api(__name__, {
    "calibration": ("calibrated",),
    "catalog": ("Catalog", "EXACT_TOKENIZERS", "LongContextTier", "Model", "PricePeriod", "RATE_KEYS", "Rates", "SCHEMA_VERSION", "UnknownModel", "load_catalog", "parse_catalog", "parse_model",),
    "pricing": ("InvalidUsage", "NoPrice", "ServiceTier", "Usage", "price_request",),
    "staleness": ("STALE_DAYS", "stale_models", "staleness_warning",),
})
