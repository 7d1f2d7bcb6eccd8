"""Generate a synthetic county: demand units, sites, roads and boundary."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from scipy.sparse.csgraph import minimum_spanning_tree
from scipy.spatial import cKDTree
from scipy.spatial.distance import cdist

from ..errors import InputError
from .placenames import stems

CRS = "EPSG:32650"
#: Centre of the county (UTM 50N metres, about 119.1 E, 27.6 N) and its half width and height.
CENTRE = np.array([707_000.0, 3_055_000.0])
HALF_EXTENT = np.array([30_000.0, 25_000.0])
COUNTY = "示范县"
#: Road classes and their speeds (km/h).
SPEEDS = {"county": 60.0, "township": 40.0, "village": 25.0}
VILLAGE_SPREAD_M = 3_000.0
BOUNDARY_BUFFER_M = 2_000.0


@dataclass(frozen=True, eq=False)
class SyntheticCounty:
    """The four layers of a synthetic county, all in EPSG:32650 (metres)."""

    demand: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame
    boundary: gpd.GeoDataFrame


def synthetic_county(n_villages: int = 300, n_sites: int = 40, *, seed: int = 0) -> SyntheticCounty:
    """Make a county of `n_villages` demand units and `n_sites` sites, the same for the same seed.

    About n_sites / 3 township seats spread over a 60 x 50 km box; seat 0 is the county town.
    Demand (ids V0001...): the county town and, with four or more seats, a second town
    (tens of thousands and about ten thousand persons), then villages clustered around the seats
    (lognormal population, a few hundred to a few thousand persons). Sites (ids S001...): the
    county hospital at the county town, a township health centre at every other seat and
    candidates at random villages, with ``capacity`` (beds) and ``fixed_cost`` (yuan; 0 for
    existing sites). Roads: seats joined by a minimum spanning tree ("county", 60 km/h) plus a
    few shortest extra links ("township", 40 km/h); the villages of each seat joined to it by a
    minimum spanning tree ("village", 25 km/h); so the network is connected.
    """
    n_seats = max(1, round(n_sites / 3))
    n_towns = min(n_villages, 2 if n_seats >= 4 else 1)
    n_candidates = n_sites - n_seats
    if n_villages < 1 or n_sites < 1 or n_candidates > n_villages - n_towns:
        raise InputError(
            f"synthetic_county(n_villages={n_villages}, n_sites={n_sites}): need at least one "
            f"village and one site, and at most {n_villages - n_towns} candidate sites "
            f"(n_sites - n_seats = {n_candidates}); give more villages or fewer sites"
        )
    rng = np.random.default_rng(seed)
    seats = _seat_points(rng, n_seats)
    names = stems(rng, n_seats + n_villages)
    suffixes = (["镇"] + list(rng.choice(["镇", "乡"], size=max(0, n_seats - 2))))[: n_seats - 1]
    seat_names = ["城关镇"] + [s + x for s, x in zip(names[1:n_seats], suffixes, strict=True)]
    demand = _demand(rng, seats, seat_names, names[n_seats:], n_villages, n_towns)
    sites = _sites(rng, demand, seats, seat_names, n_candidates, n_towns)
    roads = _roads(rng, seats, demand.geometry, n_towns)
    hull = shapely.convex_hull(shapely.multipoints(np.vstack([seats, _xy(demand.geometry)])))
    boundary = gpd.GeoDataFrame(
        {"name": [f"{COUNTY} (synthetic)"]},
        geometry=[hull.buffer(BOUNDARY_BUFFER_M)],
        crs=CRS,
    )
    return SyntheticCounty(demand, sites, roads, boundary)


def _xy(geometry: gpd.GeoSeries) -> np.ndarray:
    return shapely.get_coordinates(geometry.values)


def _scatter(rng: np.random.Generator, centres: np.ndarray) -> np.ndarray:
    """A point near each centre (normal spread), redrawn until it lies inside the county box."""
    xy = centres.copy()
    todo = np.arange(len(xy))
    while todo.size:
        xy[todo] = centres[todo] + rng.normal(0.0, VILLAGE_SPREAD_M, (todo.size, 2))
        todo = todo[np.any(np.abs(xy[todo] - CENTRE) > HALF_EXTENT, axis=1)]
    return xy


def _seat_points(rng: np.random.Generator, n_seats: int) -> np.ndarray:
    """Seats in distinct cells of a grid over the box, jittered; the most central one first."""
    cols = int(np.ceil(np.sqrt(n_seats * 1.2)))
    rows = int(np.ceil(n_seats / cols))
    cell = 2 * HALF_EXTENT / [cols, rows]
    chosen = rng.choice(cols * rows, size=n_seats, replace=False)
    grid = np.column_stack([chosen % cols, chosen // cols])
    xy = CENTRE - HALF_EXTENT + (grid + 0.5 + rng.uniform(-0.3, 0.3, (n_seats, 2))) * cell
    central = int(np.argmin(np.hypot(*(xy - CENTRE).T)))
    return xy[[central] + [k for k in range(n_seats) if k != central]]


def _demand(
    rng: np.random.Generator,
    seats: np.ndarray,
    seat_names: list[str],
    village_stems: list[str],
    n_villages: int,
    n_towns: int,
) -> gpd.GeoDataFrame:
    """Towns at the first seats, then villages scattered around seats (the county town's twice
    as many)."""
    n_rural = n_villages - n_towns
    weights = np.ones(len(seats))
    weights[0] = 2.0
    home = rng.choice(len(seats), size=n_rural, p=weights / weights.sum())
    village_xy = _scatter(rng, seats[home])
    town_people = [rng.integers(30_000, 60_000), rng.integers(8_000, 15_000)][:n_towns]
    village_people = np.round(np.clip(rng.lognormal(np.log(800), 0.7, n_rural), 100, 8_000))
    width = max(4, len(str(n_villages)))
    xy = np.vstack([seats[:n_towns], village_xy])
    return gpd.GeoDataFrame(
        {
            "id": [f"V{k:0{width}d}" for k in range(1, n_villages + 1)],
            "name": [f"{seat_names[k]}区" for k in range(n_towns)]
            + [f"{stem}村" for stem in village_stems[:n_rural]],
            "population": np.concatenate([town_people, village_people]).astype(float),
        },
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
        crs=CRS,
    )


def _sites(
    rng: np.random.Generator,
    demand: gpd.GeoDataFrame,
    seats: np.ndarray,
    seat_names: list[str],
    n_candidates: int,
    n_towns: int,
) -> gpd.GeoDataFrame:
    """The county hospital, a township health centre at each other seat, candidates at villages."""
    n_centres = len(seats) - 1
    at = n_towns + rng.choice(len(demand) - n_towns, size=n_candidates, replace=False)
    candidate_xy = _xy(demand.geometry)[at]
    xy = np.vstack([seats, candidate_xy])
    n = len(xy)
    width = max(3, len(str(n)))
    return gpd.GeoDataFrame(
        {
            "id": [f"S{k:0{width}d}" for k in range(1, n + 1)],
            "name": [f"{COUNTY}人民医院"]
            + [f"{name}卫生院" for name in seat_names[1:]]
            + [f"{name}候选点" for name in demand["name"].to_numpy()[at]],
            "kind": ["county_hospital"]
            + ["township_centre"] * n_centres
            + ["candidate"] * n_candidates,
            "capacity": np.concatenate(
                [[300], rng.integers(20, 81, n_centres), rng.integers(20, 61, n_candidates)]
            ).astype(float),
            "fixed_cost": np.concatenate(
                [np.zeros(n_centres + 1), np.round(rng.uniform(2e6, 8e6, n_candidates), -4)]
            ),
        },
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
        crs=CRS,
    )


def _tree_edges(xy: np.ndarray) -> np.ndarray:
    """The (i, j) pairs of a Euclidean minimum spanning tree over the points."""
    tree = minimum_spanning_tree(cdist(xy, xy)).tocoo()
    return np.column_stack([tree.row, tree.col])


def _roads(
    rng: np.random.Generator, seats: np.ndarray, demand: gpd.GeoSeries, n_towns: int
) -> gpd.GeoDataFrame:
    """Straight links with one bent middle vertex each, classed county, township or village."""
    links: list[tuple[np.ndarray, np.ndarray, str]] = []
    tree = _tree_edges(seats)
    links += [(seats[i], seats[j], "county") for i, j in tree]
    in_tree = {tuple(sorted(edge)) for edge in tree.tolist()}
    pairs = [(i, j) for i in range(len(seats)) for j in range(i + 1, len(seats))]
    spare = sorted(
        (p for p in pairs if p not in in_tree),
        key=lambda p: np.hypot(*(seats[p[0]] - seats[p[1]])),
    )
    links += [(seats[i], seats[j], "township") for i, j in spare[: max(1, len(seats) // 4)]]
    villages = _xy(demand)[n_towns:]
    _, nearest = cKDTree(seats).query(villages)
    for seat in range(len(seats)):
        cluster = np.vstack([seats[seat], villages[nearest == seat]])
        links += [(cluster[i], cluster[j], "village") for i, j in _tree_edges(cluster)]
    lines = []
    for a, b, _ in links:
        normal = np.array([a[1] - b[1], b[0] - a[0]])
        lines.append(shapely.LineString([a, (a + b) / 2 + normal * rng.normal(0.0, 0.1), b]))
    classes = [road_class for _, _, road_class in links]
    return gpd.GeoDataFrame(
        {
            "id": [f"R{k:04d}" for k in range(1, len(links) + 1)],
            "road_class": classes,
            "speed_kmh": [SPEEDS[c] for c in classes],
        },
        geometry=lines,
        crs=CRS,
    )
