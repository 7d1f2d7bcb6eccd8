"""Straight-line travel times: distance times a circuity factor over a speed."""

from __future__ import annotations

import geopandas as gpd
from scipy.spatial import cKDTree

from .crs import to_metric
from .travel import TravelTimes, frame_ids, from_pairs, point_xy, positive

#: Relative slack on the search radius so that pairs exactly at the cutoff survive rounding.
RADIUS_SLACK = 1e-9


def straight_line_minutes(
    demand: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    *,
    speed_kmh: float,
    circuity: float = 1.3,
    max_minutes: float,
) -> TravelTimes:
    """Minutes = straight km x `circuity` / `speed_kmh` x 60, for pairs within `max_minutes`.

    Both frames are measured in the metric CRS of the demand (``to_metric``). Only pairs within
    the cutoff are computed (k-d tree range search), so memory grows with reachable pairs.
    """
    speed = positive("speed_kmh", speed_kmh)
    factor = positive("circuity", circuity, 1.0, strict=False)
    limit = positive("max_minutes", max_minutes)
    demand_m = to_metric(demand)
    sites_m = to_metric(sites, demand_m.crs)
    radius_m = limit / 60.0 * speed / factor * 1000.0
    found = cKDTree(point_xy(demand_m, "demand")).sparse_distance_matrix(
        cKDTree(point_xy(sites_m, "sites")),
        max_distance=radius_m * (1 + RADIUS_SLACK),
        output_type="ndarray",
    )
    minutes = found["v"] / 1000.0 * factor / speed * 60.0
    keep = minutes <= limit
    return from_pairs(
        found["i"][keep],
        found["j"][keep],
        minutes[keep],
        frame_ids(demand_m, "demand"),
        frame_ids(sites_m, "sites"),
        f"straight-line x{factor:g} @ {speed:g} km/h",
    )
