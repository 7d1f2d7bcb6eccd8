"""Covering reductions keep the optimum: reduced models agree with enumeration."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from models.covering import coverage_groups
from models.pairs import cost_pairs
from models.reduction import dominated_sites, reduce_set_cover, weighted_groups
from optimizer import locate
from optimizer.verify import verify_locate

SEEDS = range(40)
RADIUS = 10.0


def covering_instance(seed: int, n: int = 12, m: int = 8):
    """Costs where about a third of the pairs lie within RADIUS; duplicated and nested sites.

    Site 1 copies site 0 (equal sets), site 3 covers a subset of site 2's units, and every
    demand unit reaches at least one site.
    """
    rng = np.random.default_rng(seed)
    cost = rng.uniform(0, 30, size=(n, m))
    cost[:, 1] = cost[:, 0]
    cost[:, 3] = np.where(cost[:, 2] <= RADIUS, cost[:, 3], RADIUS + 1.0)
    cost[np.arange(n), rng.integers(0, m, size=n)] = rng.uniform(0, RADIUS, size=n)
    weights = rng.integers(0, 6, size=n).astype(float)
    return cost, weights


def site_sets(seed: int, m: int):
    """Random required/barred choices (possibly empty) that leave some site usable."""
    rng = np.random.default_rng(seed + 1000)
    required = [int(j) for j in rng.choice(m, size=seed % 3, replace=False)]
    others = [j for j in range(m) if j not in required]
    barred = [int(j) for j in rng.choice(others, size=(seed // 3) % 3, replace=False)]
    return required, barred


def subsets(m, sizes, required, barred):
    for size in sizes:
        for combo in itertools.combinations(range(m), size):
            chosen = set(combo)
            if set(required) <= chosen and not chosen & set(barred):
                yield list(combo)


def covers(cost, chosen):
    return (cost[:, chosen] <= RADIUS).any(axis=1) if chosen else np.zeros(len(cost), bool)


def best_set_cover(cost, fixed_cost, required, barred):
    m = cost.shape[1]
    feasible = [s for s in subsets(m, range(m + 1), required, barred) if covers(cost, s).all()]
    return min((fixed_cost[s].sum() for s in feasible), default=None)


def best_max_cover(cost, w, p, required, barred):
    m = cost.shape[1]
    return max(w[covers(cost, s)].sum() for s in subsets(m, [p], required, barred))


@pytest.mark.parametrize("seed", SEEDS)
def test_lscp_with_reductions_matches_enumeration(seed):
    cost, _ = covering_instance(seed)
    m = cost.shape[1]
    required, barred = site_sets(seed, m)
    rng = np.random.default_rng(seed + 2000)
    fixed = rng.integers(0, 4, size=m).astype(float)  # ties and free sites
    fixed[1] = fixed[0]
    for site_cost in (None, fixed):
        costs = np.ones(m) if site_cost is None else site_cost
        best = best_set_cover(cost, costs, required, barred)
        if best is None:
            continue
        res = locate(
            "lscp", cost, radius=RADIUS, fixed_costs=site_cost, required=required, barred=barred
        )
        verify_locate(
            res, cost, radius=RADIUS, fixed_costs=site_cost, required=required, barred=barred
        )
        assert res.status == "optimal"
        assert res.objective == pytest.approx(best)


@pytest.mark.parametrize("seed", SEEDS)
def test_set_cover_reduction_keeps_an_optimum(seed):
    """Enumeration restricted by the reduction (forced open, dropped closed) finds the optimum."""
    cost, w = covering_instance(seed)
    m = cost.shape[1]
    required, barred = site_sets(seed, m)
    site_cost = np.random.default_rng(seed + 3000).integers(0, 4, size=m).astype(float)
    best = best_set_cover(cost, site_cost, required, barred)
    if best is None:
        return
    pairs = cost_pairs(cost).within(RADIUS).without_sites(np.array(barred, dtype=np.int64))
    groups = coverage_groups(pairs, w, np.array(required, dtype=np.int64))
    fixed = np.union1d(required, barred).astype(np.int64)
    red = reduce_set_cover(groups, m, site_cost=site_cost, fixed=fixed)
    assert not set(red.forced) & set(red.closed)
    assert not (set(red.forced) | set(red.closed)) & set(fixed.tolist())
    kept = best_set_cover(
        cost,
        site_cost,
        sorted(set(required) | set(red.forced)),
        sorted(set(barred) | set(red.closed)),
    )
    assert kept == pytest.approx(best)


@pytest.mark.parametrize("seed", SEEDS)
def test_mclp_with_dominated_sites_matches_enumeration(seed):
    cost, w = covering_instance(seed)
    m = cost.shape[1]
    required, barred = site_sets(seed, m)
    usable = m - len(barred)
    for p in sorted({max(len(required), 1), 3, usable - 1, usable}):
        if not max(len(required), 1) <= p <= usable:
            continue
        best = best_max_cover(cost, w, p, required, barred)
        res = locate("mclp", cost, weights=w, p=p, radius=RADIUS, required=required, barred=barred)
        verify_locate(res, cost, weights=w, p=p, radius=RADIUS, required=required, barred=barred)
        assert res.objective == pytest.approx(best)


@pytest.mark.parametrize("seed", SEEDS)
def test_dominated_sites_keep_an_optimum(seed):
    """Barring the dominated sites leaves the best p-site coverage unchanged."""
    cost, w = covering_instance(seed)
    m = cost.shape[1]
    required, barred = site_sets(seed, m)
    pairs = cost_pairs(cost).within(RADIUS).without_sites(np.array(barred, dtype=np.int64))
    groups = weighted_groups(coverage_groups(pairs, w, np.array(required, dtype=np.int64)))
    free = np.ones(m, dtype=bool)
    free[required + barred] = False
    for p in range(max(len(required), 1), m - len(barred) + 1):
        closed = dominated_sites(groups, m, free=free, keep_at_least=p - len(required))
        assert free[closed].all()
        assert free.sum() - closed.size >= p - len(required)
        best = best_max_cover(cost, w, p, required, barred)
        kept = best_max_cover(cost, w, p, required, sorted(set(barred) | set(closed.tolist())))
        assert kept == pytest.approx(best)


def test_equal_and_nested_sites_are_dropped():
    cost, w = covering_instance(0)
    w = np.ones_like(w)
    pairs = cost_pairs(cost).within(RADIUS)
    groups = coverage_groups(pairs, w, np.zeros(0, dtype=np.int64))
    closed = dominated_sites(
        groups, cost.shape[1], free=np.ones(cost.shape[1], dtype=bool), keep_at_least=1
    )
    assert 1 in closed  # equal to site 0: the first of equal sets is kept
    assert 3 in closed  # inside site 2's set
