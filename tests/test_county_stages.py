"""County stages that stop early: each stage's status, value, bound, gap and the value later
stages held, written and verified. Stages are stopped deterministically (a MIP gap or a node
limit), never by wall time."""

from __future__ import annotations

import copy
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyomo.environ as pyo
import pytest
from test_error_catalogue import Case
from typer.testing import CliRunner

import geodata
from benchmarks.stages import county_spec
from geodata.synthetic import synthetic_county
from optimizer.cli import app
from optimizer.outputs.report import markdown_report, report_blocks
from optimizer.plan.county import plan_county
from optimizer.solve.pyomo_highs import solve_pyomo
from optimizer.verify import VerificationError
from optimizer.verify.county import verify_county

# A county whose travel stage stops at a 20 % MIP gap; the cost stage after it keeps
# searching and ends with less travel than the value it held (the shortfall stage, last,
# staffs the plan the others chose).
ORDER = ("coverage", "new_sites", "travel", "cost", "shortfall")
VILLAGES, SITES, SEED, GAP = 200, 30, 2, 0.2


@pytest.fixture(scope="module")
def county():
    c = synthetic_county(VILLAGES, SITES, seed=SEED)
    travel = geodata.straight_line_minutes(
        c.demand, c.sites, speed_kmh=30, circuity=1.0, max_minutes=60
    )
    return c.demand, c.sites, travel


@pytest.fixture(scope="module")
def stopped(county):
    demand, sites, travel = county
    return plan_county(demand, sites, travel, county_spec(mip_gap=GAP, stages=ORDER))


def test_a_stage_stopped_at_its_gap_ends_better_than_held_and_verifies(county, stopped):
    demand, sites, travel = county
    plan = stopped
    verify_county(plan, demand, sites, travel, county_spec(mip_gap=GAP, stages=ORDER))
    by_stage = {r.stage: r for r in plan.stages}
    travel_stage = by_stage["travel"]
    assert travel_stage.status == "mip_gap" and travel_stage.stopped_early
    # the later cost stage found a plan with less travel than the travel stage held
    assert travel_stage.objective < travel_stage.held * (1 - 1e-6)
    assert travel_stage.objective >= travel_stage.bound - 1e-6 * abs(travel_stage.bound)
    assert travel_stage.gap == pytest.approx(
        abs(travel_stage.objective - travel_stage.bound) / travel_stage.objective
    )
    assert np.isnan(plan.stages[-1].held) and np.isfinite(plan.stages[0].held)
    warning = plan.summary.warning
    assert "stage travel stopped at the requested mip_gap" in warning
    assert "later stages held travel at" in warning and "and the plan gives" in warning
    report = markdown_report(report_blocks(plan, county_spec(mip_gap=GAP, stages=ORDER), title="t"))
    assert "> **Warning:** " in report and "later stages held travel at" in report
    assert "held by later stages" in report


def test_a_proven_plan_holds_each_stage_at_its_optimum(county, stopped):
    demand, sites, travel = county
    plan = plan_county(demand, sites, travel, county_spec())
    assert [r.status for r in plan.stages] == ["optimal"] * len(plan.stages)
    for r in plan.stages[:-1]:
        assert r.objective == pytest.approx(r.held, rel=2e-6, abs=1e-6)
    assert plan.summary.warning == ""
    assert "warning" not in set(plan.summary.to_frame()["item"])
    # the proven plan is at least as good on the first stage that stopped early
    first = next(k for k, r in enumerate(stopped.stages) if r.stopped_early)
    for proven, early in zip(plan.stages[:first], stopped.stages[:first], strict=True):
        assert proven.objective == pytest.approx(early.objective, rel=1e-6)


def tampered(plan, stage: str, **changes):
    out = copy.copy(plan)
    out.stages = [replace(r, **changes) if r.stage == stage else r for r in plan.stages]
    return out


@pytest.mark.parametrize(
    "stage, changes, problem",
    [
        ("travel", {"objective": 1.0}, r"stage travel: objective 1\.0, plan gives"),
        ("travel", {"held": 1.0}, r"stage travel: plan gives .*, worse than the 1\.0 later"),
        (
            "coverage",
            {"held": 1e12},
            r"stage coverage: plan gives .*, worse than the 1000000000000\.0",
        ),
        (
            "travel",
            {"bound": 1e15},
            r"stage travel: plan gives .*, beyond its bound 1000000000000000\.0",
        ),
        ("coverage", {"bound": 1.0}, r"stage coverage: plan gives .*, beyond its bound 1\.0"),
        ("travel", {"gap": 0.9}, r"stage travel: gap 0\.9, recomputed"),
        ("travel", {"status": "optimal"}, r"stage travel: status optimal with a gap of"),
    ],
    ids=["value", "held-min", "held-max", "bound-min", "bound-max", "gap", "optimal-gap"],
)
def test_the_verifier_reports_each_broken_stage_promise(county, stopped, stage, changes, problem):
    demand, sites, travel = county
    with pytest.raises(VerificationError, match=problem):
        verify_county(tampered(stopped, stage, **changes), demand, sites, travel, county_spec())


def market_split(n: int = 20, rows: int = 3, seed: int = 0) -> pyo.ConcreteModel:
    """Least total deviation of 0-1 sums from half their row totals (Cornuejols and Dawande's
    market split): hard for branch and bound, with a plan at the root."""
    a = np.random.default_rng(seed).integers(0, 100, (rows, n))
    m = pyo.ConcreteModel()
    m.x = pyo.Var(range(n), domain=pyo.Binary)
    m.up = pyo.Var(range(rows), bounds=(0, None))
    m.down = pyo.Var(range(rows), bounds=(0, None))
    m.split = pyo.Constraint(
        range(rows),
        rule=lambda m, r: (
            sum(int(a[r, j]) * m.x[j] for j in range(n)) + m.up[r] - m.down[r]
            == int(a[r].sum() // 2)
        ),
    )
    m.deviation = pyo.Objective(expr=sum(m.up[r] + m.down[r] for r in range(rows)))
    return m


def test_a_node_limit_stops_the_search_with_a_plan_and_its_gap():
    limited = solve_pyomo(market_split(), time_limit=600, mip_gap=0.0, node_limit=1)
    assert limited.status == "node_limit" and limited.nodes == 1
    assert np.isfinite(limited.objective) and limited.gap > 0
    proven = solve_pyomo(market_split(), time_limit=600, mip_gap=0.0)
    assert proven.status == "optimal" and proven.nodes > 1
    assert proven.bound >= limited.bound - 1e-9 and proven.objective <= limited.objective


def write_config(folder: Path, extra: str = "") -> str:
    """The test county (with its boundary) as a GeoPackage and the error catalogue's county
    config set to this module's targets (the travel stage stops at a 20 % gap)."""
    case = Case(synthetic_county(VILLAGES, SITES, seed=SEED), folder)
    case.write_county()
    config = case.config
    for before, after in (
        ("speed_kmh = 30\nmax_minutes = 90", "speed_kmh = 30\ncircuity = 1.0\nmax_minutes = 60"),
        ("count = [1, 4]", "share = 0.5\ncount = [4, 6]"),
        ("radius = 20", "radius = 15"),
        ('fixed_kinds = ["township_centre"]\nshare = 0.5', "share = 0.8\ncount = [8, 20]"),
        ("[districts]\nmax_minutes = 90", "[districts]\nmax_minutes = 60"),
        ("time_limit = 20", f"time_limit = 600\nmip_gap = {GAP}\nstages = {list(ORDER)}"),
    ):
        assert before in config, before
        config = config.replace(before, after)
    path = folder / "plan.toml"
    path.write_text(config + extra, encoding="utf-8")
    return str(path)


def test_a_county_run_with_a_gap_writes_each_stage_and_says_what_was_held(tmp_path):
    config = write_config(tmp_path)
    result = CliRunner().invoke(
        app, ["solve", config, "--out", str(tmp_path / "out"), "--lang", "en"]
    )
    assert result.exit_code == 0, result.output
    assert "travel mip_gap" in result.output
    stages = pd.read_csv(tmp_path / "out" / "stages.csv").set_index("stage")
    assert stages.loc["travel", "status"] == "mip_gap"
    assert stages.loc["travel", "objective"] < stages.loc["travel", "held"]
    assert np.isnan(stages["held"].iloc[-1])
    summary = pd.read_csv(tmp_path / "out" / "summary.csv").set_index("item")["value"]
    assert "later stages held travel at" in summary["warning"]


def test_a_sweep_flags_the_plan_a_limit_stopped(tmp_path):
    config = write_config(tmp_path, '\n[sweep]\n"solve.mip_gap" = [0.0, 0.2]\n')
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["solve", config, "--out", str(out), "--workers", "0", "--lang", "en"]
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "results.csv")
    assert list(table["status"]) == ["ok", "mip_gap"]
    assert list(table["solve_status"]) == ["optimal", "mip_gap"]
    assert "later stages held travel at" in table["error"].iloc[1]
    assert "1 not proven optimal" in result.output
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "## Plans not proven optimal" in report and "later stages held travel" in report
