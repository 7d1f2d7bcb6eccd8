"""Straight-line minutes equal a dense brute force, within the cutoff only, zeros kept."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from scipy.spatial.distance import cdist

from geodata import InputError, TravelTimes, straight_line_minutes


def frame(xy: np.ndarray, prefix: str, crs: object = "EPSG:32650") -> gpd.GeoDataFrame:
    ids = [f"{prefix}{k}" for k in range(len(xy))]
    return gpd.GeoDataFrame({"id": ids}, geometry=gpd.points_from_xy(*xy.T), crs=crs)


@pytest.fixture
def example() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    rng = np.random.default_rng(7)
    demand_xy = 700_000 + rng.uniform(0, 20_000, (60, 2))
    sites_xy = 700_000 + rng.uniform(0, 20_000, (15, 2))
    sites_xy[0] = demand_xy[3]  # a site at a village: a zero-minute trip
    return frame(demand_xy, "V"), frame(sites_xy, "S")


def test_equals_dense_brute_force(example):
    demand, sites = example
    times = straight_line_minutes(demand, sites, speed_kmh=30, circuity=1.3, max_minutes=15)
    km = (
        cdist(
            np.column_stack([demand.geometry.x, demand.geometry.y]),
            np.column_stack([sites.geometry.x, sites.geometry.y]),
        )
        / 1000
    )
    expected = km * 1.3 / 30 * 60
    within = expected <= 15
    assert isinstance(times, TravelTimes)
    assert times.minutes.shape == (60, 15) and times.minutes.dtype == np.float64
    coo = times.minutes.tocoo()
    stored = np.zeros_like(within)
    stored[coo.row, coo.col] = True
    np.testing.assert_array_equal(stored, within)
    np.testing.assert_allclose(coo.data, expected[coo.row, coo.col], rtol=1e-12, atol=1e-9)
    assert 0 < times.minutes.nnz < within.size
    assert list(times.demand_ids) == list(demand["id"])
    assert list(times.site_ids) == list(sites["id"])
    assert times.source == "straight-line x1.3 @ 30 km/h"


def test_colocated_pair_is_an_explicit_zero(example):
    demand, sites = example
    times = straight_line_minutes(demand, sites, speed_kmh=30, max_minutes=15)
    row = times.minutes[[3]].tocoo()
    assert 0 in row.col and row.data[list(row.col).index(0)] == 0.0
    pairs = times.to_frame()
    zero = pairs[(pairs.demand_id == "V3") & (pairs.site_id == "S0")]
    assert zero["minutes"].tolist() == [0.0]
    assert len(pairs) == times.minutes.nnz
    assert list(pairs.columns) == ["demand_id", "site_id", "minutes"]


def test_pair_exactly_at_the_cutoff_is_kept():
    demand = frame(np.array([[700_000.0, 3_050_000.0]]), "V")
    sites = frame(np.array([[705_000.0, 3_050_000.0], [705_001.0, 3_050_000.0]]), "S")
    times = straight_line_minutes(demand, sites, speed_kmh=30, circuity=1.0, max_minutes=10)
    assert times.to_frame()["site_id"].tolist() == ["S0"]
    assert times.minutes[0, 0] == pytest.approx(10.0)


def test_sites_are_reprojected_to_the_demand_crs(example):
    demand, sites = example
    direct = straight_line_minutes(demand, sites, speed_kmh=30, max_minutes=15)
    from_degrees = straight_line_minutes(demand, sites.to_crs(4326), speed_kmh=30, max_minutes=15)
    np.testing.assert_array_equal(direct.minutes.indices, from_degrees.minutes.indices)
    np.testing.assert_allclose(direct.minutes.data, from_degrees.minutes.data, atol=1e-6)


@pytest.mark.parametrize(
    ("options", "name"),
    [
        ({"speed_kmh": 0, "max_minutes": 10}, "speed_kmh"),
        ({"speed_kmh": 30, "circuity": 0.9, "max_minutes": 10}, "circuity"),
        ({"speed_kmh": 30, "max_minutes": -1}, "max_minutes"),
        ({"speed_kmh": float("nan"), "max_minutes": 10}, "speed_kmh"),
        ({"speed_kmh": "fast", "max_minutes": 10}, "speed_kmh"),
    ],
)
def test_bad_parameters(example, options, name):
    demand, sites = example
    with pytest.raises(InputError, match=name):
        straight_line_minutes(demand, sites, **options)


def test_frames_without_ids_or_points(example):
    demand, sites = example
    with pytest.raises(InputError, match="no 'id' column"):
        straight_line_minutes(demand.drop(columns="id"), sites, speed_kmh=30, max_minutes=5)
    lines = sites.copy()
    lines.geometry = lines.buffer(10).boundary
    with pytest.raises(InputError, match="not points"):
        straight_line_minutes(demand, lines, speed_kmh=30, max_minutes=5)
