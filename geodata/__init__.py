"""Data in: read and validate demand and sites, project to metres, compute sparse travel times.

Everything returned is canonical (see ``read_demand``, ``read_sites``, ``TravelTimes``); bad input
raises ``InputError`` naming the file, the row or id, the field and what to do.

The error types are imported right away; the other public names are loaded on first use
(PEP 562), so ``import geodata`` does not load GeoPandas, Shapely or SciPy until they are needed.
"""

from __future__ import annotations

import importlib
from typing import Any

from .errors import (
    ConfigError,
    HealthplanError,
    HealthplanWarning,
    InfeasibleError,
    InputError,
    Interrupted,
    SolverError,
)

# public name -> module that defines it
_SOURCES = {
    "SyntheticCounty": "geodata.synthetic",
    "TravelTimes": "geodata.travel",
    "metric_crs": "geodata.crs",
    "network_minutes": "geodata.network",
    "read_demand": "geodata.inputs",
    "read_sites": "geodata.inputs",
    "straight_line_minutes": "geodata.straight",
    "synthetic_county": "geodata.synthetic",
    "table_minutes": "geodata.table",
    "to_metric": "geodata.crs",
}

__all__ = [
    "ConfigError",
    "HealthplanError",
    "HealthplanWarning",
    "InfeasibleError",
    "InputError",
    "Interrupted",
    "SolverError",
    "SyntheticCounty",
    "TravelTimes",
    "metric_crs",
    "network_minutes",
    "read_demand",
    "read_sites",
    "straight_line_minutes",
    "synthetic_county",
    "table_minutes",
    "to_metric",
]


def __getattr__(name: str) -> Any:
    """Import a public name's module on first access and keep the name."""
    if name not in _SOURCES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_SOURCES[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
