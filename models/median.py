"""p-median in the radius formulation (Garcia, Labbe and Marin 2011), truncated per demand.

For demand unit i, let D_i1 < D_i2 < ... be the distinct costs of its reachable sites
(its "levels"). Variable z_ik >= 0 is 1 when no open site lies within D_ik, and

    cost_i = D_i1 + sum_k (D_i(k+1) - D_ik) z_ik,
    z_i1 >= 1 - sum_{j: c_ij = D_i1} y_j,
    z_ik >= z_i(k-1) - sum_{j: c_ij = D_ik} y_j   (k >= 2).

The chained rows hold O(1) entries per pair and give the same LP bound as the cumulative
form. Only the first ``levels[i]`` levels of each unit are modelled: the last kept z then
charges the next level's cost, a lower bound on the true cost, so the truncated optimum is
a valid bound; the caller widens the units whose nearest open site lies beyond their kept
levels and solves again until none does, which proves the optimum of the full problem.
Levels beyond the first one holding a required site are never needed and are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.matrix import MatrixModel
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
    lower = np.zeros(n_sites)
    upper = np.ones(n_sites)
    lower[required] = 1.0
    upper[barred] = 0.0
    y = model.add_variables("y", n_sites, lower=lower, upper=upper, integer=True)

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
    model.offset = float(
        np.sum(weights[reached] * levels.level_cost[levels.first_level[reached]])
    )

    # rows: one per kept level
    row_of_level = np.full(levels.level_cost.size, -1, dtype=np.int64)
    row_of_level[z_level] = np.arange(n_kept)
    in_model = levels.rank < kept[pairs.demand]
    pair_rows = row_of_level[levels.level_of_pair[in_model]]
    not_first = np.flatnonzero(z_rank > 0)
    rows = np.concatenate([np.arange(n_kept), not_first, pair_rows])
    cols = np.concatenate([z.index(np.arange(n_kept)), z.index(not_first - 1),
                           y.index(pairs.site[in_model])])
    vals = np.concatenate([np.ones(n_kept), -np.ones(not_first.size), np.ones(pair_rows.size)])
    model.add_rows("level", n_kept, rows, cols, vals, lower=np.where(z_rank == 0, 1.0, 0.0))
    model.add_rows(
        "count", 1, np.zeros(n_sites, np.int64), y.index(np.arange(n_sites)), 1.0,
        lower=p, upper=p,
    )
    return model
