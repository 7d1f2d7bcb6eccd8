"""Coordinate reference systems: parse them, check lon/lat ranges, project to metres."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from .chinese_crs import chinese_crs_name, coordinates_to_wgs84
from .errors import InputError
from .i18n import gettext as _
from .messages import frame_label, frame_rows

WGS84 = CRS.from_epsg(4326)


def parse_crs(crs: object, where: str = "") -> CRS:
    """A pyproj CRS from anything pyproj accepts ("EPSG:4326", 4326, WKT, a CRS).

    `where` (a file name) starts the error message when given.
    """
    try:
        return CRS.from_user_input(crs)
    except CRSError as exc:
        if where:
            message = _(
                "{where}: crs {crs} is not a CRS pyproj knows ({problem}); give e.g. 'EPSG:4326'"
            )
        else:
            message = _("crs {crs} is not a CRS pyproj knows ({problem}); give e.g. 'EPSG:4326'")
        raise InputError(message.format(where=where, crs=repr(crs), problem=exc)) from None


def chinese_to_wgs84(geometry: gpd.GeoSeries, crs: str) -> gpd.GeoSeries:
    """Geometries in GCJ-02 or BD-09 longitude/latitude (`crs`; degrees) converted vertex by
    vertex to WGS84 (EPSG:4326); whatever CRS the series is labelled with is ignored."""
    name = chinese_crs_name(crs)
    if name is None:
        raise ValueError(f"{crs!r} is neither GCJ-02 nor BD-09")
    values = shapely.transform(
        np.asarray(geometry.values, dtype=object), lambda xy: coordinates_to_wgs84(xy, name)
    )
    return gpd.GeoSeries(values, index=geometry.index, crs=WGS84)


def in_metres(crs: CRS) -> bool:
    """True for a projected CRS whose axes are in metres."""
    return crs.is_projected and all(
        axis.unit_name in ("metre", "meter") for axis in crs.axis_info[:2]
    )


def outside_lonlat(geometry: gpd.GeoSeries) -> np.ndarray:
    """Positions of geometries with a coordinate outside [-180, 180] x [-90, 90] (degrees)."""
    bounds = shapely.bounds(geometry.values)
    with np.errstate(invalid="ignore"):
        bad = (
            (bounds[:, 0] < -180)
            | (bounds[:, 2] > 180)
            | (bounds[:, 1] < -90)
            | (bounds[:, 3] > 90)
        )
    return np.flatnonzero(bad)


def look_like_degrees(geometry: gpd.GeoSeries) -> bool:
    """True when a projected layer's coordinates all lie within [-180, 180] x [-90, 90]: no
    county is that close to a projection's origin, so they are degrees with the wrong CRS."""
    crs = geometry.crs
    if crs is None or not crs.is_projected:
        return False
    bounds = shapely.bounds(geometry.values)
    finite = np.isfinite(bounds).all(axis=1)
    if not finite.any():
        return False
    box = bounds[finite]
    return bool(
        (box[:, [0, 2]] >= -180).all()
        and (box[:, [0, 2]] <= 180).all()
        and (box[:, [1, 3]] >= -90).all()
        and (box[:, [1, 3]] <= 90).all()
    )


def _checked_crs(gdf: gpd.GeoDataFrame) -> CRS:
    """The frame's CRS, after checking that it has one and that degrees look like degrees."""
    label = frame_label(gdf, _("layer"))
    if gdf.crs is None:
        raise InputError(
            _(
                "{label}: no CRS; set the CRS the coordinates are in with gdf.set_crs('EPSG:...')"
            ).format(label=label)
        )
    values = gdf.geometry.values
    present = ~(shapely.is_missing(values) | shapely.is_empty(values))
    bounds = shapely.bounds(values)
    nonfinite = np.flatnonzero(present & ~np.isfinite(bounds).all(axis=1))
    if nonfinite.size:
        raise InputError(
            _(
                "{label}: {rows} have NaN or infinite coordinates; give every row a real location"
            ).format(label=label, rows=frame_rows(gdf, nonfinite))
        )
    if gdf.crs.is_geographic:
        bad = outside_lonlat(gdf.geometry)
        if bad.size:
            raise InputError(
                _(
                    "{label}: CRS {crs} is in degrees but {rows} lie outside [-180, 180] x "
                    "[-90, 90]; the coordinates look like metres: set the CRS they are really in"
                ).format(label=label, crs=gdf.crs.to_string(), rows=frame_rows(gdf, bad))
            )
    elif look_like_degrees(gdf.geometry):
        raise InputError(
            _(
                "{label}: CRS {crs} is projected (metres) but every coordinate lies within "
                "[-180, 180] x [-90, 90]; they look like degrees: set the CRS they are really "
                "in, e.g. gdf.set_crs('EPSG:4326', allow_override=True)"
            ).format(label=label, crs=gdf.crs.to_string())
        )
    return gdf.crs


def metric_crs(gdf: gpd.GeoDataFrame) -> CRS:
    """The CRS to measure this frame in (metres).

    A projected CRS in metres is kept; any other CRS (geographic, or projected in feet) gives the
    UTM zone of the centre of the data's bounds (WGS 84 datum).
    """
    crs = _checked_crs(gdf)
    if in_metres(crs):
        return crs
    if gdf.empty or gdf.geometry.is_empty.all() or not np.isfinite(gdf.total_bounds).all():
        raise InputError(
            _("{label}: no points to choose a UTM zone from").format(
                label=frame_label(gdf, _("layer"))
            )
        )
    return gdf.estimate_utm_crs()


def to_metric(gdf: gpd.GeoDataFrame, crs: object = None) -> gpd.GeoDataFrame:
    """The frame projected to `crs` if given (must be in metres), else to ``metric_crs(gdf)``."""
    if crs is None:
        target = metric_crs(gdf)
    else:
        _checked_crs(gdf)
        target = parse_crs(crs)
        if not in_metres(target):
            raise InputError(
                _(
                    "crs {crs} is not a projected CRS in metres; give one, e.g. a UTM zone, or "
                    "leave crs out to choose the UTM zone of the data"
                ).format(crs=target.to_string())
            )
    return gdf.copy() if gdf.crs == target else gdf.to_crs(target)
