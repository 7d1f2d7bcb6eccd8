"""The ``[phases]`` section: read into a spec, and bad settings refused with exit code 2."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest
from test_county_cli import assert_clean_failure, invoke, write

from optimizer.config.county import load_county_config
from optimizer.inputs.read import read_county_inputs

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "yaan_phased.toml"
DATA = ROOT / "geodata" / "data" / "yaan.gpkg"


def example_text() -> str:
    return EXAMPLE.read_text(encoding="utf-8").replace("../geodata/data/", f"{DATA.parent}/")


def spec_of(tmp_path: Path, text: str):
    return read_county_inputs(load_county_config(write(tmp_path, text))).spec


def test_growth_per_unit_type_budgets_hires_and_the_stage_order(tmp_path) -> None:
    spec = spec_of(tmp_path, example_text())
    phases = spec.phases
    demand = pyogrio.read_dataframe(DATA, layer="demand", read_geometry=False)
    base = demand["population"].to_numpy(float)
    rate = np.where(demand["unit_type"] == "rural_village", -0.01, 0.015)
    assert phases.years == (2021, 2022, 2023, 2024, 2025)
    for k in range(5):
        np.testing.assert_allclose(phases.population[k], base * (1 + rate) ** k)
    assert phases.budget.tolist() == [3e7, 6e7, 3e7, 3e7, 3e7]
    assert phases.hires == {"doctors": (40.0,) * 5, "gps": (10, 15, 15, 20, 20)}
    assert spec.hub.cost == 30_000_000 and spec.budget is None
    assert spec.stages == ("coverage", "person_years", "travel", "shortfall")


def test_one_total_with_a_yearly_cap_and_person_years_placed_before_cost(tmp_path) -> None:
    text = example_text().replace(
        "budget = [30_000_000, 60_000_000, 30_000_000, 30_000_000, 30_000_000]",
        "budget = 180_000_000\nyear_cap = 60_000_000",
    )
    text = text.replace('"person_years", "travel"', '"cost", "travel"')
    spec = spec_of(tmp_path, text)
    assert spec.budget == 180_000_000
    assert spec.phases.budget.tolist() == [6e7] * 5
    assert spec.stages == ("coverage", "person_years", "cost", "travel", "shortfall")


def test_population_by_year_from_demand_columns(tmp_path) -> None:
    demand = pyogrio.read_dataframe(DATA, layer="demand")
    for k, year in enumerate(range(2021, 2026)):
        demand[f"pop{year}"] = demand["population"] + 10 * k
    path = tmp_path / "demand.gpkg"
    pyogrio.write_dataframe(demand, path, layer="demand")
    columns = ", ".join(f'"{y}" = "pop{y}"' for y in range(2021, 2026))
    text = example_text().replace(
        f'path = "{DATA}"\nlayer = "demand"', f'path = "{path}"\nlayer = "demand"'
    )
    text = text.replace(
        'growth = {rural_village = -0.01, urban_community = 0.015}\nunit_type = "unit_type"',
        f"population_columns = {{{columns}}}",
    )
    assert f"population_columns = {{{columns}}}" in text and str(path) in text
    spec = spec_of(tmp_path, text)
    np.testing.assert_allclose(
        spec.phases.population[4], pd.to_numeric(demand["population"]).to_numpy() + 40
    )


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("years = [2021, 2022,", "years = [2022, 2021,", "phases: years must increase"),
        ("budget = [30_000_000, ", "budget = [", "budget lists 4 amounts for 5 years"),
        (
            "budget = [30_000_000, 60_000_000,",
            "year_cap = 1\nbudget = [30_000_000, 60_000_000,",
            "year_cap goes with one budget",
        ),
        ('unit_type = "unit_type"', "", "growth per unit type needs unit_type"),
        ("urban_community = 0.015}", "town = 0.015}", "is of type 'urban_community'"),
        ('unit_type = "unit_type"', 'unit_type = "kind"', "phases.unit_type: the demand has no"),
        ("hires = {doctors = 40,", "hires = {midwives = 40,", "phases.hires.midwives: is not a"),
        ("gps = [10, 15, 15, 20, 20]", "gps = [10, 15]", "hires.gps lists 2 numbers for 5"),
        ("[phases]", "[phases_off]", "unknown"),
        (
            "budget = [30_000_000, 60_000_000, 30_000_000, 30_000_000, 30_000_000]",
            "budget = 180_000_000",
            "phases.budget: and budget both give the budget in all",
        ),
        ("cost = 30_000_000", 'cost = 30_000_000\ncost_column = "kind"', "give cost or cost_"),
        (
            "budget = [30_000_000, 60_000_000, 30_000_000, 30_000_000, 30_000_000]",
            "budget = [20_000_000, 20_000_000, 20_000_000, 20_000_000, 100_000_000]",
            "the budget of 2021 (20,000,000 yuan) is binding",
        ),
        (
            "budget = [30_000_000, 60_000_000, 30_000_000, 30_000_000, 30_000_000]",
            "budget = [0, 0, 30_000_000, 30_000_000, 30_000_000]",
            "the budgets of 2021-2025 add up to 90,000,000 yuan; raise them by 90,000,000",
        ),
    ],
)
def test_bad_phases_exit_2(tmp_path, old, new, message) -> None:
    text = example_text()
    assert old in text
    if "budget in all" in message:
        text = text.replace("name = ", "budget = 1\nname = ", 1)
    result = invoke(
        "solve", write(tmp_path, text.replace(old, new, 1)), "--out", tmp_path / "o", "--lang", "en"
    )
    assert_clean_failure(result, message)
