"""Hand a MatrixModel to HiGHS as arrays and read the result back."""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass

import highspy
import numpy as np

from models.matrix import MatrixModel
from optimizer import interrupt

SEED = 1
# rows above which an LP solved without a starting basis goes to interior point (then
# crossover to a basis): dual simplex from a slack basis needs ever more iterations as rows
# grow (maximal covering roots: 4.6 s against 1.0 s at 7,500 rows, 0.26 s against 0.96 s at
# 2,600)
COLD_IPM_ROWS = 4000
# Sparse LPs go to interior point from fewer rows: maximal covering roots at 3000 x 500 with
# 9-33 nonzeros per row took 0.05-0.28 s by IPM against 0.07-0.61 s by dual simplex, while
# at 56 per row dual simplex won (0.30-0.35 s against 0.54-0.59 s).
SPARSE_IPM_ROWS = 1000
SPARSE_ROW_NONZEROS = 40


def cold_solver(n_rows: int, n_nonzeros: int) -> str:
    """The HiGHS solver for an LP solved without a starting basis: "ipm" (then crossover to a
    basis) when it has many rows, or fairly many sparse ones; else "simplex"."""
    sparse = n_rows > SPARSE_IPM_ROWS and n_nonzeros <= SPARSE_ROW_NONZEROS * n_rows
    return "ipm" if n_rows > COLD_IPM_ROWS or sparse else "simplex"


def _construct_quietly() -> None:
    """HiGHS prints a banner to stdout at its first construction in a process; swallow it."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


_construct_quietly()


def quiet_highs(time_limit: float | None = None) -> highspy.Highs:
    """A HiGHS that prints nothing and runs deterministically (fixed seed, one thread),
    stopped after ``time_limit`` seconds when given."""
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("random_seed", SEED)
    highs.setOptionValue("threads", 1)
    if time_limit is not None:
        highs.setOptionValue("time_limit", float(max(time_limit, 0.01)))
    return highs


# HiGHS warns that a model is badly scaled when its largest objective coefficient is large
# against its tolerances (e.g. persons 1e7 x minutes 1e4, or fixed costs of 1e9 yuan). The
# objective handed to HiGHS is therefore divided by a power of ten that brings its largest
# coefficient to at most OBJECTIVE_TARGET; objective values and bounds read back are
# multiplied by it again. Relative gaps are unchanged by the scaling.
OBJECTIVE_TARGET = 1e3


def objective_scale(cost: np.ndarray, target: float = OBJECTIVE_TARGET) -> float:
    """The power of ten to divide an objective by so its largest |coefficient| is at most
    ``target`` (1 when it already is)."""
    largest = float(np.max(np.abs(cost), initial=0.0))
    if not np.isfinite(largest) or largest <= target:
        return 1.0
    return float(10.0 ** np.ceil(np.log10(largest / target)))


@dataclass
class Solution:
    """Raw solver outcome: status is optimal, time_limit, interrupted, infeasible, no_solution
    or error (see ``status_name``)."""

    status: str
    x: np.ndarray | None
    objective: float
    bound: float
    gap: float
    seconds: float
    nodes: int
    n_cols: int
    n_rows: int
    n_nonzeros: int


def pass_relaxation(highs: highspy.Highs, arrays: dict, sense: str) -> float:
    """Hand a model (``MatrixModel.arrays()`` and its sense, "min" or "max") to ``highs``
    without integrality, i.e. its LP relaxation, the objective divided by
    ``objective_scale``. Returns that scale."""
    matrix = arrays["matrix"]
    scale = objective_scale(arrays["cost"])
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = int(matrix.shape[1]), int(matrix.shape[0])
    lp.sense_ = highspy.ObjSense.kMaximize if sense == "max" else highspy.ObjSense.kMinimize
    lp.offset_ = float(arrays["offset"]) / scale
    lp.col_cost_ = np.asarray(arrays["cost"], dtype=float) / scale
    lp.col_lower_, lp.col_upper_ = arrays["col_lower"], arrays["col_upper"]
    lp.row_lower_, lp.row_upper_ = arrays["row_lower"], arrays["row_upper"]
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
    lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
    lp.a_matrix_.value_ = matrix.data.astype(float)
    highs.passModel(lp)
    return scale


def solve(
    model: MatrixModel,
    *,
    time_limit: float,
    mip_gap: float,
) -> Solution:
    """Solve with HiGHS under a time limit (seconds) and relative MIP gap.

    The run is deterministic: fixed random seed, one thread. The objective is scaled
    internally (``objective_scale``); the objective and bound returned are in the model's
    own units.
    """
    arrays = model.arrays()
    matrix = arrays["matrix"]
    highs = quiet_highs(time_limit)
    highs.setOptionValue("mip_rel_gap", float(mip_gap))
    integrality = arrays["integrality"]
    scale = pass_relaxation(highs, arrays, model.sense)
    if integrality.any():  # an LP gets no integrality at all (HiGHS warns of an empty one)
        n_cols = int(matrix.shape[1])
        highs.changeColsIntegrality(
            n_cols, np.arange(n_cols, dtype=np.int32), integrality.astype(np.uint8)
        )
    began = time.perf_counter()
    interrupt.run(highs)
    seconds = time.perf_counter() - began
    status = highs.getModelStatus()
    info = highs.getInfo()
    has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
    is_mip = bool(integrality.any())
    name = status_name(status, has_solution)
    x = np.asarray(highs.getSolution().col_value, dtype=float) if has_solution else None
    objective = float(info.objective_function_value) * scale if has_solution else np.nan
    if is_mip:
        bound = float(info.mip_dual_bound) * scale
        gap = float(info.mip_gap) if has_solution else np.inf
    else:
        bound, gap = objective, 0.0
    return Solution(
        name,
        x,
        objective,
        bound,
        gap,
        seconds,
        int(info.mip_node_count) if is_mip else 0,
        int(matrix.shape[1]),
        int(matrix.shape[0]),
        int(matrix.nnz),
    )


def relative_gap(objective: float, bound: float) -> float:
    """Relative gap |objective - bound| / max(|objective|, 1) (HiGHS's own measure); inf
    when either is not finite (0 when both are the same infinity)."""
    if not (np.isfinite(objective) and np.isfinite(bound)):
        return 0.0 if objective == bound else np.inf
    return abs(objective - bound) / max(abs(objective), 1.0)


def status_name(status: highspy.HighsModelStatus, has_solution: bool) -> str:
    """Map a HiGHS model status to optimal, time_limit, node_limit, iteration_limit,
    interrupted, infeasible, no_solution or error. The three limits and "interrupted" come
    with an incumbent; "no_solution" (a limit reached before any plan) and "interrupted"
    without one leave ``has_solution`` false."""
    if status == highspy.HighsModelStatus.kOptimal:
        return "optimal"
    if status == highspy.HighsModelStatus.kInfeasible:
        return "infeasible"
    if status == highspy.HighsModelStatus.kInterrupt:
        return "interrupted"
    limits = {
        highspy.HighsModelStatus.kTimeLimit: "time_limit",
        highspy.HighsModelStatus.kSolutionLimit: "node_limit",
        highspy.HighsModelStatus.kIterationLimit: "iteration_limit",
    }
    if status in limits:
        return limits[status] if has_solution else "no_solution"
    return "error"
