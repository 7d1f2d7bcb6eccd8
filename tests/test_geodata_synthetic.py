"""The synthetic county: deterministic per seed, plausible, connected, and written to GeoPackage."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components

from geodata import InputError, read_demand, read_sites, synthetic_county
from geodata.synthetic.__main__ import main

LAYERS = ("demand", "sites", "roads", "boundary")


@pytest.fixture(scope="module")
def county():
    return synthetic_county()


def test_same_seed_same_county(county):
    again = synthetic_county()
    for layer in LAYERS:
        assert_geodataframe_equal(getattr(county, layer), getattr(again, layer))


def test_different_seed_different_county(county):
    other = synthetic_county(seed=1)
    assert not county.demand.geometry.geom_equals(other.demand.geometry).all()
    assert county.demand["name"].tolist() != other.demand["name"].tolist()


def test_demand(county):
    demand = county.demand
    assert list(demand.columns) == ["id", "name", "population", "geometry"]
    assert len(demand) == 300 and demand.crs.to_epsg() == 32650
    assert demand["id"].iloc[0] == "V0001" and demand["id"].is_unique
    assert demand["name"].is_unique and demand["name"].str.endswith(("村", "区")).all()
    people = demand["population"]
    assert (people == people.round()).all() and people.dtype == np.float64
    assert people.iloc[0] > 10_000 and people.iloc[1] > 5_000  # the two towns
    assert 300 < people.iloc[2:].median() < 3_000 and people.min() >= 100
    width, height = np.ptp(shapely.get_coordinates(demand.geometry.values), axis=0)
    assert 30_000 < width <= 60_000 and 25_000 < height <= 50_000


def test_sites(county):
    sites = county.sites
    assert list(sites.columns) == ["id", "name", "kind", "capacity", "fixed_cost", "geometry"]
    assert len(sites) == 40 and sites["id"].iloc[0] == "S001" and sites["id"].is_unique
    kinds = sites["kind"].value_counts()
    assert kinds["county_hospital"] == 1 and kinds["township_centre"] == 12
    assert kinds["candidate"] == 27
    hospital = sites[sites.kind == "county_hospital"].geometry.iloc[0]
    largest = county.demand.loc[county.demand.population.idxmax()].geometry
    assert hospital.equals(largest)
    existing = sites.kind != "candidate"
    assert (sites.loc[existing, "fixed_cost"] == 0).all()
    assert sites.loc[~existing, "fixed_cost"].between(2e6, 8e6).all()
    assert sites["capacity"].between(20, 300).all()
    assert sites["name"].str.endswith(("医院", "卫生院", "候选点")).all()


def test_roads_are_connected_and_reach_every_point(county):
    roads = county.roads
    assert set(roads.road_class) == {"county", "township", "village"}
    assert (roads.geom_type == "LineString").all()
    speeds = dict(zip(roads.road_class, roads.speed_kmh, strict=True))
    assert speeds == {"county": 60.0, "township": 40.0, "village": 25.0}
    coords, line = shapely.get_coordinates(roads.geometry.values, return_index=True)
    nodes, node = np.unique(coords, axis=0, return_inverse=True)
    node = node.ravel()
    same = line[:-1] == line[1:]
    graph = coo_array(
        (np.ones(same.sum()), (node[:-1][same], node[1:][same])), shape=(len(nodes),) * 2
    )
    assert connected_components(graph, directed=False)[0] == 1
    vertices = set(map(tuple, nodes))
    for frame in (county.demand, county.sites):
        assert set(map(tuple, shapely.get_coordinates(frame.geometry.values))) <= vertices


def test_boundary_holds_everything(county):
    boundary = county.boundary.geometry.iloc[0]
    assert boundary.geom_type == "Polygon" and "synthetic" in county.boundary["name"].iloc[0]
    assert county.demand.within(boundary).all() and county.sites.within(boundary).all()


def test_small_and_impossible_sizes():
    small = synthetic_county(5, 2, seed=3)
    assert len(small.demand) == 5 and len(small.sites) == 2
    with pytest.raises(InputError, match="fewer sites"):
        synthetic_county(5, 40)


def test_command_line_writes_a_geopackage(tmp_path, capsys):
    out = tmp_path / "county.gpkg"
    main(["--out", str(out), "--villages", "30", "--sites", "6", "--seed", "2"])
    assert "wrote" in capsys.readouterr().out
    county = synthetic_county(30, 6, seed=2)
    demand = read_demand(out, layer="villages")
    assert demand["name"].tolist() == county.demand["name"].tolist()
    sites = read_sites(
        out, layer="sites", kind="kind", capacity="capacity", fixed_cost="fixed_cost"
    )
    assert sites["name"].tolist() == county.sites["name"].tolist()
    assert sites["kind"].tolist() == county.sites["kind"].tolist()
    assert not list(tmp_path.glob(".*partial*"))
    with pytest.raises(SystemExit):
        main(["--out", str(tmp_path / "county.txt")])
