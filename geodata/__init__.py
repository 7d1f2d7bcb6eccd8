"""Data in: read and validate demand and sites, project to metres, compute sparse travel times.

Everything returned is canonical (see ``read_demand``, ``read_sites``, ``TravelTimes``); bad input
raises ``InputError`` naming the file, the row or id, the field and what to do.

The error types are imported right away; the other public names are loaded on first use
(PEP 562), so ``import geodata`` does not load GeoPandas, Shapely or SciPy until they are needed.
"""

from __future__ import annotations

from .errors import (
    ConfigError,
    HealthplanError,
    HealthplanWarning,
    InfeasibleError,
    InputError,
    Interrupted,
    SolverError,
)
from .lazy import lazy_names

# public name -> module that defines it
_SOURCES = {
    "SyntheticCounty": "geodata.synthetic",
    "TravelTimes": "geodata.travel",
    "chinese_crs_name": "geodata.chinese_crs",
    "chinese_to_wgs84": "geodata.crs",
    "demand_frame": "geodata.inputs",
    "metric_crs": "geodata.crs",
    "network_minutes": "geodata.network",
    "read_demand": "geodata.inputs",
    "read_osm_roads": "geodata.osm",
    "osm_demand_area": "geodata.osm",
    "read_sites": "geodata.inputs",
    "sites_frame": "geodata.inputs",
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
    "chinese_crs_name",
    "chinese_to_wgs84",
    "demand_frame",
    "metric_crs",
    "network_minutes",
    "osm_demand_area",
    "read_demand",
    "read_osm_roads",
    "read_sites",
    "sites_frame",
    "straight_line_minutes",
    "synthetic_county",
    "table_minutes",
    "to_metric",
]


__getattr__, __dir__ = lazy_names(__name__, _SOURCES)
