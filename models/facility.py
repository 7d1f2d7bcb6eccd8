"""Facility location with fixed costs and optional capacities (CFLP / UFLP).

    min  sum_ij w_i c_ij x_ij + sum_j f_j y_j
    s.t. sum_j x_ij = 1                      every demand unit is served in full
         sum_i w_i x_ij <= Q_j y_j           capacity of an open site (finite Q_j only)
         x_ij <= y_j                         serve only from open sites (strong linking)
         sum_j y_j = p                       when a site count is given
         0 <= x_ij <= 1 (binary when single-source), y_j binary

Only reachable pairs get an x variable.
"""

from __future__ import annotations

import numpy as np

from models.matrix import MatrixModel, count_row, site_variables
from models.pairs import CostPairs


def facility_location_model(
    pairs: CostPairs,
    weights: np.ndarray,
    *,
    fixed_costs: np.ndarray,
    capacities: np.ndarray,
    required: np.ndarray,
    barred: np.ndarray,
    p: int | None = None,
    single_source: bool = False,
) -> MatrixModel:
    """Build the model; ``capacities`` holds inf for an uncapacitated site."""
    model = MatrixModel(sense="min")
    n_sites, n_pairs = pairs.n_sites, pairs.n_pairs
    y = site_variables(model, n_sites, cost=fixed_costs, required=required, barred=barred)
    x = model.add_variables(
        "x", n_pairs, cost=weights[pairs.demand] * pairs.cost, upper=1.0, integer=single_source
    )
    k = np.arange(n_pairs)
    model.add_rows("serve", pairs.n_demand, pairs.demand, x.index(k), 1.0, lower=1.0, upper=1.0)

    capped = np.flatnonzero(np.isfinite(capacities))
    if capped.size:
        row_of_site = np.full(n_sites, -1, dtype=np.int64)
        row_of_site[capped] = np.arange(capped.size)
        in_capped = row_of_site[pairs.site] >= 0
        rows = np.concatenate([row_of_site[pairs.site[in_capped]], np.arange(capped.size)])
        cols = np.concatenate([x.index(k[in_capped]), y.index(capped)])
        vals = np.concatenate([weights[pairs.demand[in_capped]], -capacities[capped]])
        model.add_rows("capacity", capped.size, rows, cols, vals, upper=0.0)

    rows = np.concatenate([k, k])
    cols = np.concatenate([x.index(k), y.index(pairs.site)])
    vals = np.concatenate([np.ones(n_pairs), -np.ones(n_pairs)])
    model.add_rows("link", n_pairs, rows, cols, vals, upper=0.0)

    if p is not None:
        count_row(model, y, p)
    return model
