"""Contradictory or impossible county targets are explained in planners' terms."""

from __future__ import annotations

import numpy as np
import pytest
from test_county_bruteforce import tiny_county

from geodata import InfeasibleError, InputError
from models.county import StaffRule
from optimizer.county_spec import CountySpec, LevelSpec
from optimizer.plan.county import plan_county
from optimizer.verify.county import verify_county

INF = np.inf
MINUTES = [
    [0, 12, INF, 30],
    [8, 20, 35, INF],
    [25, 0, 14, 40],
    [INF, 10, 6, 22],
    [30, INF, 28, 5],
    [40, 33, INF, 12],
]
TINY = tiny_county(
    MINUTES, [5000, 800, 1200, 400, 900, 1500], ["hospital", "centre", "candidate", "centre"]
)


def hub(**kw) -> LevelSpec:
    return LevelSpec(
        radius=kw.pop("radius", 10), kinds=("centre",), fixed_kinds=("hospital",), **kw
    )


def clinic(**kw) -> LevelSpec:
    return LevelSpec(radius=kw.pop("radius", 15), kinds=("candidate", "centre"), **kw)


def plan(**kw):
    spec = CountySpec(**{"hub": hub(), "clinic": clinic(), "staff": (), **kw})
    result = plan_county(TINY.demand, TINY.sites, TINY.travel, spec)
    verify_county(result, TINY.demand, TINY.sites, TINY.travel, spec)
    return result


@pytest.mark.parametrize("level", ["hub", "clinic"])
@pytest.mark.parametrize("what", ["count", "new"])
def test_minimum_above_maximum(level, what):
    bad = {"hub": hub, "clinic": clinic}[level](**{what: (3, 2)})
    with pytest.raises(InfeasibleError, match=rf"{level}\.{what}: minimum 3 is above maximum 2"):
        plan(**{level: bad})


def test_more_fixed_hubs_than_allowed():
    with pytest.raises(InfeasibleError, match=r"hub\.count: 3 sites are fixed as hubs") as info:
        plan(hub=hub(fixed=("S2", "S4"), count=(1, 2)))
    assert "S1" in str(info.value) and "S4" in str(info.value)
    assert "at most 2" in str(info.value)


@pytest.mark.parametrize("level", ["hub", "clinic"])
@pytest.mark.parametrize("field", ["fixed", "barred"])
def test_unknown_site_ids(level, field):
    bad = {"hub": hub, "clinic": clinic}[level](**{field: ("S9",)})
    with pytest.raises(InputError, match=rf"{level}\.{field}: unknown site id\(s\) S9"):
        plan(**{level: bad})


def test_fixed_and_barred_site():
    with pytest.raises(InputError, match=r"clinic\.fixed and clinic\.barred: site S2 is in both"):
        plan(clinic=clinic(fixed=("S2",), barred=("S2",)))


@pytest.mark.parametrize("share", [-0.1, 1.5])
@pytest.mark.parametrize("level", ["hub", "clinic"])
def test_share_outside_zero_one(level, share):
    bad = {"hub": hub, "clinic": clinic}[level](share=share)
    with pytest.raises(InputError, match=rf"{level}\.share must be between 0 and 1"):
        plan(**{level: bad})


def test_negative_budget_and_pool():
    with pytest.raises(InputError, match="budget must be >= 0"):
        plan(budget=-1.0)
    with pytest.raises(InputError, match="staff doctors: pool must be >= 0"):
        plan(staff=(StaffRule("doctors", 1e-3, pool=-5.0),))


def test_hard_radius_no_site_meets_is_reported_by_village():
    # V6 is 12 minutes or more from every possible hub: it is left out of the hard target
    result = plan()
    assert result.unreachable["hub"] == ["V6"]
    assert result.summary.units_beyond_hub_radius == 1
    assert (result.sites.set_index("site_id").loc[["S1", "S2", "S4"], "level"] == "hub").all()


def test_too_few_hubs_names_the_count():
    # the district limit (the 10-minute hub radius) alone needs S2 and S4 as hubs
    with pytest.raises(InfeasibleError) as info:
        plan(hub=hub(count=(1, 1)))
    message = str(info.value)
    assert "relaxing any one of these would allow a plan: hub.count 1..1." in message
    assert "left out of the hub target: V6" in message


def test_hard_radius_with_too_few_hubs_names_villages_and_settings():
    # V3 needs S2 and V5 needs S4 within 10 minutes; two hubs allowed; S1 + S2 is best
    with pytest.raises(InfeasibleError) as info:
        plan(hub=hub(count=(1, 2)), district_minutes=40)
    message = str(info.value)
    assert "hub.count 1..2" in message
    assert "hub radius: every unit a possible hub reaches within 10 min" in message
    assert "1 unit(s) cannot all be within the hub radius: V5." in message


def test_share_target_needing_more_sites_names_the_settings():
    # within 5 minutes V1, V3 and V5 need S1, S2 and S4; at most two hubs and no clinic
    with pytest.raises(InfeasibleError) as info:
        plan(
            hub=hub(share=0.0, count=(1, 2)),
            clinic=clinic(radius=5, share=1.0, count=(0, 0)),
            district_minutes=45,
            service_minutes=45,
        )
    message = str(info.value)
    for setting in ("clinic.share 1", "clinic.count 0..0", "hub.count 1..2"):
        assert setting in message
    assert "cannot all be within the clinic radius" in message


def test_new_hub_range_is_named():
    # the hard hub radius needs S2 and S4 as new hubs; hub.new allows none
    with pytest.raises(InfeasibleError) as info:
        plan(hub=hub(new=(0, 0)))
    message = str(info.value)
    assert "hub.new" in message


def test_staff_minimum_above_pool_is_a_reported_shortfall():
    rule = StaffRule("doctors", 1e-3, min_hub=50.0, min_clinic=10.0, pool=40.0)
    result = plan(staff=(rule,))
    sites = result.sites.set_index("site_id")
    open_ = sites["level"] != ""
    need = np.ceil(  # whole posts
        np.where(sites["level"] == "hub", 50.0, 10.0)[open_.to_numpy()]
        + 1e-3 * sites.loc[open_, "population_served"].to_numpy()
    )
    assert sites.loc[open_, "doctors"].sum() == pytest.approx(40.0)
    assert sites["shortfall_doctors"].sum() == pytest.approx(need.sum() - 40.0)
    assert (sites.loc[~open_, "shortfall_doctors"] == 0).all()
    row = result.staffing.set_index("staff_type").loc["doctors"]
    assert row["shortfall"] == pytest.approx(need.sum() - 40.0)
    assert row["sites_short"] >= 1
    assert result.summary.staff_shortfall == pytest.approx(need.sum() - 40.0)
    assert [r.stage for r in result.stages][-2:] == ["shortfall", "moves"]
    assert result.stages[-2].objective == pytest.approx(need.sum() - 40.0)
    assert result.stages[-1].objective == 40.0  # the whole pool hired


def test_unknown_stage_and_balance_without_count():
    with pytest.raises(InputError, match="stage 'speed' is unknown"):
        plan(stages=("speed",))
    with pytest.raises(InputError, match="balance needs hub.count"):
        plan(balance=0.2)
