"""locate() reaches the same optimal objective values as PySAL spopt on seeded instances."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

pulp = pytest.importorskip("pulp", reason="pulp (spopt's solver layer) is not installed")
spopt_locate = pytest.importorskip("spopt.locate", reason="PySAL spopt is not installed")

from optimizer import locate  # noqa: E402
from optimizer.verify import verify_locate  # noqa: E402

SEEDS = [0, 1, 2, 3]


def instance(seed: int, n: int = 60, m: int = 15):
    rng = np.random.default_rng(seed)
    demand = rng.uniform(0, 100, size=(n, 2))
    sites = rng.uniform(0, 100, size=(m, 2))
    cost = np.round(np.linalg.norm(demand[:, None, :] - sites[None, :, :], axis=2), 3)
    weights = rng.integers(1, 100, size=n).astype(float)
    return cost, weights


def solver():
    return pulp.PULP_CBC_CMD(msg=False)


def spopt_objective(model) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.solve(solver())
    return float(pulp.value(model.problem.objective))


@pytest.mark.parametrize("seed", SEEDS)
def test_lscp_matches_spopt(seed):
    cost, _ = instance(seed)
    radius = float(np.quantile(cost.min(axis=1), 1.0)) + 5.0
    ours = locate("lscp", cost, radius=radius)
    verify_locate(ours, cost, radius=radius)
    theirs = spopt_objective(spopt_locate.LSCP.from_cost_matrix(cost, radius))
    assert ours.objective == pytest.approx(theirs)


@pytest.mark.parametrize("seed", SEEDS)
def test_mclp_matches_spopt(seed):
    cost, w = instance(seed)
    ours = locate("mclp", cost, weights=w, radius=20.0, p=4)
    verify_locate(ours, cost, weights=w, radius=20.0, p=4)
    model = spopt_locate.MCLP.from_cost_matrix(cost, w, service_radius=20.0, p_facilities=4)
    assert ours.objective == pytest.approx(spopt_objective(model))


@pytest.mark.parametrize("seed", SEEDS)
def test_p_median_matches_spopt(seed):
    cost, w = instance(seed)
    ours = locate("p-median", cost, weights=w, p=4)
    verify_locate(ours, cost, weights=w, p=4)
    model = spopt_locate.PMedian.from_cost_matrix(cost, w, p_facilities=4)
    assert ours.objective == pytest.approx(spopt_objective(model), rel=1e-9)


@pytest.mark.parametrize("seed", SEEDS)
def test_p_center_matches_spopt(seed):
    cost, _ = instance(seed, n=40, m=10)
    ours = locate("p-center", cost, p=3)
    verify_locate(ours, cost, p=3)
    model = spopt_locate.PCenter.from_cost_matrix(cost, p_facilities=3)
    assert ours.objective == pytest.approx(spopt_objective(model), rel=1e-9)
