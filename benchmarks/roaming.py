"""Roaming routes decided with the fixed clinics: a mountain county on a synthetic road network.

The synthetic county (200 villages, 40 sites) with slow mountain roads (county 40,
township 25, village 15 km/h): clinics within 15 minutes at candidate sites (build cost
``fixed_cost``) or roaming visits, twice per 20-day cycle, by 3 vehicles from the county
hospital and two township centres, 480 working minutes a day, 20 minutes per stop plus 10 per
1,000 residents; a vehicle-day in every cycle costs 150,000 yuan over the plan period.

Prints a Markdown table: route pool (initial, final and kept), column-generation rounds,
exact pricing calls (how many its time limit stopped) and their seconds, the route master's
LP value over the pool, the proven lower bound on the LP over every route, the proven bound
on every plan (rounded up to the cost unit, raised by the vehicle-day split), the county
plan's cost-stage objective and its gaps to both bounds, vehicle-days used, whether the
safety time limit acted, seconds (route pool, total wall clock); then what the split and the
closing search did.

    python -m benchmarks.roaming [--seeds 7 11 3] [--time-limit 60] [--prove]
"""

from __future__ import annotations

import argparse
import time

import geodata
from optimizer.county_spec import CountySpec, LevelSpec, RoamingSpec
from optimizer.plan.county import plan_county

MOUNTAIN_SPEEDS = {"county": 40.0, "township": 25.0, "village": 15.0}


def mountain_county(seed: int, n_villages: int = 200, n_sites: int = 40):
    """The county, its village x site and village x village network minutes (<= 90 min)."""
    county = geodata.synthetic_county(n_villages, n_sites, seed=seed)
    kwargs = dict(
        class_column="road_class",
        class_speeds=MOUNTAIN_SPEEDS,
        access_speed_kmh=5.0,
        max_minutes=90.0,
    )
    travel = geodata.network_minutes(county.demand, county.sites, county.roads, **kwargs)
    stops = geodata.network_minutes(county.demand, county.demand, county.roads, **kwargs)
    return county, travel, stops


def spec(sites, time_limit: float, prove: bool = False) -> CountySpec:
    """Existing sites are hubs (no hub target); clinics or roaming for every village. With
    ``prove`` the route search goes on until the plan is proven (safety stop: four hours)."""
    kind = sites["kind"].astype(str)
    hospital = sites.loc[kind == "county_hospital", "id"].tolist()
    centres = sites.loc[kind == "township_centre", "id"].tolist()
    return CountySpec(
        hub=LevelSpec(
            30.0, ("township_centre",), fixed_kinds=("county_hospital", "township_centre")
        ),
        clinic=LevelSpec(
            15.0,
            ("candidate",),
            fixed_kinds=("county_hospital", "township_centre"),
            cost_column="fixed_cost",
        ),
        district_minutes=90.0,
        stages=("cost",),
        time_limit=time_limit,
        roaming=RoamingSpec(
            vehicles=3,
            bases=tuple(hospital + centres[:2]),
            days=20,
            day_minutes=480.0,
            service_minutes=20.0,
            service_per_1000=10.0,
            visits=2,
            may="all",
            day_cost=150_000.0,
            leg_minutes=90.0,
            time_limit=14_400.0 if prove else 300.0,
            prove=prove,
        ),
    )


def _pct(value: float, bound: float) -> str:
    """The gap of ``value`` to ``bound``, both to the yuan (LP values carry solver noise)."""
    return f"{(round(value) - round(bound)) / round(value):.2%}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[7, 11, 3])
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument(
        "--prove", action="store_true", help="[roaming] prove = true: search until proven"
    )
    args = parser.parse_args()
    print(
        "| seed | pool (initial, kept) | rounds | exact pricing calls (stopped) | exact pricing s "
        "| pool LP | proven bound on the LP over all routes | rounded / split bound | plan cost "
        "| gap vs rounded / split bound | gap vs LP bound | vehicle-days | safety stop "
        "| pool s | total s |"
    )
    print("|---" * 15 + "|")
    splits = []
    for seed in args.seeds:
        county, travel, stops = mountain_county(seed)
        began = time.perf_counter()
        plan = plan_county(
            county.demand,
            county.sites,
            travel,
            spec(county.sites, args.time_limit, args.prove),
            stops,
        )
        total = time.perf_counter() - began
        rec = plan.roaming
        cost = next(r for r in plan.stages if r.stage == "cost").objective
        roaming = plan.summary.roaming
        splits.append(
            f"seed {seed}: integer master {rec.objective:,.0f}; split: {rec.split}; "
            f"closing search: {rec.closed}"
        )
        print(
            f"| {seed} | {rec.pool} ({rec.initial_pool}, {rec.kept}) | {rec.rounds} "
            f"| {rec.exact_calls} ({rec.exact_stopped}) | {rec.exact_seconds:.1f} "
            f"| {rec.lp_value:,.0f} | {rec.lp_bound:,.0f} | {rec.bound:,.0f} | {cost:,.0f} "
            f"| {_pct(cost, rec.bound)} | {_pct(cost, rec.lp_bound)} "
            f"| {roaming.vehicle_days_used}/{roaming.vehicle_days_fleet} "
            f"| {'yes' if rec.timed_out else 'no'} | {rec.seconds:.1f} | {total:.1f} |"
        )
    print()
    print("\n".join(splits))


if __name__ == "__main__":
    main()
