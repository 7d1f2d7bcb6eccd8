"""Solver limits: large numbers solve without HiGHS scaling warnings; a county stage that runs
out of time keeps a plan and says so; no plan at all says what to relax."""

from __future__ import annotations

import itertools

import highspy
import numpy as np
import pytest
from test_county_bruteforce import tiny_county

from geodata import SolverError
from optimizer import locate, verify_locate
from optimizer.county_spec import CountySpec, LevelSpec
from optimizer.outputs.report import markdown_report, report_blocks
from optimizer.plan.county import plan_county
from optimizer.solve.highs_run import MipSolution
from optimizer.solve.staged import StagedModel
from optimizer.verify.county import verify_county


@pytest.fixture
def highs_log(monkeypatch) -> list[str]:
    """Every line HiGHS logs during the test (its output is otherwise switched off)."""
    lines: list[str] = []
    run = highspy.Highs.run

    def logged_run(self):
        self.setOptionValue("output_flag", True)
        self.setOptionValue("log_to_console", False)
        self.cbLogging.clear()
        self.cbLogging += lambda event: lines.append(event.message)
        return run(self)

    monkeypatch.setattr(highspy.Highs, "run", logged_run)
    return lines


def big_instance(seed: int = 0):
    """Populations up to 1e7 persons, trips up to 1e4 minutes, fixed costs up to 1e9 yuan."""
    rng = np.random.default_rng(seed)
    n, m = 40, 12
    cost = rng.uniform(1.0, 1e4, (n, m))
    weights = rng.uniform(1.0, 1e7, n)
    fixed = rng.uniform(1e8, 1e9, m)
    return cost, weights, fixed


CASES = {
    "lscp": dict(radius=6000.0, fixed_costs=True),
    "mclp": dict(p=3, radius=2500.0),
    "p-median": dict(p=4),
    "p-center": dict(p=4),
    "capacitated": dict(fixed_costs=True, capacity_share=0.3),
}


@pytest.mark.parametrize("problem", list(CASES))
def test_large_numbers_solve_without_scaling_warnings(problem, highs_log):
    cost, weights, fixed = big_instance()
    args = dict(CASES[problem])
    if args.pop("fixed_costs", False):
        args["fixed_costs"] = fixed
    share = args.pop("capacity_share", None)
    if share is not None:
        args["capacities"] = np.full(cost.shape[1], weights.sum() * share)
    result = locate(problem, cost, weights=weights, time_limit=60, **args)
    assert result.status == "optimal"
    verify_locate(result, cost, weights=weights, **args)
    assert any("Coefficient ranges" in line for line in highs_log)  # the log was captured
    warnings = [line for line in highs_log if "WARNING" in line]
    assert warnings == []


def test_scaled_p_median_is_the_brute_force_optimum():
    cost, weights, _ = big_instance(1)
    cost, weights = cost[:14, :7], weights[:14]
    result = locate("p-median", cost, weights=weights, p=3, time_limit=60)
    best = min(
        float(weights @ cost[:, list(s)].min(axis=1)) for s in itertools.combinations(range(7), 3)
    )
    assert result.objective == pytest.approx(best, rel=1e-9)


INF = np.inf
MINUTES = [
    [0, 12, INF, 30],
    [8, 20, 35, INF],
    [25, 0, 14, 40],
    [INF, 10, 6, 22],
    [30, INF, 28, 5],
    [40, 33, INF, 12],
]


def big_county():
    """The tiny county with populations in the millions and build costs near 1e9 yuan."""
    population = [5e6, 8e5, 1.2e7, 4e5, 9e6, 1.5e6]
    cost = [0.0, 3e8, 9e8, 6e8]
    return tiny_county(MINUTES, population, ["hospital", "centre", "candidate", "centre"], cost)


def spec(**kw) -> CountySpec:
    return CountySpec(
        hub=LevelSpec(radius=10, kinds=("centre",), fixed_kinds=("hospital",)),
        clinic=LevelSpec(radius=15, kinds=("candidate", "centre"), cost_column="fixed_cost"),
        staff=(),
        **kw,
    )


def test_county_with_large_numbers_solves_without_scaling_warnings(highs_log):
    tiny = big_county()
    settings = spec(district_minutes=45, budget=2.5e9)
    plan = plan_county(tiny.demand, tiny.sites, tiny.travel, settings)
    verify_county(plan, tiny.demand, tiny.sites, tiny.travel, settings)
    assert all(r.status == "optimal" for r in plan.stages)
    assert any("Coefficient ranges" in line for line in highs_log)
    assert [line for line in highs_log if "WARNING" in line] == []


def out_of_time_from(stage: int, monkeypatch) -> None:
    """Stages from number ``stage`` (0-based) on find no plan within their time limit."""
    solve = StagedModel.solve
    calls = itertools.count()

    def limited(self, name, **limits):
        if next(calls) < stage:
            return solve(self, name, **limits)
        seconds = limits["time_limit"]
        return MipSolution("no_solution", np.nan, -np.inf, np.inf, seconds, 0.0, 0, 1, 1, 1)

    monkeypatch.setattr(StagedModel, "solve", limited)


def test_a_later_stage_out_of_time_keeps_the_earlier_plan_and_warns(monkeypatch):
    tiny = big_county()
    full = plan_county(tiny.demand, tiny.sites, tiny.travel, spec(district_minutes=45))
    out_of_time_from(2, monkeypatch)
    plan = plan_county(tiny.demand, tiny.sites, tiny.travel, spec(district_minutes=45))
    verify_county(plan, tiny.demand, tiny.sites, tiny.travel, spec(district_minutes=45))
    assert [r.status for r in plan.stages] == ["optimal", "optimal", "no_solution"]
    assert [r.objective for r in plan.stages[:2]] == [r.objective for r in full.stages[:2]]
    stage = plan.stages[2].stage
    assert f"stage {stage} found no plan within its limits" in plan.summary.warning
    assert "previous stage's plan is kept" in plan.summary.warning
    report = markdown_report(report_blocks(plan, spec(), title="t"))
    assert f"> **Warning:** stage {stage} found no plan within its limits" in report
    assert full.summary.warning == ""


def test_no_plan_in_the_first_stage_says_what_to_relax(monkeypatch):
    tiny = big_county()
    out_of_time_from(0, monkeypatch)
    with pytest.raises(SolverError) as info:
        plan_county(tiny.demand, tiny.sites, tiny.travel, spec(district_minutes=45))
    message = str(info.value)
    assert "no plan found within the time limit of 60 s per stage" in message
    assert "raise solve.time_limit" in message and "relax the targets" in message
