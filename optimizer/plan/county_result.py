"""What a county plan's outputs draw from: the plan with its spec, boundary, travel minutes
and comparison (``optimizer.run.run`` builds it)."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd

import geodata
from optimizer.county_spec import CountyPlan, CountySpec
from optimizer.plan.compare import Comparison


@dataclass
class CountyRun:
    """A solved county plan with its spec; ``plan.districts`` holds district polygons.

    Attributes:
        name: the plan's name (the default title of its map and report).
        km_per_minute: straight-line reach per minute of travel (km), drawn as circles
            around the open sites; None for network or table travel (drawn as hulls).
        plan_hub_count: the number of hubs the county's own plan names, marked on the
            comparison's coverage curve.
    """

    name: str
    spec: CountySpec
    plan: CountyPlan
    boundary: gpd.GeoDataFrame | None
    travel: geodata.TravelTimes | None = None
    comparison: Comparison | None = None
    km_per_minute: float | None = None
    plan_hub_count: int | None = None
