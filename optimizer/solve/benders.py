"""Exact p-median by Benders decomposition of the radius formulation, solved with HiGHS.

The master problem holds the site variables y and one cost variable theta_i per demand
unit of positive weight; its optimality cuts come from ``models.median.CutSeparator``.

1. A greedy plan improved by swaps is the first incumbent.
2. The master LP is solved by stabilised cutting planes (HiGHS dual simplex, warm-started
   as rows are added); its bound is the LP bound of the radius formulation. Its rounded
   solution, improved by swaps, may be a better incumbent.
3. Sites are closed (opened) for good when their reduced cost lifts the LP bound past the
   incumbent; the master is then rebuilt over the sites left, with the cuts that bind.
4. Best-first branch and bound on the sites left, each node's bound being its master LP
   solved by cutting planes again: the cuts a node needs are separated at that node, and
   its LP starts from its parent's optimal basis.
"""

from __future__ import annotations

import heapq
import time
from dataclasses import dataclass, field

import highspy
import numpy as np

from models.median import Cuts, CutSeparator, greedy, interchange, plan_cost, reach_rows
from models.pairs import CostPairs
from optimizer import interrupt
from optimizer.solve import highs
from optimizer.solve.highs import objective_scale, quiet_highs

_OPTIMAL = highspy.HighsModelStatus.kOptimal
_INFEASIBLE = highspy.HighsModelStatus.kInfeasible
_BASIC = highspy.HighsBasisStatus.kBasic
HEURISTIC_EVERY = 16  # branch-and-bound nodes between two rounding heuristics
PURGE_ROWS = 10_000  # cuts the master may gain (beyond doubling) before slack ones go
# most cuts added to the master in one round: the most violated (by weight) go first. A round
# that adds a cut per unit of a large instance costs about one dual simplex iteration per cut
# (10000 x 1000: 8,000-10,000 iterations of about 1 ms per round); fewer, deeper cuts per
# round give more, much cheaper rounds.
ROUND_CUTS = 1500


@dataclass
class MedianOutcome:
    """Result of the Benders solve: the best plan, its cost and the proven bound.

    ``status`` is "optimal" (within the MIP gap), "time_limit", "interrupted" (stopped by a
    signal, see ``optimizer.interrupt``), "infeasible" (no p sites reach every unit) or
    "no_solution" (time ran out before a plan was found).
    """

    status: str
    is_open: np.ndarray
    objective: float
    bound: float
    seconds_solve: float
    details: dict = field(default_factory=dict)


@dataclass
class _Incumbent:
    """The best plan so far and the proven lower bound on the optimum (cost x weight).

    ``step`` is the least amount by which a plan can beat another (1 for integral costs
    and weights, else 0).
    """

    step: float
    mip_gap: float
    is_open: np.ndarray
    cost: float = np.inf
    bound: float = -np.inf

    def offer(self, is_open: np.ndarray, cost: float) -> bool:
        """Keep the plan when it is the best so far; True when it is."""
        if cost < self.cost:
            self.cost, self.is_open = cost, is_open.copy()
            return True
        return False

    def tolerance(self) -> float:
        return max(1e-6, 1e-7 * abs(self.cost)) if np.isfinite(self.cost) else 1e-6

    def threshold(self) -> float:
        """A plan costing more than this cannot beat the incumbent."""
        return self.cost - self.step + self.tolerance()

    def add_bound(self, value: float) -> None:
        """Record the bound of a search that keeps only plans beating the incumbent:
        the optimum is at least min(value, incumbent)."""
        if self.step and np.isfinite(value):
            value = float(np.ceil(value - self.tolerance()))
        self.bound = max(self.bound, min(value, self.cost))

    def proven(self) -> bool:
        if not np.isfinite(self.cost):
            return False
        return self.cost - self.bound <= max(self.mip_gap * abs(self.cost), self.tolerance())


class _Master:
    """The master LP in one HiGHS object; columns are y (sites) then theta (units).

    Its objective (the weights, in persons) goes to HiGHS divided by ``scale``, a power of
    ten (``optimizer.solve.highs.objective_scale``); ``objective`` and ``site_reduced_costs``
    multiply it back, so callers see cost x weight units.
    """

    def __init__(
        self,
        n_sites: int,
        weights: np.ndarray,
        units: np.ndarray,
        p: int,
        lower: np.ndarray,
        upper: np.ndarray,
        theta_lower: np.ndarray,
    ) -> None:
        self.m = n_sites
        self.theta_col = np.full(weights.size, -1, dtype=np.int64)
        self.theta_col[units] = n_sites + np.arange(units.size)
        h = quiet_highs()
        self.h = h
        n_cols = n_sites + units.size
        self.scale = objective_scale(weights[units])
        cost = np.concatenate([np.zeros(n_sites), weights[units] / self.scale])
        col_lower = np.concatenate([lower, theta_lower[units]])
        col_upper = np.concatenate([upper, np.full(units.size, np.inf)])
        h.addCols(
            n_cols,
            cost,
            col_lower,
            col_upper,
            0,
            np.zeros(n_cols, np.int32),
            np.zeros(0, np.int32),
            np.zeros(0),
        )
        self.add_rows(
            np.array([float(p)]),
            np.array([0, n_sites]),
            np.arange(n_sites),
            np.ones(n_sites),
            upper=np.array([float(p)]),
        )

    def add_rows(
        self,
        lower: np.ndarray,
        indptr: np.ndarray,
        cols: np.ndarray,
        vals: np.ndarray,
        upper: np.ndarray | None = None,
    ) -> None:
        """Append rows ``lower <= A x (<= upper)`` given in compressed row form."""
        n = lower.size
        if n:
            self.h.addRows(
                n,
                lower.astype(float),
                np.full(n, np.inf) if upper is None else upper.astype(float),
                int(cols.size),
                indptr[:-1].astype(np.int32),
                cols.astype(np.int32),
                vals.astype(float),
            )

    def add_cuts(self, cuts: Cuts) -> None:
        """Append the rows ``theta_u + sum coef y >= rhs``."""
        if cuts.size == 0:
            return
        indptr = cuts.indptr + np.arange(cuts.size + 1)
        head = indptr[:-1]
        body = np.ones(indptr[-1], dtype=bool)
        body[head] = False
        cols = np.empty(indptr[-1], dtype=np.int64)
        vals = np.empty(indptr[-1])
        cols[head], vals[head] = self.theta_col[cuts.unit], 1.0
        cols[body], vals[body] = cuts.site, cuts.coef
        self.add_rows(cuts.rhs, indptr, cols, vals)

    def set_site_bounds(self, sites: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        """Bounds ``lower``, ``upper`` (arrays over ``sites``) on the listed sites."""
        if sites.size:
            self.h.changeColsBounds(
                sites.size, sites.astype(np.int32), lower.astype(float), upper.astype(float)
            )

    def basis(self) -> tuple[list, list]:
        """The current basis (column and row statuses), to start a later solve from."""
        basis = self.h.getBasis()
        return list(basis.col_status), list(basis.row_status)

    def start_from(self, basis: tuple[list, list]) -> None:
        """Start the next solve from ``basis``; rows added since it was taken are basic."""
        cols, rows = basis
        start = highspy.HighsBasis()
        start.col_status = cols
        start.row_status = rows + [_BASIC] * (self.h.getNumRow() - len(rows))
        start.valid = True
        self.h.setBasis(start)

    def run(self, seconds: float) -> bool:
        """Solve within ``seconds``; True when solved to optimality."""
        # HiGHS measures its time limit on a clock that runs across calls
        self.h.setOptionValue("time_limit", self.h.getRunTime() + float(max(seconds, 0.01)))
        if not self.h.getBasis().valid:
            solver = highs.cold_solver(self.h.getNumRow(), self.h.getNumNz())
            self.h.setOptionValue("solver", solver)
        interrupt.run(self.h)
        self.h.setOptionValue("solver", "simplex")  # later solves start from a basis
        return self.h.getModelStatus() == _OPTIMAL

    def values(self) -> tuple[np.ndarray, np.ndarray]:
        """Site values y and cost variables theta of the current solution."""
        x = np.asarray(self.h.getSolution().col_value)
        return x[: self.m], x[self.m :]

    def objective(self) -> float:
        """The LP value of the last solve (cost x weight)."""
        return self.h.getInfo().objective_function_value * self.scale

    def site_reduced_costs(self) -> np.ndarray:
        return np.asarray(self.h.getSolution().col_dual)[: self.m] * self.scale


@dataclass(order=True)
class _Node:
    """A branch-and-bound node: bounds on the stage's free sites, ordered by the bound
    inherited from its parent's LP (cost x weight)."""

    bound: float
    order: int
    lower: np.ndarray = field(compare=False)
    upper: np.ndarray = field(compare=False)
    y: np.ndarray = field(compare=False)  # the parent's LP site values
    basis: tuple | None = field(compare=False, default=None)  # (master generation, basis)


class _Stage:
    """The master problem over the sites not closed for good.

    ``pairs`` holds only pairs to such sites; ``lower`` and ``upper`` bound every site
    (1/1: open for good, 0/0: closed for good).
    """

    def __init__(
        self,
        pairs: CostPairs,
        weights: np.ndarray,
        p: int,
        lower: np.ndarray,
        upper: np.ndarray,
        best: _Incumbent,
        deadline: float,
        cuts: Cuts | None = None,
    ) -> None:
        self.pairs, self.weights, self.p = pairs, weights, p
        self.lower, self.upper = lower.copy(), upper.copy()
        self.best, self.deadline = best, deadline
        self.separator = CutSeparator(pairs)
        self.units = np.flatnonzero(weights > 0)
        self.seen: set[bytes] = set()
        self.lp_rounds = 0
        self.root_value, self.root_rc = -np.inf, np.zeros(0)
        self.last_lp = np.zeros(0), np.zeros(0)  # (y, theta) of the last LP solved
        self.last_value = -np.inf
        self.n_made = 0  # cuts separated by this stage
        self.generation = -1
        self.build(cuts)

    def build(self, cuts: Cuts | None) -> None:
        """A fresh master with the current site bounds, the reach rows and ``cuts``."""
        self.master = _Master(
            self.pairs.n_sites,
            self.weights,
            self.units,
            self.p,
            self.lower,
            self.upper,
            self.separator.nearest,
        )
        reach = reach_rows(self.pairs, self.upper > 0.5, np.flatnonzero(self.lower > 0.5))
        self.master.add_rows(*reach)
        self.pool: list[Cuts] = []
        self.n_cuts = 0  # cuts in the master
        self.generation += 1  # the number of this master: a node's basis fits only its own
        if cuts is not None:
            self.master.add_cuts(cuts)
            self.pool.append(cuts)
            self.n_cuts = cuts.size

    def add_cuts(self, cuts: Cuts) -> None:
        self.master.add_cuts(cuts)
        self.pool.append(cuts)
        self.n_cuts += cuts.size
        self.n_made += cuts.size

    def binding(self, cuts: Cuts) -> np.ndarray:
        """Mask of the ``cuts`` that bind at (or cut off) the last LP solution."""
        y, theta = self.last_lp
        at_cut = theta[self.master.theta_col[cuts.unit] - self.pairs.n_sites]
        return cuts.evaluate(y) >= at_cut - 1e-6 * np.maximum(1.0, np.abs(at_cut))

    def remaining(self) -> float:
        """Seconds left; none once a stop was requested (see ``optimizer.interrupt``)."""
        if interrupt.requested():
            return 0.0
        return self.deadline - time.perf_counter()

    def free_sites(self) -> np.ndarray:
        return np.flatnonzero((self.lower < 0.5) & (self.upper > 0.5))

    def core_point(self) -> np.ndarray:
        """A point of the master's site polytope: the free sites share the open count."""
        free = self.free_sites()
        core = self.lower.copy()
        core[free] = (self.p - self.lower.sum()) / max(free.size, 1)
        return core

    # ---- plans

    def offer(self, is_open: np.ndarray) -> None:
        """Price a plan over this stage's sites, keep it when best, add its tight cuts
        (before the stage's first LP only when they are no more than ``ROUND_CUTS``: the
        capped separation rounds start a large master far more cheaply than one cut per
        unit at once); a better incumbent fixes more sites by the root reduced costs."""
        key = is_open.tobytes()
        usable = (self.lower <= is_open) & (is_open <= self.upper)
        if key in self.seen or is_open.sum() != self.p or not usable.all():
            return
        self.seen.add(key)
        if self.best.offer(is_open, plan_cost(self.pairs, self.weights, is_open)):
            self.fix(self.root_rc, self.root_value)
        if self.lp_rounds or self.units.size <= ROUND_CUTS:
            self.add_cuts(self.separator.critical(is_open.astype(float), self.units))

    def rounded(self, y: np.ndarray) -> np.ndarray:
        """The plan of the largest site values ``y``, improved by swaps."""
        required = np.flatnonzero(self.lower > 0.5)
        allowed = self.upper > 0.5
        is_open = self.lower > 0.5
        candidates = np.flatnonzero(allowed & ~is_open)
        order = candidates[np.argsort(-y[candidates], kind="stable")]
        is_open[order[: self.p - int(is_open.sum())]] = True
        return interchange(
            self.pairs,
            self.weights,
            is_open,
            required=required,
            allowed=allowed,
            deadline=self.deadline,
        )

    # ---- master LP

    def converge_lp(self, core: np.ndarray) -> float:
        """Cutting planes on the master LP until it prices the separation exactly.

        Separates at ``(y_lp + core) / 2`` (in-out stabilisation; ``core`` moves halfway
        to y_lp each round) and at y_lp when that point yields no violated cut. Returns
        the LP bound: inf when the LP is infeasible, -inf when it was not solved in time
        (``last_value`` then holds the bound of the last round solved, with fewer cuts).
        """
        master, separator, units, w = self.master, self.separator, self.units, self.weights
        value = self.last_value = -np.inf
        while self.remaining() > 0:
            if not master.run(self.remaining()):
                infeasible = master.h.getModelStatus() == _INFEASIBLE
                return np.inf if infeasible else -np.inf
            self.lp_rounds += 1
            value = self.last_value = master.objective()
            if value > self.best.threshold():
                return value
            y, theta = master.values()
            self.last_lp = y, theta
            at_lp = separator.critical(y, units)
            priced = float(np.dot(w[units], at_lp.value))  # exact master cost of y_lp
            if priced - value <= 1e-7 * max(1.0, abs(value)):
                return value
            slack = 1e-9 * np.maximum(1.0, np.abs(theta))
            cuts = separator.critical(0.5 * (y + core), units)
            excess = cuts.evaluate(y) - theta - slack
            if not (excess > 0).any():
                cuts, excess = at_lp, at_lp.value - theta - slack
            self.add_cuts(cuts.subset(_deepest(excess * w[cuts.unit])))
            core[:] = 0.5 * (core + y)
        return -np.inf

    def root(self) -> float:
        """Solve the master LP, record its bound, offer its rounded plan and fix sites by
        reduced costs. Returns the LP bound (inf: infeasible, -inf: out of time)."""
        value = self.converge_lp(self.core_point())
        if value == np.inf:
            self.best.add_bound(np.inf)  # no plan beats the incumbent
        if not np.isfinite(value):
            self.best.add_bound(self.last_value)
            return value
        self.best.add_bound(value)
        self.root_value, self.root_rc = value, self.master.site_reduced_costs()
        if not self.best.proven():
            self.offer(self.rounded(self.master.values()[0]))
        self.fix(self.root_rc, self.root_value)
        return value

    def fix(self, rc: np.ndarray, lp_bound: float) -> int:
        """Close (open) for good every free site whose reduced cost ``rc`` at an LP
        optimum of value ``lp_bound`` lifts the bound past the threshold when the site
        opens (closes). Returns the number of sites fixed."""
        room = self.best.threshold() - lp_bound
        if not room >= 0 or rc.size == 0:
            return 0  # no plan beats the incumbent, or no LP yet
        free = np.zeros(rc.size, dtype=bool)
        free[self.free_sites()] = True
        close = free & (rc > room)
        open_ = free & (-rc > room)
        self.upper[close] = 0.0
        self.lower[open_] = 1.0
        sites = np.flatnonzero(close | open_)
        self.master.set_site_bounds(sites, self.lower[sites], self.upper[sites])
        return int(sites.size)

    def shrink(self) -> _Stage | None:
        """A new stage over the sites not closed for good, carrying the cuts that bind at
        (or cut off) the last LP solution; None when a unit reaches none of those sites
        (then no plan beats the incumbent)."""
        closed = self.upper < 0.5
        pairs = self.pairs.without_sites(np.flatnonzero(closed))
        if pairs.unreached().size:
            return None
        cuts = Cuts.concat(self.pool)
        keep = self.binding(cuts)
        basis = self.master.basis()
        stage = _Stage(
            pairs,
            self.weights,
            self.p,
            self.lower,
            self.upper,
            self.best,
            self.deadline,
            cuts.subset(keep).without_sites(closed),
        )
        _carry(basis, keep, stage.master)
        return stage

    # ---- branch and bound

    def branch_and_bound(self) -> int:
        """Best-first branch and bound on the free sites, each node's bound being its
        master LP solved by cutting planes. Returns the number of nodes solved.

        A node whose LP exceeds the threshold is pruned, an integral LP solution is a
        plan; otherwise the node fixes sites by its reduced costs and branches on the
        most fractional site (open first).
        """
        best = self.best
        free = self.free_sites()
        order = 0
        heap = [_Node(-np.inf, order, self.lower[free], self.upper[free], self.core_point()[free])]
        solved = 0
        fixed_open = self.lower.sum() - self.lower[free].sum()
        purge_at = 2 * self.n_cuts + PURGE_ROWS
        while heap:
            node = heapq.heappop(heap)
            best.add_bound(node.bound)  # best first: no open node has a lower bound
            if best.proven() or self.remaining() <= 0:
                heapq.heappush(heap, node)
                break
            if node.bound > best.threshold():
                continue
            lower = np.maximum(node.lower, self.lower[free])
            upper = np.minimum(node.upper, self.upper[free])
            if (lower > upper).any() or lower.sum() + fixed_open > self.p:
                continue
            if self.n_cuts > purge_at:
                cuts = Cuts.concat(self.pool)
                keep, basis = self.binding(cuts), self.master.basis()
                self.build(cuts.subset(keep))
                _carry(basis, keep, self.master)
                purge_at = 2 * self.n_cuts + PURGE_ROWS
            self.master.set_site_bounds(free, lower, upper)
            if node.basis is not None and node.basis[0] == self.generation:
                self.master.start_from(node.basis[1])
            core = self.lower.copy()
            core[free] = np.clip(node.y, lower, upper)
            value = self.converge_lp(core)
            if value == -np.inf:  # out of time
                heapq.heappush(heap, node)
                break
            if value > best.threshold():
                continue
            solved += 1
            y, _ = self.master.values()
            rc = self.master.site_reduced_costs()[free]
            fraction = np.abs(y[free] - np.round(y[free]))
            if fraction.max() < 1e-6:
                self.offer(y > 0.5)
                continue
            if solved % HEURISTIC_EVERY == 1:
                self.offer(self.rounded(y))
            room = best.threshold() - value
            choice = (lower < 0.5) & (upper > 0.5)
            upper = np.where(choice & (rc > room), 0.0, upper)
            lower = np.where(choice & (-rc > room), 1.0, lower)
            k = int(np.argmax(np.where((lower < 0.5) & (upper > 0.5), fraction, -1.0)))
            basis = self.generation, self.master.basis()
            for v in (1.0, 0.0):
                child_lower, child_upper = lower.copy(), upper.copy()
                child_lower[k] = child_upper[k] = v
                order += 1
                child = _Node(value, order, child_lower, child_upper, y[free], basis)
                heapq.heappush(heap, child)
        if not heap:
            best.add_bound(np.inf)  # every plan that could beat the incumbent was ruled out
        self.master.set_site_bounds(free, self.lower[free], self.upper[free])
        return solved


def _carry(basis: tuple[list, list], keep: np.ndarray, master: _Master) -> None:
    """Start ``master`` from ``basis``, taken on a master with the same columns whose rows
    were the count row, reach rows and cuts of which ``master`` holds those where ``keep``
    (after its own count and reach rows, which start basic). Left alone when the statuses
    do not make a basis (one basic variable per row)."""
    cols, rows = basis
    kept = [status for status, k in zip(rows[len(rows) - keep.size :], keep, strict=True) if k]
    start = [rows[0], *([_BASIC] * (master.h.getNumRow() - 1 - len(kept))), *kept]
    if sum(s == _BASIC for s in cols) + sum(s == _BASIC for s in start) == len(start):
        master.start_from((cols, start))


def _deepest(violation: np.ndarray) -> np.ndarray:
    """Mask of the positive ``violation`` entries, at most ``ROUND_CUTS`` of the largest."""
    keep = violation > 0
    if keep.sum() > ROUND_CUTS:
        keep[:] = False
        keep[np.argsort(-violation, kind="stable")[:ROUND_CUTS]] = True
    return keep


def solve_p_median(
    pairs: CostPairs,
    weights: np.ndarray,
    *,
    p: int,
    required: np.ndarray,
    barred: np.ndarray,
    time_limit: float,
    mip_gap: float,
) -> MedianOutcome:
    """Minimise sum_i w_i * (cost to the nearest open site) over plans of p open sites.

    ``pairs`` must leave out barred sites. Costs are in the pairs' unit, the objective in
    cost x weight; ``time_limit`` is in seconds for the whole solve.
    """
    began = time.perf_counter()
    m = pairs.n_sites
    integral = bool(
        np.all(weights == np.round(weights)) and np.all(pairs.cost == np.round(pairs.cost))
    )
    best = _Incumbent(1.0 if integral else 0.0, mip_gap, np.zeros(m, dtype=bool))
    lower, upper = np.zeros(m), np.ones(m)
    lower[required], upper[barred] = 1.0, 0.0
    stage = _Stage(pairs, weights, p, lower, upper, best, began + time_limit)
    best.bound = float(np.dot(weights, stage.separator.nearest))  # each unit at its nearest
    allowed = upper > 0.5
    first = greedy(pairs, weights, p, required=required, allowed=allowed)
    stage.offer(
        interchange(
            pairs,
            weights,
            first,
            required=required,
            allowed=allowed,
            deadline=began + 0.2 * time_limit,
        )
    )
    heuristic = best.cost
    seconds_heuristic = time.perf_counter() - began

    lp_bound = stage.root()
    stages, nodes = [stage], 0
    if np.isfinite(lp_bound) and not best.proven() and stage.remaining() > 0:
        if (stage.upper < 0.5).sum() > len(barred):
            shrunk = stage.shrink()
            if shrunk is None:
                best.add_bound(np.inf)
            else:
                stage = shrunk
                stages.append(stage)
                stage.root()
        if not best.proven() and stage.remaining() > 0:
            nodes = stage.branch_and_bound()
    if best.proven():
        status = "optimal"
    elif not np.isfinite(best.cost):
        status = "infeasible" if best.bound == np.inf else "no_solution"
    else:
        status = "interrupted" if interrupt.requested() else "time_limit"
    details = {
        "heuristic": heuristic,
        "lp_bound": lp_bound,
        "lp_rounds": sum(s.lp_rounds for s in stages),
        "cuts": sum(s.n_made for s in stages),
        "nodes": nodes,
        "sites_free": int(stage.free_sites().size),
        "seconds_heuristic": seconds_heuristic,
    }
    bound = best.cost if status == "optimal" and mip_gap == 0 else best.bound
    return MedianOutcome(
        status, best.is_open, best.cost, bound, time.perf_counter() - began, details
    )
