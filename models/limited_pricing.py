"""Exact pricing of limited routes: at most a number of stops, at most some travel minutes,
stops that serve the villages around them (covering stops) and routes that cost their
travel minutes.

A route's value is the sum of the visit duals of the villages it serves, each counted once
however many of its stops serve it, less ``cost`` per travel minute. Pricing finds routes of
the most value from a base (``price_limited``) and lists every route above a value
(``enumerate_limited``, for the closing search). The candidates are every stop the base
can reach, whatever its dual, so every route the master may drive is among the labels.

The search runs over ng-routes (``models.limited_labelling.search``); when its best route
repeats a candidate, the candidates of the cycle join each other's neighbourhoods and the
search runs again (decremental state-space relaxation), as in ``models.pricing``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import shortest_path

from models import limited_labelling
from models.pricing import (
    DONE,
    DSSR_ROUNDS,
    ENUMERATION_LABELS,
    LABELS,
    NG,
    TOL,
    Enumerated,
    Priced,
    hood_arrays,
    remember_cycles,
    trace,
)
from models.routes import Route, StopTimes, route_serves

#: The first search of a pricing call: labels and label comparisons. When it stops with
#: improving routes they are the round's columns; otherwise the full search runs.
QUICK_LABELS = 20_000
QUICK_WORK = 5_000_000
#: Label comparisons one pricing call may make (a work limit, so results repeat
#: exactly; beyond it the completion bound stands in).
WORK = 300_000_000


class _Graph:
    """The labelling's data for base ``base`` over the candidate stops ``cand``: travel
    minutes between them (the base last), service minutes, a lower bound on the travel back
    to the base, the villages each serves as bit words over the villages with a dual, the
    duals per bit, each candidate's ``bonus`` (what a stop there adds besides) and prize (its
    bonus and the duals of every village it serves)."""

    def __init__(
        self, times: StopTimes, base: int, cand: np.ndarray, dual: np.ndarray, bonus: np.ndarray
    ):
        k = cand.size
        leg = np.full((k + 1, k + 1), np.inf)
        leg[:k, :k] = times.between[np.ix_(cand, cand)]
        out = times.to_base[base][cand]
        leg[k, :k] = out
        leg[:k, k] = out
        np.fill_diagonal(leg, np.inf)
        self.leg = leg
        self.service = times.service[cand].astype(float)
        r, c = np.nonzero(np.isfinite(leg))
        shift = 1e-9  # csgraph reads explicit zeros as absent edges
        graph = sp.csr_array((leg[r, c] + shift, (r, c)), shape=(k + 1, k + 1))
        home = shortest_path(graph.T, method="D", indices=[k])[0][:k]
        self.rest = np.maximum(home - (k + 1) * shift, 0.0)
        prized = np.flatnonzero(dual > 0)
        words = max(1, (prized.size + 63) // 64)
        bit = np.full(dual.size, -1, dtype=np.int64)
        bit[prized] = np.arange(prized.size)
        self.dual = np.zeros(words * 64)
        self.dual[: prized.size] = dual[prized]
        self.serves = np.zeros((k, words), dtype=np.uint64)
        self.prize = np.zeros(k)
        for j, stop in enumerate(cand.tolist()):
            at = bit[route_serves([stop], times.covers)]
            at = at[at >= 0]
            for b in at.tolist():
                self.serves[j, b // 64] |= np.uint64(1) << np.uint64(b % 64)
            self.prize[j] = float(self.dual[at].sum())
        self.bonus = bonus[cand].astype(float)
        self.prize += self.bonus
        self.k = k
        #: the most stops a route makes
        self.most_stops = k if times.max_stops is None else min(times.max_stops, k)

    def arrays(self) -> tuple:
        """What the kernels take as ``graph``."""
        return self.leg, self.service, self.rest, self.serves, self.dual, self.bonus

    def tables(self, cost: float, stops: int):
        """The completion bound tables for ``stops`` stops at ``cost`` per travel minute."""
        return limited_labelling.completion(self.leg, self.prize, float(cost), int(stops))

    def most(self, tables, cost: float, stops: int) -> float:
        """The completion bound from the base: at least the value of every route."""
        first, second, nxt = tables
        k = self.k
        go = self.prize - cost * self.leg[k, :k] + first[:, stops - 1]
        go = go[np.isfinite(self.leg[k, :k])]
        return float(go.max()) if go.size else -np.inf


@dataclass(frozen=True)
class Pairs:
    """Stops a route joins (``together``: both or neither) or keeps apart (``apart``: not
    both), as pairs of villages: the branches of a branch and price."""

    together: tuple[tuple[int, int], ...] = ()
    apart: tuple[tuple[int, int], ...] = ()

    def keeps(self, stops) -> bool:
        """Whether a route with ``stops`` keeps to the pairs."""
        at = set(stops)
        return all((a in at) == (b in at) for a, b in self.together) and not any(
            a in at and b in at for a, b in self.apart
        )

    def arrays(self, cand: np.ndarray):
        """The kernel's view over the candidates ``cand``: each named candidate's bit, the
        bits kept apart from each, and the bit pairs to join."""
        named = sorted({v for pair in self.together + self.apart for v in pair})
        index = {int(v): j for j, v in enumerate(cand.tolist())}
        bit = {v: b for b, v in enumerate(v for v in named if v in index)}
        group = np.full(cand.size, -1, dtype=np.int64)
        for v, b in bit.items():
            group[index[v]] = b
        apart = np.zeros(cand.size, dtype=np.int64)
        for a, b in self.apart:
            if a in bit and b in bit:
                apart[index[a]] |= np.int64(1) << bit[b]
                apart[index[b]] |= np.int64(1) << bit[a]
        joined = [(bit[a], bit[b]) for a, b in self.together if a in bit and b in bit]
        pair_a = np.array([a for a, _ in joined], dtype=np.int64)
        pair_b = np.array([b for _, b in joined], dtype=np.int64)
        return group, apart, pair_a, pair_b


#: No pairs to join or keep apart.
NO_PAIRS = Pairs()


def _limits(times: StopTimes, cost: float, stops: int) -> tuple:
    """What the kernels take as ``limits``."""
    return float(cost), float(times.day), int(stops), float(times.max_travel)


def _candidates(times: StopTimes, base: int, stops: np.ndarray, pairs: Pairs) -> np.ndarray:
    """The stops (a mask) a vehicle of ``base`` can reach, by index, less those joined to a
    stop it cannot."""
    cand = set(np.intersect1d(times.reachable(base), np.flatnonzero(stops)).tolist())
    while True:
        lost = {v for pair in pairs.together for v in pair if not set(pair) <= cand}
        if not lost & cand:
            return np.array(sorted(cand), dtype=np.int64)
        cand -= lost


def _route(
    times: StopTimes, base: int, cand: np.ndarray, path: list[int], pairs: Pairs
) -> Route | None:
    """The route of a candidate path, or None when it repeats a stop or breaks a limit or
    a pair."""
    stops = cand[path].tolist()
    if len(set(stops)) < len(stops) or not pairs.keeps(stops):
        return None
    route = Route(base, tuple(stops), times.duration(base, stops))
    return route if times.fits(route) else None


def _bonus(bonus: np.ndarray | None, n: int) -> np.ndarray:
    """The bonus per village stop (none: zeros)."""
    return np.zeros(n) if bonus is None else np.asarray(bonus, dtype=float)


def route_value(
    times: StopTimes, dual: np.ndarray, cost: float, route: Route, bonus: np.ndarray | None = None
) -> float:
    """The duals of the villages ``route`` serves and the ``bonus`` of its stops less
    ``cost`` per travel minute."""
    stops = list(route.stops)
    travel = route.minutes - float(times.service[stops].sum())
    extra = 0.0 if bonus is None else float(bonus[stops].sum())
    return float(dual[route_serves(stops, times.covers)].sum()) + extra - cost * travel


def price_limited(
    times: StopTimes,
    base: int,
    stops: np.ndarray,
    dual: np.ndarray,
    cost: float,
    threshold: float,
    *,
    bonus: np.ndarray | None = None,
    pairs: Pairs = NO_PAIRS,
    budget: int = LABELS,
    limit: int = 20,
) -> Priced:
    """Routes from ``base`` over ``stops`` (a mask) whose value (``dual`` of the villages
    served and ``bonus`` of the villages stopped at, yuan, less ``cost`` yuan per travel
    minute) exceeds ``threshold``, best first (at most ``limit``), and an upper bound on
    the value of every route (``most``, never below ``threshold``; exact when ``proven`` and
    ``elementary``). Routes on which the pair branches of ``pairs`` agree only. A short
    search runs first; when it stops with improving routes, those are returned unproven.
    After ``budget`` labels or ``WORK`` comparisons the search stops and the completion
    bound stands in."""
    cand = _candidates(times, base, stops, pairs)
    if cand.size == 0:
        return Priced([], threshold, True, True, 0)
    graph = _Graph(times, base, cand, np.maximum(dual, 0.0), _bonus(bonus, dual.size))
    k = cand.size
    most_stops = graph.most_stops
    tables = graph.tables(cost, most_stops)
    tol = TOL * max(float(graph.prize.sum()), 1.0)
    named = pairs.arrays(cand)
    order = np.argsort(graph.leg[:k, :k], axis=1, kind="stable")
    hoods = [[c] + [int(d) for d in order[c, : NG - 1] if d != c] for c in range(k)]
    run = _Run(times, base, cand, pairs, (dual, bonus, cost), graph, tables, named, tol, limit)
    quick = run.price(hoods, threshold, QUICK_LABELS, QUICK_WORK)
    if quick.proven or quick.routes:
        return quick
    return run.price(hoods, threshold, budget, WORK)


class _Run:
    """One pricing problem, searched with a label and a work budget."""

    def __init__(self, times, base, cand, pairs, worth, graph, tables, named, tol, limit):
        self.times, self.base, self.cand, self.pairs = times, base, cand, pairs
        self.worth, self.graph, self.tables, self.named = worth, graph, tables, named
        self.tol, self.limit = tol, limit

    def price(self, hoods: list[list[int]], threshold: float, budget: int, work: int) -> Priced:
        """The labelling with decremental rounds over copies of ``hoods``, stopped unproven
        after ``budget`` labels or ``work`` label comparisons in all."""
        graph, times, tables = self.graph, self.times, self.tables
        cost = self.worth[2]
        most_stops = graph.most_stops
        hoods = [list(h) for h in hoods]
        labels, found, best_path = 0, {}, None
        most = threshold
        where = (self.base, self.cand, self.pairs)
        for _ in range(DSSR_ROUNDS):
            members, sizes, position = hood_arrays(hoods)
            best, best_id, done, nodes, parents, made, compared, stopped = limited_labelling.search(
                graph.arrays(),
                _limits(times, cost, most_stops),
                tables,
                members,
                sizes,
                position,
                *self.named,
                float(threshold),
                float(threshold),
                float(self.tol),
                int(budget),
                DONE,
                int(work),
            )
            labels += int(made)
            budget = max(budget - int(made), 1)
            work = max(work - int(compared), 1)
            for lid in done.tolist():
                path = trace(nodes, parents, lid)
                if len(set(path)) == len(path):
                    found.setdefault(tuple(path), path)
            if stopped:
                most = max(graph.most(tables, cost, most_stops), threshold)
                routes = _ranked(times, where, found, self.worth, threshold + self.tol, self.limit)
                return Priced(routes, most, False, False, labels)
            most = max(float(best), threshold)
            best_path = trace(nodes, parents, int(best_id)) if best_id >= 0 else None
            if best_path is None or len(set(best_path)) == len(best_path):
                break
            if not remember_cycles(hoods, best_path):
                break
        routes = _ranked(times, where, found, self.worth, threshold + self.tol, self.limit)
        elementary = best_path is None or len(set(best_path)) == len(best_path)
        return Priced(routes, most, True, elementary, labels)


def _ranked(times, where, found: dict, worth, above: float, limit: int) -> list[Route]:
    """The routes of the candidate paths ``found`` worth more than ``above``, best first."""
    routes: dict[frozenset, tuple[float, Route]] = {}
    for path in found.values():
        base, cand, pairs = where
        route = _route(times, base, cand, path, pairs)
        if route is None:
            continue
        dual, bonus, cost = worth
        value = route_value(times, dual, cost, route, bonus)
        old = routes.get(frozenset(route.stops))
        if value > above and (old is None or value > old[0]):
            routes[frozenset(route.stops)] = (value, route)
    ranked = sorted(routes.values(), key=lambda vr: (-vr[0], vr[1].minutes, vr[1].stops))
    return [route for _, route in ranked[:limit]]


def enumerate_limited(
    times: StopTimes,
    base: int,
    stops: np.ndarray,
    dual: np.ndarray,
    cost: float,
    floor: float,
    *,
    bonus: np.ndarray | None = None,
    pairs: Pairs = NO_PAIRS,
    budget: int = ENUMERATION_LABELS,
    most: int = ENUMERATION_LABELS,
) -> Enumerated:
    """Every route from ``base`` over ``stops`` (a mask) whose value (as in
    ``price_limited``) exceeds ``floor``, once per set of stops in its shortest order
    found; not ``complete`` when ``budget`` labels or ``most`` routes stopped the search."""
    cand = _candidates(times, base, stops, pairs)
    if cand.size == 0:
        return Enumerated([], True, 0)
    graph = _Graph(times, base, cand, np.maximum(dual, 0.0), _bonus(bonus, dual.size))
    most_stops = graph.most_stops
    tables = graph.tables(cost, most_stops)
    tol = TOL * max(float(graph.prize.sum()), 1.0)
    done, nodes, parents, made, stopped = limited_labelling.enumerate_all(
        graph.arrays(),
        _limits(times, cost, most_stops),
        tables,
        float(floor),
        float(tol),
        int(budget),
        int(most),
    )
    if done.size >= most:  # too many routes: none are built
        return Enumerated([], False, int(made), True)
    routes: dict[frozenset, Route] = {}
    for lid in done.tolist():
        route = _route(times, base, cand, trace(nodes, parents, lid), pairs)
        if route is None:
            continue
        old = routes.get(frozenset(route.stops))
        if old is None or route.minutes < old.minutes:
            routes[frozenset(route.stops)] = route
    ranked = sorted(routes.values(), key=lambda r: (r.minutes, r.stops))
    return Enumerated(ranked, not stopped, int(made), bool(stopped))
