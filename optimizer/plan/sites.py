"""``plan_sites``: a location plan from GeoDataFrames, handed back as GIS layers."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import shapely

from geodata.errors import InfeasibleError, InputError
from geodata.frames import check_layer
from geodata.i18n import gettext as _
from geodata.travel import TravelTimes
from optimizer.notices import solve_warning
from optimizer.results import LocateResult, SitePlan, SiteSummary
from optimizer.solve.locate import locate
from optimizer.verify import verify_locate


def _site_indices(ids: Sequence[str] | None, site_ids: np.ndarray, what: str) -> np.ndarray:
    if not ids:
        return np.zeros(0, dtype=np.int64)
    position = {sid: k for k, sid in enumerate(site_ids)}
    unknown = [str(s) for s in ids if str(s) not in position]
    if unknown:
        examples = ", ".join(site_ids[:5])
        raise InputError(
            _("{key}: unknown site id(s) {ids}; site ids look like {examples}").format(
                key=what, ids=", ".join(unknown), examples=examples
            )
        )
    return np.array(sorted({position[str(s)] for s in ids}), dtype=np.int64)


def check_alignment(demand: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, travel: TravelTimes) -> None:
    if not isinstance(travel, TravelTimes):
        raise InputError(
            _(
                "travel: expected TravelTimes, got {type}; compute them with "
                "geodata.straight_line_minutes, network_minutes or table_minutes"
            ).format(type=type(travel).__name__)
        )
    if not np.array_equal(np.asarray(demand["id"], dtype=str), travel.demand_ids.astype(str)):
        raise InputError(
            _(
                "travel times: their demand ids are not the demand layer's ids in the same "
                "order; compute the travel times from this demand layer"
            )
        )
    if not np.array_equal(np.asarray(sites["id"], dtype=str), travel.site_ids.astype(str)):
        raise InputError(
            _(
                "travel times: their site ids are not the sites layer's ids in the same order; "
                "compute the travel times from this sites layer"
            )
        )


def plan_sites(
    demand: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    travel: TravelTimes,
    problem: str,
    *,
    p: int | None = None,
    radius: float | None = None,
    required: Sequence[str] | None = None,
    barred: Sequence[str] | None = None,
    use_capacity: bool = False,
    use_fixed_costs: bool = False,
    single_source: bool = False,
    time_limit: float = 60.0,
    mip_gap: float = 0.0,
) -> SitePlan:
    """Choose sites for canonical demand and site layers and return the plan as layers.

    Args:
        demand: canonical demand layer (``id``, ``name``, ``population`` in persons, points).
        sites: canonical sites layer (``id``, ``name``, ``kind``, ``capacity`` in persons,
            ``fixed_cost``, points).
        travel: minutes from each demand unit to each site (rows and columns in layer order).
        problem: "lscp", "mclp", "p-median", "p-center" or "capacitated" (see ``locate``).
        p: number of sites to open, required sites included.
        radius: service radius in minutes.
        required: ids of sites that must be open; barred: ids of sites that must stay closed.
        use_capacity: use the sites' ``capacity`` column (persons served) as a limit.
        use_fixed_costs: use the sites' ``fixed_cost`` column.
        single_source: capacitated only: every unit served by one site.
        time_limit: seconds; mip_gap: accepted relative gap.

    Every plan is checked by the independent verifier before it is returned.

    Raises:
        InputError: bad layers, ids or arguments (see ``locate``); InfeasibleError: demand
        units no usable site reaches, named by id and name; SolverError: no plan in time.
    """
    numbers = ["capacity"] * use_capacity + ["fixed_cost"] * use_fixed_costs
    check_layer(demand, "demand", ("id", "name", "population"), ("population",))
    check_layer(sites, "sites", ("id", "name", "kind", *numbers), numbers)
    check_alignment(demand, sites, travel)
    site_ids = np.asarray(sites["id"], dtype=str)
    demand_ids = np.asarray(demand["id"], dtype=str)
    req = _site_indices(required, site_ids, "required")
    bar = _site_indices(barred, site_ids, "barred")
    weights = demand["population"].to_numpy(dtype=float)
    capacities = None
    if use_capacity:
        capacities = sites["capacity"].to_numpy(dtype=float)
        capacities = np.where(np.isnan(capacities), np.inf, capacities)
    fixed = sites["fixed_cost"].to_numpy(dtype=float) if use_fixed_costs else None
    args = dict(
        weights=weights,
        p=p,
        radius=radius,
        capacities=capacities,
        fixed_costs=fixed,
        required=req,
        barred=bar,
    )
    try:
        result = locate(
            problem,
            travel.minutes,
            single_source=single_source,
            time_limit=time_limit,
            mip_gap=mip_gap,
            **args,
        )
    except InfeasibleError as exc:
        if exc.demand is None:
            raise
        named = _("; ").join(f"{demand_ids[i]} {demand['name'].iloc[i]}" for i in exc.demand[:20])
        if len(exc.demand) > 20:
            named = _("{names} and {n} more").format(names=named, n=len(exc.demand) - 20)
        if radius is not None:
            message = _(
                "{n} demand unit(s) cannot reach any usable site within {radius} minutes: "
                "{names}. Add a candidate site near them, widen the radius or the travel-time "
                "limit, or leave them out of the demand layer."
            )
        else:
            message = _(
                "{n} demand unit(s) cannot reach any usable site: {names}. Add a candidate site "
                "near them, widen the radius or the travel-time limit, or leave them out of the "
                "demand layer."
            )
        raise InfeasibleError(
            message.format(
                n=len(exc.demand), radius=f"{radius:g}" if radius is not None else "", names=named
            ),
            demand=exc.demand,
        ) from None
    verify_locate(result, travel.minutes, single_source=single_source, mip_gap=mip_gap, **args)
    return _layers(result, demand, sites, travel, req, bar, radius)


def _layers(result: LocateResult, demand, sites, travel, req, bar, radius) -> SitePlan:
    n, m = len(demand), len(sites)
    demand = demand.reset_index(drop=True)
    sites = sites.reset_index(drop=True).to_crs(demand.crs)
    weights = demand["population"].to_numpy(dtype=float)
    is_open = np.zeros(m, dtype=bool)
    is_open[result.open_sites] = True
    assignment = result.assignment
    assigned = assignment >= 0

    minutes = np.full(n, np.nan)
    rows = np.flatnonzero(assigned)
    if rows.size:
        minutes[rows] = travel.minutes[rows, assignment[rows]]
    if result.allocation is not None:
        d, s, x = result.allocation
        served = np.bincount(s, weights=weights[d] * x, minlength=m)
    else:
        served = np.bincount(assignment[assigned], weights=weights[assigned], minlength=m)
    counts = np.bincount(assignment[assigned], minlength=m)

    site_layer = gpd.GeoDataFrame(
        {
            "site_id": sites["id"].astype(str),
            "name": sites["name"].astype(str),
            "kind": sites["kind"].astype(str),
            "open": is_open,
            "required": np.isin(np.arange(m), req),
            "barred": np.isin(np.arange(m), bar),
            "n_assigned": counts.astype(np.int64),
            "population_served": served,
        },
        geometry=sites.geometry.values,
        crs=demand.crs,
    )
    site_of = np.where(assigned, assignment, 0)
    assignments = gpd.GeoDataFrame(
        {
            "demand_id": demand["id"].astype(str),
            "name": demand["name"].astype(str),
            "population": weights,
            "site_id": np.where(assigned, sites["id"].astype(str).to_numpy()[site_of], ""),
            "site_name": np.where(assigned, sites["name"].astype(str).to_numpy()[site_of], ""),
            "minutes": minutes,
        },
        geometry=demand.geometry.values,
        crs=demand.crs,
    )
    lines = (
        shapely.linestrings(
            np.stack(
                [
                    shapely.get_coordinates(demand.geometry.values[rows]),
                    shapely.get_coordinates(sites.geometry.values[assignment[rows]]),
                ],
                axis=1,
            )
        )
        if rows.size
        else np.array([], dtype=object)
    )
    assignment_lines = gpd.GeoDataFrame(
        {
            "demand_id": assignments["demand_id"].to_numpy()[rows],
            "site_id": assignments["site_id"].to_numpy()[rows],
            "minutes": minutes[rows],
            "population": weights[rows],
        },
        geometry=gpd.GeoSeries(lines, crs=demand.crs).values,
        crs=demand.crs,
    )
    summary = _summary(result, weights, assigned, minutes, is_open, radius, travel)
    return SitePlan(result, site_layer, assignments, assignment_lines, summary)


def _summary(result, weights, assigned, minutes, is_open, radius, travel) -> SiteSummary:
    total = float(weights.sum())
    reached = float(weights[assigned].sum())
    with np.errstate(invalid="ignore"):
        mean_minutes = float(np.nansum(weights * minutes) / reached) if reached else np.nan
    return SiteSummary(
        problem=result.problem,
        status=result.status,
        objective=result.objective,
        bound=result.bound,
        gap=result.gap,
        radius_minutes=radius,
        sites_open=int(is_open.sum()),
        demand_units=int(weights.size),
        demand_units_assigned=int(assigned.sum()),
        population=total,
        population_assigned=reached,
        mean_minutes_per_person=mean_minutes,
        max_minutes=float(np.nanmax(minutes)) if assigned.any() else np.nan,
        travel_source=travel.source,
        warning=solve_warning(result.status, result.gap),
    )
