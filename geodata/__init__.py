"""Data in: read and validate demand and sites, project to metres, compute sparse travel times.

Everything returned is canonical (see ``read_demand``, ``read_sites``, ``TravelTimes``); bad input
raises ``InputError`` naming the file, the row or id, the field and what to do.
"""

from .crs import metric_crs, to_metric
from .errors import (
    ConfigError,
    HealthplanError,
    HealthplanWarning,
    InfeasibleError,
    InputError,
    Interrupted,
    SolverError,
)
from .inputs import read_demand, read_sites
from .network import network_minutes
from .straight import straight_line_minutes
from .synthetic import SyntheticCounty, synthetic_county
from .table import table_minutes
from .travel import TravelTimes

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
