"""Turn the public facts in ``geodata-sources`` into one region's example layers.

Kept as published (WGS84 columns only; GCJ-02 is never read): township and village codes and
names, township seat points, the Vonng 2016 village points that exist, county polygons,
county seats and the 2020 census county totals. Synthesised with one seeded generator per
region and named in each row's ``synthetic`` column:

- ``population`` of every village and community: the county's census urban total is split
  over its urban communities and the rural total over its rural villages (virtual units get
  none), each share scaled by a log-normal weight (sigma ``WEIGHT_SIGMA``) and rounded so the
  county totals match exactly; township population is the sum of its units.
- ``location`` of villages without a published point: uniform inside the township's Voronoi
  cell (seats of the county, clipped to the county polygon); urban communities within
  ``Region.urban_radius_km`` of the seat.
- ``location`` of township seats with no published point: the point of the county (within
  ``Region.missing_seat_km`` of the county seat when set) farthest from every known seat.
- facilities: a township health centre at every township seat (community health service
  centre for a 街道), a county hospital at every county seat, and a candidate site at every
  urban community.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from ..crs import metric_crs
from ..errors import InputError
from .spec import Region

WGS84 = "EPSG:4326"
WEIGHT_SIGMA = 0.35  # spread of the log-normal population weights
GRID_M = 250.0  # spacing of the candidate grid for missing township seats (metres)
MAX_TRIES = 10_000  # rejection-sampling attempts per point
URBAN, RURAL, VIRTUAL = "urban_community", "rural_village", "virtual"


@dataclass
class Facts:
    """The published tables of one region, read from ``geodata-sources``."""

    townships: pd.DataFrame
    villages: pd.DataFrame
    counties: pd.DataFrame  # code6, name, population, urban, rural, seat lon/lat (WGS84)
    boundary: gpd.GeoDataFrame  # county polygons, WGS84


def read_facts(sources: Path, region: Region) -> Facts:
    """Read the derived tables, census totals, county seats and boundaries of ``region``.

    Raises:
        InputError: a missing file or a county absent from one of the tables.
    """
    folder = sources / region.folder
    townships = _csv(folder / "townships_2023.csv", {"county_code6": str, "township_code9": str})
    villages = _csv(
        folder / "villages_2023.csv",
        {"village_code12": str, "township_code9": str, "county_code6": str},
    )
    census = _csv(sources / "leiii-census-county-2020" / "census_county_2020_subset.csv", {})
    census.index = census["区划代码"].astype(float).astype(int).astype(str)
    seats = _csv(sources / "county_seats_and_population.csv", {"code12": str})
    seats["code6"] = seats["code12"].str[:6]
    seats = seats.set_index("code6")
    boundary_file = sources / "county_boundaries_wgs84_derived.geojson"
    if not boundary_file.is_file():
        raise InputError(f"{boundary_file}: file not found; give the geodata-sources folder")
    shapes = json.loads(boundary_file.read_text(encoding="utf-8"))["features"]
    by_code = {f["properties"]["adcode"]: f for f in shapes}
    rows, polygons = [], []
    for code in region.counties:
        missing = [
            what
            for what, found in (
                ("census", code in census.index),
                ("county seats", code in seats.index),
                ("boundaries", code in by_code),
            )
            if not found
        ]
        if missing:
            raise InputError(f"{sources}: county {code} missing from {', '.join(missing)}")
        row = census.loc[code]
        rows.append(
            {
                "county_code6": code,
                "county_name": str(seats.at[code, "name"]),
                "population": int(row["人口数_合计"]),
                "urban": int(row["城镇人口"]),
                "rural": int(row["乡村人口"]),
                "lon": float(seats.at[code, "lon_wgs84"]),
                "lat": float(seats.at[code, "lat_wgs84"]),
            }
        )
        polygons.append(shapely.geometry.shape(by_code[code]["geometry"]))
    counties = pd.DataFrame(rows)
    boundary = gpd.GeoDataFrame(
        counties[["county_code6", "county_name", "population"]].copy(),
        geometry=polygons,
        crs=WGS84,
    )
    townships = townships[townships["county_code6"].isin(region.counties)]
    villages = villages[villages["county_code6"].isin(region.counties)]
    return Facts(
        townships.sort_values("township_code9").reset_index(drop=True),
        villages.sort_values("village_code12").reset_index(drop=True),
        counties,
        boundary,
    )


def _csv(path: Path, dtype: dict) -> pd.DataFrame:
    if not path.is_file():
        raise InputError(f"{path}: file not found; give the geodata-sources folder")
    return pd.read_csv(path, dtype=dtype, encoding="utf-8")


def build_region(sources: str | Path, region: Region) -> dict[str, gpd.GeoDataFrame]:
    """The layers ``boundary``, ``townships``, ``demand`` and ``sites`` of one region (WGS84).

    Deterministic: the same sources and ``region.seed`` give the same layers.
    """
    facts = read_facts(Path(sources), region)
    rng = np.random.default_rng(region.seed)
    crs = metric_crs(facts.boundary)
    boundary_m = facts.boundary.to_crs(crs)
    county_area = dict(zip(boundary_m["county_code6"], boundary_m.geometry, strict=True))
    county_seat = gpd.GeoSeries(
        gpd.points_from_xy(facts.counties["lon"], facts.counties["lat"]), crs=WGS84
    ).to_crs(crs)
    county_seat.index = facts.counties["county_code6"]

    villages = facts.villages.copy()
    villages["kind"] = villages["unit_type"].map(_unit_kind)
    villages["population"] = _populations(villages, facts.counties, rng)

    townships = facts.townships.copy()
    seats, seat_synthetic = _seats(townships, county_area, county_seat, region, crs)
    cells = _cells(townships, seats, county_area)
    points, point_synthetic = _village_points(
        villages, townships, seats, cells, county_area, region, rng, crs
    )

    unit_count = villages.groupby("township_code9")["kind"].value_counts().unstack(fill_value=0)
    pop = villages.groupby("township_code9")["population"].sum()
    names = dict(zip(facts.counties["county_code6"], facts.counties["county_name"], strict=True))

    township_layer = gpd.GeoDataFrame(
        {
            "township_code9": townships["township_code9"],
            "name": townships["township_name"],
            "type": townships["township_type"],
            "county_code6": townships["county_code6"],
            "county": townships["county_code6"].map(names),
            "n_communities": townships["township_code9"].map(unit_count.get(URBAN, {})),
            "n_villages": townships["township_code9"].map(unit_count.get(RURAL, {})),
            "population": townships["township_code9"].map(pop).fillna(0).astype("int64"),
            "seat_quality": townships["coord_quality"],
            "synthetic": np.where(seat_synthetic, "population,location", "population"),
        },
        geometry=gpd.GeoSeries(seats, crs=crs).to_crs(WGS84).to_numpy(),
        crs=WGS84,
    )
    for column in ("n_communities", "n_villages"):
        township_layer[column] = township_layer[column].fillna(0).astype("int64")

    tname = dict(zip(townships["township_code9"], townships["township_name"], strict=True))
    demand = gpd.GeoDataFrame(
        {
            "id": villages["village_code12"],
            "name": villages["village_name"],
            "unit_type": villages["kind"],
            "township_code9": villages["township_code9"],
            "township": villages["township_code9"].map(tname),
            "county_code6": villages["county_code6"],
            "county": villages["county_code6"].map(names),
            "population": villages["population"].astype("int64"),
            "synthetic": np.where(point_synthetic, "population,location", "population"),
        },
        geometry=gpd.GeoSeries(points, crs=crs).to_crs(WGS84).to_numpy(),
        crs=WGS84,
    )
    sites = _sites(township_layer, demand, facts.counties)
    boundary = facts.boundary.copy()
    boundary["synthetic"] = ""
    return {"boundary": boundary, "townships": township_layer, "demand": demand, "sites": sites}


def _unit_kind(unit_type: str) -> str:
    for kind in (URBAN, RURAL):
        if unit_type.startswith(kind):
            return kind
    return VIRTUAL


def _populations(villages: pd.DataFrame, counties: pd.DataFrame, rng) -> np.ndarray:
    """Persons per unit: census urban total over urban communities, rural over villages."""
    weights = rng.lognormal(0.0, WEIGHT_SIGMA, len(villages))
    out = np.zeros(len(villages), dtype=np.int64)
    for county in counties.itertuples():
        in_county = (villages["county_code6"] == county.county_code6).to_numpy()
        urban = in_county & (villages["kind"] == URBAN).to_numpy()
        rural = in_county & (villages["kind"] == RURAL).to_numpy()
        groups = [(urban, county.urban), (rural, county.rural)]
        if not urban.any() or not rural.any():  # one kind missing: its total goes to the other
            groups = [(urban | rural, county.urban + county.rural)]
        for mask, total in groups:
            if total and not mask.any():
                raise InputError(f"county {county.county_code6}: no units for {total} persons")
            out[mask] = _split(total, weights[mask])
    return out


def _split(total: int, weights: np.ndarray) -> np.ndarray:
    """Integers proportional to ``weights`` summing to ``total`` (largest remainder)."""
    if len(weights) == 0:
        return np.zeros(0, dtype=np.int64)
    exact = total * weights / weights.sum()
    out = np.floor(exact).astype(np.int64)
    order = np.argsort(-(exact - out), kind="stable")
    out[order[: total - int(out.sum())]] += 1
    return out


def _seats(
    townships: pd.DataFrame,
    county_area: dict[str, BaseGeometry],
    county_seat: gpd.GeoSeries,
    region: Region,
    crs,
) -> tuple[np.ndarray, np.ndarray]:
    """Township seat points (metric) and whether each was synthesised."""
    known = townships["lon_wgs84"].notna().to_numpy()
    points = np.empty(len(townships), dtype=object)
    xy = gpd.GeoSeries(
        gpd.points_from_xy(townships["lon_wgs84"], townships["lat_wgs84"]), crs=WGS84
    ).to_crs(crs)
    points[known] = xy.to_numpy()[known]
    for k in np.flatnonzero(~known):
        code = townships.at[k, "county_code6"]
        area = county_area[code]
        if region.missing_seat_km is not None:
            area = area.intersection(county_seat[code].buffer(region.missing_seat_km * 1000))
        same = (townships["county_code6"] == code).to_numpy()
        taken = [p for p in points[same] if p is not None]
        points[k] = _farthest(area, taken)
    return points, ~known


def _farthest(area: BaseGeometry, taken: list) -> BaseGeometry:
    """The grid point of ``area`` farthest from every point in ``taken`` (first on ties)."""
    x0, y0, x1, y1 = area.bounds
    gx, gy = np.meshgrid(np.arange(x0, x1, GRID_M), np.arange(y0, y1, GRID_M))
    grid = shapely.points(gx.ravel(), gy.ravel())
    grid = grid[shapely.contains(area, grid)]
    if len(grid) == 0:
        return area.representative_point()
    if not taken:
        return grid[0]
    far = shapely.distance(grid[:, None], np.asarray(taken, dtype=object)[None, :]).min(axis=1)
    return grid[int(np.argmax(far))]


def _cells(
    townships: pd.DataFrame, seats: np.ndarray, county_area: dict[str, BaseGeometry]
) -> np.ndarray:
    """Each township's Voronoi cell among the seats of its county, clipped to the county."""
    cells = np.empty(len(townships), dtype=object)
    for code, area in county_area.items():
        rows = np.flatnonzero((townships["county_code6"] == code).to_numpy())
        if len(rows) == 1:
            cells[rows[0]] = area
            continue
        diagram = shapely.voronoi_polygons(
            shapely.MultiPoint(list(seats[rows])), extend_to=area, ordered=True
        )
        parts = shapely.get_parts(diagram)
        cells[rows] = shapely.intersection(parts, area)
    return cells


def _village_points(
    villages: pd.DataFrame,
    townships: pd.DataFrame,
    seats: np.ndarray,
    cells: np.ndarray,
    county_area: dict[str, BaseGeometry],
    region: Region,
    rng,
    crs,
) -> tuple[np.ndarray, np.ndarray]:
    """Village points (metric): the published one inside its county, else a seeded one."""
    row_of = {code: k for k, code in enumerate(townships["township_code9"])}
    published = gpd.GeoSeries(
        gpd.points_from_xy(villages["lon_wgs84"], villages["lat_wgs84"]), crs=WGS84
    ).to_crs(crs)
    points = np.empty(len(villages), dtype=object)
    synthetic = np.ones(len(villages), dtype=bool)
    for i, unit in enumerate(villages.itertuples()):
        k = row_of[unit.township_code9]
        cell = cells[k]
        if pd.notna(unit.lon_wgs84) and county_area[unit.county_code6].contains(published.iloc[i]):
            points[i] = published.iloc[i]
            synthetic[i] = False
            continue
        area = cell
        if unit.kind != RURAL:
            near = cell.intersection(seats[k].buffer(region.urban_radius_km * 1000))
            area = near if near.area > 0 else cell
        points[i] = _sample(area, rng)
    return points, synthetic


def _sample(area: BaseGeometry, rng) -> BaseGeometry:
    """One uniform random point inside ``area`` (rejection sampling)."""
    x0, y0, x1, y1 = area.bounds
    for _ in range(MAX_TRIES):
        point = shapely.Point(rng.uniform(x0, x1), rng.uniform(y0, y1))
        if area.contains(point):
            return point
    return area.representative_point()


# Synthetic staff on post (persons, beds). A county hospital: per resident of its county.
HOSPITAL_STAFF = {
    "doctors": 1.5e-3,
    "nurses": 2.0e-3,
    "beds": 3.0e-3,
    "gps": 0.0,
    "public_health": 0.5e-4,
}
# A township centre: CENTRE_SHARE of the national norm for its township's population
# (per resident served, site minimum; docs/staffing.md), so that some need hires.
STAFF_ON_POST = {
    "doctors": (3e-4, 6.0),
    "nurses": (2e-4, 9.0),
    "beds": (0.0, 5.0),
    "gps": (2e-4, 0.0),
    "public_health": (1e-4, 0.0),
}
CENTRE_SHARE = 0.8


def _sites(
    townships: gpd.GeoDataFrame, demand: gpd.GeoDataFrame, counties: pd.DataFrame
) -> gpd.GeoDataFrame:
    """Township health centres at seats, county hospitals at county seats, candidate sites
    at urban communities; every location is synthetic, and so is the staff on post of the
    hospitals and centres (``<type>_on_post``; candidates have none)."""
    real = townships[townships["type"] != "other(园区等)"]
    centre_names = [
        f"{name}{'社区卫生服务中心' if kind == '街道' else '卫生院'}"
        for name, kind in zip(real["name"], real["type"], strict=True)
    ]
    centres = pd.DataFrame(
        {
            "id": "TC" + real["township_code9"],
            "name": centre_names,
            "kind": "township_centre",
            "township_code9": real["township_code9"],
            "county_code6": real["county_code6"],
            "geometry": real.geometry,
        }
    )
    hospitals = pd.DataFrame(
        {
            "id": "CH" + counties["county_code6"],
            "name": counties["county_name"] + "人民医院",
            "kind": "county_hospital",
            "township_code9": "",
            "county_code6": counties["county_code6"],
            "geometry": gpd.points_from_xy(counties["lon"], counties["lat"], crs=WGS84),
        }
    )
    urban = demand[demand["unit_type"] == URBAN]
    candidates = pd.DataFrame(
        {
            "id": "CC" + urban["id"],
            "name": urban["township"] + urban["name"],
            "kind": "candidate",
            "township_code9": urban["township_code9"],
            "county_code6": urban["county_code6"],
            "geometry": urban.geometry,
        }
    )
    county_pop = demand.groupby("county_code6")["population"].sum()
    hospital_pop = counties["county_code6"].map(county_pop).fillna(0).to_numpy(dtype=float)
    centre_pop = real["population"].to_numpy(dtype=float)
    for staff, (per_resident, base) in STAFF_ON_POST.items():
        column = f"{staff}_on_post"
        hospitals[column] = np.round(HOSPITAL_STAFF[staff] * hospital_pop).astype("int64")
        centres[column] = np.round(CENTRE_SHARE * (base + per_resident * centre_pop))
        centres[column] = centres[column].astype("int64")
        candidates[column] = 0
    sites = pd.concat([hospitals, centres, candidates], ignore_index=True)
    sites["synthetic"] = np.where(sites["kind"] == "candidate", "location", "location,staff")
    return gpd.GeoDataFrame(sites, geometry="geometry", crs=WGS84)
