"""Exact size reductions for the covering models (dominated rows and sites, forced sites).

Coverage is a 0/1 matrix of demand groups x sites. The reductions keep at least one
optimal plan of the original problem:

* set covering: a site that is the only cover of some group must open; a group whose
  coverage set contains another group's set is covered whenever that group is; a site whose
  coverage set lies inside another site's set, at no lower cost, can stay closed.
* maximal covering with exactly p sites: a site whose coverage set lies inside another's can
  stay closed, as long as enough sites remain to open p.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from models.covering import CoverageGroups, coverage_matrix


@dataclass
class SetCoverReduction:
    """What the set-cover reductions proved.

    ``groups`` keeps only the groups still needing a row (renumbered); ``forced`` are sites
    that must open (beyond the required ones); ``closed`` are sites that may stay closed.
    Site indices are those of the original problem.
    """

    groups: CoverageGroups
    forced: np.ndarray
    closed: np.ndarray
    rounds: int


def _contained(matrix: sp.csr_array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (a, b), a != b, of rows whose sets satisfy set(a) <= set(b); and row sizes."""
    size = np.diff(matrix.indptr)
    overlap = (matrix @ matrix.T).tocoo()
    inside = (overlap.data == size[overlap.row]) & (overlap.row != overlap.col)
    return overlap.row[inside].astype(np.int64), overlap.col[inside].astype(np.int64), size


def _dominated_rows(matrix: sp.csr_array) -> np.ndarray:
    """Rows whose set contains another row's set (of equal sets the first is kept)."""
    a, b, size = _contained(matrix)
    drop = (size[a] < size[b]) | (a < b)
    return np.unique(b[drop])


def _dominated_columns(matrix: sp.csr_array, cost: np.ndarray) -> np.ndarray:
    """Columns whose set lies inside another column's set at no lower cost.

    Of two columns with equal sets and equal costs the first is kept. Empty columns are
    always dominated (cost >= 0).
    """
    columns = sp.csr_array(matrix.T)
    a, b, size = _contained(columns)
    drop = (cost[a] > cost[b]) | ((cost[a] == cost[b]) & ((size[a] < size[b]) | (a > b)))
    return np.union1d(a[drop], np.flatnonzero(size == 0))


def _restrict(groups: CoverageGroups, rows: np.ndarray) -> CoverageGroups:
    """The groups listed in ``rows`` (sorted), renumbered 0..len(rows)-1."""
    new_index = np.full(groups.n_groups, -1, dtype=np.int64)
    new_index[rows] = np.arange(rows.size)
    keep = new_index[groups.group] >= 0
    group_of = np.full_like(groups.group_of, -1)
    grouped = groups.group_of >= 0
    group_of[grouped] = new_index[groups.group_of[grouped]]
    return CoverageGroups(
        rows.size, group_of, new_index[groups.group[keep]], groups.site[keep], groups.weight[rows]
    )


def weighted_groups(groups: CoverageGroups) -> CoverageGroups:
    """The groups of positive weight (the others cannot change a maximal-covering optimum)."""
    return _restrict(groups, np.flatnonzero(groups.weight > 0))


def reduce_set_cover(
    groups: CoverageGroups,
    n_sites: int,
    *,
    site_cost: np.ndarray,
    fixed: np.ndarray,
) -> SetCoverReduction:
    """Shrink a set-cover instance by forced sites and dominated rows and sites.

    ``fixed`` lists sites whose state is already decided (required or barred); they are
    neither dropped nor forced here, and no group counts on them. Costs must be >= 0.
    Groups covered by a forced site get no row; ``group_of`` of their units becomes -1.
    """
    matrix = coverage_matrix(groups, n_sites)
    live_rows = np.ones(groups.n_groups, dtype=bool)
    live_sites = np.ones(n_sites, dtype=bool)
    live_sites[fixed] = False
    forced = np.zeros(n_sites, dtype=bool)
    rounds = 0
    while True:
        rounds += 1
        rows, sites = np.flatnonzero(live_rows), np.flatnonzero(live_sites)
        sub = sp.csr_array(matrix[rows][:, sites])
        single = np.diff(sub.indptr) == 1
        must = np.unique(sites[sub.indices[sub.indptr[:-1][single]]])
        drop_rows = rows[_dominated_rows(sub)]
        drop_sites = sites[_dominated_columns(sub, site_cost[sites])]
        if must.size == 0 and drop_rows.size == 0 and drop_sites.size == 0:
            break
        # an only cover is never dominated, and every dropped site keeps a live dominator
        forced[must] = True
        live_sites[must] = False
        live_rows &= np.asarray(matrix[:, must].sum(axis=1)).ravel() == 0
        live_rows[drop_rows] = False
        live_sites[drop_sites] = False
    closed = np.flatnonzero(~live_sites & ~forced)
    closed = np.setdiff1d(closed, fixed)
    return SetCoverReduction(
        _restrict(groups, np.flatnonzero(live_rows)), np.flatnonzero(forced), closed, rounds
    )


def dominated_sites(
    groups: CoverageGroups,
    n_sites: int,
    *,
    free: np.ndarray,
    keep_at_least: int,
) -> np.ndarray:
    """Sites a maximal-covering plan with exactly p open sites can leave closed.

    A free site whose set of positive-weight groups lies inside another free site's set
    (the larger set kept; of equal sets the first) is dropped, except that at least
    ``keep_at_least`` free sites stay (dominated sites covering the most weight are kept
    back first). ``free`` is a boolean mask of sites that are neither required nor barred.
    """
    positive = np.flatnonzero(groups.weight > 0)
    matrix = sp.csr_array(coverage_matrix(groups, n_sites)[positive])
    sites = np.flatnonzero(free)
    if sites.size <= keep_at_least:
        return np.zeros(0, dtype=np.int64)
    sub = sp.csr_array(matrix[:, sites])
    columns = sp.csr_array(sub.T)
    a, b, size = _contained(columns)
    drop = (size[a] < size[b]) | (a > b)
    dropped = np.union1d(a[drop], np.flatnonzero(size == 0))
    spare = sites.size - dropped.size - keep_at_least
    if spare < 0:
        covered = sub.T @ groups.weight[positive]
        order = np.argsort(-covered[dropped], kind="stable")
        dropped = np.sort(dropped[order[-spare:]])
    return sites[dropped]
