"""The Qingyuan example: the optimiser's hubs against the plan's six, checked independently."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from optimizer.config.county import load_county_config
from optimizer.plan.compare import population_within
from optimizer.run import run as run_config

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "qingyuan.toml"
PLAN_SIX = ("濛洲街道", "屏都街道", "左溪镇", "松源街道", "竹口镇", "荷地镇")


@pytest.fixture(scope="module")
def run():
    return run_config(load_county_config(EXAMPLE), source=EXAMPLE).county


def test_plan_hubs_are_the_named_townships(run) -> None:
    table = run.comparison.tables["compare_hub_sites.csv"]
    named = table.loc[table["plan"], "name"].tolist()
    assert len(named) == 6
    assert sorted(n for n in named for t in PLAN_SIX if n.startswith(t)) == sorted(named)


def test_optimum_covers_at_least_the_plan_and_matches_max_cover(run) -> None:
    plan, travel = run.plan, run.travel
    population = plan.assignments["population"].to_numpy(dtype=float)
    hubs = plan.sites["level"].to_numpy() == "hub"
    assert hubs.sum() == 6
    ours = population[population_within(travel, population, hubs, 30)].sum()
    table = run.comparison.tables["compare_hub_sites.csv"]
    planned = np.isin(plan.sites["site_id"], table.loc[table["plan"], "site_id"])
    theirs = population[population_within(travel, population, planned, 30)].sum()
    figures = run.comparison.tables["compare_hubs.csv"].set_index("figure")
    assert figures.at["population within 30 min", "optimiser"] == pytest.approx(ours)
    assert figures.at["population within 30 min", "plan's hubs"] == pytest.approx(theirs)
    assert ours >= theirs
    # Chinese site names: the findings are in Chinese
    assert f"30 分钟内最多可覆盖 {ours:,.0f} 人" in " ".join(run.comparison.findings)


def test_plan_fixed_resolve_keeps_the_plans_six(run) -> None:
    fixed = run.comparison.plan_fixed
    table = run.comparison.tables["compare_hub_sites.csv"]
    hubs = set(fixed.sites.loc[fixed.sites["level"] == "hub", "site_id"])
    assert hubs == set(table.loc[table["plan"], "site_id"])
    assert fixed.assignments["population"].sum() == pytest.approx(142_551)
