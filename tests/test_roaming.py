"""Roaming routes: exact stop orders and pricing against enumeration, the joint plan against
brute force over every site choice and route-day combination, and the verifier."""

from __future__ import annotations

import itertools
from dataclasses import replace

import geopandas as gpd
import numpy as np
import pytest

import geodata
from geodata import InputError
from models.pricing import Priced
from models.routes import StopTimes, all_routes, best_order, price_routes
from optimizer.county_spec import CountySpec, LevelSpec, RoamingSpec
from optimizer.plan.county import plan_county
from optimizer.plan.roaming_layers import schedule
from optimizer.solve import roaming as roaming_module
from optimizer.verify import VerificationError
from optimizer.verify.county import verify_county

CRS = "EPSG:32650"
SPEED, CIRCUITY = 30.0, 1.0  # km/h: 2 minutes per km


def random_times(rng, n: int, day: float = np.inf) -> StopTimes:
    """Villages and one base (site 0) at random points, straight-line minutes."""
    xy = rng.uniform(0, 20, size=(n, 2))
    base = rng.uniform(0, 20, size=2)
    between = 2 * np.linalg.norm(xy[:, None] - xy[None], axis=2)
    to_base = {0: 2 * np.linalg.norm(xy - base, axis=1)}
    return StopTimes(to_base, between, rng.uniform(5, 15, size=n), day)


def brute_order(times: StopTimes, stops) -> float:
    return min(times.duration(0, list(p)) for p in itertools.permutations(stops))


@pytest.mark.parametrize("seed", range(6))
def test_best_order_is_the_shortest_permutation(seed):
    rng = np.random.default_rng(seed)
    times = random_times(rng, 7)
    stops = rng.permutation(7)[: 3 + seed % 5].tolist()
    order, minutes = best_order(times, 0, stops)
    assert sorted(order) == sorted(stops)
    assert minutes == pytest.approx(times.duration(0, order))
    assert minutes == pytest.approx(brute_order(times, stops))


@pytest.mark.parametrize("seed", range(5))
def test_exact_pricing_finds_the_best_route_of_every_subset(seed):
    rng = np.random.default_rng(10 + seed)
    times = random_times(rng, 7, day=float(rng.uniform(60, 120)))
    prize = rng.uniform(0, 3, size=7) * (rng.uniform(size=7) > 0.2)
    best = 0.0
    for k in range(1, 8):
        for subset in itertools.combinations(range(7), k):
            if prize[list(subset)].sum() > best and brute_order(times, subset) <= times.day:
                best = float(prize[list(subset)].sum())
    found, exhaustive = price_routes(times, 0, prize, threshold=0.0)
    assert exhaustive
    if best == 0.0:
        assert found == []
        return
    top = max(float(prize[list(r.stops)].sum()) for r in found)
    assert top == pytest.approx(best)
    for route in found:
        assert route.minutes <= times.day + 1e-9
        assert route.minutes == pytest.approx(times.duration(0, route.stops))
    assert not price_routes(times, 0, prize, threshold=best + 1e-6)[0]


def test_all_routes_lists_every_subset_that_fits_a_day():
    rng = np.random.default_rng(3)
    times = random_times(rng, 6, day=80.0)
    listed = {frozenset(r.stops) for r in all_routes(times, 0, np.arange(6))}
    fits = {
        frozenset(s)
        for k in range(1, 7)
        for s in itertools.combinations(range(6), k)
        if brute_order(times, s) <= times.day
    }
    assert listed == fits


def layer(xy, prefix: str, **columns) -> gpd.GeoDataFrame:
    xy = np.asarray(xy, dtype=float) * 1000 + [700_000, 3_000_000]
    n = len(xy)
    frame = {"id": [f"{prefix}{k + 1}" for k in range(n)]}
    frame["name"] = [f"测试{prefix}{k + 1}" for k in range(n)]
    frame.update(columns)
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=CRS)


def instance(village_xy, site_xy, kinds, cost, population=None):
    n = len(village_xy)
    demand = layer(village_xy, "V", population=population or [500.0] * n)
    sites = layer(site_xy, "S", kind=list(kinds), fixed_cost=np.asarray(cost, dtype=float))
    travel = geodata.straight_line_minutes(
        demand, sites, speed_kmh=SPEED, circuity=CIRCUITY, max_minutes=200
    )
    stops = geodata.straight_line_minutes(
        demand, demand, speed_kmh=SPEED, circuity=CIRCUITY, max_minutes=200
    )
    return demand, sites, travel, stops


def county_spec(roaming: RoamingSpec, clinic_radius: float = 6.0) -> CountySpec:
    return CountySpec(
        hub=LevelSpec(200.0, ("hospital",), fixed_kinds=("hospital",), share=0.0),
        clinic=LevelSpec(
            clinic_radius, ("candidate",), fixed_kinds=("hospital",), cost_column="fixed_cost"
        ),
        district_minutes=200.0,
        staff=(),
        stages=("cost",),
        roaming=roaming,
    )


def case_roaming(case: int) -> RoamingSpec:
    """One vehicle from S1 serving any village, with the day, visits and cost of ``CASES[case]``."""
    *_, day_cost, visits, days, day = CASES[case]
    return RoamingSpec(
        vehicles=1,
        bases=("S1",),
        days=days,
        day_minutes=day,
        service_minutes=10.0,
        visits=visits,
        may="all",
        day_cost=day_cost,
        leg_minutes=200.0,
    )


def brute_force(demand, sites, travel, stops, spec: CountySpec) -> float:
    """Least build + vehicle-day cost over every set of opened candidates and every way to
    spend the fleet's days on the feasible day-routes of every base (enumerated)."""
    r = spec.roaming
    ids = demand["id"].to_numpy(dtype=str)
    site_ids = sites["id"].to_numpy(dtype=str)
    dense = np.full(travel.minutes.shape, np.inf)
    coo = travel.minutes.tocoo()
    dense[coo.row, coo.col] = coo.data
    has = dense <= spec.clinic.radius
    kind = sites["kind"].to_numpy(dtype=str)
    cost = sites["fixed_cost"].to_numpy(dtype=float)
    between = np.full((len(ids), len(ids)), np.inf)
    c2 = stops.minutes.tocoo()
    between[c2.row, c2.col] = c2.data
    np.fill_diagonal(between, 0.0)
    service = r.service_minutes + r.service_per_1000 * demand["population"].to_numpy() / 1000
    bases = [int(np.flatnonzero(site_ids == b)[0]) for b in r.bases]
    routes = []
    for b in bases:
        times = StopTimes({b: dense[:, b]}, between, service, r.day_minutes)
        routes += [(b, set(t.stops)) for t in all_routes(times, b, np.arange(len(ids)))]
    candidates = np.flatnonzero(kind == "candidate")
    fixed = kind == "hospital"
    best = np.inf
    for k in range(len(candidates) + 1):
        for opened in itertools.combinations(candidates.tolist(), k):
            is_open = fixed.copy()
            is_open[list(opened)] = True
            build = float(cost[list(opened)].sum())
            covered = has[:, is_open].any(axis=1)
            usable = [q for q, (b, _) in enumerate(routes) if is_open[b]]
            for used in range(r.vehicles * r.days + 1):
                if build + used * r.day_cost >= best:
                    break
                for combo in itertools.combinations_with_replacement(usable, used):
                    visits = np.zeros(len(ids))
                    for q in combo:
                        visits[list(routes[q][1])] += 1
                    if np.all(covered | (visits >= r.visits)):
                        best = build + used * r.day_cost
                        break
    return best


CASES = [
    # villages (km), sites (km), kinds, build costs, day cost, visits, days, day minutes
    (
        [(0, 0), (3, 0), (10, 0), (10, 4), (14, 2)],
        [(1, 0), (10, 2), (13, 2), (6, 6)],
        ["hospital", "candidate", "candidate", "candidate"],
        [0, 500, 400, 350],
        120.0,
        2,
        4,
        90.0,
    ),
    (
        [(0, 0), (8, 1), (9, -2), (12, 0), (4, 9)],
        [(0, 1), (9, 0), (4, 8)],
        ["hospital", "candidate", "candidate"],
        [0, 300, 250],
        60.0,
        1,
        3,
        80.0,
    ),
    (
        [(2, 2), (7, 7), (8, 6), (15, 3), (1, 12), (3, 11)],
        [(0, 0), (8, 7), (2, 12), (14, 4)],
        ["hospital", "candidate", "candidate", "candidate"],
        [0, 900, 200, 700],
        150.0,
        2,
        5,
        100.0,
    ),
]


@pytest.mark.parametrize("case", range(len(CASES)))
def test_joint_plan_equals_brute_force(case):
    village_xy, site_xy, kinds, cost, *_ = CASES[case]
    demand, sites, travel, stops = instance(village_xy, site_xy, kinds, cost)
    roaming = case_roaming(case)
    spec = county_spec(roaming)
    plan = plan_county(demand, sites, travel, spec, stops)
    want = brute_force(demand, sites, travel, stops, spec)
    got = next(r.objective for r in plan.stages if r.stage == "cost")
    assert got == pytest.approx(want)
    assert plan.roaming.exact
    assert plan.roaming.lp_bound <= want + 1e-6
    # whole-yuan costs: the bound rounds up to their common divisor and stays below the optimum
    unit = plan.roaming.cost_unit
    assert plan.roaming.lp_bound - 1e-6 <= plan.roaming.bound <= want + 1e-6
    assert plan.roaming.bound / unit == pytest.approx(round(plan.roaming.bound / unit))
    assert plan.summary.roaming is not None
    assert plan.summary.build_cost + plan.summary.roaming.roaming_cost == pytest.approx(want)


def test_a_base_works_only_when_the_plan_opens_it():
    # the only base is a candidate site: routes need it open (and pay its cost)
    village_xy = [(0, 0), (3, 0), (10, 0), (10, 4)]
    site_xy = [(20, 20), (1, 0), (10, 2)]
    kinds = ["hospital", "candidate", "candidate"]
    demand, sites, travel, stops = instance(village_xy, site_xy, kinds, [0, 100, 1000])
    roaming = RoamingSpec(
        vehicles=1,
        bases=("S2",),
        days=4,
        day_minutes=120.0,
        service_minutes=10.0,
        visits=2,
        may="all",
        day_cost=50.0,
        leg_minutes=200.0,
    )
    spec = county_spec(roaming)
    plan = plan_county(demand, sites, travel, spec, stops)
    want = brute_force(demand, sites, travel, stops, spec)
    assert next(r.objective for r in plan.stages if r.stage == "cost") == pytest.approx(want)
    if len(plan.routes):
        assert plan.sites.set_index("site_id").loc["S2", "level"] != ""


def test_single_vehicle_covering_tour_is_the_shortest_tour():
    """One vehicle, one day, every village must roam: the only plan is one tour through all
    of them, and it fits a day of exactly the shortest tour's minutes."""
    village_xy = [(2, 1), (6, 3), (9, 1), (7, -3), (3, -4), (5, 0)]
    demand, sites, travel, stops = instance(village_xy, [(0, 0)], ["hospital"], [0])
    service = 10.0
    dense = travel.minutes.toarray()[:, 0]
    between = stops.minutes.toarray()
    shortest = (
        min(
            dense[p[0]] + dense[p[-1]] + sum(between[a, b] for a, b in itertools.pairwise(p))
            for p in itertools.permutations(range(6))
        )
        + 6 * service
    )
    roaming = RoamingSpec(
        vehicles=1,
        bases=("S1",),
        days=1,
        day_minutes=shortest + 1e-6,
        service_minutes=service,
        visits=1,
        may="all",
        must="all",
        day_cost=1.0,
        leg_minutes=200.0,
    )
    spec = county_spec(roaming, clinic_radius=1.0)
    plan = plan_county(demand, sites, travel, spec, stops)
    assert len(plan.routes) == 1
    assert plan.routes["n_stops"].iloc[0] == 6
    assert plan.routes["minutes"].iloc[0] == pytest.approx(shortest, abs=1e-3)
    tight = replace(spec, roaming=replace(roaming, day_minutes=shortest - 1e-3))
    with pytest.raises(geodata.InfeasibleError):
        plan_county(demand, sites, travel, tight, stops)


@pytest.fixture(scope="module")
def solved():
    village_xy, site_xy, kinds, cost, *_ = CASES[2]
    demand, sites, travel, stops = instance(village_xy, site_xy, kinds, cost)
    roaming = replace(case_roaming(2), vehicles=2, day_cost=10.0)
    spec = county_spec(roaming)
    plan = plan_county(demand, sites, travel, spec, stops)
    assert len(plan.routes) > 0
    return plan, demand, sites, travel, stops, spec


def test_layers_and_timetable_agree(solved):
    plan, *_ = solved
    assert set(plan.routes.geom_type) == {"LineString"}
    assert len(plan.stops) == plan.routes["n_stops"].sum()
    assert len(plan.timetable) == len(plan.routes)
    assert plan.stops["name"].str.startswith("测试").all()
    visits = plan.stops.groupby("demand_id").size()
    roamed = plan.assignments[plan.assignments["roaming"]]
    assert (visits.reindex(roamed["demand_id"]).fillna(0) >= 2).all()


@pytest.mark.parametrize(
    "tamper, message",
    [
        (lambda p: p.routes.__setitem__("minutes", p.routes["minutes"] - 5), "reports"),
        (lambda p: p.stops.__setitem__("arrival_minute", p.stops["arrival_minute"] + 1), "arrival"),
        (lambda p: p.routes.__setitem__("day", 99), "outside the fleet"),
        (lambda p: p.routes.__setitem__("vehicle", 1), "driven twice"),
        (lambda p: p.assignments.__setitem__("visits", 0), "visits differs"),
    ],
)
def test_verifier_rejects_tampered_routes(solved, tamper, message):
    plan, demand, sites, travel, stops, spec = solved
    verify_county(plan, demand, sites, travel, spec, stops)
    bad = replace(
        plan,
        routes=plan.routes.copy(),
        stops=plan.stops.copy(),
        assignments=plan.assignments.copy(),
    )
    if message == "driven twice" and len(bad.routes) < 2:
        bad.routes = gpd.GeoDataFrame([bad.routes.iloc[0], bad.routes.iloc[0]], crs=bad.routes.crs)
    tamper(bad)
    if message == "driven twice":
        bad.routes["day"] = 1
    with pytest.raises(VerificationError, match=message):
        verify_county(bad, demand, sites, travel, spec, stops)


def test_verifier_rejects_a_day_too_long(solved):
    plan, demand, sites, travel, stops, spec = solved
    short_day = replace(spec, roaming=replace(spec.roaming, day_minutes=10.0))
    with pytest.raises(VerificationError, match="beyond the day"):
        verify_county(plan, demand, sites, travel, short_day, stops)


def test_verifier_rejects_too_few_visits(solved):
    plan, demand, sites, travel, stops, spec = solved
    more = replace(spec, roaming=replace(spec.roaming, visits=spec.roaming.visits + 3))
    with pytest.raises(VerificationError, match="visited fewer"):
        verify_county(plan, demand, sites, travel, more, stops)


def test_roaming_input_errors():
    village_xy, site_xy, kinds, cost, *_ = CASES[0]
    demand, sites, travel, stops = instance(village_xy, site_xy, kinds, cost)
    base = RoamingSpec(vehicles=1, bases=("S1",), may="all")
    for change, message in (
        ({"bases": ("S9",)}, "roaming.bases: unknown site"),
        ({"base_vehicles": (1, 1)}, "roaming.base_vehicles"),
        ({"may": ("V9",)}, "roaming.may: unknown village"),
        ({"may": "some"}, "is not all, none, unreached"),
        ({"must": ("V1",), "may": "none"}, "must roam but are not in roaming.may"),
    ):
        spec = county_spec(replace(base, **change))
        with pytest.raises(InputError, match=message):
            plan_county(demand, sites, travel, spec, stops)
    with pytest.raises(InputError, match="roaming needs stop_travel"):
        plan_county(demand, sites, travel, county_spec(base))
    barred = county_spec(base)
    barred = replace(barred, roaming=replace(base, bases=("S2",)))
    barred.clinic = replace(barred.clinic, barred=("S2",))
    with pytest.raises(InputError, match="can never be open"):
        plan_county(demand, sites, travel, barred, stops)


@pytest.mark.parametrize("exact_first", [0, 40])
@pytest.mark.parametrize("case", range(len(CASES)))
def test_column_generation_reaches_the_lp_of_every_route(case, exact_first, monkeypatch):
    """Start from the sweep pool and price with the duals (heuristic first, or the labelling
    in every round): the LP value must reach the LP over the complete route set, which
    checks the dual signs."""
    village_xy, site_xy, kinds, cost, *_ = CASES[case]
    demand, sites, travel, stops = instance(village_xy, site_xy, kinds, cost)
    roaming = case_roaming(case)
    spec = county_spec(roaming)
    complete = plan_county(demand, sites, travel, spec, stops).roaming
    monkeypatch.setattr("optimizer.solve.roaming.EXACT_PRICING", 0)
    monkeypatch.setattr("optimizer.solve.roaming.EXACT_FIRST", exact_first)
    priced = plan_county(demand, sites, travel, spec, stops)
    rec = priced.roaming
    assert rec.exact and rec.rounds >= 1
    assert rec.lp_bound == pytest.approx(complete.lp_bound)
    assert rec.objective >= complete.objective - 1e-6
    assert rec.objective >= rec.lp_bound - 1e-6


@pytest.mark.parametrize(
    "driven, vehicles, days", [([2, 1, 0, 3], 2, 5), ([1] * 6, 3, 2), ([4], 1, 20), ([0], 1, 3)]
)
def test_schedule_gives_each_route_its_days_in_distinct_vehicle_days(driven, vehicles, days):
    slots = schedule(np.array(driven), vehicles, days)
    assert len({(v, d) for v, d, _ in slots}) == len(slots) == sum(driven)
    assert all(1 <= v <= vehicles and 1 <= d <= days for v, d, _ in slots)
    for r, k in enumerate(driven):
        assert sum(1 for *_, q in slots if q == r) == k
    if driven == [4]:  # one route four times in 20 days: every fifth day
        assert [d for _, d, _ in slots] == [1, 6, 11, 16]
    with pytest.raises(ValueError, match="do not fit"):
        schedule(np.array([vehicles * days + 1]), vehicles, days)


@pytest.mark.parametrize("case", range(len(CASES)))
def test_lower_bound_stays_below_the_lp_of_every_route(case, monkeypatch):
    """Heuristic pricing stopped after one round: the reported bound must not exceed the LP
    over the complete route set."""
    village_xy, site_xy, kinds, cost, *_ = CASES[case]
    demand, sites, travel, stops = instance(village_xy, site_xy, kinds, cost)
    roaming = case_roaming(case)
    complete = plan_county(demand, sites, travel, county_spec(roaming), stops).roaming
    assert complete.exact and complete.lp_bound == pytest.approx(complete.lp_value)
    monkeypatch.setattr("optimizer.solve.roaming.EXACT_PRICING", 0)
    monkeypatch.setattr("models.routes.EXACT_PRICING", 0)
    early = county_spec(replace(roaming, rounds=1))
    rec = plan_county(demand, sites, travel, early, stops).roaming
    assert rec.lp_bound <= complete.lp_value + 1e-6
    assert rec.lp_bound <= rec.lp_value + 1e-6
    assert rec.objective >= complete.objective - 1e-6


def two_vehicles(bases: tuple[str, ...]) -> RoamingSpec:
    """Two vehicles from ``bases`` visiting any village twice in a 10-day cycle."""
    return RoamingSpec(
        vehicles=2,
        bases=bases,
        days=10,
        day_minutes=300.0,
        service_minutes=20.0,
        visits=2,
        may="all",
        day_cost=100_000.0,
        leg_minutes=60.0,
    )


def test_same_input_gives_the_same_routes_and_plan(monkeypatch):
    """Two runs of a county with heuristic and exact pricing, a dive, the integer master
    and the vehicle-day split agree, the first pricing its two bases side by side on two
    threads, the second one base after the other."""
    county = geodata.synthetic_county(40, 10, seed=5)
    travel = geodata.straight_line_minutes(
        county.demand, county.sites, speed_kmh=20.0, max_minutes=90.0
    )
    stops = geodata.straight_line_minutes(
        county.demand, county.demand, speed_kmh=20.0, max_minutes=90.0
    )
    kind = county.sites["kind"].astype(str)
    bases = tuple(county.sites.loc[kind != "candidate", "id"].tolist()[:2])
    spec = CountySpec(
        hub=LevelSpec(
            30.0, ("township_centre",), fixed_kinds=("county_hospital", "township_centre")
        ),
        clinic=LevelSpec(
            8.0, ("candidate",), fixed_kinds=("county_hospital",), cost_column="fixed_cost"
        ),
        stages=("cost",),
        roaming=two_vehicles(bases),
    )
    monkeypatch.setattr(roaming_module, "_threads", lambda bases: 2)
    first = plan_county(county.demand, county.sites, travel, spec, stops)
    monkeypatch.setattr(roaming_module, "_threads", lambda bases: 1)
    second = plan_county(county.demand, county.sites, travel, spec, stops)
    assert first.roaming.rounds >= 1 and first.roaming.exact_calls >= 1
    assert len(first.routes) > 0
    assert first.routes.drop(columns="geometry").equals(second.routes.drop(columns="geometry"))
    assert first.timetable.equals(second.timetable)
    assert first.sites.drop(columns="geometry").equals(second.sites.drop(columns="geometry"))
    timing = dict(seconds=0.0, exact_seconds=0.0)
    assert replace(first.roaming, **timing) == replace(second.roaming, **timing)


def test_a_replan_that_reads_the_same_route_inputs_takes_the_earlier_pool(monkeypatch):
    """Fixing a hub that is an open clinic anyway leaves the route search's inputs alone: the
    earlier pool is taken and the plan equals one searched afresh; fixing a new clinic
    changes them and the routes are searched again."""
    county = geodata.synthetic_county(40, 10, seed=5)
    travel = geodata.straight_line_minutes(
        county.demand, county.sites, speed_kmh=20.0, max_minutes=90.0
    )
    stops = geodata.straight_line_minutes(
        county.demand, county.demand, speed_kmh=20.0, max_minutes=90.0
    )
    kind = county.sites["kind"].astype(str)
    centres = county.sites.loc[kind == "township_centre", "id"].tolist()
    candidates = county.sites.loc[kind == "candidate", "id"].tolist()
    bases = tuple(county.sites.loc[kind != "candidate", "id"].tolist()[:2])
    spec = CountySpec(
        hub=LevelSpec(30.0, ("township_centre",), fixed_kinds=("county_hospital",)),
        clinic=LevelSpec(
            8.0,
            ("candidate",),
            fixed_kinds=("county_hospital", "township_centre"),
            cost_column="fixed_cost",
        ),
        stages=("cost",),
        roaming=two_vehicles(bases),
    )
    searches = []
    search = roaming_module.route_pool
    monkeypatch.setattr(
        roaming_module, "route_pool", lambda *a, **k: searches.append(1) or search(*a, **k)
    )
    first = plan_county(county.demand, county.sites, travel, spec, stops)
    assert first.route_pool is not None and len(searches) == 1
    hubs_fixed = replace(spec, hub=replace(spec.hub, fixed=(centres[-1],)))
    fresh = plan_county(county.demand, county.sites, travel, hubs_fixed, stops)
    reused = plan_county(
        county.demand, county.sites, travel, hubs_fixed, stops, route_pool=first.route_pool
    )
    assert len(searches) == 2
    assert reused.route_pool is first.route_pool
    assert fresh.route_pool.key == first.route_pool.key
    assert fresh.route_pool.routes == first.route_pool.routes
    assert [r.objective for r in reused.stages] == [r.objective for r in fresh.stages]
    assert reused.routes.drop(columns="geometry").equals(fresh.routes.drop(columns="geometry"))
    assert reused.sites.drop(columns="geometry").equals(fresh.sites.drop(columns="geometry"))
    clinic_fixed = replace(spec, clinic=replace(spec.clinic, fixed=(candidates[0],)))
    other = plan_county(
        county.demand, county.sites, travel, clinic_fixed, stops, route_pool=first.route_pool
    )
    assert len(searches) == 3
    assert other.route_pool.key != first.route_pool.key


def test_a_must_village_no_base_reaches_is_an_error():
    village_xy, site_xy, kinds, cost, *_ = CASES[0]
    demand, sites, travel, stops = instance(village_xy, site_xy, kinds, cost)
    must = tuple(demand["id"].tolist())
    roaming = replace(case_roaming(0), day_cost=0.0, must=must, leg_minutes=0.5)
    with pytest.raises(InputError, match="cannot be reached from any base"):
        plan_county(demand, sites, travel, county_spec(roaming), stops)


@pytest.mark.parametrize("case", range(len(CASES)))
def test_exact_pricing_alone_reaches_the_lp_of_every_route(case, monkeypatch):
    """The heuristic finds nothing: exact pricing must take column generation from the sweep
    pool to the LP over the complete route set and prove it (bound = LP value)."""
    village_xy, site_xy, kinds, cost, *_ = CASES[case]
    demand, sites, travel, stops = instance(village_xy, site_xy, kinds, cost)
    spec = county_spec(case_roaming(case))
    complete = plan_county(demand, sites, travel, spec, stops).roaming
    monkeypatch.setattr("optimizer.solve.roaming.EXACT_PRICING", 0)
    monkeypatch.setattr("optimizer.solve.roaming.price_routes", lambda *a, **k: ([], False))
    rec = plan_county(demand, sites, travel, spec, stops).roaming
    assert rec.exact and rec.exact_calls >= 1 and rec.exact_stopped == 0
    assert rec.lp_bound == pytest.approx(complete.lp_value)
    assert rec.lp_value == pytest.approx(complete.lp_value)


def test_bound_is_not_rounded_for_fractional_costs():
    village_xy, site_xy, kinds, cost, *_ = CASES[0]
    demand, sites, travel, stops = instance(village_xy, site_xy, kinds, cost)
    roaming = replace(case_roaming(0), day_cost=120.5)
    rec = plan_county(demand, sites, travel, county_spec(roaming), stops).roaming
    assert np.isnan(rec.cost_unit)
    assert rec.bound == pytest.approx(rec.lp_bound)
    assert rec.bound <= brute_force(demand, sites, travel, stops, county_spec(roaming)) + 1e-6


def random_case(seed: int):
    """Seven villages, a hospital (S1, the base) and two candidate clinics at random points;
    one vehicle, four days, a random day length and day cost."""
    rng = np.random.default_rng(seed)
    village_xy = [tuple(x) for x in rng.uniform(0, 15, size=(7, 2)).round(1)]
    site_xy = [tuple(x) for x in rng.uniform(0, 15, size=(3, 2)).round(1)]
    cost = [0, int(rng.integers(2, 9)) * 100, int(rng.integers(2, 9)) * 100]
    demand, sites, travel, stops = instance(
        village_xy, site_xy, ["hospital", "candidate", "candidate"], cost
    )
    roaming = RoamingSpec(
        vehicles=1,
        bases=("S1",),
        days=4,
        day_minutes=float(rng.uniform(60, 110)),
        service_minutes=10.0,
        visits=2,
        may="all",
        day_cost=float(rng.integers(1, 4) * 50),
        leg_minutes=200.0,
    )
    return demand, sites, travel, stops, county_spec(roaming, clinic_radius=4.0)


@pytest.mark.parametrize(
    "seed, how", [(14, "no cheaper plan within the LP bound"), (20, "routes within")]
)
def test_closing_search_proves_the_plan_optimal(seed, how):
    """Plans whose rounded and split bounds stay below them: the next cheaper plan cost is
    below the LP (seed 14), or every route within the gap of the root LP is enumerated and
    no cheaper plan exists among them (seed 20); either way the bound is the plan."""
    demand, sites, travel, stops, spec = random_case(seed)
    plan = plan_county(demand, sites, travel, spec, stops)
    want = brute_force(demand, sites, travel, stops, spec)
    rec = plan.roaming
    assert next(r.objective for r in plan.stages if r.stage == "cost") == pytest.approx(want)
    assert how in rec.closed and rec.closed.endswith("plan proven optimal")
    assert rec.bound == pytest.approx(want) and rec.gap == 0.0


@pytest.mark.parametrize("seed", [3, 14])
def test_closing_search_finds_the_cheaper_plan(seed, monkeypatch):
    """The pool's integer master is made to report a plan two vehicle-days dearer than it
    is, with no dive: the closing search must find the optimum among the routes within the
    gap, prove it, and hand its routes to the county model."""
    demand, sites, travel, stops, spec = random_case(seed)
    want = brute_force(demand, sites, travel, stops, spec)
    solve = roaming_module._Master.solve

    def dearer(self, routes, integer, *args, **kwargs):
        solved = solve(self, routes, integer, *args, **kwargs)
        if integer and kwargs.get("cap") is None and solved is not None:
            extra = 2 * self.day_cost
            return solved[0] + extra, solved[1], solved[2] + extra
        return solved

    monkeypatch.setattr(roaming_module._Master, "solve", dearer)
    monkeypatch.setattr(roaming_module, "_dive", lambda *a, **k: np.inf)
    monkeypatch.setattr(roaming_module, "_split_plan", lambda *a, **k: np.inf)
    plan = plan_county(demand, sites, travel, spec, stops)
    rec = plan.roaming
    assert "cheaper plan found, proven optimal" in rec.closed
    assert rec.objective == pytest.approx(want) and rec.bound == pytest.approx(want)
    assert next(r.objective for r in plan.stages if r.stage == "cost") == pytest.approx(want)


@pytest.mark.parametrize("case", range(len(CASES)))
def test_enumeration_proves_the_lp_when_ng_routes_repeat_villages(case, monkeypatch):
    """The labelling is made to find no route and bound the prize by every village's (as
    when its best ng-route repeats villages): enumerating the elementary routes that beat
    the threshold must take column generation to the LP over every route and prove it."""
    village_xy, site_xy, kinds, cost, *_ = CASES[case]
    demand, sites, travel, stops = instance(village_xy, site_xy, kinds, cost)
    spec = county_spec(case_roaming(case))
    complete = plan_county(demand, sites, travel, spec, stops).roaming

    def relaxed(times, base, prize, threshold, **kwargs):
        return Priced([], max(threshold, float(prize[prize > 0].sum())), True, False, 0)

    monkeypatch.setattr("optimizer.solve.roaming.EXACT_PRICING", 0)
    monkeypatch.setattr("optimizer.solve.roaming.price_routes", lambda *a, **k: ([], False))
    monkeypatch.setattr("optimizer.solve.roaming.exact_price", relaxed)
    rec = plan_county(demand, sites, travel, spec, stops).roaming
    assert rec.exact and rec.exact_calls >= 1
    assert rec.lp_bound == pytest.approx(complete.lp_value)
    assert rec.lp_value == pytest.approx(complete.lp_value)


@pytest.mark.parametrize("case", range(len(CASES)))
def test_free_vehicle_days_keep_the_bound_below_the_optimum(case):
    """With day_cost 0 every route costs nothing: the bound must still stay at or below the
    optimum (only the build cost counts)."""
    village_xy, site_xy, kinds, cost, *_ = CASES[case]
    demand, sites, travel, stops = instance(village_xy, site_xy, kinds, cost)
    spec = county_spec(replace(case_roaming(case), day_cost=0.0))
    plan = plan_county(demand, sites, travel, spec, stops)
    want = brute_force(demand, sites, travel, stops, spec)
    assert next(r.objective for r in plan.stages if r.stage == "cost") == pytest.approx(want)
    assert plan.roaming.lp_bound <= want + 1e-6
    assert plan.roaming.bound <= want + 1e-6


def test_closing_search_proves_the_plan_the_split_leaves_above_its_bound(monkeypatch):
    """A mountain county (80 villages) whose split leaves the plan one vehicle-day above
    its bound: the lower half's bound shows every cheaper plan drives more vehicle-days
    than any new clinic leaves room for, so the closing search lists the routes within one
    vehicle-day of the LP and proves the plan at the bound. Leaving out the routes one stop
    short of another (``_maximal``) changes neither the plan's cost nor the bound."""
    from benchmarks.roaming import mountain_county
    from benchmarks.roaming import spec as mountain_spec

    county, travel, stops = mountain_county(12, 80, 16)
    spec = mountain_spec(county.sites, 60.0)
    plan = plan_county(county.demand, county.sites, travel, spec, stops)
    verify_county(plan, county.demand, county.sites, travel, spec, stops)
    found = plan.roaming
    assert found.objective == pytest.approx(found.bound)
    assert found.gap == pytest.approx(0.0, abs=1e-9)
    assert found.bound > found.lp_bound + 1.0
    assert "proven optimal" in found.closed
    monkeypatch.setattr(roaming_module, "_maximal", lambda routes: routes)
    every = plan_county(county.demand, county.sites, travel, spec, stops).roaming
    assert every.objective == pytest.approx(found.objective)
    assert every.bound == pytest.approx(found.bound)

    def listed(record) -> int:
        return int(record.closed.split()[0].replace(",", ""))

    assert listed(every) > listed(found)


def test_prove_dives_to_a_plan_at_the_bound(monkeypatch):
    """The same county with the closing search held to one label: the default search stops
    one vehicle-day above its proven bound; with ``prove`` the dive after the vehicle-day
    split backtracks and finds a plan at the bound (gap 0), never below it, and the
    verifier passes both plans."""
    from benchmarks.roaming import mountain_county
    from benchmarks.roaming import spec as mountain_spec

    monkeypatch.setattr(roaming_module, "CLOSE_LABELS", 1)
    monkeypatch.setattr(roaming_module, "PROVE_LABELS", 1)
    county, travel, stops = mountain_county(12, 80, 16)
    plans = {}
    for prove in (False, True):
        spec = mountain_spec(county.sites, 60.0, prove)
        plans[prove] = plan_county(county.demand, county.sites, travel, spec, stops)
        verify_county(plans[prove], county.demand, county.sites, travel, spec, stops)
    default, proven = plans[False].roaming, plans[True].roaming
    assert default.objective > default.bound + 1.0
    assert proven.bound == pytest.approx(default.bound)
    assert proven.objective == pytest.approx(proven.bound)
    assert proven.gap == pytest.approx(0.0, abs=1e-9)
    assert "plan improved" in proven.split
