"""Independent check of a location result against its inputs.

Recomputes from the raw cost matrix (not from the model) every claim a LocateResult makes:
open sites, counts, required and barred sites, each assignment, coverage, capacity use and
the objective value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from optimizer.errors import VerificationError
from optimizer.results import LocateResult


def _triples(cost) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[int, int]]:
    if sp.issparse(cost):
        coo = sp.coo_array(cost)
        keep = np.isfinite(coo.data)
        return coo.row[keep], coo.col[keep], np.asarray(coo.data[keep], float), coo.shape
    if isinstance(cost, np.ma.MaskedArray):  # a masked pair is unreachable, as in locate
        dense = np.ma.asarray(cost, dtype=float).filled(np.inf)
    else:
        dense = np.asarray(cost, dtype=float)
    rows, cols = np.nonzero(np.isfinite(dense))
    return rows, cols, dense[rows, cols], dense.shape


class _Pairs:
    """The reachable (demand, site) pairs within the radius, with their costs."""

    def __init__(
        self, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, m: int, radius: float | None
    ) -> None:
        self.rows, self.cols, self.vals, self.m = rows, cols, vals, m
        self.reach = vals <= (radius if radius is not None else np.inf)
        keys = rows[self.reach].astype(np.int64) * m + cols[self.reach]
        order = np.argsort(keys)
        self.keys, self.key_cost = keys[order], vals[self.reach][order]

    def nearest(self, is_open: np.ndarray, n: int) -> np.ndarray:
        """Per demand unit: the cost to its nearest open site within the radius (inf if none)."""
        usable = self.reach & is_open[self.cols]
        nearest = np.full(n, np.inf)
        np.minimum.at(nearest, self.rows[usable], self.vals[usable])
        return nearest

    def cost(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """Cost of pairs (i, j) within the radius; NaN where not reachable."""
        want = np.asarray(i, dtype=np.int64) * self.m + np.asarray(j, dtype=np.int64)
        if self.keys.size == 0:
            return np.full(want.shape, np.nan)
        pos = np.minimum(np.searchsorted(self.keys, want), self.keys.size - 1)
        return np.where(self.keys[pos] == want, self.key_cost[pos], np.nan)


@dataclass(frozen=True)
class _Claims:
    """The result read against the cost matrix: the weights, open sites (mask), each unit's
    cost to its nearest open site, the assignment (site per unit, -1 when none), the assigned
    units and the cost of each one's assigned pair (NaN when not reachable)."""

    weights: np.ndarray
    is_open: np.ndarray
    nearest: np.ndarray
    assignment: np.ndarray
    assigned: np.ndarray
    assigned_cost: np.ndarray


def verify_locate(
    result: LocateResult,
    cost,
    *,
    weights=None,
    p: int | None = None,
    radius: float | None = None,
    capacities=None,
    fixed_costs=None,
    required=None,
    barred=None,
    single_source: bool = False,
    mip_gap: float = 0.0,
    rtol: float = 1e-6,
) -> None:
    """Raise VerificationError unless ``result`` is a feasible plan whose figures are right.

    ``cost`` as for :func:`optimizer.locate` (``inf``, a masked entry of a ``numpy.ma`` array
    or a pair a sparse matrix does not store is unreachable).
    """
    rows, cols, vals, (n, m) = _triples(cost)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    open_sites = np.asarray(result.open_sites)
    is_open = _open_mask(open_sites, m)
    problems = _open_problems(open_sites, is_open, required, barred, p)
    pairs = _Pairs(rows, cols, vals, m, radius)
    assignment = _checked_assignment(result, n, m, problems)
    assigned = np.flatnonzero(assignment >= 0)
    claims = _Claims(
        weights=w,
        is_open=is_open,
        nearest=pairs.nearest(is_open, n),
        assignment=assignment,
        assigned=assigned,
        assigned_cost=pairs.cost(assigned, assignment[assigned]),
    )
    problems += _assigned_problems(claims)
    found, objective = _problem_section(
        result, claims, pairs, problems, capacities, fixed_costs, single_source
    )
    problems += found
    problems += _objective_problems(result, objective, mip_gap, rtol)
    if problems:
        raise VerificationError(problems)


def _open_mask(open_sites: np.ndarray, m: int) -> np.ndarray:
    """Mask of the ``m`` sites that ``open_sites`` opens (VerificationError on an index out
    of range)."""
    problems: list[str] = []
    is_open = np.zeros(m, dtype=bool)
    if open_sites.size and (open_sites.min() < 0 or open_sites.max() >= m):
        problems.append("open_sites holds an index outside the site range")
        raise VerificationError(problems)
    is_open[open_sites] = True
    return is_open


def _open_problems(
    open_sites: np.ndarray, is_open: np.ndarray, required, barred, p: int | None
) -> list[str]:
    """Sites listed twice, required sites closed, barred sites open and the count against
    ``p``."""
    problems: list[str] = []
    if np.unique(open_sites).size != open_sites.size:
        problems.append("open_sites lists a site twice")
    for j in np.asarray([] if required is None else required, dtype=int):
        if not is_open[j]:
            problems.append(f"required site {j} is closed")
    for j in np.asarray([] if barred is None else barred, dtype=int):
        if is_open[j]:
            problems.append(f"barred site {j} is open")
    if p is not None and is_open.sum() != p:
        problems.append(f"{is_open.sum()} sites open, p = {p}")
    return problems


def _checked_assignment(result: LocateResult, n: int, m: int, found: list[str]) -> np.ndarray:
    """The result's assignment (one site index per demand unit, -1 when none); raise
    VerificationError with ``found`` and the finding when its shape or an index is wrong."""
    problems = list(found)
    assignment = np.asarray(result.assignment)
    if assignment.shape != (n,):
        problems.append(f"assignment has shape {assignment.shape}, expected ({n},)")
        raise VerificationError(problems)
    if (assignment[assignment >= 0] >= m).any():
        problems.append("assignment holds a site index outside the site range")
        raise VerificationError(problems)
    return assignment


def _assigned_problems(c: _Claims) -> list[str]:
    """The first 10 units assigned to a closed site and the first 10 assigned to a site they
    cannot reach."""
    problems: list[str] = []
    assigned, assignment = c.assigned, c.assignment
    for i in assigned[~c.is_open[assignment[assigned]]][:10]:
        problems.append(f"demand {i} is assigned to closed site {assignment[i]}")
    for i in assigned[np.isnan(c.assigned_cost)][:10]:
        problems.append(f"demand {i} is assigned to site {assignment[i]}, which it cannot reach")
    return problems


def _problem_section(
    result: LocateResult,
    c: _Claims,
    pairs: _Pairs,
    found: list[str],
    capacities,
    fixed_costs,
    single_source: bool,
) -> tuple[list[str], float]:
    """The findings of the result's problem type and the objective recomputed for it; an
    unknown type raises VerificationError with ``found`` and that finding."""
    problem = result.problem
    if problem in ("lscp", "mclp"):
        return _covering_problems(problem, c, fixed_costs)
    elif problem in ("p-median", "p-center"):
        return _median_problems(problem, c)
    elif problem == "capacitated":
        d, s, x = _allocation(result, found)
        return _capacitated_problems(c, pairs, (d, s, x), capacities, fixed_costs, single_source)
    else:
        problems = list(found)
        problems.append(f"unknown problem {problem!r}")
        raise VerificationError(problems)


def _covering_problems(problem: str, c: _Claims, fixed_costs) -> tuple[list[str], float]:
    """Coverage (lscp, mclp): units whose coverage the assignment misreports, uncovered units
    (lscp); the objective is the fixed cost of the open sites (lscp, 1 each by default) or the
    weight covered (mclp)."""
    problems: list[str] = []
    m = c.is_open.size
    covered = np.isfinite(c.nearest)
    wrong = np.flatnonzero(covered != (c.assignment >= 0))
    if wrong.size:
        problems.append(f"coverage of demand {wrong[:10].tolist()} is misreported")
    if problem == "lscp":
        if not covered.all():
            problems.append(f"demand {np.flatnonzero(~covered)[:10].tolist()} is uncovered")
        f = np.ones(m) if fixed_costs is None else np.asarray(fixed_costs, dtype=float)
        objective = float(f[c.is_open].sum())
    else:
        objective = float(c.weights[covered].sum())
    return problems, objective


def _median_problems(problem: str, c: _Claims) -> tuple[list[str], float]:
    """p-median, p-center: units that reach no open site, are unassigned or not assigned to
    their nearest open site; the objective is the weighted cost sum (p-median) or the largest
    cost of a weighted unit (p-center)."""
    problems: list[str] = []
    assignment, assigned = c.assignment, c.assigned
    if not np.isfinite(c.nearest).all():
        problems.append("some demand unit reaches no open site")
    if (assignment < 0).any():
        problems.append(f"demand {np.flatnonzero(assignment < 0)[:10].tolist()} unassigned")
    near = c.nearest[assigned]
    farther = assigned[
        np.nan_to_num(c.assigned_cost, nan=np.inf) > near + 1e-9 * np.maximum(1.0, np.abs(near))
    ]
    if farther.size:
        problems.append(f"demand {farther[:10].tolist()} is not assigned to its nearest open site")
    if problem == "p-median":
        objective = float(np.dot(c.weights, c.nearest))
    else:
        objective = float(c.nearest[c.weights > 0].max(initial=0.0))
    return problems, objective


def _allocation(
    result: LocateResult, found: list[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The capacitated result's allocation (demand, site, fraction arrays); raise
    VerificationError with ``found`` and the finding when it has none."""
    problems = list(found)
    if result.allocation is None:
        problems.append("capacitated result carries no allocation")
        raise VerificationError(problems)
    d, s, x = (np.asarray(a) for a in result.allocation)
    return d, s, x


def _capacitated_problems(
    c: _Claims,
    pairs: _Pairs,
    allocation: tuple[np.ndarray, np.ndarray, np.ndarray],
    capacities,
    fixed_costs,
    single_source: bool,
) -> tuple[list[str], float]:
    """Capacitated: units not served in full, allocations to closed sites or over pairs not
    reachable, sites over capacity (weight), split units of a single-source plan; the
    objective is the allocated cost plus the fixed cost of the open sites."""
    problems: list[str] = []
    d, s, x = allocation
    n, m = c.assignment.size, c.is_open.size
    w = c.weights
    served = np.bincount(d, weights=x, minlength=n)
    if not np.allclose(served, 1.0, atol=1e-6):
        problems.append(
            f"demand {np.flatnonzero(~np.isclose(served, 1.0))[:10].tolist()} is not served in full"
        )
    if not c.is_open[s].all():
        problems.append("demand is allocated to a closed site")
    cost = pairs.cost(d, s)
    if np.isnan(cost).any():
        problems.append("demand is allocated over a pair that is not reachable")
    load = np.bincount(s, weights=w[d] * x, minlength=m)
    cap = np.full(m, np.inf) if capacities is None else np.asarray(capacities, dtype=float)
    over = np.flatnonzero(load > cap * (1 + 1e-6) + 1e-6)
    if over.size:
        problems.append(f"sites {over[:10].tolist()} exceed their capacity")
    if single_source and not np.all((x < 1e-6) | (x > 1 - 1e-6)):
        problems.append("single-source plan splits a demand unit")
    f = np.zeros(m) if fixed_costs is None else np.asarray(fixed_costs, dtype=float)
    objective = float(np.nansum(w[d] * cost * x) + f[c.is_open].sum())
    return problems, objective


def _objective_problems(
    result: LocateResult, objective: float, mip_gap: float, rtol: float
) -> list[str]:
    """The claimed objective against ``objective`` (relative ``rtol``), the bound on the
    wrong side of it, and an optimal status with a gap above ``mip_gap``."""
    problems: list[str] = []
    tol = rtol * max(1.0, abs(objective))
    if abs(objective - result.objective) > tol:
        problems.append(f"objective claimed {result.objective!r}, recomputed {objective!r}")
    maximise = result.problem == "mclp"
    if maximise and result.bound < result.objective - tol:
        problems.append(f"bound {result.bound} is below the objective of a maximisation")
    if not maximise and result.bound > result.objective + tol:
        problems.append(f"bound {result.bound} is above the objective of a minimisation")
    if result.status == "optimal" and result.gap > mip_gap + 1e-6:
        problems.append(f"status optimal with gap {result.gap} above mip_gap {mip_gap}")
    return problems
