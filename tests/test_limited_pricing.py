"""Exact pricing of limited routes (``models.limited_pricing``) against brute force over
every stop order: covering stops, stop and travel limits, minute costs, stop bonuses and
the pairs of a branch (joined, kept apart)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from models.limited_pricing import Pairs, enumerate_limited, price_limited, route_value
from models.routes import Route, StopTimes

N = 8


def instance(seed: int):
    """Villages around a base on a 30 x 30 grid (rounded distances, which may break the
    triangle inequality by a minute), duals on most of them, and the rules of ``seed``."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 30, (N + 1, 2))
    d = np.round(np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)))
    covers = None
    if seed % 2 == 0:
        covers = tuple(np.flatnonzero(d[1:, 1:][i] <= 8) for i in range(N))
    times = StopTimes(
        {0: d[0, 1:].copy()},
        d[1:, 1:].copy(),
        np.full(N, [0.0, 5.0][seed % 2]),
        [400.0, 90.0][seed % 3 == 0],
        covers,
        [2, 3, 4][seed % 3],
        [np.inf, 60.0][seed % 4 == 1],
    )
    dual = np.where(rng.random(N) < 0.7, rng.uniform(0, 30, N), 0.0)
    bonus = np.where(rng.random(N) < 0.2, rng.uniform(0, 10, N), 0.0)
    cost = [0.0, 0.5, 1.0][seed % 3]
    return times, dual, bonus, cost


def every_route(times: StopTimes, stops: np.ndarray, pairs: Pairs):
    """Per stop set, the most value of its orders that keep to every rule."""
    best: dict[frozenset, Route] = {}
    allowed = np.flatnonzero(stops).tolist()
    for size in range(1, (times.max_stops or N) + 1):
        for order in itertools.permutations(allowed, size):
            route = Route(0, order, times.duration(0, order))
            if not np.isfinite(route.minutes) or not times.fits(route):
                continue
            if not pairs.keeps(order):
                continue
            old = best.get(frozenset(order))
            if old is None or route.minutes < old.minutes:
                best[frozenset(order)] = route
    return best


PAIRS = [
    Pairs(),
    Pairs(together=((0, 3),)),
    Pairs(apart=((1, 2), (4, 5))),
    Pairs(((2, 6),), ((0, 1),)),
]


@pytest.mark.parametrize("seed", range(24))
def test_the_best_route_and_every_route_above_a_floor_equal_brute_force(seed):
    times, dual, bonus, cost = instance(seed)
    pairs = PAIRS[seed % len(PAIRS)]
    stops = np.ones(N, dtype=bool)
    stops[seed % N] = seed % 5 != 0  # now and then a barred stop
    routes = every_route(times, stops, pairs)
    value = {s: route_value(times, dual, cost, r, bonus) for s, r in routes.items()}
    most = max(value.values())
    priced = price_limited(times, 0, stops, dual, cost, -1e9, bonus=bonus, pairs=pairs)
    assert priced.proven and priced.elementary
    assert priced.most == pytest.approx(most, abs=1e-9)
    assert route_value(times, dual, cost, priced.routes[0], bonus) == pytest.approx(most)
    assert all(pairs.keeps(r.stops) and stops[list(r.stops)].all() for r in priced.routes)
    floor = most - 12.0
    listed = enumerate_limited(times, 0, stops, dual, cost, floor, bonus=bonus, pairs=pairs)
    assert listed.complete
    want = {s for s, v in value.items() if v > floor + 1e-9}
    assert {frozenset(r.stops) for r in listed.routes} == want
    for route in listed.routes:  # each in its shortest order
        assert route.minutes == pytest.approx(routes[frozenset(route.stops)].minutes)


def test_a_threshold_above_every_route_returns_none_and_keeps_the_threshold():
    times, dual, bonus, cost = instance(3)
    priced = price_limited(times, 0, np.ones(N, dtype=bool), dual, cost, 1e6)
    assert priced.routes == [] and priced.most == 1e6 and priced.proven


def test_a_stop_joined_to_a_barred_one_is_no_stop_either():
    times, dual, bonus, cost = instance(4)
    stops = np.ones(N, dtype=bool)
    stops[3] = False
    pairs = Pairs(together=((0, 3),))
    listed = enumerate_limited(times, 0, stops, dual, cost, -1e9, pairs=pairs)
    assert listed.routes and not any(0 in r.stops or 3 in r.stops for r in listed.routes)
