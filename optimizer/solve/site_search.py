"""Best-first branch and bound over the binary site columns of a covering model.

Each node's bound is the model's LP relaxation with some sites fixed open or closed,
solved by HiGHS: the root by interior point when it is large or sparse (``highs.cold_solver``),
every other node by dual simplex from its parent's optimal basis. Sites whose reduced
cost shows that flipping them cannot lead to a better plan are fixed at every node. Every
``HEURISTIC_EVERY`` nodes the LP solution is rounded (by the caller) and dived from.

A node branches on the fractional site whose two children promise the largest bound change
(the product of the two, as in SCIP): each site's pseudocosts are the bound changes seen
per unit of its LP value moved when it was fixed open or closed. A site without one such
change each way is strong branched first, its two children solved from the node's basis,
one site per node; a child that cannot beat the incumbent fixes the site the other way. The
caller prices plans; the search needs only that the LP value at integral site values is
the value of that plan (true of the maximal and set covering models of
``models.covering``, whose other columns are continuous).

Plans are compared through their score, the objective for a maximisation and its negative
for a minimisation, so that a better plan always scores more.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import highspy
import numpy as np

from models.matrix import MatrixModel
from optimizer import interrupt
from optimizer.solve import highs
from optimizer.solve.highs import pass_relaxation, quiet_highs
from optimizer.solve.pseudocosts import Pseudocosts

_OPTIMAL = highspy.HighsModelStatus.kOptimal
_INFEASIBLE = highspy.HighsModelStatus.kInfeasible
HEURISTIC_EVERY = 4  # nodes between two roundings and dives from a node's LP solution
SLACK = 1e-9  # relative tolerance of an LP bound (HiGHS's LP tolerances)


@dataclass
class SearchOutcome:
    """The best plan found (a site mask), its objective and the proven bound.

    ``status`` is "optimal" (within the gap), "time_limit", "interrupted" or "infeasible"
    (the LP relaxation has no solution). ``root`` is the LP bound of the whole model,
    ``nodes`` the nodes whose LP was solved (the root is node 1; a child solved by strong
    branching counts once); the model's size is in ``n_cols``,
    ``n_rows`` and ``n_nonzeros``.
    """

    status: str
    is_open: np.ndarray
    objective: float
    bound: float
    root: float
    nodes: int
    seconds: float
    n_cols: int
    n_rows: int
    n_nonzeros: int


@dataclass(order=True)
class _Node:
    key: float  # minus the best score a plan of this node can reach (its parent's LP bound)
    order: int
    lower: np.ndarray = field(compare=False)
    upper: np.ndarray = field(compare=False)
    basis: highspy.HighsBasis | None = field(compare=False, default=None)
    # the branching that made this node: site, its value here, its LP value and the bound
    # of the parent (pseudocost bookkeeping); None at the root
    branched: tuple[int, float, float, float] | None = field(compare=False, default=None)

    @property
    def score(self) -> float:
        return -self.key


def branch_and_bound(
    model: MatrixModel,
    sites: np.ndarray,
    *,
    value: Callable[[np.ndarray], float],
    rounding: Callable[[np.ndarray], np.ndarray],
    start: np.ndarray,
    step: float,
    time_limit: float,
    mip_gap: float,
) -> SearchOutcome:
    """Search for the best plan over the binary columns ``sites`` of ``model``.

    ``value(mask)`` is the objective of a plan (a site mask over ``sites``),
    ``rounding(y)`` a plan made from LP site values ``y``, ``start`` the first
    incumbent. ``step`` is the least amount by which one plan can beat another (1 when
    every plan's objective is whole, else 0). ``time_limit`` is in seconds.
    """
    search = _Search(model, sites, value, step, mip_gap, start, time.perf_counter() + time_limit)
    heap = [_Node(-np.inf, 0, search.lower, search.upper)]
    nodes, root, order = 0, np.nan, 0
    best = search.best
    costs = Pseudocosts(search.cols.size)
    while heap:
        node = heapq.heappop(heap)
        if node.score < best.need():
            continue
        status = search.solve(node.lower, node.upper, node.basis)
        if status == "infeasible":
            continue
        if status != "optimal":
            heapq.heappush(heap, node)
            break
        nodes += 1
        bound, y, reduced = search.solution()
        if node.branched is not None:
            site, value, lp_value, parent = node.branched
            costs.record(site, value, lp_value, parent - bound)
        if nodes == 1:
            root = search.sign * bound
        if bound < best.need():
            continue
        fraction = np.abs(y - np.round(y))
        if fraction.max() < 1e-6:
            best.offer(y > 0.5)
            continue
        basis = search.lp.getBasis()
        if nodes % HEURISTIC_EVERY == 1:
            best.offer(rounding(y))
            search.dive(node.lower, node.upper, y)
        # flipping a site from its bound moves the LP value by at most its reduced cost
        lower, upper = node.lower.copy(), node.upper.copy()
        free = (lower < 0.5) & (upper > 0.5)
        upper[free & (bound + reduced < best.need())] = 0.0
        lower[free & (bound - reduced < best.need())] = 1.0
        sites = np.flatnonzero((lower < 0.5) & (upper > 0.5) & (fraction >= 1e-6))
        k, children, pruned = _branching(search, costs, sites, lower, upper, basis, y, bound)
        nodes += pruned
        if k == _PRUNED:
            continue
        if k == _SETTLED:  # fixing settled every fractional site: solve the node again
            order += 1
            heapq.heappush(heap, _Node(-bound, order, lower, upper, basis))
            continue
        for v in (1.0, 0.0):
            child_lower, child_upper = lower.copy(), upper.copy()
            child_lower[k] = child_upper[k] = v
            order += 1
            if v in children:  # solved by strong branching, its pseudocost recorded
                child_bound, child_basis = children[v]
                child = _Node(-child_bound, order, child_lower, child_upper, child_basis)
            else:
                branched = (k, v, float(y[k]), bound)
                child = _Node(-bound, order, child_lower, child_upper, basis, branched)
            heapq.heappush(heap, child)
    if nodes == 0 and not heap:
        status = "infeasible"
    elif not heap or heap[0].score < best.need():
        status = "optimal"
    else:
        status = "interrupted" if interrupt.requested() else "time_limit"
    open_bound = max((n.score for n in heap), default=-np.inf)
    return SearchOutcome(
        status,
        best.is_open,
        best.objective,
        search.sign * best.proven(open_bound),
        root,
        nodes,
        time.perf_counter() - search.began,
        model.n_cols,
        model.n_rows,
        search.nonzeros,
    )


_PRUNED, _SETTLED = -1, -2  # no branching: no child can beat the incumbent / no site left


def _branching(
    search: _Search,
    costs: Pseudocosts,
    sites: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    basis: highspy.HighsBasis,
    y: np.ndarray,
    bound: float,
) -> tuple[int, dict[float, tuple[float, highspy.HighsBasis] | None], int]:
    """The site to branch on among the free fractional ``sites`` of a node (LP bound
    ``bound``, site values ``y``, optimal ``basis``), and the children strong branching
    solved for it (see ``_strong_branch``), and the number of strong-branched children
    pruned. A strong-branched site with a child that cannot beat the incumbent is fixed the
    other way in ``lower``/``upper``. The site is ``_PRUNED`` when neither child can beat
    the incumbent, ``_SETTLED`` when no site is left to branch on."""
    untried = sites[~costs.reliable(sites)]
    if untried.size:
        k = costs.best(untried, y)
        children = _strong_branch(search, costs, k, lower, upper, basis, y[k], bound)
        pruned = [v for v, child in children.items() if child is None]
        if len(pruned) == 2:
            return _PRUNED, {}, 2
        if pruned:
            lower[k] = upper[k] = 1.0 - pruned[0]
            sites = sites[sites != k]
        chosen = costs.best(sites, y) if sites.size else _SETTLED
        return chosen, children if chosen == k else {}, len(pruned)
    if sites.size == 0:
        return _SETTLED, {}, 0
    return costs.best(sites, y), {}, 0


def _strong_branch(
    search: _Search,
    costs: Pseudocosts,
    k: int,
    lower: np.ndarray,
    upper: np.ndarray,
    basis: highspy.HighsBasis,
    lp_value: float,
    bound: float,
) -> dict[float, tuple[float, highspy.HighsBasis] | None]:
    """Solve the two children of fixing site ``k`` closed and open (from the node's
    ``basis``; the node has site bounds ``lower``, ``upper``, LP bound ``bound`` and site
    ``k`` at ``lp_value``) and record their bound changes. Returns, per value solved, the
    child's bound and optimal basis, or None when it cannot beat the incumbent."""
    children: dict[float, tuple[float, highspy.HighsBasis] | None] = {}
    for v in (0.0, 1.0):
        child_lower, child_upper = lower.copy(), upper.copy()
        child_lower[k] = child_upper[k] = v
        search.lp.setBasis(basis)
        status = search.solve(child_lower, child_upper)
        if status == "stopped":
            break
        child = search.solution()[0] if status == "optimal" else -np.inf
        if np.isfinite(child):
            costs.record(k, v, lp_value, bound - child)
        fits = child >= search.best.need()
        children[v] = (child, search.lp.getBasis()) if fits else None
    return children


class _Search:
    """The model's LP relaxation in one HiGHS object (``lp``), the site columns and the
    incumbent."""

    def __init__(
        self,
        model: MatrixModel,
        sites: np.ndarray,
        value: Callable[[np.ndarray], float],
        step: float,
        mip_gap: float,
        start: np.ndarray,
        deadline: float,
    ) -> None:
        self.began, self.deadline = time.perf_counter(), deadline
        self.sign = 1.0 if model.sense == "max" else -1.0
        arrays = model.arrays()
        self.nonzeros = int(arrays["matrix"].nnz)
        self.lp = quiet_highs()
        self.scale = pass_relaxation(self.lp, arrays, model.sense)
        self.cols = np.asarray(sites, dtype=np.int32)
        self.lower = np.asarray(arrays["col_lower"], dtype=float)[self.cols]
        self.upper = np.asarray(arrays["col_upper"], dtype=float)[self.cols]
        self.best = _Best(self.sign, step, mip_gap, value, start)
        self.lp.setOptionValue("solver", highs.cold_solver(model.n_rows, self.nonzeros))

    def solve(self, lower: np.ndarray, upper: np.ndarray, basis=None) -> str:
        """Solve the LP with site bounds ``lower``, ``upper`` (from ``basis`` when given):
        "optimal", "infeasible" or "stopped" (time, or a stop requested)."""
        remaining = self.deadline - time.perf_counter()
        if remaining <= 0 or interrupt.requested():
            return "stopped"
        self.lp.changeColsBounds(self.cols.size, self.cols, lower, upper)
        if basis is not None:
            self.lp.setBasis(basis)
        self.lp.setOptionValue("time_limit", self.lp.getRunTime() + remaining)
        interrupt.run(self.lp)
        self.lp.setOptionValue("solver", "simplex")  # later LPs start from a basis
        status = self.lp.getModelStatus()
        if status == _INFEASIBLE:
            return "infeasible"
        return "optimal" if status == _OPTIMAL else "stopped"

    def solution(self) -> tuple[float, np.ndarray, np.ndarray]:
        """The last LP's score, site values and site reduced costs (in score units)."""
        bound = self.sign * self.lp.getInfo().objective_function_value * self.scale
        solution = self.lp.getSolution()
        y = np.asarray(solution.col_value)[self.cols]
        reduced = self.sign * np.asarray(solution.col_dual)[self.cols] * self.scale
        return bound, y, reduced

    def dive(self, lower: np.ndarray, upper: np.ndarray, y: np.ndarray) -> None:
        """Open the fractional site of largest value, solve the LP again and repeat until
        its solution is integral (a plan, offered) or it cannot beat the incumbent."""
        lower = lower.copy()
        while True:
            fractional = np.flatnonzero(np.abs(y - np.round(y)) >= 1e-6)
            if fractional.size == 0:
                self.best.offer(y > 0.5)
                return
            lower[fractional[np.argmax(y[fractional])]] = 1.0
            if self.solve(lower, upper) != "optimal":
                return
            bound, y, _reduced = self.solution()
            if bound < self.best.need():
                return


class _Best:
    """The incumbent plan and the score a plan needs to beat it."""

    def __init__(
        self,
        sign: float,
        step: float,
        mip_gap: float,
        value: Callable[[np.ndarray], float],
        start: np.ndarray,
    ) -> None:
        self.sign, self.step, self.mip_gap, self.value = sign, step, mip_gap, value
        self.is_open, self.objective = start.copy(), value(start)

    def offer(self, is_open: np.ndarray) -> None:
        """Keep the plan ``is_open`` when it beats the incumbent."""
        objective = self.value(is_open)
        if self.sign * objective > self.sign * self.objective:
            self.is_open, self.objective = is_open.copy(), objective

    def room(self) -> float:
        """How much more than the incumbent's score a plan must score to count."""
        slack = SLACK * max(1.0, abs(self.objective))
        return max(self.step - slack, self.mip_gap * max(1.0, abs(self.objective)), slack)

    def need(self) -> float:
        return self.sign * self.objective + self.room()

    def proven(self, open_bound: float) -> float:
        """The bound on the best score: the best open node's, else the incumbent's (plus
        the gap allowed, when the gap and not the step closed the search)."""
        score = self.sign * self.objective
        if open_bound >= self.need():
            return max(open_bound, score)
        gap_room = self.mip_gap * max(1.0, abs(self.objective))
        return score + (gap_room if gap_room > self.step else 0.0)
