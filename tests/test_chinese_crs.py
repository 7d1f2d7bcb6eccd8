"""GCJ-02 (Amap, Tencent) and BD-09 (Baidu) coordinates: the transforms, and reading points
given in them; EPSG:4490 (CGCS2000) read like any PROJ CRS."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod

import geodata
from geodata import HealthplanWarning, InputError
from geodata.chinese_crs import (
    chinese_crs_name,
    gcj02_to_bd09,
    out_of_china,
    to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from optimizer.config.site import DemandConfig
from optimizer.inputs.read import read_demand_layer

GEOD = Geod(ellps="WGS84")
FORWARD_DEGREES = 1e-9  # agreement of the forward transforms with the references (degrees)
INVERSE_METRES = 0.01  # largest round-trip or inverse error accepted (metres)

# WGS84 lat, lon -> GCJ-02 lat, lon: the test pairs of the eviltransform project
# (github.com/googollee/eviltransform, go/transform_test.go and python/test.py).
EVILTRANSFORM_PAIRS = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # Shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # Shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # Beijing
]

# WGS84 lon, lat -> GCJ-02 lon, lat -> BD-09 lon, lat, computed with prcoords 1.0.2
# (github.com/Artoria2e5/PRCoords, wgs_gcj and wgs_bd) across China.
PRCOORDS_POINTS = [
    (119.06, 27.6, 119.06504798429685, 27.596945421708256, 119.07152365453385, 27.60303628427198),
    (
        116.397,
        39.909,
        116.40324350604497,
        39.91040339728811,
        116.40961569346796,
        39.916744221722645,
    ),
    (87.6168, 43.8256, 87.61964994946926, 43.82680539311119, 87.62609977081571, 43.83294979479328),
    (91.1322, 29.6604, 91.1337433248789, 29.657679589949623, 91.14034276218612, 29.663425674028154),
    (
        126.6425,
        45.7567,
        126.64847005257023,
        45.758651260466564,
        126.65509997573373,
        45.76434458585634,
    ),
    (
        110.3312,
        20.0311,
        110.33557084396945,
        20.029053664963516,
        110.34211865086186,
        20.034729582393396,
    ),
    (75.9898, 39.4677, 75.99275490429785, 39.467926153559915, 75.99926143643135, 39.47388793532555),
    (
        121.4737,
        31.2304,
        121.47822305927693,
        31.22845773757727,
        121.484781468503,
        31.234310593689997,
    ),
]


def metres(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Geodesic distances (metres, WGS84 ellipsoid) between points given in degrees."""
    return GEOD.inv(*np.broadcast_arrays(lon1, lat1, lon2, lat2))[2]


def china_grid() -> tuple[np.ndarray, np.ndarray]:
    """WGS84 lon/lat (degrees) every 0.37 degrees over the rectangle of mainland China."""
    lon, lat = np.meshgrid(np.arange(73.7, 135.0, 0.37), np.arange(18.1, 53.5, 0.37))
    return lon.ravel(), lat.ravel()


def test_names_are_read_in_any_spelling():
    assert chinese_crs_name("gcj02") == chinese_crs_name(" GCJ-02 ") == "GCJ-02"
    assert chinese_crs_name("bd09") == chinese_crs_name("BD-09") == "BD-09"
    assert chinese_crs_name("EPSG:4326") is None
    assert chinese_crs_name(4326) is None


def test_forward_transforms_agree_with_eviltransform_test_pairs():
    wgs_lat, wgs_lon, gcj_lat, gcj_lon = np.array(EVILTRANSFORM_PAIRS).T
    lon, lat = wgs84_to_gcj02(wgs_lon, wgs_lat)
    assert np.abs(lon - gcj_lon).max() < FORWARD_DEGREES
    assert np.abs(lat - gcj_lat).max() < FORWARD_DEGREES


def test_forward_transforms_agree_with_prcoords():
    wgs_lon, wgs_lat, gcj_lon, gcj_lat, bd_lon, bd_lat = np.array(PRCOORDS_POINTS).T
    for mine, theirs in [
        (wgs84_to_gcj02(wgs_lon, wgs_lat), (gcj_lon, gcj_lat)),
        (wgs84_to_bd09(wgs_lon, wgs_lat), (bd_lon, bd_lat)),
        (gcj02_to_bd09(gcj_lon, gcj_lat), (bd_lon, bd_lat)),
    ]:
        assert np.abs(np.subtract(mine, theirs)).max() < FORWARD_DEGREES


def test_inverses_recover_the_reference_wgs84_points():
    wgs_lon, wgs_lat, gcj_lon, gcj_lat, bd_lon, bd_lat = np.array(PRCOORDS_POINTS).T
    assert metres(*to_wgs84(gcj_lon, gcj_lat, "GCJ-02"), wgs_lon, wgs_lat).max() < INVERSE_METRES
    assert metres(*to_wgs84(bd_lon, bd_lat, "BD-09"), wgs_lon, wgs_lat).max() < INVERSE_METRES
    wgs_lat, wgs_lon, gcj_lat, gcj_lon = np.array(EVILTRANSFORM_PAIRS).T
    assert metres(*to_wgs84(gcj_lon, gcj_lat, "gcj02"), wgs_lon, wgs_lat).max() < INVERSE_METRES


@pytest.mark.parametrize(("crs", "forward"), [("GCJ-02", wgs84_to_gcj02), ("BD-09", wgs84_to_bd09)])
def test_round_trips_over_china_are_within_a_centimetre(crs, forward):
    lon, lat = china_grid()
    assert lon.size > 15_000
    offset = forward(lon, lat)
    shift = metres(lon, lat, *offset)
    assert 10 < shift.min() and shift.max() < 2000  # a real offset everywhere
    assert metres(lon, lat, *to_wgs84(*offset, crs)).max() < INVERSE_METRES


def test_points_outside_china_are_left_unchanged_by_gcj02():
    lon, lat = np.array([2.35, -74.0, 139.69, 106.8]), np.array([48.85, 40.7, 35.69, -6.2])
    assert out_of_china(lon, lat).all()
    assert np.array_equal(wgs84_to_gcj02(lon, lat), (lon, lat))
    assert np.array_equal(to_wgs84(lon, lat, "GCJ-02"), (lon, lat))
    assert not out_of_china(119.06, 27.6)


def village_points() -> tuple[np.ndarray, np.ndarray]:
    """WGS84 lon/lat (degrees) of 25 villages around Qingyuan county (119.06E, 27.6N)."""
    rng = np.random.default_rng(5)
    return 119.06 + rng.uniform(-0.3, 0.3, 25), 27.6 + rng.uniform(-0.2, 0.2, 25)


def village_table(lon: np.ndarray, lat: np.ndarray) -> pd.DataFrame:
    ids = [f"V{k:03d}" for k in range(len(lon))]
    return pd.DataFrame({"id": ids, "name": ids, "population": 100, "lng": lon, "lat": lat}).astype(
        {"lng": str, "lat": str}
    )


def test_gcj02_csv_villages_read_as_wgs84_points_with_a_warning(tmp_path):
    lon, lat = village_points()
    gcj = wgs84_to_gcj02(lon, lat)
    path = tmp_path / "villages_amap.csv"
    village_table(*gcj).to_csv(path, index=False)
    with pytest.warns(HealthplanWarning) as caught:
        demand = geodata.read_demand(path, crs="gcj02")
    message = " ".join(str(w.message) for w in caught)
    assert str(path) in message
    assert "converted from GCJ-02 to WGS84 (Amap/Tencent coordinates)" in message
    assert demand.crs.to_epsg() == 4326
    x, y = demand.geometry.x.to_numpy(), demand.geometry.y.to_numpy()
    assert metres(x, y, lon, lat).max() < INVERSE_METRES
    shift = metres(x, y, *gcj)
    assert 300 < shift.min() and shift.max() < 650
    metric = geodata.to_metric(demand)
    assert metric.crs.to_epsg() == 32650


def test_bd09_sites_from_a_layer_labelled_wgs84(tmp_path):
    lon, lat = village_points()
    bd = wgs84_to_bd09(lon, lat)
    layer = gpd.GeoDataFrame(
        {"id": [f"S{k}" for k in range(len(lon))]}, geometry=gpd.points_from_xy(*bd), crs=4326
    )
    path = tmp_path / "sites_baidu.gpkg"
    layer.to_file(path)
    with pytest.warns(HealthplanWarning, match=r"converted from BD-09 to WGS84 \(Baidu"):
        sites = geodata.read_sites(path, crs="BD-09")
    assert sites.crs.to_epsg() == 4326
    assert metres(sites.geometry.x, sites.geometry.y, lon, lat).max() < INVERSE_METRES


def test_gcj02_polygons_are_converted_vertex_by_vertex(tmp_path):
    """Township polygons digitised on Amap: every vertex is converted, so the polygon and the
    demand point inside it both move to WGS84."""
    wgs = shapely.Polygon([(119.0, 27.55), (119.1, 27.55), (119.1, 27.65), (119.0, 27.65)])
    gcj = shapely.transform(wgs, lambda xy: np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1])))
    layer = gpd.GeoDataFrame({"id": ["T1"], "population": [5000]}, geometry=[gcj], crs=4326)
    path = tmp_path / "townships.gpkg"
    layer.to_file(path)
    with pytest.warns(HealthplanWarning, match="converted from GCJ-02"):
        demand, frame = read_demand_layer(DemandConfig(path=path, crs="GCJ-02"))
    converted = shapely.get_coordinates(frame.geometry.iloc[0])
    expected = shapely.get_coordinates(wgs)
    assert metres(*converted.T, *expected.T).max() < INVERSE_METRES
    assert frame.crs.to_epsg() == 4326
    point = demand.to_crs(4326).geometry.iloc[0]
    assert wgs.contains(point)


def write_layer(path: Path, xy: tuple[np.ndarray, np.ndarray], crs: object) -> Path:
    frame = gpd.GeoDataFrame(
        {"id": [f"V{k}" for k in range(len(xy[0]))], "population": 1.0},
        geometry=gpd.points_from_xy(*xy),
        crs=crs,
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "'crs' was not provided")
        frame.to_file(path)
    return path


def test_gcj02_on_a_projected_layer_is_an_error(tmp_path):
    lon, lat = village_points()
    utm = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs=4326).to_crs(32650)
    path = write_layer(tmp_path / "villages_utm.gpkg", (utm.x, utm.y), 32650)
    with pytest.raises(InputError) as caught:
        geodata.read_demand(path, crs="GCJ-02")
    message = str(caught.value)
    assert str(path) in message
    assert "crs = 'GCJ-02' applies to longitude/latitude in degrees" in message
    assert "projected CRS EPSG:32650 (metres)" in message


def test_gcj02_on_metre_values_is_an_error(tmp_path):
    path = write_layer(tmp_path / "villages.gpkg", ([700_000.0, 119.0], [3_050_000.0, 27.6]), None)
    with pytest.raises(InputError, match="applies to longitude/latitude") as caught:
        geodata.read_demand(path, crs="BD-09")
    assert "feature 1 (id 'V0')" in str(caught.value)
    assert "look like metres" in str(caught.value)
    table = village_table(np.array([700_000.0]), np.array([3_050_000.0]))
    table.to_csv(tmp_path / "villages.csv", index=False)
    with pytest.raises(InputError, match="line 2 \\(id 'V000'\\) lie outside"):
        geodata.read_demand(tmp_path / "villages.csv", crs="GCJ-02")


def test_cgcs2000_layer_and_csv_read_and_project(tmp_path):
    """EPSG:4490 (CGCS2000, the datum of Tianditu): read and projected to UTM like WGS84;
    the two frames agree to well under a metre."""
    lon, lat = village_points()
    path = write_layer(tmp_path / "villages_cgcs2000.gpkg", (lon, lat), "EPSG:4490")
    layer = geodata.read_demand(path, population=None)
    assert layer.crs.to_epsg() == 4490
    village_table(lon, lat).to_csv(tmp_path / "villages.csv", index=False)
    table = geodata.read_demand(tmp_path / "villages.csv", crs="EPSG:4490")
    assert table.crs.to_epsg() == 4490
    wgs = geodata.read_demand(tmp_path / "villages.csv")
    for frame in (layer, table):
        metric = geodata.to_metric(frame)
        assert metric.crs.to_epsg() == 32650
        reference = geodata.to_metric(wgs, crs=metric.crs)
        assert metric.geometry.distance(reference.geometry).max() < 1.0
