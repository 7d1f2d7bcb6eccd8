"""One mixed-integer run of HiGHS on a model handed over as arrays, read back with care.

Shared by ``pyomo_highs`` (a Pyomo model compiled to arrays) and ``staged`` (a matrix
model solved objective after objective): ``pass_arrays`` hands the arrays over once,
``solve_arrays`` sets an objective scaled by a power of ten and the limits, runs, and reads
the outcome, solving again without presolve when HiGHS claims an optimum its own dual bound
contradicts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp

from optimizer import interrupt
from optimizer.solve.highs import objective_scale, relative_gap, status_name

#: Gap beyond the requested one that still counts as solved (float noise).
SLACK = 1e-6

#: HiGHS's "no limit" on branch-and-bound nodes.
NO_NODE_LIMIT = 2**31 - 1


@dataclass
class MipSolution:
    """Outcome of one solve.

    ``status`` is optimal (within the MIP gap), time_limit, node_limit or interrupted (an
    incumbent exists, or none for an interrupted run without one), infeasible, no_solution
    or error. ``objective`` and ``bound`` are in the model's own sense and include its
    constant term (nan / the trivial bound when there is no solution); ``gap`` is the
    relative MIP gap. ``seconds_compile`` is the time to build the arrays and ``seconds``
    the HiGHS run time, both in seconds. ``message`` explains how the outcome was reached
    when it is not a plain run (an infeasible compile, a second run without presolve).
    """

    status: str
    objective: float
    bound: float
    gap: float
    seconds: float
    seconds_compile: float
    nodes: int
    n_cols: int
    n_rows: int
    n_nonzeros: int
    message: str = ""


@dataclass
class HighsArrays:
    """A model's columns and rows as HiGHS takes them: column bounds and integrality (1 =
    integer), CSC constraint matrix and row bounds (inf where unbounded)."""

    n_cols: int
    col_lower: np.ndarray
    col_upper: np.ndarray
    integrality: np.ndarray
    matrix: sp.csc_array
    row_lower: np.ndarray
    row_upper: np.ndarray


@dataclass
class Run:
    """One HiGHS outcome: status, objective and dual bound (unscaled), the column values
    (None without a solution), branch-and-bound nodes and a note on how it was reached."""

    status: str
    objective: float
    bound: float
    values: np.ndarray | None
    nodes: int
    message: str = ""


def solve_arrays(
    highs: highspy.Highs,
    arrays: HighsArrays,
    cost: np.ndarray,
    offset: float,
    *,
    maximise: bool,
    time_limit: float,
    mip_gap: float,
    node_limit: int | None,
    seconds_compile: float,
) -> tuple[MipSolution, np.ndarray | None]:
    """Optimise ``cost`` (plus the constant ``offset``) over ``arrays``, already handed to
    ``highs`` (``pass_arrays``): the outcome and the column values (None without a plan).

    ``time_limit`` is in seconds, ``mip_gap`` a relative gap (0 proves optimality),
    ``node_limit`` the most branch-and-bound nodes (None: no limit). The objective goes to
    HiGHS divided by a power of ten (``optimizer.solve.highs.objective_scale``); objective and
    bound come back unscaled, integer values rounded. Arrays without columns are settled
    without HiGHS: the empty plan at ``offset`` when every row allows it, else infeasible.
    """
    if not arrays.n_cols:
        if np.all((arrays.row_lower <= 0) & (arrays.row_upper >= 0)):
            return decided("optimal", offset, seconds_compile), np.zeros(0)
        return decided("infeasible", np.nan, seconds_compile), None
    scale = _set_objective(highs, cost, offset, maximise)
    _set_limits(highs, time_limit, mip_gap, node_limit)
    highs.clearSolver()
    began = time.perf_counter()
    run = _run_checked(
        highs, arrays.integrality, scale, time_limit=time_limit, mip_gap=mip_gap, maximise=maximise
    )
    seconds = time.perf_counter() - began
    return _mip_solution(run, arrays, seconds, seconds_compile), run.values


def pass_arrays(highs: highspy.Highs, arrays: HighsArrays) -> None:
    """Hand the rows, column bounds and integrality to ``highs`` (no objective yet)."""
    matrix = arrays.matrix
    highs.passModel(
        arrays.n_cols,
        int(matrix.shape[0]),
        int(matrix.nnz),
        int(highspy.MatrixFormat.kColwise),
        int(highspy.ObjSense.kMinimize),
        0.0,
        np.zeros(arrays.n_cols),
        arrays.col_lower,
        arrays.col_upper,
        arrays.row_lower,
        arrays.row_upper,
        matrix.indptr.astype(np.int32),
        matrix.indices.astype(np.int32),
        matrix.data.astype(float),
        arrays.integrality,
    )


def _set_objective(highs: highspy.Highs, cost: np.ndarray, offset: float, maximise: bool) -> float:
    """Set the objective of ``highs``: ``cost`` and ``offset`` divided by the power of ten
    returned (``optimizer.solve.highs.objective_scale``)."""
    scale = objective_scale(cost)
    highs.changeObjectiveSense(
        highspy.ObjSense.kMaximize if maximise else highspy.ObjSense.kMinimize
    )
    highs.changeColsCost(cost.size, np.arange(cost.size, dtype=np.int32), cost / scale)
    highs.changeObjectiveOffset(offset / scale)
    return scale


def _set_limits(
    highs: highspy.Highs, time_limit: float, mip_gap: float, node_limit: int | None
) -> None:
    """Set the time limit (seconds), relative MIP gap and node limit (None: no limit)."""
    highs.setOptionValue("time_limit", float(max(time_limit, 0.01)))
    highs.setOptionValue("mip_rel_gap", float(mip_gap))
    highs.setOptionValue("mip_max_nodes", int(NO_NODE_LIMIT if node_limit is None else node_limit))


def _run_checked(
    highs: highspy.Highs,
    integrality: np.ndarray,
    scale: float,
    *,
    time_limit: float,
    mip_gap: float,
    maximise: bool,
) -> Run:
    """Run ``highs`` (objective divided by ``scale``) and read its outcome. HiGHS can claim
    an optimal MIP whose incumbent is farther than ``mip_gap`` from its own dual bound (a
    presolve fault): then it solves again without presolve, in what is left of
    ``time_limit`` (seconds), and keeps the better plan and the tighter bound."""
    began = time.perf_counter()
    interrupt.run(highs)
    run = Run(*outcome(highs, integrality, scale))
    if (
        run.status == "optimal"
        and integrality.any()
        and relative_gap(run.objective, run.bound) > mip_gap + SLACK
    ):
        again = _without_presolve(highs, integrality, scale, time_limit, began)
        run = _merged(run, again, mip_gap, maximise)
    return run


def outcome(highs: highspy.Highs, integrality: np.ndarray, scale: float):
    """(status, objective, dual bound, values or None, nodes) of the last HiGHS run; objective
    and bound multiplied back by ``scale``, integer values rounded."""
    info = highs.getInfo()
    has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
    status = status_name(highs.getModelStatus(), has_solution)
    objective = float(info.objective_function_value) * scale if has_solution else np.nan
    if not integrality.any():
        bound, nodes = objective, 0
    else:
        bound, nodes = float(info.mip_dual_bound) * scale, int(info.mip_node_count)
    values = None
    if has_solution:
        values = np.asarray(highs.getSolution().col_value, dtype=float)
        values[integrality == 1] = np.round(values[integrality == 1]) + 0.0  # no -0.0
    return status, objective, bound, values, nodes


def _mip_solution(
    run: Run, arrays: HighsArrays, seconds: float, seconds_compile: float
) -> MipSolution:
    """The outcome of a HiGHS run (gap inf without a solution); times in seconds."""
    gap = relative_gap(run.objective, run.bound) if run.values is not None else np.inf
    return MipSolution(
        status=run.status,
        objective=run.objective,
        bound=run.bound,
        gap=gap,
        seconds=seconds,
        seconds_compile=seconds_compile,
        nodes=run.nodes,
        n_cols=arrays.n_cols,
        n_rows=int(arrays.matrix.shape[0]),
        n_nonzeros=int(arrays.matrix.nnz),
        message=run.message,
    )


def decided(
    status: str, objective: float, seconds_compile: float, message: str = ""
) -> MipSolution:
    """An outcome settled without HiGHS: infeasible when compiled, or nothing left to choose."""
    gap = 0.0 if status == "optimal" else np.inf
    return MipSolution(status, objective, objective, gap, 0.0, seconds_compile, 0, 0, 0, 0, message)


def _without_presolve(
    highs: highspy.Highs,
    integrality: np.ndarray,
    scale: float,
    time_limit: float,
    run_began: float,
) -> Run:
    """Solve again without presolve, in what is left of ``time_limit`` (seconds, counted from
    ``run_began``; at least a tenth of it)."""
    highs.setOptionValue("presolve", "off")
    left = time_limit - (time.perf_counter() - run_began)
    highs.setOptionValue("time_limit", float(max(left, 0.1 * time_limit, 0.01)))
    highs.clearSolver()
    interrupt.run(highs)
    run = Run(*outcome(highs, integrality, scale))
    highs.setOptionValue("presolve", "choose")
    return run


def _merged(first: Run, again: Run, mip_gap: float, maximise: bool) -> Run:
    """The better solution of two runs, the tighter bound and both runs' nodes; optimal when
    within ``mip_gap``, else the second run's node limit or interruption, or time_limit."""
    objective, values = first.objective, first.values
    better = np.isfinite(again.objective) and (
        again.objective > objective if maximise else again.objective < objective
    )
    if better:
        objective, values = again.objective, again.values
    bound = min(first.bound, again.bound) if maximise else max(first.bound, again.bound)
    if relative_gap(objective, bound) <= mip_gap + SLACK:
        status = "optimal"
    else:
        status = again.status if again.status in ("node_limit", "interrupted") else "time_limit"
    return Run(
        status,
        objective,
        bound,
        values,
        first.nodes + again.nodes,
        "HiGHS reported optimal short of its own dual bound; re-solved without presolve",
    )
