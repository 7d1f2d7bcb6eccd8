"""healthplan optimizer: solve location plans with HiGHS and hand them back as GIS layers.

The public names are loaded on first use (PEP 562), so ``import optimizer`` and the command
line's ``--help`` stay fast: HiGHS, Pyomo, SciPy and the GIS stack load with the first solve.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import Any

# public name -> module that defines it
_SOURCES = {
    "PROBLEMS": "optimizer.locate",
    "LocateResult": "optimizer.results",
    "SitePlan": "optimizer.results",
    "VerificationError": "optimizer.verify",
    "locate": "optimizer.locate",
    "plan_sites": "optimizer.plan",
    "verify_locate": "optimizer.verify",
}

__all__ = sorted(_SOURCES)


def __getattr__(name: str) -> Any:
    """Import a public name's module on first access and keep the name."""
    if name not in _SOURCES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_SOURCES[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(ModuleType):
    """This package's module type: the function ``locate`` keeps its name.

    Importing the submodule ``optimizer.locate`` binds the submodule as the package's
    attribute ``locate``; the function of the same name is kept there instead, as it was
    when this package imported everything up front.
    """

    def __setattr__(self, name: str, value: object) -> None:
        if isinstance(value, ModuleType) and _SOURCES.get(name) == value.__name__:
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
