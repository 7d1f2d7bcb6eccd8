"""Bad arguments to locate() and plan_sites() give one clear project error."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

import geodata
from geodata.errors import InfeasibleError, InputError
from optimizer import locate, plan_sites

COST = np.array([[1.0, 4.0, 9.0], [3.0, 1.0, 8.0], [7.0, 6.0, 1.0], [2.0, 9.0, 5.0]])


@pytest.mark.parametrize(
    "kwargs, needle",
    [
        (dict(problem="p-medain", p=1), "p-medain"),
        (dict(problem="p-median", p=4), "p = 4 is outside 1..3"),
        (dict(problem="p-median", p=0), "p = 0 is outside"),
        (dict(problem="p-median", p=2, barred=[0, 1]), "p = 2 is outside 1..1"),
        (dict(problem="p-median"), "needs p"),
        (dict(problem="lscp"), "needs a radius"),
        (dict(problem="lscp", radius=0), "radius must be a number > 0"),
        (dict(problem="mclp", radius=-3, p=1), "radius must be a number > 0"),
        (dict(problem="lscp", radius=float("nan")), "radius must be a number > 0"),
        (dict(problem="p-median", p=1, weights=[1, 2, np.nan, 1]), "demand unit 2"),
        (dict(problem="p-median", p=1, weights=[1, -2, 1, 1]), "demand unit 1"),
        (dict(problem="p-median", p=1, weights=[1, 2]), "2 values for 4 demand units"),
        (dict(problem="p-median", p=2, required=[0], barred=[0]), "both required and barred"),
        (dict(problem="p-median", p=1, required=[0, 1]), "2 sites are required but p = 1"),
        (dict(problem="p-median", p=1, required=[5]), "site index 5 is outside 0..2"),
        (dict(problem="capacitated", capacities=[1, 2]), "2 values for 3 sites"),
        (dict(problem="capacitated", fixed_costs=[1, -2, 3]), "site 1"),
        (dict(problem="p-median", p=1, capacities=[1, 2, 3]), "capacities apply only"),
        (dict(problem="p-median", p=1, time_limit=0), "time_limit"),
        (dict(problem="p-median", p=1, mip_gap=2), "mip_gap"),
    ],
)
def test_bad_arguments(kwargs, needle):
    problem = kwargs.pop("problem")
    with pytest.raises(InputError) as info:
        locate(problem, COST, **kwargs)
    assert needle in str(info.value)
    assert isinstance(info.value, ValueError)


def test_nan_cost_names_the_entry():
    cost = COST.copy()
    cost[2, 1] = np.nan
    with pytest.raises(InputError, match=r"demand 2, site 1\] is NaN"):
        locate("p-median", cost, p=1)


def test_negative_cost_names_the_entry():
    cost = sp.csr_array(np.where(COST > 5, -1.0, COST))
    with pytest.raises(InputError, match=r"demand 0, site 2\] is negative"):
        locate("p-median", cost, p=1)


def test_unreachable_demand_is_listed():
    cost = COST.copy()
    cost[1, :] = np.inf
    cost[3, :] = np.inf
    with pytest.raises(InfeasibleError) as info:
        locate("p-median", cost, p=2)
    assert "2 demand unit(s)" in str(info.value) and "1, 3" in str(info.value)
    assert list(info.value.demand) == [1, 3]
    with pytest.raises(InfeasibleError, match="within the radius 1.5: 3"):
        locate("lscp", COST, radius=1.5)


def test_too_little_capacity_is_explained():
    with pytest.raises(InfeasibleError, match="hold 3 in all but the demand weighs 4"):
        locate("capacitated", COST, capacities=[1, 1, 1])


@pytest.fixture(scope="module")
def county():
    c = geodata.synthetic_county(40, 8, seed=3)
    travel = geodata.straight_line_minutes(c.demand, c.sites, speed_kmh=30, max_minutes=25)
    return c, travel


def test_plan_sites_names_unknown_site_ids(county):
    c, travel = county
    with pytest.raises(InputError, match="unknown site id\\(s\\) S999"):
        plan_sites(c.demand, c.sites, travel, "p-median", p=3, required=["S999"])


def test_plan_sites_lists_unreachable_villages_by_id_and_name(county):
    c, _ = county
    travel = geodata.straight_line_minutes(c.demand, c.sites, speed_kmh=30, max_minutes=3)
    with pytest.raises(InfeasibleError) as info:
        plan_sites(c.demand, c.sites, travel, "lscp", radius=3)
    unit = c.demand.iloc[int(info.value.demand[0])]
    assert f"{unit['id']} {unit['name']}" in str(info.value)
    assert "within 3 minutes" in str(info.value)


def test_plan_sites_rejects_travel_of_another_layer(county):
    c, travel = county
    with pytest.raises(InputError, match="demand ids are not the demand layer's ids"):
        plan_sites(c.demand.iloc[::-1], c.sites, travel, "p-median", p=2)
