"""District polygons: Voronoi cells of demand points dissolved by hub, or dissolved polygons."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import Point, box

from optimizer.plan.districts import HULL_MARGIN_M, district_polygons

CRS = "EPSG:32650"


def _assignments(n: int = 60, seed: int = 1) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(1000, 19000, size=(n, 2))
    hub = np.where(xy[:, 0] < 10000, "H1", np.where(xy[:, 1] < 10000, "H2", "H3"))
    return gpd.GeoDataFrame(
        {
            "demand_id": [f"V{i}" for i in range(n)],
            "population": rng.integers(100, 900, n),
            "hub_id": hub,
        },
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
        crs=CRS,
    )


def test_cells_cover_boundary_without_overlap_and_hold_their_points() -> None:
    units = _assignments()
    region = box(0, 0, 20000, 20000)
    boundary = gpd.GeoDataFrame(geometry=[region], crs=CRS).to_crs("EPSG:4326")
    out = district_polygons(units, boundary, names={"H1": "甲镇", "H2": "乙乡"})
    assert list(out.columns) == ["hub_id", "name", "population", "n_units", "geometry"]
    assert sorted(out["hub_id"]) == ["H1", "H2", "H3"]
    assert dict(zip(out["hub_id"], out["name"], strict=True)) == {
        "H1": "甲镇",
        "H2": "乙乡",
        "H3": "H3",
    }
    union = shapely.union_all(out.geometry.to_numpy())
    assert union.symmetric_difference(region).area < 1e-3 * region.area
    total = sum(g.area for g in out.geometry)
    assert total == pytest.approx(region.area, rel=1e-4)  # no overlaps
    polygon = dict(zip(out["hub_id"], out.geometry, strict=True))
    for hub, point in zip(units["hub_id"], units.geometry, strict=True):
        assert polygon[hub].contains(point)
    sums = units.groupby("hub_id")["population"].sum()
    assert out.set_index("hub_id")["population"].to_dict() == pytest.approx(sums.to_dict())
    assert out.set_index("hub_id")["n_units"].to_dict() == units["hub_id"].value_counts().to_dict()


def test_without_boundary_the_grown_hull_is_used_and_unassigned_units_are_left_out() -> None:
    units = _assignments(30, seed=3)
    units.loc[0, "hub_id"] = ""
    out = district_polygons(units)
    hull = units.union_all().convex_hull.buffer(HULL_MARGIN_M)
    union = shapely.union_all(out.geometry.to_numpy())
    assert union.area < hull.area
    assert not union.contains(units.geometry.iloc[0])
    assert out["n_units"].sum() == 29


def test_repeated_points_and_polygon_units() -> None:
    units = _assignments(10)
    units = gpd.GeoDataFrame(gpd.pd.concat([units, units.iloc[[0]]], ignore_index=True), crs=CRS)
    out = district_polygons(units)
    assert out["n_units"].sum() == 11
    assert sum(g.area for g in out.geometry) == pytest.approx(
        shapely.union_all(out.geometry.to_numpy()).area
    )
    squares = units.iloc[:4].copy()
    squares["geometry"] = [Point(x, 0).buffer(1).envelope for x in (0, 2, 4, 6)]
    squares["hub_id"] = ["A", "A", "B", "B"]
    out = district_polygons(squares)
    assert out.set_index("hub_id").area.to_dict() == pytest.approx({"A": 8.0, "B": 8.0})


def test_no_assigned_units_gives_an_empty_layer() -> None:
    units = _assignments(5)
    units["hub_id"] = ""
    out = district_polygons(units)
    assert out.empty and list(out.columns) == [
        "hub_id",
        "name",
        "population",
        "n_units",
        "geometry",
    ]
