"""The typed plan summaries write the ``summary.csv`` table: item names (radius-named ones
included), order, the warning before the roaming rows, and the values as pandas prints them."""

from __future__ import annotations

import numpy as np

from optimizer.county_spec import CountySummary, RoamingSummary
from optimizer.results import SiteSummary

ROAMING = RoamingSummary(
    roaming_villages=12,
    roaming_population=3456.0,
    vehicle_days_used=8,
    vehicle_days_fleet=40,
    roaming_cost=800000.0,
    clinic_alternative_sites=2,
    clinic_alternative_cost=300.0,
    roaming_beyond_clinics=1,
    route_pool=2408,
    route_rounds=20,
    route_lp_value=0.25,
    route_lp_bound=0.25,
    route_bound=0.5,
    route_master_objective=0.5,
    route_master_gap=0.0,
    route_search_timed_out=True,
)


def county(warning: str = "", roaming: RoamingSummary | None = None) -> CountySummary:
    return CountySummary(
        hubs=3,
        new_hubs=1,
        clinics=7,
        new_clinics=2,
        population=1000.0,
        hub_radius=30.0,
        hub_population=900.0,
        clinic_radius=10,
        clinic_population=950.0,
        build_cost=1500.0,
        person_minutes=12345.678,
        staff_shortfall=0.0,
        units_beyond_hub_radius=1,
        units_beyond_clinic_radius=0,
        warning=warning,
        roaming=roaming,
    )


COUNTY_ROWS = """\
population,1000.0
population_within_30_min_of_hub,900.0
share_within_30_min_of_hub,0.9
population_within_10_min_of_clinic,950.0
share_within_10_min_of_clinic,0.95
build_cost,1500.0
person_minutes,12345.678
staff_shortfall,0.0
"""


def test_county_summary_without_warning_or_roaming():
    assert county().to_frame().to_csv(index=False) == (
        "item,value\nhubs,3.0\nnew_hubs,1.0\nclinics,7.0\nnew_clinics,2.0\n"
        + COUNTY_ROWS
        + "units_beyond_hub_radius,1.0\nunits_beyond_clinic_radius,0.0\n"
    )


def test_county_summary_puts_the_warning_before_the_roaming_rows():
    text = county("stage travel stopped", ROAMING).to_frame().to_csv(index=False)
    assert text == (
        "item,value\nhubs,3\nnew_hubs,1\nclinics,7\nnew_clinics,2\n"
        + COUNTY_ROWS
        + "units_beyond_hub_radius,1\nunits_beyond_clinic_radius,0\n"
        + "warning,stage travel stopped\n"
        + "roaming_villages,12.0\nroaming_population,3456.0\nvehicle_days_used,8.0\n"
        + "vehicle_days_fleet,40.0\nroaming_cost,800000.0\nclinic_alternative_sites,2.0\n"
        + "clinic_alternative_cost,300.0\nroaming_beyond_clinics,1.0\nroute_pool,2408.0\n"
        + "route_rounds,20.0\nroute_lp_value,0.25\nroute_lp_bound,0.25\nroute_bound,0.5\n"
        + "route_master_objective,0.5\nroute_master_gap,0.0\nroute_search_timed_out,1.0\n"
    )


def test_county_shares_and_radius_items():
    summary = county()
    assert summary.hub_share == 0.9 and summary.clinic_share == 0.95
    assert summary.population_within == {
        "population_within_30_min_of_hub": 900.0,
        "population_within_10_min_of_clinic": 950.0,
    }
    empty = county()
    empty.population = 0.0
    assert np.isnan(empty.hub_share) and np.isnan(empty.clinic_share)


def test_site_summary_rows():
    summary = SiteSummary(
        problem="mclp",
        status="time_limit",
        objective=123.5,
        bound=130.0,
        gap=0.05,
        radius_minutes=None,
        sites_open=4,
        demand_units=10,
        demand_units_assigned=0,
        population=1000.0,
        population_assigned=0.0,
        mean_minutes_per_person=np.nan,
        max_minutes=np.nan,
        travel_source="straight line, 30 km/h",
        warning="the solve reached its time limit",
    )
    assert summary.to_frame().to_csv(index=False) == (
        "item,value\nproblem,mclp\nstatus,time_limit\nobjective,123.5\nbound,130.0\n"
        "gap,0.05\nradius_minutes,\nsites_open,4\ndemand_units,10\ndemand_units_assigned,0\n"
        "population,1000.0\npopulation_assigned,0.0\npopulation_assigned_share,0.0\n"
        "mean_minutes_per_person,\nmax_minutes,\n"
        'travel_source,"straight line, 30 km/h"\nverified,yes\n'
        "warning,the solve reached its time limit\n"
    )
