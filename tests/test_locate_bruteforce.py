"""locate() agrees with enumeration of every site subset on tiny instances."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import linprog

from optimizer import locate
from optimizer.verify import verify_locate

SEEDS = range(8)


def instance(seed: int, n: int = 9, m: int = 6, sparse_share: float = 0.25):
    """Random costs with some unreachable pairs (inf), integer weights 0..5."""
    rng = np.random.default_rng(seed)
    cost = rng.integers(0, 40, size=(n, m)).astype(float)
    cost[rng.random((n, m)) < sparse_share] = np.inf
    nearest = rng.integers(0, m, size=n)
    cost[np.arange(n), nearest] = rng.integers(0, 40, size=n)  # every unit reaches a site
    weights = rng.integers(0, 6, size=n).astype(float)
    return cost, weights


def subsets(m, k=None, required=(), barred=()):
    sizes = [k] if k is not None else range(1, m + 1)
    for size in sizes:
        for combo in itertools.combinations(range(m), size):
            s = set(combo)
            if set(required) <= s and not (s & set(barred)):
                yield np.array(combo)


def nearest_cost(cost, open_sites):
    return cost[:, open_sites].min(axis=1)


@pytest.mark.parametrize("seed", SEEDS)
def test_p_median_matches_enumeration(seed):
    cost, w = instance(seed)
    required, barred = [seed % 6], [(seed + 3) % 6]
    best = min(
        np.dot(w, nearest_cost(cost, s))
        for s in subsets(6, 3, required, barred)
        if np.isfinite(nearest_cost(cost, s)).all()
    )
    res = locate("p-median", cost, weights=w, p=3, required=required, barred=barred)
    verify_locate(res, cost, weights=w, p=3, required=required, barred=barred)
    assert res.status == "optimal"
    assert res.objective == pytest.approx(best)


@pytest.mark.parametrize("seed", SEEDS)
def test_p_center_matches_enumeration(seed):
    cost, w = instance(seed)
    w = np.maximum(w, 1.0)
    best = min(nearest_cost(cost, s).max() for s in subsets(6, 2))
    res = locate("p-center", cost, weights=w, p=2)
    verify_locate(res, cost, weights=w, p=2)
    assert res.objective == pytest.approx(best)
    assert res.bound == pytest.approx(best)


@pytest.mark.parametrize("seed", SEEDS)
def test_lscp_matches_enumeration(seed):
    cost, w = instance(seed, sparse_share=0.0)
    radius = max(25.0, cost.min(axis=1).max())  # all sites open cover everything
    rng = np.random.default_rng(seed)
    fixed = rng.integers(1, 10, size=6).astype(float)
    feasible = [s for s in subsets(6) if (cost[:, s] <= radius).any(axis=1).all()]
    best_count = min(s.size for s in feasible)
    best_cost = min(fixed[s].sum() for s in feasible)
    res = locate("lscp", cost, radius=radius)
    verify_locate(res, cost, radius=radius)
    assert res.objective == best_count
    res = locate("lscp", cost, radius=radius, fixed_costs=fixed)
    verify_locate(res, cost, radius=radius, fixed_costs=fixed)
    assert res.objective == pytest.approx(best_cost)


@pytest.mark.parametrize("seed", SEEDS)
def test_mclp_matches_enumeration(seed):
    cost, w = instance(seed)
    radius, p, required = 12.0, 2, [seed % 6]
    best = max(w[(cost[:, s] <= radius).any(axis=1)].sum() for s in subsets(6, p, required))
    res = locate("mclp", cost, weights=w, p=p, radius=radius, required=required)
    verify_locate(res, cost, weights=w, p=p, radius=radius, required=required)
    assert res.objective == pytest.approx(best)


def split_cost(cost, w, cap, open_sites):
    """Least assignment cost of splittable demand to the open sites (a transport LP)."""
    n = cost.shape[0]
    sub = cost[:, open_sites]
    k = sub.shape[1]
    c = (w[:, None] * np.where(np.isfinite(sub), sub, 0.0)).ravel()
    bounds = [(0, 1 if np.isfinite(v) else 0) for v in sub.ravel()]
    a_eq = np.kron(np.eye(n), np.ones(k))
    a_ub = np.zeros((k, n * k))
    for j in range(k):
        a_ub[j, j::k] = w
    res = linprog(
        c,
        A_ub=a_ub,
        b_ub=cap[open_sites],
        A_eq=a_eq,
        b_eq=np.ones(n),
        bounds=bounds,
        method="highs",
    )
    return res.fun if res.status == 0 else np.inf


@pytest.mark.parametrize("seed", SEEDS)
def test_capacitated_matches_enumeration(seed):
    cost, w = instance(seed, n=7, m=5)
    w = w + 1.0
    rng = np.random.default_rng(seed + 100)
    cap = rng.integers(8, 20, size=5).astype(float)
    fixed = rng.integers(20, 60, size=5).astype(float)
    best = min(split_cost(cost, w, cap, s) + fixed[s].sum() for s in subsets(5))
    res = locate("capacitated", cost, weights=w, capacities=cap, fixed_costs=fixed)
    verify_locate(res, cost, weights=w, capacities=cap, fixed_costs=fixed)
    assert res.objective == pytest.approx(best, rel=1e-7)


@pytest.mark.parametrize("seed", SEEDS[:4])
def test_single_source_matches_enumeration(seed):
    cost, w = instance(seed, n=6, m=3, sparse_share=0.0)
    w = w + 1.0
    cap = np.full(3, w.sum() / 2 + 1)
    fixed = np.array([30.0, 20.0, 25.0])
    best = np.inf
    for assign in itertools.product(range(3), repeat=6):
        assign = np.array(assign)
        load = np.bincount(assign, weights=w, minlength=3)
        if (load > cap).any():
            continue
        total = (w * cost[np.arange(6), assign]).sum() + fixed[np.unique(assign)].sum()
        best = min(best, total)
    res = locate(
        "capacitated", cost, weights=w, capacities=cap, fixed_costs=fixed, single_source=True
    )
    verify_locate(res, cost, weights=w, capacities=cap, fixed_costs=fixed, single_source=True)
    assert res.objective == pytest.approx(best)


def test_sparse_input_keeps_explicit_zero_costs():
    dense = np.array([[0.0, 5.0], [4.0, 0.0], [3.0, np.inf]])
    rows, cols = np.nonzero(np.isfinite(dense))
    sparse = sp.csr_array((dense[rows, cols], (rows, cols)), shape=dense.shape)
    assert sparse.nnz == 5  # the two zeros are stored
    a = locate("p-median", dense, p=1)
    b = locate("p-median", sparse, p=1)
    assert a.objective == b.objective == 7.0
    assert list(b.open_sites) == [0]
