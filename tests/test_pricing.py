"""Exact day-route pricing against enumeration of every elementary route, its relaxations
and budget stop, and the cost-unit rounding of the route master's bound."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from models import pricing
from models.labelling import FIRST_LABELS
from models.pricing import enumerate_routes, exact_price
from models.routes import StopTimes
from optimizer.solve.roaming import cost_unit, round_up


def random_times(rng, n: int, day: float, cap: float = np.inf) -> StopTimes:
    """Villages and one base (site 0) at random points, straight-line minutes; legs longer
    than ``cap`` are absent (so legs need not satisfy the triangle inequality)."""
    xy = rng.uniform(0, 20, size=(n, 2))
    base = rng.uniform(0, 20, size=2)
    between = 2 * np.linalg.norm(xy[:, None] - xy[None], axis=2)
    out = 2 * np.linalg.norm(xy - base, axis=1)
    between[between > cap] = np.inf
    out[out > cap] = np.inf
    return StopTimes({0: out}, between, rng.uniform(5, 15, size=n), day)


def best_route(times: StopTimes, prize: np.ndarray) -> float:
    """The most prize of any elementary route within the day (every ordered stop subset)."""
    best = -np.inf
    for k in range(1, prize.size + 1):
        for stops in itertools.permutations(range(prize.size), k):
            if times.duration(0, stops) <= times.day + 1e-9:
                best = max(best, float(prize[list(stops)].sum()))
    return best


def check_routes(times: StopTimes, prize: np.ndarray, priced, threshold: float) -> None:
    for route in priced.routes:
        assert len(set(route.stops)) == len(route.stops)
        assert route.minutes == pytest.approx(times.duration(0, route.stops))
        assert route.minutes <= times.day + 1e-9
        assert prize[list(route.stops)].sum() > threshold


@pytest.mark.parametrize("seed", range(8))
def test_exact_pricing_equals_enumeration(seed):
    """Prizes of both signs and zeros, a day from tight to loose: the best route's prize
    and the routes above a threshold, against every elementary route."""
    rng = np.random.default_rng(100 + seed)
    n = 7
    times = random_times(rng, n, day=float(rng.uniform(45, 150)))
    prize = rng.uniform(-1, 3, size=n) * (rng.uniform(size=n) > 0.25)
    best = best_route(times, prize)
    threshold = 0.6 * best
    priced = exact_price(times, 0, prize, threshold)
    assert priced.proven and priced.elementary
    assert priced.most == pytest.approx(max(best, threshold))
    check_routes(times, prize, priced, threshold)
    if best > threshold:
        assert max(prize[list(r.stops)].sum() for r in priced.routes) == pytest.approx(best)
    above = exact_price(times, 0, prize, best + 1e-6)
    assert above.routes == [] and above.most == pytest.approx(best + 1e-6)


@pytest.mark.parametrize("seed", range(4))
def test_absent_legs_pass_through_villages(seed):
    """Legs beyond a cap are absent: a route may reach a village only through others. The
    bound still covers every elementary route, and its routes are real ones."""
    rng = np.random.default_rng(200 + seed)
    times = random_times(rng, 7, day=160.0, cap=14.0)
    prize = rng.uniform(0, 3, size=7) * (rng.uniform(size=7) > 0.4)
    best = best_route(times, prize)
    priced = exact_price(times, 0, prize, threshold=0.0)
    assert priced.proven
    assert priced.most >= best - 1e-9
    check_routes(times, prize, priced, 0.0)
    if priced.routes:
        assert max(prize[list(r.stops)].sum() for r in priced.routes) <= best + 1e-9


@pytest.mark.parametrize("seed", range(4))
def test_relaxations_bound_the_best_route(seed, monkeypatch):
    """Without ng-memory and decremental rounds (routes may repeat villages), and when the
    label budget stops the search (the completion bound stands in), the reported most prize
    is still at least the best elementary route's."""
    rng = np.random.default_rng(300 + seed)
    times = random_times(rng, 7, day=float(rng.uniform(60, 140)))
    prize = rng.uniform(0, 3, size=7)
    best = best_route(times, prize)
    stopped = exact_price(times, 0, prize, threshold=0.0, budget=1)
    assert not stopped.proven and stopped.most >= best - 1e-9
    check_routes(times, prize, stopped, 0.0)
    monkeypatch.setattr(pricing, "NG", 1)
    monkeypatch.setattr(pricing, "DSSR_ROUNDS", 1)
    loose = exact_price(times, 0, prize, threshold=0.0)
    assert loose.most >= best - 1e-9
    check_routes(times, prize, loose, 0.0)


def best_sets(times: StopTimes, prize: np.ndarray, stops_of, floor: float) -> dict:
    """Every elementary route's stop set whose prize beats ``floor`` (stops among
    ``stops_of``), with its fewest minutes."""
    sets: dict = {}
    for k in range(1, len(stops_of) + 1):
        for stops in itertools.permutations(stops_of, k):
            minutes = times.duration(0, stops)
            if minutes <= times.day + 1e-9 and prize[list(stops)].sum() > floor + 1e-9:
                key = frozenset(stops)
                sets[key] = min(sets.get(key, np.inf), minutes)
    return sets


@pytest.mark.parametrize("seed", range(8))
def test_route_enumeration_lists_every_route_above_the_floor(seed):
    """Every elementary route whose prize beats the floor, once per stop set with its
    shortest order: prizes of both signs and zeros, villages with no prize that must be
    stops, a floor from loose to above the best route."""
    rng = np.random.default_rng(400 + seed)
    n = 7
    times = random_times(rng, n, day=float(rng.uniform(45, 150)))
    prize = rng.uniform(-1, 3, size=n) * (rng.uniform(size=n) > 0.3)
    needed = (prize <= 0) & (rng.uniform(size=n) > 0.5)
    stops_of = np.flatnonzero((prize > 0) | needed).tolist()
    for share in (-0.5, 0.0, 0.5, 1.01):
        floor = share * best_route(times, np.where(prize > 0, prize, 0.0))
        listed = enumerate_routes(times, 0, prize, floor, needed)
        assert listed.complete
        expected = best_sets(times, np.maximum(prize, 0.0), stops_of, floor)
        assert {frozenset(r.stops): r.minutes for r in listed.routes} == pytest.approx(expected)
        for route in listed.routes:
            assert route.minutes == pytest.approx(times.duration(0, route.stops))


@pytest.mark.parametrize("seed", range(3))
def test_route_enumeration_says_when_it_is_incomplete(seed):
    """A label budget too small for the search, or routes that would pass a village twice
    on legs beyond the cap, leave the list incomplete, and the result says so."""
    rng = np.random.default_rng(500 + seed)
    times = random_times(rng, 7, day=120.0)
    prize = rng.uniform(0.5, 3, size=7)
    cut = enumerate_routes(times, 0, prize, 0.0, np.zeros(7, dtype=bool), budget=3)
    assert not cut.complete and cut.stopped and cut.labels == 3
    whole = enumerate_routes(times, 0, prize, 0.0, np.zeros(7, dtype=bool))
    assert whole.complete and len(whole.routes) > len(cut.routes)


def test_searches_beyond_the_first_label_arrays_agree():
    """Searches making more labels than the kernels first make room for (their arrays and
    the enumeration's hash table grow): exact pricing and the enumeration find the same
    best route, and a budget past the first room still stops them at that many labels."""
    rng = np.random.default_rng(0)
    n = 24
    times = random_times(rng, n, day=150.0)
    prize = rng.uniform(0.5, 3, size=n)
    priced = exact_price(times, 0, prize, 0.0)
    assert priced.proven and priced.elementary and priced.labels > FIRST_LABELS
    listed = enumerate_routes(times, 0, prize, 0.8 * priced.most, np.zeros(n, dtype=bool))
    assert listed.complete and listed.labels > 2 * FIRST_LABELS
    values = sorted(float(prize[list(r.stops)].sum()) for r in listed.routes)
    assert values[-1] == pytest.approx(priced.most)
    assert len({frozenset(r.stops) for r in listed.routes}) == len(listed.routes)
    for route in listed.routes:
        assert route.minutes == pytest.approx(times.duration(0, route.stops))
        assert route.minutes <= times.day + 1e-9
    budget = FIRST_LABELS + 600
    stopped = exact_price(times, 0, prize, 0.0, budget=budget)
    assert not stopped.proven and stopped.labels == budget and stopped.most >= priced.most
    cut = enumerate_routes(times, 0, prize, 0.0, np.zeros(n, dtype=bool), budget=budget)
    assert cut.stopped and not cut.complete and cut.labels == budget


def test_cost_unit_and_rounding():
    unit = cost_unit(np.array([150_000.0, 3_740_000.0, 0.0, 6_350_000.0]))
    assert unit == 10_000.0
    assert round_up(4_488_619.3, unit) == 4_490_000.0
    assert round_up(4_500_000.0, unit) == 4_500_000.0
    assert round_up(4_500_000.004, unit) == 4_500_000.0  # within the LP tolerance
    assert cost_unit(np.array([150_000.5, 300_000.0])) is None
    assert round_up(4_488_619.3, None) == 4_488_619.3


def best_route_dfs(times: StopTimes, prize: np.ndarray) -> float:
    """The most prize of any elementary route within the day, by depth-first search over
    stop orders (a partial route over the day has no completion)."""
    best = -np.inf

    def extend(stops: list[int], value: float) -> None:
        nonlocal best
        for v in range(prize.size):
            if v in stops:
                continue
            route = [*stops, v]
            if times.duration(0, route) <= times.day + 1e-9:
                best = max(best, value + float(prize[v]))
                extend(route, value + float(prize[v]))

    extend([], 0.0)
    return best


def test_remembered_neighbourhoods_keep_pricing_exact():
    """More villages than an ng-neighbourhood holds, so the decremental rounds grow them:
    what calls learn (``Priced.learned``), given to later calls with other prizes, leaves
    the best prize equal to the best elementary route's."""
    learned_any = False
    for seed in range(6):
        rng = np.random.default_rng(700 + seed)
        n = 10
        xy = rng.uniform(0, 10, size=(n, 2))
        between = np.linalg.norm(xy[:, None] - xy[None], axis=2)
        out = np.linalg.norm(xy - rng.uniform(0, 10, size=2), axis=1)
        times = StopTimes({0: out}, between, np.full(n, 1.0), float(rng.uniform(20, 28)))
        learned = frozenset()
        for _ in range(3):
            prize = rng.uniform(0.5, 3, size=n)
            best = best_route_dfs(times, prize)
            priced = exact_price(times, 0, prize, 0.5 * best, memory=learned)
            assert priced.proven and priced.elementary
            assert priced.most == pytest.approx(best)
            check_routes(times, prize, priced, 0.5 * best)
            assert all(a != b and 0 <= min(a, b) and max(a, b) < n for a, b in priced.learned)
            learned_any |= bool(priced.learned - learned)
            learned |= priced.learned
    assert learned_any
