"""Solve a linear Pyomo model with HiGHS by handing it over as one sparse matrix.

Pyomo's ``LinearStandardFormCompiler`` turns the model into arrays (cost vector, CSC
constraint matrix, right-hand sides) and ``highspy.Highs.passModel`` takes them in one
call, which avoids the per-object overhead of a persistent solver interface. The solution
is written back into the Pyomo variables so ``pyo.value(model.y[j])`` works afterwards.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import highspy
import numpy as np
import pyomo.environ as pyo
import scipy.sparse as sp
from pyomo.common.errors import InfeasibleConstraintException
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler, LinearStandardFormInfo

from optimizer import interrupt
from optimizer.solve.highs import objective_scale, quiet_highs, relative_gap, status_name

#: Gap beyond the requested one that still counts as solved (float noise).
SLACK = 1e-6

#: HiGHS's "no limit" on branch-and-bound nodes.
NO_NODE_LIMIT = 2**31 - 1


@dataclass
class PyomoSolution:
    """Outcome of ``solve_pyomo``.

    ``status`` is optimal (within the MIP gap), time_limit, node_limit or interrupted (an
    incumbent exists, or none for an interrupted run without one), infeasible, no_solution
    or error. ``objective`` and
    ``bound`` are in the model's own sense and include its constant term (nan / the trivial
    bound when there is no solution); ``gap`` is the relative MIP gap. ``seconds_compile``
    is the Pyomo-to-arrays time and ``seconds`` the HiGHS run time, both in seconds.
    ``message`` explains an infeasible compile, if any.
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


def solve_pyomo(
    model: pyo.ConcreteModel,
    *,
    time_limit: float,
    mip_gap: float,
    node_limit: int | None = None,
) -> PyomoSolution:
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
        return _decided("infeasible", np.nan, time.perf_counter() - began, str(exc))
    arrays = _arrays(form)
    seconds_compile = time.perf_counter() - began
    cost, offset = arrays.cost[0], float(arrays.offset[0])
    if not arrays.n_cols:  # every variable is fixed or unused: the objective is its constant
        return _constant(model, arrays, offset, seconds_compile)
    highs = quiet_highs(time_limit)
    _pass(highs, arrays)
    scale = _objective(highs, cost, offset, maximise)
    _limits(highs, time_limit, mip_gap, node_limit)
    run_began = time.perf_counter()
    interrupt.run(highs)
    run = _Run(*_outcome(highs, arrays.integrality, scale))
    if _short_of_bound(run, arrays.integrality, mip_gap):
        # HiGHS can claim optimality with a dual bound the incumbent does not reach (a
        # presolve fault): solve again without presolve and keep the better solution.
        again = _without_presolve(highs, arrays.integrality, scale, time_limit, run_began)
        run = _merged(run, again, mip_gap, maximise)
    seconds = time.perf_counter() - run_began
    if run.values is not None:
        _load(model, form.columns, run.values)
    return _solution(run, arrays, seconds, seconds_compile)


class StagedModel:
    """A linear Pyomo model with one objective per stage, compiled once into one HiGHS
    instance and solved stage after stage (lexicographic optimisation).

    Each solve changes only the objective; ``hold`` adds a row keeping a stage's objective
    near the value the last plan found reached. ``load`` writes that plan into the Pyomo
    variables.
    """

    def __init__(self, model: pyo.ConcreteModel, objectives: dict[str, tuple]):
        """Compile ``model`` with ``objectives`` (stage name: (expression, pyo sense)); the
        model must have no active objective of its own."""
        began = time.perf_counter()
        self.model = model
        self.names = list(objectives)
        self.maximise = [sense == pyo.maximize for _expr, sense in objectives.values()]
        self.values: np.ndarray | None = None
        self.message = ""
        model.stage_objectives = pyo.ObjectiveList()
        for expr, sense in objectives.values():
            model.stage_objectives.add(expr=expr, sense=sense)
        try:
            form = LinearStandardFormCompiler().write(model, mixed_form=True, set_sense=None)
        except InfeasibleConstraintException as exc:
            self.arrays, self.message = None, str(exc)
        else:
            self.columns = form.columns
            self.arrays = _arrays(form)
            self.highs = quiet_highs()
            if self.arrays.n_cols:
                _pass(self.highs, self.arrays)
        finally:
            model.del_component(model.stage_objectives)
        self.seconds_compile = time.perf_counter() - began

    def solve(
        self, stage: str, *, time_limit: float, mip_gap: float, node_limit: int | None = None
    ) -> PyomoSolution:
        """Optimise ``stage``'s objective over the rows and the rows held so far (see
        ``solve_pyomo`` for the limits and the outcome; ``seconds_compile`` is the share of
        the one compile that falls to this stage's objective)."""
        k = self.names.index(stage)
        compile_share = self.seconds_compile / len(self.names)
        if self.arrays is None:
            return _decided("infeasible", np.nan, compile_share, self.message)
        arrays = self.arrays
        cost, offset = arrays.cost[k], float(arrays.offset[k])
        if not arrays.n_cols:
            return _constant(self.model, arrays, offset, compile_share)
        scale = _objective(self.highs, cost, offset, self.maximise[k])
        _limits(self.highs, time_limit, mip_gap, node_limit)
        self.highs.clearSolver()
        run_began = time.perf_counter()
        interrupt.run(self.highs)
        run = _Run(*_outcome(self.highs, arrays.integrality, scale))
        if _short_of_bound(run, arrays.integrality, mip_gap):
            again = _without_presolve(self.highs, arrays.integrality, scale, time_limit, run_began)
            run = _merged(run, again, mip_gap, self.maximise[k])
        if run.values is not None:
            self.values = run.values
        return _solution(run, arrays, time.perf_counter() - run_began, compile_share)

    def value(self, stage: str) -> float:
        """``stage``'s objective in the last plan found."""
        k = self.names.index(stage)
        if self.arrays is None or self.values is None:
            return np.nan
        return float(self.arrays.cost[k] @ self.values + self.arrays.offset[k])

    def hold(self, stage: str, slack: float, target: float) -> None:
        """Keep ``stage``'s objective within ``slack`` of its value in the last plan found
        (not below it when maximised, not above when minimised): one row, divided by a
        power of ten so that its largest coefficient is at most ``target``."""
        k = self.names.index(stage)
        if self.arrays is None or self.values is None or not self.arrays.n_cols:
            return
        cost = self.arrays.cost[k]
        scale = objective_scale(cost, target)
        value = float(cost @ self.values)
        low, high = (value - slack, np.inf) if self.maximise[k] else (-np.inf, value + slack)
        nonzero = np.flatnonzero(cost)
        self.highs.addRow(
            low / scale,
            high / scale,
            nonzero.size,
            nonzero.astype(np.int32),
            cost[nonzero] / scale,
        )

    def load(self) -> None:
        """Write the last plan found into the model's variables."""
        if self.arrays is not None and self.values is not None:
            _load(self.model, self.columns, self.values)


@dataclass
class _Arrays:
    """The compiled model: number of columns, cost vectors and objective constants (one row
    and one entry per objective), column bounds and integrality (1 = integer), CSC
    constraint matrix and row bounds (inf where unbounded)."""

    n_cols: int
    cost: np.ndarray
    offset: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    integrality: np.ndarray
    matrix: sp.csc_array
    row_lower: np.ndarray
    row_upper: np.ndarray


@dataclass
class _Run:
    """One HiGHS outcome: status, objective and dual bound (unscaled), the column values
    (None without a solution), branch-and-bound nodes and a note on how it was reached."""

    status: str
    objective: float
    bound: float
    values: np.ndarray | None
    nodes: int
    message: str = ""


def _maximise(model: pyo.ConcreteModel) -> bool:
    """The sense of the model's one active objective (ValueError unless exactly one)."""
    objectives = list(model.component_data_objects(pyo.Objective, active=True))
    if len(objectives) != 1:
        raise ValueError(f"solve_pyomo needs exactly one active objective, got {len(objectives)}")
    return objectives[0].sense == pyo.maximize


def _arrays(form: LinearStandardFormInfo) -> _Arrays:
    """The compiled model's arrays, as HiGHS takes them."""
    col_lower, col_upper, integrality = _columns(form.columns)
    matrix, row_lower, row_upper = _rows(form)
    return _Arrays(
        n_cols=len(form.columns),
        cost=np.atleast_2d(form.c.toarray()),
        offset=np.asarray(form.c_offset, dtype=float).reshape(-1),
        col_lower=col_lower,
        col_upper=col_upper,
        integrality=integrality,
        matrix=matrix,
        row_lower=row_lower,
        row_upper=row_upper,
    )


def _constant(
    model: pyo.ConcreteModel, arrays: _Arrays, offset: float, seconds_compile: float
) -> PyomoSolution:
    """A model with no variable left to choose: optimal at its constant ``offset`` when
    every row holds at 0, else infeasible."""
    if not np.all((arrays.row_lower <= 0) & (arrays.row_upper >= 0)):
        return _decided("infeasible", np.nan, seconds_compile)
    _load(model, [], np.zeros(0))
    return _decided("optimal", offset, seconds_compile)


def _pass(highs: highspy.Highs, arrays: _Arrays) -> None:
    """Hand the compiled rows, column bounds and integrality to ``highs`` (no objective yet)."""
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


def _objective(highs: highspy.Highs, cost: np.ndarray, offset: float, maximise: bool) -> float:
    """Set the objective of ``highs``: ``cost`` and ``offset`` divided by the power of ten
    returned (``optimizer.solve.highs.objective_scale``)."""
    scale = objective_scale(cost)
    highs.changeObjectiveSense(
        highspy.ObjSense.kMaximize if maximise else highspy.ObjSense.kMinimize
    )
    highs.changeColsCost(cost.size, np.arange(cost.size, dtype=np.int32), cost / scale)
    highs.changeObjectiveOffset(offset / scale)
    return scale


def _limits(
    highs: highspy.Highs, time_limit: float, mip_gap: float, node_limit: int | None
) -> None:
    """Set the time limit (seconds), relative MIP gap and node limit (None: no limit)."""
    highs.setOptionValue("time_limit", float(max(time_limit, 0.01)))
    highs.setOptionValue("mip_rel_gap", float(mip_gap))
    highs.setOptionValue("mip_max_nodes", int(NO_NODE_LIMIT if node_limit is None else node_limit))


def _short_of_bound(run: _Run, integrality: np.ndarray, mip_gap: float) -> bool:
    """HiGHS claims an optimal MIP whose incumbent is farther than ``mip_gap`` from its own
    dual bound (a presolve fault)."""
    return bool(
        run.status == "optimal"
        and integrality.any()
        and relative_gap(run.objective, run.bound) > mip_gap + SLACK
    )


def _without_presolve(
    highs: highspy.Highs,
    integrality: np.ndarray,
    scale: float,
    time_limit: float,
    run_began: float,
) -> _Run:
    """Solve again without presolve, in what is left of ``time_limit`` (seconds, counted from
    ``run_began``; at least a tenth of it)."""
    highs.setOptionValue("presolve", "off")
    left = time_limit - (time.perf_counter() - run_began)
    highs.setOptionValue("time_limit", float(max(left, 0.1 * time_limit, 0.01)))
    highs.clearSolver()
    interrupt.run(highs)
    run = _Run(*_outcome(highs, integrality, scale))
    highs.setOptionValue("presolve", "choose")
    return run


def _merged(first: _Run, again: _Run, mip_gap: float, maximise: bool) -> _Run:
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
    return _Run(
        status,
        objective,
        bound,
        values,
        first.nodes + again.nodes,
        "HiGHS reported optimal short of its own dual bound; re-solved without presolve",
    )


def _solution(run: _Run, arrays: _Arrays, seconds: float, seconds_compile: float) -> PyomoSolution:
    """The outcome of a HiGHS run (gap inf without a solution); times in seconds."""
    gap = relative_gap(run.objective, run.bound) if run.values is not None else np.inf
    return PyomoSolution(
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


def _outcome(highs: highspy.Highs, integrality: np.ndarray, scale: float):
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


def _decided(
    status: str, objective: float, seconds_compile: float, message: str = ""
) -> PyomoSolution:
    """An outcome settled without HiGHS: infeasible when compiled, or nothing left to choose."""
    gap = 0.0 if status == "optimal" else np.inf
    return PyomoSolution(
        status, objective, objective, gap, 0.0, seconds_compile, 0, 0, 0, 0, message
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
