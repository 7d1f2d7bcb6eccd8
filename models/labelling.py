"""The labelling kernel of exact pricing, compiled with numba (a pricing call on a county's
hospital base extends 10^5 to 10^6 labels; interpreted Python manages about 2 x 10^4 a
second).

Labels are partial routes over candidates 0..k-1: minutes, prize, last candidate, parent
label and ng-memory, a bit mask over the last candidate's neighbourhood (``members[v]``,
the candidate itself first). Labels are extended in order of whole minutes. A label is
dropped when one at the same candidate with a memory subset has no more minutes and no
less prize, or when its prize plus the completion bound cannot beat the best route found.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _completion(first, second, nxt, c, left, prev):
    if nxt[c, left] == prev:
        return second[c, left]
    return first[c, left]


@njit(cache=True)
def _hopeless(first, second, nxt, has_bound, left_minutes, prize, c, prev, beat):
    """Whether a label at ``c`` (come from ``prev``) with ``prize`` and ``left_minutes`` of
    the day cannot beat ``beat``, by the completion bound."""
    if not has_bound:
        return False
    left = int(np.floor(left_minutes + 1e-9))
    return left < 0 or prize + _completion(first, second, nxt, c, left, prev) <= beat


@njit(cache=True)
def _push(queue_head, queue_next, lid, at, earliest):
    """Queue label ``lid`` under its whole minute ``at`` (not before ``earliest``; the last
    bucket takes every later minute)."""
    minute = max(min(int(np.floor(at)), queue_head.size - 1), earliest)
    queue_next[lid] = queue_head[minute]
    queue_head[minute] = lid


#: Labels the kernels make room for at first; the arrays double as labels are made, up to
#: the label budget (a budget of millions allocated whole costs more than a typical search).
FIRST_LABELS = 1 << 14


@njit(cache=True)
def grown(array, size):
    """``array`` copied into a new array of ``size`` entries along its first axis."""
    out = np.empty((size,) + array.shape[1:], array.dtype)
    out[: array.shape[0]] = array
    return out


@njit(cache=True)
def _outcome(best, best_id, done, n_done, nodes, parents, prizes, made, stopped):
    """What ``search`` returns: the best prize and label, the finished labels, every label's
    node, parent and prize, the number of labels and whether the label budget stopped it."""
    return best, best_id, done[:n_done], nodes[:made], parents[:made], prizes[:made], made, stopped


@njit(cache=True, nogil=True)
def search(
    weight,
    start,
    back,
    rest,
    value,
    day,
    first,
    second,
    nxt,
    has_bound,
    members,
    sizes,
    position,
    floor,
    threshold,
    tol,
    max_labels,
    max_done,
):
    """Best route prize over ng-routes (at least ``floor``), its last label, labels of routes
    whose prize beats ``threshold`` (at most ``max_done``), every label's candidate, parent
    and prize, labels made, and whether ``max_labels`` stopped the search.

    ``weight[v, c]``: minutes from v's arrival to c's departure (leg and c's service);
    ``start[c]`` the same from the base, ``back[v]`` v to the base, ``rest[v]`` a lower
    bound on v to the base through anything. ``first``/``second``/``nxt``: the completion
    bound tables (see ``models.pricing``); ``members[v, :sizes[v]]`` v's neighbourhood,
    ``position[v, c]`` c's bit in it (-1: not a member)."""
    k = value.size
    eps = 1e-9
    span = first.shape[1] - 1
    width = 1
    for v in range(k):
        width = max(width, sizes[v])
    slots = 1 << width
    head = np.full(k * slots, -1, np.int64)
    room = min(max_labels, FIRST_LABELS)
    times = np.empty(room)
    prizes = np.empty(room)
    nodes = np.empty(room, np.int64)
    parents = np.empty(room, np.int64)
    masks = np.empty(room, np.int64)
    alive = np.zeros(room, np.bool_)
    link = np.empty(room, np.int64)  # next label of the same candidate and memory
    queue_head = np.full(span + 2, -1, np.int64)
    queue_next = np.empty(room, np.int64)
    done = np.empty(max_done, np.int64)
    n_done = 0
    made = 0
    best = floor
    best_id = -1

    for c in range(k):
        a = start[c]
        if not np.isfinite(a) or a + rest[c] > day + eps:
            continue
        if _hopeless(first, second, nxt, has_bound, day - a, value[c], c, -2, best + tol):
            continue
        if made == max_labels:
            return _outcome(best, best_id, done, n_done, nodes, parents, prizes, made, True)
        if made == room:
            room = min(2 * room, max_labels)
            times, prizes = grown(times, room), grown(prizes, room)
            nodes, parents = grown(nodes, room), grown(parents, room)
            masks, alive = grown(masks, room), grown(alive, room)
            link, queue_next = grown(link, room), grown(queue_next, room)
        lid = made
        made += 1
        times[lid] = a
        prizes[lid] = value[c]
        nodes[lid] = c
        parents[lid] = -1
        masks[lid] = 1
        alive[lid] = True
        slot = c * slots + 1
        link[lid] = head[slot]
        head[slot] = lid
        _push(queue_head, queue_next, lid, a, 0)

    for minute in range(span + 2):
        while queue_head[minute] >= 0:
            lid = queue_head[minute]
            queue_head[minute] = queue_next[lid]
            if not alive[lid]:
                continue
            v = nodes[lid]
            t = times[lid]
            p = prizes[lid]
            mem = masks[lid]
            if t + back[v] <= day + eps:
                if p > best + tol:
                    best = p
                    best_id = lid
                if p > threshold + tol and n_done < max_done:
                    done[n_done] = lid
                    n_done += 1
            prev = nodes[parents[lid]] if parents[lid] >= 0 else -2
            if _hopeless(first, second, nxt, has_bound, day - t, p, v, prev, best + tol):
                continue
            for c in range(k):
                a = t + weight[v, c]
                if not np.isfinite(a) or a + rest[c] > day + eps:
                    continue
                pos = position[v, c]
                if pos >= 0 and (mem >> pos) & 1:
                    continue
                q = p + value[c]
                if _hopeless(first, second, nxt, has_bound, day - a, q, c, v, best + tol):
                    continue
                new = np.int64(1)
                for i in range(sizes[v]):
                    if (mem >> i) & 1:
                        at = position[c, members[v, i]]
                        if at >= 0:
                            new |= np.int64(1) << at
                dominated = False
                # the memories at c that are subsets of new: every one holds c (bit 0), so
                # the subsets of the other bits, from the largest down
                others = new >> 1
                sub = others
                while True:
                    at_slot = c * slots + ((sub << 1) | 1)
                    before = -1
                    other = head[at_slot]
                    while other >= 0:
                        after = link[other]
                        if not alive[other]:  # dropped labels leave the chain
                            if before < 0:
                                head[at_slot] = after
                            else:
                                link[before] = after
                        elif times[other] > a + eps:
                            before = other
                        else:  # the latest label not later has the most prize of them
                            dominated = prizes[other] >= q - tol
                            break
                        other = after
                    if dominated or sub == 0:
                        break
                    sub = (sub - 1) & others
                if dominated:
                    continue
                slot = c * slots + new
                before = -1  # the new label goes after the last label later than it
                other = head[slot]
                while other >= 0:
                    after = link[other]
                    if alive[other] and times[other] < a:
                        break
                    if alive[other] and q >= prizes[other]:
                        alive[other] = False
                    if not alive[other]:
                        if before < 0:
                            head[slot] = after
                        else:
                            link[before] = after
                    else:
                        before = other
                    other = after
                if made == max_labels:
                    return _outcome(best, best_id, done, n_done, nodes, parents, prizes, made, True)
                if made == room:
                    room = min(2 * room, max_labels)
                    times, prizes = grown(times, room), grown(prizes, room)
                    nodes, parents = grown(nodes, room), grown(parents, room)
                    masks, alive = grown(masks, room), grown(alive, room)
                    link, queue_next = grown(link, room), grown(queue_next, room)
                lid2 = made
                made += 1
                times[lid2] = a
                prizes[lid2] = q
                nodes[lid2] = c
                parents[lid2] = lid
                masks[lid2] = new
                alive[lid2] = True
                if before < 0:
                    link[lid2] = head[slot]
                    head[slot] = lid2
                else:
                    link[lid2] = link[before]
                    link[before] = lid2
                _push(queue_head, queue_next, lid2, a, minute)
    return _outcome(best, best_id, done, n_done, nodes, parents, prizes, made, False)


@njit(cache=True, nogil=True)
def completion(whole, home, prize, span):
    """Completion bound tables over (candidate, whole minutes left): the most prize after a
    candidate with a straight way home (``home``: whole minutes) or on to another candidate
    (``whole``: whole minutes of leg and stop, > ``span`` when absent) but not straight back
    to the one just left; ``nxt`` the next candidate of the best (-1: home), ``second`` the
    best with another next candidate."""
    k = prize.size
    first = np.full((k, span + 1), -np.inf)
    second = np.full((k, span + 1), -np.inf)
    nxt = np.full((k, span + 1), -1, np.int64)
    for m in range(span + 1):
        for v in range(k):
            top, top_c, runner = -np.inf, -1, -np.inf
            for c in range(k):
                at = m - whole[v, c]
                if c == v or at < 0:
                    continue
                go = first[c, at] if nxt[c, at] != v else second[c, at]
                go += prize[c]
                if go > top:
                    runner = top
                    top, top_c = go, c
                elif go > runner:
                    runner = go
            straight = 0.0 if home[v] <= m else -np.inf
            if straight >= top:
                first[v, m], nxt[v, m], second[v, m] = straight, -1, top
            else:
                first[v, m], nxt[v, m], second[v, m] = top, top_c, max(runner, straight)
    return first, second, nxt


@njit(cache=True)
def table_slot(table, sets, nodes, key, node):
    """The hash-table slot of the label at ``node`` over the candidate set ``key`` (bit
    words): the slot holding it, or the empty slot where it belongs."""
    mask = np.uint64(table.size - 1)
    h = np.uint64(node + 1) * np.uint64(0x9E3779B97F4A7C15)
    for w in range(key.size):
        h = (h ^ key[w]) * np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(31)
    slot = h & mask
    while True:
        lid = table[slot]
        if lid < 0:
            return slot
        if nodes[lid] == node:
            same = True
            for w in range(key.size):
                if sets[lid, w] != key[w]:
                    same = False
                    break
            if same:
                return slot
        slot = (slot + np.uint64(1)) & mask


@njit(cache=True)
def table_size(labels):
    """Slots of the hash table for ``labels`` labels: a power of two, at least twice as many."""
    size = 1
    while size < 2 * labels:
        size <<= 1
    return size


@njit(cache=True)
def rehashed(table, labels, sets, nodes):
    """The labels of ``table`` in a new table sized for ``labels`` labels."""
    out = np.full(table_size(labels), -1, np.int64)
    for lid in table:
        if lid >= 0:
            out[table_slot(out, sets, nodes, sets[lid], nodes[lid])] = lid
    return out


@njit(cache=True, nogil=True)
def enumerate_search(
    weight, start, back, rest, value, day, first, second, nxt, has_bound, floor, tol, max_labels
):
    """Every elementary route whose prize beats ``floor``: the labels that end one, every
    label's candidate, parent and prize, labels made, and whether ``max_labels`` stopped
    the search (then the routes are not all there).

    Arguments as in ``search``. A label is the set of candidates visited and the last one;
    of two labels with the same set and last candidate only the earlier one is extended (a
    route's prize depends on its set only). Labels whose prize plus the completion bound
    cannot beat ``floor`` are dropped."""
    k = value.size
    eps = 1e-9
    span = first.shape[1] - 1
    words = (k + 63) // 64
    room = min(max_labels, FIRST_LABELS)
    table = np.full(table_size(room), -1, np.int64)
    times = np.empty(room)
    prizes = np.empty(room)
    nodes = np.empty(room, np.int64)
    parents = np.empty(room, np.int64)
    sets = np.zeros((room, words), np.uint64)
    alive = np.zeros(room, np.bool_)
    queue_head = np.full(span + 2, -1, np.int64)
    queue_next = np.empty(room, np.int64)
    done = np.empty(room, np.int64)
    n_done = 0
    made = 0
    key = np.zeros(words, np.uint64)
    one = np.uint64(1)

    for c in range(k):
        a = start[c]
        if not np.isfinite(a) or a + rest[c] > day + eps:
            continue
        if _hopeless(first, second, nxt, has_bound, day - a, value[c], c, -2, floor + tol):
            continue
        if made == max_labels:
            return done[:n_done], nodes[:made], parents[:made], prizes[:made], made, True
        if made == room:
            room = min(2 * room, max_labels)
            times, prizes = grown(times, room), grown(prizes, room)
            nodes, parents = grown(nodes, room), grown(parents, room)
            sets, alive = grown(sets, room), grown(alive, room)
            queue_next, done = grown(queue_next, room), grown(done, room)
            table = rehashed(table, room, sets, nodes)
        lid = made
        made += 1
        times[lid] = a
        prizes[lid] = value[c]
        nodes[lid] = c
        parents[lid] = -1
        sets[lid, :] = 0
        sets[lid, c // 64] = one << np.uint64(c % 64)
        alive[lid] = True
        table[table_slot(table, sets, nodes, sets[lid], c)] = lid
        _push(queue_head, queue_next, lid, a, 0)

    for minute in range(span + 2):
        while queue_head[minute] >= 0:
            lid = queue_head[minute]
            queue_head[minute] = queue_next[lid]
            if not alive[lid]:
                continue
            v = nodes[lid]
            t = times[lid]
            p = prizes[lid]
            if t + back[v] <= day + eps and p > floor + tol:
                done[n_done] = lid
                n_done += 1
            prev = nodes[parents[lid]] if parents[lid] >= 0 else -2
            if _hopeless(first, second, nxt, has_bound, day - t, p, v, prev, floor + tol):
                continue
            for c in range(k):
                if (sets[lid, c // 64] >> np.uint64(c % 64)) & one:
                    continue
                a = t + weight[v, c]
                if not np.isfinite(a) or a + rest[c] > day + eps:
                    continue
                q = p + value[c]
                if _hopeless(first, second, nxt, has_bound, day - a, q, c, v, floor + tol):
                    continue
                for w in range(words):
                    key[w] = sets[lid, w]
                key[c // 64] |= one << np.uint64(c % 64)
                slot = table_slot(table, sets, nodes, key, c)
                other = table[slot]
                if other >= 0:
                    if times[other] <= a + eps:
                        continue
                    alive[other] = False
                if made == max_labels:
                    return done[:n_done], nodes[:made], parents[:made], prizes[:made], made, True
                if made == room:
                    room = min(2 * room, max_labels)
                    times, prizes = grown(times, room), grown(prizes, room)
                    nodes, parents = grown(nodes, room), grown(parents, room)
                    sets, alive = grown(sets, room), grown(alive, room)
                    queue_next, done = grown(queue_next, room), grown(done, room)
                    table = rehashed(table, room, sets, nodes)
                    slot = table_slot(table, sets, nodes, key, c)
                new = made
                made += 1
                times[new] = a
                prizes[new] = q
                nodes[new] = c
                parents[new] = lid
                for w in range(words):
                    sets[new, w] = key[w]
                alive[new] = True
                table[slot] = new
                _push(queue_head, queue_next, new, a, minute)
    return done[:n_done], nodes[:made], parents[:made], prizes[:made], made, False
