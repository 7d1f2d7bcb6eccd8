"""The roaming section of the county report: villages served, visits, fleet use, cost."""

from __future__ import annotations

import pandas as pd

from optimizer.county_spec import CountyPlan, CountySpec
from optimizer.outputs.blocks import Block


def roaming_blocks(plan: CountyPlan, spec: CountySpec) -> list[Block]:
    """Villages served by roaming, vehicle-days used against the fleet, the cost against
    the clinics that would serve the same villages, the route pool record and the
    timetable's first rows."""
    s = plan.summary.roaming
    if spec.roaming is None or plan.routes is None or plan.roaming is None or s is None:
        return []
    r, rec = spec.roaming, plan.roaming
    units = plan.assignments[plan.assignments["roaming"]]
    text = (
        f"{s.roaming_villages} villages ({s.roaming_population:,.0f} persons) are "
        f"served by {r.vehicles} roaming vehicles, each visited at least {r.visits} times per "
        f"{r.days}-day cycle; {s.vehicle_days_used} of "
        f"{s.vehicle_days_fleet} vehicle-days are used, {len(plan.routes)} day-routes "
        f"of at most {r.day_minutes:g} minutes."
    )
    beyond = (
        f"{s.roaming_beyond_clinics} of the villages are beyond "
        f"{spec.clinic.radius:g} minutes of every possible clinic."
    )
    if s.clinic_alternative_sites:
        alternative = (
            f"Fixed clinics for the same villages would need "
            f"{s.clinic_alternative_sites} new sites costing "
            f"{s.clinic_alternative_cost:,.0f} yuan in build cost; {beyond}"
        )
    else:
        alternative = (
            "No new clinic would be needed for the roamed villages a clinic can reach (the "
            f"plan's open sites already reach them); {beyond}"
        )
    trade = (
        f"Roaming costs {s.roaming_cost:,.0f} yuan ({r.day_cost:,.0f} per vehicle-day). "
        + alternative
    )
    pool = (
        f"Route pool: {rec.initial_pool} routes from the sweep, {rec.pool} after "
        f"{rec.rounds} column-generation rounds, {rec.kept} offered to the plan "
        f"({'exact pricing proved the LP' if rec.exact else 'LP bounded by exact pricing'}"
        f", {rec.exact_calls} exact pricing calls); route master LP {rec.lp_value:,.2f}, "
        f"lower bound on the LP over every route {rec.lp_bound:,.2f}, on every plan "
        f"{rec.bound:,.2f}, integer {rec.objective:,.2f}, gap to the bound {rec.gap:.2%}, "
        f"{rec.seconds:.1f} s."
        + (f" Vehicle-day split: {rec.split}." if rec.split != "none" else "")
        + (f" Closing search: {rec.closed}." if rec.closed != "none" else "")
        + (" The safety time limit ended the route search early." if rec.timed_out else "")
    )
    table = pd.DataFrame(units[["demand_id", "name", "population", "visits"]])
    blocks = [
        Block("h2", "Roaming hospital"),
        Block("p", text),
        Block("p", trade),
        Block("p", pool),
        Block("table", table=table),
    ]
    if plan.timetable is not None and len(plan.timetable):
        blocks += [
            Block("p", "Timetable (vehicle, day, base and stops; all rows in timetable.csv):"),
            Block("table", table=plan.timetable.head(30)),
        ]
    return blocks
