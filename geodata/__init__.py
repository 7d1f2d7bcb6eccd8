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
    "around": "geodata.raster",
    "chinese_crs_name": "geodata.chinese_crs",
    "chinese_to_wgs84": "geodata.crs",
    "demand_frame": "geodata.inputs",
    "metric_crs": "geodata.crs",
    "network_minutes": "geodata.network",
    "raster_population": "geodata.raster",
    "read_demand": "geodata.inputs",
    "read_osm_roads": "geodata.osm",
    "osm_demand_area": "geodata.osm",
    "read_sites": "geodata.inputs",
    "shared_counts": "geodata.raster",
    "sites_frame": "geodata.inputs",
    "straight_line_minutes": "geodata.straight",
    "synthetic_county": "geodata.synthetic",
    "table_minutes": "geodata.table",
    "to_metric": "geodata.crs",
    "voronoi_catchments": "geodata.raster",
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
    "around",
    "chinese_crs_name",
    "chinese_to_wgs84",
    "demand_frame",
    "metric_crs",
    "network_minutes",
    "osm_demand_area",
    "raster_population",
    "read_demand",
    "read_osm_roads",
    "read_sites",
    "shared_counts",
    "sites_frame",
    "straight_line_minutes",
    "synthetic_county",
    "table_minutes",
    "to_metric",
    "voronoi_catchments",
]


__getattr__, __dir__ = lazy_names(__name__, _SOURCES)
