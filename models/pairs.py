"""Demand-site cost pairs: the sparse input every location model works on."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from geodata.errors import InputError
from geodata.i18n import gettext as _

SORT_BLOCK = 1 << 20  # dense entries sorted at a time
DENSE_SHARE = 0.1  # share of entries within the radius above which whole rows are sorted


@dataclass(frozen=True)
class CostPairs:
    """Reachable (demand, site, cost) pairs sorted by demand, then cost, then site.

    Costs are in the caller's unit (minutes, km, yuan). A pair that is not listed is
    unreachable. ``indptr[i]:indptr[i + 1]`` is the slice of demand unit i.
    """

    n_demand: int
    n_sites: int
    demand: np.ndarray
    site: np.ndarray
    cost: np.ndarray
    indptr: np.ndarray

    @property
    def n_pairs(self) -> int:
        return int(self.demand.size)

    def select(self, keep: np.ndarray) -> CostPairs:
        """The pairs where the boolean mask ``keep`` is true (order is kept)."""
        demand = self.demand[keep]
        counts = np.bincount(demand, minlength=self.n_demand)
        indptr = np.concatenate([[0], np.cumsum(counts)])
        return CostPairs(
            self.n_demand, self.n_sites, demand, self.site[keep], self.cost[keep], indptr
        )

    def within(self, radius: float) -> CostPairs:
        """The pairs with cost <= radius."""
        return self.select(self.cost <= radius)

    def without_sites(self, barred: np.ndarray) -> CostPairs:
        """The pairs whose site is not in ``barred`` (site indices)."""
        if len(barred) == 0:
            return self
        mask = np.zeros(self.n_sites, dtype=bool)
        mask[barred] = True
        return self.select(~mask[self.site])

    def unreached(self) -> np.ndarray:
        """Indices of demand units without any pair."""
        return np.flatnonzero(np.diff(self.indptr) == 0)

    def nearest_open(self, is_open: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per demand unit, the nearest open site (ties: lowest index) and its cost.

        Returns (site index or -1, cost or inf).
        """
        site = np.full(self.n_demand, -1, dtype=np.int64)
        cost = np.full(self.n_demand, np.inf)
        mask = is_open[self.site]
        d, s, c = self.demand[mask], self.site[mask], self.cost[mask]
        if d.size:
            first = np.concatenate([[True], d[1:] != d[:-1]])
            site[d[first]] = s[first]
            cost[d[first]] = c[first]
        return site, cost


def cost_pairs(
    cost: np.ndarray | sp.sparray | sp.spmatrix, radius: float | None = None
) -> CostPairs:
    """Validate a demand x site cost matrix and return its reachable pairs.

    ``cost`` is a dense array (``inf`` = unreachable; in a ``numpy.ma`` masked array a
    masked entry is unreachable too, whatever value lies under the mask) or a scipy sparse
    matrix whose stored entries are the reachable pairs (an explicitly stored 0 is a zero
    cost).
    With ``radius``, only pairs of cost <= radius are kept (filtered before sorting, so
    a dense matrix is never sorted whole). NaN or negative costs raise InputError naming
    the entry.
    """
    if sp.issparse(cost):
        coo = sp.coo_array(cost)
        shape = coo.shape
        rows, cols, vals = (
            np.asarray(coo.row, np.int64),
            np.asarray(coo.col, np.int64),
            np.asarray(coo.data, float),
        )
        _check_values(rows, cols, vals)
        if rows.size and np.unique(rows * shape[1] + cols).size != rows.size:
            raise InputError(
                _(
                    "cost matrix: the sparse matrix lists a (demand, site) pair twice; "
                    "call .sum_duplicates() or keep one entry per pair"
                )
            )
        keep = np.isfinite(vals) if radius is None else vals <= radius
        rows, cols, vals = _sorted_triples(rows[keep], cols[keep], vals[keep])
    else:
        try:
            dense = dense_costs(cost)
        except (TypeError, ValueError) as exc:
            raise InputError(
                _("cost matrix: values must be numbers ({problem})").format(problem=exc)
            ) from None
        if dense.ndim != 2:
            raise InputError(
                _(
                    "cost matrix: expected a 2-D demand x site array, got {dimensions} dimension(s)"
                ).format(dimensions=dense.ndim)
            )
        shape = dense.shape
        _check_dense(dense)
        within = np.inf if radius is None else radius
        if radius is None or np.count_nonzero(dense <= radius) > DENSE_SHARE * dense.size:
            rows, cols, vals = _sorted_dense(dense, within)
        else:
            rows, cols = np.nonzero(dense <= radius)
            rows, cols, vals = _sorted_triples(rows, cols, dense[rows, cols])
    n_demand, n_sites = int(shape[0]), int(shape[1])
    if n_demand == 0 or n_sites == 0:
        raise InputError(
            _(
                "cost matrix: shape {shape} has no demand units or no sites; pass at least one "
                "of each"
            ).format(shape=shape)
        )
    counts = np.bincount(rows, minlength=n_demand)
    indptr = np.concatenate([[0], np.cumsum(counts)])
    return CostPairs(n_demand, n_sites, rows, cols.astype(np.int64), vals, indptr)


def dense_costs(cost: object) -> np.ndarray:
    """A dense cost matrix as floats; the masked entries of a ``numpy.ma`` array become
    ``inf`` (unreachable), as a numpy user means by masking them."""
    if isinstance(cost, np.ma.MaskedArray):
        return np.ma.asarray(cost, dtype=float).filled(np.inf)
    return np.asarray(cost, dtype=float)


def _check_dense(dense: np.ndarray) -> None:
    """Raise InputError for the first NaN or negative entry of a dense cost matrix."""
    bad = np.isnan(dense) | (dense < 0)
    if bad.any():
        rows, cols = np.nonzero(bad)
        _check_values(rows, cols, dense[rows, cols])


def _sorted_dense(
    dense: np.ndarray, radius: float = np.inf
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Entries of cost <= ``radius`` (finite ones when inf) as (row, col, cost) sorted by
    row, then cost, then col.

    Sorted a block of rows at a time into preallocated output, so the temporaries stay
    small next to the matrix.
    """
    n, m = dense.shape
    per_row = (np.isfinite(dense) & (dense <= radius)).sum(axis=1)
    ends = np.cumsum(per_row)
    rows = np.repeat(np.arange(n, dtype=np.int64), per_row)
    cols = np.empty(rows.size, dtype=np.int64)
    vals = np.empty(rows.size, dtype=float)
    step = max(1, SORT_BLOCK // max(m, 1))
    for start in range(0, n, step):
        block = dense[start : start + step]
        order = np.argsort(block, axis=1, kind="stable")
        ordered = np.take_along_axis(block, order, axis=1)
        keep = np.isfinite(ordered) & (ordered <= radius)
        lo = ends[start - 1] if start else 0
        hi = ends[start + block.shape[0] - 1]
        cols[lo:hi] = order[keep]
        vals[lo:hi] = ordered[keep]
    return rows, cols, vals


def _sorted_triples(
    rows: np.ndarray, cols: np.ndarray, vals: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, col, cost) triples sorted by row, then cost, then col."""
    order = np.lexsort((cols, vals, rows))
    return rows[order].astype(np.int64), cols[order].astype(np.int64), vals[order]


def _check_values(rows: np.ndarray, cols: np.ndarray, vals: np.ndarray) -> None:
    bad = np.isnan(vals)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise InputError(
            _(
                "cost matrix: entry [demand {row}, site {col}] is NaN ({count} NaN entries in "
                "all); give every reachable pair a cost >= 0 and leave unreachable pairs out "
                "(or inf in a dense array)"
            ).format(row=rows[k], col=cols[k], count=int(bad.sum()))
        )
    neg = vals < 0
    if neg.any():
        k = int(np.flatnonzero(neg)[0])
        raise InputError(
            _(
                "cost matrix: entry [demand {row}, site {col}] is negative ({value}); costs "
                "must be >= 0"
            ).format(row=rows[k], col=cols[k], value=vals[k])
        )
