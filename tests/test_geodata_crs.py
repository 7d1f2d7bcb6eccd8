"""Projection to a metric CRS: UTM for degrees, projected metres kept, no CRS is an error."""

from __future__ import annotations

import geopandas as gpd
import pytest

from geodata import InputError, metric_crs, to_metric


def points(xy: list[tuple[float, float]], crs: object) -> gpd.GeoDataFrame:
    x, y = zip(*xy, strict=True)
    ids = [f"P{k}" for k in range(len(xy))]
    return gpd.GeoDataFrame({"id": ids}, geometry=gpd.points_from_xy(x, y), crs=crs)


def test_degrees_go_to_the_utm_zone_of_the_data():
    zhejiang = points([(119.06, 27.62), (119.46, 27.67)], "EPSG:4326")
    assert metric_crs(zhejiang).to_epsg() == 32650
    sichuan = points([(103.0, 30.0)], "EPSG:4326")
    assert metric_crs(sichuan).to_epsg() == 32648
    projected = to_metric(zhejiang)
    assert projected.crs.to_epsg() == 32650
    assert 600_000 < projected.geometry.x.min() < 800_000


def test_projected_metres_are_kept_unless_a_crs_is_given():
    utm = points([(700_000, 3_050_000)], "EPSG:32650")
    assert to_metric(utm).crs.to_epsg() == 32650
    assert to_metric(utm).geometry.equals(utm.geometry)
    assert to_metric(utm, "EPSG:32651").crs.to_epsg() == 32651


def test_a_crs_in_feet_goes_to_utm():
    feet = points([(990_000, 200_000)], "EPSG:2263")  # Manhattan in NY Long Island US feet
    assert metric_crs(feet).to_epsg() == 32618


def test_no_crs_is_an_error():
    with pytest.raises(InputError, match="no CRS"):
        to_metric(points([(1, 2)], None))


def test_degrees_that_look_like_metres():
    with pytest.raises(InputError, match="look like metres") as caught:
        metric_crs(points([(119.0, 27.0), (700_000, 3_050_000)], "EPSG:4326"))
    assert "id 'P1'" in str(caught.value)


def test_target_must_be_metric():
    with pytest.raises(InputError, match="not a projected CRS in metres"):
        to_metric(points([(119.0, 27.0)], "EPSG:4326"), "EPSG:4490")
    with pytest.raises(InputError, match="not a CRS pyproj knows"):
        to_metric(points([(119.0, 27.0)], "EPSG:4326"), "EPSG:nonsense")
