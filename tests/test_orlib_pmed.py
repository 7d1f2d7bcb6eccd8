"""locate("p-median") reproduces the OR-Library pmed1-pmed20 optima and agrees with the
compact radius formulation and with enumeration on sparse instances."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from geodata.errors import InfeasibleError
from geodata.orlib import read_pmed, read_pmed_optima
from models.median import cost_levels, p_median_model
from models.pairs import cost_pairs
from optimizer import locate
from optimizer.solve import highs
from optimizer.verify import verify_locate

PMED = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "orlib" / "pmed"
needs_orlib = pytest.mark.skipif(
    not (PMED / "pmedopt.txt").is_file(), reason=f"OR-Library pmed files not found in {PMED}"
)


@pytest.fixture(scope="module")
def optima() -> dict[str, float]:
    return read_pmed_optima(PMED / "pmedopt.txt")


@needs_orlib
@pytest.mark.parametrize("k", range(1, 21))
def test_pmed_optimum(k, optima):
    inst = read_pmed(PMED / f"pmed{k}.txt")
    res = locate("p-median", inst.cost, p=inst.p, time_limit=120)
    verify_locate(res, inst.cost, p=inst.p)
    assert res.status == "optimal"
    assert res.objective == optima[inst.name]
    assert res.bound == res.objective
    assert res.details["cuts"] > 0


@needs_orlib
def test_time_limit_reports_a_true_bound(optima):
    inst = read_pmed(PMED / "pmed16.txt")
    res = locate("p-median", inst.cost, p=inst.p, time_limit=0.3)
    verify_locate(res, inst.cost, p=inst.p)
    assert res.seconds < 0.3 + 2.0
    assert res.bound <= optima["pmed16"] <= res.objective
    if res.status == "optimal":
        assert res.objective == optima["pmed16"]
    else:
        assert res.status == "time_limit"


@needs_orlib
def test_mip_gap_is_honoured(optima):
    inst = read_pmed(PMED / "pmed17.txt")
    res = locate("p-median", inst.cost, p=inst.p, mip_gap=0.01)
    verify_locate(res, inst.cost, p=inst.p, mip_gap=0.01)
    assert res.status == "optimal"
    assert res.bound <= optima["pmed17"] <= res.objective <= optima["pmed17"] * 1.01


# ------------------------------------------------------------------ sparse instances


def sparse_instance(seed: int, n: int = 40, m: int = 12, *, integral: bool):
    """Random costs, about 40 % of pairs unreachable, each unit reaching >= 2 sites."""
    rng = np.random.default_rng(seed)
    cost = (
        rng.integers(0, 50, size=(n, m)).astype(float)
        if integral
        else np.round(rng.uniform(0, 50, size=(n, m)), 2)
    )
    cost[rng.random((n, m)) < 0.4] = np.inf
    for i in range(n):
        j = rng.choice(m, size=2, replace=False)
        cost[i, j] = rng.integers(0, 50, size=2)
    weights = (
        rng.integers(0, 8, size=n).astype(float)
        if integral
        else np.round(rng.uniform(0, 5, size=n), 3)
    )
    rows, cols = np.nonzero(np.isfinite(cost))
    return cost, sp.csr_array((cost[rows, cols], (rows, cols)), shape=cost.shape), weights


def enumerate_optimum(cost, w, p, required, barred) -> float:
    best = np.inf
    for combo in itertools.combinations(range(cost.shape[1]), p):
        s = set(combo)
        if set(required) <= s and not s & set(barred):
            nearest = cost[:, list(combo)].min(axis=1)
            if np.isfinite(nearest).all():
                best = min(best, float(np.dot(w, nearest)))
    return best


def compact_optimum(cost, w, p, required, barred) -> float:
    """Optimum of the compact radius formulation with every level kept."""
    req, bar = np.asarray(required, np.int64), np.asarray(barred, np.int64)
    pairs = cost_pairs(cost).without_sites(bar)
    levels = cost_levels(pairs, req)
    model = p_median_model(pairs, levels, levels.n_levels, w, p=p, required=req, barred=bar)
    sol = highs.solve(model, time_limit=60, mip_gap=0.0)
    assert sol.status == "optimal"
    return sol.objective


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("integral", [True, False])
def test_sparse_required_barred_agree(seed, integral):
    dense, sparse, w = sparse_instance(seed, integral=integral)
    p, required, barred = 4, [seed % 12], [(seed + 5) % 12, (seed + 7) % 12]
    res = locate("p-median", sparse, weights=w, p=p, required=required, barred=barred)
    verify_locate(res, sparse, weights=w, p=p, required=required, barred=barred)
    assert res.status == "optimal"
    best = enumerate_optimum(dense, w, p, required, barred)
    assert res.objective == pytest.approx(best, rel=1e-9)
    assert res.objective == pytest.approx(compact_optimum(dense, w, p, required, barred), rel=1e-9)
    assert res.bound == pytest.approx(best, rel=1e-9)


def test_sparse_without_a_cover_is_infeasible():
    # units 0-2 each reach only their own site, so p = 2 cannot serve all three
    cost = sp.csr_array(([1.0, 2.0, 3.0, 4.0], ([0, 1, 2, 2], [0, 1, 2, 3])), shape=(3, 4))
    with pytest.raises(InfeasibleError):
        locate("p-median", cost, p=2)


def test_zero_weights_cost_nothing():
    dense, sparse, _ = sparse_instance(3, integral=True)
    res = locate("p-median", sparse, weights=np.zeros(dense.shape[0]), p=3)
    verify_locate(res, sparse, weights=np.zeros(dense.shape[0]), p=3)
    assert res.status == "optimal"
    assert res.objective == 0.0


# ------------------------------------------------------------------ branch and bound


def graph_instance(seed: int, n: int) -> np.ndarray:
    """Shortest-path costs on a random connected graph (a random tree plus 2n random
    edges, integer lengths 1-100): the kind of instance whose LP bound needs branching."""
    from scipy.sparse.csgraph import shortest_path

    rng = np.random.default_rng(seed)
    edges = {(k, int(rng.integers(0, k))) for k in range(1, n)}
    while len(edges) < 3 * n:
        a, b = (int(v) for v in rng.integers(0, n, size=2))
        if a != b:
            edges.add((max(a, b), min(a, b)))
    ij = np.array(sorted(edges))
    length = rng.integers(1, 101, size=len(ij)).astype(float)
    graph = sp.csr_array((length, (ij[:, 0], ij[:, 1])), shape=(n, n))
    return shortest_path(graph, directed=False)


@pytest.mark.parametrize("variant", ["warm", "purge", "purge_ipm", "few_cuts"])
@pytest.mark.parametrize("p", [3, 4])
def test_branch_and_bound_agrees_with_compact_formulation(p, variant, monkeypatch):
    """Nodes start from their parent's basis; with "purge" the master is rebuilt at every
    node, so a basis of an earlier master must not be used; with "purge_ipm" every master
    LP solved without a basis goes to interior point; with "few_cuts" a round adds at most
    3 of its violated cuts (the deepest)."""
    from optimizer.solve import benders

    if variant == "few_cuts":
        monkeypatch.setattr(benders, "ROUND_CUTS", 3)
    elif variant != "warm":
        monkeypatch.setattr(benders, "PURGE_ROWS", -(10**9))
    if variant == "purge_ipm":
        monkeypatch.setattr(highs, "COLD_IPM_ROWS", 0)
    cost = graph_instance(4, 60)
    w = np.ones(cost.shape[0])
    res = locate("p-median", cost, p=p)
    verify_locate(res, cost, p=p)
    assert res.status == "optimal"
    assert res.details["nodes"] > 0
    assert res.objective == pytest.approx(compact_optimum(cost, w, p, [], []), rel=1e-9)
    assert res.bound == res.objective
