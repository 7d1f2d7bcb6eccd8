"""m-CTP instances solved by the roaming route search, against their published optima.

Each instance (``geodata.mctp``) becomes one route search of the county plan's roaming
hospitals (``optimizer.solve.roaming.covering_tours``: the same route pool, column
generation, pricing and integer master): the depot is the single base, the mandatory
vertices are stops serving only themselves, the optional vertices are stops serving the
customers they cover (not themselves), customers are never stops; at most p stops and q
length per route (``max_stops``, ``max_minutes``), a route costs its length
(``route_cost = "minutes"``), one visit per cycle, a vehicle per visitable vertex (no fleet
limit in effect). Pricing is exact (``models.limited_pricing``) and a gap the closing
search leaves goes to branch and price (``optimizer.solve.route_branching``). Prints a
Markdown table (instance, p, q, objective, bound, status, seconds, published optimum,
equal?), or with ``--json`` one JSON object per instance and line.
A bound above the published optimum is an error: it is reported and the exit code is 1.

    python -m benchmarks.mctp ../shared/benchmarks/mctp/A1-1-25-75-4.ctp ... [--time-limit 60]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

from geodata.mctp import CoveringTourInstance, read_mctp, read_optima
from models.routes import StopTimes
from optimizer.solve.roaming import covering_tours


def stop_times(instance: CoveringTourInstance) -> tuple[StopTimes, np.ndarray]:
    """The instance as route legs over villages 0..N-2 (vertex v is village v - 1, the
    depot is site 0) and the mask of villages that must be served."""
    n = instance.n_visitable + instance.n_customers - 1
    visit = instance.n_visitable - 1
    distance = instance.distance.astype(float)
    between = np.full((n, n), np.inf)
    between[:visit, :visit] = distance[1:, 1:]
    np.fill_diagonal(between, 0.0)
    out = np.full(n, np.inf)
    out[:visit] = distance[0, 1:]
    empty = np.zeros(0, dtype=np.int64)
    covers = [empty] * n
    for v in instance.mandatory:
        covers[v - 1] = np.array([v - 1])
    first = instance.n_visitable - 1  # village of the first customer
    for row, v in enumerate(instance.optional):
        covers[v - 1] = first + np.flatnonzero(instance.covers[row])
    must = np.zeros(n, dtype=bool)
    must[[v - 1 for v in instance.mandatory]] = True
    must[first:] = True
    # a working day no route reaches (pricing needs a finite one): p + 1 longest legs
    day = min(float(instance.q), (instance.p + 1) * float(distance.max()))
    times = StopTimes(
        {0: out}, between, np.zeros(n), day, tuple(covers), instance.p, float(instance.q)
    )
    return times, must


def solve(path: Path, time_limit: float) -> dict:
    """Solve one instance: its name, p, q, objective, bound, status and seconds."""
    instance = read_mctp(path)
    times, must = stop_times(instance)
    start = time.perf_counter()
    _, record = covering_tours(
        times,
        0,
        must,
        instance.n_visitable - 1,
        time_limit=time_limit,
    )
    seconds = time.perf_counter() - start
    objective, bound = record.objective, record.bound
    if math.isnan(bound):  # no root LP within the time limit: nothing is proven
        bound = -math.inf
    if math.isfinite(objective) and objective <= bound + 1e-6 * max(abs(bound), 1.0):
        status = "optimal"
    elif record.timed_out:
        status = "time_limit"
    elif math.isfinite(objective):
        status = "feasible"
    else:
        status = "no_plan"
    return {
        "instance": instance.name,
        "p": instance.p,
        "q": instance.q,
        "objective": objective,
        "bound": bound,
        "status": status,
        "seconds": round(seconds, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--optima", type=Path, help="optima.csv (default: beside the files)")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per instance")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    args = parser.parse_args(argv)
    optima = read_optima(args.optima or args.files[0].parent / "optima.csv")
    if not args.json:
        print("| instance | p | q | objective | bound | status | seconds | optimum | equal |")
        print("|---|---:|---:|---:|---:|---|---:|---:|---|")
    violations = []
    for path in args.files:
        row = solve(path, args.time_limit)
        known = optima.get(row["instance"])
        optimum = known.optimum if known is not None else None
        if optimum is not None and row["bound"] > optimum + 1e-6 * optimum:
            violations.append(f"{row['instance']}: bound {row['bound']:g} > optimum {optimum:g}")
        if args.json:
            keys = ("instance", "objective", "bound", "status", "seconds")
            out = {k: row[k] for k in keys}
            for k in ("objective", "bound"):
                out[k] = out[k] if math.isfinite(out[k]) else None
            print(json.dumps(out), flush=True)
            continue
        same = optimum is not None and abs(row["objective"] - optimum) <= 1e-6 * optimum
        equal = "-" if optimum is None else ("yes" if same else "NO")
        print(
            f"| {row['instance']} | {row['p']} | {row['q']:g} | {row['objective']:,.0f} | "
            f"{row['bound']:,.0f} | {row['status']} | {row['seconds']:.1f} | "
            f"{'-' if optimum is None else f'{optimum:,.0f}'} | {equal} |",
            flush=True,
        )
    for text in violations:
        print(f"BOUND VIOLATION {text}", file=sys.stderr)
    assert not violations, "a bound lies above a published optimum"
    return 0


if __name__ == "__main__":
    sys.exit(main())
