"""The textbook Pyomo formulations, solved through solve_pyomo, agree with locate()."""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo
import pytest

from models import formulations
from models.pairs import cost_pairs
from optimizer import locate
from optimizer.solve.pyomo_highs import solve_pyomo

SEEDS = range(3)
N_DEMAND, N_SITES = 30, 8


def instance(seed: int, n: int = N_DEMAND, m: int = N_SITES):
    """Integer travel minutes with ~25% unreachable pairs, integer weights 0..9.

    Sites ``required`` and ``barred`` are one each; every unit reaches a usable site.
    """
    rng = np.random.default_rng(seed)
    demand_xy = rng.uniform(0, 100, size=(n, 2))
    site_xy = rng.uniform(0, 100, size=(m, 2))
    cost = np.rint(np.linalg.norm(demand_xy[:, None] - site_xy[None], axis=2))
    required, barred = [seed % m], [(seed + 3) % m]
    usable = np.setdiff1d(np.arange(m), barred)
    cost[rng.random((n, m)) < 0.25] = np.inf
    nearest = usable[np.argmin(np.where(np.isfinite(cost[:, usable]), cost[:, usable], 1e9), 1)]
    cost[np.arange(n), nearest] = np.rint(np.linalg.norm(demand_xy - site_xy[nearest], axis=1))
    weights = rng.integers(0, 10, size=n).astype(float)
    return cost, weights, required, barred


def covering_radius(cost: np.ndarray, barred: list[int]) -> float:
    """The least radius within which every unit reaches a usable site."""
    usable = np.delete(cost, barred, axis=1)
    return float(usable.min(axis=1).max())


def solved(model: pyo.ConcreteModel):
    sol = solve_pyomo(model, time_limit=30, mip_gap=0.0)
    assert sol.status == "optimal"
    assert sol.objective == pytest.approx(pyo.value(model.objective), rel=1e-6, abs=1e-6)
    return sol


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("with_costs", [False, True])
def test_lscp_matches_locate(seed, with_costs):
    cost, _, required, barred = instance(seed)
    radius = covering_radius(cost, barred) + 5
    fixed = (
        np.random.default_rng(seed).integers(10, 100, N_SITES).astype(float) if with_costs else None
    )
    model = formulations.lscp(
        cost_pairs(cost), radius=radius, fixed_costs=fixed, required=required, barred=barred
    )
    sol = solved(model)
    ref = locate(
        "lscp",
        cost,
        radius=radius,
        fixed_costs=fixed,
        required=required,
        barred=barred,
        mip_gap=0.0,
    )
    assert sol.objective == pytest.approx(ref.objective)
    assert pyo.value(model.y[required[0]]) == 1 and pyo.value(model.y[barred[0]]) == 0


@pytest.mark.parametrize("seed", SEEDS)
def test_mclp_matches_locate(seed):
    cost, w, required, barred = instance(seed)
    radius = float(np.median(cost[np.isfinite(cost)]))
    model = formulations.mclp(
        cost_pairs(cost), w, radius=radius, p=3, required=required, barred=barred
    )
    sol = solved(model)
    ref = locate(
        "mclp", cost, weights=w, radius=radius, p=3, required=required, barred=barred, mip_gap=0.0
    )
    assert sol.objective == pytest.approx(ref.objective)
    assert sum(pyo.value(model.y[j]) for j in model.J) == 3


@pytest.mark.parametrize("seed", SEEDS)
def test_p_median_matches_locate(seed):
    cost, w, required, barred = instance(seed)
    pairs = cost_pairs(cost)
    model = formulations.p_median(pairs, w, p=3, required=required, barred=barred)
    assert len(model.x) == pairs.n_pairs  # one x per reachable pair, not per demand x site
    sol = solved(model)
    ref = locate("p-median", cost, weights=w, p=3, required=required, barred=barred, mip_gap=0.0)
    assert sol.objective == pytest.approx(ref.objective)
    opened = sorted(j for j in model.J if pyo.value(model.y[j]) > 0.5)
    nearest = cost[:, opened].min(axis=1)
    assert np.dot(w, nearest) == pytest.approx(sol.objective)


@pytest.mark.parametrize("seed", SEEDS)
def test_p_center_matches_locate(seed):
    cost, w, required, barred = instance(seed)
    model = formulations.p_center(cost_pairs(cost), w, p=3, required=required, barred=barred)
    sol = solved(model)
    ref = locate("p-center", cost, weights=w, p=3, required=required, barred=barred, mip_gap=0.0)
    assert sol.objective == pytest.approx(ref.objective)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("single_source", [False, True])
def test_capacitated_matches_locate(seed, single_source):
    cost, w, required, barred = instance(seed)
    rng = np.random.default_rng(seed + 100)
    fixed = rng.integers(200, 800, N_SITES).astype(float)
    capacities = np.full(N_SITES, np.ceil(0.2 * w.sum()))  # binds on every seed
    capacities[(seed + 5) % N_SITES] = np.inf
    p = 4 if seed == 0 else None
    model = formulations.capacitated(
        cost_pairs(cost),
        w,
        fixed_costs=fixed,
        capacities=capacities,
        p=p,
        single_source=single_source,
        required=required,
        barred=barred,
    )
    sol = solved(model)
    ref = locate(
        "capacitated",
        cost,
        weights=w,
        fixed_costs=fixed,
        capacities=capacities,
        p=p,
        single_source=single_source,
        required=required,
        barred=barred,
        mip_gap=0.0,
    )
    assert sol.objective == pytest.approx(ref.objective)
    if single_source:
        assert all(pyo.value(model.x[k]) in (0.0, 1.0) for k in model.P)


def test_unreachable_unit_makes_the_model_infeasible():
    cost = np.array([[1.0, np.inf], [np.inf, np.inf], [3.0, 2.0]])
    model = formulations.p_median(cost_pairs(cost), np.ones(3), p=1)
    sol = solve_pyomo(model, time_limit=5, mip_gap=0.0)
    assert sol.status == "infeasible"
    assert "serve[1]" in sol.message


def tiny(sense):
    """max/min 3a + 2b + f + 10 with a integer, f fixed at 2, and a ranged row."""
    model = pyo.ConcreteModel()
    model.a = pyo.Var(domain=pyo.Integers, bounds=(0, 5))
    model.b = pyo.Var(bounds=(0, 1))
    model.f = pyo.Var(initialize=2.0)
    model.f.fix()
    model.unused = pyo.Var(bounds=(1, 3))
    model.objective = pyo.Objective(expr=3 * model.a + 2 * model.b + model.f + 10, sense=sense)
    model.span = pyo.Constraint(expr=pyo.inequality(0.5, model.a + model.b, 1.5))
    return model


def test_max_problem_with_constant_term():
    model = tiny(pyo.maximize)
    sol = solve_pyomo(model, time_limit=5, mip_gap=0.0)
    assert sol.status == "optimal"
    assert sol.objective == pytest.approx(16.0)  # a = 1, b = 0.5: 3 + 1 + 2 + 10
    assert sol.bound == pytest.approx(16.0)
    assert (pyo.value(model.a), pyo.value(model.b)) == pytest.approx((1.0, 0.5))
    assert pyo.value(model.objective) == pytest.approx(16.0)
    assert pyo.value(model.f) == 2.0 and pyo.value(model.unused) == 1.0
    assert sol.n_rows == 1  # the ranged constraint is one HiGHS row


def test_min_problem_with_constant_term():
    model = tiny(pyo.minimize)
    sol = solve_pyomo(model, time_limit=5, mip_gap=0.0)
    assert sol.status == "optimal"
    assert sol.objective == pytest.approx(13.0, abs=1e-5)  # a = 0, b = 0.5: 1 + 2 + 10
    assert pyo.value(model.a) == 0.0


def test_time_limit_keeps_a_consistent_bound():
    rng = np.random.default_rng(7)
    n, m = 150, 30
    demand_xy = rng.uniform(0, 100, size=(n, 2))
    site_xy = rng.uniform(0, 100, size=(m, 2))
    cost = np.rint(np.linalg.norm(demand_xy[:, None] - site_xy[None], axis=2))
    w = rng.integers(1, 20, size=n).astype(float)
    capacities = np.full(m, np.ceil(w.sum() / 10))
    model = formulations.capacitated(
        cost_pairs(cost),
        w,
        fixed_costs=np.full(m, 400.0),
        capacities=capacities,
        single_source=True,
    )
    sol = solve_pyomo(model, time_limit=0.5, mip_gap=0.0)
    assert sol.status in ("time_limit", "optimal")
    assert sol.seconds < 5
    assert sol.bound <= sol.objective + 1e-6 * abs(sol.objective)
    assert sol.gap == pytest.approx((sol.objective - sol.bound) / abs(sol.objective), rel=1e-3)
    assert pyo.value(model.objective) == pytest.approx(sol.objective, rel=1e-6)
    served = [sum(pyo.value(model.x[i, j]) for j in model.N[i]) for i in model.I]
    assert served == pytest.approx(np.ones(n))
