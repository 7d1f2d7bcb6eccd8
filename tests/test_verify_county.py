"""Every check of ``verify_county`` fires: a genuine county plan passes, the same plan
tampered in one way is rejected with that check's finding (issue 13, part 4;
``tests/mutation_verifiers.py`` switches each check off and expects one of these tests to fail).

A tamper changes one cell or row of the plan's layers and tables or, where the check compares
the plan with a target of the spec (counts, budget, balance, pools), the target, so that the
same plan misses it. Other findings may follow from the same change; the match names the
finding of the check under test. The roaming parts of ``verify_county`` are tested with the
roaming checks in ``test_verify_roaming.py``; the stage-record checks are left to their own
tests.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from plan_samples import copied
from test_county_bruteforce import tiny_county

from models.county import StaffRule
from optimizer.county_spec import CountySpec, LevelSpec
from optimizer.plan.county import plan_county
from optimizer.verify import VerificationError
from optimizer.verify.county import verify_county

INF = np.inf
# S1 hospital (fixed hub), S2 centre (fixed clinic), S3 candidate, S4 centre (barred as a hub),
# S5 school (hosts nothing), S6 candidate (barred as a clinic), S7 centre
KINDS = ["hospital", "centre", "candidate", "centre", "school", "candidate", "centre"]
MINUTES = [
    [0, 12, INF, 30, 5, 9, 40],
    [8, 20, 35, INF, 6, 7, 30],
    [25, 0, 14, 40, 20, 30, 9],
    [INF, 10, 6, 22, 30, INF, 8],
    [30, INF, 28, 5, 25, 18, 11],
    [40, 33, INF, 12, INF, 4, 13],
    [50, 20, 9, 30, 40, 40, 7],
    [60, INF, 50, 14, 50, 12, 40],
]
POPULATION = [5000, 800, 1200, 400, 900, 1500, 700, 300]
COST = [0, 300, 200, 250, 100, 150, 400]
SPEC = CountySpec(
    hub=LevelSpec(
        radius=10,
        kinds=("centre",),
        fixed_kinds=("hospital",),
        share=0.8,
        count=(2, 3),
        new=(1, 2),
        barred=("S4",),
        cost_column="fixed_cost",
    ),
    clinic=LevelSpec(
        radius=15,
        kinds=("candidate", "centre"),
        fixed=("S2",),
        barred=("S6",),
        count=(1, 4),
        new=(0, 3),
        cost_column="fixed_cost",
    ),
    district_minutes=45,
    balance=0.9,
    budget=2000,
    staff=(
        StaffRule("doctors", 2 / 1000, min_hub=3, min_clinic=1, pool=20),
        StaffRule("nurses", 1 / 1000, min_hub=2),
    ),
)


@pytest.fixture(scope="module")
def county():
    """The tiny county, its genuine plan (verified) and its figures the tampers rely on."""
    tiny = tiny_county(MINUTES, POPULATION, KINDS, COST)
    plan = plan_county(tiny.demand, tiny.sites, tiny.travel, SPEC)
    verify_county(plan, tiny.demand, tiny.sites, tiny.travel, SPEC)
    level = dict(zip(plan.sites["site_id"], plan.sites["level"], strict=True))
    # the plan the tampers below are written for: hubs S1 and S7, clinics S2 and S4
    assert level == {
        "S1": "hub",
        "S2": "clinic",
        "S3": "",
        "S4": "clinic",
        "S5": "",
        "S6": "",
        "S7": "hub",
    }
    return tiny, plan


def cell(frame, key: str, row: str, column: str, change) -> None:
    """Apply ``change`` (a value or a function of the old value) to one cell, in place."""
    at = frame.index[frame[key] == row][0]
    frame.loc[at, column] = change(frame.loc[at, column]) if callable(change) else change


def site(row: str, column: str, change):
    return lambda p: cell(p.sites, "site_id", row, column, change)


def unit(row: str, column: str, change):
    return lambda p: cell(p.assignments, "demand_id", row, column, change)


def staffing(row: str, column: str, change):
    return lambda p: cell(p.staffing, "staff_type", row, column, change)


def summary(item: str, change):
    """Apply ``change`` (a value or a function of the old value) to one summary field."""

    def tamper(p):
        old = getattr(p.summary, item)
        setattr(p.summary, item, change(old) if callable(change) else change)

    return tamper


def drop(table: str, key: str, row: str):
    def tamper(p):
        frame = getattr(p, table)
        setattr(p, table, frame[frame[key] != row].reset_index(drop=True))

    return tamper


def both(*tampers):
    def tamper(p):
        for t in tampers:
            t(p)

    return tamper


def plus(k: float):
    return lambda v: v + k


def reversed_rows(table: str):
    return lambda p: setattr(p, table, getattr(p, table).iloc[::-1].reset_index(drop=True))


def level_spec(level: str, **changes):
    return lambda s: replace(s, **{level: replace(getattr(s, level), **changes)})


def staff_spec(name: str, **changes):
    return lambda s: replace(
        s, staff=tuple(replace(r, **changes) if r.name == name else r for r in s.staff)
    )


# (check, plan tamper, spec tamper, finding); the plan has hubs S1 (5800 persons: V1, V2) and
# S7 (5000), clinics S2 (V3) and S4 (V5, V6, V8), build cost 650, 20 doctors of a pool of 20
CASES = [
    ("sites_in_order", reversed_rows("sites"), None,
     "the sites layer does not list the input sites in order"),
    ("assignments_in_order", reversed_rows("assignments"), None,
     "the assignments do not list each demand unit once, in order"),
    ("unknown_level", site("S3", "level", "depot"), None, r"unknown site levels \['depot'\]"),
    ("hub_not_eligible", site("S3", "level", "hub"), None,
     "hub at a site that may not host a hub: S3"),
    ("clinic_not_eligible", site("S5", "level", "clinic"), None,
     "clinic at a site that may not host a clinic: S5"),
    ("fixed_hub_closed", site("S1", "level", "clinic"), None, "fixed hub not open as a hub: S1"),
    ("fixed_clinic_closed", site("S2", "level", ""), None, "fixed clinic not open: S2"),
    ("barred_hub_open", site("S4", "level", "hub"), None, "barred hub open as a hub: S4"),
    ("barred_clinic_open", site("S6", "level", "clinic"), None,
     "barred clinic open as a clinic: S6"),
    ("status", site("S4", "status", "existing"), None, "wrong status at sites S4"),
    ("hub_count", None, level_spec("hub", count=(3, 3)), r"hub\.count: 2 outside 3\.\.3"),
    ("hub_new", None, level_spec("hub", new=(2, 2)), r"hub\.new: 1 outside 2\.\.2"),
    ("clinic_count", None, level_spec("clinic", count=(3, 4)),
     r"clinic\.count: 2 outside 3\.\.4"),
    ("clinic_new", None, level_spec("clinic", new=(2, 3)), r"clinic\.new: 1 outside 2\.\.3"),
    ("budget", None, lambda s: replace(s, budget=649.0), "build cost 650 exceeds the budget 649"),
    ("hard_coverage", both(site("S4", "level", ""), site("S4", "status", "closed")), None,
     "clinic radius 15 min: units V8 are not covered though an eligible site could reach them"),
    ("share_coverage", site("S7", "level", "clinic"), None,
     "hub share: 5800 persons within 10 min, below the 0.8 target of 6480"),
    ("district_unassigned", unit("V2", "hub_id", ""), None,
     "district: V2 unassigned though a site is within 45 min"),
    ("service_unassigned", unit("V2", "site_id", ""), None,
     "service: V2 unassigned though a site is within 45 min"),
    ("district_unknown_site", unit("V2", "hub_id", "S99"), None,
     "district: V2 assigned to unknown site S99"),
    ("district_site_not_open", unit("V2", "hub_id", "S2"), None,
     "district: V2 assigned to S2, which is not open at this level"),
    ("district_beyond_limit", unit("V8", "hub_id", "S1"), None,
     "district: V8 assigned to S1 at 60 min, beyond 45 min"),
    ("district_minutes_misreported", unit("V2", "hub_minutes", plus(1)), None,
     "district: V2 reports 9 min to S1, travel says 8"),
    ("assignment_level", unit("V2", "level", "clinic"), None,
     "service: the assignment level does not match the site level"),
    ("balance", None, lambda s: replace(s, balance=0.05),
     r"districts outside \+-0\.05 of the mean: S1"),
    ("population_served", site("S1", "population_served", plus(1)), None,
     "sites.population_served misreported at S1"),
    ("district_population", site("S1", "district_population", plus(1)), None,
     "sites.district_population misreported at S1"),
    ("districts_list_the_hubs", drop("districts", "hub_id", "S7"), None,
     "the districts table does not list exactly the hubs"),
    ("district_figures", lambda p: cell(p.districts, "hub_id", "S7", "n_units", plus(1)), None,
     "district S7: population or unit count misreported"),
    ("staff_columns", lambda p: setattr(p, "sites", p.sites.drop(columns="nurses")), None,
     "staff nurses: no columns in the sites layer"),
    ("negative_staff", site("S2", "doctors", -1.0), None, "staff doctors: negative staff at S2"),
    ("negative_shortfall", site("S1", "shortfall_nurses", -1.0), None,
     "staff nurses: shortfall is not the need not met at S1"),
    ("staff_below_need", site("S7", "doctors", plus(-1)), None,
     "staff doctors: shortfall is not the need not met at S7"),
    ("staff_above_need", site("S1", "nurses", plus(1)), None,
     "staff nurses: staff placed beyond need at S1"),
    ("staff_at_closed_site", site("S3", "nurses", 1.0), None,
     "staff nurses: staff placed at closed site at S3"),
    ("staff_pool", None, staff_spec("doctors", pool=19.0), "staff doctors: 20 planned, pool 19"),
    ("staffing_row", drop("staffing", "staff_type", "nurses"), None,
     "staffing table: no row for nurses"),
    ("staffing_need", staffing("doctors", "need", plus(1)), None,
     r"staffing doctors\.need: 33, recomputed 32"),
    ("staffing_planned", staffing("doctors", "planned", plus(1)), None,
     r"staffing doctors\.planned: 21, recomputed 20"),
    ("staffing_shortfall", staffing("nurses", "shortfall", plus(1)), None,
     r"staffing nurses\.shortfall: 1, recomputed 0"),
]  # fmt: skip

SUMMARY_ITEMS = [
    "hubs",
    "new_hubs",
    "clinics",
    "new_clinics",
    "population",
    "hub_radius",
    "hub_population",
    "clinic_radius",
    "clinic_population",
    "build_cost",
    "person_minutes",
    "staff_shortfall",
]
CASES += [
    (f"summary_{item}", summary(item, plus(1)), None, f"summary {item}: ") for item in SUMMARY_ITEMS
]


@pytest.mark.parametrize(
    "tamper_plan, tamper_spec, finding", [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_verify_county_reports_the_tampered_plan(county, tamper_plan, tamper_spec, finding):
    tiny, plan = county
    bad = copied(plan)
    if tamper_plan:
        tamper_plan(bad)
    spec = tamper_spec(SPEC) if tamper_spec else SPEC
    with pytest.raises(VerificationError, match=finding):
        verify_county(bad, tiny.demand, tiny.sites, tiny.travel, spec)


def test_tampers_leave_the_plan_untouched(county):
    tiny, plan = county
    for _, tamper_plan, _, _ in CASES:
        if tamper_plan:
            tamper_plan(copied(plan))
    verify_county(plan, tiny.demand, tiny.sites, tiny.travel, SPEC)
