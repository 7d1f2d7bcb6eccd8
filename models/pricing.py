"""Exact pricing of day-routes: the most prize one route from a base collects within the day.

A forward labelling algorithm over the villages that carry a prize (candidates). Between two
candidates a route may pass other villages, each a stop with its service minutes, so the leg
minutes between candidates are shortest paths through the other villages (a route's legs
need not satisfy the triangle inequality: legs beyond the longest allowed are absent). Every
route then maps to a candidate sequence no longer than the route, with the same prize, so the
search over candidate sequences bounds every route.

A label is a partial route: its minutes, prize, last candidate and ng-memory (the candidates
among the last one's ``NG`` nearest that it visited since leaving them; extending to one of
them is forbidden). A label is dropped when one at the same candidate, with a memory that is
a subset of its own, has no more minutes and no less prize. ng-routes include every
elementary route, so their best prize bounds the best elementary route's; when the best is
not elementary, the repeated candidates join the neighbourhoods along its cycle and the
search runs again (decremental state-space relaxation); what the rounds learn carries over to
the next call (``memory``), so a column generation prices its later rounds with the grown
neighbourhoods from the start. A completion bound (the most prize
a walk without 2-cycles collects from a candidate within the minutes left, a dynamic
programme over whole minutes with legs rounded down) prunes labels that cannot beat the best
route known, and stands in for the best prize when the label budget stops the search.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import shortest_path

from models import labelling
from models.routes import Route, StopTimes

#: Relative tolerance on prizes (a route must beat the threshold by this much of it).
TOL = 1e-9
#: Candidates in each ng-neighbourhood (the candidate itself and its nearest others).
NG = 8
#: Decremental rounds when the best ng-route repeats a candidate.
DSSR_ROUNDS = 20
#: Most candidates a neighbourhood grows to in the decremental rounds.
HOOD = 16
#: Labels one pricing call may make (a work limit, so results repeat exactly); beyond it
#: the completion bound stands in for the best prize.
LABELS = 3_000_000
#: Routes beating the threshold the labelling records, and the best of them kept.
DONE = 5000
KEEP = 100


@dataclass(frozen=True)
class Priced:
    """The outcome of one exact pricing call.

    ``routes``: elementary day-routes (real stops, within the day) whose prize exceeds the
    threshold, best first. ``most``: an upper bound on the prize of every day-route from the
    base, never below the threshold: the best route's prize when the search finished
    (``proven``) with an elementary best (``elementary``); the completion bound from the
    base when the search stopped at its time limit. ``labels``: labels extended.
    ``learned``: the (village, village) memberships the decremental rounds added to the
    ng-neighbourhoods, for the next call to start from (``exact_price``'s ``memory``).
    """

    routes: list[Route]
    most: float
    proven: bool
    elementary: bool
    labels: int
    learned: frozenset[tuple[int, int]] = frozenset()


class _Legs:
    """Minutes between candidates (and the base) through non-candidate villages, their
    paths, and a lower bound on the minutes from each candidate back to the base."""

    def __init__(self, times: StopTimes, base: int, cand: np.ndarray):
        n, k = times.between.shape[0], cand.size
        through = np.ones(n, dtype=bool)
        through[cand] = False
        out = times.to_base[base]
        # nodes: villages 0..n-1 (passed through; candidates never are), arrivals at the
        # candidates n..n+k-1 and at the base n+k, departures from the candidates
        # n+k+1..n+2k and from the base n+2k+1
        size = n + 2 * k + 2
        sources = np.concatenate([np.flatnonzero(through), n + k + 1 + np.arange(k), [size - 1]])
        origin = np.concatenate([np.flatnonzero(through), cand])
        legs = np.vstack([times.between[origin], out[None, :]])  # source x village
        home = np.append(out[origin], np.inf)  # source -> base arrival (no empty route)
        into = np.flatnonzero(through)
        parts = [
            (legs[:, into] + times.service[into][None, :], into),
            (legs[:, cand], n + np.arange(k)),
            (home[:, None], np.array([n + k])),
        ]
        rows, cols, vals = [], [], []
        for weight, dest in parts:
            r, c = np.nonzero(np.isfinite(weight))
            rows.append(sources[r])
            cols.append(dest[c])
            vals.append(weight[r, c])
        rows, cols, vals = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
        keep = rows != cols
        shift = 1e-9  # csgraph reads explicit zeros as absent edges
        graph = sp.csr_array((vals[keep] + shift, (rows[keep], cols[keep])), shape=(size, size))
        starts = np.append(n + k + 1 + np.arange(k), size - 1)
        dist, self.pred = shortest_path(graph, method="D", indices=starts, return_predecessors=True)
        self._ends = np.append(n + np.arange(k), n + k)
        #: minutes[a, c]: candidate a (k: the base) to candidate c (k: the base), stops passed
        #: on the way included, the service at c not
        self.minutes = np.maximum(dist[:, self._ends] - size * shift, 0.0)
        self.minutes[np.arange(k + 1), np.arange(k + 1)] = np.inf
        # back to the base through any villages (each a stop): a bound for every route's rest
        full = np.full((n + 1, n + 1), np.inf)
        full[:n, :n] = times.between + times.service[None, :]
        full[:n, n] = out
        np.fill_diagonal(full, np.inf)
        r, c = np.nonzero(np.isfinite(full))
        graph = sp.csr_array((full[r, c] + shift, (r, c)), shape=(n + 1, n + 1))
        dist = shortest_path(graph.T, method="D", indices=[n])[0]
        self.rest = np.maximum(dist[cand] - (n + 1) * shift, 0.0)
        self.n, self.k = n, k

    def path(self, a: int, c: int) -> list[int]:
        """Villages passed between candidate (or base, ``k``) ``a`` and ``c``."""
        node = int(self.pred[a, self._ends[c]])
        passed = []
        while 0 <= node < self.n:
            passed.append(node)
            node = int(self.pred[a, node])
        return passed[::-1]

    def stops(self, cand: np.ndarray, path: list[int]) -> list[int]:
        """The villages a candidate path stops at, passed villages included, in order."""
        stops: list[int] = []
        prev = self.k
        for c in path:
            stops += self.path(prev, c) + [int(cand[c])]
            prev = c
        return stops + self.path(prev, self.k)


class _Completion:
    """``at(c, m, prev)``: the most prize a route collects after candidate ``c`` within ``m``
    whole minutes, having come from ``prev`` (legs rounded down; candidates may repeat, but
    not the one just left; -inf when it cannot reach the base). Two tables over (candidate,
    minutes): the best value and its next candidate (-1: straight home), and the best value
    with another next candidate."""

    def __init__(self, weight: np.ndarray, back: np.ndarray, prize: np.ndarray, day: float):
        k = prize.size
        whole = np.floor(weight + 1e-9)
        off = ~np.eye(k, dtype=bool) & np.isfinite(whole)
        self.valid = not (whole[off] < 1).any()
        if not self.valid:
            return
        span = int(np.floor(day + 1e-9))
        whole = np.where(off, whole, span + 1).astype(np.int64)
        home = np.floor(np.minimum(back, span + 1) + 1e-9)
        first, second, nxt = labelling.completion(whole, home, prize.astype(float), span)
        self.first, self.second, self.nxt, self.span = first, second, nxt, span

    def tables(self, k: int, day: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The labelling kernels' bound tables (all zero when the bound is not valid)."""
        if self.valid:
            return self.first, self.second, self.nxt
        span = int(np.floor(day + 1e-9))
        return np.zeros((k, span + 1)), np.zeros((k, span + 1)), np.full((k, span + 1), -1)

    def rest(self, cand: np.ndarray, left: np.ndarray, prev: int) -> np.ndarray:
        """The bound for each of ``cand`` with ``left`` whole minutes, coming from ``prev``."""
        at = np.clip(left, 0, self.span)
        value = np.where(self.nxt[cand, at] == prev, self.second[cand, at], self.first[cand, at])
        return np.where(left >= 0, value, -np.inf)


def _graph(times: StopTimes, base: int, cand: np.ndarray, value: np.ndarray):
    """The labelling's graph over the candidates: their legs, minutes from each arrival to
    the next departure (``weight``, the next stop's service included), from the base
    (``start``), back to it (``back``), and the completion bound for ``value``."""
    legs = _Legs(times, base, cand)
    k = cand.size
    service = times.service[cand]
    weight = legs.minutes[:k, :k] + service[None, :]
    start = legs.minutes[k, :k] + service
    back = legs.minutes[:k, k]
    return legs, weight, start, back, _Completion(weight, back, value, times.day)


def trace(nodes: np.ndarray, parents: np.ndarray, lid: int) -> list[int]:
    """The candidate path of label ``lid``, first candidate first."""
    out = []
    while lid >= 0:
        out.append(int(nodes[lid]))
        lid = int(parents[lid])
    return out[::-1]


def hood_arrays(hoods: list[list[int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The kernels' view of ng-neighbourhoods over k candidates: ``members[v, :sizes[v]]``
    the members of v's, ``position[v, c]`` c's bit in it (-1: not a member)."""
    k = len(hoods)
    width = max(len(h) for h in hoods)
    members = np.full((k, width), -1, dtype=np.int64)
    position = np.full((k, k), -1, dtype=np.int64)
    for v, hood in enumerate(hoods):
        members[v, : len(hood)] = hood
        position[v, hood] = np.arange(len(hood))
    sizes = np.array([len(h) for h in hoods], dtype=np.int64)
    return members, sizes, position


def _run(legs_data, bound: _Completion, hoods: list[list[int]], floor, threshold, tol, budget):
    """One labelling run over fixed ng-neighbourhoods: (best prize, its candidate path or
    None, paths of the best ``KEEP`` routes beating ``threshold``, labels made, stopped by
    ``budget``)."""
    weight, start, back, rest, value, day = legs_data
    k = value.size
    members, sizes, position = hood_arrays(hoods)
    tables = bound.tables(k, day)
    best, best_id, done, nodes, parents, prizes, made, stopped = labelling.search(
        weight,
        start,
        back,
        rest,
        value,
        float(day),
        *tables,
        bound.valid,
        members,
        sizes,
        position,
        float(floor),
        float(threshold),
        float(tol),
        int(budget),
        DONE,
    )

    best_path = trace(nodes, parents, best_id) if best_id >= 0 else None
    top = done[np.argsort(-prizes[done], kind="stable")[:KEEP]]
    return (
        float(best),
        best_path,
        [trace(nodes, parents, q) for q in top.tolist()],
        int(made),
        bool(stopped),
    )


def remember_cycles(hoods: list[list[int]], path: list[int]) -> bool:
    """Make the search remember every candidate the path repeats along its cycle; False when
    a neighbourhood would exceed ``HOOD`` candidates."""
    seen: dict[int, int] = {}
    for pos, c in enumerate(path):
        if c in seen:
            for d in path[seen[c] : pos]:
                if c not in hoods[d]:
                    if len(hoods[d]) >= HOOD:
                        return False
                    hoods[d].append(c)
        seen[c] = pos
    return True


def exact_price(
    times: StopTimes,
    base: int,
    prize: np.ndarray,
    threshold: float,
    *,
    known: float = -np.inf,
    budget: int = LABELS,
    limit: int = 20,
    memory: frozenset[tuple[int, int]] = frozenset(),
) -> Priced:
    """Day-routes from ``base`` whose summed ``prize`` exceeds ``threshold``, and an upper
    bound on the prize of every day-route from ``base`` (exact when ``elementary``; never
    below ``threshold`` or ``known``).

    ``known`` is the prize of a day-route already found (it prunes the search); after
    ``budget`` labels the search stops unproven; ``limit`` caps the routes returned.
    Villages with prize <= 0 are never stops of their own, only passed through. ``memory``:
    (village, remembered village) pairs an earlier call learned (``Priced.learned``); they
    join the neighbourhoods from the start, as far as ``HOOD`` allows.
    """
    cand = np.flatnonzero(prize > 0)
    floor = max(threshold, known)
    if cand.size == 0:
        return Priced([], max(floor, 0.0), True, True, 0)
    value = prize[cand].astype(float)
    legs, weight, start, back, bound = _graph(times, base, cand, value)
    k = cand.size
    tol = TOL * max(abs(threshold), float(value.max()), 1.0)
    data = (weight, start, back, legs.rest, value, times.day)
    order = np.argsort(weight, axis=1, kind="stable")
    hoods = [[c] + [int(d) for d in order[c, : NG - 1] if d != c] for c in range(k)]
    initial = _pairs(cand, hoods)
    _recall(hoods, cand, memory)
    labels, found = 0, {}
    for _ in range(DSSR_ROUNDS):
        most, best, done, made, stopped = _run(data, bound, hoods, floor, threshold, tol, budget)
        labels += made
        budget = max(budget - made, 1)
        for p in done:
            if len(set(p)) == len(p):
                found.setdefault(frozenset(p), p)
        if stopped:
            routes = _columns(times, legs, cand, base, prize, found, threshold + tol, limit)
            most = _relaxed(bound, start, value, times.day)
            return Priced(routes, most, False, False, labels, _pairs(cand, hoods) - initial)
        if best is None or len(set(best)) == len(best) or not remember_cycles(hoods, best):
            break
    routes = _columns(times, legs, cand, base, prize, found, threshold + tol, limit)
    elementary = best is None or len(set(best)) == len(best)
    learned = _pairs(cand, hoods) - initial
    return Priced(routes, max(most, 0.0), True, elementary, labels, learned)


def _pairs(cand: np.ndarray, hoods: list[list[int]]) -> frozenset[tuple[int, int]]:
    """The neighbourhoods as (village, member village) pairs."""
    return frozenset((int(cand[d]), int(cand[c])) for d, hood in enumerate(hoods) for c in hood)


def _recall(hoods: list[list[int]], cand: np.ndarray, memory: frozenset) -> None:
    """Add the ``memory`` pairs among the candidates to the neighbourhoods, in village
    order, while a neighbourhood has fewer than ``HOOD`` members."""
    where = {int(v): c for c, v in enumerate(cand.tolist())}
    for village, member in sorted(memory):
        d, c = where.get(village), where.get(member)
        if d is not None and c is not None and c not in hoods[d] and len(hoods[d]) < HOOD:
            hoods[d].append(c)


def _relaxed(bound: _Completion, start: np.ndarray, value: np.ndarray, day: float) -> float:
    """The completion bound from the base: the most prize of any day-route (every positive
    prize when there is no completion bound)."""
    if not bound.valid:
        return float(value.sum())
    left = np.floor(day - np.where(np.isfinite(start), start, day + 1.0) + 1e-9)
    reach = bound.rest(np.arange(value.size), left.astype(np.int64), -2)
    return float(max((value + reach).max(), 0.0))


def _value(prize: np.ndarray, route: Route) -> float:
    return float(prize[list(route.stops)].sum())


def _columns(
    times, legs: _Legs, cand, base, prize, found: dict, above: float, limit: int
) -> list[Route]:
    """The real routes of candidate paths: passed villages become stops; those that repeat a
    village, exceed the day or collect no more prize than ``above`` are dropped. Best prize
    first, at most ``limit``."""
    routes = {}
    for path in found.values():
        stops = legs.stops(cand, path)
        if len(set(stops)) < len(stops):
            continue
        minutes = times.duration(base, stops)
        if minutes <= times.day + 1e-9 and float(prize[stops].sum()) > above:
            routes.setdefault(frozenset(stops), Route(base, tuple(stops), minutes))
    ranked = sorted(routes.values(), key=lambda r: (-_value(prize, r), r.minutes, r.stops))
    return ranked[:limit]


#: Labels one route enumeration may make (a work limit: beyond it the routes are not all
#: there, and the enumeration says so).
ENUMERATION_LABELS = 4_000_000


@dataclass(frozen=True)
class Enumerated:
    """Every elementary day-route from a base whose prize beats a floor (``complete``), or
    some of them (not ``complete``: the label budget stopped the search (``stopped``), or a
    route through other villages would pass one twice). ``labels``: labels extended."""

    routes: list[Route]
    complete: bool
    labels: int
    stopped: bool = False


def enumerate_routes(
    times: StopTimes,
    base: int,
    prize: np.ndarray,
    floor: float,
    needed: np.ndarray,
    *,
    budget: int = ENUMERATION_LABELS,
) -> Enumerated:
    """Every elementary day-route from ``base`` whose summed ``prize`` exceeds ``floor``.

    The stops of the routes are the villages with a positive prize or ``needed`` (a mask:
    villages that must be visited whatever their prize); other villages are only passed
    on legs that exceed the longest allowed one. A route is kept once per set of stops, by
    its shortest order.
    """
    cand = np.flatnonzero((prize > 0) | needed)
    if cand.size == 0:
        return Enumerated([], True, 0)
    value = np.maximum(prize[cand], 0.0).astype(float)
    legs, weight, start, back, bound = _graph(times, base, cand, value)
    k = cand.size
    tol = TOL * max(abs(floor), float(value.max()), 1.0)
    tables = bound.tables(k, times.day)
    done, nodes, parents, _, made, stopped = labelling.enumerate_search(
        weight,
        start,
        back,
        legs.rest,
        value,
        float(times.day),
        *tables,
        bound.valid,
        float(floor),
        float(tol),
        int(budget),
    )
    routes: dict[frozenset, Route] = {}
    complete = not stopped
    for lid in done.tolist():
        stops = legs.stops(cand, trace(nodes, parents, lid))
        minutes = times.duration(base, stops)
        if len(set(stops)) < len(stops) or minutes > times.day + 1e-9:
            complete = False
            continue
        old = routes.get(frozenset(stops))
        if old is None or minutes < old.minutes:
            routes[frozenset(stops)] = Route(base, tuple(stops), minutes)
    ranked = sorted(routes.values(), key=lambda r: (r.minutes, r.stops))
    return Enumerated(ranked, complete, int(made), bool(stopped))
