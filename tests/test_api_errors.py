"""The plan API raises the project's documented errors (input errors are ValueErrors), and a
stop request ends a running solve with its best plan."""

from __future__ import annotations

import threading
import time

import geopandas as gpd
import numpy as np
import pytest

import geodata
from geodata.errors import HealthplanError, InputError, Interrupted
from optimizer import interrupt, locate, plan_sites, verify_locate
from optimizer.county_spec import CountySpec, LevelSpec
from optimizer.plan.county import plan_county


@pytest.fixture(scope="module")
def county():
    c = geodata.synthetic_county(30, 8, seed=2)
    travel = geodata.straight_line_minutes(c.demand, c.sites, speed_kmh=30, max_minutes=90)
    return c, travel


def with_population(frame, k: int, value: float):
    frame = frame.copy()
    frame.loc[frame.index[k], "population"] = value
    return frame


@pytest.mark.parametrize(
    "change, args, needle",
    [
        (lambda d: with_population(d, 3, np.nan), {}, "column 'population': needs numbers >= 0"),
        (lambda d: with_population(d, 4, -10.0), {}, "'V0005'"),
        (lambda d: d.drop(columns=["population"]), {}, "no column 'population'"),
        (lambda d: d, {"p": 0}, "p = 0 is outside 1..8"),
        (lambda d: d, {"p": 9}, "p = 9 is outside 1..8"),
        (lambda d: d, {"radius": 0.0}, "radius must be a number > 0"),
        (lambda d: d, {"radius": -5.0}, "radius must be a number > 0"),
        (lambda d: d, {"problem": "p-medain"}, "problem 'p-medain' is unknown"),
        (
            lambda d: d,
            {"problem": "lscp", "radius": 30.0},
            "p does not apply to 'lscp', which opens the fewest sites covering every unit",
        ),
        (lambda d: d.set_crs(None, allow_override=True), {}, "no CRS"),
    ],
)
def test_plan_sites_raises_input_errors(county, change, args, needle):
    c, travel = county
    args = {"problem": "p-median", "p": 3, **args}
    problem = args.pop("problem")
    with pytest.raises(InputError) as info:
        plan_sites(change(c.demand), c.sites, travel, problem, **args)
    assert needle in str(info.value)
    assert isinstance(info.value, ValueError)


def test_plan_sites_names_the_unit_with_a_nan_population(county):
    c, travel = county
    with pytest.raises(ValueError, match=r"ids 'V0004' \(values 'nan'\)"):
        plan_sites(with_population(c.demand, 3, np.nan), c.sites, travel, "p-median", p=3)


def spec(**kw) -> CountySpec:
    return CountySpec(
        hub=LevelSpec(radius=30, kinds=("township_centre",), fixed_kinds=("county_hospital",)),
        clinic=LevelSpec(radius=20, kinds=("candidate", "township_centre"), share=0.5),
        district_minutes=90,
        **kw,
    )


@pytest.mark.parametrize(
    "change, needle",
    [
        (lambda d: with_population(d, 2, np.inf), "column 'population': needs numbers >= 0"),
        (lambda d: d.drop(columns=["name"]), "no column 'name'"),
        (lambda d: d.assign(id=["V1"] * len(d)), "'V1' repeat"),
    ],
)
def test_plan_county_raises_input_errors(county, change, needle):
    c, travel = county
    with pytest.raises(InputError, match=needle):
        plan_county(change(c.demand), c.sites, travel, spec())


@pytest.mark.parametrize(
    "cost_change, needle",
    [
        (lambda c: np.where(c > 50, np.nan, c), "is NaN"),
        (lambda c: np.where(c > 50, -1.0, c), "is negative"),
    ],
)
def test_locate_refuses_nan_and_negative_costs(cost_change, needle):
    rng = np.random.default_rng(0)
    cost = rng.uniform(0, 60, (12, 5))
    with pytest.raises(InputError, match=needle):
        locate("p-median", cost_change(cost), p=2)


def hard_p_median():
    """900 random points, each a demand unit and a candidate site: Benders needs many seconds
    to prove p = 30 optimal."""
    rng = np.random.default_rng(1)
    xy = rng.uniform(0, 100, (900, 2))
    cost = np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1))
    return cost, rng.integers(1, 100, 900).astype(float)


def test_a_stop_request_ends_the_solve_with_its_best_plan():
    cost, weights = hard_p_median()
    with interrupt.signals():
        timer = threading.Timer(1.0, interrupt.request)
        timer.start()
        began = time.perf_counter()
        result = locate("p-median", cost, weights=weights, p=30, time_limit=120)
        seconds = time.perf_counter() - began
        timer.cancel()
    assert result.status == "interrupted"
    assert seconds < 60
    assert result.gap > 0
    verify_locate(result, cost, weights=weights, p=30)


def test_stop_requested_before_a_county_solve(county):
    c, travel = county
    with interrupt.signals():
        interrupt.request()
        try:
            plan = plan_county(c.demand, c.sites, travel, spec())
        except Interrupted as exc:
            assert "stopped before any plan was found" in str(exc)
            return
    stopped = [r for r in plan.stages if r.status != "optimal"]
    warning = plan.summary.warning
    assert bool(warning) == bool(stopped)
    assert all(f"stage {r.stage}" in warning for r in stopped)
    assert not interrupt.requested()  # outside signals() library calls are not stopped


def test_every_project_error_is_a_healthplan_error():
    for error in (geodata.InputError, geodata.ConfigError, geodata.InfeasibleError):
        assert issubclass(error, HealthplanError)
    assert issubclass(geodata.ConfigError, ValueError)
    assert issubclass(Interrupted, geodata.SolverError)


def test_mclp_with_no_reachable_pair_covers_nobody():
    """Found by fuzzing: no demand unit within the radius of any site."""
    cost = np.array([[np.inf, 50.0], [70.0, np.inf]])
    result = locate("mclp", cost, weights=[3.0, 4.0], p=1, radius=5)
    assert result.status == "optimal" and result.objective == 0.0
    assert result.open_sites.size == 1
    verify_locate(result, cost, weights=[3.0, 4.0], p=1, radius=5)


@pytest.mark.parametrize("required", [[], [2]])
def test_p_center_with_no_weighted_unit_opens_p_sites_at_cost_zero(required):
    """Found by fuzzing: every demand unit has weight 0, so no cost counts."""
    cost = np.array([[0.0, 3.0, 4.0], [2.0, 1.0, 6.0]])
    result = locate("p-center", cost, weights=[0.0, 0.0], p=2, required=required)
    assert result.status == "optimal" and result.objective == 0.0 and result.bound == 0.0
    assert result.open_sites.size == 2 and set(required) <= set(result.open_sites.tolist())
    verify_locate(result, cost, weights=[0.0, 0.0], p=2, required=required)


@pytest.mark.parametrize("p", [1, 2])
def test_p_median_whose_swaps_find_no_candidate_pair(p):
    """Found by fuzzing: only one site is within the radius, so no swap has a candidate."""
    cost = np.array([[0.0, 1.0, 1.0]])
    result = locate("p-median", cost, p=p, radius=0.5)
    assert result.status == "optimal" and result.objective == 0.0
    assert 0 in result.open_sites and result.open_sites.size == p
    verify_locate(result, cost, p=p, radius=0.5)


def test_county_share_target_with_nobody_in_reach_holds_trivially():
    """Found by fuzzing: a share target over zero reachable units made an invalid model."""
    demand = gpd.GeoDataFrame(
        {"id": ["V1"], "name": ["石门村"], "population": [500.0]},
        geometry=gpd.points_from_xy([700000.0], [3050000.0]),
        crs="EPSG:32650",
    )
    sites = gpd.GeoDataFrame(
        {"id": ["S1"], "name": ["卫生院"], "kind": ["candidate"]},
        geometry=gpd.points_from_xy([700000.0], [3070000.0]),
        crs="EPSG:32650",
    )
    travel = geodata.straight_line_minutes(demand, sites, speed_kmh=30, max_minutes=60)
    spec = CountySpec(
        hub=LevelSpec(radius=30, kinds=("candidate",), count=(1, 1)),
        clinic=LevelSpec(radius=20, kinds=("candidate",), share=0.5),
        district_minutes=60,
    )
    plan = plan_county(demand, sites, travel, spec)
    assert plan.unreachable["clinic"] == ["V1"]
    assert list(plan.sites["level"]) == ["hub"]


def test_every_error_class_is_importable_from_one_place():
    import geodata.errors
    import optimizer
    import optimizer.errors
    import optimizer.verify

    for name in optimizer.errors.__all__:
        error = getattr(optimizer.errors, name)
        assert issubclass(error, (geodata.errors.HealthplanError, UserWarning)), name
        if name != "VerificationError":
            assert error is getattr(geodata.errors, name) is getattr(geodata, name)
    verification = optimizer.errors.VerificationError
    assert verification is optimizer.VerificationError is optimizer.verify.VerificationError
    assert str(verification(["a", "b"])) == "the plan fails verification:\n- a\n- b"
