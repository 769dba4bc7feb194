"""Shared pieces every engine package uses: safe YAML, atomic writes, paths, numbers, formatting, problems."""
from core.base.lazyapi import public_api

__getattr__, __dir__, __all__ = public_api(__name__, {
    "atomicio": ("atomic_write_bytes", "atomic_write_text", "sweep_stale_temp_files"),
    "paths": ("app_data_dir", "bundled_catalog_path", "user_catalog_path"),
    "problems": ("Problem",),
    "formatting": ("MINUS", "csv_money", "per_mtok", "percent", "plural", "usd", "usd_budget", "usd_price",
                   "usd_short", "usd_whole", "whole"),
    "yamlio": ("FieldReader", "LineDict", "parse_yaml", "read_limited", "read_yaml_file"),
    "numbers": ("ABSURD", "FieldError", "MAX_BUDGET_PER_MONTH", "MAX_GROWTH_PCT", "MAX_HORIZON_MONTHS",
                "MAX_OUTPUT_TOKENS", "MAX_PRICE_PER_MTOK", "MAX_PROMPT_SHARE", "MAX_REQUESTS_PER_DAY",
                "MIN_GROWTH_PCT", "MODEL_ID", "brief", "is_model_id", "kind", "to_date", "to_decimal", "to_int",
                "to_str"),
})
