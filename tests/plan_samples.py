"""A small hand-built SitePlan with Chinese names, for export, map and CLI tests."""

from __future__ import annotations

import copy
from dataclasses import fields, replace

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import LineString, Point

from optimizer.results import LocateResult, SitePlan, SiteSummary

CRS = "EPSG:4547"  # CGCS2000 / 3-degree Gauss-Kruger CM 114E, metres

SITES = [
    # site_id, name, kind, open, required, barred, x, y
    ("s1", "县人民医院", "county_hospital", True, True, False, 500_000, 3_400_000),
    ("s2", "石门镇卫生院", "township_centre", True, False, False, 510_000, 3_405_000),
    ("s3", "候选点·甲", "candidate", False, False, False, 505_000, 3_410_000),
]
VILLAGES = [
    # demand_id, name, population, site_id, minutes, x, y
    ("v1", "张家村", 1200, "s1", 8.5, 501_000, 3_401_000),
    ("v2", "李家湾", 800, "s1", 12.0, 498_000, 3_397_000),
    ("v3", "王庄", 450, "s2", 6.0, 511_000, 3_404_000),
    ("v4", "赵家岭", 300, "s2", 15.5, 514_000, 3_409_000),
    ("v5", "深山坳", 90, "", np.nan, 530_000, 3_430_000),
]


def sample_plan() -> SitePlan:
    """Two open sites (one required), one closed candidate, one unassigned village."""
    site_xy = {s[0]: Point(s[6], s[7]) for s in SITES}
    site_name = {s[0]: s[1] for s in SITES}
    served = {sid: sum(v[2] for v in VILLAGES if v[3] == sid) for sid in site_xy}
    count = {sid: sum(1 for v in VILLAGES if v[3] == sid) for sid in site_xy}
    sites = gpd.GeoDataFrame(
        {
            "site_id": [s[0] for s in SITES],
            "name": [s[1] for s in SITES],
            "kind": [s[2] for s in SITES],
            "open": [s[3] for s in SITES],
            "required": [s[4] for s in SITES],
            "barred": [s[5] for s in SITES],
            "n_assigned": [count[s[0]] for s in SITES],
            "population_served": [float(served[s[0]]) for s in SITES],
        },
        geometry=list(site_xy.values()),
        crs=CRS,
    )
    assignments = gpd.GeoDataFrame(
        {
            "demand_id": [v[0] for v in VILLAGES],
            "name": [v[1] for v in VILLAGES],
            "population": [float(v[2]) for v in VILLAGES],
            "site_id": [v[3] for v in VILLAGES],
            "site_name": [site_name.get(v[3], "") for v in VILLAGES],
            "minutes": [v[4] for v in VILLAGES],
        },
        geometry=[Point(v[5], v[6]) for v in VILLAGES],
        crs=CRS,
    )
    linked = [v for v in VILLAGES if v[3]]
    lines = gpd.GeoDataFrame(
        {
            "demand_id": [v[0] for v in linked],
            "site_id": [v[3] for v in linked],
            "minutes": [v[4] for v in linked],
            "population": [float(v[2]) for v in linked],
        },
        geometry=[LineString([(v[5], v[6]), site_xy[v[3]].coords[0]]) for v in linked],
        crs=CRS,
    )
    result = LocateResult(
        problem="p-median",
        status="optimal",
        objective=23_345.0,
        bound=23_345.0,
        gap=0.0,
        open_sites=np.array([0, 1]),
        assignment=np.array([0, 0, 1, 1, -1]),
        seconds_build=0.01,
        seconds_solve=0.02,
    )
    population = np.array([v[2] for v in VILLAGES], dtype=float)
    minutes = np.array([v[4] for v in VILLAGES])
    assigned = np.isfinite(minutes)
    summary = SiteSummary(
        problem=result.problem,
        status=result.status,
        objective=result.objective,
        bound=result.bound,
        gap=result.gap,
        radius_minutes=None,
        sites_open=2,
        demand_units=len(VILLAGES),
        demand_units_assigned=int(assigned.sum()),
        population=float(population.sum()),
        population_assigned=float(population[assigned].sum()),
        mean_minutes_per_person=float(
            (population * minutes)[assigned].sum() / population[assigned].sum()
        ),
        max_minutes=float(minutes[assigned].max()),
        travel_source="示例县道路网",
    )
    return SitePlan(result, sites, assignments, lines, summary)


def copied(plan):
    """A copy of a county plan whose tables (sites, assignments, districts, staffing,
    routes, stops, timetable) and summary can be tampered without touching ``plan``."""
    frames = {
        f.name: getattr(plan, f.name).copy()
        for f in fields(plan)
        if isinstance(getattr(plan, f.name), pd.DataFrame)
    }
    return replace(plan, **frames, summary=copy.deepcopy(plan.summary))
