"""Every check of ``check_roaming`` (and of ``verify_county``'s roaming parts) fires: a
genuine roaming plan passes, the same plan tampered in one way is rejected with that check's
finding (issue 13, part 4; ``tests/mutation_verifiers.py`` switches each check off and expects
one of these tests to fail).

A tamper changes one cell or row of the routes, stops or assignments or, where the check
compares the plan with a limit of the roaming spec (day, fleet, visits, who may roam), the
limit, so that the same plan breaks it. Other findings may follow from the same change; the
match names the finding of the check under test.
"""

from __future__ import annotations

from dataclasses import replace

import geopandas as gpd
import numpy as np
import pytest
from plan_samples import copied

import geodata
from optimizer.county_spec import CountySpec, LevelSpec, RoamingSpec
from optimizer.plan.county import plan_county
from optimizer.verify import VerificationError
from optimizer.verify.county import verify_county

CRS = "EPSG:32650"
SPEED = 30.0  # km/h: 2 minutes per km


def points(xy, prefix: str, **columns) -> gpd.GeoDataFrame:
    xy = np.asarray(xy, dtype=float) * 1000.0  # km -> m
    frame = {"id": [f"{prefix}{k + 1}" for k in range(len(xy))], **columns}
    frame["name"] = frame["id"]
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=CRS)


ROAMING = RoamingSpec(
    vehicles=2,
    bases=("S1",),
    days=3,
    day_minutes=60.0,
    service_minutes=10.0,
    visits=1,
    may="all",
    must=("V4",),
    day_cost=50.0,
    leg_minutes=200.0,
)
SPEC = CountySpec(
    hub=LevelSpec(200.0, ("hospital",), fixed_kinds=("hospital",), share=0.0),
    clinic=LevelSpec(6.0, ("candidate",), fixed_kinds=("hospital",), cost_column="fixed_cost"),
    district_minutes=200.0,
    staff=(),
    stages=("cost",),
    roaming=ROAMING,
)


@pytest.fixture(scope="module")
def roaming():
    """Five villages, the hospital S1 (the base) and a dear candidate S2; the genuine plan
    (verified) roams every village but V1 (2 min from S1) on three days of vehicle 1."""
    village_xy = [(1, 0), (6, 1), (7, -2), (12, 0), (0, 9)]
    demand = points(village_xy, "V", population=[500.0] * 5)
    sites = points([(0, 0), (9, 0)], "S", kind=["hospital", "candidate"], fixed_cost=[0.0, 300])
    travel = geodata.straight_line_minutes(
        demand, sites, speed_kmh=SPEED, circuity=1.0, max_minutes=200
    )
    stops = geodata.straight_line_minutes(
        demand, demand, speed_kmh=SPEED, circuity=1.0, max_minutes=200
    )
    plan = plan_county(demand, sites, travel, SPEC, stops)
    verify_county(plan, demand, sites, travel, SPEC, stops)
    # the plan the tampers below are written for
    assert plan.routes[["vehicle", "day", "stop_ids"]].values.tolist() == [
        [1, 1, "V3;V2"],
        [1, 2, "V4"],
        [1, 3, "V5"],
    ]
    assert plan.assignments["roaming"].tolist() == [False, True, True, True, True]
    return plan, (demand, sites, travel), stops


def route(day: int, column: str, change):
    def tamper(p):
        at = p.routes.index[p.routes["day"] == day][0]
        old = p.routes.loc[at, column]
        p.routes.loc[at, column] = change(old) if callable(change) else change

    return tamper


def stop(day: int, order: int, column: str, change):
    def tamper(p):
        rows = p.stops.index[(p.stops["day"] == day) & (p.stops["stop_order"] == order)]
        p.stops.loc[rows[0], column] = change(p.stops.loc[rows[0], column])

    return tamper


def unit(demand_id: str, column: str, value):
    def tamper(p):
        p.assignments.loc[p.assignments["demand_id"] == demand_id, column] = value

    return tamper


def close_site(site_id: str):
    def tamper(p):
        p.sites.loc[p.sites["site_id"] == site_id, "level"] = ""

    return tamper


def drop_stops(day: int):
    def tamper(p):
        p.stops = p.stops[p.stops["day"] != day].reset_index(drop=True)

    return tamper


def roaming_spec(**changes):
    return lambda s: replace(s, roaming=replace(s.roaming, **changes))


def plus(k: float):
    return lambda v: v + k


# (check, plan tamper, spec tamper, finding); the plan drives vehicle 1 from S1 on day 1
# (V3, V2; 53.05 min), day 2 (V4; 58 min) and day 3 (V5; 46 min); V1 is served by S1
CASES = [
    ("driven_twice", route(2, "day", 1), None, "vehicle 1 day 1: driven twice"),
    ("outside_the_fleet", route(2, "day", 99), None,
     "vehicle 1 day 99: outside the fleet of 2 x 3 days"),
    ("not_a_base", route(2, "base_id", "S2"), None,
     "vehicle 1 day 2: base S2 is not a roaming base"),
    ("base_not_open", close_site("S1"), None, "vehicle 1 day 1: base S1 is not open"),
    ("stops_missing", drop_stops(2), None, "vehicle 1 day 2: stops missing or unknown"),
    ("stop_list", route(1, "stop_ids", "V2;V3"), None,
     "vehicle 1 day 1: the stops layer and the route's stop list differ"),
    ("arrival", stop(1, 2, "arrival_minute", plus(1)), None,
     "vehicle 1 day 1: arrival at V2 31.885, recomputed 30.88"),
    ("departure", stop(1, 2, "departure_minute", plus(1)), None,
     "vehicle 1 day 1: departure from V2 41.885, recomputed 40.88"),
    ("day_limit", None, roaming_spec(day_minutes=55.0),
     "vehicle 1 day 2: 58 minutes, beyond the day of 55"),
    ("route_minutes", route(2, "minutes", plus(-5)), None,
     "vehicle 1 day 2: reports 53.0 minutes, recomputed 58"),
    ("fleet_days", None, roaming_spec(vehicles=1, days=2), "3 vehicle-days, fleet has 2"),
    ("base_days", None, roaming_spec(days=2, base_vehicles=(1,)),
     "base S1: 3 vehicle-days, limit 2"),
    ("visits", None, roaming_spec(visits=2), "roaming villages visited fewer than 2 times"),
    ("may_roam", None, roaming_spec(may=("V2", "V3", "V5")),
     r"villages roamed that may not roam: \['V4'\]"),
    ("must_roam", unit("V4", "roaming", False), None,
     r"villages that must roam are not roamed: \['V4'\]"),
    ("visits_column", unit("V2", "visits", 0), None,
     "assignments.visits differs from the stops layer"),
    # verify_county's own roaming checks
    ("county_without_routes", lambda p: setattr(p, "routes", None), None,
     "roaming plan without routes or village x village minutes"),
    ("county_roamed_and_assigned", unit("V2", "site_id", "S1"), None,
     "service: V2 is served by roaming and also assigned to S1"),
]  # fmt: skip


@pytest.mark.parametrize(
    "tamper_plan, tamper_spec, finding", [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_verify_roaming_reports_the_tampered_plan(roaming, tamper_plan, tamper_spec, finding):
    plan, inputs, stops = roaming
    bad = copied(plan)
    if tamper_plan:
        tamper_plan(bad)
    spec = tamper_spec(SPEC) if tamper_spec else SPEC
    with pytest.raises(VerificationError, match=finding):
        verify_county(bad, *inputs, spec, stops)


def test_county_without_village_minutes_is_rejected(roaming):
    plan, inputs, _ = roaming
    with pytest.raises(VerificationError, match="without routes or village x village minutes"):
        verify_county(plan, *inputs, SPEC)


def test_must_lists_only_the_villages_that_could_roam(roaming):
    """A village that must roam but that no base can reach and return from within a day is
    not reported as not roamed: only the roamable ones are."""
    plan, inputs, stops = roaming
    bad = copied(plan)
    unit("V4", "roaming", False)(bad)
    spec = roaming_spec(must=("V1", "V4"), day_minutes=57.0)(SPEC)  # V4: 2 x 24 + 10 min
    with pytest.raises(VerificationError) as info:
        verify_county(bad, *inputs, spec, stops)
    assert "villages that must roam are not roamed: ['V1']" in str(info.value)
