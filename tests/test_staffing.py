"""Staffing as the plans count it: whole posts, staff on post who stay unless moved (within
``max_transfer``), hires within the pool at a cost, the shortfall, hiring and moves stages
against enumeration of every allocation, and the county indicators table."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from test_county_bruteforce import tiny_county
from test_county_errors import INF, MINUTES
from test_roaming import CASES, case_roaming, instance
from test_roaming import county_spec as roaming_spec

from models.county import StaffRule
from optimizer.county_spec import CountySpec, LevelSpec
from optimizer.plan.county import plan_county
from optimizer.verify import VerificationError
from optimizer.verify.county import verify_county

POPULATION = [5000, 800, 1200, 400, 900, 1500]
KINDS = ["hospital", "centre", "candidate", "candidate"]


def county(on_post: dict[str, list[float]], rules, **spec_changes):
    """The tiny county with staff on post per type (a sites column ``<type>_on_post``)."""
    tiny = tiny_county(MINUTES, POPULATION, KINDS)
    for name, values in on_post.items():
        tiny.sites[f"{name}_on_post"] = np.asarray(values, dtype=float)
    spec = CountySpec(
        hub=LevelSpec(radius=25, kinds=(), fixed_kinds=("hospital",)),
        clinic=LevelSpec(radius=15, kinds=("candidate", "centre"), fixed_kinds=("centre",)),
        district_minutes=45,
        service_minutes=45,
        staff=tuple(rules),
        existing_staff={name: f"{name}_on_post" for name in on_post},
        **spec_changes,
    )
    return tiny, spec


def enumerate_staffing(rule: StaffRule, need, on_post, is_open) -> tuple[float, float, float]:
    """Lexicographic least (shortfall in whole posts, hiring cost, persons placed) of one
    whole-post type
    over every choice per site of those moved out (within the share) and those placed
    (moved in or hired), placements only at open sites, every mover placed, hires within
    the pool."""
    movable = np.floor(rule.max_transfer * on_post + 1e-9).astype(int)
    most = np.where(is_open, np.ceil(need).astype(int) + 1, 0)
    hire_room = rule.pool - on_post.sum()
    best = (INF, INF, INF)
    for out in itertools.product(*[range(k + 1) for k in movable]):
        for placed in itertools.product(*[range(k + 1) for k in most]):
            hires = sum(placed) - sum(out)
            if hires < 0 or hires > hire_room:
                continue
            staff = on_post - np.asarray(out) + np.asarray(placed)
            short = float(np.maximum(np.ceil(need - 1e-6) - staff, 0.0).sum())
            key = (round(short, 9), rule.hire_cost * hires, float(sum(placed)))
            best = min(best, key)
    return best


def need_of(rule: StaffRule, plan) -> np.ndarray:
    sites = plan.sites
    level = sites["level"].to_numpy()
    minimum = np.where(
        level == "hub", rule.min_hub, np.where(level == "clinic", rule.min_clinic, 0)
    )
    served = sites["population_served"].to_numpy(dtype=float)
    return np.where(level != "", rule.per_person * served + minimum, 0.0)


@pytest.mark.parametrize(
    ("share", "pool", "hire_cost"),
    [(0.0, 14.0, 0.0), (0.25, 14.0, 1e5), (0.5, 12.0, 1e5), (0.5, INF, 2e5), (1.0, 13.0, 0.0)],
)
def test_whole_posts_moves_and_hires_match_enumeration(share, pool, hire_cost):
    doctors = StaffRule(
        "doctors", 2e-3, min_hub=5, min_clinic=2, pool=pool, max_transfer=share, hire_cost=hire_cost
    )
    nurses = StaffRule("nurses", 3e-3, min_hub=2, whole=False)  # full-time equivalents
    tiny, spec = county({"doctors": [9, 3, 0, 0]}, [doctors, nurses])
    plan = plan_county(tiny.demand, tiny.sites, tiny.travel, spec)
    verify_county(plan, tiny.demand, tiny.sites, tiny.travel, spec)
    is_open = plan.sites["level"].to_numpy() != ""
    on_post = np.array([9.0, 3, 0, 0])
    short, cost, placed = enumerate_staffing(doctors, need_of(doctors, plan), on_post, is_open)
    nurse_need = need_of(nurses, plan)
    got = {r.stage: r.objective for r in plan.stages}
    assert all(r.status == "optimal" for r in plan.stages)
    assert got["shortfall"] == pytest.approx(short, rel=1e-5, abs=1e-6)  # held within 1e-6
    if hire_cost > 0:
        assert got["hiring"] == pytest.approx(cost, abs=1e-3)
    else:
        assert "hiring" not in got  # nothing to settle
    assert got["moves"] == pytest.approx(placed + nurse_need.sum(), rel=1e-5)
    sites = plan.sites.set_index("site_id")
    assert (sites["doctors"] == np.round(sites["doctors"])).all()
    assert sites["nurses"].to_numpy() == pytest.approx(nurse_need)  # FTEs meet the need exactly
    stay = sites["existing_doctors"] - sites.get("moved_out_doctors", 0.0)
    assert (stay >= np.ceil(on_post * (1 - share) - 1e-9)).all()
    assert ("moved_in_doctors" in sites.columns) == (share > 0)


def test_staff_on_post_stay_beyond_the_need_and_nobody_is_hired_for_them():
    doctors = StaffRule("doctors", 1e-3, min_hub=2, min_clinic=1)
    tiny, spec = county({"doctors": [40, 6, 0, 0]}, [doctors])
    plan = plan_county(tiny.demand, tiny.sites, tiny.travel, spec)
    verify_county(plan, tiny.demand, tiny.sites, tiny.travel, spec)
    sites = plan.sites.set_index("site_id")
    assert sites.loc["S1", "doctors"] == 40 and sites.loc["S1", "hired_doctors"] == 0
    need = need_of(doctors, plan)
    opened = sites["level"].to_numpy() != ""
    hired = sites["hired_doctors"].to_numpy()
    # new clinics get whole posts for their need, and no more
    assert hired[opened] == pytest.approx(np.maximum(np.ceil(need - [40, 6, 0, 0]), 0)[opened])
    row = plan.staffing.set_index("staff_type").loc["doctors"]
    assert (row["on_post"], row["hired"], row["moved"]) == (46, hired.sum(), 0)


def test_county_indicators_count_every_institution_and_the_hires():
    doctors = StaffRule("doctors", 1e-3, min_hub=2, min_clinic=1, pool=50)
    tiny, spec = county(
        {"doctors": [30, 4, 0, 0]}, [doctors], indicators={"doctors": 3.6e-3, "nurses": 4e-3}
    )
    plan = plan_county(tiny.demand, tiny.sites, tiny.travel, spec)
    table = plan.indicators.set_index("staff_type")
    county_pop = float(sum(POPULATION))
    hired = float(plan.sites["hired_doctors"].sum())
    assert table.loc["doctors", "target"] == pytest.approx(3.6e-3 * county_pop)
    assert table.loc["doctors", "on_post"] == 34
    assert table.loc["doctors", "planned"] == 34 + hired
    assert table.loc["doctors", "gap"] == pytest.approx(max(3.6e-3 * county_pop - 34 - hired, 0))
    # a type the plan does not staff: its target against nobody
    assert table.loc["nurses", "planned"] == 0
    assert table.loc["nurses", "gap"] == pytest.approx(4e-3 * county_pop)
    assert isinstance(plan.indicators, pd.DataFrame)


@pytest.mark.parametrize("pool", [INF, 2.0])
def test_roaming_crews_staff_the_vehicles_in_service_from_the_same_pool(pool):
    """Each vehicle of the timetable takes its crew; the fleet of 2 drives few enough days
    for 1 vehicle, so 1 crew; a pool of 2 doctors leaves the crew or a site short."""
    village_xy, site_xy, kinds, cost, *_ = CASES[2]
    demand, sites, travel, stops = instance(village_xy, site_xy, kinds, cost)
    roaming = replace(case_roaming(2), vehicles=2, crew={"doctors": 1.0, "nurses": 1.5})
    doctors = StaffRule("doctors", 0.0, min_hub=1, min_clinic=1, pool=pool)
    nurses = StaffRule("nurses", 0.0, whole=False)
    spec = replace(roaming_spec(roaming), staff=(doctors, nurses), stages=("cost", "shortfall"))
    plan = plan_county(demand, sites, travel, spec, stops)
    verify_county(plan, demand, sites, travel, spec, stops)
    vehicles = plan.timetable["vehicle"].nunique()
    days = int(plan.summary.roaming.vehicle_days_used)
    assert vehicles == -(-days // roaming.days) >= 1  # as few vehicles as the days need
    table = plan.staffing.set_index("staff_type")
    assert table.loc["doctors", "crews"] == vehicles
    assert table.loc["nurses", "crews"] == pytest.approx(1.5 * vehicles)
    sites_need = float((plan.sites["level"] != "").sum())  # one doctor per open site
    want_short = max(sites_need + vehicles - pool, 0.0)
    assert table.loc["doctors", "shortfall"] == pytest.approx(want_short)
    assert table.loc["doctors", "planned"] == min(sites_need + vehicles, pool)
    assert table.loc["nurses", "planned"] == pytest.approx(1.5 * vehicles)


def test_the_verifier_recomputes_the_crews_from_the_timetable():
    village_xy, site_xy, kinds, cost, *_ = CASES[2]
    demand, sites, travel, stops = instance(village_xy, site_xy, kinds, cost)
    roaming = replace(case_roaming(2), vehicles=2, crew={"doctors": 1.0})
    spec = replace(roaming_spec(roaming), staff=(StaffRule("doctors", 0.0, min_clinic=1),))
    plan = plan_county(demand, sites, travel, spec, stops)
    verify_county(plan, demand, sites, travel, spec, stops)
    plan.staffing.loc[plan.staffing["staff_type"] == "doctors", "crews"] += 1
    with pytest.raises(VerificationError, match="doctors: roaming crews 2, recomputed 1"):
        verify_county(plan, demand, sites, travel, spec, stops)
