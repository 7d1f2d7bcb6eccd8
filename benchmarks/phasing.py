"""Time phased county plans on synthetic counties against the same plan unphased.

For each size the plan is solved once without phases (its build cost B, yuan), then with
``years`` years and a yearly budget of ``B x factor / years``: factor 1 just pays the plan
over the period, larger factors leave room to open earlier. Prints a Markdown table: villages,
years, budget factor, model size, seconds of the person-years stage and of the whole plan,
the unphased plan's seconds, the share of the population within the clinic radius and the
share of the budget spent in each year, and the statuses.

    python -m benchmarks.phasing [--sizes 300 1000 3000] [--years 3 5] [--factors 1.25 2]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import numpy as np

import geodata
from benchmarks.plan import SITES, county_spec, with_pool
from geodata import InfeasibleError
from models.county import build_county_model
from optimizer.county_spec import CountySpec, PhasesSpec
from optimizer.plan.county import county_input, plan_county

GROWTH = 0.01  # population growth per year


def phased(spec: CountySpec, population: np.ndarray, years: int, budget: float) -> CountySpec:
    """``spec`` over ``years`` years from 2021 with ``budget`` yuan a year."""
    period = tuple(range(2021, 2021 + years))
    growth = (1 + GROWTH) ** np.arange(years)[:, None]
    phases = PhasesSpec(period, population * growth, np.full(years, budget))
    stages = ("coverage", "new_sites", "person_years", "cost", "travel", "shortfall")
    return replace(spec, phases=phases, stages=stages)


def run(n_villages: int, years: int, factor: float, time_limit: float) -> dict:
    """One size, period and budget factor: the unphased and the phased plan."""
    n_sites = SITES.get(n_villages, max(20, n_villages // 20))
    county = geodata.synthetic_county(n_villages, n_sites, seed=7)
    travel = geodata.network_minutes(
        county.demand, county.sites, county.roads, speed_column="speed_kmh", max_minutes=60
    )
    population = county.demand["population"].to_numpy(dtype=float)
    spec = with_pool(county_spec(n_sites, time_limit), float(population.sum()))
    began = time.perf_counter()
    flat = plan_county(county.demand, county.sites, travel, spec)
    flat_seconds = time.perf_counter() - began
    cost = flat.summary.build_cost
    spec = phased(spec, population, years, cost * factor / years)
    model = build_county_model(county_input(county.demand, county.sites, travel, spec)[0])
    row = {
        "villages": n_villages,
        "years": years,
        "factor": factor,
        "columns": model.matrix.n_cols,
        "rows": model.matrix.n_rows,
        "flat": flat_seconds,
    }
    began = time.perf_counter()
    try:
        plan = plan_county(county.demand, county.sites, travel, spec)
    except InfeasibleError as exc:
        row.update(total=time.perf_counter() - began, stage=np.nan, shares=[], spent=[])
        row["status"] = f"infeasible: {exc}"
        return row
    row["total"] = time.perf_counter() - began
    records = {r.stage: r for r in plan.stages}
    row["stage"] = records["person_years"].seconds
    row["shares"] = plan.phasing["share_within_clinic_radius"].to_numpy()
    row["spent"] = plan.phasing["spending"].to_numpy() / (cost * factor / years)
    row["status"] = ", ".join(sorted({r.status for r in plan.stages}))
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[300, 1000, 3000])
    parser.add_argument("--years", type=int, nargs="+", default=[3, 5])
    parser.add_argument("--factors", type=float, nargs="+", default=[1.25, 2.0])
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per stage")
    args = parser.parse_args()
    head = ["villages", "years", "budget x", "columns", "rows", "person_years s", "total s"]
    head += ["unphased s", "share within the clinic radius by year", "budget used by year"]
    head += ["status"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for n in args.sizes:
        for years in args.years:
            for factor in args.factors:
                row = run(n, years, factor, args.time_limit)
                cells = [str(row[k]) for k in ("villages", "years", "factor", "columns", "rows")]
                cells += [f"{row['stage']:.2f}", f"{row['total']:.2f}", f"{row['flat']:.2f}"]
                cells.append(" ".join(f"{share:.1%}" for share in row["shares"]))
                cells.append(" ".join(f"{used:.0%}" for used in row["spent"]))
                cells.append(row["status"])
                print("| " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
