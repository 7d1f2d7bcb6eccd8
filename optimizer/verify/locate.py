"""Independent check of a location result against its inputs.

Recomputes from the raw cost matrix (not from the model) every claim a LocateResult makes:
open sites, counts, required and barred sites, each assignment, coverage, capacity use and
the objective value.
"""

from __future__ import annotations

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
    problems: list[str] = []
    problem = result.problem
    open_sites = np.asarray(result.open_sites)
    is_open = np.zeros(m, dtype=bool)
    if open_sites.size and (open_sites.min() < 0 or open_sites.max() >= m):
        problems.append("open_sites holds an index outside the site range")
        raise VerificationError(problems)
    is_open[open_sites] = True
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

    reach = vals <= (radius if radius is not None else np.inf)
    # nearest open site cost per demand unit, within the radius where one applies
    usable = reach & is_open[cols]
    nearest = np.full(n, np.inf)
    np.minimum.at(nearest, rows[usable], vals[usable])
    keys = rows[reach].astype(np.int64) * m + cols[reach]
    order = np.argsort(keys)
    keys, key_cost = keys[order], vals[reach][order]

    def pair_cost(i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """Cost of pairs (i, j) within the radius; NaN where not reachable."""
        want = np.asarray(i, dtype=np.int64) * m + np.asarray(j, dtype=np.int64)
        if keys.size == 0:
            return np.full(want.shape, np.nan)
        pos = np.minimum(np.searchsorted(keys, want), keys.size - 1)
        return np.where(keys[pos] == want, key_cost[pos], np.nan)

    assignment = np.asarray(result.assignment)
    if assignment.shape != (n,):
        problems.append(f"assignment has shape {assignment.shape}, expected ({n},)")
        raise VerificationError(problems)
    assigned = np.flatnonzero(assignment >= 0)
    if (assignment[assigned] >= m).any():
        problems.append("assignment holds a site index outside the site range")
        raise VerificationError(problems)
    assigned_cost = pair_cost(assigned, assignment[assigned])
    for i in assigned[~is_open[assignment[assigned]]][:10]:
        problems.append(f"demand {i} is assigned to closed site {assignment[i]}")
    for i in assigned[np.isnan(assigned_cost)][:10]:
        problems.append(f"demand {i} is assigned to site {assignment[i]}, which it cannot reach")

    if problem in ("lscp", "mclp"):
        covered = np.isfinite(nearest)
        wrong = np.flatnonzero(covered != (assignment >= 0))
        if wrong.size:
            problems.append(f"coverage of demand {wrong[:10].tolist()} is misreported")
        if problem == "lscp":
            if not covered.all():
                problems.append(f"demand {np.flatnonzero(~covered)[:10].tolist()} is uncovered")
            f = np.ones(m) if fixed_costs is None else np.asarray(fixed_costs, dtype=float)
            objective = float(f[is_open].sum())
        else:
            objective = float(w[covered].sum())
    elif problem in ("p-median", "p-center"):
        if not np.isfinite(nearest).all():
            problems.append("some demand unit reaches no open site")
        if (assignment < 0).any():
            problems.append(f"demand {np.flatnonzero(assignment < 0)[:10].tolist()} unassigned")
        near = nearest[assigned]
        farther = assigned[
            np.nan_to_num(assigned_cost, nan=np.inf) > near + 1e-9 * np.maximum(1.0, np.abs(near))
        ]
        if farther.size:
            problems.append(
                f"demand {farther[:10].tolist()} is not assigned to its nearest open site"
            )
        if problem == "p-median":
            objective = float(np.dot(w, nearest))
        else:
            objective = float(nearest[w > 0].max())
    elif problem == "capacitated":
        if result.allocation is None:
            problems.append("capacitated result carries no allocation")
            raise VerificationError(problems)
        d, s, x = (np.asarray(a) for a in result.allocation)
        served = np.bincount(d, weights=x, minlength=n)
        if not np.allclose(served, 1.0, atol=1e-6):
            problems.append(
                f"demand {np.flatnonzero(~np.isclose(served, 1.0))[:10].tolist()} "
                "is not served in full"
            )
        if not is_open[s].all():
            problems.append("demand is allocated to a closed site")
        c = pair_cost(d, s)
        if np.isnan(c).any():
            problems.append("demand is allocated over a pair that is not reachable")
        load = np.bincount(s, weights=w[d] * x, minlength=m)
        cap = np.full(m, np.inf) if capacities is None else np.asarray(capacities, dtype=float)
        over = np.flatnonzero(load > cap * (1 + 1e-6) + 1e-6)
        if over.size:
            problems.append(f"sites {over[:10].tolist()} exceed their capacity")
        if single_source and not np.all((x < 1e-6) | (x > 1 - 1e-6)):
            problems.append("single-source plan splits a demand unit")
        f = np.zeros(m) if fixed_costs is None else np.asarray(fixed_costs, dtype=float)
        objective = float(np.nansum(w[d] * c * x) + f[is_open].sum())
    else:
        problems.append(f"unknown problem {problem!r}")
        raise VerificationError(problems)

    tol = rtol * max(1.0, abs(objective))
    if abs(objective - result.objective) > tol:
        problems.append(f"objective claimed {result.objective!r}, recomputed {objective!r}")
    maximise = problem == "mclp"
    if maximise and result.bound < result.objective - tol:
        problems.append(f"bound {result.bound} is below the objective of a maximisation")
    if not maximise and result.bound > result.objective + tol:
        problems.append(f"bound {result.bound} is above the objective of a minimisation")
    if result.status == "optimal" and result.gap > mip_gap + 1e-6:
        problems.append(f"status optimal with gap {result.gap} above mip_gap {mip_gap}")
    if problems:
        raise VerificationError(problems)
