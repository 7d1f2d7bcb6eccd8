"""Reading demand and sites: formats, Chinese names, canonical columns, and one clear error each."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from geodata import HealthplanWarning, InputError, read_demand, read_sites

NAMES = ["石门村", "龙溪村", "黄田村"]


def villages(crs: object = "EPSG:4326") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"id": ["V1", "V2", "V3"], "name": NAMES, "population": [120.0, 850.0, 0.0]},
        geometry=gpd.points_from_xy([119.10, 119.12, 119.15], [27.60, 27.61, 27.58]),
        crs=crs,
    )


def write_csv(tmp_path: Path, text: str, name: str = "villages.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


CSV = "id,name,population,lon,lat\nV1,石门村,120,119.10,27.60\nV2,龙溪村,850,119.12,27.61\n"


@pytest.mark.parametrize(
    ("filename", "options"),
    [
        ("villages.gpkg", {"layer": "villages"}),
        ("villages.shp", {"encoding": "UTF-8"}),
        ("villages.geojson", {}),
    ],
)
def test_spatial_formats_keep_chinese_names(tmp_path, filename, options):
    path = tmp_path / filename
    villages().to_file(path, **options)
    demand = read_demand(path)
    assert list(demand.columns) == ["id", "name", "population", "geometry"]
    assert demand["name"].tolist() == NAMES
    assert demand["id"].tolist() == ["V1", "V2", "V3"]
    assert demand["population"].dtype == np.float64
    assert demand.crs.to_epsg() == 4326
    assert demand.geom_equals_exact(villages().geometry, 1e-9).all()


def test_csv_with_detected_and_named_coordinates(tmp_path):
    demand = read_demand(write_csv(tmp_path, CSV))
    assert demand["name"].tolist() == NAMES[:2]
    assert demand.crs.to_epsg() == 4326
    assert demand.geometry.x.tolist() == [119.10, 119.12]
    renamed = write_csv(tmp_path, CSV.replace("lon,lat", "E,N"), "renamed.csv")
    assert read_demand(renamed, lon="E", lat="N").geometry.y.tolist() == [27.60, 27.61]


def test_csv_in_a_projected_crs_and_a_byte_order_mark(tmp_path):
    path = tmp_path / "utm.csv"
    path.write_text("id,population,x,y\n0012,5,700000,3050000\n", encoding="utf-8-sig")
    demand = read_demand(path, crs="EPSG:32650")
    assert demand["id"].tolist() == ["0012"]
    assert demand.crs.to_epsg() == 32650


def test_table_layer_without_geometry_uses_lon_lat(tmp_path):
    table = pd.DataFrame(
        {"id": ["V1"], "name": ["石门村"], "population": [3], "E": [119.1], "N": [27.6]}
    )
    pyogrio.write_dataframe(table, tmp_path / "table.gpkg", layer="villages")
    demand = read_demand(tmp_path / "table.gpkg", lon="E", lat="N")
    assert demand["name"].tolist() == ["石门村"] and demand.crs.to_epsg() == 4326
    assert demand.geometry[0] == shapely.Point(119.1, 27.6)


def test_name_defaults_to_id_and_population_none_is_one(tmp_path):
    path = write_csv(tmp_path, "code,lon,lat\n331126001,119.1,27.6\n331126002,119.2,27.7\n")
    demand = read_demand(path, id="code", population=None)
    assert demand["name"].tolist() == ["331126001", "331126002"]
    assert demand["population"].tolist() == [1.0, 1.0]


def test_polygons_become_points_inside(tmp_path):
    square = shapely.box(700000, 3050000, 701000, 3051000)
    ring = shapely.box(710000, 3050000, 714000, 3054000).difference(
        shapely.box(710500, 3050500, 713500, 3053500)
    )
    frame = gpd.GeoDataFrame(
        {"id": ["A", "B"], "population": [1.0, 2.0]}, geometry=[square, ring], crs="EPSG:32650"
    )
    frame.to_file(tmp_path / "areas.gpkg")
    demand = read_demand(tmp_path / "areas.gpkg")
    assert (demand.geom_type == "Point").all()
    assert demand.geometry.within(frame.geometry).all()


def test_one_point_multipoints_become_points(tmp_path):
    frame = gpd.GeoDataFrame(
        {"id": ["A"], "population": [1.0]},
        geometry=[shapely.MultiPoint([(700000, 3050000)])],
        crs="EPSG:32650",
    )
    frame.to_file(tmp_path / "mp.gpkg")
    assert read_demand(tmp_path / "mp.gpkg").geometry[0] == shapely.Point(700000, 3050000)


def test_sites_defaults(tmp_path):
    path = write_csv(
        tmp_path, "id,name,lon,lat\nS1,县人民医院,119.1,27.6\nS2,石门卫生院,119.2,27.7\n"
    )
    sites = read_sites(path)
    assert list(sites.columns) == ["id", "name", "kind", "capacity", "fixed_cost", "geometry"]
    assert sites["kind"].tolist() == ["candidate", "candidate"]
    assert sites["capacity"].isna().all()
    assert sites["fixed_cost"].tolist() == [0.0, 0.0]
    assert sites["name"].tolist() == ["县人民医院", "石门卫生院"]


def test_sites_columns(tmp_path):
    text = (
        "id,kind,beds,cost,lon,lat\n"
        "S1,county_hospital,300,0,119.1,27.6\n"
        "S2,candidate,,2e6,119.2,27.7\n"
    )
    sites = read_sites(write_csv(tmp_path, text), kind="kind", capacity="beds", fixed_cost="cost")
    assert sites["kind"].tolist() == ["county_hospital", "candidate"]
    assert sites["capacity"].iloc[0] == 300.0 and np.isnan(sites["capacity"].iloc[1])
    assert sites["fixed_cost"].tolist() == [0.0, 2e6]


# --- one clear error for each kind of bad input -------------------------------------------------


def error_of(call, *args, **kwargs) -> str:
    with pytest.raises(InputError) as caught:
        call(*args, **kwargs)
    return str(caught.value)


def test_missing_file(tmp_path):
    message = error_of(read_demand, tmp_path / "nowhere.gpkg")
    assert "nowhere.gpkg" in message and "not found" in message


def test_unreadable_file(tmp_path):
    path = tmp_path / "broken.gpkg"
    path.write_bytes(b"this is not a geopackage")
    message = error_of(read_demand, path)
    assert "broken.gpkg" in message and "cannot be read" in message


def test_csv_neither_utf8_nor_gbk(tmp_path):
    path = tmp_path / "utf16.csv"
    path.write_bytes("id,lon,lat\n石门,119,27\n".encode("utf-16"))
    message = error_of(read_demand, path, population=None)
    assert "utf16.csv" in message and "save it as UTF-8" in message and "encoding=" in message


@pytest.mark.parametrize("encoding", ["UTF-8", "GBK"])
def test_shapefile_encoding_from_cpg_or_an_error(tmp_path, encoding):
    path = tmp_path / "v.shp"
    villages().to_file(path, encoding=encoding)
    assert read_demand(path)["name"].tolist() == NAMES
    path.with_suffix(".cpg").unlink()
    message = error_of(read_demand, path)
    assert "v.shp" in message and "v.cpg" in message


def test_utf8_shapefile_declared_gbk_warns_with_the_file_encoding_and_fix(tmp_path):
    path = tmp_path / "v.shp"
    villages().to_file(path, encoding="UTF-8")
    path.with_suffix(".cpg").write_text("GBK", encoding="ascii")
    with pytest.warns(HealthplanWarning) as caught:
        garbled = read_demand(path)["name"].tolist()
    assert garbled != NAMES  # what GDAL makes of UTF-8 bytes read as GBK
    (message,) = [str(w.message) for w in caught if w.category is HealthplanWarning]
    assert "v.shp" in message and "declared as GBK in v.cpg" in message
    assert "field 'name' is UTF-8" in message and f"'{NAMES[0]}' reads as '{garbled[0]}'" in message
    assert "write UTF-8 into v.cpg" in message and "SHAPE_ENCODING=UTF-8" in message


def test_the_suggested_shape_encoding_setting_reads_the_names_right(tmp_path, monkeypatch):
    path = tmp_path / "v.shp"
    villages().to_file(path, encoding="UTF-8")
    path.with_suffix(".cpg").write_text("GBK", encoding="ascii")
    monkeypatch.setenv("SHAPE_ENCODING", "UTF-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error", HealthplanWarning)
        assert read_demand(path)["name"].tolist() == NAMES


@pytest.mark.parametrize("cpg", ["GBK", "CP936", "936"])
def test_genuine_gbk_shapefile_reads_its_chinese_names_without_a_warning(tmp_path, cpg):
    path = tmp_path / "v.shp"
    frame = villages()
    frame["note"] = ["山区", "ascii only", "河谷乡镇卫生院"]  # a second text field, mixed
    frame.to_file(path, encoding="GBK")
    assert "石门村".encode("gbk") in path.with_suffix(".dbf").read_bytes()
    path.with_suffix(".cpg").write_text(cpg, encoding="ascii")
    with warnings.catch_warnings():
        warnings.simplefilter("error", HealthplanWarning)
        assert read_demand(path)["name"].tolist() == NAMES
        assert read_sites(path)["name"].tolist() == NAMES


def test_utf8_shapefile_with_a_utf8_cpg_does_not_warn(tmp_path):
    path = tmp_path / "v.shp"
    villages().to_file(path, encoding="UTF-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error", HealthplanWarning)
        assert read_demand(path)["name"].tolist() == NAMES


def test_missing_and_ambiguous_layer(tmp_path):
    path = tmp_path / "two.gpkg"
    villages().to_file(path, layer="villages")
    villages().to_file(path, layer="towns")
    message = error_of(read_demand, path, layer="sites")
    assert "two.gpkg" in message and "'sites'" in message and "'villages'" in message
    message = error_of(read_demand, path)
    assert "'towns'" in message and "layer=" in message


def test_unknown_column_lists_columns(tmp_path):
    message = error_of(read_demand, write_csv(tmp_path, CSV), population="pop")
    assert "villages.csv" in message and "'pop'" in message and "population=" in message
    assert "'population'" in message and "'lon'" in message


def test_ambiguous_coordinate_columns(tmp_path):
    path = write_csv(tmp_path, "id,population,lon,x,lat\nV1,1,119,119,27\n")
    message = error_of(read_demand, path)
    assert "'lon', 'x'" in message and "lon=" in message


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_missing_crs(tmp_path):
    path = tmp_path / "nocrs.shp"
    villages(crs=None).to_file(path, encoding="UTF-8")
    message = error_of(read_demand, path)
    assert "nocrs.shp" in message and "no CRS" in message and "crs=" in message
    assert read_demand(path, crs="EPSG:4326").crs.to_epsg() == 4326


def test_unknown_crs_names_the_file(tmp_path):
    message = error_of(read_demand, write_csv(tmp_path, CSV), crs="EPSG:nonsense")
    assert "villages.csv" in message and "'EPSG:nonsense'" in message


def test_conflicting_crs(tmp_path):
    villages().to_file(tmp_path / "v.gpkg")
    message = error_of(read_demand, tmp_path / "v.gpkg", crs="EPSG:32650")
    assert "EPSG:4326" in message and "crs=" in message


def test_duplicate_ids(tmp_path):
    text = CSV + "V1,石门村,10,119.2,27.7\nV2,x,1,119.3,27.8\n"
    message = error_of(read_demand, write_csv(tmp_path, text))
    assert "villages.csv" in message and "duplicate" in message
    assert "'V1' on line 2, line 4" in message and "'V2' on line 3, line 5" in message


def test_empty_id(tmp_path):
    message = error_of(read_demand, write_csv(tmp_path, CSV + ",无名村,5,119.2,27.7\n"))
    assert "empty id" in message and "line 4" in message and "'id'" in message


@pytest.mark.parametrize(
    ("cell", "problem"), [("many", "not a number"), ("", "empty"), ("-3", "below 0")]
)
def test_bad_population(tmp_path, cell, problem):
    text = CSV + f"V3,黄田村,{cell},119.2,27.7\n"
    message = error_of(read_demand, write_csv(tmp_path, text))
    assert "villages.csv" in message and "'population'" in message and problem in message
    assert "line 4 (id 'V3')" in message


def test_bad_coordinate_cell(tmp_path):
    message = error_of(read_demand, write_csv(tmp_path, CSV + "V3,黄田村,5,,27.7\n"))
    assert "'lon'" in message and "line 4 (id 'V3')" in message and "empty" in message


def test_coordinates_that_look_like_metres(tmp_path):
    text = "id,population,lon,lat\nV1,1,700000,3050000\n"
    message = error_of(read_demand, write_csv(tmp_path, text))
    assert "look like metres" in message and "id 'V1'" in message


def geometry_error(tmp_path: Path, geometry: list) -> str:
    frame = gpd.GeoDataFrame(
        {"id": ["A", "B"], "population": [1.0, 1.0]}, geometry=geometry, crs="EPSG:32650"
    )
    frame.to_file(tmp_path / "g.gpkg")
    return error_of(read_demand, tmp_path / "g.gpkg")


def test_null_and_empty_geometry(tmp_path):
    message = geometry_error(tmp_path, [shapely.Point(700000, 3050000), None])
    assert "g.gpkg" in message and "no geometry" in message and "feature 2 (id 'B')" in message


def test_invalid_geometry(tmp_path):
    flat = shapely.Polygon([(700000, 3050000), (700010, 3050000), (700005, 3050000)])
    message = geometry_error(tmp_path, [shapely.Point(700000, 3050000), flat])
    assert "invalid geometry" in message and "id 'B'" in message


def test_line_geometry(tmp_path):
    line = shapely.LineString([(0, 0), (10, 10)])
    message = geometry_error(tmp_path, [line, shapely.Point(1, 1)])
    assert "not a point or polygon" in message and "feature 1 (id 'A')" in message


def test_empty_layer(tmp_path):
    message = error_of(read_demand, write_csv(tmp_path, "id,population,lon,lat\n"))
    assert "no rows" in message


@pytest.mark.parametrize(
    ("row", "field", "problem"),
    [
        ("S2,candidate,-5,0,119.2,27.7", "capacity", "below 0"),
        ("S2,candidate,5,,119.2,27.7", "fixed_cost", "empty"),
        ("S2,candidate,5,-1,119.2,27.7", "fixed_cost", "below 0"),
        ("S2,,5,0,119.2,27.7", "kind", "empty"),
    ],
)
def test_bad_site_fields(tmp_path, row, field, problem):
    text = f"id,kind,beds,cost,lon,lat\nS1,candidate,1,0,119.1,27.6\n{row}\n"
    message = error_of(
        read_sites, write_csv(tmp_path, text), kind="kind", capacity="beds", fixed_cost="cost"
    )
    assert f"({field}" in message and problem in message and "line 3 (id 'S2')" in message


def test_csv_has_no_layers(tmp_path):
    message = error_of(read_demand, write_csv(tmp_path, CSV), layer="villages")
    assert "no layers" in message


def test_spatial_file_with_lon_lat_arguments(tmp_path):
    villages().to_file(tmp_path / "v.gpkg")
    message = error_of(read_demand, tmp_path / "v.gpkg", lon="x", lat="y")
    assert "own geometry" in message
