"""Branch and price over a route pool, for limited routes whose gap the closing search
leaves open.

A node holds the plans that stop at none of its barred stops and at every one of its
required stops, keep to its pairs and drive its range of vehicle-days in total. Its bound
is the route master LP over every route allowed there: column generation with exact
pricing, where barred stops are no candidates and the dual of a required stop's row is a
bonus for stopping there. A node is closed when its bound (rounded up to the cost unit)
reaches the best plan, when the integer master over its routes meets its bound, or when its
closing search (every route within the gap at its duals) settles it; otherwise it branches
on the vehicle-days in total when the LP's are fractional, else on the stop whose routes
the LP drives closest to half a time (barred in one child, required in the other) or, when
the LP drives every stop a whole number of times, on the two stops it drives on one route
closest to half a time (kept apart in one child, joined in the other: a route stops at both
or neither; Ryan and Foster). Nodes are taken best bound first (oldest first among equal
bounds), so runs repeat exactly. The bound on every plan is the least bound of the nodes
left open, and the best plan's cost when none is.
"""

from __future__ import annotations

import heapq
import itertools

import highspy
import numpy as np

from geodata.i18n import gettext as _
from models.limited_pricing import NO_PAIRS, Pairs

#: Nodes one branch and price explores at most (a work limit: the nodes left keep their
#: bounds, and the bound on every plan stays valid).
BRANCH_NODES = 200
#: Column-generation rounds per node (the time limit ends them earlier).
NODE_ROUNDS = 1000
#: Drives of a stop within this of a whole number count as whole.
WHOLE = 1e-6


def branching_stop(lp, routes: list, barred: frozenset, required: tuple) -> int | None:
    """The stop the LP ``lp`` over ``routes`` drives closest to half a time (the lowest
    index among equals), neither barred nor required; None when it drives every stop a
    whole number of times."""
    driven: dict[int, float] = {}
    for r in np.flatnonzero(lp.days > WHOLE).tolist():
        for stop in routes[r].stops:
            driven[stop] = driven.get(stop, 0.0) + float(lp.days[r])
    best, pick = WHOLE, None
    for stop in sorted(driven):
        share = driven[stop]
        apart = min(share, 1.0 - share)
        if stop in barred or stop in required or share >= 1.0 - WHOLE:
            continue
        if apart > best + WHOLE:
            best, pick = apart, stop
    return pick


def branching_pair(lp, routes: list, pairs: Pairs) -> tuple[int, int] | None:
    """The two stops the LP ``lp`` over ``routes`` drives on one route closest to half a
    time (the lowest pair among equals), not yet joined or kept apart; None when every
    pair is driven together a whole number of times."""
    joint: dict[tuple[int, int], float] = {}
    for r in np.flatnonzero(lp.days > WHOLE).tolist():
        for pair in itertools.combinations(sorted(routes[r].stops), 2):
            joint[pair] = joint.get(pair, 0.0) + float(lp.days[r])
    named = set(pairs.together) | set(pairs.apart)
    best, pick = WHOLE, None
    for pair in sorted(joint):
        share = joint[pair]
        if pair in named or share >= 1.0 - WHOLE:
            continue
        if min(share, 1.0 - share) > best + WHOLE:
            best, pick = min(share, 1.0 - share), pair
    return pick


def _children(node: tuple, lp, routes: list, single: bool, fleet: float) -> list[tuple] | None:
    """The two branches of a node (barred stops, required stops, pairs, vehicle-days in
    total) at its LP: on the vehicle-days when they are fractional (at most the whole part
    / at least one more, within ``fleet``), else on a stop, else (when every village needs
    one visit, ``single``) on a pair of stops; None when there is nothing to branch on."""
    barred, required, pairs, days = node
    total = float(lp.days.sum())
    whole = float(np.floor(total + WHOLE))
    if total - whole > WHOLE:
        low, high = days if days is not None else (0.0, fleet)
        return [
            (barred, required, pairs, (low, whole)),
            (barred, required, pairs, (whole + 1.0, high)),
        ]
    stop = branching_stop(lp, routes, barred, required)
    if stop is not None:
        return [(barred | {stop}, required, pairs, days), (barred, (*required, stop), pairs, days)]
    pair = branching_pair(lp, routes, pairs) if single else None
    if pair is None:
        return None
    return [
        (barred, required, Pairs(pairs.together, (*pairs.apart, pair)), days),
        (barred, required, Pairs((*pairs.together, pair), pairs.apart), days),
    ]


def branch_and_price(pool, bound: float, objective: float) -> tuple[float, float, str]:
    """Branch and price from the root (``bound``, yuan) with the best plan costing
    ``objective`` (yuan): the best plan's cost, a proven bound on every plan, and what the
    search did. ``pool`` is the route pool of ``optimizer.solve.roaming`` (its constraints
    are lifted on return)."""
    order = itertools.count()
    heap = [(bound, next(order), (frozenset(), (), NO_PAIRS, None))]
    best, explored, unresolved = objective, 0, []
    try:
        while heap:
            node_bound, _order, node = heapq.heappop(heap)
            if not pool.above(best, node_bound):
                continue
            if explored >= BRANCH_NODES or pool.late():
                heapq.heappush(heap, (node_bound, next(order), node))
                break
            explored += 1
            pool.constrain(*node[:3])
            lp, _rounds, proven, routes = pool.generate(NODE_ROUNDS, {}, frozenset(), True, node[3])
            if lp is None:
                if pool.master.status != highspy.HighsModelStatus.kInfeasible:
                    unresolved.append(node_bound)
                continue
            node_bound = max(node_bound, pool.rounded(min(proven, lp.objective)))
            solved = pool.integer(best)
            if solved is not None:
                best = min(best, solved[0])
            if not pool.above(best, node_bound):
                continue
            if proven >= lp.objective and np.isfinite(best):
                found, settled, _text = pool.close(lp, best)
                best = min(best, found)
                if np.isfinite(settled) and not pool.above(found, pool.rounded(settled)):
                    continue
            children = _children(node, lp, routes, pool.single_visits, pool.fleet_days)
            if children is None:
                unresolved.append(node_bound)
                continue
            for child in children:
                heapq.heappush(heap, (node_bound, next(order), child))
    finally:
        pool.constrain(frozenset(), ())
    left = [b for b, *_ in heap if pool.above(best, b)] + unresolved
    proven_bound = min([best, *left])
    text = (
        _("branch and price: {nodes} nodes, plan proven optimal")
        if not left
        else _("branch and price: {nodes} nodes, {open} left open")
    )
    return best, proven_bound, text.format(nodes=explored, open=len(left))
