"""Check demand and site layers handed to the planning API directly (not read from files).

``read_demand`` and ``read_sites`` already return canonical layers; a GIS script may build its
own GeoDataFrames instead, and these checks give it the same clear ``InputError`` (naming the
layer, the ids and the column) rather than a KeyError deep inside a model.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .errors import InputError
from .messages import frame_label, listing


def check_layer(
    frame: object, what: str, columns: Sequence[str], numbers: Sequence[str] = ()
) -> None:
    """Check a canonical ``what`` layer ("demand" or "sites"): a GeoDataFrame with a CRS,
    point geometry in every row, the ``columns`` (``id`` unique and non-empty) and, in
    ``numbers``, numeric columns >= 0 without NaN (``capacity`` may be NaN: no limit).

    Raises:
        InputError: naming the layer, the column and the ids at fault, and what to do.
    """
    if not isinstance(frame, gpd.GeoDataFrame):
        raise InputError(
            f"{what}: expected a GeoDataFrame, got {type(frame).__name__}; read it with "
            f"geodata.read_{what}"
        )
    label = frame_label(frame, f"the {what} layer")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(
            f"{label}: no column {listing(missing, quote=True)}; its columns are "
            f"{listing([str(c) for c in frame.columns], limit=20, quote=True)}; "
            f"read it with geodata.read_{what} or rename the columns"
        )
    if frame.empty:
        raise InputError(f"{label}: has no rows")
    if frame.crs is None:
        raise InputError(f"{label}: no CRS; set it with gdf.set_crs('EPSG:...')")
    ids = frame["id"].astype(str).to_numpy()
    empty = frame["id"].isna().to_numpy() | (np.char.strip(ids.astype(str)) == "")
    if empty.any():
        raise InputError(f"{label}: column 'id': empty on rows {_rows(np.flatnonzero(empty))}")
    repeated = pd.Series(ids).value_counts()
    repeated = repeated.index[repeated > 1].tolist()
    if repeated:
        raise InputError(
            f"{label}: column 'id': ids {listing(repeated, quote=True)} repeat; ids must be unique"
        )
    not_points = _bad_points(np.asarray(frame.geometry.values, dtype=object))
    if not_points.any():
        raise InputError(
            f"{label}: geometry: not a point with finite coordinates at ids "
            f"{listing(ids[not_points], quote=True)}; give each row a point"
        )
    for column in numbers:
        values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            bad = values < 0
        if column != "capacity":  # a NaN or inf capacity means no limit
            bad |= ~np.isfinite(values)
        if bad.any():
            raise InputError(
                f"{label}: column '{column}': needs numbers >= 0, not at ids "
                f"{listing(ids[bad], quote=True)} (values "
                f"{listing(frame[column].to_numpy()[bad], quote=True)}); fix these values"
            )


def _bad_points(geometry: np.ndarray) -> np.ndarray:
    """True where a geometry is not a Point with finite x and y."""
    bad = shapely.is_missing(geometry) | shapely.is_empty(geometry)
    bad |= shapely.get_type_id(geometry) != shapely.GeometryType.POINT
    ok = np.flatnonzero(~bad)
    xy = shapely.get_coordinates(geometry[ok])
    bad[ok[~np.isfinite(xy).all(axis=1)]] = True
    return bad


def _rows(positions: np.ndarray) -> str:
    return listing(int(p) + 1 for p in positions)
