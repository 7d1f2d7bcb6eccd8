"""StagedModel: lexicographic optimisation of a matrix model agrees with enumeration."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from models.matrix import MatrixModel
from optimizer.solve.staged import StagedModel


def knapsack_pair(seed: int) -> tuple[MatrixModel, np.ndarray, np.ndarray, np.ndarray, float]:
    """Eight binary items under one weight limit, with two integer objectives."""
    rng = np.random.default_rng(seed)
    weight = rng.integers(1, 10, 8).astype(float)
    first = rng.integers(0, 4, 8).astype(float)  # few distinct values: many ties to break
    second = rng.integers(1, 20, 8).astype(float)
    limit = float(weight.sum() // 2)
    model = MatrixModel()
    x = model.add_variables("x", 8, upper=1.0, integer=True)
    model.add_rows("weight", 1, np.zeros(8), x.index(np.arange(8)), weight, upper=limit)
    return model, weight, first, second, limit


@pytest.mark.parametrize("seed", range(12))
def test_second_stage_is_best_among_first_stage_optima(seed):
    model, weight, first, second, limit = knapsack_pair(seed)
    staged = StagedModel(model, {"value": (first, True), "cost": (second, False)})
    one = staged.solve("value", time_limit=10, mip_gap=0.0)
    staged.hold("value", 1e-9, 1e5)
    two = staged.solve("cost", time_limit=10, mip_gap=0.0)
    plans = [np.array(p, dtype=float) for p in itertools.product((0, 1), repeat=8)]
    feasible = [p for p in plans if weight @ p <= limit]
    best_first = max(first @ p for p in feasible)
    best_second = min(second @ p for p in feasible if first @ p == best_first)
    assert one.status == "optimal" and one.objective == pytest.approx(best_first)
    assert two.status == "optimal" and two.objective == pytest.approx(best_second)
    assert staged.value("value") == pytest.approx(best_first)
    assert staged.value("cost") == pytest.approx(best_second)
    assert weight @ staged.values <= limit + 1e-9


def test_no_plan_leaves_no_values():
    model = MatrixModel()
    x = model.add_variables("x", 2, upper=1.0, integer=True)
    model.add_rows("too_many", 1, np.zeros(2), x.index(np.arange(2)), 1.0, lower=3.0)
    staged = StagedModel(model, {"count": (np.ones(2), False)})
    sol = staged.solve("count", time_limit=10, mip_gap=0.0)
    assert sol.status == "infeasible" and staged.values is None
    assert np.isnan(staged.value("count"))


def test_a_model_without_columns_is_the_empty_plan_or_infeasible():
    empty = StagedModel(MatrixModel(), {"count": (np.zeros(0), False)})
    sol = empty.solve("count", time_limit=10, mip_gap=0.0)
    assert sol.status == "optimal" and sol.objective == 0.0 and empty.value("count") == 0.0
    model = MatrixModel()
    model.add_rows("needs_one", 1, np.zeros(0), np.zeros(0), 1.0, lower=1.0)
    blocked = StagedModel(model, {"count": (np.zeros(0), False)})
    assert blocked.solve("count", time_limit=10, mip_gap=0.0).status == "infeasible"
    assert blocked.values is None
