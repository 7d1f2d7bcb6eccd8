"""Time the county plan (hubs, clinics, districts, staffing) on synthetic counties.

Prints a Markdown table: villages, sites, model size (columns, rows, nonzeros of the
county model), seconds per stage, total seconds and the status of each stage.

    python -m benchmarks.plan [--sizes 100 300 1000 3000] [--time-limit 60]
"""

from __future__ import annotations

import argparse
import time

import geodata
from geodata import InfeasibleError
from models.county import STAGES, StaffRule, build_county_model
from models.county_terms import STAFF_STAGES
from optimizer.county_spec import CountySpec, LevelSpec
from optimizer.plan.county import county_input, plan_county

SITES = {100: 20, 300: 40, 1000: 80, 3000: 150}

# Staff per person served: the county quotas of the plans (per 1,000 or 10,000 residents),
# applied per site so that every open site has a need to meet.
QUOTAS = {
    "doctors": 3.6 / 1000,
    "nurses": 4.12 / 1000,
    "beds": 7.5 / 1000,
    "gps": 2.6 / 10000,
    "public_health": 8.3 / 10000,
}


def county_spec(n_sites: int, time_limit: float, balance: float | None = None) -> CountySpec:
    """Hubs at township centres (the county hospital fixed) within 30 min, clinics within
    15 min for 90 % of the population, a doctors' pool of 3.2 per 1,000 persons (below the
    3.6 quota, so there is a shortfall to spread)."""
    n_seats = max(1, round(n_sites / 3))
    staff = tuple(
        StaffRule(
            name,
            per_person,
            min_hub=5.0 if name == "doctors" else 0.0,
            min_clinic=2.0 if name == "doctors" else 0.0,
        )
        for name, per_person in QUOTAS.items()
    )
    return CountySpec(
        hub=LevelSpec(
            radius=30,
            kinds=("township_centre",),
            fixed_kinds=("county_hospital",),
            count=(max(1, n_seats // 3), n_seats),
        ),
        clinic=LevelSpec(
            radius=15,
            kinds=("candidate", "township_centre"),
            fixed_kinds=("township_centre",),
            share=0.9,
            cost_column="fixed_cost",
        ),
        balance=balance,
        staff=staff,
        time_limit=time_limit,
    )


def with_pool(spec: CountySpec, population: float) -> CountySpec:
    """The spec with a doctors' pool of 3.2 per 1,000 persons."""
    staff = tuple(
        StaffRule(r.name, r.per_person, r.min_hub, r.min_clinic, 3.2e-3 * population)
        if r.name == "doctors"
        else r
        for r in spec.staff
    )
    return CountySpec(**{**spec.__dict__, "staff": staff})


def model_size(demand, sites, travel, spec: CountySpec) -> tuple[int, int, int]:
    """Columns, rows and nonzeros of the county model."""
    data, _ = county_input(demand, sites, travel, spec)
    model = build_county_model(data).matrix
    return model.n_cols, model.n_rows, int(model.arrays()["matrix"].nnz)


def run(n_villages: int, time_limit: float, balance: float | None) -> dict:
    """Plan one synthetic county; seconds and statuses per stage."""
    n_sites = SITES.get(n_villages, max(20, n_villages // 20))
    county = geodata.synthetic_county(n_villages, n_sites, seed=7)
    began = time.perf_counter()
    travel = geodata.network_minutes(
        county.demand, county.sites, county.roads, speed_column="speed_kmh", max_minutes=60
    )
    travel_seconds = time.perf_counter() - began
    spec = with_pool(
        county_spec(n_sites, time_limit, balance), float(county.demand["population"].sum())
    )
    size = model_size(county.demand, county.sites, travel, spec)
    row = {"villages": n_villages, "sites": n_sites, "size": size, "travel": travel_seconds}
    began = time.perf_counter()
    try:
        plan = plan_county(county.demand, county.sites, travel, spec)
    except InfeasibleError as exc:
        row.update(total=time.perf_counter() - began, stages={}, status=f"infeasible: {exc}")
        return row
    row["total"] = time.perf_counter() - began
    row["stages"] = {r.stage: r.seconds for r in plan.stages}
    row["status"] = ", ".join(
        sorted({r.status if r.gap < 1e-9 else f"{r.status} (gap {r.gap:.2%})" for r in plan.stages})
    )
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 300, 1000, 3000])
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per stage")
    parser.add_argument("--balance", type=float, default=None, help="district balance, 0..1")
    args = parser.parse_args()
    head = ["villages", "sites", "columns", "rows", "nonzeros", "travel times s"]
    head += [f"{s} s" for s in (*STAGES, *STAFF_STAGES)] + ["total s", "status"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for n in args.sizes:
        row = run(n, args.time_limit, args.balance)
        cells = [str(row["villages"]), str(row["sites"]), *(str(v) for v in row["size"])]
        cells.append(f"{row['travel']:.2f}")
        cells += [
            f"{row['stages'][s]:.2f}" if s in row["stages"] else "-"
            for s in (*STAGES, *STAFF_STAGES)
        ]
        cells += [f"{row['total']:.2f}", row["status"]]
        print("| " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
