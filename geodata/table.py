"""Travel times from an origin-destination table the user supplies (CSV, workbook or Parquet)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import InputError
from .fields import as_text, parse_numbers, require_columns
from .i18n import gettext as _
from .layers import Sheet, Source, existing, is_csv, is_sheet, read_any
from .messages import listing
from .postgis import DatabaseUrl, is_database_url
from .travel import TravelTimes, from_pairs, positive

PARQUET_SUFFIXES = (".parquet", ".pq")


def _read(
    path: Path | DatabaseUrl,
    sheet: Sheet | None,
    encoding: str | None,
    layer: str | None,
    sql: str | None,
) -> tuple[pd.DataFrame, Source]:
    if is_database_url(path):
        return read_any(path, layer, sql=sql)
    path = existing(path)
    if is_csv(path) or is_sheet(path):
        return read_any(path, sheet=sheet, encoding=encoding)
    source = Source(path)
    if path.suffix.lower() not in PARQUET_SUFFIXES:
        raise source.error(
            _(
                "is neither CSV (.csv), a workbook (.xlsx, .xls, .ods) nor Parquet (.parquet); "
                "give one of those"
            )
        )
    for key, value in (("sheet", sheet), ("encoding", encoding)):
        if value is not None:
            raise source.error(
                _("a Parquet file takes no {key}=; drop {key}={value}").format(
                    key=key, value=repr(value)
                )
            )
    try:
        return pd.read_parquet(path).reset_index(drop=True), source
    except ImportError:
        raise source.error(
            _("reading Parquet needs pyarrow (pip install pyarrow); or save the table as CSV")
        ) from None
    except (OSError, ValueError) as exc:
        raise source.error(
            _("cannot be read as Parquet ({problem}); check the file").format(problem=exc)
        ) from None


def _known(ids: Sequence[str], what: str) -> pd.Index:
    index = pd.Index([str(i) for i in ids], dtype=object)
    if index.has_duplicates:
        repeated = listing(index[index.duplicated()].unique(), quote=True)
        raise InputError(
            _("{what} ids given to table_minutes repeat: {ids}; pass unique ids").format(
                what=what, ids=repeated
            )
        )
    return index


def table_minutes(
    path: str | Path | DatabaseUrl,
    demand_ids: Sequence[str],
    site_ids: Sequence[str],
    *,
    origin: str = "origin",
    destination: str = "destination",
    minutes: str = "minutes",
    max_minutes: float | None = None,
    sheet: Sheet | None = None,
    encoding: str | None = None,
    layer: str | None = None,
    sql: str | None = None,
) -> TravelTimes:
    """Travel times read from a table with one row per (origin, destination) pair.

    Origins are demand ids, destinations site ids, `minutes` the travel time (minutes, >= 0).
    Pairs not in the table are unreachable; with `max_minutes`, longer pairs are dropped too.
    Unknown ids, repeated pairs and missing, non-numeric or negative minutes are errors.
    `sheet` (name or 0-based index) picks a workbook's sheet; `encoding` a CSV file's text
    encoding (default: UTF-8 or GBK/GB18030, detected). A ``postgresql://`` URL is read by
    `layer` ("schema.table") or `sql` (a query).
    """
    limit = None if max_minutes is None else positive("max_minutes", max_minutes)
    frame, source = _read(path, sheet, encoding, layer, sql)
    require_columns(
        frame, source, {"origin": origin, "destination": destination, "minutes": minutes}
    )
    rows_index = _known(demand_ids, "demand")
    cols_index = _known(site_ids, "site")
    origins = as_text(frame[origin])
    destinations = as_text(frame[destination])
    row = rows_index.get_indexer(origins)
    col = cols_index.get_indexer(destinations)
    for column, values, found, what in (
        (origin, origins, row, "demand"),
        (destination, destinations, col, "site"),
    ):
        bad = np.flatnonzero(found < 0)
        if bad.size:
            where = listing(
                _("'{value}' on {rows}").format(value=values[p], rows=source.row(frame.index[p]))
                for p in bad
            )
            if what == "demand":
                message = _(
                    "column '{column}': ids not among the demand ids given: {ids}; fix the ids "
                    "or the table"
                )
            else:
                message = _(
                    "column '{column}': ids not among the site ids given: {ids}; fix the ids "
                    "or the table"
                )
            raise source.error(message.format(column=column, ids=where))
    pairs = pd.DataFrame({"origin": origins, "destination": destinations})
    repeated = np.flatnonzero(pairs.duplicated(keep=False).to_numpy())
    if repeated.size:
        where = listing(
            _("{origin} -> {destination} on {row}").format(
                origin=origins[p], destination=destinations[p], row=source.row(frame.index[p])
            )
            for p in repeated
        )
        raise source.error(_("repeated pairs: {pairs}; keep one row per pair").format(pairs=where))
    raw = frame[minutes]
    values = parse_numbers(raw)
    with np.errstate(invalid="ignore"):
        bad = np.flatnonzero(~np.isfinite(values) | (values < 0))
    if bad.size:
        where = listing(f"{source.row(frame.index[p])} ({raw.iloc[p]!r})" for p in bad)
        raise source.error(
            _(
                "column '{column}' (minutes): missing, non-numeric or negative on {rows}; "
                "give minutes >= 0, and leave unreachable pairs out of the table"
            ).format(column=minutes, rows=where)
        )
    keep = np.ones(len(values), dtype=bool) if limit is None else values <= limit
    cut = "" if limit is None else f", <= {limit:g} min"
    return from_pairs(
        row[keep],
        col[keep],
        values[keep],
        rows_index.to_numpy(),
        cols_index.to_numpy(),
        f"table {source.path.name if isinstance(source.path, Path) else source}{cut}",
    )
