"""The maximal-covering heuristics (greedy, swaps) and the ways locate() proves an MCLP plan."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from models.covering import cover_from, coverage_groups, greedy_cover, improve_cover
from models.pairs import cost_pairs
from optimizer import locate
from optimizer.verify import verify_locate

SEEDS = range(6)


def instance(seed: int, n: int = 40, m: int = 9):
    """Planar points (km) with integer weights 1..9 and the cost matrix between them."""
    rng = np.random.default_rng(seed)
    demand = rng.uniform(0, 30, size=(n, 2))
    sites = rng.uniform(0, 30, size=(m, 2))
    cost = np.linalg.norm(demand[:, None, :] - sites[None, :, :], axis=2)
    return cost, rng.integers(1, 10, size=n).astype(float)


def covered(cost, w, radius, is_open) -> float:
    return float(w[(cost[:, is_open] <= radius).any(axis=1)].sum())


def best(cost, w, radius, p) -> float:
    m = cost.shape[1]
    return max(covered(cost, w, radius, list(s)) for s in itertools.combinations(range(m), p))


@pytest.mark.parametrize("seed", SEEDS)
def test_greedy_opens_the_largest_gain_each_time(seed):
    cost, w = instance(seed)
    radius, p = 8.0, 3
    groups = coverage_groups(cost_pairs(cost, radius), w, np.zeros(0, np.int64))
    allowed = np.ones(cost.shape[1], dtype=bool)
    allowed[seed % cost.shape[1]] = False
    plan = greedy_cover(groups, cost.shape[1], p, required=np.zeros(0, np.int64), allowed=allowed)
    # the same choices, one site at a time, by recounting coverage from the matrix
    chosen: list[int] = []
    for _step in range(p):
        gains = [
            covered(cost, w, radius, chosen + [j]) if allowed[j] and j not in chosen else -1.0
            for j in range(cost.shape[1])
        ]
        chosen.append(int(np.argmax(gains)))
    assert sorted(np.flatnonzero(plan).tolist()) == sorted(chosen)


@pytest.mark.parametrize("seed", SEEDS)
def test_swaps_end_where_no_single_swap_covers_more(seed):
    cost, w = instance(seed)
    radius, p, m = 7.0, 3, cost.shape[1]
    groups = coverage_groups(cost_pairs(cost, radius), w, np.zeros(0, np.int64))
    allowed = np.ones(m, dtype=bool)
    start = np.zeros(m, dtype=bool)
    start[:p] = True
    plan = improve_cover(groups, m, start, allowed=allowed)
    assert plan.sum() == p
    value = covered(cost, w, radius, np.flatnonzero(plan))
    assert value >= covered(cost, w, radius, np.flatnonzero(start))
    for out, into in itertools.product(np.flatnonzero(plan), np.flatnonzero(~plan)):
        swapped = plan.copy()
        swapped[out], swapped[into] = False, True
        assert covered(cost, w, radius, np.flatnonzero(swapped)) <= value


def test_each_proof_of_an_mclp_plan_is_taken_and_agrees_with_enumeration():
    seen = set()
    for seed, radius, p in itertools.product(range(6), (5.0, 9.0, 14.0), (2, 3, 4)):
        cost, w = instance(seed, n=50, m=12)
        res = locate("mclp", cost, weights=w, p=p, radius=radius)
        verify_locate(res, cost, weights=w, p=p, radius=radius)
        assert res.status == "optimal"
        assert res.objective == pytest.approx(best(cost, w, radius, p))
        assert res.bound == pytest.approx(res.objective)
        seen.add(res.details["proven_by"])
    assert seen == {"reach", "lp", "branch"}


@pytest.mark.parametrize("seed", SEEDS)
def test_cover_from_lp_values_covers_every_group_with_no_site_to_spare(seed):
    cost, w = instance(seed)
    radius, m = 9.0, cost.shape[1]
    reach = cost <= radius
    keep = reach.any(axis=1)
    groups = coverage_groups(cost_pairs(cost[keep], radius), w[keep], np.zeros(0, np.int64))
    rng = np.random.default_rng(seed)
    y = np.where(rng.random(m) < 0.3, 0.0, rng.random(m))
    y[np.argmax(reach[keep], axis=1)] += 0.5  # every unit reaches a site with y > 0
    site_cost = rng.integers(1, 5, size=m).astype(float)
    plan = cover_from(groups, m, y, site_cost=site_cost)
    assert reach[keep][:, plan].any(axis=1).all()  # a cover
    assert (y[plan] > 0).all()
    for j in np.flatnonzero(plan):  # minimal: no open site can close
        fewer = plan.copy()
        fewer[j] = False
        assert not reach[keep][:, fewer].any(axis=1).all()
