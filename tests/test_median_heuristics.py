"""The p-median heuristics: greedy gives p sites, and after ``interchange`` no single swap
of an open and a closed site lowers the cost (checked by enumerating every swap)."""

from __future__ import annotations

import numpy as np
import pytest

from models.median import greedy, interchange, plan_cost
from models.pairs import cost_pairs


def instance(seed: int):
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(8, 60)), int(rng.integers(4, 25))
    cost = rng.integers(0, 30, size=(n, m)).astype(float)  # ties on purpose
    if seed % 2:
        cost[rng.random((n, m)) < 0.5] = np.inf
        cost[np.arange(n), rng.integers(0, m, size=n)] = rng.integers(0, 30, size=n)
    weights = rng.integers(0, 9, size=n).astype(float)
    return cost_pairs(cost), weights, m


@pytest.mark.parametrize("seed", range(40))
def test_no_single_swap_improves_the_interchange_plan(seed):
    pairs, w, m = instance(seed)
    rng = np.random.default_rng(1000 + seed)
    p = int(rng.integers(1, m))
    required = np.array([0]) if seed % 3 == 0 else np.zeros(0, np.int64)
    allowed = np.ones(m, dtype=bool)
    allowed[m - 1] = seed % 4 != 0  # sometimes one site may not open
    start = greedy(pairs, w, p, required=required, allowed=allowed)
    assert start.sum() == min(p, int(allowed.sum()))
    plan = interchange(pairs, w, start, required=required, allowed=allowed)
    assert plan.sum() == start.sum()
    assert plan[required].all() and not plan[~allowed].any()
    cost = plan_cost(pairs, w, plan)
    assert cost <= plan_cost(pairs, w, start)
    if not np.isfinite(cost):
        return  # a plan that leaves a unit unreached is returned unchanged
    for r in np.flatnonzero(plan):
        if r in required:
            continue
        for a in np.flatnonzero(allowed & ~plan):
            swapped = plan.copy()
            swapped[r], swapped[a] = False, True
            assert plan_cost(pairs, w, swapped) >= cost - 1e-9
