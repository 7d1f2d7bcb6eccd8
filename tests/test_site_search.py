"""Branch and bound over the sites (``optimizer.solve.site_search``): the plans it proves
equal enumeration over every plan, for maximal covering (through ``locate``) and set
covering (a minimisation, called directly); a stopped search keeps a true bound."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from models.covering import coverage_groups, max_cover_model, set_cover_model
from models.pairs import cost_pairs
from optimizer import locate
from optimizer.solve import highs
from optimizer.solve.site_search import branch_and_bound
from optimizer.verify import verify_locate

NONE = np.zeros(0, np.int64)


def instance(seed: int, n: int = 45, m: int = 11, *, whole: bool = True):
    """Planar points (km); weights whole (1..9) or fractional."""
    rng = np.random.default_rng(seed)
    demand = rng.uniform(0, 30, size=(n, 2))
    sites = rng.uniform(0, 30, size=(m, 2))
    cost = np.linalg.norm(demand[:, None, :] - sites[None, :, :], axis=2)
    w = rng.integers(1, 10, size=n).astype(float) if whole else rng.uniform(0.1, 9.0, size=n)
    return cost, w


def covered(cost, w, radius, sites) -> float:
    return float(w[(cost[:, list(sites)] <= radius).any(axis=1)].sum())


def best_cover(cost, w, radius, p, required=(), barred=()) -> float:
    m = cost.shape[1]
    plans = [
        s
        for s in itertools.combinations(range(m), p)
        if set(required) <= set(s) and not set(barred) & set(s)
    ]
    return max(covered(cost, w, radius, s) for s in plans)


@pytest.mark.parametrize("root_ipm", [False, True])  # root LP by dual simplex / by IPM
@pytest.mark.parametrize("whole", [True, False])
def test_mclp_plans_equal_enumeration_and_some_need_branching(whole, root_ipm, monkeypatch):
    monkeypatch.setattr(highs, "COLD_IPM_ROWS", 0 if root_ipm else 10**9)
    nodes = []
    for seed, radius, p in itertools.product(range(8), (6.0, 7.0), (3, 4)):
        cost, w = instance(seed, whole=whole)
        required, barred = [seed % 11], [(seed + 3) % 11]
        res = locate("mclp", cost, weights=w, p=p, radius=radius, required=required, barred=barred)
        verify_locate(res, cost, weights=w, p=p, radius=radius, required=required, barred=barred)
        assert res.status == "optimal"
        want = best_cover(cost, w, radius, p, required, barred)
        assert res.objective == pytest.approx(want, rel=1e-9)
        assert res.bound == pytest.approx(want, rel=1e-9)
        nodes.append(res.details["nodes"])
    assert max(nodes) > 1  # the search branched


def test_stopped_search_keeps_a_true_bound_and_the_gap_is_honoured():
    cost, w = instance(3, n=60, m=14)
    radius, p = 6.0, 4
    want = best_cover(cost, w, radius, p)
    for limit in (1e-6, 0.002, 0.01):
        res = locate("mclp", cost, weights=w, p=p, radius=radius, time_limit=limit)
        verify_locate(res, cost, weights=w, p=p, radius=radius)
        assert res.status in ("optimal", "time_limit")
        assert res.objective <= want <= res.bound
    res = locate("mclp", cost, weights=w, p=p, radius=radius, mip_gap=0.05)
    verify_locate(res, cost, weights=w, p=p, radius=radius, mip_gap=0.05)
    assert res.status == "optimal"
    assert res.objective >= 0.95 * want - 1e-9
    assert res.bound >= want - 1e-9


@pytest.mark.parametrize("seed", range(8))
def test_set_cover_search_finds_the_cheapest_cover(seed):
    """A minimisation: least fixed cost of sites covering every demand unit."""
    rng = np.random.default_rng(seed)
    cost, _ = instance(seed, n=30, m=10)
    radius = 9.0
    cost[np.arange(30), rng.integers(0, 10, size=30)] = 0.0  # every unit reachable
    site_cost = rng.integers(1, 6, size=10).astype(float)
    groups = coverage_groups(cost_pairs(cost, radius), np.ones(30), NONE)
    model = set_cover_model(groups, 10, site_cost=site_cost, required=NONE, barred=NONE)
    reach = cost <= radius

    def value(is_open: np.ndarray) -> float:
        return float(site_cost[is_open].sum()) if reach[:, is_open].any(axis=1).all() else np.inf

    out = branch_and_bound(
        model,
        np.arange(10),
        value=value,
        rounding=lambda y: y > 1e-9,  # an LP cover's support covers
        start=np.ones(10, dtype=bool),
        step=1.0,
        time_limit=30.0,
        mip_gap=0.0,
    )
    want = min(
        value(np.isin(np.arange(10), s))
        for k in range(1, 11)
        for s in itertools.combinations(range(10), k)
    )
    assert out.status == "optimal"
    assert out.objective == want == value(out.is_open)
    assert out.bound == pytest.approx(want)
    assert out.root <= want


def test_max_cover_search_alone_reports_its_model_and_root():
    cost, w = instance(1)
    groups = coverage_groups(cost_pairs(cost, 7.0), w, NONE)
    model = max_cover_model(groups, 11, p=3, required=NONE, barred=NONE, covered_by_required=0.0)
    start = np.zeros(11, dtype=bool)
    start[:3] = True
    out = branch_and_bound(
        model,
        np.arange(11),
        value=lambda is_open: covered(cost, w, 7.0, np.flatnonzero(is_open)),
        rounding=lambda y: np.isin(np.arange(11), np.argsort(-y, kind="stable")[:3]),
        start=start,
        step=1.0,
        time_limit=30.0,
        mip_gap=0.0,
    )
    assert out.status == "optimal"
    assert out.objective == best_cover(cost, w, 7.0, 3)
    assert out.root >= out.objective
    assert (out.n_cols, out.n_rows) == (model.n_cols, model.n_rows)
    assert out.n_nonzeros == model.arrays()["matrix"].nnz


@pytest.mark.parametrize("problem", ["mclp", "lscp"])
def test_a_requested_stop_ends_the_search_with_its_plan_and_a_true_bound(problem):
    from optimizer import interrupt

    cost, w = instance(1)
    args = dict(weights=w, p=3, radius=6.0) if problem == "mclp" else dict(radius=9.0)
    if problem == "lscp":
        cost[np.arange(cost.shape[0]), np.arange(cost.shape[0]) % cost.shape[1]] = 0.0
    whole = locate(problem, cost, **args)
    with interrupt.signals():
        interrupt.request()
        res = locate(problem, cost, **args)
    assert res.status == "interrupted"
    verify_locate(res, cost, **args)
    if problem == "mclp":
        assert res.objective <= whole.objective <= res.bound
    else:
        assert res.bound <= whole.objective <= res.objective


@pytest.mark.parametrize(
    ("rows", "nonzeros", "solver"),
    [
        (500, 20_000, "simplex"),  # small: dual simplex from a slack basis
        (1_907, 31_100, "ipm"),  # sparse rows (16 per row)
        (2_404, 134_282, "simplex"),  # dense rows (56 per row)
        (7_485, 228_925, "ipm"),  # large
    ],
)
def test_cold_lps_go_to_interior_point_when_large_or_sparse(rows, nonzeros, solver):
    assert highs.cold_solver(rows, nonzeros) == solver
