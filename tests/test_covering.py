"""Covering stops (``roaming.cover_minutes``): the plan against brute force over every stop
subset and order, the layers naming what each stop serves, the verifier, and bad settings."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest
from covering_bruteforce import covering_tours
from test_roaming import county_spec, instance

from geodata.errors import ConfigError
from models.routes import Route, StopTimes, covering, route_index, route_serves
from optimizer.config.county import load_county_config
from optimizer.county_spec import RoamingSpec
from optimizer.plan.county import plan_county
from optimizer.verify import VerificationError
from optimizer.verify.county import verify_county

SERVICE = 10.0
DAY_COST = 100.0


def tiny(seed: int):
    """3-6 villages at random points, one hospital base at the origin."""
    rng = np.random.default_rng(seed)
    n = 3 + seed % 4
    village_xy = rng.uniform(-8, 8, size=(n, 2)).tolist()
    demand, sites, travel, stops = instance(village_xy, [(0, 0)], ["hospital"], [0])
    out = travel.minutes.toarray()[:, 0]
    between = stops.minutes.toarray()
    np.fill_diagonal(between, 0.0)
    day = float(2 * out.max() + SERVICE + rng.uniform(0, 40))
    cover = float(rng.uniform(3, 12))
    return demand, sites, travel, stops, out, between, day, cover


def brute_days(
    out,
    between,
    day: float,
    cover: float,
    visits: int,
    fleet: int,
    max_stops: int | None = None,
    max_travel: float = np.inf,
) -> float:
    """The fewest vehicle-days serving every village ``visits`` times: every ordered subset
    of stops within the day (and the stop and travel limits) gives the villages within
    ``cover`` of a stop; then every multiset of such days."""
    n = out.size
    near = [frozenset(np.flatnonzero(between[s] <= cover).tolist()) | {s} for s in range(n)]
    days = set()
    for k in range(1, (max_stops or n) + 1):
        for order in itertools.permutations(range(n), k):
            legs = out[order[0]] + out[order[-1]]
            legs += sum(between[a, b] for a, b in itertools.pairwise(order))
            if legs + k * SERVICE <= day + 1e-9 and legs <= max_travel + 1e-9:
                days.add(frozenset().union(*(near[s] for s in order)))
    days = list(days)
    for k in range(1, fleet + 1):
        for chosen in itertools.combinations_with_replacement(days, k):
            count = np.zeros(n, dtype=int)
            for served in chosen:
                count[list(served)] += 1
            if (count >= visits).all():
                return float(k)
    return np.inf


def roaming(day: float, cover: float, visits: int = 1, **changes) -> RoamingSpec:
    spec = RoamingSpec(
        vehicles=2,
        bases=("S1",),
        days=2 * visits + 1,
        day_minutes=day,
        service_minutes=SERVICE,
        visits=visits,
        may="all",
        must="all",
        day_cost=DAY_COST,
        leg_minutes=200.0,
        cover_minutes=cover,
    )
    return replace(spec, **changes)


def cost(plan) -> float:
    return next(r.objective for r in plan.stages if r.stage == "cost")


@pytest.mark.parametrize("visits", [1, 2])
@pytest.mark.parametrize("seed", range(8))
def test_covering_plan_equals_brute_force(seed, visits):
    demand, sites, travel, stops, out, between, day, cover = tiny(seed)
    spec = county_spec(roaming(day, cover, visits), clinic_radius=1.0)
    plan = plan_county(demand, sites, travel, spec, stops)
    fleet = spec.roaming.vehicles * spec.roaming.days
    want = brute_days(out, between, day, cover, visits, fleet)
    assert cost(plan) == pytest.approx(DAY_COST * want)
    assert len(plan.routes) == want
    assert plan.roaming.gap == pytest.approx(0.0, abs=1e-9)
    verify_county(plan, demand, sites, travel, spec, stops)


@pytest.mark.parametrize("cover", [0.0, 6.0])
@pytest.mark.parametrize("seed", range(6))
def test_stop_and_travel_limits_equal_brute_force(seed, cover):
    demand, sites, travel, stops, out, between, day, _ = tiny(seed)
    max_travel = float(2 * out.max() + 5.0)
    limits = {"max_stops": 2, "max_minutes": max_travel, "days": 6}
    spec = county_spec(roaming(day, cover, **limits), clinic_radius=1.0)
    plan = plan_county(demand, sites, travel, spec, stops)
    want = brute_days(out, between, day, cover, 1, 12, 2, max_travel)
    assert cost(plan) == pytest.approx(DAY_COST * want)
    assert (plan.routes["n_stops"] <= 2).all()
    verify_county(plan, demand, sites, travel, spec, stops)
    tighter = replace(spec, roaming=replace(spec.roaming, max_stops=1))
    if (plan.routes["n_stops"] > 1).any():
        with pytest.raises(VerificationError, match="beyond max_stops"):
            verify_county(plan, demand, sites, travel, tighter, stops)
    shorter = replace(spec, roaming=replace(spec.roaming, max_minutes=1.0))
    with pytest.raises(VerificationError, match="beyond max_minutes"):
        verify_county(plan, demand, sites, travel, shorter, stops)


@pytest.mark.parametrize("seed", range(4))
def test_zero_cover_minutes_is_a_stop_at_every_village(seed):
    demand, sites, travel, stops, out, between, day, _ = tiny(seed)
    spec = county_spec(roaming(day, 0.0), clinic_radius=1.0)
    plan = plan_county(demand, sites, travel, spec, stops)
    assert cost(plan) == pytest.approx(DAY_COST * brute_days(out, between, day, 0.0, 1, 10))
    assert set(plan.stops["demand_id"]) == set(demand["id"])
    assert "served_ids" not in plan.stops.columns
    assert "served_by_stop" not in plan.assignments.columns


def test_route_index_counts_a_route_once_per_village():
    between = np.array([[0.0, 2.0, 9.0], [2.0, 0.0, 2.0], [9.0, 2.0, 0.0]])
    covers = covering(between, 2.5)
    assert [c.tolist() for c in covers] == [[0, 1], [0, 1, 2], [1, 2]]
    assert covering(between, 0.0) is None
    times = StopTimes({0: np.ones(3)}, between, np.zeros(3), 100.0, covers)
    assert times.served([0, 2]).tolist() == [0, 1, 2]
    # stops 0 and 2 both serve village 1: the stop prizes overcount it, the route serves it once
    assert times.stop_prize(np.array([0.0, 5.0, 0.0])).tolist() == [5.0, 5.0, 5.0]
    visiting, _ = route_index([Route(0, (0, 2), 10.0)], covers)
    assert visiting == {0: [0], 1: [0], 2: [0]}
    assert route_serves((0, 2), None).tolist() == [0, 2]


@pytest.fixture(scope="module")
def covered():
    demand, sites, travel, stops, _, _, day, cover = tiny(5)
    spec = county_spec(roaming(day, cover), clinic_radius=1.0)
    plan = plan_county(demand, sites, travel, spec, stops)
    return plan, demand, sites, travel, stops, spec


def test_layers_name_the_villages_each_stop_serves(covered):
    plan, demand, _, _, stops, spec = covered
    between = stops.minutes.toarray()
    ids = demand["id"].tolist()
    roamed = set(plan.assignments.loc[plan.assignments["roaming"], "demand_id"])
    by: dict[str, set[str]] = {i: set() for i in ids}
    cover = spec.roaming.cover_minutes
    for row in plan.stops.itertuples():
        s = ids.index(row.demand_id)
        near = {ids[i] for i in range(len(ids)) if i == s or between[s, i] <= cover}
        assert set(row.served_ids.split(";")) == near & roamed
        for i in near & roamed:
            by[i].add(row.demand_id)
    got = dict(zip(plan.assignments["demand_id"], plan.assignments["served_by_stop"], strict=True))
    assert {i: set(filter(None, v.split(";"))) for i, v in got.items()} == by
    assert (plan.assignments.loc[plan.assignments["roaming"], "visits"] >= 1).all()


@pytest.mark.parametrize(
    "tamper, message",
    [
        (lambda p: p.stops.__setitem__("served_ids", "V1"), "served_ids"),
        (lambda p: p.assignments.__setitem__("served_by_stop", ""), "served_by_stop differs"),
        (lambda p: p.assignments.__setitem__("visits", 0), "visits differs"),
    ],
)
def test_verifier_recomputes_coverage(covered, tamper, message):
    plan, demand, sites, travel, stops, spec = covered
    bad = replace(plan, stops=plan.stops.copy(), assignments=plan.assignments.copy())
    tamper(bad)
    with pytest.raises(VerificationError, match=message):
        verify_county(bad, demand, sites, travel, spec, stops)


def test_verifier_rejects_a_plan_whose_stops_do_not_cover(covered):
    plan, demand, sites, travel, stops, spec = covered
    if len(plan.stops) == len(demand):
        pytest.skip("every village is a stop")
    narrow = replace(spec, roaming=replace(spec.roaming, cover_minutes=0.01))
    with pytest.raises(VerificationError, match="visited fewer"):
        verify_county(plan, demand, sites, travel, narrow, stops)


def config_text(tmp_path, roaming_lines: str) -> str:
    from test_roaming_config import example_text, write

    text = example_text()
    assert "leg_minutes = 60" in text
    return write(tmp_path, text.replace("leg_minutes = 60", "leg_minutes = 60\n" + roaming_lines))


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ("cover_minutes = 90", "cover_minutes 90.0 is more than leg_minutes 60.0"),
        ("cover_minutes = -1", "cover_minutes"),
        ("max_stops = 0", "max_stops"),
        ("max_minutes = 0", "max_minutes"),
    ],
)
def test_bad_cover_minutes_is_a_config_error(tmp_path, lines, message):
    with pytest.raises(ConfigError, match=message):
        load_county_config(config_text(tmp_path, lines))


def test_cover_minutes_reaches_the_spec(tmp_path):
    import geopandas as gpd
    from test_county_cli import DATA

    from optimizer.inputs.spec import county_spec as spec_of

    lines = "cover_minutes = 15\nmax_stops = 4\nmax_minutes = 200"
    config = load_county_config(config_text(tmp_path, lines))
    sites = gpd.read_file(DATA, layer="sites")
    got = spec_of(config, sites).roaming
    assert (got.cover_minutes, got.max_stops, got.max_minutes) == (15.0, 4, 200.0)
    assert spec_of(load_county_config(config_text(tmp_path, "")), sites).roaming.cover_minutes == 0


def oracle_minutes(out, between, cover: float, max_stops=None, max_travel=np.inf) -> float:
    """The least total driving minutes serving every village once (brute force over every
    stop subset, split into routes and order): villages are the optional vertices and the
    customers of an m-CTP, a stop serving the villages within ``cover`` of it."""
    n = out.size
    distance = np.zeros((n + 1, n + 1))
    distance[0, 1:] = distance[1:, 0] = out
    distance[1:, 1:] = between
    near = {s + 1: {i for i in range(n) if i == s or between[s, i] <= cover} for s in range(n)}
    found = covering_tours(distance.tolist(), [], near, range(n), max_stops or n, max_travel)
    return found.length


@pytest.mark.parametrize("cover", [0.0, 6.0])
@pytest.mark.parametrize("seed", range(6))
def test_route_cost_minutes_equals_brute_force(seed, cover):
    demand, sites, travel, stops, out, between, _, _ = tiny(seed)
    spec = county_spec(
        roaming(10_000.0, cover, route_cost="minutes", day_cost=0.0, days=8), clinic_radius=1.0
    )
    plan = plan_county(demand, sites, travel, spec, stops)
    want = oracle_minutes(out, between, cover)
    assert cost(plan) == pytest.approx(want)
    assert plan.summary.roaming.roaming_cost == pytest.approx(want)
    assert plan.roaming.gap == pytest.approx(0.0, abs=1e-9)
    verify_county(plan, demand, sites, travel, spec, stops)


@pytest.mark.parametrize("seed", range(6))
def test_route_cost_minutes_with_limits_equals_brute_force(seed):
    demand, sites, travel, stops, out, between, _, cover = tiny(seed)
    max_travel = float(2 * out.max() + 5.0)
    limits = {"max_stops": 2, "max_minutes": max_travel, "days": 8}
    spec = county_spec(
        roaming(10_000.0, cover, route_cost="minutes", day_cost=0.0, **limits), clinic_radius=1.0
    )
    plan = plan_county(demand, sites, travel, spec, stops)
    want = oracle_minutes(out, between, cover, 2, max_travel)
    assert cost(plan) == pytest.approx(want)
    assert (plan.routes["n_stops"] <= 2).all()
    verify_county(plan, demand, sites, travel, spec, stops)


def test_route_cost_minutes_verifier_recomputes_the_cost():
    demand, sites, travel, stops, _, _, _, cover = tiny(3)
    spec = county_spec(
        roaming(10_000.0, cover, route_cost="minutes", day_cost=0.0, days=8), clinic_radius=1.0
    )
    plan = plan_county(demand, sites, travel, spec, stops)
    verify_county(plan, demand, sites, travel, spec, stops)
    by_days = replace(spec, roaming=replace(spec.roaming, route_cost="vehicle_day", day_cost=1.0))
    with pytest.raises(VerificationError, match="cost"):
        verify_county(plan, demand, sites, travel, by_days, stops)


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ('route_cost = "minutes"', 'route_cost is "minutes": .* day_cost 100000'),
        ('route_cost = "hours"', "route_cost"),
    ],
)
def test_bad_route_cost_is_a_config_error(tmp_path, lines, message):
    with pytest.raises(ConfigError, match=message):
        load_county_config(config_text(tmp_path, lines))


def test_route_cost_reaches_the_spec(tmp_path):
    import geopandas as gpd
    from test_county_cli import DATA

    from optimizer.inputs.spec import county_spec as spec_of

    sites = gpd.read_file(DATA, layer="sites")
    path = config_text(tmp_path, 'route_cost = "minutes"')
    with open(path, encoding="utf-8") as handle:
        text = handle.read().replace("day_cost = 100000", "")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    config = load_county_config(path)
    assert spec_of(config, sites).roaming.route_cost == "minutes"
    default = load_county_config(config_text(tmp_path, ""))
    assert spec_of(default, sites).roaming.route_cost == "vehicle_day"


@pytest.mark.parametrize("visits", [1, 2])
@pytest.mark.parametrize("seed", range(6))
def test_prove_with_branching_alone_equals_brute_force(seed, visits, monkeypatch):
    """With ``prove``, the closing search off and the pool from pricing only (exact pricing
    under the stop limit), the plan equals brute force, the bound never passes it, and with
    one visit per village the gap closes."""
    from optimizer.solve import roaming as search

    monkeypatch.setattr(search, "CLOSE_ROUTES", 0)
    monkeypatch.setattr(search, "EXACT_PRICING", 0)
    demand, sites, travel, stops, out, between, day, cover = tiny(seed)
    limits = {"max_stops": 2, "days": 3 * visits + 2, "prove": True}
    spec = county_spec(roaming(day, cover, visits, **limits), clinic_radius=1.0)
    plan = plan_county(demand, sites, travel, spec, stops)
    want = brute_days(out, between, day, cover, visits, 2 * limits["days"], 2)
    assert cost(plan) == pytest.approx(DAY_COST * want)
    assert plan.roaming.bound <= DAY_COST * want + 1e-6
    if visits == 1:
        assert plan.roaming.gap == pytest.approx(0.0, abs=1e-9)
    verify_county(plan, demand, sites, travel, spec, stops)


def test_prove_reaches_the_spec(tmp_path):
    import geopandas as gpd
    from test_county_cli import DATA

    from optimizer.inputs.spec import county_spec as spec_of

    sites = gpd.read_file(DATA, layer="sites")
    assert spec_of(load_county_config(config_text(tmp_path, "prove = true")), sites).roaming.prove
    assert not spec_of(load_county_config(config_text(tmp_path, "")), sites).roaming.prove
