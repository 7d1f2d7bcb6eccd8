"""Lexicographic optimisation of a matrix model: one objective per stage, solved in turn on
one HiGHS instance, each stage's optimum held by a row while the next is solved."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from models.matrix import MatrixModel
from optimizer.solve.highs import objective_scale, quiet_highs
from optimizer.solve.highs_run import HighsArrays, MipSolution, pass_arrays, solve_arrays


class StagedModel:
    """A matrix model with one objective per stage, handed to HiGHS once and solved stage
    after stage.

    Each solve changes only the objective; ``hold`` adds a row keeping a stage's objective
    near the value the last plan found reached; ``values`` is that plan (None before one).
    """

    def __init__(
        self,
        model: MatrixModel,
        objectives: dict[str, tuple[np.ndarray, bool]],
        offsets: dict[str, float] | None = None,
    ):
        """Hand ``model``'s rows and columns to HiGHS; ``objectives`` maps each stage to its
        cost per column and whether it is maximised (``model``'s own cost is not used),
        ``offsets`` a stage to the constant its objective adds (default 0)."""
        began = time.perf_counter()
        data = model.arrays()
        self.arrays = HighsArrays(
            n_cols=model.n_cols,
            col_lower=data["col_lower"],
            col_upper=data["col_upper"],
            integrality=data["integrality"],
            matrix=data["matrix"],
            row_lower=data["row_lower"],
            row_upper=data["row_upper"],
        )
        self.objectives = objectives
        self.offsets = offsets or {}
        self.values: np.ndarray | None = None
        self.highs = quiet_highs()
        pass_arrays(self.highs, self.arrays)
        self.seconds_compile = time.perf_counter() - began

    def solve(
        self, stage: str, *, time_limit: float, mip_gap: float, node_limit: int | None = None
    ) -> MipSolution:
        """Optimise ``stage``'s objective over the rows and the rows held so far.

        ``time_limit`` is in seconds, ``mip_gap`` a relative gap (0 proves optimality),
        ``node_limit`` the most branch-and-bound nodes (None: no limit). The run is
        deterministic (one thread, fixed seed); ``seconds_compile`` of the outcome is the
        share of the hand-over that falls to this stage."""
        cost, maximise = self.objectives[stage]
        solution, values = solve_arrays(
            self.highs,
            self.arrays,
            cost,
            self.offsets.get(stage, 0.0),
            maximise=maximise,
            time_limit=time_limit,
            mip_gap=mip_gap,
            node_limit=node_limit,
            seconds_compile=self.seconds_compile / len(self.objectives),
        )
        if values is not None:
            self.values = values
        return solution

    def value(self, stage: str) -> float:
        """``stage``'s objective in the last plan found (nan before one)."""
        if self.values is None:
            return np.nan
        return float(self.objectives[stage][0] @ self.values) + self.offsets.get(stage, 0.0)

    def hold(self, stage: str, slack: float, target: float) -> None:
        """Keep ``stage``'s objective within ``slack`` of its value in the last plan found
        (not below it when maximised, not above when minimised): one row, divided by a
        power of ten so that its largest coefficient is at most ``target``."""
        if self.values is None:
            return
        cost, _maximise = self.objectives[stage]
        self.bound(stage, float(cost @ self.values), slack, target)

    def bound(self, stage: str, value: float, slack: float, target: float) -> None:
        """Keep ``stage``'s objective terms (without its offset) within ``slack`` of
        ``value``, no worse: one row, scaled as in :meth:`hold`."""
        cost, maximise = self.objectives[stage]
        scale = objective_scale(cost, target)
        low, high = (value - slack, np.inf) if maximise else (-np.inf, value + slack)
        nonzero = np.flatnonzero(cost)
        self.highs.addRow(
            low / scale,
            high / scale,
            nonzero.size,
            nonzero.astype(np.int32),
            cost[nonzero] / scale,
        )

    @contextmanager
    def fixed(self, columns: np.ndarray) -> Iterator[None]:
        """Inside the block, ``columns`` are fixed as by :meth:`fix`; their bounds are
        restored on leaving."""
        lower, upper = self.arrays.col_lower[columns].copy(), self.arrays.col_upper[columns].copy()
        self.fix(columns)
        try:
            yield
        finally:
            self.arrays.col_lower[columns] = lower
            self.arrays.col_upper[columns] = upper
            self.highs.changeColsBounds(columns.size, columns.astype(np.int32), lower, upper)

    def fix(self, columns: np.ndarray) -> None:
        """Fix ``columns`` at their values in the last plan found (integer columns rounded),
        so that later stages only move the others."""
        if self.values is None or columns.size == 0:
            return
        values = self.values[columns].copy()
        whole = self.arrays.integrality[columns] > 0
        values[whole] = np.rint(values[whole])
        self.arrays.col_lower[columns] = values
        self.arrays.col_upper[columns] = values
        self.highs.changeColsBounds(columns.size, columns.astype(np.int32), values, values)
