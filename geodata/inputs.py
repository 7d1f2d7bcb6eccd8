"""Read demand units and candidate sites into the canonical frames the models use."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from . import fields
from .i18n import gettext as _
from .layers import Sheet, Source, read_any

CANDIDATE = "candidate"


def _located(
    frame: pd.DataFrame,
    source: Source,
    columns: dict[str, str | None],
    *,
    lon: str | None,
    lat: str | None,
    crs: object,
) -> tuple[np.ndarray, gpd.GeoSeries]:
    """Check a read table's named columns, ids and locations; the ids and points.

    The default name column "name" may be absent: then `columns["name"]` becomes None.
    """
    if frame.empty:
        raise source.error(_("has no rows; give a file with at least one row"))
    if columns["name"] == "name" and "name" not in frame.columns:
        columns["name"] = None
    fields.require_columns(frame, source, columns)
    ids = fields.ids(frame, columns["id"], source)
    geometry = fields.points(frame, source, ids, lon=lon, lat=lat, crs=crs)
    return ids, geometry


def _canonical(
    columns: dict[str, object], geometry: gpd.GeoSeries, source: Source
) -> gpd.GeoDataFrame:
    result = gpd.GeoDataFrame(columns, geometry=geometry.to_numpy(), crs=geometry.crs)
    result.attrs["source"] = str(source)
    return result


def read_demand(
    path: str | Path,
    *,
    id: str = "id",
    name: str | None = "name",
    population: str | None = "population",
    layer: str | None = None,
    lon: str | None = None,
    lat: str | None = None,
    crs: object = None,
    sheet: Sheet | None = None,
    encoding: str | None = None,
    header_row: int | None = None,
) -> gpd.GeoDataFrame:
    """Read demand units (villages, communities, townships) from a spatial file, a CSV file or
    a workbook sheet.

    Returns columns ``id`` (unique text), ``name``, ``population`` (persons, float >= 0) and
    Point ``geometry`` in the file's CRS (project with ``to_metric``).

    - Spatial files: anything pyogrio reads; a file with several layers needs `layer`. A file
      without a CRS is an error unless `crs` says which CRS it is in.
    - CSV: points from the `lon`/`lat` columns (found among lon/lng/longitude/x and
      lat/latitude/y when not given), in WGS84 unless `crs` says otherwise; UTF-8 (with or
      without BOM) or GBK/GB18030 text, detected, or the `encoding` given.
    - Workbooks (.xlsx, .xlsm, .xls, .ods): like CSV, one `sheet` (name or 0-based index;
      optional when only one sheet holds cells; `header_row` is the 1-based row of the column
      names when a title sits above them); a number cell reads as its text
      (331126100201, not 3.31126100201e+11), so ids stay text.
    - ``crs="GCJ-02"`` or ``"BD-09"`` (Amap/Tencent or Baidu longitude/latitude, degrees), for a
      CSV or a layer in a geographic CRS or none: converted to WGS84 (EPSG:4326) with a
      ``HealthplanWarning``; on a layer in metres it is an error.
    - Numbers may carry thousands separators ("12,345") and full-width digits.
    - Polygons become a point inside them (``representative_point``); a MultiPoint of one point
      becomes that point; lines and many-point MultiPoints are errors.
    - Without a name column (the default "name" absent, or ``name=None``) the name is the id; an
      empty name cell also takes the id.
    - ``population=None`` gives every unit the weight 1.0.

    Bad input raises one ``InputError`` naming the file, rows (CSV line, sheet row or feature,
    and id) and field.
    """
    frame, source = read_any(path, layer, sheet=sheet, encoding=encoding, header_row=header_row)
    return demand_frame(
        frame, source, id=id, name=name, population=population, lon=lon, lat=lat, crs=crs
    )


def demand_frame(
    frame: pd.DataFrame,
    source: Source,
    *,
    id: str = "id",
    name: str | None = "name",
    population: str | None = "population",
    lon: str | None = None,
    lat: str | None = None,
    crs: object = None,
) -> gpd.GeoDataFrame:
    """The canonical demand frame of a table already read with ``read_any`` (see
    ``read_demand``); for callers that need other columns of the same file too."""
    columns = {"id": id, "name": name, "population": population}
    ids, geometry = _located(frame, source, columns, lon=lon, lat=lat, crs=crs)
    names = fields.texts(frame, columns["name"], ids, source, ids, field="name", fill_missing=True)
    if population is None:
        people = np.ones(len(frame))
    else:
        people = fields.numbers(
            frame, population, source, ids, field="population", unit=_("persons")
        )
    return _canonical({"id": ids, "name": names, "population": people}, geometry, source)


def read_sites(
    path: str | Path,
    *,
    id: str = "id",
    name: str | None = "name",
    kind: str | None = None,
    capacity: str | None = None,
    fixed_cost: str | None = None,
    layer: str | None = None,
    lon: str | None = None,
    lat: str | None = None,
    crs: object = None,
    sheet: Sheet | None = None,
    encoding: str | None = None,
    header_row: int | None = None,
) -> gpd.GeoDataFrame:
    """Read existing facilities and candidate sites from a spatial file, a CSV file or a
    workbook sheet.

    Returns columns ``id``, ``name``, ``kind`` (text; "candidate" without a `kind` column),
    ``capacity`` (beds, float >= 0; NaN means no limit: without a `capacity` column, or an empty
    cell), ``fixed_cost`` (cost of opening, in the plan's currency, float >= 0; 0 without a
    column) and Point ``geometry``. Files, sheets, encodings, CRS, names and geometry follow
    ``read_demand``; an
    empty `kind` or `fixed_cost` cell is an error.
    """
    frame, source = read_any(path, layer, sheet=sheet, encoding=encoding, header_row=header_row)
    return sites_frame(
        frame,
        source,
        id=id,
        name=name,
        kind=kind,
        capacity=capacity,
        fixed_cost=fixed_cost,
        lon=lon,
        lat=lat,
        crs=crs,
    )


def sites_frame(
    frame: pd.DataFrame,
    source: Source,
    *,
    id: str = "id",
    name: str | None = "name",
    kind: str | None = None,
    capacity: str | None = None,
    fixed_cost: str | None = None,
    lon: str | None = None,
    lat: str | None = None,
    crs: object = None,
) -> gpd.GeoDataFrame:
    """The canonical sites frame of a table already read with ``read_any`` (see
    ``read_sites``); for callers that need other columns of the same file too."""
    columns = {
        "id": id,
        "name": name,
        "kind": kind,
        "capacity": capacity,
        "fixed_cost": fixed_cost,
    }
    ids, geometry = _located(frame, source, columns, lon=lon, lat=lat, crs=crs)
    names = fields.texts(frame, columns["name"], ids, source, ids, field="name", fill_missing=True)
    kinds = fields.texts(frame, kind, CANDIDATE, source, ids, field="kind", fill_missing=False)
    if capacity is None:
        beds = np.full(len(frame), np.nan)
    else:
        beds = fields.numbers(
            frame, capacity, source, ids, field="capacity", unit=_("beds"), missing_ok=True
        )
    if fixed_cost is None:
        cost = np.zeros(len(frame))
    else:
        cost = fields.numbers(frame, fixed_cost, source, ids, field="fixed_cost", unit=_("cost"))
    result = {"id": ids, "name": names, "kind": kinds, "capacity": beds, "fixed_cost": cost}
    return _canonical(result, geometry, source)
