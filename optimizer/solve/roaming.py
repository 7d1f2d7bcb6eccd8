"""Roaming routes for a county plan: inputs from the spec, and the route pool by column
generation (price-and-branch).

The route master is the clinic-level core of the county model: open sites ``y[j]`` (the
cheaper of the hub and clinic build cost), roaming villages ``r[i]``, route days ``z[r]``
(cost per vehicle-day), the clinic coverage rows (hard or share), visits, fleet and base rows.
Its objective is the cost stage's; when no site has a build cost it is the number of new
sites, a vehicle-day counting 1 / (fleet vehicle-days + 1) of a site. Its LP relaxation is
solved with HiGHS; the visit-row duals are prizes for new day-routes, priced heuristically
(``models.routes.price_routes``) while that finds routes of negative reduced cost, then
exactly (``models.pricing.exact_price``, the bases side by side on threads), which either
adds routes or proves the LP over the pool is the LP over every route (else bounds it by the
Lagrangian or Farley bound). When every base reaches at most ``EXACT_PRICING`` villages that
may roam, the starting pool is every feasible route. An integer solution comes from a dive
(fix the most fractional site or route days, price again, repeat until the LP is integral),
then HiGHS solves the integer master over the routes the LPs drove with the dive's value as
cutoff. Plans cost a whole multiple of the costs' common divisor, so the bound rounds up to
one. When the plan stays above the bound, the total vehicle-days are split at the LP's
fractional value: the bound of each half (priced exactly) bounds every plan, and a dive held
to the rounded-up number of days and the integer master again look for a cheaper plan (with
``prove``, a dive that backtracks and prices exactly after every fixing). When the plan
still stays above the bound and the root LP is proven, a closing search enumerates every
route whose reduced cost lies within the gap and solves the integer master over them held
below the plan: it proves the plan optimal or finds the optimum (within work limits).
The county model chooses among the routes some master LP or the best integer solution drives.
"""

from __future__ import annotations

import hashlib
import os
import time
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import NamedTuple

import geopandas as gpd
import highspy
import numpy as np
import scipy.sparse as sp

from geodata.errors import InputError
from geodata.i18n import gettext as _
from geodata.travel import TravelTimes
from models.county import CountyInput, LevelTarget
from models.limited_pricing import NO_PAIRS, Pairs, enumerate_limited, price_limited
from models.pairs import CostPairs
from models.pricing import Priced, enumerate_routes, exact_price
from models.roaming import RoamingInput
from models.routes import (
    EXACT_PRICING,
    Route,
    StopTimes,
    all_routes,
    cover_matrix,
    covering,
    price_routes,
    route_index,
    route_serves,
    sweep_routes,
)
from optimizer import interrupt
from optimizer.county_spec import RoamingRecord, RoamingSpec
from optimizer.solve.highs import objective_scale, quiet_highs
from optimizer.solve.route_branching import branch_and_price

#: Branch-and-bound nodes of the integer route master (a work limit, so runs repeat exactly).
MIP_NODES = 500
#: Column-generation rounds after each fixing of the dive.
DIVE_ROUNDS = 5
#: Routes one exact pricing call adds at most (per base).
EXACT_COLUMNS = 50
#: Counties with at most this many roamable villages price exactly in every round (the
#: labelling is then about as fast as the heuristic and its columns converge in fewer rounds).
EXACT_FIRST = 40
#: Column-generation rounds in each half of the vehicle-day split.
SPLIT_ROUNDS = 40
#: Relative tolerance of LP values (HiGHS' feasibility tolerances) kept off proven bounds.
BOUND_TOLERANCE = 1e-6
#: With ``prove``, the dive held to the split's rounded-up vehicle-days backtracks: at each
#: fixing it tries the routes with the largest fractional days (at most this many), ...
DEEP_WIDTH = 3
#: ... runs the integer master over the routes seen after every this many LPs ...
DEEP_MASTER = 10
#: ... and stops after this many LPs (work limits, so runs repeat exactly).
DEEP_NODES = 400
#: Column-generation rounds after each fixing of that dive (then one exact pricing).
DEEP_ROUNDS = 5
#: Labels the closing search may make per base, routes its integer master may hold, and its
#: branch-and-bound nodes (work limits: beyond them the plan keeps its gap).
CLOSE_LABELS = 1_000_000
CLOSE_ROUTES = 20_000
CLOSE_NODES = 5_000
#: The same limits with ``prove`` on routes that are not limited (no branch and price
#: follows; labels take about 80 bytes each; the nodes are unlimited).
PROVE_LABELS = 50_000_000
PROVE_ROUTES = 2_000_000
PROVE_NODES = 2**31 - 1


def stop_times(
    demand: gpd.GeoDataFrame,
    travel: TravelTimes,
    stop_travel: TravelTimes,
    spec: RoamingSpec,
    bases: list[int],
) -> StopTimes:
    """Leg and service minutes of the roaming routes.

    ``travel`` gives base <-> village minutes (demand x site, used both ways) and
    ``stop_travel`` village <-> village minutes (demand x demand, same ids and order as the
    demand); legs beyond ``spec.leg_minutes`` are not driven.
    """
    ids = np.asarray(demand["id"], dtype=str)
    if stop_travel.minutes.shape != (ids.size, ids.size) or not np.array_equal(
        np.asarray(stop_travel.demand_ids, dtype=str), ids
    ):
        raise InputError(
            _(
                "roaming: stop_travel must hold village x village minutes with the demand ids as "
                "both rows and columns, in the demand's order"
            )
        )
    n = ids.size
    between = np.full((n, n), np.inf)
    coo = stop_travel.minutes.tocoo()
    keep = coo.data <= spec.leg_minutes
    between[coo.row[keep], coo.col[keep]] = coo.data[keep]
    between = np.minimum(between, between.T)  # a pair known one way is driven both ways
    np.fill_diagonal(between, 0.0)
    to_site = travel.minutes.tocsc()
    to_base = {}
    for b in bases:
        column = np.full(n, np.inf)
        col = to_site[:, [b]].tocoo()
        ok = col.data <= spec.leg_minutes
        column[col.row[ok]] = col.data[ok]
        to_base[b] = column
    pop = demand["population"].to_numpy(dtype=float)
    service = spec.service_minutes + spec.service_per_1000 * pop / 1000.0
    covers = covering(between, spec.cover_minutes)
    travel_limit = np.inf if spec.max_minutes is None else float(spec.max_minutes)
    return StopTimes(
        to_base, between, service, float(spec.day_minutes), covers, spec.max_stops, travel_limit
    )


def _village_mask(rule, ids: np.ndarray, unreached: np.ndarray, what: str) -> np.ndarray:
    if rule == "all":
        return np.ones(ids.size, dtype=bool)
    if rule == "none":
        return np.zeros(ids.size, dtype=bool)
    if rule == "unreached":
        mask = np.zeros(ids.size, dtype=bool)
        mask[unreached] = True
        return mask
    if isinstance(rule, str):
        raise InputError(
            _("{key}: {rule} is not all, none, unreached or a list of ids").format(
                key=f"roaming.{what}", rule=repr(rule)
            )
        )
    unknown = sorted(set(rule) - set(ids.tolist()))
    if unknown:
        raise InputError(
            _("{key}: unknown village id(s) {ids}").format(
                key=f"roaming.{what}", ids=", ".join(unknown[:10])
            )
        )
    return np.isin(ids, list(rule))


def roaming_input(
    spec: RoamingSpec,
    ids: np.ndarray,
    site_ids: np.ndarray,
    unreached_clinic: np.ndarray,
    always_open: np.ndarray,
) -> RoamingInput:
    """The fleet and village rules of ``spec`` over demand and site indices (no routes yet).

    ``always_open`` marks sites open whatever the plan (existing hubs and clinics).

    Raises:
        InputError: unknown base or village ids, or a base list and vehicle list that differ.
    """
    position = {s: k for k, s in enumerate(site_ids.tolist())}
    unknown = [b for b in spec.bases if b not in position]
    if unknown:
        raise InputError(
            _("{key}: unknown site id(s) {ids}").format(key="roaming.bases", ids=", ".join(unknown))
        )
    if spec.vehicles < 1 or spec.days < 1:
        raise InputError(_("roaming: vehicles and days must be at least 1"))
    if not 0 <= spec.cover_minutes <= spec.leg_minutes:
        raise InputError(
            _("roaming.{field}: {value} is not between 0 and leg_minutes {leg}").format(
                field="cover_minutes", value=spec.cover_minutes, leg=spec.leg_minutes
            )
        )
    bases = [position[b] for b in spec.bases]
    per_base = spec.base_vehicles or (spec.vehicles,) * len(bases)
    if len(per_base) != len(bases):
        raise InputError(
            _(
                "roaming.base_vehicles: {numbers} numbers for {bases} bases; give one per base"
            ).format(numbers=len(per_base), bases=len(bases))
        )
    may = _village_mask(spec.may, ids, unreached_clinic, "may")
    must = _village_mask(spec.must, ids, unreached_clinic, "must")
    if (must & ~may).any():
        bad = ", ".join(ids[must & ~may][:10])
        raise InputError(
            _("roaming.must: village(s) {ids} must roam but are not in roaming.may").format(ids=bad)
        )
    return RoamingInput(
        routes=[],
        visits=np.full(ids.size, spec.visits, dtype=float),
        may=may,
        must=must,
        days=spec.days,
        vehicles=spec.vehicles,
        base_vehicles={b: min(v, spec.vehicles) for b, v in zip(bases, per_base, strict=True)},
        day_cost=spec.day_cost,
        always_open={b for b in bases if always_open[b]},
        route_cost=spec.route_cost,
        crew=dict(spec.crew),
    )


class _Relaxed(NamedTuple):
    """The master LP's value, visit duals (prizes per unit; with covering stops, per stop
    the duals of the villages it serves: a route's summed prizes then bound the duals of
    the villages it serves from above), fleet and base duals, its site
    (``sites``, ``open``) and route-day values, and the reduced costs of routes and sites."""

    objective: float
    prize: np.ndarray
    fleet: float
    bases: dict[int, float]
    sites: np.ndarray
    open: np.ndarray
    days: np.ndarray
    reduced: np.ndarray
    site_reduced: np.ndarray
    duals: np.ndarray | None = None  # visit duals per village (>= 0)
    bonus: np.ndarray | None = None  # duals of the required stops per village (>= 0)


class _Master:
    """The route master over a pool (see the module docstring), solved with HiGHS."""

    def __init__(self, data: CountyInput, roam: RoamingInput, roamable: np.ndarray):
        self.data, self.roam = data, roam
        may_open = (data.can_clinic & ~data.barred_site) | (data.can_hub & ~data.barred_hub)
        fixed = data.existing_hub | data.existing_site
        self.sites = np.flatnonzero(may_open | fixed)
        cost = np.minimum(
            np.where(data.can_clinic, data.clinic_cost, np.inf),
            np.where(data.can_hub, data.hub_cost, np.inf),
        )
        cost = np.where(np.isfinite(cost), cost, 0.0)[self.sites]
        self.minutes = roam.route_cost == "minutes"
        self.day_cost = 0.0 if self.minutes else roam.day_cost
        # route_cost "minutes": a route costs minute_cost per travel minute
        self.minute_cost = 1.0 if self.minutes else 0.0
        if self.sites.size and not (cost > 0).any():
            cost = np.ones(self.sites.size)
            if self.minutes:
                most = roam.vehicles * roam.days * roam.day_minutes
                self.minute_cost = 1.0 / (most + 1) if np.isfinite(most) else 1.0
            else:
                self.day_cost = 1.0 / (roam.vehicles * roam.days + 1)
        self.site_cost = np.where(fixed[self.sites], 0.0, cost)
        self.site_lower = fixed[self.sites].astype(float)
        self.units = np.flatnonzero(roamable)
        near = data.clinic_pairs
        target = np.zeros(data.population.size, dtype=bool)
        target[data.clinic_target_units] = True
        target[near.unreached()] = False  # only roaming can serve these
        target[self.units] = True
        self.target = np.flatnonzero(target)
        self.share = data.clinic_target.share
        self.timed_out = False
        self.status = highspy.HighsModelStatus.kNotset

    def needs_visits(self) -> np.ndarray:
        """Villages some plan may have to visit (a mask over the demand): roamable ones no
        always-open site covers, and those that must roam."""
        near = self.data.clinic_pairs
        always = np.zeros(self.data.n_sites, dtype=bool)
        always[self.sites[self.site_lower > 0]] = True
        mask = np.zeros(self.roam.may.size, dtype=bool)
        for i in self.units.tolist():
            covered = always[near.site[near.indptr[i] : near.indptr[i + 1]]].any()
            mask[i] = self.roam.must[i] or not covered
        return mask

    def solve(
        self,
        routes: list[Route],
        integer: bool,
        time_limit: float,
        *,
        route_lower: np.ndarray | None = None,
        open_sites: frozenset[int] = frozenset(),
        cutoff: float | None = None,
        days: tuple[float, float] | None = None,
        cap: float | None = None,
        nodes: int = MIP_NODES,
        required: tuple[int, ...] = (),
        shut: np.ndarray | None = None,
    ):
        """Solve over ``routes``, each driven at least ``route_lower`` days, with the sites
        ``open_sites`` open, those ``shut`` (a mask over ``sites``) closed, and the
        vehicle-days in total within ``days`` (default: up to the fleet's); ``cutoff``
        prunes integer solutions not below it, ``cap`` (a row) bars those costing more;
        branch and bound stops after ``nodes`` nodes; each stop of ``required`` lies on some
        route driven; ``time_limit`` in seconds.

        LP: a ``_Relaxed``; integer: (objective, route days, dual bound); None without a
        solution. ``status`` keeps the HiGHS model status."""
        cols = self._columns(len(routes))
        rows = _Rows()
        self._coverage_rows(rows, cols)
        visiting, by_base = route_index(routes, self.roam.covers)
        visit_row = self._visit_rows(rows, cols, visiting)
        fleet_row = self._fleet_row(rows, cols, days)
        base_row = self._base_rows(rows, cols, by_base)
        stop_row = rows.count
        for v in required:
            rows.add(
                [(cols.z0 + r, 1.0) for r, rt in enumerate(routes) if v in rt.stops], 1.0, np.inf
            )
        cost = self._cost(cols, routes)
        scale = objective_scale(cost)  # yuan go to HiGHS divided by it (scaling)
        if cap is not None:
            paid = np.flatnonzero(cost)
            rows.add(
                zip(paid.tolist(), (cost[paid] / scale).tolist(), strict=True), -np.inf, cap / scale
            )
        lower, upper = self._bounds(cols, routes, route_lower, open_sites)
        if shut is not None:
            upper[: cols.ns][shut] = 0.0
        h = _highs(time_limit, nodes, cap is not None, cutoff, scale)
        _pass_model(h, rows, cols, cost / scale, lower, upper, integer)
        interrupt.run(h)
        self.status = h.getModelStatus()
        if self.status == highspy.HighsModelStatus.kTimeLimit:
            self.timed_out = True
        info = h.getInfo()
        if info.primal_solution_status != 2:
            return None
        solution = h.getSolution()
        objective = float(info.objective_function_value) * scale
        if integer:
            days_driven = np.round(np.asarray(solution.col_value)[cols.z0 :]).astype(int)
            return objective, days_driven, float(info.mip_dual_bound) * scale
        lp = self._relaxed(solution, cols, objective, scale, visit_row, fleet_row, base_row)
        bonus = np.zeros(self.data.population.size)
        dual = np.asarray(solution.row_dual)[stop_row : stop_row + len(required)] * scale
        bonus[list(required)] = np.maximum(dual, 0.0)
        return lp._replace(bonus=bonus)

    def _columns(self, n_routes: int) -> _Columns:
        """Where each kind of column starts with ``n_routes`` routes."""
        ns, nu = self.sites.size, self.units.size
        share = self.share is not None
        n_cover = self.target.size if share else 0
        return _Columns(
            ns=ns,
            nu=nu,
            share=share,
            n_cover=n_cover,
            nr=n_routes,
            site_col={j: k for k, j in enumerate(self.sites.tolist())},
            unit_col={i: ns + k for k, i in enumerate(self.units.tolist())},
            cov0=ns + nu,
            z0=ns + nu + n_cover,
            n_cols=ns + nu + n_cover + n_routes,
        )

    def _coverage_rows(self, rows: _Rows, cols: _Columns) -> None:
        """Per target unit: an open site within the clinic radius or roaming covers it (hard
        target) or may set its coverage column (share target, with the share row: persons)."""
        near = self.data.clinic_pairs
        ptr, site = near.indptr, near.site
        for k, i in enumerate(self.target.tolist()):
            entries = [(cols.site_col[j], 1.0) for j in site[ptr[i] : ptr[i + 1]].tolist()]
            if i in cols.unit_col:
                entries.append((cols.unit_col[i], 1.0))
            if cols.share:
                rows.add([(c, -v) for c, v in entries] + [(cols.cov0 + k, 1.0)], -np.inf, 0.0)
            else:
                rows.add(entries, 1.0, np.inf)
        if cols.share:
            pop = self.data.population
            wanted = self.share * float(pop[self.target].sum())
            rows.add(
                [(cols.cov0 + k, float(pop[i])) for k, i in enumerate(self.target.tolist())],
                wanted,
                np.inf,
            )

    def _visit_rows(self, rows: _Rows, cols: _Columns, visiting: dict[int, list[int]]) -> int:
        """Per roamable unit: the routes visiting it are driven its visits per cycle when it
        roams. Returns the first row's index."""
        first = rows.count
        for i in self.units.tolist():
            entries = [(cols.z0 + r, 1.0) for r in visiting.get(i, [])]
            rows.add(entries + [(cols.unit_col[i], -float(self.roam.visits[i]))], 0.0, np.inf)
        return first

    def _fleet_row(self, rows: _Rows, cols: _Columns, days: tuple[float, float] | None) -> int:
        """The vehicle-days in total: within ``days`` and at most the fleet's. Returns the
        row's index."""
        fleet_days = float(self.roam.vehicles * self.roam.days)
        low, high = (-np.inf, fleet_days) if days is None else (days[0], min(days[1], fleet_days))
        rows.add([(cols.z0 + r, 1.0) for r in range(cols.nr)], low, high)
        return rows.count - 1

    def _base_rows(
        self, rows: _Rows, cols: _Columns, by_base: dict[int, list[int]]
    ) -> dict[int, int]:
        """Per base with routes: its vehicle-days at most its vehicles' days, and none
        unless the base is open. Returns each base's row index."""
        roam = self.roam
        base_row = {}
        for b, rs in by_base.items():
            limit = float(roam.days * roam.base_vehicles[b])
            base_row[b] = rows.count
            entries = [(cols.z0 + r, 1.0) for r in rs]
            if b in roam.always_open:
                rows.add(entries, -np.inf, limit)
            elif b in cols.site_col:
                rows.add(entries + [(cols.site_col[b], -limit)], -np.inf, 0.0)
            else:
                rows.add(entries, -np.inf, 0.0)
        return base_row

    def _cost(self, cols: _Columns, routes: list[Route]) -> np.ndarray:
        """Column costs: sites' build cost, nothing for roaming and coverage, for route
        days the vehicle-day cost or (route_cost "minutes") the route's travel minutes."""
        return np.concatenate(
            [self.site_cost, np.zeros(cols.nu + cols.n_cover), self.route_costs(routes)]
        )

    def route_costs(self, routes: list[Route]) -> np.ndarray:
        """What a day of each of ``routes`` costs in the master."""
        if not self.minutes:
            return np.full(len(routes), self.day_cost)
        return self.minute_cost * self.roam.costs(routes)

    def route_step(self, times: StopTimes) -> float | None:
        """The amount every route's cost is a whole multiple of: the vehicle-day cost, or
        with route_cost "minutes" the common divisor of the leg minutes (None when some leg
        is not a whole number of minutes)."""
        if not self.minutes:
            return self.day_cost
        legs = [times.between.ravel(), *(times.to_base[b] for b in self.roam.base_vehicles)]
        legs = np.concatenate(legs)
        unit = cost_unit(legs[np.isfinite(legs)])
        return None if unit is None else unit * self.minute_cost

    def _bounds(
        self,
        cols: _Columns,
        routes: list[Route],
        route_lower: np.ndarray | None,
        open_sites: frozenset[int],
    ) -> tuple[np.ndarray, np.ndarray]:
        """Column bounds: fixed and ``open_sites`` open, villages that must roam roam, and
        each route driven between ``route_lower`` and its base's vehicle-days."""
        roam = self.roam
        site_lower = self.site_lower.copy()
        site_lower[[cols.site_col[j] for j in open_sites]] = 1.0
        days_lower = np.zeros(len(routes)) if route_lower is None else route_lower
        lower = np.concatenate(
            [
                site_lower,
                roam.must[self.units].astype(float),
                np.zeros(cols.n_cover),
                days_lower,
            ]
        )
        upper = np.concatenate(
            [
                np.ones(cols.ns + cols.nu + cols.n_cover),
                [float(roam.days * roam.base_vehicles[rt.base]) for rt in routes],
            ]
        )
        return lower, upper

    def _relaxed(
        self,
        solution,
        cols: _Columns,
        objective: float,
        scale: float,
        visit_row: int,
        fleet_row: int,
        base_row: dict[int, int],
    ) -> _Relaxed:
        """The LP solution's values, duals and reduced costs in yuan."""
        dual = np.asarray(solution.row_dual) * scale
        prize = np.zeros(self.data.population.size)
        prize[self.units] = np.maximum(dual[visit_row : visit_row + cols.nu], 0.0)
        duals = prize.copy()
        if self.roam.covers is not None:
            prize = cover_matrix(self.roam.covers, prize.size) @ prize
        bases = {b: float(dual[k]) for b, k in base_row.items()}
        values = np.asarray(solution.col_value)
        return _Relaxed(
            objective,
            prize,
            float(dual[fleet_row]),
            bases,
            self.sites,
            values[: cols.ns],
            values[cols.z0 :],
            np.asarray(solution.col_dual)[cols.z0 :] * scale,
            np.asarray(solution.col_dual)[: cols.ns] * scale,
            duals,
        )


class _Columns(NamedTuple):
    """The master's columns: ``ns`` sites (``site_col`` maps a site to its column), ``nu``
    roaming units (``unit_col``), with a ``share`` target ``n_cover`` coverage columns from
    ``cov0``, ``nr`` route days from ``z0``, ``n_cols`` in all."""

    ns: int
    nu: int
    share: bool
    n_cover: int
    nr: int
    site_col: dict[int, int]
    unit_col: dict[int, int]
    cov0: int
    z0: int
    n_cols: int


class _Rows:
    """The master's rows, added one at a time: coefficients as (column, value) entries and
    the row's lower and upper bound."""

    def __init__(self) -> None:
        self.rows: list[int] = []
        self.cols: list[int] = []
        self.vals: list[float] = []
        self.lo: list[float] = []
        self.hi: list[float] = []
        self.count = 0

    def add(self, entries, low: float, high: float) -> None:
        """Add a row ``low <= sum(value * column) <= high``."""
        for c, v in entries:
            self.rows.append(self.count)
            self.cols.append(c)
            self.vals.append(v)
        self.lo.append(low)
        self.hi.append(high)
        self.count += 1

    def matrix(self, n_cols: int) -> sp.csc_array:
        """The coefficients as a column-wise matrix with sorted indices."""
        matrix = sp.csc_array((self.vals, (self.rows, self.cols)), shape=(self.count, n_cols))
        matrix.sort_indices()
        return matrix


def _highs(
    time_limit: float, nodes: int, exact: bool, cutoff: float | None, scale: float
) -> highspy.Highs:
    """A quiet, seeded, single-threaded HiGHS with a ``time_limit`` (seconds), at most
    ``nodes`` branch-and-bound nodes, no relative gap when ``exact`` and the objective
    bound ``cutoff`` (yuan, divided by ``scale`` like the costs)."""
    h = quiet_highs(time_limit)
    h.setOptionValue("mip_max_nodes", nodes)
    if exact:
        h.setOptionValue("mip_rel_gap", 0.0)
    if cutoff is not None:
        h.setOptionValue("objective_bound", float(cutoff) / scale)
    return h


def _pass_model(
    h: highspy.Highs,
    rows: _Rows,
    cols: _Columns,
    cost: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    integer: bool,
) -> None:
    """Pass the master to ``h``: minimise ``cost`` (scaled) over the rows and column bounds;
    sites, roaming units and route days integer when ``integer``."""
    matrix = rows.matrix(cols.n_cols)
    integrality = np.zeros(cols.n_cols, dtype=np.int32)
    if integer:
        integrality[: cols.ns + cols.nu] = 1
        integrality[cols.z0 :] = 1
    h.passModel(
        cols.n_cols,
        rows.count,
        int(matrix.nnz),
        int(highspy.MatrixFormat.kColwise),
        int(highspy.ObjSense.kMinimize),
        0.0,
        cost,
        lower,
        upper,
        np.asarray(rows.lo, dtype=float),
        np.asarray(rows.hi, dtype=float),
        matrix.indptr.astype(np.int32),
        matrix.indices.astype(np.int32),
        matrix.data.astype(float),
        integrality,
    )


def lp_lower_bound(
    lp: _Relaxed,
    day_cost: float,
    fleet_days: float,
    most_prize: dict[int, float],
    *,
    farley: bool = True,
) -> float:
    """A lower bound on the master LP over every route, from the LP over a pool.

    ``most_prize[b]`` bounds the visit duals any route of base ``b`` collects, so
    ``day_cost - fleet dual - base dual - most_prize[b]`` bounds every route's reduced cost
    from below. Lagrangian bound: the LP value, less what pool routes at a bound add through
    their reduced costs, plus the least reduced cost times the most vehicle-days an optimal
    solution can drive (the fleet's days, and no more than the pool LP value buys). Farley
    bound: all costs are non-negative, so the duals scaled by ``day_cost`` / (largest dual
    value of a route) are feasible for every route and give the LP value over that ratio.
    The larger is returned (the Lagrangian bound alone unless ``farley``: with routes of
    different costs ``day_cost`` is only the least of them and the Farley ratio does not
    hold; nor alone when routes cost nothing, where the ratio is 0).
    """
    least = min(
        (day_cost - lp.fleet - lp.bases.get(b, 0.0) - p for b, p in most_prize.items()),
        default=0.0,
    )
    at_bound = float(np.minimum(lp.reduced, 0.0) @ lp.days)
    # an optimal LP solution drives at most the fleet's days, and its routes cost no more
    # than the LP value over the pool
    most_days = min(fleet_days, lp.objective / day_cost) if day_cost > 0 else fleet_days
    lagrange = lp.objective - at_bound + most_days * min(least, 0.0)
    ratio = max(
        (
            (p + lp.fleet + lp.bases.get(b, 0.0)) / day_cost
            for b, p in most_prize.items()
            if day_cost > 0
        ),
        default=1.0,
    )
    if not farley or lp.objective < 0 or day_cost <= 0:  # free routes: the ratio would be 0
        return lagrange
    return max(lagrange, lp.objective / max(ratio, 1.0))


def _fixings(
    lp: _Relaxed, routes: list[Route], key, lower: dict, open_sites: frozenset, width: int
) -> list[tuple[dict, frozenset]] | None:
    """The next fixings of a dive at ``lp`` over ``routes``, each (route days at least, by
    ``key``; open sites): open the most-open fractional site, else drive one of the
    ``width`` routes with the largest fractional days that many days rounded up (largest
    first); None when the LP is integral."""
    frac_sites = (lp.open > 1e-6) & (lp.open < 1 - 1e-6)
    if frac_sites.any():
        return [(lower, open_sites | {int(lp.sites[np.argmax(np.where(frac_sites, lp.open, -1))])})]
    part = lp.days - np.floor(lp.days + 1e-6)
    if not (part > 1e-6).any():
        return None
    order = np.argsort(-part, kind="stable")[:width].tolist()
    return [
        ({**lower, key(routes[r]): int(np.ceil(lp.days[r]))}, open_sites)
        for r in order
        if part[r] > 1e-6
    ]


def _dive(generate, lp: _Relaxed, routes: list[Route], key, keep=None) -> float:
    """An integer master solution by diving: open the most-open fractional site, or drive
    the route with the largest fractional part of days that many days rounded up, generate
    columns again, until the LP is integral. Returns its objective (inf when the dive
    ends without one); ``keep`` receives the routes the integral LP drives."""
    lower: dict = {}
    open_sites: frozenset[int] = frozenset()
    while lp is not None:
        fixings = _fixings(lp, routes, key, lower, open_sites, 1)
        if fixings is None:
            if keep is not None:
                keep([routes[r] for r in np.flatnonzero(lp.days > 0.5).tolist()])
            return lp.objective
        lower, open_sites = fixings[0]
        lp, _, _, routes = generate(DIVE_ROUNDS, lower, open_sites)
    return np.inf


def _split_plan(generate, key, days: float, solved, keep) -> float:
    """A plan driving exactly ``days`` vehicle-days when the integer master's plan
    (``solved``) drives more: a dive from the master LP held to that many days. Returns its
    objective (inf when there is none)."""
    if solved is None or solved[1] <= days:
        return np.inf
    held = (days, days)
    lp, _, _, routes = generate(DIVE_ROUNDS, {}, frozenset(), days=held)
    if lp is None:
        return np.inf
    return _dive(lambda r, low, o: generate(r, low, o, days=held), lp, routes, key, keep)


class _DeepDive:
    """A dive that backtracks, from an LP held to some vehicle-days (``generate(lower,
    open_sites)`` gives its LP with the fixings): at each fixing it opens the most-open
    fractional site, else tries the ``DEEP_WIDTH`` routes with the largest fractional days
    in turn (each driven that many days rounded up), backtracking from LPs that are
    infeasible or dearer than their parent's. After every ``DEEP_MASTER`` LPs the integer
    master over the routes seen (``integer()``: a plan's objective or inf) looks for a plan;
    the search stops once a plan reaches ``goal`` or after ``DEEP_NODES`` LPs. ``best`` is
    the cheapest plan found (inf: none)."""

    def __init__(self, generate, integer, key, goal: float, keep) -> None:
        self.generate, self.integer, self.key = generate, integer, key
        self.goal, self.keep = goal, keep
        self.nodes = 0
        self.best = np.inf

    def done(self) -> bool:
        return self.best <= self.goal or self.nodes >= DEEP_NODES

    def visit(self, lp: _Relaxed, routes: list[Route], lower: dict, open_sites: frozenset) -> None:
        """Search below one LP (with its fixings) until ``done``."""
        self.nodes += 1
        if self.nodes % DEEP_MASTER == 0:
            self.best = min(self.best, self.integer())
        if self.done():
            return
        children = _fixings(lp, routes, self.key, lower, open_sites, DEEP_WIDTH)
        if children is None:
            self.best = min(self.best, lp.objective)
            self.keep([routes[r] for r in np.flatnonzero(lp.days > 0.5).tolist()])
            return
        for child_lower, child_open in children:
            child, child_routes = self.generate(child_lower, child_open)
            if child is not None and child.objective <= lp.objective * (1 + BOUND_TOLERANCE):
                self.visit(child, child_routes, child_lower, child_open)
            if self.done():
                return


def _kept(routes: list[Route], used: set, key, covers=None) -> list[Route]:
    """The ``used`` routes, plus for every village they miss the shortest route serving it
    (so every village a route can serve still can be); ``covers``: the villages each stop
    serves (None: its own)."""

    def serves(route: Route) -> list[int]:
        return route_serves(route.stops, covers).tolist()

    kept = [r for r in routes if key(r) in used]
    seen = {i for r in kept for i in serves(r)}
    for route in sorted(routes, key=lambda r: (r.minutes, r.base, r.stops)):
        served = serves(route)
        if not seen.issuperset(served) and key(route) not in used:
            fresh = [i for i in served if i not in seen]
            if len(fresh) == len(served) or len(route.stops) == 1:
                kept.append(route)
                seen.update(fresh)
    return sorted(kept, key=lambda r: (r.base, r.stops))


def _maximal(routes: list[Route]) -> list[Route]:
    """The ``routes`` (of one base) whose stops and one more village are no other route's
    stops."""
    stops = [frozenset(r.stops) for r in routes]
    smaller = {s - {v} for s in stops for v in s}
    return [r for r, s in zip(routes, stops, strict=True) if s not in smaller]


def cost_unit(costs: np.ndarray) -> float | None:
    """The largest amount (yuan) every positive cost is a whole multiple of (their greatest
    common divisor), or None when some cost is not a whole number of yuan."""
    values = np.asarray(costs, dtype=float)
    values = values[values > 0]
    whole = np.round(values)
    if values.size == 0 or (np.abs(values - whole) > 1e-9 * whole).any() or whole.max() >= 2**53:
        return None
    return float(np.gcd.reduce(whole.astype(np.int64)))


def plan_unit(site_cost: np.ndarray, day_cost: float | None) -> float | None:
    """The amount every plan's cost is a whole multiple of: the common divisor of the site
    costs and the vehicle-day cost, or of the site costs counted in vehicle-day costs (e.g.
    sites counted 1, a vehicle-day a fraction); None when neither is whole, or when routes
    cost no whole multiple of anything (``day_cost`` None)."""
    if day_cost is None:
        return None
    costs = np.append(site_cost, day_cost)
    unit = cost_unit(costs)
    if unit is None and day_cost > 0:
        days = cost_unit(costs / day_cost)
        unit = None if days is None else days * day_cost
    return unit


def round_up(bound: float, unit: float | None) -> float:
    """A lower bound on integer plans whose cost is a whole multiple of ``unit``: ``bound``
    (less the LP solver's relative tolerance) rounded up to such a multiple."""
    if unit is None or not np.isfinite(bound):
        return bound
    return float(np.ceil((bound - BOUND_TOLERANCE * abs(bound)) / unit) * unit)


def route_pool(
    data: CountyInput,
    roam: RoamingInput,
    times: StopTimes,
    xy: np.ndarray,
    site_xy: np.ndarray,
    *,
    rounds: int,
    time_limit: float,
    prove: bool = False,
) -> tuple[list[Route], RoamingRecord]:
    """Day-routes for the county model: a sweep pool improved by column generation and a
    dive. Column generation prices heuristically while that finds improving routes, then
    exactly (``models.pricing.exact_price``); with at most ``EXACT_FIRST`` roamable villages
    it prices exactly in every round. It stops after ``rounds`` rounds (``DIVE_ROUNDS`` after
    each dive fixing, without the final exact pricing unless every round prices exactly) or
    when exact pricing proves no route is missing. When the integer master stays above the
    bound, the vehicle-days in total are split at the root LP's fractional value: column
    generation runs in both halves, their bounds (rounded up to the cost unit) bound every
    plan, and the integer master runs again over the grown pool; then, with the root LP
    proven, the closing search (``close``) may prove the plan optimal or find the optimum.
    The integer master stops after ``MIP_NODES`` nodes (the closing search's after
    ``CLOSE_NODES``), so the result depends on the inputs only. ``time_limit`` (seconds) is
    a safety stop: when it ends pricing or a solve, the record says so. The county model
    chooses among the routes that some master LP of the search (root, dive, split) or the
    best integer master solution (or the closing search's plan) drives.

    ``xy`` and ``site_xy`` are the village and site coordinates (metres) the sweep orders by.
    ``prove``: the dive after the split backtracks (``_DeepDive``), and limited routes go on
    to branch and price (``optimizer.solve.route_branching``) while a gap remains.
    Returns the pool and its record (rounds, LP value and bounds, integer master value, gap).
    """
    with ThreadPoolExecutor(max_workers=_threads(len(roam.base_vehicles))) as workers:
        pool = _Pool(data, roam, times, xy, site_xy, time_limit, workers, prove)
        found = pool.search(rounds)
    routes = pool.kept()
    return routes, pool.record(found, routes)


def _threads(bases: int) -> int:
    """Threads pricing the bases side by side: one per base, at most one per core this
    process may use."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(bases, cores or 1))


def _key(route: Route) -> tuple[int, frozenset]:
    """A route's identity in the pool: its base and the set of its stops."""
    return route.base, frozenset(route.stops)


def _above(objective: float, bound: float) -> bool:
    """A finite ``objective`` (yuan) is above ``bound`` beyond the relative tolerance."""
    return bool(np.isfinite(objective) and objective > bound + 1e-6 * abs(bound))


@dataclass
class _Search:
    """What the search found: column-generation ``rounds``, the root LP's value and its
    proven ``lower`` bound, the ``bound`` on every plan and the best plan's ``objective``
    (yuan), the integer master's (objective, vehicle-days, dual bound) over the routes the
    LPs drove (``solved``), whether the root LP is proven over every route, and what the
    vehicle-day split and the closing search did."""

    rounds: int
    lp_value: float
    lower: float
    bound: float
    objective: float
    solved: tuple[float, int, float] | None
    proven_root: bool
    split: str
    closed: str


class _Pool:
    """The route pool of one county and the search over it (see ``route_pool``): the routes
    by base and stops, the route master, the routes some master LP drives (``seen``) and
    those driven without a vehicle-day split or in an integer plan (``used``), the exact
    pricing calls (how many its work limit stopped, seconds) and whether the safety time
    limit (seconds) ended a step."""

    def __init__(
        self,
        data: CountyInput,
        roam: RoamingInput,
        times: StopTimes,
        xy: np.ndarray,
        site_xy: np.ndarray,
        time_limit: float,
        workers: Executor,
        prove: bool = False,
    ) -> None:
        self.began = time.perf_counter()
        self.prove = prove
        self.workers = workers
        self.deadline = self.began + time_limit
        self.time_limit = time_limit
        self.times = times
        self.bases = sorted(roam.base_vehicles)
        self.pool: dict[tuple[int, frozenset], Route] = {}
        self.covers = roam.covers
        self.minutes = roam.route_cost == "minutes"
        self.stops = self.stop_mask(roam.may)
        self.complete = True
        self._seed(roam, xy, site_xy)
        self.initial = len(self.pool)
        roamable = np.zeros(roam.may.size, dtype=bool)
        for route in self.pool.values():
            roamable[route_serves(route.stops, self.covers)] = True
        roamable &= roam.may
        self.master = _Master(data, roam, roamable)
        self.exact_first = self.limited or int(roamable.sum()) <= EXACT_FIRST
        self.fleet_days = float(roam.vehicles * roam.days)
        self.step = self.master.route_step(times)
        self.unit = plan_unit(self.master.site_cost, self.step)
        self.floor = {b: self._floor(b) for b in self.bases}
        self.exact_calls, self.exact_seconds, self.exact_stopped = 0, 0.0, 0
        self.no_village = np.zeros(roam.may.size, dtype=bool)
        self.timed_out = False
        self.used: set = set()
        self.seen: set = set()
        self.barred: frozenset[int] = frozenset()
        self.required: tuple[int, ...] = ()
        self.pairs = NO_PAIRS
        self.memory: dict[int, frozenset[tuple[int, int]]] = {}
        # the fewest vehicle-days of a plan cheaper than the best one (raised by the split)
        self.fewest = 0.0

    def _seed(self, roam: RoamingInput, xy: np.ndarray, site_xy: np.ndarray) -> None:
        """The starting pool: every feasible route of a base reaching at most
        ``EXACT_PRICING`` possible stops, else the sweep's routes (by ``xy`` and ``site_xy``,
        metres); ``complete`` says whether every base had every route. The possible stops
        are the villages that may roam, or with covering stops the villages serving one."""
        may = np.flatnonzero(self.stops)
        for b in self.bases:
            if np.intersect1d(self.times.reachable(b), may).size <= EXACT_PRICING:
                found = all_routes(self.times, b, may)
            else:
                found = sweep_routes(self.times, b, may, xy, site_xy[b])
                self.complete = False
            for route in found:
                self.add(route)

    def stop_mask(self, villages: np.ndarray) -> np.ndarray:
        """The stops serving some of ``villages`` (a mask): the villages themselves without
        covering stops."""
        if self.covers is None:
            return villages
        return cover_matrix(self.covers, villages.size) @ villages.astype(float) > 0

    @property
    def limited(self) -> bool:
        """Whether routes have covering stops, stop or travel limits or cost their minutes
        (priced by ``models.limited_pricing``)."""
        return self.covers is not None or self.times.limited or self.master.minutes

    @property
    def exhaustive(self) -> bool:
        """With limited routes, whether the pool holds every route (pricing then has
        nothing to add, and the integer master over the pool is exact)."""
        return self.limited and self.complete

    @property
    def travel_cost(self) -> float:
        """What a limited route pays per travel minute (yuan): nothing unless routes cost
        their minutes."""
        return self.master.minute_cost if self.master.minutes else 0.0

    def _shift(self, b: int) -> float:
        """A limited route's value (``models.limited_pricing``: duals less travel cost) plus
        this is its prize as ``threshold`` measures it (yuan)."""
        fixed = 0.0 if self.master.minutes else self.master.day_cost
        return self.floor[b] - fixed

    def add(self, route: Route) -> bool:
        """Put ``route`` into the pool unless it breaks a stop or travel limit or a route
        with its base and stops is no longer; whether the pool took it as a new route (or,
        when routes cost their minutes, as a shorter one)."""
        if self.times.limited and not self.times.fits(route):
            return False
        old = self.pool.get(_key(route))
        if old is not None and old.minutes <= route.minutes:
            return False
        self.pool[_key(route)] = route
        return old is None or self.minutes

    def sorted_routes(self) -> list[Route]:
        """The pool's routes by base and stops (those stopping at a barred stop left out)."""
        return sorted(self.allowed(), key=lambda r: (r.base, r.stops))

    def allowed(self) -> list[Route]:
        """The pool's routes that stop at no barred stop and keep to the pairs."""
        if not self.barred and self.pairs == NO_PAIRS:
            return list(self.pool.values())
        return [
            r
            for r in self.pool.values()
            if self.barred.isdisjoint(r.stops) and self.pairs.keeps(r.stops)
        ]

    def constrain(
        self, barred: frozenset[int], required: tuple[int, ...], pairs: Pairs = NO_PAIRS
    ) -> None:
        """Hold the search to plans stopping at none of ``barred`` and at every one of
        ``required``, with routes keeping to ``pairs`` (a branch of
        ``optimizer.solve.route_branching``)."""
        self.barred, self.required, self.pairs = barred, required, pairs

    @property
    def single_visits(self) -> bool:
        """Whether every village needs at most one visit per cycle (pair branching is then
        complete: no plan needs a stop on two routes)."""
        return bool((self.master.roam.visits[self.master.units] <= 1).all())

    def stop_choices(self) -> np.ndarray:
        """The stops pricing may choose (a mask): the possible ones less the barred."""
        mask = self.stops.copy()
        mask[list(self.barred)] = False
        return mask

    def above(self, objective: float, bound: float) -> bool:
        """Whether a plan costing ``objective`` may lie above ``bound`` (yuan)."""
        return _above(objective, bound)

    def rounded(self, bound: float) -> float:
        """``bound`` rounded up to the cost unit."""
        return round_up(bound, self.unit)

    def late(self) -> bool:
        """Whether the time limit has passed."""
        return time.perf_counter() > self.deadline

    def seconds_left(self) -> float:
        """Seconds to the deadline, at least a tenth of the time limit."""
        return max(self.deadline - time.perf_counter(), 0.1 * self.time_limit)

    def _floor(self, b: int) -> float:
        """The least a day-route of base ``b`` costs: the vehicle-day cost, or with
        route_cost "minutes" the least out-and-back minutes (every route drives to a
        first and back from a last stop)."""
        if not self.master.minutes:
            return self.master.day_cost
        out = self.times.to_base[b][self.times.reachable(b)]
        return 2.0 * float(out.min()) * self.master.minute_cost if out.size else 0.0

    def threshold(self, lp: _Relaxed, b: int) -> float:
        """The prize (yuan) a route of base ``b`` must beat to have negative reduced cost
        (with route_cost "minutes", at its least cost: a relaxation)."""
        return self.floor[b] - lp.fleet - lp.bases.get(b, 0.0)

    def improving(self, lp: _Relaxed, routes: list[Route]) -> list[Route]:
        """The ``routes`` of negative reduced cost at their own cost (route_cost "minutes";
        otherwise every one of them: pricing already measured them)."""
        if not self.master.minutes or not routes:
            return routes
        cost = self.master.route_costs(routes)
        reduced = self.reduced(lp, routes)
        tol = BOUND_TOLERANCE * np.maximum(np.abs(cost), 1.0)
        return [r for r, ok in zip(routes, (reduced < -tol).tolist(), strict=True) if ok]

    def reduced(self, lp: _Relaxed, routes: list[Route]) -> np.ndarray:
        """The reduced cost of each of ``routes`` at the duals of ``lp``."""
        cost = self.master.route_costs(routes)
        bonus = np.zeros(lp.duals.size) if lp.bonus is None else lp.bonus
        value = np.array(
            [
                float(lp.duals[route_serves(r.stops, self.covers)].sum())
                + float(bonus[list(r.stops)].sum())
                + lp.fleet
                + lp.bases.get(r.base, 0.0)
                for r in routes
            ]
        )
        return cost - value

    def search(self, rounds: int) -> _Search:
        """Column generation at the root (``rounds`` rounds), a dive, the integer master,
        the vehicle-day split and the closing search while the plan stays above the bound
        (with ``prove``, over the root LP priced until proven)."""
        root, done, lp_bound, routes = self.generate(rounds, {}, frozenset(), True)
        lp_value = root.objective if root is not None else np.nan
        best = _dive(self.generate, root, routes, _key) if root is not None else np.inf
        solved = self.integer(best, None if self.exhaustive else self.seen)
        objective = best if solved is None else min(best, solved[0])
        lower = float(min(lp_bound, lp_value)) if root is not None else np.nan
        bound = round_up(lower, self.unit)
        split = "none"
        if root is not None and _above(objective, bound):
            objective, bound, more, split = self.split(root, objective, bound, lower, solved)
            done += more
        closed = "none"
        proven_root = root is not None and lp_bound >= lp_value
        unproven = root is not None and not proven_root and _above(objective, bound)
        converged = self.converge() if self.prove and not self.limited and unproven else None
        if converged is not None:
            root, proven_root = converged, True
            lower = max(lower, converged.objective)
            bound = max(bound, round_up(lower, self.unit))
        if proven_root and _above(objective, bound):
            objective, proven, closed = self.close(root, objective)
            bound = max(bound, round_up(proven, self.unit))
        if self.prove and self.limited and proven_root and _above(objective, bound):
            objective, proven, closed = branch_and_price(self, bound, objective)
            bound = max(bound, round_up(proven, self.unit))
        return _Search(done, lp_value, lower, bound, objective, solved, proven_root, split, closed)

    def converge(self) -> _Relaxed | None:
        """Column generation at the root with exact pricing until it proves no route has
        negative reduced cost: the LP over every route (None if a limit stops it first)."""
        while not self.late():
            lp = self.relax({}, frozenset(), None)[0]
            if lp is None:
                return None
            added, none = self.exact(lp)[:2]
            if none:
                return lp
            if not added:
                return None
        self.timed_out = True
        return None

    def generate(
        self,
        rounds: int,
        lower: dict,
        open_sites: frozenset,
        prove: bool = False,
        days: tuple[float, float] | None = None,
        enough: float = np.inf,
    ):
        """Column generation with the fixings: (last LP, rounds, proven lower bound on the
        LP over every route (-inf unless ``prove``), routes of the last LP). With ``prove``
        it stops once the bound rounded up to the cost unit reaches ``enough`` or the LP
        value rounded up alike."""
        done, proven = 0, -np.inf
        most_days = self.fleet_days if days is None else min(days[1], self.fleet_days)
        while True:
            lp, routes = self.relax(lower, open_sites, days)
            if lp is None:
                return lp, done, proven, routes
            late = time.perf_counter() > self.deadline
            self.timed_out |= late
            stop = done >= rounds or late
            added = 0
            if not stop:
                done += 1
                added = self.price_heuristic(lp)
            if added:
                continue
            if not prove and (stop or not self.exact_first):
                return lp, done, proven, routes
            added, none, most = self.exact(lp)
            if none:
                return lp, done, lp.objective if prove else proven, routes
            if prove:
                bound = self.lower_bound(lp, most_days, most)
                proven = max(proven, bound)
            # the LP only falls towards the proven bound: once both round up alike, more
            # columns cannot raise the rounded bound
            unit = self.unit
            goal = min(enough, round_up(lp.objective, unit) if unit is not None else np.inf)
            if stop or not added or round_up(proven, unit) >= goal:
                return lp, done, proven, routes

    def lower_bound(self, lp: _Relaxed, most_days: float, most: dict[int, float]) -> float:
        """``lp_lower_bound`` with the least route cost per base (see ``_floor``)."""
        if not self.master.minutes:
            return lp_lower_bound(lp, self.master.day_cost, most_days, most)
        least = min(self.floor.values(), default=0.0)
        shifted = {b: p - self.floor[b] + least for b, p in most.items()}
        return lp_lower_bound(lp, least, most_days, shifted, farley=False)

    def relax(
        self, lower: dict, open_sites: frozenset, days: tuple[float, float] | None
    ) -> tuple[_Relaxed | None, list[Route]]:
        """The master LP over the pool, each route driven at least ``lower`` days (by key),
        and the pool's routes; notes the routes it drives."""
        routes = self.allowed()
        bounds = np.array([lower.get(_key(r), 0) for r in routes], dtype=float)
        lp = self.master.solve(
            routes,
            False,
            self.time_limit,
            route_lower=bounds,
            open_sites=open_sites,
            days=days,
            required=self.required,
        )
        if lp is not None:
            driven = {_key(routes[r]) for r in np.flatnonzero(lp.days > 1e-9).tolist()}
            self.seen.update(driven)
            if days is None:
                self.used.update(driven)
        return lp, routes

    def price_heuristic(self, lp: _Relaxed) -> int:
        """Heuristic pricing for every base (none when every round prices exactly): the
        number of routes it adds."""
        added = 0
        for b in self.bases if not self.exact_first else ():
            found, _ = price_routes(self.times, b, lp.prize, self.threshold(lp, b))
            added += sum(self.add(route) for route in self.improving(lp, found))
        return added

    def exact(self, lp: _Relaxed) -> tuple[int, bool, dict[int, float]]:
        """Exact pricing for every base, the bases priced side by side on ``workers``
        threads and their routes added in base order: (routes added, whether it proves no
        route has negative reduced cost, the most prize per base)."""
        added, none, most = 0, True, {}
        if self.exhaustive:
            return added, none, most
        start = time.perf_counter()
        limits = [self.threshold(lp, b) for b in self.bases]
        priced = list(self.workers.map(self.price_base, [lp] * len(limits), self.bases, limits))
        for b, limit, found in zip(self.bases, limits, priced, strict=True):
            slack = BOUND_TOLERANCE * max(abs(limit), 1.0)
            fresh, most[b] = self.take(lp, b, limit, slack, found)
            none &= most[b] <= limit + slack
            added += fresh
        self.exact_seconds += time.perf_counter() - start
        return added, none, most

    def price_base(self, lp: _Relaxed, b: int, limit: float) -> Priced:
        """Exact pricing for base ``b`` against the threshold ``limit`` (yuan); reads the
        pool's settings only, so bases may be priced at once."""
        if self.limited:
            return price_limited(
                self.times,
                b,
                self.stop_choices(),
                lp.duals,
                self.travel_cost,
                limit - self._shift(b),
                bonus=lp.bonus,
                pairs=self.pairs,
                limit=EXACT_COLUMNS,
            )
        memory = self.memory.get(b, frozenset())
        return exact_price(self.times, b, lp.prize, limit, limit=EXACT_COLUMNS, memory=memory)

    def take(
        self, lp: _Relaxed, b: int, limit: float, slack: float, priced: Priced
    ) -> tuple[int, float]:
        """Add the routes base ``b``'s exact pricing found: (routes added, the most prize a
        route collects). When the best ng-route is no elementary route, the elementary
        routes beating the threshold are enumerated."""
        self.exact_calls += 1
        self.memory[b] = self.memory.get(b, frozenset()) | priced.learned
        fresh = sum(self.add(route) for route in self.improving(lp, priced.routes))
        if self.limited:
            # a short first search that returns columns has not been stopped by a limit
            self.exact_stopped += not priced.proven and not priced.routes
            return fresh, priced.most + self._shift(b)
        self.exact_stopped += not priced.proven
        if priced.most > limit + slack and not fresh:
            listed = enumerate_routes(self.times, b, lp.prize, limit + slack, self.no_village)
            if listed.complete:
                values = [float(lp.prize[list(r.stops)].sum()) for r in listed.routes]
                order = np.argsort(-np.asarray(values), kind="stable")
                ranked = [listed.routes[q] for q in order.tolist()]
                fresh = sum(self.add(route) for route in self.improving(lp, ranked)[:EXACT_COLUMNS])
                return fresh, max(values, default=limit)
        return fresh, priced.most

    def integer(self, cutoff: float, among: set | None = None):
        """The integer master over the pool (the routes ``among`` only, when given) below
        ``cutoff``: (objective, vehicle-days, dual bound) or None."""
        routes = self.sorted_routes()
        if among is not None:
            routes = [r for r in routes if _key(r) in among]
        solved = self.master.solve(
            routes,
            True,
            self.seconds_left(),
            cutoff=cutoff if np.isfinite(cutoff) else None,
            required=self.required,
        )
        if solved is None:
            return None
        if solved[0] <= cutoff:
            self.used.update(_key(routes[r]) for r in np.flatnonzero(solved[1] > 0).tolist())
        return solved[0], int(solved[1].sum()), solved[2]

    def split(
        self,
        root: _Relaxed,
        objective: float,
        bound: float,
        lower: float,
        solved: tuple[float, int, float] | None,
    ) -> tuple[float, float, int, str]:
        """Split the vehicle-days in total at the root LP's fractional value: the bounds of
        both halves raise ``bound``, and a dive held to the rounded-up days and the integer
        master again look for a plan cheaper than ``objective``. When the lower half's bound
        reaches the plan, every cheaper plan drives the rounded-up days at least
        (``fewest``). Returns the objective, the bound, the rounds run and what the split
        did."""
        total = float(root.days.sum())
        whole = float(np.floor(total + 1e-6))
        if not total - whole > 1e-6:
            return objective, bound, 0, "none"
        halves, rounds = self.split_bounds(whole, lower, objective)
        bound = max(bound, min(round_up(h, self.unit) for h in halves))
        found = _split_plan(
            self.generate, _key, whole + 1.0, solved, lambda rs: self.used.update(map(_key, rs))
        )
        again = self.integer(min(objective, found), self.seen)
        plan = min(found, again[0] if again is not None else np.inf)
        if self.prove and not self.limited and _above(min(objective, plan), bound):
            plan = min(plan, self.deep_dive(whole + 1.0, min(objective, plan), bound))
        if not _above(min(objective, plan), round_up(halves[0], self.unit)):
            self.fewest = whole + 1.0
        improved = plan < objective - 1e-6 * abs(objective)
        text = (
            _("vehicle-days <= {days}: {low}, >= {more}: {high}; plan improved")
            if improved
            else _("vehicle-days <= {days}: {low}, >= {more}: {high}; plan kept")
        ).format(
            days=f"{whole:.0f}",
            low=f"{halves[0]:,.0f}",
            more=f"{whole + 1:.0f}",
            high=f"{halves[1]:,.0f}",
        )
        return min(objective, plan), bound, rounds, text

    def deep_dive(self, days: float, objective: float, goal: float) -> float:
        """With ``prove``: a plan below ``objective`` driving exactly ``days`` vehicle-days,
        by the backtracking dive (``_DeepDive``) with exact pricing after every fixing, until
        a plan reaches ``goal`` (the proven bound). Returns its objective (inf: none)."""
        held = (days, days)

        def generate(lower: dict, open_sites: frozenset):
            lp, _, _, routes = self.generate(DEEP_ROUNDS, lower, open_sites, True, held)
            return lp, routes

        def integer() -> float:
            solved = self.integer(objective, self.seen)
            return solved[0] if solved is not None else np.inf

        lp, routes = generate({}, frozenset())
        if lp is None:
            return np.inf
        dive = _DeepDive(generate, integer, _key, goal, lambda rs: self.used.update(map(_key, rs)))
        dive.visit(lp, routes, {}, frozenset())
        return dive.best if dive.best <= goal else min(dive.best, integer())

    def split_bounds(self, whole: float, lower: float, objective: float) -> tuple[list[float], int]:
        """Proven bounds (yuan) of the plans driving at most ``whole`` vehicle-days and of
        those driving more, each at least ``lower``, and the rounds run for them."""
        halves, rounds = [], 0
        for days in ((0.0, whole), (whole + 1.0, self.fleet_days)):
            lp, more, proven, _ = self.generate(
                SPLIT_ROUNDS, {}, frozenset(), True, days, objective
            )
            rounds += more
            halves.append(lower if lp is None else max(lower, proven))
        return halves, rounds

    def close(self, lp: _Relaxed, objective: float) -> tuple[float, float, str]:
        """Search every plan cheaper than ``objective``: with the root LP proven over every
        route, such a plan drives only routes whose reduced costs at its duals sum to less
        than the difference, so every route within that difference is enumerated and the
        integer master over them is held below ``objective``. Returns the best plan's
        objective, a proven bound on every plan, and what the search did."""
        tol = BOUND_TOLERANCE * max(abs(lp.objective), 1.0)
        cheaper, cap, may_open = self.cheaper(lp, objective, tol)
        gap = cheaper - lp.objective + tol
        if gap < 0:
            return (
                objective,
                objective,
                _("no cheaper plan within the LP bound: plan proven optimal"),
            )
        listed, skipped = self.within_gap(lp, gap)
        if skipped:
            return objective, -np.inf, skipped
        solved = self.master.solve(
            listed,
            True,
            self.seconds_left(),
            cap=cap,
            nodes=self.close_limits()[2],
            days=(self.fewest, self.fleet_days) if self.fewest else None,
            required=self.required,
            shut=~may_open & (self.master.site_lower == 0),
        )
        within = {"n": f"{len(listed):,}", "gap": f"{gap:,.0f}"}
        if solved is None and self.master.status == highspy.HighsModelStatus.kInfeasible:
            text = _("{n} routes within {gap} of the LP; no cheaper plan: plan proven optimal")
            return objective, objective, text.format(**within)
        if solved is None or self.master.status != highspy.HighsModelStatus.kOptimal:
            text = _("{n} routes within {gap} of the LP; search ended unproven")
            return objective, -np.inf, text.format(**within)
        for route, driven in zip(listed, solved[1].tolist(), strict=True):
            if driven > 0:
                self.add(route)
                self.used.add(_key(route))
        text = _("{n} routes within {gap} of the LP; cheaper plan found, proven optimal")
        return solved[0], solved[2], text.format(**within)

    def cheaper(
        self, lp: _Relaxed, objective: float, tol: float
    ) -> tuple[float, float, np.ndarray]:
        """The next plan cost (yuan) below ``objective``, the cap that bars dearer plans and
        the sites that may open in a cheaper plan (a mask over the master's sites). Sites
        whose reduced cost exceeds the difference open in no cheaper plan, nor do those
        costing ``objective`` with the ``fewest`` vehicle-days at their least cost, so the
        cheaper plan costs a multiple of what the other costs share, one such step below
        ``objective``."""
        reach = objective - lp.objective + tol
        least = self.fewest * min(self.floor.values(), default=0.0)
        cost = self.master.site_cost
        may_open = (lp.site_reduced <= reach) & (cost + least < objective - tol)
        step = plan_unit(cost[may_open], self.step)
        if step is None:
            cheaper = cap = objective - BOUND_TOLERANCE * abs(objective)
        else:
            cheaper = float(np.ceil(objective / step - BOUND_TOLERANCE) - 1.0) * step
            cap = cheaper + 0.5 * step
        return cheaper, cap, may_open

    def close_limits(self) -> tuple[int, int, int]:
        """The closing search's labels per base, routes and nodes: with ``prove`` and
        routes that are not limited (no branch and price follows) the ``PROVE_`` ones."""
        if self.prove and not self.limited:
            return PROVE_LABELS, PROVE_ROUTES, PROVE_NODES
        return CLOSE_LABELS, CLOSE_ROUTES, CLOSE_NODES

    def within_gap(self, lp: _Relaxed, gap: float) -> tuple[list[Route], str]:
        """Every route whose reduced cost at the LP's duals is below ``gap`` (yuan) that a
        cheaper plan needs, and why the search is skipped ("" unless a work limit or a
        repeated village stops it). When routes cost a vehicle-day each, a route whose
        stops and one more make another route of its base is left out: that route serves
        the plan as well at the same cost."""
        most_labels, most_routes = self.close_limits()[:2]
        if self.master.minutes and self.exhaustive:
            routes = self.allowed()
            reduced = self.reduced(lp, routes)
            listed = [r for r, c in zip(routes, reduced.tolist(), strict=True) if c < gap]
            if len(listed) > most_routes:
                return listed, _("skipped: more routes within the gap than its limit")
            return listed, ""
        listed: list[Route] = []
        needed = self.stop_mask(self.master.needs_visits())
        for b in self.bases:
            floor = self.threshold(lp, b) - gap
            if self.limited:
                found = enumerate_limited(
                    self.times,
                    b,
                    self.stop_choices(),
                    lp.duals,
                    self.travel_cost,
                    floor - self._shift(b),
                    bonus=lp.bonus,
                    pairs=self.pairs,
                    budget=most_labels,
                    most=most_routes + 1 - len(listed),
                )
                listed += [r for r in found.routes if self.times.fits(r)]
            else:
                found = enumerate_routes(self.times, b, lp.prize, floor, needed, budget=most_labels)
                fits = [r for r in found.routes if self.times.fits(r)]
                listed += fits if self.master.minutes else _maximal(fits)
            if len(listed) > most_routes or (found.stopped and found.labels < most_labels):
                return listed, _("skipped: more routes within the gap than its limit")
            if found.stopped:
                return listed, _("skipped: more labels within the gap than its limit")
            if not found.complete:
                return listed, _("skipped: routes within the gap pass a village twice")
        return listed, ""

    def kept(self) -> list[Route]:
        """The routes handed to the county model (see ``_kept``)."""
        return _kept(self.sorted_routes(), self.used, _key, self.covers)

    def record(self, found: _Search, routes: list[Route]) -> RoamingRecord:
        """The pool's record: the search's figures and the pool and ``routes`` kept."""
        objective, bound, solved = found.objective, found.bound, found.solved
        gap = (objective - bound) / max(abs(objective), 1e-9) if np.isfinite(objective) else np.inf
        return RoamingRecord(
            rounds=found.rounds,
            pool=len(self.pool),
            kept=len(routes),
            initial_pool=self.initial,
            lp_bound=found.lower,
            objective=float(objective),
            gap=float(max(gap, 0.0)),
            exact=bool(found.proven_root),
            seconds=time.perf_counter() - self.began,
            lp_value=float(found.lp_value),
            timed_out=self.timed_out or self.master.timed_out,
            pool_bound=float(max(solved[2], bound)) if solved is not None else float(bound),
            bound=float(bound),
            cost_unit=float(self.unit) if self.unit is not None else float("nan"),
            exact_calls=self.exact_calls,
            exact_seconds=self.exact_seconds,
            exact_stopped=self.exact_stopped,
            split=found.split,
            closed=found.closed,
        )


@dataclass(frozen=True, eq=False)
class RoutePool:
    """A route pool and its record, with the digest of everything the search read
    (``key``): a later plan whose route master and routes read the same (e.g. the plan
    solved again with more hubs fixed, when those hubs are open clinics anyway) takes the
    pool as it is instead of searching again."""

    key: bytes
    routes: tuple[Route, ...]
    record: RoamingRecord


def _digest(*parts) -> bytes:
    """A digest of numbers, arrays, containers and strings, by value."""
    h = hashlib.blake2b(digest_size=20)

    def feed(x) -> None:
        if isinstance(x, np.ndarray):
            h.update(f"a{x.dtype.str}{x.shape}".encode())
            h.update(np.ascontiguousarray(x).tobytes())
        elif isinstance(x, dict):
            h.update(b"d%d" % len(x))
            for k in sorted(x):
                feed(k)
                feed(x[k])
        elif isinstance(x, (list, tuple, set, frozenset)):
            items = sorted(x) if isinstance(x, (set, frozenset)) else x
            h.update(b"l%d" % len(items))
            for item in items:
                feed(item)
        else:
            h.update(f"{type(x).__name__}:{x!r};".encode())

    for part in parts:
        feed(part)
    return h.digest()


def _pool_key(
    data: CountyInput,
    roam: RoamingInput,
    times: StopTimes,
    xy: np.ndarray,
    site_xy: np.ndarray,
    rounds: int,
    time_limit: float,
    prove: bool,
) -> bytes:
    """The digest of what ``route_pool`` reads: the route master's sites, costs and
    coverage rows, the fleet and village rules, the leg minutes, the coordinates the sweep
    orders by and the search's limits."""
    master = _Master(data, roam, roam.may)
    near = data.clinic_pairs
    return _digest(
        master.sites,
        master.site_cost,
        master.site_lower,
        master.day_cost,
        master.target,
        master.share,
        data.clinic_target_units,
        near.indptr,
        near.site,
        near.cost,
        data.population,
        data.n_sites,
        roam.visits,
        roam.may,
        roam.must,
        roam.days,
        roam.vehicles,
        roam.base_vehicles,
        roam.day_cost,
        roam.route_cost,
        roam.always_open,
        times.to_base,
        times.between,
        times.service,
        times.day,
        times.covers,
        xy,
        site_xy,
        rounds,
        time_limit,
        prove,
    )


def prepare_roaming(
    data: CountyInput,
    spec: RoamingSpec,
    demand: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    travel: TravelTimes,
    stop_travel: TravelTimes | None,
    unreachable: dict[str, np.ndarray],
    earlier: RoutePool | None = None,
) -> tuple[StopTimes, RoamingRecord, RoutePool]:
    """Build the route pool and put it into ``data.roaming``; roamable villages join the
    clinic target and leave ``unreachable["clinic"]``. Returns the leg minutes, the pool
    record and the pool. The search depends on its inputs only, so an ``earlier`` pool
    made from the same inputs (same ``RoutePool.key``) is taken as it is.

    Raises:
        InputError: no ``stop_travel``, unknown bases or villages, or a base that can never
            be open.
    """
    if stop_travel is None:
        raise InputError(
            _(
                "roaming needs stop_travel: village x village minutes (the demand as both "
                "origins and destinations), e.g. straight_line_minutes(demand, demand, ...)"
            )
        )
    ids = np.asarray(demand["id"], dtype=str)
    site_ids = np.asarray(sites["id"], dtype=str)
    fixed = data.existing_hub | data.existing_site
    may_open = (data.can_clinic & ~data.barred_site) | (data.can_hub & ~data.barred_hub)
    roam = roaming_input(spec, ids, site_ids, unreachable["clinic"], fixed)
    never = [site_ids[b] for b in roam.base_vehicles if not (fixed[b] or may_open[b])]
    if never:
        raise InputError(
            _(
                "roaming.bases: site(s) {ids} can never be open (not a hub or clinic kind, or "
                "barred); a base must be an open or possible hub or clinic"
            ).format(ids=", ".join(never))
        )
    times = stop_times(demand, travel, stop_travel, spec, sorted(roam.base_vehicles))
    roam.covers = times.covers
    roam.service = times.service
    roam.day_minutes = times.day
    stranded = roam.must.copy()
    for b in roam.base_vehicles:
        for s in times.reachable(b).tolist():
            stranded[route_serves([s], times.covers)] = False
    if stranded.any():
        raise InputError(
            _(
                "roaming.must: village(s) {ids} cannot be reached from any base within "
                "day_minutes and leg_minutes; add a nearer base, allow longer legs or days, or "
                "leave them out of must"
            ).format(ids=", ".join(ids[stranded][:10]))
        )
    metric = demand.crs
    xy = np.column_stack([demand.geometry.x, demand.geometry.y])
    site_geo = sites.to_crs(metric).geometry
    site_xy = np.column_stack([site_geo.x, site_geo.y])
    key = _pool_key(data, roam, times, xy, site_xy, spec.rounds, spec.time_limit, spec.prove)
    if earlier is not None and earlier.key == key:
        pool = earlier
    else:
        routes, record = route_pool(
            data,
            roam,
            times,
            xy,
            site_xy,
            rounds=spec.rounds,
            time_limit=spec.time_limit,
            prove=spec.prove,
        )
        pool = RoutePool(key, tuple(routes), record)
    roam.routes = list(pool.routes)
    data.roaming = roam
    roamable = np.flatnonzero(roam.roamable())
    data.clinic_target_units = np.union1d(data.clinic_target_units, roamable)
    unreachable["clinic"] = np.setdiff1d(unreachable["clinic"], roamable)
    return times, pool.record, pool


def covering_tours(
    times: StopTimes,
    base: int,
    must: np.ndarray,
    vehicles: int,
    *,
    rounds: int = 1000,
    time_limit: float = 300.0,
) -> tuple[list[Route], RoamingRecord]:
    """Covering tours from one always-open ``base`` (a site index of ``times``) with no
    site to open: the route pool and its search (``route_pool``) alone, each village of
    ``must`` served once by ``vehicles`` vehicles on one day, routes costing their driving
    minutes (the m-CTP). ``times.covers`` says which villages a stop serves: a village that
    serves no one is no stop. Returns the routes kept and the record (objective, bound)."""
    n = times.between.shape[0]
    n_sites = base + 1
    none = CostPairs(
        n, n_sites, np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), np.zeros(n + 1, int)
    )
    no = np.zeros(n_sites, dtype=bool)
    data = CountyInput(
        population=np.zeros(n),
        hub_pairs=none,
        clinic_pairs=none,
        district_pairs=none,
        service_pairs=none,
        can_hub=no,
        can_clinic=no,
        existing_hub=no,
        existing_site=no,
        barred_hub=no,
        barred_site=no,
        hub_cost=np.zeros(n_sites),
        clinic_cost=np.zeros(n_sites),
        hub_target=LevelTarget(),
        clinic_target=LevelTarget(),
        hub_target_units=np.zeros(0, np.int64),
        clinic_target_units=np.zeros(0, np.int64),
    )
    must = np.asarray(must, dtype=bool)
    roam = RoamingInput(
        routes=[],
        visits=np.ones(n),
        may=must,
        must=must,
        days=1,
        vehicles=vehicles,
        base_vehicles={base: vehicles},
        always_open={base},
        covers=times.covers,
        route_cost="minutes",
        service=times.service,
        day_minutes=times.day,
    )
    xy = np.zeros((n, 2))
    site_xy = np.zeros((n_sites, 2))
    return route_pool(
        data,
        roam,
        times,
        xy,
        site_xy,
        rounds=rounds,
        time_limit=time_limit,
        prove=True,
    )
