"""The proven optimum of the roaming benchmark's county, and how far it lies above the LP.

Runs the route search of ``benchmarks.roaming`` without its work limits: column generation
until exact pricing proves the master LP over every route, then the closing search (every
route whose reduced cost lies within the gap between that LP and the plan, enumerated, and
the integer master over them solved to the end). The plan is then proven optimal, and its
gap to the LP bound is the least any plan of that county can have. Takes tens of minutes and
a few GiB per seed (the closing search of seed 11 lists about 718,000 routes).

    python -m benchmarks.roaming_optimum [--seeds 11] [--labels 30000000]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import optimizer.roaming as roaming
from benchmarks.roaming import mountain_county, spec
from optimizer.county import plan_county


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[11])
    parser.add_argument("--labels", type=int, default=30_000_000)
    args = parser.parse_args()
    roaming.CLOSE_LABELS = args.labels
    roaming.CLOSE_ROUTES = 10**8
    roaming.CLOSE_NODES = 10**9
    print(
        "| seed | LP over every route (proven) | plan cost | proven bound | gap to the LP bound "
        "| closing search | seconds |"
    )
    print("|---" * 7 + "|")
    for seed in args.seeds:
        county, travel, stops = mountain_county(seed)
        base = spec(county.sites, 36_000.0)
        unlimited = replace(base, roaming=replace(base.roaming, rounds=10_000, time_limit=36_000.0))
        began = time.perf_counter()
        rec = plan_county(county.demand, county.sites, travel, unlimited, stops).roaming
        lp = f"{rec.lp_bound:,.0f}" + ("" if rec.exact else " (not proven)")
        print(
            f"| {seed} | {lp} | {rec.objective:,.0f} | {rec.bound:,.0f} "
            f"| {(rec.objective - rec.lp_bound) / rec.objective:.2%} | {rec.closed} "
            f"| {time.perf_counter() - began:.0f} |"
        )


if __name__ == "__main__":
    main()
