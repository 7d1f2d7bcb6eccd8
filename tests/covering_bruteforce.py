"""Exact optimum of tiny multi-vehicle covering tour problems (m-CTP) by enumeration.

Vertex 0 of the distance matrix is the depot. Every mandatory vertex lies on exactly one route,
an optional vertex on at most one; every customer must be covered by a visited optional vertex
(mandatory vertices cover nothing). A route is a closed tour from the depot visiting at most p
vertices (the depot not counted) of length at most q; the number of routes is free. The
objective is the total length. Enumerates every set of optional vertices that covers all
customers, every split of the visited vertices into routes and every visiting order: for at most
about 7 visitable vertices besides the depot.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Collection, Hashable, Iterator, Mapping, Sequence
from functools import cache
from typing import NamedTuple

MAX_VERTICES = 8


class CoveringTours(NamedTuple):
    """The optimal total length (math.inf when no plan exists) and routes attaining it, each
    route the visited vertices in order, depot left out."""

    length: float
    routes: tuple[tuple[int, ...], ...]


def covering_tours(
    distance: Sequence[Sequence[float]],
    mandatory: Collection[int],
    covers: Mapping[int, Collection[Hashable]],
    customers: Collection[Hashable],
    p: int,
    q: float = math.inf,
) -> CoveringTours:
    """Optimal covering tours by enumeration.

    `distance`: symmetric matrix over the visitable vertices, depot 0; `mandatory`: vertices
    that must be visited (the depot may be listed, it is ignored); `covers`: optional vertex ->
    the customers a visit to it covers; `customers`: those to cover; `p`: most vertices per
    route; `q`: longest route (inf: no limit).
    """
    must = sorted(set(mandatory) - {0})
    optional = sorted(covers)
    if set(must) & set(optional) or 0 in optional:
        raise ValueError("a vertex is both mandatory and optional, or the depot is optional")
    if len(must) + len(optional) > MAX_VERTICES:
        raise ValueError(f"too many vertices to enumerate (at most {MAX_VERTICES})")
    need = set(customers)

    @cache
    def best_route(vertices: frozenset[int]) -> tuple[float, tuple[int, ...]]:
        """Shortest tour depot -> vertices -> depot no longer than q, over every order."""
        best: tuple[float, tuple[int, ...]] = (math.inf, ())
        for order in itertools.permutations(sorted(vertices)):
            stops = (0, *order, 0)
            length = sum(distance[a][b] for a, b in itertools.pairwise(stops))
            if length <= q and length < best[0]:
                best = (length, order)
        return best

    best = CoveringTours(math.inf, ())
    for k in range(len(optional) + 1):
        for chosen in itertools.combinations(optional, k):
            covered = set().union(*(covers[v] for v in chosen))
            if not need <= covered:
                continue
            for blocks in _partitions(must + list(chosen)):
                if any(len(block) > p for block in blocks):
                    continue
                routes = [best_route(frozenset(block)) for block in blocks]
                length = sum(route[0] for route in routes)
                if length < best.length:
                    best = CoveringTours(length, tuple(route[1] for route in routes))
    return best


def _partitions(items: list[int]) -> Iterator[list[list[int]]]:
    """Every split of `items` into non-empty unordered blocks (none for an empty list)."""
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for split in _partitions(rest):
        yield [[first], *split]
        for i in range(len(split)):
            yield [*split[:i], [first, *split[i]], *split[i + 1 :]]
