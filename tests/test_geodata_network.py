"""Network minutes on a hand-made grid (hand-computed) and a synthetic county (brute force)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geodata import InputError, network_minutes, synthetic_county

X0, Y0 = 700_000.0, 3_050_000.0
CRS = "EPSG:32650"


def at(x_km: float, y_km: float) -> tuple[float, float]:
    return (X0 + 1000 * x_km, Y0 + 1000 * y_km)


def grid_roads() -> gpd.GeoDataFrame:
    """A 3 x 3 grid, 1 km apart: east-west roads 60 km/h (1 min/km), north-south 30 (2 min/km).

    East-west roads are single three-vertex lines; north-south roads are two-point segments, one
    of them given as a MultiLineString; a separate road far east is not connected.
    """
    lines, speeds, classes = [], [], []
    for y in range(3):
        lines.append(shapely.LineString([at(0, y), at(1, y), at(2, y)]))
        speeds.append(60.0)
        classes.append("county")
    for x in range(3):
        parts = [shapely.LineString([at(x, 0), at(x, 1)]), shapely.LineString([at(x, 1), at(x, 2)])]
        lines.extend([shapely.MultiLineString(parts)] if x == 1 else parts)
        speeds.extend([30.0] * (1 if x == 1 else 2))
        classes.extend(["village"] * (1 if x == 1 else 2))
    lines.append(shapely.LineString([at(10, 0), at(11, 0)]))
    speeds.append(60.0)
    classes.append("county")
    ids = [f"R{k}" for k in range(len(lines))]
    return gpd.GeoDataFrame(
        {"id": ids, "speed": speeds, "road_class": classes}, geometry=lines, crs=CRS
    )


def points(xy: list[tuple[float, float]], prefix: str) -> gpd.GeoDataFrame:
    ids = [f"{prefix}{k + 1}" for k in range(len(xy))]
    return gpd.GeoDataFrame({"id": ids}, geometry=[shapely.Point(p) for p in xy], crs=CRS)


# D1 on node (0,0); D2 100 m north of node (2,2): 1.2 min on foot at 5 km/h.
DEMAND = points([at(0, 0), at(2, 2.1)], "D")
# S1 on node (2,0); S2 50 m west of node (0,2): 0.6 min; S3 at D1; S4 on the separate road.
SITES = points([at(2, 0), at(-0.05, 2), at(0, 0), at(11, 0)], "S")
# Hand-computed: D1-S1 2 km east = 2; D1-S2 2 km north (4) + 0.6; D1-S3 0;
# D2-S1 1.2 + 2 km south (4); D2-S2 1.2 + 2 km west (2) + 0.6; D2-S3 1.2 + 2 + 4.
EXPECTED = {
    ("D1", "S1"): 2.0,
    ("D1", "S2"): 4.6,
    ("D1", "S3"): 0.0,
    ("D2", "S1"): 5.2,
    ("D2", "S2"): 3.8,
    ("D2", "S3"): 7.2,
}


def as_dict(times) -> dict[tuple[str, str], float]:
    frame = times.to_frame()
    return dict(zip(zip(frame.demand_id, frame.site_id, strict=True), frame.minutes, strict=True))


@pytest.mark.parametrize(
    "speeds",
    [
        {"speed_column": "speed"},
        {"class_column": "road_class", "class_speeds": {"county": 60, "village": 30}},
    ],
)
def test_grid_matches_hand_computed_minutes(speeds):
    times = network_minutes(DEMAND, SITES, grid_roads(), max_minutes=10, **speeds)
    got = as_dict(times)
    assert got.keys() == EXPECTED.keys()
    for pair, minutes in EXPECTED.items():
        assert got[pair] == pytest.approx(minutes, abs=1e-9)
    assert times.minutes[[0]].tocoo().col.tolist() == [0, 1, 2]  # D1-S3 is a stored 0.0
    assert "road network" in times.source


def test_cutoff_keeps_only_pairs_within_max_minutes():
    times = network_minutes(DEMAND, SITES, grid_roads(), speed_column="speed", max_minutes=5)
    expected = {pair for pair, minutes in EXPECTED.items() if minutes <= 5}
    assert set(as_dict(times)) == expected
    assert as_dict(times)[("D1", "S3")] == 0.0


def test_default_speed_for_every_road():
    times = network_minutes(DEMAND, SITES, grid_roads(), default_speed_kmh=60, max_minutes=10)
    assert as_dict(times)[("D1", "S2")] == pytest.approx(2.6)


def test_vertices_within_a_tenth_of_a_metre_are_one_node():
    roads = gpd.GeoDataFrame(
        {"speed": [60.0, 60.0]},
        geometry=[
            shapely.LineString([at(0, 0), at(1, 0)]),
            shapely.LineString([(X0 + 1000.04, Y0), at(2, 0)]),
        ],
        crs=CRS,
    )
    times = network_minutes(
        points([at(0, 0)], "D"), points([at(2, 0)], "S"), roads, speed_column="speed", max_minutes=5
    )
    assert times.minutes[0, 0] == pytest.approx(2.0, abs=1e-4)


def brute_force(county, max_minutes: float, access_kmh: float = 5.0) -> np.ndarray:
    """Dense all-pairs shortest paths (Floyd-Warshall in numpy) over exact road vertices."""
    coords, part = shapely.get_coordinates(county.roads.geometry.values, return_index=True)
    nodes, node = np.unique(coords, axis=0, return_inverse=True)
    node = node.ravel()
    dist = np.full((len(nodes), len(nodes)), np.inf)
    np.fill_diagonal(dist, 0.0)
    speeds = county.roads["speed_kmh"].to_numpy()
    for k in np.flatnonzero(part[:-1] == part[1:]):
        minutes = np.hypot(*(coords[k + 1] - coords[k])) / 1000 / speeds[part[k]] * 60
        a, b = node[k], node[k + 1]
        dist[a, b] = dist[b, a] = min(dist[a, b], minutes)
    for k in range(len(nodes)):
        dist = np.minimum(dist, dist[:, [k]] + dist[[k], :])

    def snap(frame):
        xy = shapely.get_coordinates(frame.geometry.values)
        metres = np.hypot(*(xy[:, None, :] - nodes[None, :, :]).transpose(2, 0, 1))
        return metres.argmin(axis=1), metres.min(axis=1) / 1000 / access_kmh * 60

    d_node, d_access = snap(county.demand)
    s_node, s_access = snap(county.sites)
    total = d_access[:, None] + dist[np.ix_(d_node, s_node)] + s_access[None, :]
    return np.where(total <= max_minutes, total, np.inf)


def test_synthetic_county_matches_brute_force():
    county = synthetic_county(40, 9, seed=1)
    county.demand.loc[5, "geometry"] = shapely.Point(
        county.demand.geometry.x[5] + 300, county.demand.geometry.y[5] + 400
    )
    times = network_minutes(
        county.demand, county.sites, county.roads, speed_column="speed_kmh", max_minutes=25
    )
    expected = brute_force(county, 25)
    coo = times.minutes.tocoo()
    stored = np.zeros(expected.shape, dtype=bool)
    stored[coo.row, coo.col] = True
    np.testing.assert_array_equal(stored, np.isfinite(expected))
    np.testing.assert_allclose(coo.data, expected[coo.row, coo.col], rtol=1e-9, atol=1e-9)
    assert 0 < times.minutes.nnz < expected.size


# --- errors ---------------------------------------------------------------------------------


def error_of(roads: gpd.GeoDataFrame, **options) -> str:
    options.setdefault("max_minutes", 10)
    with pytest.raises(InputError) as caught:
        network_minutes(DEMAND, SITES, roads, **options)
    return str(caught.value)


def test_empty_road_layer():
    assert "no features" in error_of(grid_roads().iloc[:0])


def test_non_line_geometry():
    roads = grid_roads()
    roads.loc[2, "geometry"] = shapely.Point(at(0, 0))
    message = error_of(roads)
    assert "feature 3 (id 'R2')" in message and "not lines" in message and "'Point'" in message


@pytest.mark.parametrize("bad", [0.0, -20.0, np.nan, "fast"])
def test_bad_speeds_name_the_feature(bad):
    roads = grid_roads().astype({"speed": object})
    roads.loc[4, "speed"] = bad
    message = error_of(roads, speed_column="speed")
    assert "'speed'" in message and "feature 5 (id 'R4')" in message and "not positive" in message


def test_unknown_road_class():
    message = error_of(grid_roads(), class_column="road_class", class_speeds={"county": 60})
    assert "'village'" in message and "class_speeds" in message and "id 'R3'" in message


@pytest.mark.parametrize(
    ("options", "text"),
    [
        ({"speed_column": "speed", "class_column": "road_class"}, "not both"),
        ({"class_column": "road_class"}, "go together"),
        ({"speed_column": "kmh"}, "no column 'kmh'"),
        ({"class_column": "road_class", "class_speeds": {"county": 60, "village": 0}}, "village"),
        ({"access_speed_kmh": 0}, "access_speed_kmh"),
        ({"default_speed_kmh": -1}, "default_speed_kmh"),
    ],
)
def test_bad_options(options, text):
    assert text in error_of(grid_roads(), **options)


def test_roads_without_crs():
    assert "no CRS" in error_of(grid_roads().set_crs(None, allow_override=True))


def straight_road(direction: int = 0) -> gpd.GeoDataFrame:
    """One 10 km straight road along the x axis (UTM 50N), driven both ways or one way."""
    return gpd.GeoDataFrame(
        {"direction": [direction]},
        geometry=[shapely.LineString([(500000, 3000000), (510000, 3000000)])],
        crs="EPSG:32650",
    )


def utm_points(xy: list[tuple[float, float]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"id": [f"P{k}" for k in range(len(xy))], "name": "", "population": 1.0},
        geometry=[shapely.Point(500000 + x, 3000000 + y) for x, y in xy],
        crs="EPSG:32650",
    )


def test_a_village_beside_a_long_road_joins_at_its_foot_point() -> None:
    """300 m and 200 m access legs at 5 km/h (3.6 + 2.4 min) and 3 km of road at 30 km/h
    (6 min); joining the road's ends instead would walk kilometres."""
    village, site = utm_points([(5000, 300)]), utm_points([(8000, -200), (5000, 300)])
    times = network_minutes(village, site, straight_road(), default_speed_kmh=30, max_minutes=60)
    assert times.minutes.toarray()[0] == pytest.approx([12.0, 7.2])


def test_two_points_on_one_segment_and_a_one_way_road() -> None:
    """Both points split the same segment; against a one-way road there is no trip."""
    a, b = utm_points([(2000, 100)]), utm_points([(6000, 100)])
    options = dict(default_speed_kmh=60, max_minutes=60, direction_column="direction")
    along = network_minutes(a, b, straight_road(1), **options)
    assert along.minutes.toarray()[0, 0] == pytest.approx(1.2 + 4.0 + 1.2)
    against = network_minutes(b, a, straight_road(1), **options)
    assert against.minutes.nnz == 0
    both = network_minutes(b, a, straight_road(0), **options)
    assert both.minutes.toarray()[0, 0] == pytest.approx(6.4)
