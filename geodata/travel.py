"""Sparse travel times between demand units and sites, and what every source of them shares."""

from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse

from .errors import InputError
from .i18n import gettext as _
from .messages import frame_label, frame_rows, listing


@dataclass(frozen=True, eq=False)
class TravelTimes:
    """Minutes from each demand unit (row) to each site (column), for reachable pairs only.

    `minutes` is a CSR sparse array of shape (n_demand, n_sites), float64. A stored entry is a
    reachable pair and its travel time; an absent entry means unreachable within the cutoff.
    A stored 0.0 is a real zero-minute trip (a site at the demand point): test reachability
    with the sparsity pattern (``minutes.indices`` / ``to_frame()``), never with ``!= 0``.
    `demand_ids` and `site_ids` give the rows and columns in the order of the input frames;
    `source` says how the times were made.
    """

    minutes: sparse.csr_array
    demand_ids: np.ndarray
    site_ids: np.ndarray
    source: str

    def __post_init__(self) -> None:
        expected = (len(self.demand_ids), len(self.site_ids))
        if self.minutes.shape != expected:
            raise InputError(
                _(
                    "travel times of shape {shape} do not match {demand} demand ids and {sites} "
                    "site ids"
                ).format(shape=self.minutes.shape, demand=expected[0], sites=expected[1])
            )

    def within(self, open_sites: np.ndarray, radius: float) -> np.ndarray:
        """Per demand unit, True when a site of the boolean mask ``open_sites`` is within
        ``radius`` minutes."""
        pairs = self.minutes.tocoo()
        keep = open_sites[pairs.col] & (pairs.data <= radius)
        out = np.zeros(self.minutes.shape[0], dtype=bool)
        out[pairs.row[keep]] = True
        return out

    def to_frame(self) -> pd.DataFrame:
        """One row per reachable pair: ``demand_id``, ``site_id``, ``minutes``."""
        pairs = self.minutes.tocoo()
        return pd.DataFrame(
            {
                "demand_id": self.demand_ids[pairs.row],
                "site_id": self.site_ids[pairs.col],
                "minutes": pairs.data,
            }
        )


def from_pairs(
    rows: np.ndarray,
    cols: np.ndarray,
    minutes: np.ndarray,
    demand_ids: np.ndarray,
    site_ids: np.ndarray,
    source: str,
) -> TravelTimes:
    """TravelTimes from (row, column, minutes) triples with no repeated pair; zeros are kept."""
    matrix = sparse.csr_array(
        (np.asarray(minutes, dtype=np.float64), (rows, cols)),
        shape=(len(demand_ids), len(site_ids)),
    )
    matrix.sort_indices()
    return TravelTimes(matrix, np.asarray(demand_ids), np.asarray(site_ids), source)


def positive(name: str, value: float, minimum: float = 0.0, *, strict: bool = True) -> float:
    """`value` as a float, checked to be finite and above (or, not strict, at least) `minimum`."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number) or number < minimum or (strict and number == minimum):
        if strict:
            message = _("{name}={value}: must be a finite number above {minimum}")
        else:
            message = _("{name}={value}: must be a finite number at least {minimum}")
        raise InputError(message.format(name=name, value=repr(value), minimum=f"{minimum:g}"))
    return number


def frame_ids(frame: pd.DataFrame, what: str) -> np.ndarray:
    """The ``id`` column of a canonical frame as an array of str, checked to be unique."""
    if "id" not in frame.columns:
        raise InputError(
            _("the {what} frame has no 'id' column; read it with read_{what}").format(what=what)
        )
    ids = frame["id"].astype(str)
    if not ids.is_unique:
        repeated = listing(ids[ids.duplicated()].unique(), quote=True)
        raise InputError(
            _("{label}: ids {ids} repeat; ids must be unique").format(
                label=frame_label(frame, what), ids=repeated
            )
        )
    return ids.to_numpy(dtype=object)


def point_xy(frame: gpd.GeoDataFrame, what: str) -> np.ndarray:
    """The (n, 2) coordinates of a frame of Points (CRS units)."""
    if frame.empty:
        raise InputError(_("the {what} frame has no rows").format(what=what))
    values = frame.geometry.values
    is_point = shapely.get_type_id(values) == shapely.GeometryType.POINT
    bad = np.flatnonzero(~is_point | shapely.is_empty(values))
    if bad.size:
        raise InputError(
            _("{label}: {rows} are not points; read the {what} with read_{what}").format(
                label=frame_label(frame, what), rows=frame_rows(frame, bad), what=what
            )
        )
    xy = shapely.get_coordinates(values)
    bad = np.flatnonzero(~np.isfinite(xy).all(axis=1))
    if bad.size:
        raise InputError(
            _(
                "{label}: {rows} have NaN or infinite coordinates; give every row a real location"
            ).format(label=frame_label(frame, what), rows=frame_rows(frame, bad))
        )
    return xy
