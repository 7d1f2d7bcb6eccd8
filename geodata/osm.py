"""Roads from an OpenStreetMap extract (.osm.pbf): the ways of driven `highway` classes around
the demand, with a speed (km/h) and a direction of travel each."""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .crs import to_metric
from .errors import InputError
from .i18n import gettext as _
from .messages import listing
from .travel import positive

WGS84 = "EPSG:4326"
MPH_KMH = 1.609344
#: `highway` classes that are one-way unless tagged otherwise.
ONEWAY_CLASSES = ("motorway", "motorway_link")
FORWARD = ("yes", "1", "true")
BACKWARD = ("-1", "reverse")
BOTH = ("no", "0", "false")
#: Access values that close a way to cars.
CLOSED = ("no", "private")
_SPEED = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(km/h|kmh|kph|mph)?\s*$", re.IGNORECASE)


def parse_maxspeed(value: object) -> float:
    """A `maxspeed` tag in km/h ("60", "60 km/h", "30 mph"; the first of "60;80"), or NaN
    when it gives no number ("none", "signals", "RU:urban", missing)."""
    if not isinstance(value, str):
        return float("nan")
    match = _SPEED.match(value.split(";")[0])
    if match is None:
        return float("nan")
    speed = float(match.group(1))
    if match.group(2) is not None and match.group(2).lower() == "mph":
        speed *= MPH_KMH
    return speed if speed > 0 else float("nan")


def way_direction(oneway: object, highway: str, junction: object = None) -> int:
    """1 when a way is driven along its nodes only, -1 against them only, 0 both ways
    (`oneway` yes/1/true, -1/reverse, no/0/false; motorways and roundabouts are one-way
    unless tagged otherwise)."""
    tag = oneway.strip().lower() if isinstance(oneway, str) else ""
    if tag in FORWARD:
        return 1
    if tag in BACKWARD:
        return -1
    if tag in BOTH:
        return 0
    if highway in ONEWAY_CLASSES or junction == "roundabout":
        return 1
    return 0


def osm_demand_area(demand: gpd.GeoDataFrame, margin_km: float) -> shapely.Geometry:
    """The demand points' convex hull grown by `margin_km` (km), as WGS84 longitude/latitude."""
    margin = positive("osm_margin_km", margin_km, strict=False)
    metric = to_metric(demand)
    hull = shapely.convex_hull(shapely.union_all(metric.geometry.values))
    grown = gpd.GeoSeries([hull.buffer(max(margin * 1000.0, 1.0))], crs=metric.crs)
    return grown.to_crs(WGS84).iloc[0]


def read_osm_roads(
    path: str | Path,
    class_speeds: Mapping[str, float],
    area: shapely.Geometry | None = None,
) -> gpd.GeoDataFrame:
    """The driven ways of an .osm.pbf extract, within `area` (WGS84) when given.

    Ways whose `highway` class has a speed in `class_speeds` (km/h) are kept, unless `access`
    or `motor_vehicle` closes them. Columns: ``osm_id``, ``highway``, ``speed_kmh`` (the
    tagged `maxspeed` where it is a number, else the class speed), ``direction`` (1, -1 or 0,
    see :func:`way_direction`) and LineString geometry in WGS84.
    """
    import pyrosm

    label = str(path)
    speeds = {str(k): positive(f"class_speeds[{k!r}]", v) for k, v in class_speeds.items()}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            osm = pyrosm.OSM(str(path), bounding_box=area)
            ways = osm.get_data_by_custom_criteria(
                custom_filter={"highway": sorted(speeds)},
                filter_type="keep",
                keep_nodes=False,
                keep_relations=False,
                osm_keys_to_keep="highway",
                extra_attributes=["maxspeed", "oneway", "junction", "access", "motor_vehicle"],
            )
    except (OSError, ValueError, RuntimeError, KeyError) as exc:
        raise InputError(
            _("{path}: could not be read as an OpenStreetMap .osm.pbf extract ({problem})").format(
                path=label, problem=exc
            )
        ) from exc
    if ways is not None and not ways.empty:
        closed = np.zeros(len(ways), dtype=bool)
        for key in ("access", "motor_vehicle"):
            if key in ways.columns:
                closed |= ways[key].isin(CLOSED).to_numpy()
        ways = ways[~closed & ways["highway"].isin(list(speeds)).to_numpy()]
    if ways is None or ways.empty:
        raise InputError(
            _(
                "{path}: no roads of the driven classes ({classes}) in the demand's area; give "
                "an extract that covers the demand, or raise travel.osm_margin_km"
            ).format(path=label, classes=listing(sorted(speeds), quote=True))
        )
    geometry = ways.geometry.values
    polygons = np.isin(shapely.get_type_id(geometry), (3, 6))
    geometry = np.where(polygons, shapely.boundary(geometry), geometry)
    missing = pd.Series(None, index=ways.index, dtype=object)
    tag = {key: ways.get(key, missing) for key in ("maxspeed", "oneway", "junction")}
    maxspeed = np.array([parse_maxspeed(v) for v in tag["maxspeed"]], dtype=float)
    by_class = ways["highway"].map(speeds).to_numpy(dtype=float)
    direction = [
        way_direction(o, h, j)
        for o, h, j in zip(tag["oneway"], ways["highway"], tag["junction"], strict=True)
    ]
    roads = gpd.GeoDataFrame(
        {
            "osm_id": ways["id"].to_numpy(),
            "highway": ways["highway"].astype(str).to_numpy(),
            "speed_kmh": np.where(np.isnan(maxspeed), by_class, maxspeed),
            "direction": np.asarray(direction, dtype=np.int8),
        },
        geometry=gpd.GeoSeries(geometry, crs=WGS84).values,
        crs=WGS84,
    )
    roads.attrs["source"] = label
    return roads
