"""Population from a raster: each unit gets the persons of its catchment (its polygon, or its
Voronoi cell clipped to the boundary or the raster), summed with area weights, on rasters the
tests write with rasterio; totals checked exactly."""

from __future__ import annotations

import warnings
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
from geodata.errors import HealthplanWarning, InputError

UTM = "EPSG:32650"
X0, Y0 = 700_000.0, 3_050_000.0  # lower-left corner of the test rasters (UTM 50N, metres)


def write_raster(path: Path, values: np.ndarray, cell: float = 100.0, crs: str = UTM) -> Path:
    """A one-band GeoTIFF of persons per cell, its lower-left corner at (X0, Y0)."""
    rows, cols = values.shape
    transform = from_origin(X0, Y0 + rows * cell, cell, cell)
    with rasterio.open(
        path, "w", driver="GTiff", height=rows, width=cols, count=1,
        dtype="float64", crs=crs, transform=transform, nodata=-1.0,
    ) as dst:  # fmt: skip
        dst.write(values.astype("float64"), 1)
    return path


FOOTPRINT = shapely.box(X0, Y0, X0 + 1000, Y0 + 1000)  # of the 10 x 10 rasters


def points(*xy: tuple[float, float]) -> gpd.GeoSeries:
    """Points at offsets (metres) from (X0, Y0)."""
    return gpd.GeoSeries([shapely.Point(X0 + x, Y0 + y) for x, y in xy], crs=UTM)


def test_voronoi_cells_split_the_raster_between_two_villages(tmp_path):
    raster = write_raster(tmp_path / "pop.tif", np.full((10, 10), 5.0))
    villages = points((250, 500), (750, 500))
    cells = geodata.voronoi_catchments(villages, FOOTPRINT)
    found = geodata.raster_population(cells, raster)
    assert found.population.tolist() == [250.0, 250.0]
    assert (found.raster_total, found.outside, found.scale) == (500.0, 0.0, 1.0)


def test_a_boundary_leaves_the_rest_of_the_raster_outside(tmp_path):
    values = np.arange(100, dtype=float).reshape(10, 10)
    raster = write_raster(tmp_path / "pop.tif", values)
    boundary = shapely.box(X0, Y0, X0 + 600, Y0 + 1000)
    cells = geodata.voronoi_catchments(points((250, 500), (750, 500)), boundary)
    found = geodata.raster_population(cells, raster)
    # columns 0-4 to the first village, column 5 to the second, columns 6-9 outside
    assert found.population.tolist() == [values[:, :5].sum(), values[:, 5].sum()]
    assert found.outside == values[:, 6:].sum()
    assert found.population.sum() + found.outside == found.raster_total == values.sum()


def test_part_cells_count_by_the_share_of_their_area(tmp_path):
    raster = write_raster(tmp_path / "pop.tif", np.full((4, 4), 8.0))
    half = gpd.GeoSeries([shapely.box(X0 + 50, Y0, X0 + 150, Y0 + 100)], crs=UTM)
    assert geodata.raster_population(half, raster).population.tolist() == [8.0]


def test_a_census_total_rescales_every_unit(tmp_path):
    values = np.arange(100, dtype=float).reshape(10, 10)
    raster = write_raster(tmp_path / "pop.tif", values)
    villages = points((100, 100), (900, 100), (500, 900))
    cells = geodata.voronoi_catchments(villages, FOOTPRINT)
    plain = geodata.raster_population(cells, raster)
    scaled = geodata.raster_population(cells, raster, total=12_345.0)
    assert scaled.population.sum() == pytest.approx(12_345.0, rel=1e-12)
    assert scaled.population / plain.population == pytest.approx(np.full(3, scaled.scale))


def test_villages_at_one_place_share_their_cell(tmp_path):
    raster = write_raster(tmp_path / "pop.tif", np.full((10, 10), 3.0))
    villages = points((250, 500), (250, 500), (750, 500))
    cells = geodata.voronoi_catchments(villages, FOOTPRINT)
    shares = geodata.shared_counts(villages)
    found = geodata.raster_population(cells, raster, shares=shares)
    assert found.population.tolist() == [75.0, 75.0, 150.0]


def test_a_raster_in_degrees_keeps_its_total(tmp_path):
    """A raster in EPSG:4326 for points in metres: every person lands in a catchment."""
    values = np.full((20, 20), 2.0)
    rows, cols = values.shape
    transform = from_origin(119.0, 27.7, 0.005, 0.005)
    path = tmp_path / "wgs84.tif"
    with rasterio.open(
        path, "w", driver="GTiff", height=rows, width=cols, count=1,
        dtype="float64", crs="EPSG:4326", transform=transform,
    ) as dst:  # fmt: skip
        dst.write(values, 1)
    villages = gpd.GeoSeries(
        [shapely.Point(119.02, 27.68), shapely.Point(119.08, 27.62)], crs="EPSG:4326"
    ).to_crs(UTM)
    cells = geodata.voronoi_catchments(villages, geodata.around(villages, 20_000))
    found = geodata.raster_population(cells, path)
    assert found.raster_total == 800.0
    assert found.population.sum() == pytest.approx(800.0, rel=1e-9)
    assert found.outside == pytest.approx(0.0, abs=1e-6)
    assert found.population.min() > 0


def test_a_raster_beside_the_villages_is_an_error(tmp_path):
    raster = write_raster(tmp_path / "pop.tif", np.ones((5, 5)))
    far = gpd.GeoSeries([shapely.box(X0 + 50_000, Y0, X0 + 51_000, Y0 + 1000)], crs=UTM)
    with pytest.raises(InputError, match="pop.tif: the raster does not overlap the demand"):
        geodata.raster_population(far, raster)


CONFIG = """\
name = "raster county"
[demand]
path = "villages.csv"
population_raster = "pop.tif"
crs = "EPSG:32650"
lon = "x"
lat = "y"
[sites]
path = "sites.csv"
crs = "EPSG:32650"
lon = "x"
lat = "y"
[travel]
speed_kmh = 30
[model]
problem = "p-median"
p = 1
[output]
formats = ["gpkg"]
"""


def test_a_solve_takes_the_population_from_the_raster(tmp_path):
    values = np.arange(100, dtype=float).reshape(10, 10)
    write_raster(tmp_path / "pop.tif", values)
    villages = pd.DataFrame(
        {
            "id": ["V1", "V2"],
            "name": ["东村", "西村"],
            "x": [X0 + 250, X0 + 750],
            "y": [Y0 + 500] * 2,
        }
    )
    villages.to_csv(tmp_path / "villages.csv", index=False)
    pd.DataFrame({"id": ["S1"], "name": ["卫生院"], "x": [X0 + 500], "y": [Y0 + 500]}).to_csv(
        tmp_path / "sites.csv", index=False
    )
    (tmp_path / "plan.toml").write_text(CONFIG + "\n".join([""]), encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error", HealthplanWarning)
        result = CliRunner().invoke(
            cli.app, ["solve", str(tmp_path / "plan.toml"), "--out", str(tmp_path / "out")]
        )
    assert result.exit_code == 0, result.output
    assert "population from the raster (4,950 persons); 0 persons (0.0%) lie outside" in (
        " ".join(result.stderr.split())
    )
    written = gpd.read_file(tmp_path / "out" / "plan.gpkg", layer="assignments")
    got = dict(zip(written["demand_id"], written["population"], strict=True))
    assert got == {"V1": values[:, :5].sum(), "V2": values[:, 5:].sum()}


def test_population_total_without_a_raster_is_a_config_error(tmp_path):
    text = CONFIG.replace('population_raster = "pop.tif"', "population_total = 1000")
    (tmp_path / "plan.toml").write_text(text, encoding="utf-8")
    for name in ("villages.csv", "sites.csv"):
        (tmp_path / name).write_text("id,name,x,y\n", encoding="utf-8")
    result = CliRunner().invoke(
        cli.app, ["solve", str(tmp_path / "plan.toml"), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 2
    assert "demand.population_total: rescales a population raster" in result.output


COUNTY = """\
name = "raster county plan"
[demand]
path = "county.gpkg"
layer = "villages"
population_raster = "pop.tif"
population_total = 100000
[sites]
path = "county.gpkg"
layer = "sites"
[boundary]
path = "county.gpkg"
layer = "boundary"
[travel]
speed_kmh = 30
max_minutes = 90
[hub]
radius = 30
kinds = ["township_centre"]
fixed_kinds = ["county_hospital"]
count = [1, 3]
[clinic]
radius = 20
kinds = ["township_centre", "candidate"]
fixed_kinds = ["township_centre"]
[districts]
max_minutes = 90
[output]
formats = ["gpkg"]
"""


def test_a_county_plan_spreads_the_raster_over_cells_clipped_to_its_boundary(tmp_path):
    """The raster reaches 5 km beyond the county on every side: what lies outside the
    boundary is reported, and the census total is what the plan's units add up to."""
    county = geodata.synthetic_county(40, 10, seed=3)
    path = tmp_path / "county.gpkg"
    county.demand.drop(columns="population").to_file(path, layer="villages")
    county.sites.to_file(path, layer="sites")
    county.boundary.to_file(path, layer="boundary")
    x0, y0, x1, y1 = county.boundary.total_bounds + np.array([-5000, -5000, 5000, 5000])
    cols, rows = int((x1 - x0) // 1000) + 1, int((y1 - y0) // 1000) + 1
    with rasterio.open(
        tmp_path / "pop.tif", "w", driver="GTiff", height=rows, width=cols, count=1,
        dtype="float64", crs=UTM, transform=from_origin(x0, y0 + rows * 1000, 1000, 1000),
    ) as dst:  # fmt: skip
        dst.write(np.full((rows, cols), 10.0), 1)
    (tmp_path / "plan.toml").write_text(COUNTY, encoding="utf-8")
    result = CliRunner().invoke(
        cli.app, ["solve", str(tmp_path / "plan.toml"), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 0, result.output
    said = " ".join(result.stderr.split())
    total = rows * cols * 10.0
    inside = county.boundary.union_all().area / 1e6 * 10.0  # persons: 10 per km2
    outside = float(said.split("persons); ")[1].split(" persons")[0].replace(",", ""))
    assert f"population from the raster ({total:,.0f} persons)" in said
    assert outside == pytest.approx(total - inside, abs=1.0)
    assert "rescaled by" in said and "to population_total 100,000" in said
    units = gpd.read_file(tmp_path / "out" / "plan.gpkg", layer="assignments")
    assert units["population"].sum() == pytest.approx(100_000.0, rel=1e-9)
    assert (units["population"] > 0).all()


def test_a_population_table_and_a_raster_together_are_a_config_error(tmp_path):
    text = CONFIG.replace(
        'population_raster = "pop.tif"',
        'population_raster = "pop.tif"\npopulation_table = "pop.csv"',
    )
    (tmp_path / "plan.toml").write_text(text, encoding="utf-8")
    for name in ("villages.csv", "sites.csv", "pop.csv", "pop.tif"):
        (tmp_path / name).write_text("id,name,x,y\n", encoding="utf-8")
    result = CliRunner().invoke(
        cli.app, ["solve", str(tmp_path / "plan.toml"), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 2
    assert "demand.population_raster: and demand.population_table both give" in result.output
