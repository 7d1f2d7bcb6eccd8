"""healthplan optimizer: solve location plans with HiGHS and hand them back as GIS layers.

The public names are loaded on first use (PEP 562), so ``import optimizer`` and the command
line's ``--help`` stay fast: HiGHS, Pyomo, SciPy and the GIS stack load with the first solve.
"""

from __future__ import annotations

import importlib
from typing import Any

# public name -> module that defines it
_SOURCES = {
    "PROBLEMS": "optimizer.solve.locate",
    "LocateResult": "optimizer.results",
    "SitePlan": "optimizer.results",
    "VerificationError": "optimizer.errors",
    "locate": "optimizer.solve.locate",
    "plan_sites": "optimizer.plan.sites",
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
