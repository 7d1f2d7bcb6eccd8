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
own; the roaming cost sum cost[r] drive[r] joins the cost stage, where cost[r] is the
cost per vehicle-day (yuan, route_cost "vehicle_day") or route r's travel minutes (service
excluded, route_cost "minutes").
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from models.matrix import MatrixModel, VariableBlock
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
    crew: dict[str, float] = field(default_factory=dict)  # staff type -> persons per vehicle

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


@dataclass
class RoamingColumns:
    """Where roaming sits in a matrix model: the route-day block (one column per route of the
    pool, in pool order), the roam column of each demand unit (-1: the unit cannot roam) and
    the cost of a day of each route (yuan, or minutes with route_cost "minutes")."""

    drive: VariableBlock
    roam_of: np.ndarray
    day_cost: np.ndarray


def add_roaming(model: MatrixModel, data: RoamingInput, site_of: np.ndarray) -> RoamingColumns:
    """Add route days, roaming villages, visit, fleet and base rows to ``model``.

    ``site_of`` is the column of each site's primary-care variable (-1: the site cannot
    open); a base that has no such column and is not in ``data.always_open`` is never used.
    """
    routes = data.routes
    upper = np.array([data.days * data.base_vehicles.get(r.base, 0) for r in routes], dtype=float)
    drive = model.add_variables("drive", len(routes), upper=upper, integer=True)
    units = np.flatnonzero(data.roamable())
    must = data.must[units].astype(float)
    roam = model.add_variables("roam", units.size, lower=must, upper=1.0, integer=True)
    roam_of = np.full(data.may.size, -1, dtype=np.int64)
    roam_of[units] = roam.index(np.arange(units.size))
    visiting, by_base = route_index(routes, data.covers)
    rows, cols, vals = [], [], []
    for k, i in enumerate(units.tolist()):
        rows += [k] * (len(visiting[i]) + 1)
        cols += [drive.index(r) for r in visiting[i]] + [int(roam_of[i])]
        vals += [1.0] * len(visiting[i]) + [-float(data.visits[i])]
    model.add_rows("visits", units.size, np.array(rows), np.array(cols), np.array(vals), lower=0.0)
    if routes:
        every = drive.index(np.arange(len(routes)))
        model.add_rows(
            "fleet", 1, np.zeros(len(routes)), every, 1.0, upper=float(data.vehicles * data.days)
        )
    rows, cols, vals, upper = [], [], [], []
    for k, (b, used) in enumerate(by_base.items()):
        limit = float(data.days * data.base_vehicles.get(b, 0))
        rows += [k] * len(used)
        cols += [drive.index(r) for r in used]
        vals += [1.0] * len(used)
        if b in data.always_open:
            upper.append(limit)
        elif site_of[b] < 0:
            upper.append(0.0)
        else:
            rows.append(k)
            cols.append(int(site_of[b]))
            vals.append(-limit)
            upper.append(0.0)
    model.add_rows(
        "base_days", len(by_base), np.array(rows), np.array(cols), np.array(vals), upper=upper
    )
    return RoamingColumns(drive, roam_of, data.costs())
