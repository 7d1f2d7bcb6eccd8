"""plan_county agrees, stage by stage, with enumeration of every hub and clinic choice."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pytest
import scipy.sparse as sp

from geodata import InfeasibleError, TravelTimes
from models.county import StaffRule
from optimizer.county_spec import CountySpec, LevelSpec
from optimizer.plan.county import plan_county
from optimizer.verify.county import verify_county

CRS = "EPSG:32650"
KINDS = ("hospital", "centre", "candidate")


@dataclass
class Tiny:
    demand: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    travel: TravelTimes
    minutes: np.ndarray  # dense, inf = unreachable


def tiny_county(minutes: np.ndarray, population, kinds, cost=None) -> Tiny:
    """Point layers in EPSG:32650 and sparse travel times from a dense matrix (inf = absent).

    Zeros in ``minutes`` are stored explicitly: a zero-minute trip, not a missing pair.
    """
    minutes = np.asarray(minutes, dtype=float)
    n, m = minutes.shape
    demand = gpd.GeoDataFrame(
        {
            "id": [f"V{i + 1}" for i in range(n)],
            "name": [f"village {i + 1}" for i in range(n)],
            "population": np.asarray(population, dtype=float),
        },
        geometry=gpd.points_from_xy(700_000 + 1000 * np.arange(n), np.full(n, 3_000_000.0)),
        crs=CRS,
    )
    sites = gpd.GeoDataFrame(
        {
            "id": [f"S{j + 1}" for j in range(m)],
            "name": [f"site {j + 1}" for j in range(m)],
            "kind": list(kinds),
            "fixed_cost": np.zeros(m) if cost is None else np.asarray(cost, dtype=float),
        },
        geometry=gpd.points_from_xy(700_000 + 1000 * np.arange(m), np.full(m, 3_005_000.0)),
        crs=CRS,
    )
    rows, cols = np.nonzero(np.isfinite(minutes))
    matrix = sp.csr_array((minutes[rows, cols], (rows, cols)), shape=(n, m))
    travel = TravelTimes(
        matrix, demand["id"].to_numpy(dtype=str), sites["id"].to_numpy(dtype=str), "test"
    )
    return Tiny(demand, sites, travel, minutes)


def _mask(ids, site_ids) -> np.ndarray:
    return np.isin(site_ids, list(ids))


def brute_force(tiny: Tiny, spec: CountySpec) -> dict[str, float] | None:
    """Lexicographic optimum of every stage that places sites by enumerating each site's
    level, None if no plan meets the targets."""
    t = tiny.minutes
    n, m = t.shape
    pop = tiny.demand["population"].to_numpy(dtype=float)
    site_ids = tiny.sites["id"].to_numpy(dtype=str)
    kind = tiny.sites["kind"].to_numpy(dtype=str)

    def level_masks(lv: LevelSpec):
        fixed = _mask(lv.fixed, site_ids) | np.isin(kind, list(lv.fixed_kinds))
        return fixed, np.isin(kind, list(lv.kinds)) | fixed, _mask(lv.barred, site_ids)

    hub_fixed, can_hub, hub_barred = level_masks(spec.hub)
    clinic_fixed, can_clinic, clinic_barred = level_masks(spec.clinic)
    existing = hub_fixed | clinic_fixed
    may_hub = can_hub & ~hub_barred
    may_clinic = (can_clinic | can_hub) & ~clinic_barred
    may_open = may_hub | may_clinic
    cost = tiny.sites["fixed_cost"].to_numpy(dtype=float)
    hub_cost = cost if spec.hub.cost_column else np.zeros(m)
    clinic_cost = cost if spec.clinic.cost_column else np.zeros(m)
    d_limit = spec.district_minutes or spec.hub.radius
    s_limit = spec.service_minutes or d_limit

    def near(limit: float, sites: np.ndarray) -> np.ndarray:
        """Per unit, minutes to the nearest site of the mask within ``limit`` (inf if none)."""
        masked = np.where(sites[None, :] & (t <= limit), t, np.inf)
        return masked.min(axis=1)

    hub_target = np.isfinite(near(spec.hub.radius, may_hub))
    clinic_target = np.isfinite(near(spec.clinic.radius, may_open))
    d_reach = np.isfinite(near(d_limit, may_hub))
    s_reach = np.isfinite(near(s_limit, may_open))

    rows = []
    for choice in itertools.product((0, 1, 2), repeat=m):  # closed, clinic, hub
        c = np.asarray(choice)
        hub, clinic = c == 2, c == 1
        is_open = hub | clinic
        if (hub & ~may_hub).any() or (clinic & ~may_clinic).any():
            continue
        if (hub_fixed & ~hub).any() or (clinic_fixed & ~is_open).any():
            continue
        new_hub, new_clinic = hub & ~hub_fixed, clinic & ~existing
        counts = (
            (hub.sum(), spec.hub.count),
            (new_hub.sum(), spec.hub.new),
            (clinic.sum(), spec.clinic.count),
            (new_clinic.sum(), spec.clinic.new),
        )
        if any(r is not None and not r[0] <= v <= r[1] for v, r in counts):
            continue
        build = float(hub_cost[new_hub].sum() + clinic_cost[new_clinic].sum())
        if spec.budget is not None and build > spec.budget:
            continue
        coverage = 0.0
        ok = True
        for lv, target, open_ in (
            (spec.hub, hub_target, hub),
            (spec.clinic, clinic_target, is_open),
        ):
            covered = target & np.isfinite(near(lv.radius, open_))
            if lv.share is None:
                ok &= bool((covered == target).all())
            else:
                coverage += pop[covered].sum()
                ok &= pop[covered].sum() >= lv.share * pop[target].sum() - 1e-9
        d_min, s_min = near(d_limit, hub), near(s_limit, is_open)
        ok &= bool(np.isfinite(d_min[d_reach]).all() and np.isfinite(s_min[s_reach]).all())
        if not ok:
            continue
        travel = float(pop[d_reach] @ d_min[d_reach] + pop[s_reach] @ s_min[s_reach])
        rows.append(
            {
                "coverage": coverage,
                "new_sites": float(new_hub.sum() + new_clinic.sum()),
                "cost": build,
                "travel": travel,
            }
        )
    if not rows:
        return None
    best = {}
    for stage in [s for s in spec.stages if s != "shortfall"]:  # shortfall: plan_staffing
        sign = -1.0 if stage == "coverage" else 1.0
        value = min(sign * r[stage] for r in rows) * sign
        best[stage] = value
        slack = spec.tolerance * max(1.0, abs(value))
        rows = [r for r in rows if abs(r[stage] - value) <= slack]
    return best


def whole_posts(need: np.ndarray, pool: float) -> tuple[float, float]:
    """Least shortfall in whole posts and the persons it takes when sites of ``need``
    (persons) get whole posts, each site's need rounded up, at most ``pool`` in all."""
    posts = float(np.ceil(need - 1e-6).sum())
    pool = np.floor(pool + 1e-9) if np.isfinite(pool) else np.inf
    return max(posts - pool, 0.0), float(min(posts, pool))


def plan_staffing(plan, spec: CountySpec) -> tuple[float, float]:
    """Shortfall and persons placed of the plan's own sites and populations served."""
    level = plan.sites["level"].to_numpy()
    served = plan.sites["population_served"].to_numpy(dtype=float)
    short = placed = 0.0
    for r in spec.staff:
        minimum = np.where(level == "hub", r.min_hub, np.where(level == "clinic", r.min_clinic, 0))
        s, p = whole_posts(np.where(level != "", r.per_person * served + minimum, 0.0), r.pool)
        short, placed = short + s, placed + p
    return short, placed


def random_case(seed: int) -> tuple[Tiny, CountySpec]:
    """7 units, 5 sites, random minutes (some absent, some zero), levels and targets."""
    rng = np.random.default_rng(seed)
    n, m = 7, 5
    minutes = rng.integers(0, 45, size=(n, m)).astype(float)
    minutes[rng.random((n, m)) < 0.3] = np.inf
    kinds = ["hospital"] + list(rng.choice(KINDS[1:], size=m - 1))
    pop = rng.integers(100, 3000, size=n)
    cost = rng.integers(1, 10, size=m) * 1e5
    tiny = tiny_county(minutes, pop, kinds, cost)
    ids = [f"S{j + 1}" for j in range(m)]
    barred = tuple(rng.choice(ids[1:], size=rng.integers(0, 2), replace=False))
    hub_count = None
    if rng.random() < 0.5:
        lo = int(rng.integers(1, 3))
        hub_count = (lo, lo + int(rng.integers(0, 3)))
    hub = LevelSpec(
        radius=float(rng.choice([20, 30, 40])),
        kinds=("centre",),
        fixed_kinds=("hospital",),
        share=None if rng.random() < 0.5 else float(rng.choice([0.5, 0.8, 1.0])),
        count=hub_count,
        barred=barred if rng.random() < 0.5 else (),
        cost_column="fixed_cost" if seed % 3 == 0 else None,
    )
    clinic = LevelSpec(
        radius=float(rng.choice([10, 15, 25])),
        kinds=("candidate", "centre"),
        share=None if rng.random() < 0.3 else float(rng.choice([0.3, 0.6, 0.9])),
        new=None if rng.random() < 0.5 else (0, int(rng.integers(1, 4))),
        barred=barred if rng.random() < 0.5 else (),
        cost_column="fixed_cost" if seed % 3 == 0 else None,
    )
    staff = (
        StaffRule("doctors", 2e-3, min_hub=3, min_clinic=1, pool=float(rng.integers(5, 40))),
        StaffRule("nurses", 3e-3, min_hub=2, pool=float("inf")),
    )
    spec = CountySpec(
        hub=hub,
        clinic=clinic,
        district_minutes=float(rng.choice([30, 45])),
        service_minutes=float(rng.choice([30, 45])),
        budget=float(rng.integers(2, 20)) * 1e5 if seed % 3 == 0 else None,
        staff=staff,
    )
    return tiny, spec


def check_against_brute_force(tiny: Tiny, spec: CountySpec) -> None:
    best = brute_force(tiny, spec)
    if best is None:
        with pytest.raises(InfeasibleError):
            plan_county(tiny.demand, tiny.sites, tiny.travel, spec)
        return
    plan = plan_county(tiny.demand, tiny.sites, tiny.travel, spec)
    verify_county(plan, tiny.demand, tiny.sites, tiny.travel, spec)
    got = {r.stage: r.objective for r in plan.stages}
    assert all(r.status == "optimal" for r in plan.stages)
    if spec.stages[-1] == "shortfall":  # the staff of the plan the other stages chose
        best["shortfall"], placed = plan_staffing(plan, spec)
        if spec.staff:
            best["moves"] = placed
    for stage, value in best.items():
        if stage == "coverage" and stage not in got:
            assert spec.hub.share is None and spec.clinic.share is None
            continue
        assert got[stage] == pytest.approx(value, rel=1e-5, abs=1e-5), stage


@pytest.mark.parametrize("seed", range(40))
def test_random_tiny_counties_match_enumeration(seed):
    tiny, spec = random_case(seed)
    check_against_brute_force(tiny, spec)


def test_hand_made_county_every_stage():
    inf = np.inf
    minutes = [
        [0, 12, inf, 30, 25],
        [8, 20, 35, inf, 18],
        [25, 0, 14, 40, inf],
        [inf, 10, 6, 22, 33],
        [30, inf, 28, 5, 9],
        [40, 33, inf, 12, 0],
        [22, 18, 11, inf, 16],
    ]
    tiny = tiny_county(
        minutes,
        [5000, 800, 1200, 400, 900, 1500, 700],
        ["hospital", "centre", "candidate", "centre", "candidate"],
        [0, 3e5, 2e5, 4e5, 1e5],
    )
    spec = CountySpec(
        hub=LevelSpec(
            radius=25, kinds=("centre",), fixed_kinds=("hospital",), count=(1, 3), share=0.9
        ),
        clinic=LevelSpec(
            radius=15, kinds=("candidate", "centre"), share=0.8, cost_column="fixed_cost"
        ),
        district_minutes=40,
        budget=6e5,
        staff=(StaffRule("doctors", 3e-3, min_hub=4, min_clinic=1, pool=25.0),),
    )
    check_against_brute_force(tiny, spec)


def test_zero_minute_pairs_count_as_reachable():
    minutes = np.array([[0.0, np.inf], [np.inf, 0.0], [5.0, 0.0]])
    tiny = tiny_county(minutes, [100, 200, 300], ["hospital", "candidate"])
    assert tiny.travel.minutes.nnz == 4
    spec = CountySpec(
        hub=LevelSpec(radius=10, kinds=(), fixed_kinds=("hospital",)),
        clinic=LevelSpec(radius=1, kinds=("candidate",)),
        district_minutes=10,
        service_minutes=1,
        staff=(),
    )
    plan = plan_county(tiny.demand, tiny.sites, tiny.travel, spec)
    assert plan.sites["level"].tolist() == ["hub", "clinic"]
    assert plan.assignments["minutes"].tolist() == [0.0, 0.0, 0.0]
    check_against_brute_force(tiny, spec)
