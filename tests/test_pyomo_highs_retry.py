"""solve_pyomo re-solves without presolve when HiGHS claims optimality short of its bound."""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo
import pytest

import optimizer.solve.highs_run as hr
import optimizer.solve.pyomo_highs as ph


def knapsack() -> pyo.ConcreteModel:
    """Most value of items 0..4 within weight 10 (optimum 15: items 1, 2 and 4)."""
    value, weight = [4, 5, 6, 3, 4], [5, 3, 4, 6, 3]
    m = pyo.ConcreteModel()
    m.x = pyo.Var(range(5), domain=pyo.Binary)
    m.cap = pyo.Constraint(expr=sum(weight[i] * m.x[i] for i in range(5)) <= 10)
    m.obj = pyo.Objective(expr=sum(value[i] * m.x[i] for i in range(5)), sense=pyo.maximize)
    return m


def test_optimal_short_of_its_bound_is_solved_again(monkeypatch):
    real = hr.outcome
    calls = []

    def faulty(highs, integrality, scale):
        status, objective, bound, values, nodes = real(highs, integrality, scale)
        presolve = highs.getOptionValue("presolve")
        calls.append(presolve[1] if isinstance(presolve, tuple) else presolve)
        if len(calls) == 1:  # a first run claiming optimal at a worse incumbent
            return status, 10.0, bound, np.array([1.0, 1.0, 0.0, 0.0, 0.0]), nodes
        return status, objective, bound, values, nodes

    monkeypatch.setattr(hr, "outcome", faulty)
    model = knapsack()
    sol = ph.solve_pyomo(model, time_limit=10.0, mip_gap=0.0)
    assert calls == ["choose", "off"]
    assert sol.objective == pytest.approx(15.0) and sol.status == "optimal"
    assert sol.gap == pytest.approx(0.0, abs=1e-9) and "presolve" in sol.message
    assert [round(pyo.value(model.x[i])) for i in range(5)] == [0, 1, 1, 0, 1]


def test_consistent_optimum_is_not_solved_again(monkeypatch):
    real = hr.outcome
    calls = []

    def counted(highs, integrality, scale):
        calls.append(1)
        return real(highs, integrality, scale)

    monkeypatch.setattr(hr, "outcome", counted)
    sol = ph.solve_pyomo(knapsack(), time_limit=10.0, mip_gap=0.0)
    assert len(calls) == 1 and sol.objective == pytest.approx(15.0) and sol.message == ""
