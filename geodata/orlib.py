"""Readers for J.E. Beasley's OR-Library location benchmarks (pmed and cap formats)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import shortest_path

from geodata.errors import InputError


@dataclass
class PMedianInstance:
    """A p-median instance: full shortest-path cost matrix (n x n) and p."""

    name: str
    cost: np.ndarray
    p: int


@dataclass
class FacilityInstance:
    """A facility location instance: per-unit costs so that demand x unit cost = OR cost."""

    name: str
    demand: np.ndarray
    capacity: np.ndarray  # inf where the file says "capacity" (uncapacitated)
    fixed_cost: np.ndarray
    unit_cost: np.ndarray  # customers x facilities
    allocation_cost: np.ndarray  # customers x facilities, cost of serving all demand


def read_pmed(path: str | Path) -> PMedianInstance:
    """Read a pmed file: ``n edges p`` then ``i j cost`` edges; the last duplicate edge wins."""
    path = Path(path)
    tokens = path.read_text().split()
    n, n_edges, p = (int(t) for t in tokens[:3])
    edges = np.array(tokens[3 : 3 + 3 * n_edges], dtype=float).reshape(-1, 3)
    if edges.shape[0] != n_edges:
        raise InputError(f"{path}: expected {n_edges} edges, found {edges.shape[0]}")
    weight: dict[tuple[int, int], float] = {}
    for i, j, c in edges:
        a, b = int(i) - 1, int(j) - 1
        weight[(min(a, b), max(a, b))] = c
    ij = np.array(list(weight.keys()))
    graph = sp.coo_array((list(weight.values()), (ij[:, 0], ij[:, 1])), shape=(n, n))
    cost = shortest_path(graph.tocsr(), directed=False)
    return PMedianInstance(path.stem, cost, p)


def read_pmed_optima(path: str | Path) -> dict[str, float]:
    """Read pmedopt.txt into {instance name: optimal value}."""
    return _read_optima(path)


def read_cap(path: str | Path) -> FacilityInstance:
    """Read a cap file (cap41..cap134, capa/b/c)."""
    path = Path(path)
    tokens = path.read_text().split()
    m, n = int(tokens[0]), int(tokens[1])
    pos = 2
    capacity = np.empty(m)
    fixed = np.empty(m)
    for j in range(m):
        capacity[j] = np.inf if tokens[pos] == "capacity" else float(tokens[pos])
        fixed[j] = float(tokens[pos + 1])
        pos += 2
    demand = np.empty(n)
    alloc = np.empty((n, m))
    for i in range(n):
        demand[i] = float(tokens[pos])
        alloc[i] = np.array(tokens[pos + 1 : pos + 1 + m], dtype=float)
        pos += 1 + m
    unit = alloc / np.where(demand > 0, demand, 1.0)[:, None]
    return FacilityInstance(path.stem, demand, capacity, fixed, unit, alloc)


def read_cap_optima(path: str | Path) -> dict[str, float]:
    """Read capopt.txt into {instance name: optimal value}."""
    return _read_optima(path)


def _read_optima(path: str | Path) -> dict[str, float]:
    values: dict[str, float] = {}
    for line in Path(path).read_text().splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 2:
            values[parts[0]] = float(parts[1])
    return values
