"""Solve a linear Pyomo model with HiGHS by handing it over as one sparse matrix.

Pyomo's ``LinearStandardFormCompiler`` turns the model into arrays (cost vector, CSC
constraint matrix, right-hand sides) and ``highspy.Highs.passModel`` takes them in one
call, which avoids the per-object overhead of a persistent solver interface. The solution
is written back into the Pyomo variables so ``pyo.value(model.y[j])`` works afterwards.
"""

from __future__ import annotations

import time

import numpy as np
import pyomo.environ as pyo
import scipy.sparse as sp
from pyomo.common.errors import InfeasibleConstraintException
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler, LinearStandardFormInfo

from optimizer.solve.highs import quiet_highs
from optimizer.solve.highs_run import (
    HighsArrays,
    MipSolution,
    decided,
    pass_arrays,
    solve_arrays,
)


def solve_pyomo(
    model: pyo.ConcreteModel,
    *,
    time_limit: float,
    mip_gap: float,
    node_limit: int | None = None,
) -> MipSolution:
    """Solve ``model`` (one linear objective) with HiGHS and load the values into its variables.

    ``time_limit`` is in seconds, ``mip_gap`` a relative gap (0 proves optimality),
    ``node_limit`` the most branch-and-bound nodes (a limit that, unlike time, does not
    depend on the machine; status "node_limit" when it stops the search). The run
    is deterministic: one thread, fixed random seed. The objective is scaled internally by a
    power of ten (``optimizer.solve.highs.objective_scale``); objective and bound are returned
    unscaled. Values are loaded only when HiGHS has a feasible solution; integer variables
    are rounded to the nearest integer, and variables that appear in no constraint or
    objective get the value in their bounds nearest to 0. Fixed variables keep their values.
    """
    began = time.perf_counter()
    maximise = _maximise(model)
    try:
        form = LinearStandardFormCompiler().write(model, mixed_form=True, set_sense=None)
    except InfeasibleConstraintException as exc:
        return decided("infeasible", np.nan, time.perf_counter() - began, str(exc))
    arrays = _arrays(form)
    seconds_compile = time.perf_counter() - began
    cost = np.asarray(form.c.toarray()).reshape(-1)
    offset = float(np.asarray(form.c_offset, dtype=float).reshape(-1)[0])
    highs = quiet_highs(time_limit)
    pass_arrays(highs, arrays)
    solution, values = solve_arrays(
        highs,
        arrays,
        cost,
        offset,
        maximise=maximise,
        time_limit=time_limit,
        mip_gap=mip_gap,
        node_limit=node_limit,
        seconds_compile=seconds_compile,
    )
    if values is not None:  # also the empty plan when every variable is fixed or unused
        _load(model, form.columns, values)
    return solution


def _maximise(model: pyo.ConcreteModel) -> bool:
    """The sense of the model's one active objective (ValueError unless exactly one)."""
    objectives = list(model.component_data_objects(pyo.Objective, active=True))
    if len(objectives) != 1:
        raise ValueError(f"solve_pyomo needs exactly one active objective, got {len(objectives)}")
    return objectives[0].sense == pyo.maximize


def _arrays(form: LinearStandardFormInfo) -> HighsArrays:
    """The compiled model's arrays, as HiGHS takes them."""
    col_lower, col_upper, integrality = _columns(form.columns)
    matrix, row_lower, row_upper = _rows(form)
    return HighsArrays(
        n_cols=len(form.columns),
        col_lower=col_lower,
        col_upper=col_upper,
        integrality=integrality,
        matrix=matrix,
        row_lower=row_lower,
        row_upper=row_upper,
    )


def _columns(columns: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Column bounds (inf where unbounded) and integrality (1 = integer) of the variables."""
    lower = np.empty(len(columns))
    upper = np.empty(len(columns))
    integrality = np.zeros(len(columns), dtype=np.int32)
    for k, var in enumerate(columns):
        lb, ub = var.bounds
        lower[k] = -np.inf if lb is None else lb
        upper[k] = np.inf if ub is None else ub
        if var.is_integer():
            integrality[k] = 1
    return lower, upper, integrality


def _rows(form: LinearStandardFormInfo) -> tuple[sp.csc_array, np.ndarray, np.ndarray]:
    """CSC matrix and row bounds; a ranged constraint (two compiled rows) becomes one row.

    In mixed form each compiled row is ``A x = rhs`` (type 0), ``<= rhs`` (1) or
    ``>= rhs`` (-1), and a ranged constraint yields its ``<=`` row then its ``>=`` row.
    """
    kinds = np.fromiter((row.bound_type for row in form.rows), dtype=np.int8, count=len(form.rows))
    rhs = np.asarray(form.rhs, dtype=float).reshape(-1)
    lower = np.where(kinds == 1, -np.inf, rhs)
    upper = np.where(kinds == -1, np.inf, rhs)
    matrix = form.A
    second = np.zeros(kinds.size, dtype=bool)
    for k in np.flatnonzero((kinds[1:] == -1) & (kinds[:-1] == 1)) + 1:
        second[k] = form.rows[k].constraint is form.rows[k - 1].constraint
    if second.any():
        first = np.flatnonzero(second) - 1
        lower[first] = rhs[second]
        keep = ~second
        matrix = matrix.tocsr()[keep].tocsc()
        lower, upper = lower[keep], upper[keep]
    return matrix, lower, upper


def _load(model: pyo.ConcreteModel, columns: list, values: np.ndarray) -> None:
    """Write solver values into the variables; unused free variables go nearest to 0."""
    solved = set()
    for var, value in zip(columns, values.tolist(), strict=True):
        var.set_value(value, skip_validation=True)
        solved.add(id(var))
    for var in model.component_data_objects(pyo.Var, active=True):
        if var.fixed or id(var) in solved:
            continue
        lb, ub = var.bounds
        nearest = min(max(0.0, -np.inf if lb is None else lb), np.inf if ub is None else ub)
        var.set_value(nearest, skip_validation=True)
