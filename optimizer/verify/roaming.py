"""Independent check of a plan's roaming routes against the inputs.

Recomputes every vehicle-day's minutes from the travel times (base <-> village from the
demand x site minutes, village <-> village from the village x village minutes, either
direction, legs up to ``leg_minutes``) and the service minutes, and checks the day limit,
the stop clock, ``max_stops`` and ``max_minutes`` (travel), the fleet and base limits, that
bases are open, and visits per cycle. With covering stops (``cover_minutes`` > 0) a day
visits every village within ``cover_minutes`` of one of its stops (same village minutes),
once however many stops serve it; the stops' ``served_ids`` and the assignments'
``served_by_stop`` are recomputed from those minutes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from geodata.travel import TravelTimes
from optimizer.county_spec import CountyPlan, RoamingSpec

TOL = 1e-6


@dataclass
class RoamingFacts:
    """What the check found: ``problems``, the units served by roaming, the units roaming
    could serve (may roam, and a base reaches them and back within a day) and the
    vehicle-day cost (yuan)."""

    problems: list[str] = field(default_factory=list)
    roamed: np.ndarray | None = None
    roamable: np.ndarray | None = None
    cost: float = 0.0


def _lookup(travel: TravelTimes, limit: float):
    matrix = travel.minutes.tocsr()

    def minutes(a: int, b: int) -> float:
        found = [
            float(matrix[x, y])
            for x, y in ((a, b), (b, a))
            if x < matrix.shape[0] and y < matrix.shape[1] and _stored(matrix, x, y)
        ]
        best = min(found, default=np.inf)
        return best if best <= limit else np.inf

    return minutes


def _stored(matrix, row: int, col: int) -> bool:
    start, end = matrix.indptr[row], matrix.indptr[row + 1]
    return bool(np.any(matrix.indices[start:end] == col))


@dataclass(frozen=True)
class _Network:
    """The villages and bases a route runs between: village ids and positions, site
    positions, the service minutes per village, the vehicles per base, each site's level in
    the plan, and the leg minutes village <-> village (``leg``) and village <-> base
    (``base_leg``), inf beyond ``leg_minutes`` or where no time is given."""

    ids: np.ndarray
    pos: dict[str, int]
    site_pos: dict[str, int]
    service: np.ndarray
    per_base: dict[str, int]
    level: dict[str, str]
    leg: Callable[[int, int], float]
    base_leg: Callable[[int, int], float]
    cover: float = 0.0

    def serves(self, stop: int) -> np.ndarray:
        """The villages a stop at ``stop`` serves: itself, and with covering stops every
        village within ``cover`` minutes."""
        if self.cover <= 0:
            return np.array([stop])
        near = [i for i in range(self.ids.size) if i == stop or self.leg(stop, i) <= self.cover]
        return np.array(near)


@dataclass
class _Driven:
    """What the routes drive: visits per village, vehicle-days per base and the
    (vehicle, day) keys driven."""

    visits: np.ndarray
    days_at: dict[str, int] = field(default_factory=dict)
    seen: set[tuple[int, int]] = field(default_factory=set)
    travel: float = 0.0  # travel minutes of every vehicle-day driven


def check_roaming(
    plan: CountyPlan,
    demand: pd.DataFrame,
    sites: pd.DataFrame,
    travel: TravelTimes,
    stop_travel: TravelTimes,
    spec: RoamingSpec,
    unreached_clinic: np.ndarray,
) -> RoamingFacts:
    """Check ``plan.routes``, ``plan.stops`` and the assignments' ``roaming`` column.

    ``unreached_clinic`` masks the units beyond the clinic radius of every possible site
    (for ``may`` / ``must`` = "unreached").
    """
    net = _network(plan, demand, sites, travel, stop_travel, spec)
    may = _rule(spec.may, net.ids, unreached_clinic)
    must = _rule(spec.must, net.ids, unreached_clinic)
    roamable = may & _day_trip(net, spec)
    driven = _Driven(visits=np.zeros(net.ids.size, dtype=int))
    problems: list[str] = []
    for row in plan.routes.itertuples(index=False):
        problems += _day_problems(row, plan.stops, spec, net, driven)
    problems += _fleet_problems(spec, driven, net.per_base)
    roamed = plan.assignments["roaming"].to_numpy(dtype=bool)
    problems += _village_problems(plan, spec, net.ids, driven.visits, roamed, may, must, roamable)
    if net.cover > 0:
        problems += _served_problems(plan, net, roamed)
    if spec.route_cost == "minutes":
        cost = driven.travel
    else:
        cost = spec.day_cost * len(driven.seen)
    return RoamingFacts(problems=problems, roamed=roamed, roamable=roamable, cost=cost)


def _network(
    plan: CountyPlan,
    demand: pd.DataFrame,
    sites: pd.DataFrame,
    travel: TravelTimes,
    stop_travel: TravelTimes,
    spec: RoamingSpec,
) -> _Network:
    """The villages, bases and leg minutes the routes are checked against."""
    ids = np.asarray(demand["id"], dtype=str)
    site_ids = np.asarray(sites["id"], dtype=str)
    pop = demand["population"].to_numpy(dtype=float)
    to_site = travel.minutes.tocsr()

    def base_leg(i: int, b: int) -> float:
        if not _stored(to_site, i, b):
            return np.inf
        t = float(to_site[i, b])
        return t if t <= spec.leg_minutes else np.inf

    return _Network(
        ids=ids,
        pos={s: k for k, s in enumerate(ids.tolist())},
        site_pos={s: k for k, s in enumerate(site_ids.tolist())},
        service=spec.service_minutes + spec.service_per_1000 * pop / 1000.0,
        per_base=dict(
            zip(spec.bases, spec.base_vehicles or (spec.vehicles,) * len(spec.bases), strict=True)
        ),
        level=dict(
            zip(plan.sites["site_id"].astype(str), plan.sites["level"].astype(str), strict=True)
        ),
        leg=_lookup(stop_travel, spec.leg_minutes),
        base_leg=base_leg,
        cover=float(spec.cover_minutes),
    )


def _rule(
    value: str | tuple[str, ...], ids: np.ndarray, unreached_clinic: np.ndarray
) -> np.ndarray:
    """Mask of the villages a ``may`` / ``must`` rule names."""
    if value == "all":
        return np.ones(ids.size, dtype=bool)
    if value == "none":
        return np.zeros(ids.size, dtype=bool)
    if value == "unreached":
        return unreached_clinic.copy()
    return np.isin(ids, list(value))


def _day_trip(net: _Network, spec: RoamingSpec) -> np.ndarray:
    """Per village: some base reaches it, serves it and returns within a day (minutes)."""
    base_idx = [net.site_pos[b] for b in spec.bases]
    return np.array(
        [
            any(2 * net.base_leg(i, b) + net.service[i] <= spec.day_minutes + TOL for b in base_idx)
            for i in range(net.ids.size)
        ]
    )


def _day_problems(
    row: Any, stops: pd.DataFrame, spec: RoamingSpec, net: _Network, driven: _Driven
) -> list[str]:
    """One vehicle-day (``row``, a row of the routes layer): its key and its base, then its
    stops; adds what it drives to ``driven``."""
    key = (int(row.vehicle), int(row.day))
    label = f"vehicle {key[0]} day {key[1]}"
    problems = _key_problems(key, label, spec, driven.seen)
    driven.seen.add(key)
    base = str(row.base_id)
    if base not in net.per_base:
        problems.append(f"{label}: base {base} is not a roaming base")
        return problems
    if net.level.get(base, "") == "":
        problems.append(f"{label}: base {base} is not open")
    driven.days_at[base] = driven.days_at.get(base, 0) + 1
    b = net.site_pos[base]
    mine = stops[(stops["vehicle"] == key[0]) & (stops["day"] == key[1])]
    mine = mine.sort_values("stop_order")
    return problems + _stops_problems(label, row, mine, b, spec, net, driven)


def _key_problems(
    key: tuple[int, int], label: str, spec: RoamingSpec, seen: set[tuple[int, int]]
) -> list[str]:
    """A (vehicle, day) key driven before or outside the fleet and the cycle's days."""
    problems: list[str] = []
    if key in seen:
        problems.append(f"{label}: driven twice")
    if not (1 <= key[0] <= spec.vehicles and 1 <= key[1] <= spec.days):
        problems.append(f"{label}: outside the fleet of {spec.vehicles} x {spec.days} days")
    return problems


def _stops_problems(
    label: str,
    row: Any,
    mine: pd.DataFrame,
    b: int,
    spec: RoamingSpec,
    net: _Network,
    driven: _Driven,
) -> list[str]:
    """One vehicle-day's stops (``mine``, in stop order, from base ``b``): missing or
    unknown villages, the route's stop list, then the clock; adds the visits and the travel
    minutes to ``driven``."""
    problems: list[str] = []
    order = [net.pos.get(str(s), -1) for s in mine["demand_id"]]
    if not order or min(order) < 0:
        problems.append(f"{label}: stops missing or unknown")
        return problems
    if ";".join(net.ids[order]) != str(row.stop_ids):
        problems.append(f"{label}: the stops layer and the route's stop list differ")
    clock, travel = _clock_problems(label, row, mine, order, b, spec, net)
    problems += clock
    driven.travel += travel
    served = np.unique(np.concatenate([net.serves(s) for s in order]))
    driven.visits[served] += 1
    return problems


def _clock_problems(
    label: str,
    row: Any,
    mine: pd.DataFrame,
    order: list[int],
    b: int,
    spec: RoamingSpec,
    net: _Network,
) -> tuple[list[str], float]:
    """The stops' arrival and departure minutes recomputed from base ``b`` along ``order``,
    and the day's minutes (back at the base) against the day limit and the route's claim;
    with the travel minutes recomputed."""
    problems: list[str] = []
    ids = net.ids
    clock, prev, travel = 0.0, None, 0.0
    for i, arrive, leave in zip(
        order, mine["arrival_minute"], mine["departure_minute"], strict=True
    ):
        leg = net.base_leg(i, b) if prev is None else net.leg(prev, i)
        clock += leg
        travel += leg
        if not np.isclose(float(arrive), clock, atol=1e-2):
            problems.append(f"{label}: arrival at {ids[i]} {arrive}, recomputed {clock:g}")
        clock += net.service[i]
        if not np.isclose(float(leave), clock, atol=1e-2):
            problems.append(f"{label}: departure from {ids[i]} {leave}, recomputed {clock:g}")
        prev = i
    clock += net.base_leg(prev, b)
    travel += net.base_leg(prev, b)
    if spec.max_minutes is not None and not travel <= spec.max_minutes + TOL:
        problems.append(
            f"{label}: {travel:g} travel minutes, beyond max_minutes {spec.max_minutes:g}"
        )
    if spec.max_stops is not None and len(order) > spec.max_stops:
        problems.append(f"{label}: {len(order)} stops, beyond max_stops {spec.max_stops}")
    if not clock <= spec.day_minutes + TOL:
        problems.append(f"{label}: {clock:g} minutes, beyond the day of {spec.day_minutes:g}")
    if not np.isclose(float(row.minutes), clock, atol=1e-2):
        problems.append(f"{label}: reports {row.minutes} minutes, recomputed {clock:g}")
    return problems, travel


def _served_problems(plan: CountyPlan, net: _Network, roamed: np.ndarray) -> list[str]:
    """The stops' ``served_ids`` and the assignments' ``served_by_stop`` against the roaming
    villages within ``cover_minutes`` of each stop."""
    problems: list[str] = []
    by: list[set[str]] = [set() for _ in range(net.ids.size)]
    if "served_ids" not in plan.stops.columns and len(plan.stops):
        problems.append("stops: no served_ids column with covering stops")
    for row in plan.stops.itertuples(index=False):
        s = net.pos.get(str(row.demand_id), -1)
        if s < 0:
            continue
        near = net.serves(s)
        near = near[roamed[near]]
        for i in near.tolist():
            by[i].add(str(net.ids[s]))
        claimed = getattr(row, "served_ids", None)
        if claimed is not None and set(filter(None, str(claimed).split(";"))) != set(
            net.ids[near].tolist()
        ):
            problems.append(
                f"stop {row.demand_id} (vehicle {row.vehicle} day {row.day}): served_ids "
                f"{claimed}, recomputed {';'.join(net.ids[near])}"
            )
    if "served_by_stop" not in plan.assignments.columns:
        return problems + ["assignments: no served_by_stop column with covering stops"]
    claimed = plan.assignments["served_by_stop"].fillna("").astype(str).tolist()
    wrong = [
        str(net.ids[i])
        for i in range(net.ids.size)
        if set(filter(None, claimed[i].split(";"))) != by[i]
    ]
    if wrong:
        problems.append(f"assignments.served_by_stop differs from the stops: {wrong[:10]}")
    return problems


def _fleet_problems(spec: RoamingSpec, driven: _Driven, per_base: dict[str, int]) -> list[str]:
    """Vehicle-days beyond the fleet (vehicles x days) and beyond each base's vehicles."""
    problems: list[str] = []
    if len(driven.seen) > spec.vehicles * spec.days:
        problems.append(f"{len(driven.seen)} vehicle-days, fleet has {spec.vehicles * spec.days}")
    for base, used in driven.days_at.items():
        if used > spec.days * per_base[base]:
            problems.append(f"base {base}: {used} vehicle-days, limit {spec.days * per_base[base]}")
    return problems


def _village_problems(
    plan: CountyPlan,
    spec: RoamingSpec,
    ids: np.ndarray,
    visits: np.ndarray,
    roamed: np.ndarray,
    may: np.ndarray,
    must: np.ndarray,
    roamable: np.ndarray,
) -> list[str]:
    """The assignments' ``roaming`` column (``roamed``) against the visits per cycle and the
    ``may`` and ``must`` rules, and their ``visits`` column against the stops."""
    problems: list[str] = []
    short = roamed & (visits < spec.visits)
    if short.any():
        problems.append(
            f"roaming villages visited fewer than {spec.visits} times: {ids[short][:10]}"
        )
    if (roamed & ~may).any():
        problems.append(f"villages roamed that may not roam: {ids[roamed & ~may][:10]}")
    unroamed = must & roamable & ~roamed
    if unroamed.any():
        problems.append(f"villages that must roam are not roamed: {ids[unroamed][:10]}")
    if not np.array_equal(plan.assignments["visits"].to_numpy(dtype=int), visits):
        problems.append("assignments.visits differs from the stops layer")
    return problems
