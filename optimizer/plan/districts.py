"""District polygons: the area each hub (or the county hospital) serves.

Demand units given as polygons (townships) are dissolved by district. Demand points get a
Voronoi cell each (the area nearer to that point than to any other), clipped to the county
boundary, and the cells are dissolved by district.
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geodata.errors import InputError
from geodata.i18n import gettext as _

# Margin (metres) around the demand points' convex hull when no boundary is given.
HULL_MARGIN_M = 3000.0

COLUMNS = ["hub_id", "name", "population", "n_units"]


def district_polygons(
    assignments: gpd.GeoDataFrame,
    boundary: gpd.GeoDataFrame | gpd.GeoSeries | BaseGeometry | None = None,
    *,
    names: Mapping[str, str] | None = None,
) -> gpd.GeoDataFrame:
    """One polygon per district, dissolved from its demand units' areas.

    Args:
        assignments: demand units with ``hub_id`` (empty text when the unit has no district),
            ``population`` (persons) and Point or Polygon geometry in a metric CRS.
        boundary: the county area that Voronoi cells are clipped to, in any CRS (a layer's
            polygons are merged). None: the points' convex hull grown by ``HULL_MARGIN_M``.
        names: hub id -> hub name; the name defaults to the hub id.

    Returns:
        Columns ``hub_id``, ``name``, ``population`` (persons), ``n_units`` and polygon
        geometry in the assignments' CRS, one row per district with at least one unit.
        Units without a district are left out (their area stays uncovered).
    """
    for column in ("hub_id", "population"):
        if column not in assignments.columns:
            raise InputError(_("assignments: no column {column}").format(column=repr(column)))
    crs = assignments.crs
    hub = assignments["hub_id"].fillna("").astype(str).to_numpy()
    geoms = assignments.geometry.to_numpy()
    polygonal = len(geoms) > 0 and bool(np.isin(shapely.get_type_id(geoms), (3, 6)).all())
    region = _region(geoms, boundary, crs)
    if polygonal:
        cells = geoms if region is None else shapely.intersection(geoms, region)
    else:
        cells = _voronoi_cells(geoms, region)
    assigned = hub != ""
    frame = gpd.GeoDataFrame(
        {
            "hub_id": hub[assigned],
            "population": assignments["population"].to_numpy(dtype=float)[assigned],
            "n_units": 1,
        },
        geometry=cells[assigned],
        crs=crs,
    )
    if frame.empty:
        return gpd.GeoDataFrame(
            {c: pd.Series(dtype=object if c in ("hub_id", "name") else float) for c in COLUMNS},
            geometry=gpd.GeoSeries([], crs=crs),
            crs=crs,
        )
    out = frame.dissolve(by="hub_id", aggfunc={"population": "sum", "n_units": "sum"})
    out = out.reset_index()
    out["geometry"] = shapely.make_valid(out.geometry.to_numpy())
    out["name"] = [(names or {}).get(h, h) for h in out["hub_id"]]
    out["n_units"] = out["n_units"].astype(int)
    return out[[*COLUMNS, "geometry"]]


def _region(
    geoms: np.ndarray,
    boundary: gpd.GeoDataFrame | gpd.GeoSeries | BaseGeometry | None,
    crs,
) -> BaseGeometry | None:
    """The clip area in the units' CRS: the boundary, or the grown hull of the units."""
    if boundary is None:
        if len(geoms) == 0:
            return None
        hull = shapely.convex_hull(shapely.union_all(geoms))
        return hull.buffer(HULL_MARGIN_M)
    if isinstance(boundary, BaseGeometry):
        return boundary
    if boundary.crs is None or crs is None:
        raise InputError(_("boundary: layer and assignments both need a CRS"))
    return shapely.union_all(boundary.to_crs(crs).geometry.to_numpy())


def _voronoi_cells(points: np.ndarray, region: BaseGeometry | None) -> np.ndarray:
    """The Voronoi cell of each point, clipped to ``region``; repeated points share a cell."""
    n = len(points)
    if n == 0:
        return np.array([], dtype=object)
    xy = shapely.get_coordinates(points)
    if xy.shape[0] != n:
        raise InputError(_("assignments: demand geometry must be one point per unit"))
    unique = np.unique(xy, axis=0)
    if len(unique) == 1:
        single = region if region is not None else points[0].buffer(HULL_MARGIN_M)
        cells = np.array([single], dtype=object)
    else:
        extent = region if region is not None else shapely.MultiPoint(unique).envelope
        diagram = shapely.voronoi_polygons(shapely.MultiPoint(unique), extend_to=extent)
        parts = np.asarray(shapely.get_parts(diagram), dtype=object)
        tree = shapely.STRtree(parts)
        site_idx, cell_idx = tree.query(shapely.points(unique), predicate="within")
        cells = np.empty(len(unique), dtype=object)
        cells[site_idx] = parts[cell_idx]
        if region is not None:
            cells = shapely.intersection(cells, region)
    # Every unit at a repeated location after the first gets an empty cell: the area counts
    # once, towards the first unit's district.
    key = {tuple(p): k for k, p in enumerate(unique)}
    out = np.empty(n, dtype=object)
    taken = np.zeros(len(unique), dtype=bool)
    for i, p in enumerate(map(tuple, xy)):
        k = key[p]
        out[i] = shapely.Polygon() if taken[k] else cells[k]
        taken[k] = True
    return out
