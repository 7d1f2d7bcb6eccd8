"""p-median in the radius formulation (Garcia, Labbe and Marin 2011) and its Benders cuts.

For demand unit i, let D_i1 < D_i2 < ... be the distinct costs of its reachable sites
(its "levels"). Variable z_ik >= 0 is 1 when no open site lies within D_ik, and

    cost_i = D_i1 + sum_k (D_i(k+1) - D_ik) z_ik,
    z_i1 >= 1 - sum_{j: c_ij = D_i1} y_j,
    z_ik >= z_i(k-1) - sum_{j: c_ij = D_ik} y_j   (k >= 2).

``p_median_model`` states this compact form. The chained rows hold O(1) entries per pair
and give the same LP bound as the cumulative form. Only the first ``levels[i]`` levels of
each unit may be modelled: the last kept z then charges the next level's cost, a lower
bound on the true cost, so the truncated optimum is a valid bound. Levels beyond the first
one holding a required site are never needed and are dropped.

``CutSeparator`` gives the same model with the z projected out (Benders optimality cuts
over y and one cost variable per unit), and ``greedy``/``interchange`` find good plans.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from numba import njit

from models.matrix import MatrixModel, count_row, site_variables
from models.pairs import CostPairs


@dataclass
class Levels:
    """Distinct cost levels of every demand unit."""

    rank: np.ndarray  # per pair: its level's rank within its demand unit (0-based)
    level_of_pair: np.ndarray  # per pair: global level id
    level_cost: np.ndarray  # per global level: its cost
    first_level: np.ndarray  # per demand: global id of its first level
    n_levels: np.ndarray  # per demand: number of useful levels


def cost_levels(pairs: CostPairs, required: np.ndarray) -> Levels:
    """Group each unit's pairs into distinct-cost levels (pairs are sorted by demand, cost)."""
    d, c = pairs.demand, pairs.cost
    new_demand = np.ones(d.size, dtype=bool)
    new_demand[1:] = d[1:] != d[:-1]
    new_level = new_demand.copy()
    new_level[1:] |= c[1:] != c[:-1]
    level_of_pair = np.cumsum(new_level) - 1
    level_cost = c[new_level]
    level_demand = d[new_level]
    first_level = np.full(pairs.n_demand, -1, dtype=np.int64)
    first_level[d[new_demand]] = level_of_pair[new_demand]
    rank = level_of_pair - first_level[d]
    n_levels = np.bincount(level_demand, minlength=pairs.n_demand).astype(np.int64)
    if len(required):
        is_required = np.zeros(pairs.n_sites, dtype=bool)
        is_required[required] = True
        hit = is_required[pairs.site]
        cap = np.full(pairs.n_demand, np.iinfo(np.int64).max)
        np.minimum.at(cap, d[hit], rank[hit] + 1)
        n_levels = np.minimum(n_levels, cap)
    return Levels(rank, level_of_pair, level_cost, first_level, n_levels)


def p_median_model(
    pairs: CostPairs,
    levels: Levels,
    kept: np.ndarray,
    weights: np.ndarray,
    *,
    p: int,
    required: np.ndarray,
    barred: np.ndarray,
) -> MatrixModel:
    """Truncated radius formulation keeping ``kept[i]`` (<= n_levels[i]) levels of unit i."""
    model = MatrixModel(sense="min")
    n_sites = pairs.n_sites
    y = site_variables(model, n_sites, cost=0.0, required=required, barred=barred)

    # one z per kept level; z of the last level of a fully kept unit is fixed at 0
    n_kept = int(kept.sum())
    z_demand = np.repeat(np.arange(pairs.n_demand), kept)
    z_start = np.concatenate([[0], np.cumsum(kept)[:-1]])
    z_rank = np.arange(n_kept) - z_start[z_demand]
    z_level = levels.first_level[z_demand] + z_rank
    has_next = z_rank + 1 < levels.n_levels[z_demand]
    next_cost = np.where(
        has_next, levels.level_cost[np.minimum(z_level + 1, levels.level_cost.size - 1)], 0.0
    )
    step = np.where(has_next, next_cost - levels.level_cost[z_level], 0.0)
    z = model.add_variables(
        "z",
        n_kept,
        cost=weights[z_demand] * step,
        upper=np.where(has_next, 1.0, 0.0),
    )
    reached = kept > 0
    model.offset = float(np.sum(weights[reached] * levels.level_cost[levels.first_level[reached]]))

    # rows: one per kept level
    row_of_level = np.full(levels.level_cost.size, -1, dtype=np.int64)
    row_of_level[z_level] = np.arange(n_kept)
    in_model = levels.rank < kept[pairs.demand]
    pair_rows = row_of_level[levels.level_of_pair[in_model]]
    not_first = np.flatnonzero(z_rank > 0)
    rows = np.concatenate([np.arange(n_kept), not_first, pair_rows])
    cols = np.concatenate(
        [z.index(np.arange(n_kept)), z.index(not_first - 1), y.index(pairs.site[in_model])]
    )
    vals = np.concatenate([np.ones(n_kept), -np.ones(not_first.size), np.ones(pair_rows.size)])
    model.add_rows("level", n_kept, rows, cols, vals, lower=np.where(z_rank == 0, 1.0, 0.0))
    count_row(model, y, p)
    return model


# ------------------------------------------------------------------ Benders decomposition
#
# Projecting the z out of the radius formulation leaves, per demand unit i and level K,
#
#     theta_i >= D_iK - sum_j max(0, D_iK - c_ij) y_j,
#
# whose maximum over K is unit i's cost for any y in the LP relaxation: the master problem
# over (y, theta) with every such cut has the LP bound of the radius formulation. At a
# given y the most violated cut of unit i is at the first level K where the open mass
# sum_{c_ij <= D_iK} y_j reaches 1 (Duran-Mateluna, Ales and Elloumi 2023).


@dataclass
class Cuts:
    """Optimality cuts ``theta[unit] + sum coef * y[site] >= rhs`` (costs per unit weight).

    Cut c's terms are ``site[indptr[c]:indptr[c + 1]]`` with coefficients ``coef`` (> 0).
    ``value`` is the cut's right-hand side minus its y terms at the separation point: the
    least cost of the unit there.
    """

    unit: np.ndarray
    rhs: np.ndarray
    indptr: np.ndarray
    site: np.ndarray
    coef: np.ndarray
    value: np.ndarray

    @property
    def size(self) -> int:
        return int(self.unit.size)

    def evaluate(self, y: np.ndarray) -> np.ndarray:
        """Right-hand side minus the y terms at site values ``y``: theta's lower bound."""
        owner = np.repeat(np.arange(self.size), np.diff(self.indptr))
        return self.rhs - np.bincount(owner, weights=self.coef * y[self.site], minlength=self.size)

    def subset(self, keep: np.ndarray) -> Cuts:
        """The cuts where the boolean mask ``keep`` is true."""
        lengths = np.diff(self.indptr)[keep]
        terms = _ranges(self.indptr[:-1][keep], lengths)
        return Cuts(
            self.unit[keep],
            self.rhs[keep],
            np.concatenate([[0], np.cumsum(lengths)]),
            self.site[terms],
            self.coef[terms],
            self.value[keep],
        )

    def without_sites(self, closed: np.ndarray) -> Cuts:
        """The same cuts with the terms of sites closed for good (mask) left out."""
        keep = ~closed[self.site]
        owner = np.repeat(np.arange(self.size), np.diff(self.indptr))
        lengths = np.bincount(owner[keep], minlength=self.size)
        return Cuts(
            self.unit,
            self.rhs,
            np.concatenate([[0], np.cumsum(lengths)]),
            self.site[keep],
            self.coef[keep],
            self.value,
        )

    @staticmethod
    def concat(parts: list[Cuts]) -> Cuts:
        """All cuts of ``parts`` in order."""
        if not parts:
            z = np.zeros(0)
            return Cuts(
                np.zeros(0, np.int64), z, np.zeros(1, np.int64), np.zeros(0, np.int64), z, z
            )
        lengths = np.concatenate([np.diff(c.indptr) for c in parts])
        return Cuts(
            np.concatenate([c.unit for c in parts]),
            np.concatenate([c.rhs for c in parts]),
            np.concatenate([[0], np.cumsum(lengths)]),
            np.concatenate([c.site for c in parts]),
            np.concatenate([c.coef for c in parts]),
            np.concatenate([c.value for c in parts]),
        )


class CutSeparator:
    """Separates the p-median optimality cuts over the sparse cost pairs."""

    def __init__(self, pairs: CostPairs, tolerance: float = 1e-9) -> None:
        self.pairs = pairs
        self.tolerance = tolerance
        n = pairs.n_pairs
        d, c = pairs.demand, pairs.cost
        new_level = np.ones(n, dtype=bool)
        new_level[1:] = (d[1:] != d[:-1]) | (c[1:] != c[:-1])
        # index of the first pair of each pair's level
        self.level_start = np.maximum.accumulate(np.where(new_level, np.arange(n), 0))
        self.nearest = np.full(pairs.n_demand, np.inf)
        reached = np.diff(pairs.indptr) > 0
        self.nearest[reached] = c[pairs.indptr[:-1][reached]]

    def critical(self, y: np.ndarray, units: np.ndarray) -> Cuts:
        """For each unit listed, the most violated cut at site values ``y`` in [0, 1].

        Units without a pair are not allowed. A unit whose reachable open mass stays
        below 1 gets the cut of its last level (still valid).
        """
        pairs = self.pairs
        start = pairs.indptr[:-1][units]
        end = pairs.indptr[1:][units]
        y = np.clip(np.asarray(y, dtype=float), 0.0, 1.0)
        first = _first_reaching(start, end, pairs.site, y, 1.0 - self.tolerance)
        rhs = pairs.cost[first]
        stop = self.level_start[first]
        lengths = stop - start
        terms = _ranges(start, lengths)
        coef = np.repeat(rhs, lengths) - pairs.cost[terms]
        site = pairs.site[terms]
        indptr = np.concatenate([[0], np.cumsum(lengths)])
        cuts = Cuts(np.asarray(units), rhs, indptr, site, coef, rhs)
        cuts.value = cuts.evaluate(y)
        return cuts

    def unit_cost(self, is_open: np.ndarray) -> np.ndarray:
        """Cost from each unit to its nearest open site (inf where none is reachable)."""
        return self.pairs.nearest_open(is_open)[1]


@njit(cache=True)
def _first_reaching(
    start: np.ndarray, end: np.ndarray, site: np.ndarray, y: np.ndarray, goal: float
) -> np.ndarray:
    """Per unit (pairs ``start[k]:end[k]``, nearest first), the first pair where the open
    mass ``y`` of its sites so far reaches ``goal`` (the last pair when it never does).
    Scans stop there, so a call costs about the pairs up to each unit's critical level."""
    first = np.empty(start.size, dtype=np.int64)
    for k in range(start.size):
        mass = 0.0
        first[k] = end[k] - 1
        for q in range(start[k], end[k]):
            mass += y[site[q]]
            if mass >= goal:
                first[k] = q
                break
    return first


def reach_rows(
    pairs: CostPairs, allowed: np.ndarray, required: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Rows ``sum_{j reaches i} y_j >= 1`` for units that reach only some usable sites.

    Units reaching a required site are left out, and so are repeats of a site set.
    Returns (lower bounds, row pointers, site indices, values) in compressed row form.
    """
    counts = np.diff(pairs.indptr)
    settled = np.zeros(pairs.n_demand, dtype=bool)
    if len(required):
        is_required = np.zeros(pairs.n_sites, dtype=bool)
        is_required[required] = True
        settled[pairs.demand[is_required[pairs.site]]] = True
    need = np.flatnonzero((counts < int(allowed.sum())) & ~settled)
    keep, seen = [], set()
    for i in need:
        key = np.sort(pairs.site[pairs.indptr[i] : pairs.indptr[i + 1]]).tobytes()
        if key not in seen:
            seen.add(key)
            keep.append(i)
    keep = np.asarray(keep, dtype=np.int64)
    lengths = counts[keep]
    terms = _ranges(pairs.indptr[:-1][keep], lengths)
    return (
        np.ones(keep.size),
        np.concatenate([[0], np.cumsum(lengths)]),
        pairs.site[terms],
        np.ones(terms.size),
    )


def _ranges(start: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(start[k], start[k] + lengths[k])`` over k."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.repeat(start, lengths) + np.arange(total) - offsets


# ------------------------------------------------------------------ heuristic


def greedy(
    pairs: CostPairs, weights: np.ndarray, p: int, *, required: np.ndarray, allowed: np.ndarray
) -> np.ndarray:
    """p open sites added one at a time, each reaching the most unreached units and then
    cutting the weighted cost most; ``required`` sites open first. Returns a site mask."""
    is_open = np.zeros(pairs.n_sites, dtype=bool)
    is_open[required] = True
    d, s, c = pairs.demand, pairs.site, pairs.cost
    by_site = np.argsort(s, kind="stable")
    site_ptr = np.searchsorted(s[by_site], np.arange(pairs.n_sites + 1))
    # cost to the nearest open site, or a ceiling above every cost while none is open
    current = np.full(pairs.n_demand, (c.max() + 1.0) if c.size else 1.0)
    reached = np.zeros(pairs.n_demand, dtype=bool)

    def open_site(j: int) -> None:
        k = by_site[site_ptr[j] : site_ptr[j + 1]]
        np.minimum.at(current, d[k], c[k])
        reached[d[k]] = True

    for j in np.flatnonzero(is_open):
        open_site(int(j))
    while is_open.sum() < p:
        candidate = allowed & ~is_open
        if not candidate.any():
            break
        better = c < current[d]
        reach = (
            np.bincount(s, weights=(~reached[d]).astype(float), minlength=pairs.n_sites)
            if not reached.all()
            else np.zeros(pairs.n_sites)
        )
        gain = np.bincount(
            s[better],
            weights=weights[d[better]] * (current[d[better]] - c[better]),
            minlength=pairs.n_sites,
        )
        reach[~candidate] = -1.0
        gain[~(candidate & (reach == reach.max()))] = -1.0
        j = int(np.argmax(gain))
        is_open[j] = True
        open_site(j)
    return is_open


def interchange(
    pairs: CostPairs,
    weights: np.ndarray,
    is_open: np.ndarray,
    *,
    required: np.ndarray,
    allowed: np.ndarray,
    deadline: float = np.inf,
) -> np.ndarray:
    """Local search: best-improvement swaps of an open and a closed site until none lowers
    the weighted cost (or ``time.perf_counter()`` passes ``deadline``).

    ``required`` sites stay open, only ``allowed`` sites open. A plan that leaves a unit
    without a reachable open site is returned unchanged. Returns a new site mask.
    """
    is_open = is_open.copy()
    fixed = np.zeros(pairs.n_sites, dtype=bool)
    fixed[required] = True
    while time.perf_counter() < deadline:
        swap = _best_swap(pairs, weights, is_open, allowed & ~fixed, ~fixed)
        if swap is None:
            break
        is_open[swap[0]] = True
        is_open[swap[1]] = False
    return is_open


def plan_cost(pairs: CostPairs, weights: np.ndarray, is_open: np.ndarray) -> float:
    """Total weight x cost to the nearest open site; inf when some unit reaches none."""
    _, nearest = pairs.nearest_open(is_open)
    if not np.isfinite(nearest).all():
        return np.inf
    return float(np.dot(weights, nearest))


def _sums(index: np.ndarray, weights: np.ndarray, size: int) -> np.ndarray:
    """``np.bincount`` with weights, as floats also when ``index`` is empty."""
    return np.bincount(index, weights=weights, minlength=size).astype(float, copy=False)


def _distinct(keys: np.ndarray, space: int) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct values of ``keys`` (integers in [0, space)) and each key's index
    among them, as ``np.unique(keys, return_inverse=True)``; counted in place of sorted
    when ``space`` is small next to the number of keys."""
    if space > 4 * keys.size:
        return np.unique(keys, return_inverse=True)
    present = np.bincount(keys, minlength=space) > 0
    position = np.cumsum(present) - 1
    return np.flatnonzero(present), position[keys]


def _best_swap(
    pairs: CostPairs,
    weights: np.ndarray,
    is_open: np.ndarray,
    may_open: np.ndarray,
    may_close: np.ndarray,
) -> tuple[int, int] | None:
    """The (open, close) pair that lowers the total weighted cost most, or None.

    Profit of opening a and closing r is gain(a) - loss(r) + extra(a, r) (Resende and
    Werneck 2007), from the nearest (d1) and second nearest (d2) open site of every unit;
    extra is nonzero only for the pairs (a, r) where a unit served by r reaches a below d2.
    A unit with no second open site blocks closing r unless a reaches it.
    """
    n, m = pairs.n_demand, pairs.n_sites
    w = weights
    open_sites = np.flatnonzero(is_open)
    slot = np.full(m, -1, dtype=np.int64)
    slot[open_sites] = np.arange(open_sites.size)
    mask = is_open[pairs.site]
    d, s, c = pairs.demand[mask], pairs.site[mask], pairs.cost[mask]
    head = np.ones(d.size, dtype=bool)
    head[1:] = d[1:] != d[:-1]
    first = np.flatnonzero(head)
    d1 = np.full(n, np.inf)
    r1 = np.full(n, -1, dtype=np.int64)
    d1[d[first]], r1[d[first]] = c[first], s[first]
    if not np.isfinite(d1).all():
        return None
    second = first + 1
    second = second[(second < d.size) & (d[np.minimum(second, d.size - 1)] == d[first])]
    d2 = np.full(n, np.inf)
    d2[d[second]] = c[second]
    has2 = np.isfinite(d2)
    closing = is_open & may_close
    opening = may_open & ~is_open
    if not (closing.any() and opening.any()):
        return None
    # pairs to closed candidate sites below the unit's second open cost
    cand = opening[pairs.site] & (pairs.cost < d2[pairs.demand])
    cd, cs, cc = pairs.demand[cand], pairs.site[cand], pairs.cost[cand]
    gain = _sums(cs, w[cd] * np.maximum(d1[cd] - cc, 0.0), m)
    loss = _sums(r1[has2], w[has2] * (d2[has2] - d1[has2]), m)
    lonely = np.bincount(r1[~has2], minlength=m)
    second_cost = np.where(has2, d2, d1)[cd]
    extra_w = np.where(
        has2[cd],
        w[cd] * (second_cost - np.maximum(d1[cd], cc)),
        -w[cd] * np.maximum(cc - d1[cd], 0.0),
    )
    key, inverse = _distinct(cs * open_sites.size + slot[r1[cd]], m * open_sites.size)
    extra = _sums(inverse, extra_w, key.size)
    covers = np.bincount(inverse, weights=(~has2[cd]).astype(float), minlength=key.size)
    a_k, r_k = key // open_sites.size, open_sites[key % open_sites.size]
    profit = gain[a_k] - loss[r_k] + extra
    profit[~(closing[r_k] & (covers == lonely[r_k]))] = -np.inf
    best = (int(a_k[np.argmax(profit)]), int(r_k[np.argmax(profit)])) if key.size else None
    best_profit = float(profit.max()) if key.size else -np.inf
    # pairs without extra terms: profit is at least gain(a) - loss(r) when r has no lonely unit
    free_close = closing & (lonely == 0)
    if free_close.any():
        a = int(np.flatnonzero(opening)[np.argmax(gain[opening])])
        r = int(np.flatnonzero(free_close)[np.argmin(loss[free_close])])
        if gain[a] - loss[r] > best_profit:
            best, best_profit = (a, r), float(gain[a] - loss[r])
    if best is None or not best_profit > 1e-9 * max(1.0, float(np.dot(w, d1))):
        return None
    return best
