"""Public names of a package loaded on first use (PEP 562), so that importing the package
stays cheap and the heavy libraries load with the first name that needs them."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any


def lazy_names(
    package: str, sources: dict[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``: each name in ``sources`` (name ->
    module that defines it) is imported on first access and kept in the package."""
    namespace = sys.modules[package].__dict__

    def get(name: str) -> Any:
        if name not in sources:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(sources[name]), name)
        namespace[name] = value
        return value

    def names() -> list[str]:
        return sorted(set(namespace) | set(sources))

    return get, names
