"""Set covering split into independent parts: parts are a true partition, and solving
them one by one gives the enumerated optimum (several parts, required and barred sites)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from models.components import cover_parts
from models.covering import coverage_groups
from models.pairs import cost_pairs
from optimizer import locate
from optimizer.verify import verify_locate

RADIUS = 10.0
SEEDS = range(30)


def blocks_instance(seed: int):
    """2-3 blocks of demand x sites reachable only within their block (inf elsewhere).

    A block is either a cycle (k = 3-4 units and sites, site t covers units t and t+1 mod k: no
    reduction applies) or random (2-5 units, 2-3 sites, every unit within RADIUS of a site
    of its block). Rows and columns are shuffled so parts interleave in the indices.
    """
    rng = np.random.default_rng(seed)
    n_blocks = int(rng.integers(2, 4))
    cycles = rng.random(n_blocks) < 0.6
    sizes = []
    for is_cycle in cycles:
        k = int(rng.integers(3, 5))
        sizes.append((k, k) if is_cycle else (int(rng.integers(2, 6)), int(rng.integers(2, 4))))
    n, m = sum(a for a, _ in sizes), sum(b for _, b in sizes)
    cost = np.full((n, m), np.inf)
    demand_order, site_order = rng.permutation(n), rng.permutation(m)
    i0 = j0 = 0
    for (a, b), is_cycle in zip(sizes, cycles, strict=True):
        rows, cols = demand_order[i0 : i0 + a], site_order[j0 : j0 + b]
        if is_cycle:
            block = np.full((a, b), 2 * RADIUS)
            t = np.arange(a)
            block[t, t] = block[(t + 1) % a, t] = rng.uniform(0, RADIUS, size=a)
        else:
            block = rng.uniform(0, 25, size=(a, b))
            block[np.arange(a), rng.integers(0, b, size=a)] = rng.uniform(0, RADIUS, size=a)
        cost[np.ix_(rows, cols)] = block
        i0, j0 = i0 + a, j0 + b
    return cost


def enumerate_best(cost, site_cost, required, barred):
    m = cost.shape[1]
    best = None
    for size in range(m + 1):
        for combo in itertools.combinations(range(m), size):
            chosen = set(combo)
            if not set(required) <= chosen or chosen & set(barred):
                continue
            if (cost[:, list(combo)] <= RADIUS).any(axis=1).all():
                value = site_cost[list(combo)].sum()
                best = value if best is None else min(best, value)
    return best


@pytest.mark.parametrize("seed", SEEDS)
def test_parts_partition_groups_and_sites(seed):
    cost = blocks_instance(seed)
    m = cost.shape[1]
    groups = coverage_groups(
        cost_pairs(cost, RADIUS), np.ones(cost.shape[0]), np.zeros(0, np.int64)
    )
    rng = np.random.default_rng(seed + 500)
    live = np.flatnonzero(rng.random(m) < 0.8)
    parts = cover_parts(groups, m, live)
    seen_sites = np.concatenate([part.sites for part in parts])
    assert np.unique(seen_sites).size == seen_sites.size  # no site in two parts
    assert set(seen_sites.tolist()) <= set(live.tolist())
    assert sum(part.groups.n_groups for part in parts) == groups.n_groups
    live_mask = np.isin(groups.site, live)
    expected = {
        (int(g), int(j))
        for g, j in zip(groups.group[live_mask], groups.site[live_mask], strict=True)
    }
    # rebuild every live pair from the parts: original group by its member demand units
    got = set()
    for part in parts:
        sub = part.groups
        original = {}
        for unit in np.flatnonzero(sub.group_of >= 0):
            original[int(sub.group_of[unit])] = int(groups.group_of[unit])
        for g, j in zip(sub.group, sub.site, strict=True):
            got.add((original[int(g)], int(part.sites[j])))
    assert got == expected


@pytest.mark.parametrize("seed", SEEDS)
def test_lscp_over_several_parts_matches_enumeration(seed):
    cost = blocks_instance(seed)
    m = cost.shape[1]
    rng = np.random.default_rng(seed + 1000)
    required = [int(j) for j in rng.choice(m, size=seed % 2, replace=False)]
    others = [j for j in range(m) if j not in required]
    barred = [int(j) for j in rng.choice(others, size=(seed // 2) % 3, replace=False)]
    site_cost = rng.integers(1, 4, size=m).astype(float)
    for costs in (None, site_cost):
        unit = np.ones(m) if costs is None else costs
        best = enumerate_best(cost, unit, required, barred)
        if best is None:
            continue
        res = locate(
            "lscp", cost, radius=RADIUS, fixed_costs=costs, required=required, barred=barred
        )
        verify_locate(res, cost, radius=RADIUS, fixed_costs=costs, required=required, barred=barred)
        assert res.status == "optimal"
        assert res.objective == pytest.approx(best)
        assert res.bound == pytest.approx(best)


def test_separate_blocks_are_solved_as_separate_parts():
    parts_seen = [
        locate("lscp", blocks_instance(seed), radius=RADIUS).details["independent_parts"]
        for seed in SEEDS
    ]
    assert max(parts_seen) >= 2
