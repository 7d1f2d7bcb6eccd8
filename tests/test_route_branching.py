"""Branch and price over covering tours (``optimizer.solve.route_branching``) against brute
force (tests/covering_bruteforce.py) on random m-CTP instances whose LP bound lies below the
optimum. The closing search is switched off, so branching alone must prove each plan, and
the pool starts from the sweep, so pricing under the branches finds the routes."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from covering_bruteforce import covering_tours as brute_force

from benchmarks.mctp import stop_times
from geodata.mctp import CoveringTourInstance
from optimizer.solve import roaming


def instance(seed: int) -> CoveringTourInstance:
    """A depot, two mandatory and six optional vertices, ten customers each covered by some
    optional vertex, p of 2 or 3 and now and then a length limit q."""
    rng = random.Random(seed)
    n_mandatory, n_optional, n_customers = 3, 6, 10
    n_visitable = n_mandatory + n_optional
    points = [[rng.randint(0, 100), rng.randint(0, 100)] for _ in range(n_visitable + n_customers)]
    points = np.array(points)
    d = np.floor(np.hypot(*(points[:, None] - points[None]).transpose(2, 0, 1)) + 0.5)
    d = d.astype(int)
    near = d[n_mandatory:n_visitable, n_visitable:]
    radius = max(near.min(axis=0).max(), rng.choice([25, 30, 35]))
    p = rng.randint(2, 3)
    far = d[0, :n_visitable].max()
    q = math.inf if rng.random() < 0.4 else float(2 * far + rng.choice([0, 30, 60]))
    return CoveringTourInstance(
        f"r{seed}",
        n_mandatory,
        n_optional,
        n_customers,
        p,
        q,
        d[:n_visitable, :n_visitable],
        near <= radius,
        points.astype(float),
    )


def optimum(inst: CoveringTourInstance) -> float:
    covers = {v: set(np.flatnonzero(inst.covers[i]).tolist()) for i, v in enumerate(inst.optional)}
    customers = range(inst.n_customers)
    found = brute_force(
        inst.distance.tolist(), list(inst.mandatory), covers, customers, inst.p, inst.q
    )
    return found.length


#: Seeds whose root LP lies below the optimum (found by running the search).
BRANCHED = [0, 3, 5, 9, 17, 18, 21, 32, 34]


@pytest.mark.parametrize("seed", BRANCHED)
def test_branch_and_price_proves_the_brute_force_optimum(seed, monkeypatch):
    monkeypatch.setattr(roaming, "CLOSE_ROUTES", 0)
    monkeypatch.setattr(roaming, "EXACT_PRICING", 0)  # every route comes from pricing
    inst = instance(seed)
    times, must = stop_times(inst)
    _, record = roaming.covering_tours(times, 0, must, inst.n_visitable - 1, time_limit=60)
    assert record.lp_value < record.objective - 1e-6  # the root alone proves nothing
    assert record.closed.startswith("branch and price") and record.exact_calls > 0
    assert record.objective == optimum(inst)
    assert record.bound == record.objective
