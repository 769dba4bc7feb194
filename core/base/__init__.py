"""Shared pieces every engine package uses: safe YAML, atomic writes, paths, numbers and problems."""
from core.base.lazyapi import public_api

__getattr__, __dir__, __all__ = public_api(__name__, {
    "atomicio": ("atomic_write_text",),
    "paths": ("app_data_dir", "bundled_catalog_path", "user_catalog_path",),
    "problems": ("Problem",),
    "yamlio": ("FieldError", "LineDict", "MAX_PRICE_PER_MTOK", "parse_yaml", "read_limited", "read_yaml_file", "to_date", "to_decimal", "to_int", "to_str",),
})
