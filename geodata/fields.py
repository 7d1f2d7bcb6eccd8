"""Turn columns of a frame just read into canonical values, naming file, row, id and field on error.

Every function takes the frame as read (``layers.read_any``) and its ``Source``; functions that
run after the ids are known also take them, so messages name rows by line or feature and id.
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .chinese_crs import WHO, chinese_crs_name, out_of_china
from .crs import WGS84, chinese_to_wgs84, look_like_degrees, outside_lonlat, parse_crs
from .errors import HealthplanWarning
from .i18n import gettext as _
from .layers import Source
from .messages import listing

LON_NAMES = ("lon", "lng", "longitude", "x")
LAT_NAMES = ("lat", "latitude", "y")
# "12,345", "-1,234,567.5": commas between groups of three digits
GROUPED = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")


def require_columns(frame: pd.DataFrame, source: Source, columns: Mapping[str, str | None]) -> None:
    """Check that each column named for an argument (``{"population": "pop"}``) is in the frame."""
    available = [str(c) for c in frame.columns if c != "geometry"]
    if source.sheet is not None or source.csv:  # the names may sit below a title
        message = _(
            "no column '{column}' (given as {argument}=); its columns are {columns}; pass "
            "{argument}= with one of them; if the column names sit below a title, give their "
            "row as header_row"
        )
    else:
        message = _(
            "no column '{column}' (given as {argument}=); its columns are {columns}; pass "
            "{argument}= with one of them"
        )
    for argument, column in columns.items():
        if column is not None and column not in frame.columns:
            raise source.error(
                message.format(
                    column=column,
                    argument=argument,
                    columns=listing(available, limit=30, quote=True),
                )
            )


def _rows(source: Source, frame: pd.DataFrame, positions: np.ndarray, ids_: np.ndarray) -> str:
    return listing(
        _("{row} (id '{id}')").format(row=source.row(frame.index[p]), id=ids_[p]) for p in positions
    )


def as_text(values: pd.Series) -> np.ndarray:
    """Values as stripped strings, missing as ""; whole floats lose their ".0" (1.0 -> "1")."""

    def text(value: object) -> str:
        if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
            return ""
        if isinstance(value, float | np.floating) and float(value).is_integer():
            return str(int(value))
        return str(value).strip()

    return np.array([text(v) for v in values], dtype=object)


def parse_numbers(raw: pd.Series) -> np.ndarray:
    """Cells as float64, NaN where a cell is missing or not a number.

    Text cells may hold full-width digits ("１２３") and thousands separators ("12,345",
    "１２，３４５"); numbers already read as numbers are taken as they are.
    """
    if raw.dtype.kind in "biuf":
        return raw.to_numpy(dtype=float, na_value=np.nan)

    def clean(value: object) -> object:
        if not isinstance(value, str):
            return value
        text = unicodedata.normalize("NFKC", value).strip()
        return text.replace(",", "") if GROUPED.fullmatch(text) else text

    cleaned = pd.Series([clean(v) for v in raw], index=raw.index, dtype=object)
    return pd.to_numeric(cleaned, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def ids(frame: pd.DataFrame, column: str, source: Source) -> np.ndarray:
    """The id column as unique, non-empty strings."""
    values = as_text(frame[column])
    empty = np.flatnonzero(values == "")
    if empty.size:
        rows = listing(source.row(frame.index[p]) for p in empty)
        raise source.error(
            _("column '{column}' (id): empty id on {rows}; give every row an id").format(
                column=column, rows=rows
            )
        )
    counts = pd.Series(values).value_counts()
    repeated = counts.index[counts > 1]
    if len(repeated):
        where = [
            _("'{value}' on {rows}").format(
                value=value,
                rows=", ".join(source.row(frame.index[p]) for p in np.flatnonzero(values == value)),
            )
            for value in repeated
        ]
        raise source.error(
            _("column '{column}' (id): duplicate ids {ids}; ids must be unique").format(
                column=column, ids=listing(where)
            )
        )
    return values


def texts(
    frame: pd.DataFrame,
    column: str | None,
    default: np.ndarray | str,
    source: Source,
    ids_: np.ndarray,
    *,
    field: str,
    fill_missing: bool,
) -> np.ndarray:
    """A text column; without a column every row gets `default`.

    An empty cell gets the row's `default` when `fill_missing`, else is an error.
    """
    if column is None:
        return np.broadcast_to(np.asarray(default, dtype=object), len(frame)).copy()
    values = as_text(frame[column])
    empty = np.flatnonzero(values == "")
    if empty.size and not fill_missing:
        raise source.error(
            _("column '{column}' ({field}): empty on {rows}; fill in a {field}").format(
                column=column, field=field, rows=_rows(source, frame, empty, ids_)
            )
        )
    values[empty] = np.broadcast_to(np.asarray(default, dtype=object), len(frame))[empty]
    return values


def numbers(
    frame: pd.DataFrame,
    column: str,
    source: Source,
    ids_: np.ndarray,
    *,
    field: str,
    unit: str,
    missing_ok: bool = False,
    minimum: float | None = 0.0,
) -> np.ndarray:
    """A numeric column as float64 (see ``parse_numbers``); text, missing (unless
    `missing_ok`) and values below `minimum` are errors listing the rows."""
    raw = frame[column]
    values = parse_numbers(raw)
    absent = raw.isna().to_numpy()
    problems = [
        (
            _(
                "column '{column}' ({field}, {unit}): not a number on {rows} (values {values}); "
                "fix these cells"
            ),
            ~absent & ~np.isfinite(values),
        ),
        (
            _(
                "column '{column}' ({field}, {unit}): empty on {rows} (values {values}); "
                "fix these cells"
            ),
            absent & ~missing_ok,
        ),
    ]
    if minimum is not None:
        with np.errstate(invalid="ignore"):
            below = values < minimum
        problems.append(
            (
                _(
                    "column '{column}' ({field}, {unit}): below {minimum} on {rows} "
                    "(values {values}); fix these cells"
                ),
                below,
            )
        )
    for message, mask in problems:
        bad = np.flatnonzero(mask)
        if bad.size:
            raise source.error(
                message.format(
                    column=column,
                    field=field,
                    unit=unit,
                    minimum=f"{minimum:g}" if minimum is not None else "",
                    rows=_rows(source, frame, bad, ids_),
                    values=listing(raw.to_numpy()[bad], quote=True),
                )
            )
    return values


def _coordinate_column(
    frame: pd.DataFrame, source: Source, given: str | None, names: tuple[str, ...], argument: str
) -> str:
    if given is not None:
        require_columns(frame, source, {argument: given})
        return given
    found = [c for c in frame.columns if str(c).strip().lower() in names]
    if len(found) != 1:
        if found:
            message = _(
                "columns {found} for {argument} among the names {names}; its columns are "
                "{columns}; pass {argument}= to name it"
            )
        else:
            message = _(
                "no column for {argument} among the names {names}; its columns are {columns}; "
                "pass {argument}= to name it"
            )
        raise source.error(
            message.format(
                found=listing(found, quote=True),
                argument=argument,
                names=listing(names, quote=True),
                columns=listing(frame.columns, limit=30, quote=True),
            )
        )
    return found[0]


def points(
    frame: pd.DataFrame,
    source: Source,
    ids_: np.ndarray,
    *,
    lon: str | None,
    lat: str | None,
    crs: object,
) -> gpd.GeoSeries:
    """The frame's locations as Points (see ``read_demand`` for the rules).

    A frame without geometry (CSV) takes points from the `lon`/`lat` columns, in `crs` or WGS84.
    Polygons become a point inside them; a one-point MultiPoint becomes that point; lines,
    many-point MultiPoints and collections are errors. ``crs="GCJ-02"`` or ``"BD-09"`` says the
    longitude/latitude are Amap/Tencent or Baidu coordinates: they are converted to WGS84, with
    a warning (see ``from_chinese_crs``).
    """
    chinese = chinese_crs_name(crs)
    if isinstance(frame, gpd.GeoDataFrame):
        if lon is not None or lat is not None:
            raise source.error(
                _("has its own geometry; lon= and lat= are for CSV files, drop them")
            )
        if chinese is not None:
            geometry = from_chinese_crs(frame.geometry, frame, source, ids_, chinese)
        else:
            geometry = _with_crs(frame.geometry, source, crs)
    else:
        lon_col = _coordinate_column(frame, source, lon, LON_NAMES, "lon")
        lat_col = _coordinate_column(frame, source, lat, LAT_NAMES, "lat")
        common = {"unit": _("CRS units"), "minimum": None}
        x = numbers(frame, lon_col, source, ids_, field="lon", **common)
        y = numbers(frame, lat_col, source, ids_, field="lat", **common)
        if chinese is not None:
            geometry = gpd.GeoSeries(gpd.points_from_xy(x, y), index=frame.index)
            geometry = from_chinese_crs(geometry, frame, source, ids_, chinese)
        else:
            geometry = gpd.GeoSeries(
                gpd.points_from_xy(x, y),
                index=frame.index,
                crs=WGS84 if crs is None else parse_crs(crs, str(source)),
            )
    return _as_points(geometry, frame, source, ids_)


def from_chinese_crs(
    geometry: gpd.GeoSeries, frame: pd.DataFrame, source: Source, ids_: np.ndarray, crs: str
) -> gpd.GeoSeries:
    """Geometries in GCJ-02 or BD-09 longitude/latitude (degrees) converted to WGS84, vertex
    by vertex, with a ``HealthplanWarning`` naming the file and the conversion.

    A layer in a projected CRS, or coordinates outside [-180, 180] x [-90, 90], are errors:
    these offsets apply to longitude/latitude only. A layer labelled with a geographic CRS
    (often EPSG:4326 for Amap data) is taken as GCJ-02 / BD-09 all the same. Points outside
    China are left unchanged by the GCJ-02 step.
    """
    name = chinese_crs_name(crs)
    if name is None:
        raise ValueError(f"{crs!r} is neither GCJ-02 nor BD-09")
    if geometry.crs is not None and not geometry.crs.is_geographic:
        raise source.error(
            _(
                "crs = '{name}' applies to longitude/latitude in degrees, but the layer is in "
                "the projected CRS {crs} (metres); drop crs to use the layer's own CRS, or give "
                "the GCJ-02 / BD-09 longitude/latitude"
            ).format(name=name, crs=geometry.crs.to_string())
        )
    bad = outside_lonlat(geometry)
    if bad.size:
        raise source.error(
            _(
                "crs = '{name}' applies to longitude/latitude in degrees, but {rows} lie outside "
                "[-180, 180] x [-90, 90] (they look like metres); give crs the CRS the "
                "coordinates are really in, or give the GCJ-02 / BD-09 longitude/latitude"
            ).format(name=name, rows=_rows(source, frame, bad, ids_))
        )
    bounds = shapely.bounds(geometry.values)
    with np.errstate(invalid="ignore"):
        abroad = out_of_china((bounds[:, 0] + bounds[:, 2]) / 2, (bounds[:, 1] + bounds[:, 3]) / 2)
    abroad &= np.isfinite(bounds).all(axis=1)
    converted = chinese_to_wgs84(geometry, name)
    if abroad.any():
        message = _(
            "{source}: coordinates converted from {name} to WGS84 ({who}); {rows} lie outside "
            "China, where the GCJ-02 offset is not applied"
        )
    else:
        message = _("{source}: coordinates converted from {name} to WGS84 ({who})")
    warnings.warn(
        message.format(
            source=source,
            name=name,
            who=_(WHO[name]),
            rows=_rows(source, frame, np.flatnonzero(abroad), ids_) if abroad.any() else "",
        ),
        HealthplanWarning,
        stacklevel=4,
    )
    return converted


def _with_crs(geometry: gpd.GeoSeries, source: Source, crs: object) -> gpd.GeoSeries:
    if geometry.crs is None:
        if crs is None:
            raise source.error(
                _(
                    "has no CRS (for a shapefile: the .prj file is missing); pass crs='EPSG:...' "
                    "naming the CRS its coordinates are in"
                )
            )
        return geometry.set_crs(parse_crs(crs, str(source)))
    if crs is not None and parse_crs(crs, str(source)) != geometry.crs:
        raise source.error(
            _(
                "is in CRS {crs} but crs={given} was given; drop crs= (use to_metric to reproject)"
            ).format(crs=geometry.crs.to_string(), given=repr(crs))
        )
    return geometry


def _as_points(
    geometry: gpd.GeoSeries, frame: pd.DataFrame, source: Source, ids_: np.ndarray
) -> gpd.GeoSeries:
    values = np.array(geometry.values, dtype=object)  # a copy: the frame keeps its shapes
    kinds = shapely.get_type_id(values)
    missing = shapely.is_missing(values) | shapely.is_empty(values)
    _repair_polygons(values, kinds, missing, frame, source, ids_)
    single_multipoint = (kinds == shapely.GeometryType.MULTIPOINT) & (
        shapely.get_num_geometries(values) == 1
    )
    areal = np.isin(kinds, [shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON])
    checks = (
        (missing, _("geometry: no geometry (null or empty) on {rows}; give every row a location")),
        (
            ~missing & ~shapely.is_valid(values),
            _(
                "geometry: invalid geometry on {rows}; repair it (e.g. QGIS 'Fix geometries') "
                "or fix the coordinates"
            ),
        ),
        (
            (kinds != shapely.GeometryType.POINT) & ~single_multipoint & ~areal,
            _(
                "geometry: geometry that is not a point or polygon on {rows}; give points or "
                "polygons"
            ),
        ),
    )
    for mask, message in checks:
        bad = np.flatnonzero(mask)
        if bad.size:
            raise source.error(message.format(rows=_rows(source, frame, bad, ids_)))
    if geometry.crs.is_geographic:
        bad = outside_lonlat(geometry)
        if bad.size:
            raise source.error(
                _(
                    "geometry: coordinates outside [-180, 180] x [-90, 90] in the degree CRS "
                    "{crs} on {rows}; they look like metres: give the CRS they are really in "
                    "(crs=)"
                ).format(crs=geometry.crs.to_string(), rows=_rows(source, frame, bad, ids_))
            )
    elif look_like_degrees(geometry):
        raise source.error(
            _(
                "geometry: CRS {crs} is projected (metres) but every coordinate lies within "
                "[-180, 180] x [-90, 90]; they look like degrees: give the CRS they are really "
                "in (crs='EPSG:4326' for a CSV, or fix the file's CRS)"
            ).format(crs=geometry.crs.to_string())
        )
    points = kinds == shapely.GeometryType.POINT
    if areal.any() and points.any():
        warnings.warn(
            _(
                "{source}: geometry: mixed points ({points}) and polygons ({polygons}); each "
                "polygon is reduced to a point inside it"
            ).format(source=source, points=int(points.sum()), polygons=int(areal.sum())),
            HealthplanWarning,
            stacklevel=4,
        )
    values[areal] = shapely.point_on_surface(values[areal])
    values[single_multipoint] = shapely.get_geometry(values[single_multipoint], 0)
    return gpd.GeoSeries(values, index=geometry.index, crs=geometry.crs)


def _repair_polygons(
    values: np.ndarray,
    kinds: np.ndarray,
    missing: np.ndarray,
    frame: pd.DataFrame,
    source: Source,
    ids_: np.ndarray,
) -> None:
    """Repair invalid polygons in place with ``shapely.make_valid`` where that is safe: the
    repaired shape is still a polygon (parts of another dimension dropped) of positive area.
    Each repair is named in one warning; unsafe cases stay invalid and are refused later."""
    polygonal = np.isin(kinds, [shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON])
    broken = np.flatnonzero(polygonal & ~missing & ~shapely.is_valid(values))
    repaired = []
    for p in broken:
        fixed = shapely.make_valid(values[p])
        parts = [g for g in shapely.get_parts(fixed) if g.geom_type in ("Polygon", "MultiPolygon")]
        fixed = shapely.union_all(parts) if parts else None
        if fixed is not None and fixed.area > 0 and fixed.is_valid:
            values[p] = fixed
            kinds[p] = shapely.get_type_id(fixed)
            repaired.append(p)
    if repaired:
        rows = _rows(source, frame, np.asarray(repaired), ids_)
        warnings.warn(
            _(
                "{source}: geometry: invalid polygons on {rows} were repaired with make_valid "
                "(a point inside the repaired shape is used); check them in a GIS"
            ).format(source=source, rows=rows),
            HealthplanWarning,
            stacklevel=4,
        )
