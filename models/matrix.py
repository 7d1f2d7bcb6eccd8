"""A sparse linear model assembled from blocks of variables and rows.

The location models state their variables and constraints as named blocks whose
coefficients are given as coordinate triples. The finished model is a standard form
``min/max c'x  s.t.  row_lower <= A x <= row_upper,  col_lower <= x <= col_upper``
with integrality flags, ready to hand to a solver as arrays (no per-object overhead).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

# Terms of a linear row: (columns, one coefficient or one coefficient per column).
Terms = list[tuple[np.ndarray, float | np.ndarray]]


@dataclass
class VariableBlock:
    """A contiguous range of columns of one kind (e.g. ``y`` = open site j)."""

    name: str
    start: int
    size: int

    def index(self, local: np.ndarray | int) -> np.ndarray | int:
        """Global column index of local position(s) in this block."""
        return self.start + local

    def slice(self) -> slice:
        """The block's columns as a slice of the solution vector."""
        return slice(self.start, self.start + self.size)


@dataclass
class MatrixModel:
    """A sparse (mixed-integer) linear model built block by block."""

    sense: str = "min"
    col_cost: list[np.ndarray] = field(default_factory=list)
    col_lower: list[np.ndarray] = field(default_factory=list)
    col_upper: list[np.ndarray] = field(default_factory=list)
    col_integer: list[np.ndarray] = field(default_factory=list)
    blocks: dict[str, VariableBlock] = field(default_factory=dict)
    rows: dict[str, tuple[int, int]] = field(default_factory=dict)
    offset: float = 0.0
    _n_cols: int = 0
    _n_rows: int = 0
    _row_idx: list[np.ndarray] = field(default_factory=list)
    _col_idx: list[np.ndarray] = field(default_factory=list)
    _vals: list[np.ndarray] = field(default_factory=list)
    _row_lower: list[np.ndarray] = field(default_factory=list)
    _row_upper: list[np.ndarray] = field(default_factory=list)

    @property
    def n_cols(self) -> int:
        return self._n_cols

    @property
    def n_rows(self) -> int:
        return self._n_rows

    def add_variables(
        self,
        name: str,
        size: int,
        *,
        cost: float | np.ndarray = 0.0,
        lower: float | np.ndarray = 0.0,
        upper: float | np.ndarray = np.inf,
        integer: bool | np.ndarray = False,
    ) -> VariableBlock:
        """Add a block of ``size`` variables and return it (``integer``: for the whole block,
        or one flag per variable)."""
        block = VariableBlock(name, self._n_cols, int(size))
        self.col_cost.append(np.broadcast_to(np.asarray(cost, dtype=float), (size,)).copy())
        self.col_lower.append(np.broadcast_to(np.asarray(lower, dtype=float), (size,)).copy())
        self.col_upper.append(np.broadcast_to(np.asarray(upper, dtype=float), (size,)).copy())
        flags = np.broadcast_to(np.asarray(integer, dtype=bool), (size,))
        self.col_integer.append(flags.astype(np.int32))
        self.blocks[name] = block
        self._n_cols += int(size)
        return block

    def add_rows(
        self,
        name: str,
        n_rows: int,
        rows: np.ndarray,
        cols: np.ndarray,
        vals: np.ndarray | float,
        *,
        lower: float | np.ndarray = -np.inf,
        upper: float | np.ndarray = np.inf,
    ) -> int:
        """Add ``n_rows`` constraints given as triples (local row, global column, value).

        Returns the global index of the first added row.
        """
        first = self._n_rows
        rows = np.asarray(rows, dtype=np.int64)
        cols = np.asarray(cols, dtype=np.int64)
        vals = np.broadcast_to(np.asarray(vals, dtype=float), rows.shape)
        self._row_idx.append(rows + first)
        self._col_idx.append(cols)
        self._vals.append(np.array(vals, dtype=float))
        self._row_lower.append(np.broadcast_to(np.asarray(lower, dtype=float), (n_rows,)).copy())
        self._row_upper.append(np.broadcast_to(np.asarray(upper, dtype=float), (n_rows,)).copy())
        self.rows[name] = (first, int(n_rows))
        self._n_rows += int(n_rows)
        return first

    def add_triples(
        self, name: str, n_rows: int, rows, cols, vals, **bounds: float | np.ndarray
    ) -> None:
        """Add ``n_rows`` rows from (local row, column, value) triples, zero values left
        out (``vals`` may be one value for all); a negative column is an error."""
        rows, cols = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
        vals = np.broadcast_to(np.asarray(vals, dtype=float), rows.shape)
        if (cols < 0).any():
            raise ValueError(f"rows {name} name a column that does not exist")
        keep = vals != 0
        self.add_rows(name, n_rows, rows[keep], cols[keep], vals[keep], **bounds)

    def add_sum(self, name: str, terms: Terms, **bounds: float | np.ndarray) -> None:
        """One row: the sum of all terms (coefficients of a repeated column add up)."""
        cols = np.concatenate([cols for cols, _vals in terms])
        vals = np.concatenate([np.broadcast_to(np.asarray(v, float), c.shape) for c, v in terms])
        self.add_triples(name, 1, np.zeros(cols.size), cols, vals, **bounds)

    def add_each(self, name: str, terms: Terms, **bounds: float | np.ndarray) -> None:
        """One row per position k of the terms' columns: the sum of their k-th terms (every
        term has as many columns)."""
        size = terms[0][0].size
        rows = np.concatenate([np.arange(size) for _cols, _vals in terms])
        cols = np.concatenate([cols for cols, _vals in terms])
        vals = np.concatenate([np.broadcast_to(np.asarray(v, float), c.shape) for c, v in terms])
        self.add_triples(name, size, rows, cols, vals, **bounds)

    def bounds(self, block: VariableBlock) -> tuple[np.ndarray, np.ndarray]:
        """The lower and upper bounds of ``block``'s columns."""
        lower = _concat(self.col_lower, float)[block.slice()]
        return lower, _concat(self.col_upper, float)[block.slice()]

    def arrays(self) -> dict[str, np.ndarray | sp.csc_array | float | int]:
        """The model as column-wise arrays: cost, bounds, integrality and a CSC matrix."""
        rows = np.concatenate(self._row_idx) if self._row_idx else np.zeros(0, np.int64)
        cols = np.concatenate(self._col_idx) if self._col_idx else np.zeros(0, np.int64)
        vals = np.concatenate(self._vals) if self._vals else np.zeros(0)
        matrix = sp.csc_array((vals, (rows, cols)), shape=(self._n_rows, self._n_cols))
        matrix.sum_duplicates()
        return {
            "sense": self.sense,
            "offset": self.offset,
            "cost": _concat(self.col_cost, float),
            "col_lower": _concat(self.col_lower, float),
            "col_upper": _concat(self.col_upper, float),
            "integrality": _concat(self.col_integer, np.int32),
            "row_lower": _concat(self._row_lower, float),
            "row_upper": _concat(self._row_upper, float),
            "matrix": matrix,
        }


def yuan_scale(amount: float) -> float:
    """The power of ten to divide a row of yuan amounts up to ``amount`` by, so that its
    coefficients stay near 1e3 (amounts near 1e9 make a badly scaled row for HiGHS)."""
    return 10.0 ** max(0, int(np.log10(max(amount, 1.0))) - 3)


def _concat(parts: list[np.ndarray], dtype) -> np.ndarray:
    return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)


def site_variables(
    model: MatrixModel,
    n_sites: int,
    *,
    cost: float | np.ndarray,
    required: np.ndarray,
    barred: np.ndarray,
) -> VariableBlock:
    """Binary ``y[j]`` = site j open, fixed at 1 for required and 0 for barred sites."""
    lower = np.zeros(n_sites)
    upper = np.ones(n_sites)
    lower[required] = 1.0
    upper[barred] = 0.0
    return model.add_variables("y", n_sites, cost=cost, lower=lower, upper=upper, integer=True)


def count_row(model: MatrixModel, y: VariableBlock, p: int) -> None:
    """The row ``sum_j y[j] = p``."""
    model.add_rows(
        "count", 1, np.zeros(y.size, np.int64), y.index(np.arange(y.size)), 1.0, lower=p, upper=p
    )
