"""What a county-plan run hands to the outputs: the plan with its config, spec, boundary,
travel minutes and comparison (``optimizer.county_run.run_county`` builds it)."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd

import geodata
from optimizer.config.county import CountyConfig
from optimizer.county_spec import CountyPlan, CountySpec
from optimizer.plan.compare import Comparison


@dataclass
class CountyRun:
    """A solved county plan with its spec; ``plan.districts`` holds district polygons."""

    config: CountyConfig
    spec: CountySpec
    plan: CountyPlan
    boundary: gpd.GeoDataFrame | None
    travel: geodata.TravelTimes | None = None
    comparison: Comparison | None = None
