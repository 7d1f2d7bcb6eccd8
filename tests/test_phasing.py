"""Phased county plans agree with enumeration of every opening schedule on tiny counties."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from test_county_bruteforce import tiny_county

from geodata import InfeasibleError
from models.county import StaffRule
from optimizer.batch.task import county_metrics
from optimizer.county_spec import CountySpec, LevelSpec, PhasesSpec
from optimizer.plan.county import plan_county
from optimizer.plan.county_result import CountyRun
from optimizer.verify import VerificationError
from optimizer.verify.county import verify_county

KINDS = ["hospital", "centre", "centre", "candidate"]
ORDER = ("coverage", "person_years", "cost")
YEARS = (2021, 2022, 2023)


def instance(seed: int):
    """A random county of 6 villages and 4 sites (a hospital that is a hub already, two
    centres that may become hubs or clinics, a candidate clinic), every village within
    reach of the hospital's district and service area, with build costs per level."""
    rng = np.random.default_rng(seed)
    minutes = rng.uniform(2, 40, size=(6, 4)).round(1)
    minutes[:, 0] = rng.uniform(20, 90, size=6).round(1)
    population = rng.integers(200, 3000, size=6).astype(float)
    tiny = tiny_county(minutes, population, KINDS)
    tiny.sites["hub_cost"] = [0.0, *rng.integers(20, 60, size=2), 0.0]
    tiny.sites["clinic_cost"] = [0.0, *rng.integers(5, 25, size=3)]
    return tiny, rng


def spec_for(rng, population: np.ndarray, budget) -> CountySpec:
    growth = rng.uniform(-0.03, 0.05, size=population.size)
    return CountySpec(
        hub=LevelSpec(
            radius=15,
            kinds=("centre",),
            fixed_kinds=("hospital",),
            share=float(rng.choice([0.0, 0.4, 0.6])),
            cost_column="hub_cost",
        ),
        clinic=LevelSpec(
            radius=12,
            kinds=("centre", "candidate"),
            fixed_kinds=("hospital",),
            share=float(rng.choice([0.3, 0.6, 0.9])),
            cost_column="clinic_cost",
        ),
        district_minutes=100,
        service_minutes=100,
        staff=(),
        stages=ORDER,
        phases=PhasesSpec(
            YEARS,
            population * (1 + growth) ** np.arange(len(YEARS))[:, None],
            np.asarray(budget, dtype=float),
        ),
    )


def brute_force(tiny, spec: CountySpec) -> tuple[float, float, float] | None:
    """(coverage, person-years, build cost) of the lexicographic optimum over every
    schedule (each site's level per year, never going down), None when none is feasible."""
    t = tiny.minutes
    pop = spec.phases.population
    hub_cost = tiny.sites["hub_cost"].to_numpy(float)
    clinic_cost = tiny.sites["clinic_cost"].to_numpy(float)
    reach_h = t[:, 1:3] <= spec.hub.radius  # possible hubs: the two centres (and the hospital)
    near_h = t <= spec.hub.radius
    near_c = t <= spec.clinic.radius
    target_h = near_h[:, :3].any(axis=1)
    target_c = near_c.any(axis=1)
    assert reach_h.shape[1] == 2

    def covered(level):
        hub = np.array([True, level[0] == 2, level[1] == 2, False])
        site = np.array([True, level[0] >= 1, level[1] >= 1, level[2] >= 1])
        return (near_h & hub).any(axis=1), (near_c & site).any(axis=1)

    def cost(level):
        return sum(
            hub_cost[j + 1] if lv == 2 else clinic_cost[j + 1] if lv == 1 else 0.0
            for j, lv in enumerate(level)
        )

    ladders = [
        [s for s in itertools.combinations_with_replacement(range(top + 1), len(YEARS))]
        for top in (2, 2, 1)
    ]
    best = None
    for schedule in itertools.product(*ladders):
        per_year = [tuple(s[y] for s in schedule) for y in range(len(YEARS))]
        spent = [cost(level) for level in per_year]
        if any(
            b - a > spec.phases.budget[y] + 1e-9
            for y, (a, b) in enumerate(zip([0.0, *spent[:-1]], spent, strict=True))
        ):
            continue
        final_h, final_c = covered(per_year[-1])
        last = pop[-1]
        if last[final_h & target_h].sum() < spec.hub.share * last[target_h].sum() - 1e-6:
            continue
        if last[final_c & target_c].sum() < spec.clinic.share * last[target_c].sum() - 1e-6:
            continue
        coverage = last[final_h].sum() + last[final_c].sum()
        person_years = sum(
            pop[y][h].sum() + pop[y][c].sum() for y, (h, c) in enumerate(map(covered, per_year))
        )
        key = (-coverage, -person_years, spent[-1])
        if best is None or key < best:
            best = key
    return None if best is None else (-best[0], -best[1], best[2])


def solved(tiny, spec):
    plan = plan_county(tiny.demand, tiny.sites, tiny.travel, spec)
    return plan, {r.stage: r.objective for r in plan.stages}


@pytest.mark.parametrize("seed", range(12))
def test_the_phased_plan_is_the_lexicographic_optimum_of_every_schedule(seed):
    tiny, rng = instance(seed)
    budget = rng.choice([0.0, 15.0, 30.0, 60.0], size=len(YEARS))
    spec = spec_for(rng, tiny.demand["population"].to_numpy(float), budget)
    want = brute_force(tiny, spec)
    if want is None:
        with pytest.raises(InfeasibleError):
            plan_county(tiny.demand, tiny.sites, tiny.travel, spec)
        return
    plan, got = solved(tiny, spec)
    assert got["coverage"] == pytest.approx(want[0], rel=1e-6)
    assert got["person_years"] == pytest.approx(want[1], rel=1e-6)
    assert got["cost"] == pytest.approx(want[2], abs=1e-6)
    table = plan.phasing
    assert table["spending"].sum() == pytest.approx(plan.summary.build_cost)
    assert (table["spending"].to_numpy() <= budget + 1e-6).all()
    per_year = table["hub_population"] + table["clinic_population"]
    assert per_year.sum() == pytest.approx(want[1], rel=1e-6)


def test_the_brute_force_meets_feasible_and_infeasible_budgets():
    """The sweep above must include both plans and budgets no schedule meets."""
    outcomes = set()
    for seed in range(12):
        tiny, rng = instance(seed)
        budget = rng.choice([0.0, 15.0, 30.0, 60.0], size=len(YEARS))
        spec = spec_for(rng, tiny.demand["population"].to_numpy(float), budget)
        outcomes.add(brute_force(tiny, spec) is None)
    assert outcomes == {True, False}


def test_a_year_with_zero_budget_opens_nothing():
    tiny, rng = instance(3)
    spec = spec_for(rng, tiny.demand["population"].to_numpy(float), [0.0, 80.0, 80.0])
    plan, _got = solved(tiny, spec)
    first = plan.phasing.iloc[0]
    assert first["spending"] == 0
    assert first["new_hubs"] == 0 and first["new_clinics"] == 0
    assert (plan.sites["open_year"].dropna() > YEARS[0]).all()
    assert plan.phasing["new_hubs"].sum() + plan.phasing["new_clinics"].sum() > 0


def test_open_year_hub_year_and_the_table_agree_and_tampering_is_caught():
    tiny, rng = instance(5)
    spec = spec_for(rng, tiny.demand["population"].to_numpy(float), [20.0, 30.0, 60.0])
    plan, _got = solved(tiny, spec)
    opened = plan.sites["open_year"].notna()
    assert (plan.sites.loc[opened, "status"] == "new").all()
    for y, year in enumerate(YEARS):
        row = plan.phasing.iloc[y]
        new = (plan.sites["open_year"] == year) & (plan.sites["hub_year"] != year).fillna(True)
        assert row["new_clinics"] == int(new.sum())
        assert row["new_hubs"] == int((plan.sites["hub_year"] == year).sum())
    late = plan.sites.copy()
    moved = opened.idxmax() if opened.any() else None
    if moved is not None:
        late.loc[moved, "open_year"] = YEARS[-1] + 1
        tampered = type(plan)(**{**plan.__dict__, "sites": late})
        with pytest.raises(VerificationError, match="open_year"):
            verify_county(tampered, tiny.demand, tiny.sites, tiny.travel, spec)
    table = plan.phasing.copy()
    table.loc[0, "spending"] += 1.0
    tampered = type(plan)(**{**plan.__dict__, "phasing": table})
    with pytest.raises(VerificationError, match="spending"):
        verify_county(tampered, tiny.demand, tiny.sites, tiny.travel, spec)


def _cheapest(seed: int) -> tuple:
    """A county whose targets need new sites, and the cost of its cheapest plan (yuan)."""
    tiny, rng = instance(seed)
    spec = spec_for(rng, tiny.demand["population"].to_numpy(float), [1e9] * len(YEARS))
    spec = CountySpec(**{**spec.__dict__, "stages": ("cost",)})
    cost = solved(tiny, spec)[1]["cost"]
    assert cost > 0
    return tiny, spec, cost


def test_budgets_below_the_cheapest_plan_name_the_period_and_the_sum():
    tiny, spec, cost = _cheapest(1)
    short = cost / len(YEARS) * 0.9
    phases = PhasesSpec(YEARS, spec.phases.population, np.full(len(YEARS), short))
    with pytest.raises(InfeasibleError) as caught:
        plan_county(
            tiny.demand, tiny.sites, tiny.travel, CountySpec(**{**spec.__dict__, "phases": phases})
        )
    message = str(caught.value)
    assert "2021-2023" in message
    assert f"{short * len(YEARS):,.0f}" in message and f"{cost:,.0f}" in message


def one_candidate(clinic_cost: float, staff=(), stages=ORDER):
    """Three villages that only a candidate clinic (``clinic_cost`` yuan) reaches within the
    clinic radius, a hospital far from them, a 90 % clinic target; and the spec for yearly
    budgets and hiring caps."""
    tiny = tiny_county([[50, 5], [60, 8], [55, 3]], [1000, 2000, 1500], ["hospital", "candidate"])
    tiny.sites["clinic_cost"] = [0.0, clinic_cost]
    population = np.tile(tiny.demand["population"].to_numpy(float), (len(YEARS), 1))

    def spec(budgets, hires=None):
        return CountySpec(
            hub=LevelSpec(radius=90, kinds=(), fixed_kinds=("hospital",)),
            clinic=LevelSpec(
                radius=10,
                kinds=("candidate",),
                fixed_kinds=("hospital",),
                share=0.9,
                cost_column="clinic_cost",
            ),
            staff=staff,
            stages=stages,
            phases=PhasesSpec(
                YEARS, population, np.asarray(budgets, dtype=float), hires=hires or {}
            ),
        )

    return tiny, spec


def test_a_site_no_single_year_can_pay_names_the_binding_year():
    """The candidate costs 40 and no year's budget reaches 40, though the three years add up
    to 50."""
    tiny, spec = one_candidate(40.0)
    with pytest.raises(InfeasibleError) as caught:
        plan_county(tiny.demand, tiny.sites, tiny.travel, spec([25.0, 15.0, 10.0]))
    assert "2021" in str(caught.value) and "25" in str(caught.value)
    assert "binding" in str(caught.value)
    plan = plan_county(tiny.demand, tiny.sites, tiny.travel, spec([25.0, 40.0, 0.0]))
    assert plan.phasing["spending"].tolist() == [0.0, 40.0, 0.0]
    assert plan.sites["open_year"].tolist()[1] == 2022


def test_yearly_hiring_caps_bound_the_hires_and_come_as_early_as_they_allow():
    rule = StaffRule("doctors", 0.0, min_hub=5, min_clinic=5)
    tiny, spec_of = one_candidate(10.0, staff=(rule,), stages=(*ORDER, "shortfall"))
    spec = spec_of([10.0] * len(YEARS), {"doctors": (1.0, 2.0, 4.0)})
    plan = plan_county(tiny.demand, tiny.sites, tiny.travel, spec)
    row = plan.staffing.set_index("staff_type").loc["doctors"]
    assert (row["need"], row["hired"], row["shortfall"]) == (10.0, 7.0, 3.0)
    assert plan.phasing["hired_doctors"].tolist() == [1.0, 2.0, 4.0]
    early = spec_of([10.0] * len(YEARS), {"doctors": (8.0, 8.0, 8.0)})
    plan = plan_county(tiny.demand, tiny.sites, tiny.travel, early)
    assert plan.phasing["hired_doctors"].tolist() == [8.0, 2.0, 0.0]
    table = plan.phasing.copy()
    table["hired_doctors"] = [9.0, 1.0, 0.0]
    tampered = type(plan)(**{**plan.__dict__, "phasing": table})
    with pytest.raises(VerificationError, match="hired_doctors"):
        verify_county(tampered, tiny.demand, tiny.sites, tiny.travel, early)


def test_a_sweep_compares_phased_plans_by_their_person_years():
    tiny, rng = instance(5)
    population = tiny.demand["population"].to_numpy(float)
    late = spec_for(rng, population, [0.0, 0.0, 200.0])
    early = CountySpec(
        **{
            **late.__dict__,
            "phases": PhasesSpec(YEARS, late.phases.population, np.array([200.0, 0.0, 0.0])),
        }
    )
    figures = {}
    for name, spec in (("late", late), ("early", early)):
        plan, got = solved(tiny, spec)
        run = CountyRun(name=name, spec=spec, plan=plan, boundary=None, travel=tiny.travel)
        figures[name] = metrics = county_metrics(run)
        assert metrics["person_years"] == pytest.approx(got["person_years"], rel=1e-9)
        first = plan.phasing.iloc[0]
        assert metrics["first_year_hub_share"] == first["share_within_hub_radius"]
        assert metrics["first_year_clinic_share"] == first["share_within_clinic_radius"]
    assert figures["early"]["person_years"] > figures["late"]["person_years"]
    assert figures["early"]["hubs"] == figures["late"]["hubs"]
