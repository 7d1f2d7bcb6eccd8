"""Day-routes of a roaming hospital: durations, stop orders, a starting pool and pricing.

A day-route leaves a base (a site), visits villages in order and returns within the day.
Its duration (minutes) is the travel base -> first stop -> ... -> last stop -> base plus the
service minutes of every stop. Base <-> village minutes are the demand -> site travel times
(used both ways); village <-> village minutes come from the same travel source with the
villages as destinations. Absent pairs (inf) cannot be driven.

Pricing looks for routes whose villages' prizes (the master LP's visit duals) exceed the
route's cost less the fleet duals: a prize-collecting (orienteering) problem within the day's
minutes. Here it is solved by enumeration over stop subsets (Held-Karp) when few villages
carry a prize, and by seeded greedy insertion with 2-opt otherwise; ``models.pricing``
solves it exactly for any number.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

#: Routes with at most this many stops are ordered exactly (Held-Karp); longer ones by 2-opt.
EXACT_ORDER = 9
#: Pricing enumerates every stop subset exactly when at most this many villages carry a prize.
EXACT_PRICING = 12
EPS = 1e-9


@dataclass(frozen=True)
class Route:
    """A day-route: ``base`` site index, ``stops`` demand indices in visiting order,
    ``minutes`` travel plus service time."""

    base: int
    stops: tuple[int, ...]
    minutes: float


@dataclass(frozen=True, eq=False)
class StopTimes:
    """Minutes for route legs and stops.

    ``to_base[b]`` is the minutes between base ``b`` (a site index) and every village (inf:
    unreachable); ``between`` the dense village x village minutes (inf: unreachable; the
    diagonal is 0); ``service`` the minutes spent at each village per visit; ``day`` the
    working minutes of a vehicle-day (travel + service). ``covers[s]`` (covering stops) holds
    the villages a stop at ``s`` serves, sorted; None: a stop serves its own village only.
    A route has at most ``max_stops`` stops (None: no limit) and drives at most
    ``max_travel`` minutes (service not counted).
    """

    to_base: dict[int, np.ndarray]
    between: np.ndarray
    service: np.ndarray
    day: float
    covers: tuple[np.ndarray, ...] | None = None
    max_stops: int | None = None
    max_travel: float = np.inf

    @property
    def limited(self) -> bool:
        """Whether a stop or travel limit applies beside the day."""
        return self.max_stops is not None or bool(np.isfinite(self.max_travel))

    def fits(self, route: Route) -> bool:
        """Whether ``route`` keeps to the day and to the stop and travel limits."""
        if route.minutes > self.day + EPS:
            return False
        if self.max_stops is not None and len(route.stops) > self.max_stops:
            return False
        travel = route.minutes - float(self.service[list(route.stops)].sum())
        return travel <= self.max_travel + EPS

    def served(self, stops) -> np.ndarray:
        """The villages a route with ``stops`` serves (sorted)."""
        return route_serves(stops, self.covers)

    def stop_prize(self, prize: np.ndarray) -> np.ndarray:
        """Per stop, the summed ``prize`` of the villages it serves (``prize`` itself without
        covering stops). A route's summed stop prizes are at least the prize of the villages
        it serves: two of its stops may serve the same village."""
        if self.covers is None:
            return prize
        return cover_matrix(self.covers, prize.size) @ prize

    def duration(self, base: int, stops: tuple[int, ...] | list[int]) -> float:
        """Minutes of the route base -> stops in order -> base (inf when a leg is absent)."""
        if not stops:
            return 0.0
        out = self.to_base[base]
        legs = out[stops[0]] + out[stops[-1]]
        for a, b in itertools.pairwise(stops):
            legs += self.between[a, b]
        return float(legs + self.service[list(stops)].sum())

    def reachable(self, base: int) -> np.ndarray:
        """Villages a vehicle of ``base`` can visit alone within the day."""
        out = self.to_base[base]
        ok = (2 * out + self.service <= self.day + EPS) & (2 * out <= self.max_travel + EPS)
        return np.flatnonzero(ok)


def travel_minutes(route: Route, service: np.ndarray | None) -> float:
    """A route's driving minutes: its minutes less the service minutes of its stops."""
    if service is None or not route.stops:
        return float(route.minutes)
    return float(route.minutes - service[list(route.stops)].sum())


def route_serves(stops, covers: tuple[np.ndarray, ...] | None) -> np.ndarray:
    """The villages served by a route with ``stops`` (sorted): the stops themselves, or the
    union of their ``covers``."""
    stops = list(stops)
    if covers is None:
        return np.unique(np.asarray(stops, dtype=np.int64))
    if not stops:
        return np.zeros(0, dtype=np.int64)
    return np.unique(np.concatenate([covers[s] for s in stops]))


def cover_matrix(covers: tuple[np.ndarray, ...], n: int) -> sp.csr_array:
    """The stop x village 0/1 matrix of ``covers``."""
    indptr = np.concatenate([[0], np.cumsum([c.size for c in covers])])
    indices = np.concatenate([*covers, np.zeros(0, dtype=np.int64)]).astype(np.int64)
    return sp.csr_array((np.ones(indices.size), indices, indptr), shape=(len(covers), n))


def covering(between: np.ndarray, minutes: float) -> tuple[np.ndarray, ...] | None:
    """Per stop, the villages within ``minutes`` of it (``between`` village x village minutes,
    inf where unknown; a stop serves its own village); None when ``minutes`` is 0 (a stop
    serves its own village only)."""
    if minutes <= 0:
        return None
    near = (between <= minutes) | np.eye(between.shape[0], dtype=bool)
    return tuple(np.flatnonzero(row) for row in near)


def route_index(
    routes: list[Route], covers: tuple[np.ndarray, ...] | None = None
) -> tuple[dict[int, list[int]], dict[int, list[int]]]:
    """(village -> indices of the routes serving it, base -> indices of its routes). A route
    serves its stops, or with ``covers`` the villages its stops cover (each route once)."""
    visiting: dict[int, list[int]] = {}
    by_base: dict[int, list[int]] = {}
    for r, route in enumerate(routes):
        by_base.setdefault(route.base, []).append(r)
        served = route.stops if covers is None else route_serves(route.stops, covers).tolist()
        for i in served:
            visiting.setdefault(i, []).append(r)
    return visiting, by_base


def best_order(times: StopTimes, base: int, stops) -> tuple[tuple[int, ...], float]:
    """The shortest visiting order of ``stops`` from ``base`` and its minutes.

    Exact (Held-Karp dynamic programme) up to ``EXACT_ORDER`` stops; cheapest insertion
    followed by 2-opt beyond that.
    """
    stops = list(stops)
    if len(stops) <= 1:
        return tuple(stops), times.duration(base, stops)
    if len(stops) <= EXACT_ORDER:
        return _held_karp(times, base, stops)
    order: list[int] = []
    for s in sorted(stops, key=lambda s: -times.to_base[base][s]):
        order = _insert(times, base, order, s)[0]
    order = _two_opt(times, base, order)
    return tuple(order), times.duration(base, order)


def _subset_tables(times: StopTimes, base: int, stops: list[int]):
    """Held-Karp tables over every subset (bit mask) of ``stops``: ``cost[mask, j]`` is the
    fewest travel minutes from the base through the stops of mask ending at stop j, and
    ``back`` the stop before j."""
    k = len(stops)
    out = times.to_base[base][stops]
    legs = times.between[np.ix_(stops, stops)]
    full = 1 << k
    cost = np.full((full, k), np.inf)
    back = np.full((full, k), -1, dtype=np.int64)
    for j in range(k):
        cost[1 << j, j] = out[j]
    for mask in range(1, full):
        row = cost[mask]
        if not np.isfinite(row).any():
            continue
        via = row[:, None] + legs  # via[j, n]: end at j, then go to n
        best = np.argmin(via, axis=0)
        value = via[best, np.arange(k)]
        for n in range(k):
            if mask & (1 << n) or not np.isfinite(value[n]):
                continue
            nxt = mask | (1 << n)
            if value[n] < cost[nxt, n]:
                cost[nxt, n] = value[n]
                back[nxt, n] = best[n]
    return cost, back, out


def _unwind(stops: list[int], back: np.ndarray, mask: int, last: int) -> list[int]:
    order = []
    while last >= 0:
        order.append(stops[last])
        prev = int(back[mask, last])
        mask &= ~(1 << last)
        last = prev
    return order[::-1]


def _held_karp(times: StopTimes, base: int, stops: list[int]) -> tuple[tuple[int, ...], float]:
    cost, back, out = _subset_tables(times, base, stops)
    full = (1 << len(stops)) - 1
    total = cost[full] + out
    last = int(np.argmin(total))
    if not np.isfinite(total[last]):
        return tuple(stops), np.inf
    order = _unwind(stops, back, full, last)
    return tuple(order), times.duration(base, order)


def _insert(times: StopTimes, base: int, order: list[int], stop: int) -> tuple[list[int], float]:
    """``stop`` inserted where it adds the fewest minutes, and the minutes it adds."""
    out, between = times.to_base[base], times.between
    nodes = [None, *order, None]
    best, where = np.inf, 0
    for k in range(len(nodes) - 1):
        a, b = nodes[k], nodes[k + 1]
        before = out[stop] if a is None else between[a, stop]
        after = out[stop] if b is None else between[stop, b]
        if not np.isfinite(before + after):
            continue
        if a is None and b is None:
            old = 0.0
        elif a is None:
            old = out[b]
        elif b is None:
            old = out[a]
        else:
            old = between[a, b]
        added = before + after - old
        if added < best:
            best, where = added, k
    return order[:where] + [stop] + order[where:], float(best + times.service[stop])


def _two_opt(times: StopTimes, base: int, order: list[int]) -> list[int]:
    best = times.duration(base, order)
    improved = True
    while improved:
        improved = False
        for a in range(len(order) - 1):
            for b in range(a + 1, len(order)):
                trial = order[:a] + order[a : b + 1][::-1] + order[b + 1 :]
                value = times.duration(base, trial)
                if value < best - EPS:
                    order, best, improved = trial, value, True
    return order


def sweep_routes(
    times: StopTimes, base: int, villages: np.ndarray, xy: np.ndarray, base_xy: np.ndarray
) -> list[Route]:
    """Routes that together visit every one of ``villages`` reachable from ``base``.

    Villages are swept by angle around the base (four starting angles, so the pool holds
    overlapping clusters) and a route takes the next village while its best order still
    fits the day; every reachable village also gets its own out-and-back route.
    """
    reach = np.intersect1d(times.reachable(base), villages)
    if reach.size == 0:
        return []
    angle = np.arctan2(xy[reach, 1] - base_xy[1], xy[reach, 0] - base_xy[0])
    routes = {(int(v),): Route(base, (int(v),), times.duration(base, [int(v)])) for v in reach}
    for start in (0.0, np.pi / 2, np.pi, 1.5 * np.pi):
        ordered = reach[np.argsort((angle - start) % (2 * np.pi), kind="stable")]
        current: list[int] = []
        for v in ordered.tolist():
            trial, minutes = _insert(times, base, current, v)
            if times.fits(Route(base, tuple(trial), times.duration(base, trial))):
                current = trial
                continue
            routes.setdefault(tuple(current), _route(times, base, current))
            current = [v]
        if current:
            routes.setdefault(tuple(current), _route(times, base, current))
    return [r for r in routes.values() if times.fits(r)]


def _route(times: StopTimes, base: int, stops) -> Route:
    order, minutes = best_order(times, base, stops)
    return Route(base, order, minutes)


def _legs(times: StopTimes, base: int) -> np.ndarray:
    """Village x village minutes with the base as an extra last node."""
    n = times.between.shape[0]
    full = np.empty((n + 1, n + 1))
    full[:n, :n] = times.between
    full[n, :n] = full[:n, n] = times.to_base[base]
    full[n, n] = 0.0
    return full


def _insertion(full: np.ndarray, order: list[int], cand: np.ndarray):
    """For each candidate, the fewest travel minutes its insertion into ``order`` adds and
    the position it goes to."""
    depot = full.shape[0] - 1
    nodes = [depot, *order, depot]
    a, b = np.asarray(nodes[:-1]), np.asarray(nodes[1:])
    added = full[np.ix_(cand, a)] + full[np.ix_(cand, b)] - full[a, b][None, :]
    where = np.argmin(added, axis=1)
    return added[np.arange(cand.size), where], where


def price_routes(
    times: StopTimes,
    base: int,
    prize: np.ndarray,
    threshold: float,
    *,
    seeds: int = 30,
) -> tuple[list[Route], bool]:
    """Day-routes from ``base`` whose summed ``prize`` exceeds ``threshold``.

    ``prize`` holds one value per village (the visit duals; 0 for villages not to visit).
    Returns the routes found (best first) and whether the search was exhaustive, in which
    case an empty list proves that no such route exists.
    """
    reach = times.reachable(base)
    cand = reach[prize[reach] > EPS]
    if cand.size == 0:
        return [], True
    if cand.size <= EXACT_PRICING:
        return _price_exact(times, base, prize, threshold, cand), True
    full = _legs(times, base)
    found: dict[frozenset, Route] = {}
    order = cand[np.argsort(-prize[cand], kind="stable")]
    for seed in order[:seeds].tolist():
        current = [seed]
        used = times.duration(base, current)
        while True:
            free = cand[~np.isin(cand, current)]
            if free.size == 0:
                break
            added, where = _insertion(full, current, free)
            added = added + times.service[free]
            fits = used + added <= times.day + EPS
            if not fits.any():
                break
            ratio = np.where(fits, prize[free] / np.maximum(added, EPS), -1.0)
            k = int(np.argmax(ratio))
            current.insert(int(where[k]), int(free[k]))
            current = _two_opt(times, base, current)
            used = times.duration(base, current)
        value = float(prize[current].sum())
        if value > threshold + 1e-7:
            found.setdefault(frozenset(current), Route(base, tuple(current), used))
    routes = sorted(found.values(), key=lambda r: -float(prize[list(r.stops)].sum()))
    return routes, False


def _price_exact(
    times: StopTimes, base: int, prize: np.ndarray, threshold: float, cand: np.ndarray
) -> list[Route]:
    """Every subset of ``cand`` that fits a day (one Held-Karp pass over all subsets): the
    best few whose prize exceeds ``threshold``."""
    stops = cand.tolist()
    cost, back, out = _subset_tables(times, base, stops)
    k = len(stops)
    masks = np.arange(1, 1 << k)
    bits = (masks[:, None] >> np.arange(k)) & 1
    service = bits @ times.service[stops]
    value = bits @ prize[stops]
    total = cost[masks] + out[None, :]
    last = np.argmin(total, axis=1)
    travel = total[np.arange(masks.size), last]
    minutes = travel + service
    ok = np.flatnonzero(
        (minutes <= times.day + EPS) & (value > threshold + 1e-7) & _limits(times, bits, travel)
    )
    ok = ok[np.argsort(-value[ok], kind="stable")][:20]
    routes = []
    for k_ in ok.tolist():
        order = _unwind(stops, back, int(masks[k_]), int(last[k_]))
        routes.append(Route(base, tuple(order), times.duration(base, order)))
    return routes


def _limits(times: StopTimes, bits: np.ndarray, travel: np.ndarray) -> np.ndarray:
    """Per subset (rows of ``bits``, travel minutes of its best order): within the stop and
    travel limits."""
    ok = travel <= times.max_travel + EPS
    if times.max_stops is not None:
        ok &= bits.sum(axis=1) <= times.max_stops
    return ok


def all_routes(times: StopTimes, base: int, villages: np.ndarray) -> list[Route]:
    """Every day-route from ``base`` over the reachable ones of ``villages`` (at most
    ``EXACT_PRICING`` of them), each in its best order: the complete column set."""
    stops = np.intersect1d(times.reachable(base), villages).tolist()
    if len(stops) > EXACT_PRICING:
        raise ValueError(f"{len(stops)} villages are too many to enumerate every route")
    if not stops:
        return []
    cost, back, out = _subset_tables(times, base, stops)
    k = len(stops)
    masks = np.arange(1, 1 << k)
    bits = (masks[:, None] >> np.arange(k)) & 1
    total = cost[masks] + out[None, :]
    last = np.argmin(total, axis=1)
    travel = total[np.arange(masks.size), last]
    minutes = travel + bits @ times.service[stops]
    routes = []
    for m in np.flatnonzero((minutes <= times.day + EPS) & _limits(times, bits, travel)).tolist():
        order = _unwind(stops, back, int(masks[m]), int(last[m]))
        routes.append(Route(base, tuple(order), times.duration(base, order)))
    return routes
