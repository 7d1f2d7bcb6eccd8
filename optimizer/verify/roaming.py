"""Independent check of a plan's roaming routes against the inputs.

Recomputes every vehicle-day's minutes from the travel times (base <-> village from the
demand x site minutes, village <-> village from the village x village minutes, either
direction, legs up to ``leg_minutes``) and the service minutes, and checks the day limit,
the stop clock, the fleet and base limits, that bases are open, and visits per cycle.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
    facts = RoamingFacts()
    out = facts.problems
    ids = np.asarray(demand["id"], dtype=str)
    site_ids = np.asarray(sites["id"], dtype=str)
    pop = demand["population"].to_numpy(dtype=float)
    n = ids.size
    pos = {s: k for k, s in enumerate(ids.tolist())}
    site_pos = {s: k for k, s in enumerate(site_ids.tolist())}
    service = spec.service_minutes + spec.service_per_1000 * pop / 1000.0
    leg = _lookup(stop_travel, spec.leg_minutes)
    to_site = travel.minutes.tocsr()

    def base_leg(i: int, b: int) -> float:
        if not _stored(to_site, i, b):
            return np.inf
        t = float(to_site[i, b])
        return t if t <= spec.leg_minutes else np.inf

    def rule(value) -> np.ndarray:
        if value == "all":
            return np.ones(n, dtype=bool)
        if value == "none":
            return np.zeros(n, dtype=bool)
        if value == "unreached":
            return unreached_clinic.copy()
        return np.isin(ids, list(value))

    may, must = rule(spec.may), rule(spec.must)
    per_base = dict(
        zip(spec.bases, spec.base_vehicles or (spec.vehicles,) * len(spec.bases), strict=True)
    )
    level = dict(
        zip(plan.sites["site_id"].astype(str), plan.sites["level"].astype(str), strict=True)
    )
    base_idx = [site_pos[b] for b in spec.bases]
    facts.roamable = may & np.array(
        [
            any(2 * base_leg(i, b) + service[i] <= spec.day_minutes + TOL for b in base_idx)
            for i in range(n)
        ]
    )

    routes, stops = plan.routes, plan.stops
    visits = np.zeros(n, dtype=int)
    days_at: dict[str, int] = {}
    seen = set()
    for row in routes.itertuples(index=False):
        key = (int(row.vehicle), int(row.day))
        label = f"vehicle {key[0]} day {key[1]}"
        if key in seen:
            out.append(f"{label}: driven twice")
        seen.add(key)
        if not (1 <= key[0] <= spec.vehicles and 1 <= key[1] <= spec.days):
            out.append(f"{label}: outside the fleet of {spec.vehicles} x {spec.days} days")
        base = str(row.base_id)
        if base not in per_base:
            out.append(f"{label}: base {base} is not a roaming base")
            continue
        if level.get(base, "") == "":
            out.append(f"{label}: base {base} is not open")
        days_at[base] = days_at.get(base, 0) + 1
        b = site_pos[base]
        mine = stops[(stops["vehicle"] == key[0]) & (stops["day"] == key[1])]
        mine = mine.sort_values("stop_order")
        order = [pos.get(str(s), -1) for s in mine["demand_id"]]
        if not order or min(order) < 0:
            out.append(f"{label}: stops missing or unknown")
            continue
        if ";".join(ids[order]) != str(row.stop_ids):
            out.append(f"{label}: the stops layer and the route's stop list differ")
        clock, prev = 0.0, None
        for i, arrive, leave in zip(
            order, mine["arrival_minute"], mine["departure_minute"], strict=True
        ):
            clock += base_leg(i, b) if prev is None else leg(prev, i)
            if not np.isclose(float(arrive), clock, atol=1e-2):
                out.append(f"{label}: arrival at {ids[i]} {arrive}, recomputed {clock:g}")
            clock += service[i]
            if not np.isclose(float(leave), clock, atol=1e-2):
                out.append(f"{label}: departure from {ids[i]} {leave}, recomputed {clock:g}")
            prev = i
            visits[i] += 1
        clock += base_leg(prev, b)
        if not clock <= spec.day_minutes + TOL:
            out.append(f"{label}: {clock:g} minutes, beyond the day of {spec.day_minutes:g}")
        if not np.isclose(float(row.minutes), clock, atol=1e-2):
            out.append(f"{label}: reports {row.minutes} minutes, recomputed {clock:g}")
    if len(seen) > spec.vehicles * spec.days:
        out.append(f"{len(seen)} vehicle-days, fleet has {spec.vehicles * spec.days}")
    for base, used in days_at.items():
        if used > spec.days * per_base[base]:
            out.append(f"base {base}: {used} vehicle-days, limit {spec.days * per_base[base]}")

    roamed = plan.assignments["roaming"].to_numpy(dtype=bool)
    short = roamed & (visits < spec.visits)
    if short.any():
        out.append(f"roaming villages visited fewer than {spec.visits} times: {ids[short][:10]}")
    if (roamed & ~may).any():
        out.append(f"villages roamed that may not roam: {ids[roamed & ~may][:10]}")
    unroamed = must & facts.roamable & ~roamed
    if unroamed.any():
        out.append(f"villages that must roam are not roamed: {ids[unroamed][:10]}")
    if not np.array_equal(plan.assignments["visits"].to_numpy(dtype=int), visits):
        out.append("assignments.visits differs from the stops layer")
    facts.roamed = roamed
    facts.cost = spec.day_cost * len(seen)
    return facts
