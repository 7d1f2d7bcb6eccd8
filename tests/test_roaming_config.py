"""The ``[roaming]`` section: the example's routes end to end, and bad settings refused."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from test_county_cli import DATA, assert_clean_failure, example_text, invoke, write

from geodata.errors import ConfigError
from optimizer.config.county import load_county_config
from optimizer.inputs.spec import county_spec, resolve_villages


@pytest.fixture(scope="module")
def solved(tmp_path_factory):
    out = tmp_path_factory.mktemp("roaming") / "out"
    result = invoke("solve", write(out.parent, example_text()), "--out", out)
    assert result.exit_code == 0, result.output
    return out


def test_routes_stops_and_timetable_keep_chinese_names(solved) -> None:
    out = solved
    routes = gpd.read_file(out / "plan.gpkg", layer="routes")
    assert len(routes) and set(routes.geom_type) == {"LineString"}
    for column in ("vehicle", "day", "route_id", "base_id", "base_name", "minutes", "km"):
        assert column in routes.columns
    assert (routes["minutes"] <= 480 + 1e-6).all()
    assert set(routes["base_name"]) <= {"示范县人民医院", "龙坪镇卫生院"}
    stops = gpd.read_file(out / "plan.gpkg", layer="stops")
    assert len(stops) == routes["n_stops"].sum()
    assert stops["name"].str.endswith("村").all()
    shp = gpd.read_file(out / "shp" / "stops.shp")
    assert list(shp["name"]) == list(stops["name"])
    assert {"arrive_min", "depart_min"} <= set(shp.columns)
    assert (out / "shp" / "routes.cpg").read_text(encoding="ascii") == "UTF-8"
    geojson = gpd.read_file(out / "geojson" / "routes.geojson")
    assert list(geojson["base_name"]) == list(routes["base_name"])
    table = pd.read_csv(out / "timetable.csv", encoding="utf-8")
    assert len(table) == len(routes)
    assert table["stops"].str.contains("村").all()
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "## 智慧流动医院" in md and "车·日" in md  # Chinese names: the report is in Chinese


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("vehicles = 2", "vehicles = 0", "roaming.vehicles"),
        ("# base_vehicles = [1, 1]", "base_vehicles = [1]", "1 numbers for 2 bases"),
        ("# base_vehicles = [1, 1]", "base_vehicles = [1, 3]", "between 1 and 2"),
        ("visits = 2", "visits = 30", "visits 30 is more than the 20 days"),
        ('may = "unreached"', 'may = "some"', "roaming.may"),
        ('bases = ["示范县人民医院", "S007"]', 'bases = ["没有这个医院"]', "roaming.bases"),
        ("leg_minutes = 60", "leg_minutes = 90", "travel.max_minutes: 60 is below roaming"),
        ("day_cost = 100000", "day_cost = -1", "roaming.day_cost"),
        ('must = "none"', 'must = ["没有这个村"]', "roaming.must: '没有这个村' is neither"),
    ],
)
def test_bad_roaming_configs_exit_2(tmp_path, old, new, message) -> None:
    text = example_text()
    assert old in text
    result = invoke("solve", write(tmp_path, text.replace(old, new, 1)), "--out", tmp_path / "o")
    assert_clean_failure(result, message)


def test_roaming_section_maps_to_a_spec(tmp_path) -> None:
    config = load_county_config(write(tmp_path, example_text()))
    sites = gpd.read_file(DATA, layer="sites")
    spec = county_spec(config, sites).roaming
    assert spec.bases == ("S001", "S007")
    assert (spec.vehicles, spec.days, spec.visits) == (2, 20, 2)
    assert spec.may == "unreached" and spec.day_cost == 100000
    villages = gpd.read_file(DATA, layer="villages")
    listed = resolve_villages(
        spec.__class__(vehicles=1, bases=("S001",), may=(villages["name"].iloc[0], "V0002")),
        villages,
    )
    assert listed.may == (villages["id"].iloc[0], "V0002")
    with pytest.raises(ConfigError, match="is neither a village id nor a village name"):
        resolve_villages(spec.__class__(vehicles=1, bases=("S001",), may=("nowhere",)), villages)
