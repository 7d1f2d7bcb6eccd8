"""Attribute tables joined to demand units by their code, e.g. populations kept in a workbook."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from . import fields
from .errors import HealthplanWarning
from .i18n import gettext as _
from .layers import Sheet, Source, read_any
from .messages import listing


def with_population(
    frame: pd.DataFrame,
    source: Source,
    path: str | Path,
    *,
    id: str,
    key: str,
    population: str,
    sheet: Sheet | None = None,
    encoding: str | None = None,
    header_row: int | None = None,
) -> pd.DataFrame:
    """The demand table `frame` with its `population` column (persons) taken from another
    table, joined by code: the demand's `id` column against the table's `key` column.

    The population table (CSV or workbook, read once) may hold rows for other units too.
    A demand unit without a row gets population 0 and is named in one
    :class:`HealthplanWarning`; a demand unit's code on several rows, and a matched row whose
    population is missing, not a number or negative, are InputErrors naming the table's file
    and rows.
    """
    fields.require_columns(frame, source, {"id": id})
    demand_ids = fields.ids(frame, id, source)
    table, table_source = read_any(path, sheet=sheet, encoding=encoding, header_row=header_row)
    fields.require_columns(table, table_source, {"population_key": key, "population": population})
    codes = fields.as_text(table[key])
    wanted = pd.Index(demand_ids)
    found = wanted.get_indexer(codes)  # per table row: the demand unit it belongs to, or -1
    matched = np.flatnonzero(found >= 0)
    counts = np.bincount(found[matched], minlength=len(wanted))
    twice = np.flatnonzero(counts > 1)
    if twice.size:
        where = [
            _("'{value}' on {rows}").format(
                value=wanted[u],
                rows=", ".join(
                    table_source.row(table.index[p]) for p in matched[found[matched] == u]
                ),
            )
            for u in twice
        ]
        raise table_source.error(
            _(
                "column '{column}' (population_key): demand codes on more than one row: "
                "{codes}; keep one row per code"
            ).format(column=key, codes=listing(where))
        )
    rows = table.iloc[matched]
    people = fields.numbers(
        rows, population, table_source, codes[matched], field="population", unit=_("persons")
    )
    values = np.zeros(len(wanted))
    values[found[matched]] = people
    missing = np.flatnonzero(counts == 0)
    if missing.size:
        warnings.warn(
            _(
                "{table}: no row in column '{column}' for {count} demand unit(s) of "
                "{source}: {ids}; they get population 0"
            ).format(
                table=table_source,
                column=key,
                count=missing.size,
                source=source,
                ids=listing(wanted[missing], quote=True),
            ),
            HealthplanWarning,
            stacklevel=2,
        )
    joined = frame.copy()
    joined[population] = values
    return joined
