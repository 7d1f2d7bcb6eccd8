"""Run a county-plan config: read the data, compute travel times, plan, draw districts."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

import geodata
from geodata.errors import ConfigError, InputError
from geodata.layers import read_any
from geodata.messages import listing
from optimizer.config.county import (
    CountyConfig,
    county_max_minutes,
    county_spec,
    existing_staff,
    resolve_villages,
)
from optimizer.county_spec import CountyPlan
from optimizer.plan.compare import check_compare, compare_plan
from optimizer.plan.county import plan_county
from optimizer.plan.county_result import CountyRun
from optimizer.plan.districts import district_polygons
from optimizer.run import (
    Progress,
    config_section,
    read_demand_layer,
    read_sites_layer,
    travel_times,
)

STEPS = (
    "reading demand",
    "reading sites",
    "travel times",
    "solving",
    "districts",
    "writing outputs",
)


def run_county(
    config: CountyConfig, *, progress: Progress | None = None, source: str | Path = "config"
) -> CountyRun:
    """Read the data a county config names, compute travel minutes, plan and draw districts.

    Args:
        config: a checked county config (``load_county_config`` and the batch tasks run
            its cross-field checks once, before any data is read).
        progress: called with each step name of ``STEPS`` as it starts (all but
            "writing outputs").
        source: the config file, named in errors about site names and columns.

    Raises:
        ConfigError: inconsistent config, unknown or ambiguous site names, missing columns.
        InputError: unreadable or invalid data files.
        InfeasibleError: targets that the data cannot meet.
        SolverError: no usable solution within the time limit.
    """
    step = progress or (lambda _name: None)
    d, s = config.demand, config.sites

    step("reading demand")
    demand = read_demand_layer(d)

    step("reading sites")
    sites = read_sites_layer(s, demand.crs)
    with config_section("sites"):
        sites = _with_columns(sites, config, source)
    spec = county_spec(config, sites, source)
    if config.compare is not None:
        with config_section("compare"):
            labels = _unit_labels(demand, d.path, d.layer, d.id)
            check_compare(config.compare, demand, sites, labels, source)
    boundary = None
    if config.boundary is not None:
        with config_section("boundary"):
            boundary = _read_boundary(config.boundary.path, config.boundary.layer)
            for layer, what in ((sites, "site"), (demand, "demand unit")):
                _check_inside(layer, boundary, what, config.boundary.path)

    stop_travel = None
    if spec.roaming is not None:
        spec = replace(spec, roaming=resolve_villages(spec.roaming, demand, source))

    step("travel times")
    with config_section("travel"):
        travel = travel_times(config.travel, demand, sites, county_max_minutes(config))
        if spec.roaming is not None:
            stop_travel = travel_times(config.travel, demand, demand, spec.roaming.leg_minutes)

    step("solving")
    plan = plan_county(demand, sites, travel, spec, stop_travel)
    for name, column in spec.existing_staff.items():
        plan.sites[f"existing_{name}"] = sites[column].to_numpy(dtype=float)
    plan.assignments["unreachable"] = unreachable_column(plan)
    levels = plan.sites["level"].to_numpy()
    plan.assignments["nearest_hub_minutes"] = nearest_minutes(travel, levels == "hub")
    plan.assignments["nearest_site_minutes"] = nearest_minutes(travel, levels != "")

    step("districts")
    with config_section("demand"):
        units = _unit_areas(plan.assignments, d.path, d.layer, d.id)
    plan.districts = district_polygons(
        units,
        boundary,
        names=dict(zip(plan.districts["hub_id"], plan.districts["name"], strict=True)),
    )
    comparison = None
    if config.compare is not None:
        step("comparing")
        with config_section("compare"):
            seats = None
            if config.compare.seats_layer is not None:
                towns = read_demand_layer(
                    d.model_copy(
                        update={"layer": config.compare.seats_layer, "id": config.compare.seats_id}
                    )
                )
                seats = (
                    towns,
                    travel_times(config.travel, towns, sites, county_max_minutes(config)),
                )
            comparison = compare_plan(
                config.compare,
                plan,
                spec,
                demand,
                sites,
                travel,
                labels=labels,
                seats=seats,
                stop_travel=stop_travel,
                source=source,
            )
    return CountyRun(
        config=config,
        spec=spec,
        plan=plan,
        boundary=boundary,
        travel=travel,
        comparison=comparison,
    )


def _unit_labels(
    demand: gpd.GeoDataFrame, path: Path, layer: str | None, id_column: str
) -> np.ndarray:
    """Display names of the demand units: township + name when the layer has a township
    column, else the name."""
    names = demand["name"].astype(str)
    frame, _ = read_any(path, layer)
    if "township" not in frame.columns:
        return names.to_numpy()
    township = frame.set_index(frame[id_column].astype(str))["township"].astype(str)
    return (demand["id"].astype(str).map(township).fillna("") + names).to_numpy()


def nearest_minutes(travel: geodata.TravelTimes, open_sites: np.ndarray) -> np.ndarray:
    """Per demand unit, minutes to the nearest of ``open_sites`` (NaN: none within reach)."""
    pairs = travel.minutes.tocoo()
    keep = open_sites[pairs.col]
    out = np.full(travel.minutes.shape[0], np.inf)
    np.minimum.at(out, pairs.row[keep], pairs.data[keep])
    out[np.isinf(out)] = np.nan
    return out


def unreachable_column(plan: CountyPlan) -> np.ndarray:
    """Per demand unit, the levels ("hub", "clinic") whose radius no possible site reaches."""
    ids = plan.assignments["demand_id"].astype(str).to_numpy()
    flags = [np.isin(ids, plan.unreachable.get(level, [])) for level in ("hub", "clinic")]
    return np.array(
        [
            ",".join(lv for lv, f in zip(("hub", "clinic"), row, strict=True) if f)
            for row in zip(*flags, strict=True)
        ],
        dtype=object,
    )


def _with_columns(
    sites: gpd.GeoDataFrame, config: CountyConfig, source: str | Path
) -> gpd.GeoDataFrame:
    """Sites with the cost and existing-staff columns the config names, as numbers."""
    wanted: dict[str, str] = {}
    for key in ("hub", "clinic"):
        column = getattr(config, key).cost_column
        if column is not None:
            wanted[column] = f"{key}.cost_column"
    for name, staff in config.staff.items():
        if staff.existing_column is not None:
            wanted[staff.existing_column] = f"staff.{name}.existing_column"
    if not wanted:
        return sites
    raw, _ = read_any(config.sites.path, config.sites.layer)
    sites = sites.copy()
    problems = []
    for column, key in wanted.items():
        if column not in raw.columns:
            problems.append(f"{source}: {key}: the sites have no column {column!r}")
            continue
        values = pd.to_numeric(raw[column], errors="coerce").to_numpy(dtype=float)
        if np.isnan(values).any() or (values < 0).any():
            problems.append(f"{source}: {key}: column {column!r} needs a number >= 0 in every row")
            continue
        sites[column] = values
    if problems:
        raise ConfigError("\n".join(problems))
    for name, staff in config.staff.items():
        existing_staff(sites, name, staff.existing_column)
    return sites


def _unit_areas(
    assignments: gpd.GeoDataFrame, path: Path, layer: str | None, id_column: str
) -> gpd.GeoDataFrame:
    """The assignments with each unit's own polygon when the demand file holds polygons
    (townships); otherwise the assignments as they are (points)."""
    frame, _ = read_any(path, layer)
    if not isinstance(frame, gpd.GeoDataFrame) or frame.crs is None:
        return assignments
    if not frame.geom_type.isin(["Polygon", "MultiPolygon"]).all():
        return assignments
    polygons = frame.to_crs(assignments.crs).set_index(frame[id_column].astype(str)).geometry
    units = assignments.copy()
    units["geometry"] = polygons.reindex(units["demand_id"].astype(str)).to_numpy()
    return units if not units.geometry.isna().any() else assignments


def _read_boundary(path: Path, layer: str | None) -> gpd.GeoDataFrame:
    """The county boundary polygons of a spatial file."""
    frame, src = read_any(path, layer)
    if not isinstance(frame, gpd.GeoDataFrame):
        raise src.error("has no geometry; give a polygon layer as boundary.path")
    kinds = set(frame.geometry.geom_type.dropna())
    if not kinds or not kinds <= {"Polygon", "MultiPolygon"}:
        raise src.error("needs polygons (the county area)")
    if frame.crs is None:
        raise src.error("has no CRS")
    return frame


# Points this far (metres) outside the boundary polygons still count as inside: boundaries
# are often generalised, and a health centre may sit just across the line.
BOUNDARY_TOLERANCE_M = 1000.0


def _check_inside(
    layer: gpd.GeoDataFrame, boundary: gpd.GeoDataFrame, what: str, path: Path
) -> None:
    """Refuse points (in a metric CRS) farther than ``BOUNDARY_TOLERANCE_M`` outside the
    boundary: their coordinates, CRS or the boundary file are wrong."""
    area = boundary.to_crs(layer.crs).union_all().buffer(BOUNDARY_TOLERANCE_M)
    outside = np.flatnonzero(~layer.geometry.covered_by(area).to_numpy())
    if outside.size:
        named = [f"{layer['id'].iloc[k]} {layer['name'].iloc[k]}" for k in outside]
        raise InputError(
            f"{path}: {outside.size} {what}(s) lie more than {BOUNDARY_TOLERANCE_M / 1000:g} km "
            f"outside the boundary: {listing(named)}; fix their coordinates or CRS, or give "
            "the right boundary file"
        )
