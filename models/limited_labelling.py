"""The labelling kernels of exact pricing for limited routes, compiled with numba: routes
with a stop limit, a travel limit, covering stops and routes that cost their driving
minutes (``models.limited_pricing`` prepares their data).

A label is a partial route over candidates 0..k-1 (the base is k): its stops, minutes
(travel and service), travel minutes, value (the duals of the villages it serves and a
bonus per stop, less the cost of its travel), last candidate, parent and the villages it
serves (bit words over the villages that carry a dual). Each extension adds one stop, so
labels taken in the order they are made go stop count by stop count.

``search`` looks for the best route over ng-routes: a label may not return to a candidate
in its memory (bits over the last candidate's neighbourhood). A label is dropped when one
at the same candidate with a memory subset has no more stops, minutes or travel and a value
at least its own plus the duals of the villages that one serves and it does not (what it
may still gain that the other cannot). ``enumerate`` lists every elementary route whose
value beats a floor; of two labels with the same stops and last candidate only the one with
less travel goes on. Both drop labels whose value plus the completion bound cannot beat
what they look for: ``completion`` gives, per candidate and stops left, the most value a
walk without 2-cycles adds (stop prizes, each the duals of every village the stop serves,
less travel) before reaching the base.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from models.labelling import FIRST_LABELS, grown, rehashed, table_size, table_slot


@njit(cache=True, nogil=True)
def completion(leg, prize, cost, stops):
    """Tables over (candidate, stops left): the most value after a candidate (``prize`` of
    each further stop less ``cost`` per minute of ``leg``, back to the base ``k``), not going
    straight back to the candidate just left; ``nxt`` the next candidate of the best (-1:
    home) and ``second`` the best with another next candidate."""
    k = prize.size
    first = np.full((k, stops + 1), -np.inf)
    second = np.full((k, stops + 1), -np.inf)
    nxt = np.full((k, stops + 1), -1, np.int64)
    for s in range(stops + 1):
        for v in range(k):
            home = -cost * leg[v, k] if np.isfinite(leg[v, k]) else -np.inf
            top, top_c, runner = -np.inf, -1, -np.inf
            if s > 0:
                for c in range(k):
                    if c == v or not np.isfinite(leg[v, c]):
                        continue
                    after = first[c, s - 1] if nxt[c, s - 1] != v else second[c, s - 1]
                    go = prize[c] - cost * leg[v, c] + after
                    if go > top:
                        runner = top
                        top, top_c = go, c
                    elif go > runner:
                        runner = go
            if home >= top:
                first[v, s], nxt[v, s], second[v, s] = home, -1, top
            else:
                first[v, s], nxt[v, s], second[v, s] = top, top_c, max(runner, home)
    return first, second, nxt


@njit(cache=True)
def _bound(first, second, nxt, c, left, prev):
    if nxt[c, left] == prev:
        return second[c, left]
    return first[c, left]


@njit(cache=True)
def _home(back, minutes, travel, day, max_travel):
    """Whether a label with ``minutes`` and ``travel`` can drive ``back`` to the base."""
    eps = 1e-9
    return np.isfinite(back) and minutes + back <= day + eps and travel + back <= max_travel + eps


@njit(cache=True)
def _paired(bits, pair_a, pair_b):
    """Whether ``bits`` holds both or neither bit of every pair."""
    for i in range(pair_a.size):
        if ((bits >> pair_a[i]) & 1) != ((bits >> pair_b[i]) & 1):
            return False
    return True


@njit(cache=True)
def _bit(low):
    """The position of the single set bit of ``low``."""
    at = 0
    while low > np.uint64(1):
        low >>= np.uint64(1)
        at += 1
    return at


@njit(cache=True)
def _missing(have, other, dual):
    """The duals of the villages in ``have`` and not in ``other`` (bit words)."""
    total = 0.0
    for w in range(have.size):
        bits = have[w] & ~other[w]
        while bits:
            low = bits & (~bits + np.uint64(1))
            total += dual[w * 64 + _bit(low)]
            bits ^= low
    return total


@njit(cache=True, nogil=True)
def search(
    graph,
    limits,
    tables,
    members,
    sizes,
    position,
    group,
    apart,
    pair_a,
    pair_b,
    floor,
    threshold,
    tol,
    max_labels,
    max_done,
    max_work,
):
    """Best route value over ng-routes (at least ``floor``), its last label, the labels of
    routes whose value beats ``threshold`` (at most ``max_done``), every label's candidate
    and parent, labels made, label comparisons made, and whether a limit stopped the search.

    ``graph`` is ``(leg, service, rest, serves, dual, bonus)``: ``leg[a, c]`` the travel
    minutes between candidates (index k: the base), ``service`` per candidate, ``rest[c]``
    a lower bound on the travel from c to the base, ``serves[c]`` the bit words of the
    villages c serves, ``dual`` per village bit, ``bonus[c]`` what a stop at c adds besides.
    ``limits`` is ``(cost per travel minute, day, max_stops, max_travel)``, ``tables`` the
    ``(first, second, nxt)`` of ``completion``. ``members[v, :sizes[v]]`` is v's
    ng-neighbourhood, ``position[v, c]`` c's bit in it (-1: not a member). Branching:
    ``group[c]`` is c's bit among the stops a branch names (-1: none), ``apart[c]`` the bits
    of the stops no route may join with c, and a route stops at both or neither of each
    pair ``pair_a[i]``, ``pair_b[i]``; a label keeps the bits of the named stops it visited,
    exactly. The search stops (unproven) after ``max_labels`` labels or ``max_work`` label
    comparisons."""
    leg, service, rest, serves, dual, bonus = graph
    cost, day, max_stops, max_travel = limits
    first, second, nxt = tables
    k = service.size
    words = serves.shape[1]
    eps = 1e-9
    room = min(max_labels, FIRST_LABELS)
    stops = np.empty(room, np.int64)
    minutes = np.empty(room)
    travel = np.empty(room)
    values = np.empty(room)
    nodes = np.empty(room, np.int64)
    parents = np.empty(room, np.int64)
    masks = np.empty(room, np.int64)
    named = np.empty(room, np.int64)
    have = np.zeros((room, words), np.uint64)
    alive = np.zeros(room, np.bool_)
    link = np.empty(room, np.int64)  # the next label at the same candidate
    head = np.full(k, -1, np.int64)
    done = np.empty(max_done, np.int64)
    n_done = 0
    made = 0
    best = floor
    best_id = -1
    work = 0  # labels compared
    start = np.zeros(words, np.uint64)
    key = np.zeros(words, np.uint64)

    lid = -1  # the label being extended (-1: the base)
    while lid < made:
        if lid >= 0:
            if not alive[lid]:
                lid += 1
                continue
            v = nodes[lid]
            back = leg[v, k]
            if _home(back, minutes[lid], travel[lid], day, max_travel) and _paired(
                named[lid], pair_a, pair_b
            ):
                end = values[lid] - cost * back
                if end > best + tol:
                    best = end
                    best_id = lid
                if end > threshold + tol and n_done < max_done:
                    done[n_done] = lid
                    n_done += 1
            if stops[lid] >= max_stops:
                lid += 1
                continue
            s, t, d, p, mem = stops[lid], minutes[lid], travel[lid], values[lid], masks[lid]
            bits = named[lid]
            prev = nodes[parents[lid]] if parents[lid] >= 0 else -2
            if p + _bound(first, second, nxt, v, max_stops - s, prev) <= best + tol:
                lid += 1
                continue
            for w in range(words):
                key[w] = have[lid, w]
        else:
            v, s, t, d, p, mem = k, 0, 0.0, 0.0, 0.0, np.int64(0)
            bits = np.int64(0)
            for w in range(words):
                key[w] = start[w]
        for c in range(k):
            step = leg[v, c]
            if c == v or not np.isfinite(step):
                continue
            if lid >= 0:
                pos = position[v, c]
                if pos >= 0 and (mem >> pos) & 1:
                    continue
            if apart[c] & bits:
                continue
            marks = bits
            if group[c] >= 0:
                if (bits >> group[c]) & 1:
                    continue
                marks |= np.int64(1) << group[c]
            a = t + step + service[c]
            b = d + step
            if a + rest[c] > day + eps or b + rest[c] > max_travel + eps:
                continue
            q = p + _missing(serves[c], key, dual) + bonus[c] - cost * step
            if q + _bound(first, second, nxt, c, max_stops - s - 1, v) <= best + tol:
                continue
            new = np.int64(1)
            if lid >= 0:
                for i in range(sizes[v]):
                    if (mem >> i) & 1:
                        at = position[c, members[v, i]]
                        if at >= 0:
                            new |= np.int64(1) << at
            # the villages served after the extension, in the spare row ``made`` once room
            if made == room:
                if made == max_labels:
                    return (
                        best,
                        best_id,
                        done[:n_done],
                        nodes[:made],
                        parents[:made],
                        made,
                        work,
                        True,
                    )
                room = min(2 * room, max_labels)
                stops, minutes = grown(stops, room), grown(minutes, room)
                travel, values = grown(travel, room), grown(values, room)
                nodes, parents = grown(nodes, room), grown(parents, room)
                masks, have = grown(masks, room), grown(have, room)
                alive, link = grown(alive, room), grown(link, room)
                named = grown(named, room)
            for w in range(words):
                have[made, w] = key[w] | serves[c, w]
            dominated = False
            before = -1
            other = head[c]
            while other >= 0:
                later = link[other]
                work += 1
                same = alive[other] and named[other] == marks
                if (
                    same
                    and stops[other] <= s + 1
                    and minutes[other] <= a + eps
                    and travel[other] <= b + eps
                    and (masks[other] & ~new) == 0
                    and values[other] - _missing(have[other], have[made], dual) >= q - tol
                ):
                    dominated = True
                    break
                if (
                    same
                    and s + 1 <= stops[other]
                    and a <= minutes[other] + eps
                    and b <= travel[other] + eps
                    and (new & ~masks[other]) == 0
                    and q - _missing(have[made], have[other], dual) >= values[other] + tol
                ):
                    alive[other] = False
                if alive[other]:
                    before = other
                elif before < 0:  # dropped labels leave the list
                    head[c] = later
                else:
                    link[before] = later
                other = later
            if work > max_work:
                return best, best_id, done[:n_done], nodes[:made], parents[:made], made, work, True
            if dominated:
                continue
            stops[made] = s + 1
            minutes[made] = a
            travel[made] = b
            values[made] = q
            nodes[made] = c
            parents[made] = lid
            masks[made] = new
            named[made] = marks
            alive[made] = True
            link[made] = head[c]
            head[c] = made
            made += 1
        lid += 1
    return best, best_id, done[:n_done], nodes[:made], parents[:made], made, work, False


@njit(cache=True, nogil=True)
def enumerate_all(
    graph,
    limits,
    tables,
    floor,
    tol,
    max_labels,
    max_done,
):
    """Every elementary route whose value beats ``floor``: the labels that end one, every
    label's candidate and parent, labels made, and whether ``max_labels`` labels or
    ``max_done`` routes stopped the search (then the routes are not all there). Arguments
    as in ``search``."""
    leg, service, rest, serves, dual, bonus = graph
    cost, day, max_stops, max_travel = limits
    first, second, nxt = tables
    k = service.size
    words = serves.shape[1]
    sets_words = (k + 63) // 64
    eps = 1e-9
    one = np.uint64(1)
    room = min(max_labels, FIRST_LABELS)
    table = np.full(table_size(room), -1, np.int64)
    stops = np.empty(room, np.int64)
    minutes = np.empty(room)
    travel = np.empty(room)
    values = np.empty(room)
    nodes = np.empty(room, np.int64)
    parents = np.empty(room, np.int64)
    sets = np.zeros((room, sets_words), np.uint64)
    have = np.zeros((room, words), np.uint64)
    alive = np.zeros(room, np.bool_)
    done = np.empty(room, np.int64)
    n_done = 0
    made = 0
    key = np.zeros(sets_words, np.uint64)
    seen = np.zeros(words, np.uint64)

    lid = -1
    while lid < made:
        if lid >= 0:
            if not alive[lid]:
                lid += 1
                continue
            v = nodes[lid]
            back = leg[v, k]
            if (
                _home(back, minutes[lid], travel[lid], day, max_travel)
                and values[lid] - cost * back > floor + tol
            ):
                done[n_done] = lid
                n_done += 1
                if n_done >= max_done:
                    return done[:n_done], nodes[:made], parents[:made], made, True
            if stops[lid] >= max_stops:
                lid += 1
                continue
            s, t, d, p = stops[lid], minutes[lid], travel[lid], values[lid]
            for w in range(words):
                seen[w] = have[lid, w]
        else:
            v, s, t, d, p = k, 0, 0.0, 0.0, 0.0
            seen[:] = 0
        for c in range(k):
            step = leg[v, c]
            if c == v or not np.isfinite(step):
                continue
            if lid >= 0 and (sets[lid, c // 64] >> np.uint64(c % 64)) & one:
                continue
            a = t + step + service[c]
            b = d + step
            if a + rest[c] > day + eps or b + rest[c] > max_travel + eps:
                continue
            q = p + _missing(serves[c], seen, dual) + bonus[c] - cost * step
            if q + _bound(first, second, nxt, c, max_stops - s - 1, v) <= floor + tol:
                continue
            for w in range(sets_words):
                key[w] = sets[lid, w] if lid >= 0 else np.uint64(0)
            key[c // 64] |= one << np.uint64(c % 64)
            slot = table_slot(table, sets, nodes, key, c)
            other = table[slot]
            if other >= 0:
                if travel[other] <= b + eps:
                    continue
                alive[other] = False
            if made == room:
                if made == max_labels:
                    return done[:n_done], nodes[:made], parents[:made], made, True
                room = min(2 * room, max_labels)
                stops, minutes = grown(stops, room), grown(minutes, room)
                travel, values = grown(travel, room), grown(values, room)
                nodes, parents = grown(nodes, room), grown(parents, room)
                sets, have = grown(sets, room), grown(have, room)
                alive, done = grown(alive, room), grown(done, room)
                table = rehashed(table, room, sets, nodes)
                slot = table_slot(table, sets, nodes, key, c)
            stops[made] = s + 1
            minutes[made] = a
            travel[made] = b
            values[made] = q
            nodes[made] = c
            parents[made] = lid
            for w in range(sets_words):
                sets[made, w] = key[w]
            for w in range(words):
                have[made, w] = seen[w] | serves[c, w]
            alive[made] = True
            table[slot] = made
            made += 1
        lid += 1
    return done[:n_done], nodes[:made], parents[:made], made, False
