"""``healthplan solve`` on county-plan configs: the example end to end, and clean failures."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from typer.testing import CliRunner

import optimizer.cli as cli
from geodata.errors import ConfigError
from optimizer.config.county import load_county_config
from optimizer.inputs.spec import county_spec, resolve_sites

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "county.toml"
DATA = ROOT / "geodata" / "data" / "synthetic.gpkg"

runner = CliRunner()


def invoke(*args: str | Path):
    return runner.invoke(cli.app, [str(a) for a in args])


def example_text() -> str:
    return EXAMPLE.read_text(encoding="utf-8").replace("../geodata/data/", f"{DATA.parent}/")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "county.toml"
    path.write_text(text, encoding="utf-8")
    return path


def assert_clean_failure(result, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "error:" in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr


@pytest.fixture(scope="module")
def solved(tmp_path_factory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("county") / "out"
    return out, invoke("solve", EXAMPLE, "--out", out)


def test_example_solves_and_writes_every_output(solved) -> None:
    out, result = solved
    assert result.exit_code == 0, result.output
    for name in (
        "plan.gpkg",
        "summary.csv",
        "staffing.csv",
        "stages.csv",
        "map.png",
        "report.md",
        "report.html",
        "shp/sites.cpg",
        "shp/districts.shp",
        "geojson/assignments.geojson",
    ):
        assert (out / name).is_file(), name
    assert (out / "shp" / "sites.cpg").read_text(encoding="ascii") == "UTF-8"
    # Chinese village names: the summary is in Chinese
    assert "县域医疗卫生次中心" in result.stdout and "求解阶段" in result.stdout
    assert "执业（助理）医师" in result.stdout  # the shortfall line
    assert "车·日" in result.stdout


def test_example_layers_have_the_documented_columns(solved) -> None:
    out, _ = solved
    assert sorted(pyogrio.list_layers(out / "plan.gpkg")[:, 0]) == [
        "assignments",
        "districts",
        "routes",
        "sites",
        "stops",
    ]
    sites = gpd.read_file(out / "plan.gpkg", layer="sites")
    for column in (
        "site_id",
        "name",
        "level",
        "status",
        "population_served",
        "doctors",
        "nurses",
        "beds",
        "gps",
        "public_health",
        "shortfall_doctors",
    ):
        assert column in sites.columns
    assert set(sites["status"]) <= {"existing", "new", "closed"}
    assignments = gpd.read_file(out / "plan.gpkg", layer="assignments")
    for column in ("demand_id", "site_id", "level", "minutes", "hub_id", "unreachable"):
        assert column in assignments.columns
    near = assignments["nearest_site_minutes"]
    assert (near.fillna(1e9) <= assignments["minutes"].fillna(1e9) + 1e-9).all()
    assert (assignments["unreachable"].fillna("").str.contains("hub")).sum() == 14
    districts = gpd.read_file(out / "plan.gpkg", layer="districts")
    assert list(districts.columns) == ["hub_id", "name", "population", "n_units", "geometry"]
    assert set(districts.geom_type) <= {"Polygon", "MultiPolygon"}
    assert len(districts) == int((sites["level"] == "hub").sum())
    assert districts["n_units"].sum() == len(assignments)
    stages = pd.read_csv(out / "stages.csv")
    assert list(stages["stage"]) == [
        "coverage",
        "new_sites",
        "cost",
        "travel",
        "shortfall",
        "moves",
    ]
    staffing = pd.read_csv(out / "staffing.csv").set_index("staff_type")
    assert staffing.loc["doctors", "shortfall"] > 0


def test_example_report_has_every_section(solved) -> None:
    out, _ = solved
    md = (out / "report.md").read_text(encoding="utf-8")
    for heading in ("## 覆盖情况", "## 开设与保留的机构", "## 片区", "## 人员配置", "## 求解记录"):
        assert heading in md
    assert "注意：** 14 个单元" in md
    assert "![地图](map.png)" in md
    assert "| 30 | 95.3% |" in md  # hub column of the radius table
    for stage in ("覆盖", "新建机构", "缺口"):
        assert f"| {stage} | 最优 |" in md
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and '<img src="map.png"' in page
    assert "求解记录" in page and '<html lang="zh-CN">' in page


def test_unknown_key_exits_2_naming_it(tmp_path) -> None:
    path = write(tmp_path, example_text().replace("radius = 30", "radious = 30"))
    result = invoke("solve", path, "--out", tmp_path / "out")
    assert_clean_failure(result, "hub.radious: unknown key (allowed: radius, kinds", "hub.radius")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("count = [6, 13]", "count = [6, 13]\nabout = 8", "hub: give count or about, not both"),
        ("count = [6, 13]", "count = [9, 3]", "hub.count"),
        ("\nshare = 0.9", "\nshare = 1.5", "clinic.share"),
        ("pool = 200", "hire_up_to = 10", "hire_up_to needs existing_column"),
        ("pool = 200", "per_1000 = 3.6", "per_1000 is now per_1000_served"),
        ("[indicators.nurses]", "[indicators.midwives]", "midwives is not a staff type"),
        ("crew = {doctors = 1,", "crew = {midwives = 1,", "roaming.crew.midwives: is not a"),
        ("[solve]", "[staff.midwives]\nmin_hub = 1\n\n[solve]", "staff.midwives: a new staff"),
        ('stages = ["coverage",', 'stages = ["travel", "coverage",', "stages listed twice"),
        ('stages = ["coverage",', 'stages = ["speed", "coverage",', "solve.stages[0]"),
        ("fixed = []", 'fixed = ["没有这个卫生院"]', "hub.fixed: '没有这个卫生院' is neither"),
        ("max_minutes = 60", "max_minutes = 20", "travel.max_minutes: 20 is below hub.radius"),
        ("count = [6, 13]", "about = 6", "No plan meets all targets"),
    ],
)
def test_bad_county_configs_exit_2(tmp_path, old, new, message) -> None:
    text = example_text()
    assert old in text
    path = write(tmp_path, text.replace(old, new, 1))
    result = invoke("solve", path, "--out", tmp_path / "o", "--lang", "en")
    assert_clean_failure(result, message)


def test_names_resolve_to_ids_and_ambiguous_names_are_refused(tmp_path) -> None:
    sites = pd.DataFrame({"id": ["A", "B", "C"], "name": ["甲", "乙", "乙"]})
    assert resolve_sites(["甲", "C"], sites, "hub.fixed") == ("A", "C")
    with pytest.raises(ConfigError, match="'乙' names 2 sites"):
        resolve_sites(["乙"], sites, "hub.fixed")


def test_config_maps_to_a_spec(tmp_path) -> None:
    text = example_text().replace("count = [6, 13]", "about = 8")
    text = text.replace(
        "pool = 200",
        'existing_column = "capacity"\nhire_up_to = 10\n'
        "max_transfer = 0.2\nhire_cost = 8e4\nfte = true",
    )
    text = text.replace("fixed = []", 'fixed = ["梅坪乡卫生院"]')
    text = text.replace("[solve]", "[staff.gps]\nper_10000_served = 3\n\n[solve]")
    config = load_county_config(write(tmp_path, text))
    sites = gpd.read_file(DATA, layer="sites")
    spec = county_spec(config, sites)
    assert spec.hub.count == (7, 9)
    assert spec.hub.fixed == ("S005",)
    assert spec.clinic.share == 0.9 and spec.hub.share is None
    assert spec.district_minutes == 45
    rules = {r.name: r for r in spec.staff}
    assert list(rules) == ["doctors", "nurses", "beds", "gps", "public_health"]
    assert rules["gps"].per_person == pytest.approx(3e-4)
    assert rules["doctors"].pool == pytest.approx(sites["capacity"].sum() + 10)
    assert rules["doctors"].min_hub == 6  # the default, as the table leaves it out
    assert (rules["doctors"].max_transfer, rules["doctors"].hire_cost) == (0.2, 8e4)
    assert not rules["doctors"].whole and rules["nurses"].whole
    assert rules["nurses"].per_person == pytest.approx(2e-4)
    assert spec.indicators == pytest.approx({"doctors": 3.6e-3, "nurses": 4.12e-3})
    assert spec.existing_staff == {"doctors": "capacity"}


def test_output_folder_with_other_files_exits_2(tmp_path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    result = invoke("solve", write(tmp_path, example_text()), "--out", out)
    assert_clean_failure(result, "notes.txt")
    assert (out / "notes.txt").is_file()


def test_township_polygons_are_dissolved_into_districts(tmp_path) -> None:
    villages = gpd.read_file(DATA, layer="villages")
    metric = villages.to_crs(villages.estimate_utm_crs())
    squares = metric.copy()
    squares["geometry"] = metric.buffer(400, cap_style="square")
    squares.to_crs(villages.crs).to_file(tmp_path / "towns.gpkg", layer="towns", driver="GPKG")
    text = example_text().replace(
        f'path = "{DATA}"\nlayer = "villages"',
        f'path = "{tmp_path / "towns.gpkg"}"\nlayer = "towns"',
    )
    assert "towns.gpkg" in text
    out = tmp_path / "out"
    result = invoke("solve", write(tmp_path, text), "--out", out)
    assert result.exit_code == 0, result.output
    districts = gpd.read_file(out / "plan.gpkg", layer="districts")
    districts = districts.to_crs(metric.crs)
    assigned = gpd.read_file(out / "plan.gpkg", layer="assignments")["hub_id"].fillna("") != ""
    expected = squares[assigned.to_numpy()].union_all().area
    assert districts.area.sum() == pytest.approx(expected, rel=0.01)


def test_an_input_inside_out_exits_2_before_the_solve(tmp_path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "boundary.gpkg").write_bytes(DATA.read_bytes())
    text = example_text()
    start = text.index("[boundary]")
    end = text.index("\n[", start + 1)
    section = '[boundary]\npath = "out/boundary.gpkg"\nlayer = "boundary"\n'
    result = invoke("solve", write(tmp_path, text[:start] + section + text[end:]), "--out", out)
    assert_clean_failure(result, "out/boundary.gpkg, which this run reads", "choose another")
    assert sorted(p.name for p in out.iterdir()) == ["boundary.gpkg"]
