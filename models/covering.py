"""Covering models: location set covering (LSCP) and maximal covering (MCLP).

Both work on coverage pairs (demand i is covered by site j when cost_ij <= radius).
Demand units with identical coverage sets are merged into one row, and units already
covered by a required site are dropped, before the model is built.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from models.matrix import MatrixModel, count_row, site_variables
from models.pairs import CostPairs


@dataclass
class CoverageGroups:
    """Demand units merged by identical coverage set.

    ``group_of[i]`` is the group of demand unit i (-1 when it needs no row: covered by a
    required site, or covered by no site); the pairs ``(group, site)`` list each group's
    coverage set once; ``weight[g]`` sums the weights of its units.
    """

    n_groups: int
    group_of: np.ndarray
    group: np.ndarray
    site: np.ndarray
    weight: np.ndarray


def coverage_groups(cover: CostPairs, weights: np.ndarray, required: np.ndarray) -> CoverageGroups:
    """Merge demand units with identical coverage sets, skipping those a required site covers."""
    is_required = np.zeros(cover.n_sites, dtype=bool)
    is_required[required] = True
    by_required = np.zeros(cover.n_demand, dtype=bool)
    by_required[cover.demand[is_required[cover.site]]] = True
    counts = np.diff(cover.indptr)
    candidates = np.flatnonzero(~by_required & (counts > 0))

    group_of = np.full(cover.n_demand, -1, dtype=np.int64)
    keys: dict[bytes, int] = {}
    group_sites: list[np.ndarray] = []
    for i in candidates:
        sites = np.sort(cover.site[cover.indptr[i] : cover.indptr[i + 1]])
        key = sites.tobytes()
        g = keys.get(key)
        if g is None:
            g = len(group_sites)
            keys[key] = g
            group_sites.append(sites)
        group_of[i] = g
    n_groups = len(group_sites)
    sizes = np.array([s.size for s in group_sites], dtype=np.int64)
    group = np.repeat(np.arange(n_groups), sizes)
    site = np.concatenate(group_sites) if n_groups else np.zeros(0, np.int64)
    kept = group_of >= 0
    weight = np.bincount(group_of[kept], weights=weights[kept], minlength=n_groups)
    return CoverageGroups(n_groups, group_of, group, site, weight)


def coverage_matrix(groups: CoverageGroups, n_sites: int) -> sp.csr_array:
    """The 0/1 groups x sites coverage matrix (int32, CSR)."""
    ones = np.ones(groups.site.size, dtype=np.int32)
    return sp.csr_array((ones, (groups.group, groups.site)), shape=(groups.n_groups, n_sites))


def set_cover_model(
    groups: CoverageGroups,
    n_sites: int,
    *,
    site_cost: np.ndarray,
    required: np.ndarray,
    barred: np.ndarray,
) -> MatrixModel:
    """LSCP: open sites of least total cost so every group is covered.

    min sum_j f_j y_j  s.t.  sum_{j covers g} y_j >= 1 for every group g.
    """
    model = MatrixModel(sense="min")
    y = site_variables(model, n_sites, cost=site_cost, required=required, barred=barred)
    model.add_rows("cover", groups.n_groups, groups.group, y.index(groups.site), 1.0, lower=1.0)
    return model


def max_cover_model(
    groups: CoverageGroups,
    n_sites: int,
    *,
    p: int,
    required: np.ndarray,
    barred: np.ndarray,
    covered_by_required: float,
) -> MatrixModel:
    """MCLP: open exactly p sites to maximise the covered weight.

    max sum_g w_g z_g  s.t.  z_g <= sum_{j covers g} y_j,  sum_j y_j = p,  0 <= z_g <= 1.
    Weight already covered by required sites enters as a constant.
    """
    model = MatrixModel(sense="max", offset=covered_by_required)
    y = site_variables(model, n_sites, cost=0.0, required=required, barred=barred)
    z = model.add_variables("z", groups.n_groups, cost=groups.weight, upper=1.0)
    g = np.arange(groups.n_groups)
    rows = np.concatenate([g, groups.group])
    cols = np.concatenate([z.index(g), y.index(groups.site)])
    vals = np.concatenate([np.ones(groups.n_groups), -np.ones(groups.site.size)])
    model.add_rows("cover", groups.n_groups, rows, cols, vals, upper=0.0)
    count_row(model, y, p)
    return model


def greedy_cover(
    groups: CoverageGroups, n_sites: int, p: int, *, required: np.ndarray, allowed: np.ndarray
) -> np.ndarray:
    """A maximal-covering plan of p sites: the ``required`` ones, then one allowed site at a
    time covering the most weight not yet covered (ties: the lowest index); once every
    group is covered, the lowest-indexed allowed sites left. Returns a site mask (fewer than
    p sites only when too few are allowed)."""
    is_open = np.zeros(n_sites, dtype=bool)
    is_open[required] = True
    covered = np.zeros(groups.n_groups, dtype=bool)
    by_site = np.argsort(groups.site, kind="stable")
    site_ptr = np.searchsorted(groups.site[by_site], np.arange(n_sites + 1))

    def open_site(j: int) -> None:
        is_open[j] = True
        covered[groups.group[by_site[site_ptr[j] : site_ptr[j + 1]]]] = True

    for j in np.flatnonzero(is_open).tolist():
        open_site(j)
    while is_open.sum() < p:
        candidate = allowed & ~is_open
        if not candidate.any():
            break
        uncovered = np.where(covered, 0.0, groups.weight)[groups.group]
        gain = np.bincount(groups.site, weights=uncovered, minlength=n_sites)
        gain[~candidate] = -1.0
        open_site(int(np.argmax(gain)))
    return is_open


def improve_cover(
    groups: CoverageGroups, n_sites: int, is_open: np.ndarray, *, allowed: np.ndarray
) -> np.ndarray:
    """``is_open`` improved by swaps: while closing one open allowed site and opening
    another allowed one covers more weight, make the best such swap (ties: the lowest
    indices). Returns a new site mask with as many sites."""
    is_open = is_open.copy()
    matrix = coverage_matrix(groups, n_sites)
    by_site = sp.csc_array(matrix)
    while True:
        count = matrix @ is_open.astype(float)
        free_gain = by_site.T @ np.where(count == 0, groups.weight, 0.0)
        only = np.flatnonzero(count == 1)
        # the one open site of each group covered once
        owner = (matrix[only] @ sp.diags_array(is_open.astype(float))).tocsr()
        owner_site = owner.indices[owner.indptr[:-1]]
        best = (0.0, -1, -1)
        for j in np.flatnonzero(is_open & allowed).tolist():
            mine = only[owner_site == j]
            loss = float(groups.weight[mine].sum())
            regain = sp.csr_array(matrix[mine]).T @ groups.weight[mine]
            gain = free_gain + regain - loss
            gain[~allowed | is_open] = -np.inf
            k = int(np.argmax(gain))
            if gain[k] > best[0] + 1e-9 * max(1.0, loss):
                best = (float(gain[k]), j, k)
        if best[1] < 0:
            return is_open
        is_open[best[1]] = False
        is_open[best[2]] = True


def cover_from(
    groups: CoverageGroups, n_sites: int, y: np.ndarray, *, site_cost: np.ndarray
) -> np.ndarray:
    """A set cover made from site values ``y`` (an LP solution): sites by decreasing y
    (ties: the lowest index) until every group is covered, then each chosen site that no
    group needs dropped, the costliest first. Only sites with y > 0 are taken, so ``y``
    must cover every group (as an LP cover does). Returns a site mask."""
    by_site = sp.csc_array(coverage_matrix(groups, n_sites))
    count = np.zeros(groups.n_groups)
    is_open = np.zeros(n_sites, dtype=bool)
    order = np.argsort(-y, kind="stable")
    for j in order[y[order] > 0].tolist():
        if count.all():
            break
        rows = by_site.indices[by_site.indptr[j] : by_site.indptr[j + 1]]
        if (count[rows] == 0).any():
            is_open[j] = True
            count[rows] += 1
    for j in np.flatnonzero(is_open)[np.argsort(-site_cost[is_open], kind="stable")].tolist():
        rows = by_site.indices[by_site.indptr[j] : by_site.indptr[j + 1]]
        if (count[rows] >= 2).all():
            is_open[j] = False
            count[rows] -= 1
    return is_open
