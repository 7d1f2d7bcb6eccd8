"""County stages stopped early by deterministic limits (a MIP gap, a node limit): which
stages stop, how far later stages move a held value, and the plan's proven gaps.

Prints a Markdown table, one row per synthetic county and limit: the status of each stage
(c = coverage, n = new_sites, k = cost, t = travel, s = shortfall; "opt" proven), the
stages that ended better than the value later stages held them to, and by how much, the
largest gap of a written stage value to its stage's bound, seconds, and whether the
independent verifier accepted the plan (``plan_county`` runs it on every plan).

    python -m benchmarks.stages [--sizes 200 300] [--seeds 0 1 2]
"""

from __future__ import annotations

import argparse
import math
import time

import geodata
from geodata import HealthplanError
from models.county import StaffRule
from optimizer.county_spec import CountySpec, LevelSpec
from optimizer.plan.county import plan_county
from optimizer.verify import VerificationError

LIMITS = ({"mip_gap": 0.05}, {"mip_gap": 0.2}, {"node_limit": 1}, {"node_limit": 20})
SHORT = {"optimal": "opt", "mip_gap": "gap", "node_limit": "node", "time_limit": "time"}


def county_spec(**limits) -> CountySpec:
    """Hubs at township centres within 30 min for half the population (4-6 of them),
    clinics within 15 min for 80 % (8-20), districts within 60 min, a doctors' pool of 500."""
    return CountySpec(
        hub=LevelSpec(
            radius=30,
            kinds=("township_centre",),
            fixed_kinds=("county_hospital",),
            share=0.5,
            count=(4, 6),
        ),
        clinic=LevelSpec(
            radius=15, kinds=("township_centre", "candidate"), share=0.8, count=(8, 20)
        ),
        district_minutes=60,
        staff=(StaffRule("doctors", 3.6 / 1000, pool=500),),
        time_limit=600,
        **limits,
    )


def row(villages: int, seed: int, limits: dict) -> str:
    county = geodata.synthetic_county(villages, villages // 7, seed=seed)
    travel = geodata.straight_line_minutes(
        county.demand, county.sites, speed_kmh=30, circuity=1.0, max_minutes=60
    )
    began = time.perf_counter()
    label = ", ".join(f"{k} {v:g}" for k, v in limits.items())
    try:
        plan = plan_county(county.demand, county.sites, travel, county_spec(**limits))
    except VerificationError as exc:
        return f"| {villages} | {seed} | {label} | | | | | no: {exc} |"
    except HealthplanError as exc:
        return f"| {villages} | {seed} | {label} | {type(exc).__name__} | | | | |"
    seconds = time.perf_counter() - began
    statuses = " ".join(
        f"{r.stage[0] if r.stage != 'cost' else 'k'}:{SHORT.get(r.status, r.status)}"
        for r in plan.stages
    )
    moved = [
        f"{r.stage} {abs(r.objective - r.held) / max(abs(r.held), 1.0):.2%}"
        for r in plan.stages
        if math.isfinite(r.held) and abs(r.objective - r.held) > 1e-6 * max(abs(r.held), 1.0)
    ]
    gap = max((r.gap for r in plan.stages if math.isfinite(r.gap)), default=0.0)
    return (
        f"| {villages} | {seed} | {label} | {statuses} | {', '.join(moved) or '-'} | "
        f"{gap:.2%} | {seconds:.1f} | yes |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 300])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    print(
        "| villages | seed | limit | stages | ended better than held | largest gap | s | verified |"
    )
    print("|---:|---:|---|---|---|---:|---:|---|")
    for villages in args.sizes:
        for seed in args.seeds:
            for limits in LIMITS:
                print(row(villages, seed, limits), flush=True)


if __name__ == "__main__":
    main()
