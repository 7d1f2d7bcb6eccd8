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
from .i18n import gettext as _
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
            _(
                "{what}: expected a GeoDataFrame, got {type}; read it with geodata.read_{what}"
            ).format(what=what, type=type(frame).__name__)
        )
    label = frame_label(frame, _("the {what} layer").format(what=what))
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(
            _(
                "{label}: no column {missing}; its columns are {columns}; read it with "
                "geodata.read_{what} or rename the columns"
            ).format(
                label=label,
                missing=listing(missing, quote=True),
                columns=listing([str(c) for c in frame.columns], limit=20, quote=True),
                what=what,
            )
        )
    if frame.empty:
        raise InputError(_("{label}: has no rows").format(label=label))
    if frame.crs is None:
        raise InputError(
            _("{label}: no CRS; set it with gdf.set_crs('EPSG:...')").format(label=label)
        )
    ids = frame["id"].astype(str).to_numpy()
    empty = frame["id"].isna().to_numpy() | (np.char.strip(ids.astype(str)) == "")
    if empty.any():
        raise InputError(
            _("{label}: column 'id': empty on rows {rows}").format(
                label=label, rows=_rows(np.flatnonzero(empty))
            )
        )
    repeated = pd.Series(ids).value_counts()
    repeated = repeated.index[repeated > 1].tolist()
    if repeated:
        raise InputError(
            _("{label}: column 'id': ids {ids} repeat; ids must be unique").format(
                label=label, ids=listing(repeated, quote=True)
            )
        )
    not_points = _bad_points(np.asarray(frame.geometry.values, dtype=object))
    if not_points.any():
        raise InputError(
            _(
                "{label}: geometry: not a point with finite coordinates at ids {ids}; give each "
                "row a point"
            ).format(label=label, ids=listing(ids[not_points], quote=True))
        )
    for column in numbers:
        values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            bad = values < 0
        if column != "capacity":  # a NaN or inf capacity means no limit
            bad |= ~np.isfinite(values)
        if bad.any():
            raise InputError(
                _(
                    "{label}: column '{column}': needs numbers >= 0, not at ids {ids} "
                    "(values {values}); fix these values"
                ).format(
                    label=label,
                    column=column,
                    ids=listing(ids[bad], quote=True),
                    values=listing(frame[column].to_numpy()[bad], quote=True),
                )
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
