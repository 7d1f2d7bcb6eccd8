"""The roaming section of the county report: villages served, visits, fleet use, cost."""

from __future__ import annotations

import pandas as pd

from geodata.i18n import gettext as _
from optimizer.county_spec import CountyPlan, CountySpec
from optimizer.outputs.blocks import Block
from optimizer.outputs.labels import readable


def roaming_blocks(plan: CountyPlan, spec: CountySpec) -> list[Block]:
    """Villages served by roaming, vehicle-days used against the fleet, the cost against
    the clinics that would serve the same villages, the route pool record and the
    timetable's first rows."""
    s = plan.summary.roaming
    if spec.roaming is None or plan.routes is None or plan.roaming is None or s is None:
        return []
    r, rec = spec.roaming, plan.roaming
    units = plan.assignments[plan.assignments["roaming"]]
    text = _(
        "{villages} villages ({people} persons) are served by {vehicles} roaming vehicles, "
        "each visited at least {visits} times per {days}-day cycle; {used} of {fleet} "
        "vehicle-days are used, {routes} day-routes of at most {minutes} minutes."
    ).format(
        villages=s.roaming_villages,
        people=f"{s.roaming_population:,.0f}",
        vehicles=r.vehicles,
        visits=r.visits,
        days=r.days,
        used=s.vehicle_days_used,
        fleet=s.vehicle_days_fleet,
        routes=len(plan.routes),
        minutes=f"{r.day_minutes:g}",
    )
    beyond = _("{n} of the villages are beyond {radius} minutes of every possible clinic.").format(
        n=s.roaming_beyond_clinics, radius=f"{spec.clinic.radius:g}"
    )
    if s.clinic_alternative_sites:
        alternative = _(
            "Fixed clinics for the same villages would need {sites} new sites costing {cost} "
            "yuan in build cost; {beyond}"
        ).format(
            sites=s.clinic_alternative_sites,
            cost=f"{s.clinic_alternative_cost:,.0f}",
            beyond=beyond,
        )
    else:
        alternative = _(
            "No new clinic would be needed for the roamed villages a clinic can reach (the "
            "plan's open sites already reach them); {beyond}"
        ).format(beyond=beyond)
    trade = _("Roaming costs {cost} yuan ({day_cost} per vehicle-day). {alternative}").format(
        cost=f"{s.roaming_cost:,.0f}", day_cost=f"{r.day_cost:,.0f}", alternative=alternative
    )
    how = _("exact pricing proved the LP") if rec.exact else _("LP bounded by exact pricing")
    pool = _(
        "Route pool: {initial} routes from the sweep, {pool} after {rounds} column-generation "
        "rounds, {kept} offered to the plan ({how}, {calls} exact pricing calls); route master "
        "LP {lp}, lower bound on the LP over every route {lp_bound}, on every plan {bound}, "
        "integer {objective}, gap to the bound {gap}, {seconds} s."
    ).format(
        initial=rec.initial_pool,
        pool=rec.pool,
        rounds=rec.rounds,
        kept=rec.kept,
        how=how,
        calls=rec.exact_calls,
        lp=f"{rec.lp_value:,.2f}",
        lp_bound=f"{rec.lp_bound:,.2f}",
        bound=f"{rec.bound:,.2f}",
        objective=f"{rec.objective:,.2f}",
        gap=f"{rec.gap:.2%}",
        seconds=f"{rec.seconds:.1f}",
    )
    if rec.split != "none":
        pool += " " + _("Vehicle-day split: {split}.").format(split=rec.split)
    if rec.closed != "none":
        pool += " " + _("Closing search: {closed}.").format(closed=rec.closed)
    if rec.timed_out:
        pool += " " + _("The safety time limit ended the route search early.")
    table = pd.DataFrame(units[["demand_id", "name", "population", "visits"]])
    blocks = [
        Block("h2", _("Roaming hospital")),
        Block("p", text),
        Block("p", trade),
        Block("p", pool),
        Block("table", table=readable(table)),
    ]
    if plan.timetable is not None and len(plan.timetable):
        blocks += [
            Block("p", _("Timetable (vehicle, day, base and stops; all rows in timetable.csv):")),
            Block("table", table=readable(plan.timetable.head(30))),
        ]
    return blocks
