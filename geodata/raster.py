"""Population from a raster (WorldPop, GHS-POP, a census grid): each demand unit gets the
persons of its catchment, summed with area weights (exactextract: each cell counts by the
share of its area inside the catchment).

The catchment of a unit is its own polygon when the demand layer holds polygons, else its
Voronoi cell among the demand points, clipped to an area (the county boundary, or the points'
hull widened by ``MARGIN_M``): everyone there lives with the nearest village.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
import shapely
from exactextract import exact_extract

from .errors import InputError
from .i18n import gettext as _
from .layers import existing

# People this far (metres) beyond the outermost demand points still count towards the
# nearest one when no boundary is given: a village's fields and hamlets reach that far.
MARGIN_M = 5000.0


@dataclass(frozen=True)
class RasterPopulation:
    """Persons per demand unit from a raster, and what the catchments leave out.

    Attributes:
        population: persons per unit, in the order of the catchments given.
        raster_total: persons in the whole raster (valid cells).
        outside: persons of the raster in no catchment (before any rescaling).
        scale: factor applied to every unit (1.0 unless a census total was given).
    """

    population: np.ndarray
    raster_total: float
    outside: float
    scale: float = 1.0


def voronoi_catchments(points: gpd.GeoSeries, clip: shapely.Geometry) -> gpd.GeoSeries:
    """Per point (in a metric CRS), its Voronoi cell among the points clipped to ``clip``.
    Points at one location share a cell; each then gets an equal part through
    ``shared_counts``."""
    xy = shapely.get_coordinates(points.values)
    unique, inverse = np.unique(xy, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    sites = shapely.multipoints(unique)
    if unique.shape[0] == 1:
        cells = np.array([clip], dtype=object)
    else:
        envelope = shapely.box(*shapely.bounds(shapely.union(sites, clip)))
        diagram = shapely.voronoi_polygons(sites, extend_to=envelope, ordered=True)
        cells = np.asarray(shapely.get_parts(diagram), dtype=object)
    cells = shapely.intersection(cells, clip)
    return gpd.GeoSeries(cells[inverse], index=points.index, crs=points.crs)


def shared_counts(points: gpd.GeoSeries) -> np.ndarray:
    """Per point, how many points share its location (1 for a point alone)."""
    xy = shapely.get_coordinates(points.values)
    _, inverse, counts = np.unique(xy, axis=0, return_inverse=True, return_counts=True)
    return counts[inverse.reshape(-1)].astype(float)


def around(points: gpd.GeoSeries, margin_m: float = MARGIN_M) -> shapely.Geometry:
    """The convex hull of ``points`` (metric CRS) widened by ``margin_m`` metres: the area
    whose people count towards the nearest village when no boundary is given."""
    return shapely.convex_hull(shapely.multipoints(shapely.get_coordinates(points.values))).buffer(
        margin_m
    )


def raster_population(
    catchments: gpd.GeoSeries,
    path: str | Path,
    *,
    total: float | None = None,
    shares: np.ndarray | None = None,
) -> RasterPopulation:
    """Persons per catchment from the raster at ``path`` (band 1; cells hold persons), summed
    with area weights; with ``total`` every unit is rescaled so that they add up to it (a
    census figure, persons). ``shares`` divides each catchment's persons (e.g. by
    ``shared_counts`` when several points share a cell).

    Raises:
        InputError: unreadable raster, no CRS, or no overlap with the catchments.
    """
    path = existing(path)
    try:
        src = rasterio.open(path)
    except rasterio.errors.RasterioIOError as exc:
        raise InputError(
            _("{path}: cannot read it as a raster ({problem}); give a GeoTIFF").format(
                path=path, problem=exc
            )
        ) from None
    with src:
        if src.crs is None:
            raise InputError(
                _("{path}: the raster has no CRS; give it one (e.g. EPSG:4326)").format(path=path)
            )
        band = src.read(1, masked=True)
        raster_total = float(np.ma.sum(band.astype(float))) if band.count() else 0.0
        areas = catchments.to_crs(src.crs)
        solid = np.flatnonzero(~(areas.is_empty | areas.isna()).to_numpy())
        sums = np.zeros(len(areas))
        if solid.size:
            frame = gpd.GeoDataFrame(geometry=areas.values[solid], crs=src.crs)
            found = exact_extract(src, frame, "sum", output="pandas")
            sums[solid] = np.nan_to_num(found["sum"].to_numpy(dtype=float))
    if not sums.any() and not _overlaps(areas, src.bounds):
        raise InputError(
            _(
                "{path}: the raster does not overlap the demand units; give a raster that covers "
                "them (check its CRS and extent)"
            ).format(path=path)
        )
    outside = max(raster_total - float(sums.sum()), 0.0)
    if shares is not None:
        sums = sums / shares
    scale = 1.0
    if total is not None:
        got = float(sums.sum())
        if got <= 0:
            raise InputError(
                _(
                    "{path}: the demand units hold no raster population, so population_total "
                    "cannot be spread over them"
                ).format(path=path)
            )
        scale = total / got
    return RasterPopulation(sums * scale, raster_total, outside, scale)


def _overlaps(areas: gpd.GeoSeries, bounds: tuple[float, float, float, float]) -> bool:
    """True when any area meets the raster's extent ``bounds`` (in the areas' CRS)."""
    return bool(areas.intersects(shapely.box(*bounds)).any())
