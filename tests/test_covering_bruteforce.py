"""The covering-tour enumeration (tests/covering_bruteforce.py) finds the optima one can see on
hand-made cases, and agrees with an independent vehicle-flow MIP (HiGHS through scipy) on random
tiny instances and on tiny pieces of the m-CTP benchmark files."""

from __future__ import annotations

import itertools
import math
import random
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from covering_bruteforce import CoveringTours, covering_tours
from scipy.optimize import Bounds, LinearConstraint, milp

from geodata.mctp import read_mctp

MCTP = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "mctp"

# depot 0 at (0, 0), vertex 1 at (3, 0), vertex 2 at (0, 4), vertex 3 at (3, 4)
RECTANGLE = [[0, 3, 4, 5], [3, 0, 5, 4], [4, 5, 0, 3], [5, 4, 3, 0]]


def check(distance, mandatory, covers, customers, p, q, result: CoveringTours) -> None:
    """The routes found are a plan that keeps every rule and has the length claimed."""
    if math.isinf(result.length):
        assert result.routes == ()
        return
    visited = [v for route in result.routes for v in route]
    assert len(visited) == len(set(visited)) and 0 not in visited
    assert set(mandatory) - {0} <= set(visited) <= set(mandatory) | set(covers)
    assert set(customers) <= set().union(*(covers.get(v, ()) for v in visited))
    total = 0
    for route in result.routes:
        stops = (0, *route, 0)
        length = sum(distance[a][b] for a, b in itertools.pairwise(stops))
        assert 1 <= len(route) <= p and length <= q
        total += length
    assert total == result.length


def solve(distance, mandatory, covers, customers, p, q=math.inf) -> float:
    result = covering_tours(distance, mandatory, covers, customers, p, q)
    check(distance, mandatory, covers, customers, p, q, result)
    return result.length


def flow_mip(distance, mandatory, covers, customers, p, q=math.inf) -> float:
    """Optimal total length by a three-index vehicle-flow MIP: arcs x[k, i, j], visits y[k, i],
    vehicle used u[k], every subtour cut (for each vehicle, vertex set S and i in S:
    x_k(S) <= y_k(S) - y_k(i)) written out; math.inf when infeasible."""
    nodes = [0, *sorted(set(mandatory) - {0}), *sorted(covers)]
    others = nodes[1:]
    vehicles = range(len(others))
    arcs = [(i, j) for i in nodes for j in nodes if i != j]
    x = {(k, i, j): n for n, (k, (i, j)) in enumerate(itertools.product(vehicles, arcs))}
    y = {(k, i): len(x) + n for n, (k, i) in enumerate(itertools.product(vehicles, others))}
    u = {k: len(x) + len(y) + k for k in vehicles}
    size = len(x) + len(y) + len(u)
    rows: list[dict[int, float]] = []
    lower: list[float] = []
    upper: list[float] = []

    def row(coefficients: dict[int, float], lo: float, hi: float) -> None:
        rows.append(coefficients)
        lower.append(lo)
        upper.append(hi)

    for i in others:  # mandatory: exactly once; optional: at most once
        row({y[k, i]: 1 for k in vehicles}, 1 if i in mandatory else 0, 1)
    for w in customers:
        row({y[k, v]: 1 for k in vehicles for v in covers if w in covers[v]}, 1, math.inf)
    for k in vehicles:
        for i in nodes:
            visit = {u[k]: -1} if i == 0 else {y[k, i]: -1}
            row({x[k, i, j]: 1 for j in nodes if j != i} | visit, 0, 0)
            row({x[k, j, i]: 1 for j in nodes if j != i} | visit, 0, 0)
        row({y[k, i]: 1 for i in others} | {u[k]: -p}, -math.inf, 0)
        if k:
            row({u[k]: 1, u[k - 1]: -1}, -math.inf, 0)
        if math.isfinite(q):
            row({x[k, i, j]: distance[i][j] for i, j in arcs}, -math.inf, q)
        for size_s in range(2, len(others) + 1):
            for subset in itertools.combinations(others, size_s):
                inside = {x[k, a, b]: 1 for a in subset for b in subset if a != b}
                for i in subset:
                    cut = inside | {y[k, j]: -1 for j in subset if j != i}
                    row(cut, -math.inf, 0)
    cost = np.zeros(size)
    for (_, i, j), n in x.items():
        cost[n] = distance[i][j]
    if not rows:
        return 0.0
    matrix = sp.lil_array((len(rows), size))
    for r, coefficients in enumerate(rows):
        for column, value in coefficients.items():
            matrix[r, column] = value
    result = milp(
        cost,
        constraints=LinearConstraint(matrix.tocsr(), lower, upper),
        integrality=np.ones(size),
        bounds=Bounds(0, 1),
        options={"mip_rel_gap": 0},
    )
    if result.status == 2:
        return math.inf
    assert result.status == 0, result.message
    return round(result.fun)


# --- hand-made cases ----------------------------------------------------------------------


def test_nothing_to_visit_costs_nothing():
    assert covering_tours(RECTANGLE, [], {}, [], p=2) == CoveringTours(0, ())
    assert covering_tours(RECTANGLE, [0], {2: {"a"}}, [], p=2) == CoveringTours(0, ())


def test_one_mandatory_vertex_is_a_return_trip():
    assert covering_tours(RECTANGLE, [1], {}, [], p=1) == CoveringTours(6, ((1,),))


def test_p_and_q_split_routes():
    # 0-1-2-0 is 3 + 5 + 4 = 12; two return trips are 6 + 8 = 14
    assert solve(RECTANGLE, [1, 2], {}, [], p=2) == 12
    assert solve(RECTANGLE, [1, 2], {}, [], p=1) == 14
    assert solve(RECTANGLE, [1, 2], {}, [], p=2, q=11) == 14
    assert solve(RECTANGLE, [1, 2], {}, [], p=2, q=12) == 12
    assert solve(RECTANGLE, [1, 2], {}, [], p=2, q=7) == math.inf  # vertex 2 alone needs 8
    assert solve(RECTANGLE, [1, 2, 3], {}, [], p=3) == 3 + 4 + 3 + 4  # the rectangle


def test_the_nearest_covering_vertex_is_visited():
    assert covering_tours(RECTANGLE, [], {2: {"a"}, 3: {"a"}}, ["a"], p=1) == CoveringTours(
        8, ((2,),)
    )
    # customer b only by vertex 3: one stop covering both beats two stops
    assert solve(RECTANGLE, [], {2: {"a"}, 3: {"a", "b"}}, ["a", "b"], p=2) == 10
    assert solve(RECTANGLE, [], {2: {"a"}, 3: {"b"}}, ["a", "b"], p=2) == 12
    assert solve(RECTANGLE, [], {2: {"a"}, 3: {"b"}}, ["a", "b"], p=1) == 18


def test_mandatory_vertices_cover_nothing():
    # vertex 1 is visited anyway, but customer a still needs an optional stop
    result = covering_tours(RECTANGLE, [1], {2: {"a"}, 3: {"a"}}, ["a"], p=2)
    assert result.length == 12
    assert solve(RECTANGLE, [1], {2: {"a"}, 3: {"a"}}, ["a"], p=1) == 6 + 8


def test_an_uncoverable_customer_makes_it_infeasible():
    assert covering_tours(RECTANGLE, [1], {2: {"a"}}, ["a", "z"], p=3) == CoveringTours(
        math.inf, ()
    )


def test_too_many_vertices_are_refused():
    distance = np.zeros((10, 10))
    with pytest.raises(ValueError, match="too many vertices"):
        covering_tours(distance, range(10), {}, [], p=3)


@pytest.mark.parametrize(
    "mandatory, covers, customers, p, q",
    [
        ([1, 2], {}, [], 2, math.inf),
        ([1, 2], {}, [], 2, 11),
        ([1], {2: {"a"}, 3: {"a", "b"}}, ["a", "b"], 1, math.inf),
        ([], {1: {"a"}, 2: {"b"}, 3: {"a", "b"}}, ["a", "b"], 2, 9),
        ([1], {2: {"a"}}, ["a", "z"], 3, math.inf),
    ],
)
def test_the_flow_mip_agrees_on_the_hand_made_cases(mandatory, covers, customers, p, q):
    assert flow_mip(RECTANGLE, mandatory, covers, customers, p, q) == solve(
        RECTANGLE, mandatory, covers, customers, p, q
    )


# --- random tiny instances ----------------------------------------------------------------


def random_instance(seed: int):
    rng = random.Random(seed)
    n_mandatory, n_optional = rng.randint(0, 2), rng.randint(2, 4)
    n_visitable = 1 + n_mandatory + n_optional
    points = np.array([[rng.randint(0, 100), rng.randint(0, 100)] for _ in range(n_visitable)])
    distance = np.floor(np.hypot(*(points[:, None] - points[None]).transpose(2, 0, 1)) + 0.5)
    distance = distance.astype(int).tolist()
    optional = list(range(1 + n_mandatory, n_visitable))
    customers = [f"w{k}" for k in range(rng.randint(1, 5))]
    covers: dict[int, set[str]] = {v: set() for v in optional}
    for w in customers:  # one or two covering vertices, now and then none
        for v in rng.sample(optional, rng.choice([0, 1, 1, 1, 1, 2, 2, 2, 2, 2])):
            covers[v].add(w)
    p = rng.randint(1, 3)
    farthest = max(distance[0])
    q = math.inf if rng.random() < 0.35 else 2 * farthest + rng.choice([-20, 0, 30, 60, 120])
    return distance, list(range(1, 1 + n_mandatory)), covers, customers, p, q


@pytest.mark.parametrize("seed", range(16))
def test_the_enumeration_agrees_with_the_flow_mip_on_random_instances(seed):
    distance, mandatory, covers, customers, p, q = random_instance(seed)
    assert solve(distance, mandatory, covers, customers, p, q) == flow_mip(
        distance, mandatory, covers, customers, p, q
    )


def test_the_random_instances_include_infeasible_and_split_plans():
    results = [covering_tours(*random_instance(seed)) for seed in range(16)]
    assert any(math.isinf(r.length) for r in results)
    assert any(len(r.routes) >= 2 for r in results)
    assert any(len(r.routes) == 1 and len(r.routes[0]) >= 2 for r in results)


# --- tiny pieces of the benchmark files -------------------------------------------------------


def piece(name: str, n_mandatory: int, n_optional: int, p: int | None = None):
    """The depot, the first `n_mandatory` other mandatory vertices, the first optional vertex
    and the optional vertices sharing the most customers with it; the customers they cover."""
    inst = read_mctp(MCTP / f"{name}.ctp")
    first = inst.covers[0]
    shared = sorted(range(1, inst.n_optional), key=lambda r: (-(inst.covers[r] & first).sum(), r))
    rows = [0, *shared[: n_optional - 1]]
    vertices = [0, *list(inst.mandatory)[:n_mandatory], *(inst.n_mandatory + r for r in rows)]
    distance = inst.distance[np.ix_(vertices, vertices)].tolist()
    covers = {
        1 + n_mandatory + n: {int(k) for k in np.flatnonzero(inst.covers[r])}
        for n, r in enumerate(rows)
    }
    customers = sorted(set().union(*covers.values()))
    return distance, list(range(1, 1 + n_mandatory)), covers, customers, p or inst.p, inst.q


PIECES = [
    ("A1-1-25-75-4", 0, 3, None),
    ("A1-5-25-75-4-250", 2, 3, 2),
    ("B1-1-50-50-5-500", 0, 3, 1),
    ("B1-10-50-50-4-250", 3, 2, 2),
]


@pytest.mark.skipif(not MCTP.is_dir(), reason=f"m-CTP benchmark files not found in {MCTP}")
@pytest.mark.parametrize("name, n_mandatory, n_optional, p", PIECES)
def test_the_enumeration_agrees_with_the_flow_mip_on_benchmark_pieces(
    name, n_mandatory, n_optional, p
):
    distance, mandatory, covers, customers, p, q = piece(name, n_mandatory, n_optional, p)
    assert len(customers) >= 2
    length = solve(distance, mandatory, covers, customers, p, q)
    assert math.isfinite(length)
    assert length == flow_mip(distance, mandatory, covers, customers, p, q)
