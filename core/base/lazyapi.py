"""A package's public API as a table of names, each imported from its module on first use (PEP 562)."""
from __future__ import annotations

import importlib
from typing import Callable


def public_api(package: str, table: dict[str, tuple[str, ...]]) -> tuple[Callable, Callable, list[str]]:
    """(__getattr__, __dir__, __all__) for `package` exporting table's names from its submodules.

    Lazy because the packages are imported by processes that need one corner of them: `count`
    must not pay ~20 ms for PyYAML to reach a path helper, nor the app's first paint for the
    price-file readers.
    """
    where = {name: module for module, names in table.items() for name in names}
    # Importing a submodule binds its name on the package, which would shadow a same-named export.
    clashes = sorted(set(where) & set(table))
    if clashes:
        raise ImportError(f"{package}: exported names equal submodule names: {clashes}")
    namespace = importlib.import_module(package).__dict__

    def __getattr__(name: str):
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(where))

    return __getattr__, __dir__, sorted(where)
