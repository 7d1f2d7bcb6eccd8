"""Roaming hospital routes in the county model: route days, roaming villages, fleet limits.

Notation (added to the county model's):

    R             day-routes r (columns): a base b(r), its stops, the villages it serves
                  (its stops, or with covering stops every village within cover_minutes
                  of one of them), its minutes
    V ⊆ I         villages that may be served by roaming, each needing F[i] visits per cycle
    drive[r]      days per cycle route r is driven (integer, 0..days x vehicles at its base)
    roam[i]       1 when village i is served by roaming (fixed 1 for villages that must be)

Constraints:

    sum_{r serves i} drive[r] >= F[i] roam[i]          visits per cycle     (i in V)
    sum_r drive[r] <= vehicles x days                   fleet vehicle-days
    sum_{r: b(r) = b} drive[r] <= days x vehicles_b x site[b]   a base works only when open

A village with roam[i] = 1 counts as covered at the clinic level and needs no clinic of its
own; ``stage_roaming_cost`` = sum cost[r] drive[r] joins the cost stage, where cost[r] is the
cost per vehicle-day (yuan, route_cost "vehicle_day") or route r's travel minutes (service
excluded, route_cost "minutes").
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyomo.environ as pyo

from models.routes import Route, route_index, route_serves, travel_minutes


@dataclass
class RoamingInput:
    """The fleet and the route pool, over demand units and site indices.

    ``visits[i]`` visits per cycle a roaming village needs; ``may`` / ``must`` masks of units
    that may / must be served by roaming; ``base_vehicles`` maps a base site index to the
    vehicles that may work from it; ``day_cost`` yuan per vehicle-day. ``route_cost``
    "minutes": a route costs its travel minutes instead (``service``: minutes per stop, taken
    off a route's minutes).
    """

    routes: list[Route]
    visits: np.ndarray
    may: np.ndarray
    must: np.ndarray
    days: int
    vehicles: int
    base_vehicles: dict[int, int]
    day_cost: float = 0.0
    always_open: set[int] = field(default_factory=set)  # bases that need no open site
    covers: tuple[np.ndarray, ...] | None = None  # villages each stop serves (None: itself)
    route_cost: str = "vehicle_day"  # or "minutes"
    service: np.ndarray | None = None  # service minutes per stop (route_cost "minutes")
    day_minutes: float = np.inf  # working minutes of a vehicle-day

    def costs(self, routes: list[Route] | None = None) -> np.ndarray:
        """What driving each of ``routes`` (default: the pool) for a day costs."""
        routes = self.routes if routes is None else routes
        if self.route_cost != "minutes":
            return np.full(len(routes), float(self.day_cost))
        return np.array([travel_minutes(r, self.service) for r in routes], dtype=float)

    def roamable(self) -> np.ndarray:
        """Units that may roam and that some route of the pool serves."""
        seen = np.zeros(self.may.size, dtype=bool)
        for route in self.routes:
            seen[route_serves(route.stops, self.covers)] = True
        return self.may & seen


def add_roaming(m: pyo.ConcreteModel, data: RoamingInput) -> None:
    """Add route days, roaming villages, visit, fleet and base constraints to ``m``.

    ``m.site`` (primary-care sites, indexed by site) must exist; a base that is not in
    ``m.C`` and not in ``data.always_open`` can never be used.
    """
    routes = data.routes
    m.R = pyo.Set(initialize=range(len(routes)))
    m.drive = pyo.Var(
        m.R,
        domain=pyo.NonNegativeIntegers,
        bounds=lambda m, r: (0, data.days * data.base_vehicles.get(routes[r].base, 0)),
    )
    units = np.flatnonzero(data.roamable()).tolist()
    m.RV = pyo.Set(initialize=units)
    m.roam = pyo.Var(m.RV, domain=pyo.Binary)
    for i in units:
        if data.must[i]:
            m.roam[i].fix(1)
    visiting, by_base = route_index(routes, data.covers)
    m.visits = pyo.Constraint(
        m.RV,
        rule=lambda m, i: sum(m.drive[r] for r in visiting[i]) >= float(data.visits[i]) * m.roam[i],
    )
    m.fleet = pyo.Constraint(
        rule=lambda m: (
            sum(m.drive[r] for r in m.R) <= data.vehicles * data.days
            if routes
            else pyo.Constraint.Skip
        )
    )

    def base_rule(m, b):
        limit = data.days * data.base_vehicles.get(b, 0)
        used = sum(m.drive[r] for r in by_base[b])
        if b in data.always_open:
            return used <= limit
        if b not in m.C:
            return used <= 0
        return used <= limit * m.site[b]

    m.base_days = pyo.Constraint(list(by_base), rule=base_rule)
    cost = data.costs().tolist()
    m.stage_roaming_cost = pyo.Expression(expr=sum(cost[r] * m.drive[r] for r in m.R))
