"""The chosen roaming routes as a timetable and GIS layers (routes, stops)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.optimize import Bounds, LinearConstraint, milp

from models.county import CountyInput
from models.routes import Route, StopTimes, route_serves
from optimizer.county_spec import CountyPlan, RoamingRecord, RoamingSummary
from optimizer.solve.county import CountySolution


def schedule(days_driven: np.ndarray, vehicles: int, days: int) -> list[tuple[int, int, int]]:
    """(vehicle, day, route index) for every day a route is driven, 1-based vehicle and day.

    Routes are taken round-robin (every route's first day, then every second day, ...) and
    spread evenly over the cycle's vehicle-days in day order, so a route driven several
    times returns at regular intervals.
    """
    days_driven = np.asarray(days_driven, dtype=int)
    sequence = [
        r
        for k in range(int(days_driven.max(initial=0)))
        for r in np.flatnonzero(days_driven > k).tolist()
    ]
    slots = vehicles * days
    if len(sequence) > slots:
        raise ValueError(f"{len(sequence)} route days do not fit {slots} vehicle-days")
    out = []
    for t, r in enumerate(sequence):
        slot = t * slots // len(sequence)
        out.append((slot % vehicles + 1, slot // vehicles + 1, r))
    return sorted(out, key=lambda x: (x[0], x[1]))


def roaming_layers(
    routes: list[Route],
    days_driven: np.ndarray,
    times: StopTimes,
    demand: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    vehicles: int,
    days: int,
    roamed: np.ndarray | None = None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, pd.DataFrame]:
    """The ``routes`` layer (one LineString per vehicle-day), the ``stops`` layer (one point
    per stop with arrival and departure minute after the day's start) and the timetable.
    With covering stops (``times.covers``) each stop also names the roaming villages
    (``roamed``, a mask; default all) it serves, ``;``-separated (``served_ids``).

    Both layers are in the demand's (metric) CRS; ``km`` is the length of the drawn line.
    """
    demand = demand.reset_index(drop=True)
    sites = sites.reset_index(drop=True).to_crs(demand.crs)
    ids = demand["id"].astype(str).to_numpy()
    names = demand["name"].astype(str).to_numpy()
    site_ids = sites["id"].astype(str).to_numpy()
    site_names = sites["name"].astype(str).to_numpy()
    vxy = shapely.get_coordinates(demand.geometry.values)
    sxy = shapely.get_coordinates(sites.geometry.values)
    route_rows, stop_rows, table_rows = [], [], []
    covers = times.covers
    if roamed is None:
        roamed = np.ones(ids.size, dtype=bool)
    for vehicle, day, r in schedule(days_driven, vehicles, days):
        route = routes[r]
        b = route.base
        line = shapely.LineString(np.vstack([sxy[b], vxy[list(route.stops)], sxy[b]]))
        route_id = f"R{r + 1:04d}"
        clock, prev = 0.0, None
        for order, i in enumerate(route.stops, start=1):
            clock += times.to_base[b][i] if prev is None else times.between[prev, i]
            leave = clock + times.service[i]
            served = {} if covers is None else {"served_ids": _served_ids(covers[i], roamed, ids)}
            stop_rows.append(
                {
                    **served,
                    "vehicle": vehicle,
                    "day": day,
                    "route_id": route_id,
                    "stop_order": order,
                    "demand_id": ids[i],
                    "name": names[i],
                    "arrival_minute": round(clock, 3),
                    "departure_minute": round(leave, 3),
                    "geometry": shapely.Point(vxy[i]),
                }
            )
            clock, prev = leave, i
        route_rows.append(
            {
                "vehicle": vehicle,
                "day": day,
                "route_id": route_id,
                "base_id": site_ids[b],
                "base_name": site_names[b],
                "n_stops": len(route.stops),
                "stop_ids": ";".join(ids[list(route.stops)]),
                "minutes": round(route.minutes, 3),
                "km": round(line.length / 1000.0, 3),
                "geometry": line,
            }
        )
        table_rows.append(
            {
                "vehicle": vehicle,
                "day": day,
                "base": site_names[b],
                "route_id": route_id,
                "stops": " - ".join(names[list(route.stops)]),
                "minutes": round(route.minutes, 1),
            }
        )
    route_cols = ["vehicle", "day", "route_id", "base_id", "base_name", "n_stops", "stop_ids"]
    stop_cols = ["vehicle", "day", "route_id", "stop_order", "demand_id", "name"]
    if covers is not None:
        stop_cols.append("served_ids")
    routes_layer = gpd.GeoDataFrame(
        route_rows or None,
        columns=[*route_cols, "minutes", "km", "geometry"],
        geometry="geometry",
        crs=demand.crs,
    )
    stops_layer = gpd.GeoDataFrame(
        stop_rows or None,
        columns=[*stop_cols, "arrival_minute", "departure_minute", "geometry"],
        geometry="geometry",
        crs=demand.crs,
    )
    table = pd.DataFrame(
        table_rows, columns=["vehicle", "day", "base", "route_id", "stops", "minutes"]
    )
    return routes_layer, stops_layer, table


def _served_ids(near: np.ndarray, roamed: np.ndarray, ids: np.ndarray) -> str:
    """The ids of the roaming villages among ``near``, ``;``-separated."""
    return ";".join(ids[near[roamed[near]]])


def served_by_stop(
    routes: list[Route], days_driven: np.ndarray, times: StopTimes, roamed: np.ndarray, ids
) -> list[str]:
    """Per village, the ids of the stops of driven routes that serve it, ``;``-separated in
    id order ("" for villages not roaming)."""
    by: list[set[str]] = [set() for _ in range(roamed.size)]
    for r in np.flatnonzero(np.asarray(days_driven) > 0).tolist():
        for s in routes[r].stops:
            near = [s] if times.covers is None else times.covers[s].tolist()
            for i in near:
                if roamed[i]:
                    by[i].add(str(ids[s]))
    return [";".join(sorted(stops)) for stops in by]


def clinic_alternative(
    data: CountyInput, units: np.ndarray, is_open: np.ndarray
) -> tuple[int, float, int]:
    """What fixed clinics serving ``units`` instead would take: the least-cost set of sites
    (build cost in yuan; sites in ``is_open`` cost nothing) covering every unit of ``units``
    that some possible site reaches within the clinic radius. Returns (new sites, yuan,
    units no site reaches)."""
    pairs = data.clinic_pairs
    reach = units[np.diff(pairs.indptr)[units] > 0]
    if reach.size == 0:
        return 0, 0.0, int(units.size)
    keep = np.isin(pairs.demand, reach)
    rows = np.searchsorted(reach, pairs.demand[keep])
    sites, cols = np.unique(pairs.site[keep], return_inverse=True)
    matrix = sp.csr_array((np.ones(cols.size), (rows, cols)), shape=(reach.size, sites.size))
    cost = np.where(is_open[sites], 0.0, data.clinic_cost[sites].astype(float))
    weight = np.where(cost > 0, cost, 1e-6)
    result = milp(
        weight,
        constraints=LinearConstraint(matrix, lb=1.0),
        integrality=np.ones(sites.size),
        bounds=Bounds(0, 1),
    )
    chosen = (np.round(result.x) > 0.5) & ~is_open[sites]
    return int(chosen.sum()), float(cost[chosen].sum()), int(units.size - reach.size)


def add_roaming_layers(
    plan: CountyPlan,
    solution: CountySolution,
    data: CountyInput,
    times: StopTimes,
    demand: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    record: RoamingRecord,
) -> None:
    """Put the solved routes into ``plan``: the routes and stops layers, the timetable, the
    pool record, ``roaming`` and ``visits`` (per cycle) columns of the assignments and the
    roaming items of the summary, with the clinics that would serve the roaming villages
    instead (``clinic_alternative``)."""
    roam = data.roaming
    driven, roamed = solution.drive, solution.roamed
    # with crews, the days driven go to the vehicles in service (each with its crew)
    vehicles = roam.vehicles if solution.in_service is None else max(solution.in_service, 1)
    plan.routes, plan.stops, plan.timetable = roaming_layers(
        roam.routes, driven, times, demand, sites, vehicles, roam.days, roamed
    )
    plan.roaming = record
    n = len(plan.assignments)
    visits = np.zeros(n, dtype=int)
    for r, k in enumerate(driven.tolist()):
        visits[route_serves(roam.routes[r].stops, times.covers)] += k
    plan.assignments["roaming"] = roamed
    plan.assignments["visits"] = visits
    if times.covers is not None:
        ids = demand["id"].astype(str).to_numpy()
        plan.assignments["served_by_stop"] = served_by_stop(
            roam.routes, driven, times, np.asarray(roamed, dtype=bool), ids
        )
    pop = plan.assignments["population"].to_numpy(dtype=float)
    used = int(driven.sum())
    alt_sites, alt_cost, beyond = clinic_alternative(
        data, np.flatnonzero(roamed), plan.sites["level"].to_numpy() != ""
    )
    plan.summary.roaming = RoamingSummary(
        roaming_villages=int(roamed.sum()),
        roaming_population=float(pop[roamed].sum()),
        vehicle_days_used=used,
        vehicle_days_fleet=roam.vehicles * roam.days,
        roaming_cost=float(roam.costs() @ driven),
        clinic_alternative_sites=alt_sites,
        clinic_alternative_cost=alt_cost,
        roaming_beyond_clinics=beyond,
        route_pool=record.pool,
        route_rounds=record.rounds,
        route_lp_value=record.lp_value,
        route_lp_bound=record.lp_bound,
        route_bound=record.bound,
        route_master_objective=record.objective,
        route_master_gap=record.gap,
        route_search_timed_out=bool(record.timed_out),
    )
