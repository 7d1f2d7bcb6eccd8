"""Run a loaded config: read the data, compute travel times, solve, return the plan."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd

import geodata
from geodata.errors import InputError
from geodata.layers import read_any
from optimizer.config.site import Config, DemandConfig, SitesConfig, TravelConfig, check_config
from optimizer.plan.sites import plan_sites
from optimizer.results import SitePlan

if TYPE_CHECKING:
    from optimizer.config.county import CountySitesConfig

# Travel times beyond this many minutes are not computed when neither travel.max_minutes nor
# model.radius says otherwise: two hours covers any trip to a county facility.
DEFAULT_MAX_MINUTES = 120.0

STEPS = ("reading demand", "reading sites", "travel times", "solving", "writing outputs")

Progress = Callable[[str], None]


@contextmanager
def config_section(name: str) -> Iterator[None]:
    """Prefix data errors with the config section that names the data, e.g. ``[demand]``."""
    try:
        yield
    except InputError as exc:
        raise type(exc)(f"[{name}] {exc}") from exc


def max_minutes(config: Config) -> float:
    """Longest trip (minutes) worth computing: travel.max_minutes, else the radius, else 120."""
    if config.travel.max_minutes is not None:
        return config.travel.max_minutes
    if config.model.radius is not None:
        return config.model.radius
    return DEFAULT_MAX_MINUTES


def run_config(config: Config, *, progress: Progress | None = None) -> SitePlan:
    """Read the data a config names, compute travel minutes and solve the location model.

    Args:
        config: a checked config (see ``optimizer.config.site.load_config``).
        progress: called with each step name of ``STEPS`` as it starts (all but
            "writing outputs", which belongs to the caller).

    Raises:
        ConfigError: inconsistent config (when built in code rather than loaded).
        InputError: unreadable or invalid data files.
        InfeasibleError: targets that the data cannot meet.
        SolverError: no usable solution within the time limit.
    """
    check_config(config)
    step = progress or (lambda _name: None)
    d, s = config.demand, config.sites

    step("reading demand")
    demand = read_demand_layer(d)

    step("reading sites")
    sites = read_sites_layer(s, demand.crs, capacity=s.capacity, fixed_cost=s.fixed_cost)

    step("travel times")
    with config_section("travel"):
        travel = travel_times(config.travel, demand, sites, max_minutes(config))

    step("solving")
    m = config.model
    return plan_sites(
        demand,
        sites,
        travel,
        m.problem,
        p=m.p,
        radius=m.radius,
        required=list(s.required) or None,
        barred=list(s.barred) or None,
        use_capacity=m.use_capacity,
        use_fixed_costs=m.use_fixed_costs,
        single_source=m.single_source,
        time_limit=m.time_limit,
        mip_gap=m.mip_gap,
    )


def read_demand_layer(d: DemandConfig) -> gpd.GeoDataFrame:
    """Read the ``[demand]`` section's layer and project it to metres."""
    with config_section("demand"):
        demand = geodata.read_demand(
            d.path,
            id=d.id,
            name=d.name,
            population=d.population,
            layer=d.layer,
            lon=d.lon,
            lat=d.lat,
            crs=d.crs,
        )
        return geodata.to_metric(demand)


def read_sites_layer(
    s: SitesConfig | CountySitesConfig, crs: object, **columns: str | None
) -> gpd.GeoDataFrame:
    """Read the ``[sites]`` section's layer (plus optional ``columns``) in the CRS ``crs``."""
    with config_section("sites"):
        sites = geodata.read_sites(
            s.path,
            id=s.id,
            name=s.name,
            kind=s.kind,
            layer=s.layer,
            lon=s.lon,
            lat=s.lat,
            crs=s.crs,
            **columns,
        )
        return geodata.to_metric(sites, crs=crs)


def read_roads(path: Path, layer: str | None) -> gpd.GeoDataFrame:
    """The road line layer of a spatial file (GeoPackage, shapefile, GeoJSON, ...)."""
    roads, source = read_any(path, layer)
    if not isinstance(roads, gpd.GeoDataFrame):
        raise source.error("has no geometry; give a line layer of roads as travel.roads")
    roads.attrs["source"] = str(source)
    return roads


def travel_times(
    t: TravelConfig, demand: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, limit: float
) -> geodata.TravelTimes:
    """Demand x site minutes by the [travel] mode, up to ``limit`` minutes."""
    if t.mode == "straight-line":
        return geodata.straight_line_minutes(
            demand, sites, speed_kmh=t.speed_kmh, circuity=t.circuity, max_minutes=limit
        )
    if t.mode == "network":
        return geodata.network_minutes(
            demand,
            sites,
            read_roads(t.roads, t.roads_layer),
            speed_column=t.speed_column,
            class_column=t.class_column,
            class_speeds=t.class_speeds,
            default_speed_kmh=t.default_speed_kmh,
            access_speed_kmh=t.access_speed_kmh,
            max_minutes=limit,
        )
    return geodata.table_minutes(
        t.table,
        demand["id"].tolist(),
        sites["id"].tolist(),
        origin=t.origin,
        destination=t.destination,
        minutes=t.minutes,
        max_minutes=limit,
    )
