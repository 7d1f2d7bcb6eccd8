"""Every county plan on generated counties passes the independent verifier."""

from __future__ import annotations

from functools import cache

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import geodata
from geodata import InfeasibleError, InputError
from models.county import StaffRule
from optimizer.county_spec import CountySpec, LevelSpec
from optimizer.plan.county import plan_county
from optimizer.verify.county import verify_county


@cache
def county(n_villages: int, n_sites: int, seed: int, speed: float):
    """A synthetic county with straight-line travel minutes (cut off at 60 minutes)."""
    c = geodata.synthetic_county(n_villages, n_sites, seed=seed)
    travel = geodata.straight_line_minutes(c.demand, c.sites, speed_kmh=speed, max_minutes=60)
    return c.demand, c.sites, travel


def sometimes(strategy, share: int = 3):
    """None in ``share`` of ``share + 1`` draws, else a value of ``strategy``."""
    return st.tuples(st.integers(0, share), strategy).map(lambda t: t[1] if t[0] == 0 else None)


def ranges(lo: int, hi: int):
    """None (free) or an inclusive (min, max) range with min in lo..hi."""
    return sometimes(st.tuples(st.integers(lo, hi), st.integers(0, 4))).map(
        lambda t: None if t is None else (t[0], t[0] + t[1])
    )


@st.composite
def cases(draw):
    n_sites = draw(st.integers(6, 12))
    n_villages = draw(st.integers(max(20, 2 * n_sites), 50))
    seed = draw(st.integers(0, 50))
    speed = draw(st.sampled_from([20.0, 30.0, 45.0]))
    demand, sites, travel = county(n_villages, n_sites, seed, speed)
    ids = sites["id"].astype(str).tolist()
    candidates = sites.loc[sites["kind"] == "candidate", "id"].astype(str).tolist()
    centres = sites.loc[sites["kind"] == "township_centre", "id"].astype(str).tolist()
    clinic_fixed_kinds = draw(st.sampled_from([(), ("township_centre",)]))
    barrable = candidates + (centres if not clinic_fixed_kinds else [])
    barred = tuple(draw(st.lists(st.sampled_from(barrable), max_size=2, unique=True)))
    hub_barred = tuple(draw(st.lists(st.sampled_from(centres), max_size=1))) if centres else ()
    hub_radius = draw(st.sampled_from([20.0, 30.0, 45.0]))
    balance = draw(sometimes(st.sampled_from([0.5, 1.0])))
    hub_count = draw(ranges(1, 4))
    if balance is not None and hub_count is None:
        hub_count = (1, 4)
    hub = LevelSpec(
        radius=hub_radius,
        kinds=("township_centre",),
        fixed_kinds=("county_hospital",),
        share=draw(st.none() | st.floats(0.0, 1.0)),
        count=hub_count,
        new=draw(ranges(0, 3)),
        barred=hub_barred,
    )
    clinic = LevelSpec(
        radius=draw(st.sampled_from([10.0, 15.0, 20.0])),
        kinds=("candidate", "township_centre"),
        fixed_kinds=clinic_fixed_kinds,
        share=draw(st.none() | st.floats(0.0, 1.0)),
        count=draw(ranges(0, 6)),
        new=draw(ranges(0, 6)),
        barred=barred,
        fixed=tuple(draw(st.lists(st.sampled_from(ids[1:]), max_size=1))) if not barred else (),
        cost_column="fixed_cost",
    )
    doctors_pool = draw(st.none() | st.floats(0.0, 300.0))
    staff = (
        StaffRule(
            "doctors",
            3.6e-3,
            min_hub=draw(st.sampled_from([0.0, 5.0])),
            min_clinic=draw(st.sampled_from([0.0, 2.0])),
            pool=float("inf") if doctors_pool is None else doctors_pool,
        ),
        StaffRule("nurses", 4.12e-3, pool=draw(st.floats(0.0, 500.0))),
    )
    spec = CountySpec(
        hub=hub,
        clinic=clinic,
        district_minutes=draw(st.none() | st.sampled_from([30.0, 60.0])),
        service_minutes=draw(st.none() | st.sampled_from([20.0, 40.0])),
        balance=balance,
        budget=draw(sometimes(st.floats(0.0, 1e8))),
        staff=staff,
        time_limit=20.0,
    )
    return demand, sites, travel, spec


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(cases())
def test_every_plan_passes_the_verifier(case):
    demand, sites, travel, spec = case
    try:
        plan = plan_county(demand, sites, travel, spec)
    except InputError as exc:  # a staff pool of 0 while the quota asks for staff
        assert "pool is 0 but the quota asks for" in str(exc)
        return
    except InfeasibleError as exc:
        message = str(exc)
        if message.startswith("budget: "):  # found before any solve
            assert "below the cheapest plan the counts allow" in message
            return
        assert message.lower().startswith("no plan meets all targets.")
        assert "relaxing any one of these would allow a plan:" in message or "together" in message
        assert "status" not in message
        return
    verify_county(plan, demand, sites, travel, spec)
    assert all(r.status in ("optimal", "time_limit") for r in plan.stages)
    short = sum(plan.sites[f"shortfall_{r.name}"].sum() for r in spec.staff)
    assert np.isclose(short, plan.summary.staff_shortfall)
