"""Write a plan's tables to one Excel workbook (``plan.xlsx``), one sheet per table.

Sheet names and column headers are in the language in use (``geodata.i18n``); the cells keep
the values of the CSV files and layers: ids and other text as text (a 12-digit village code
keeps its leading zeros), numbers as numbers, booleans as Excel booleans, missing values as
empty cells. Point layers get their coordinates as two columns (longitude and latitude in
degrees for a geographic CRS, else x and y in the CRS's unit); other geometry is left out.
Every sheet has a bold, frozen header row, a filter on it and columns as wide as their text
(CJK characters counted twice). Written with XlsxWriter, with a fixed creation date so that
equal tables give equal files.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import datetime
from numbers import Real
from pathlib import Path

import geopandas as gpd
import pandas as pd
import xlsxwriter

from geodata.i18n import N_
from geodata.i18n import gettext as _
from optimizer.outputs.labels import heading

# Sheet title of each table, keyed by its name (a layer's name or a CSV file's stem); a table
# not listed here is titled by its name.
SHEETS: dict[str, str] = {
    "summary": N_("Summary"),
    "sites": N_("Sites"),
    "assignments": N_("Assignments"),
    "districts": N_("Districts"),
    "staffing": N_("Staffing"),
    "indicators": N_("County indicators"),
    "phasing": N_("Phasing"),
    "timetable": N_("Roaming timetable"),
    "routes": N_("Roaming routes"),
    "stops": N_("Roaming stops"),
    "stages": N_("Solve record"),
    "compare_hubs": N_("Compare hubs"),
    "compare_hub_sites": N_("Compare hub sites"),
    "compare_plan_fixed": N_("Compare hubs fixed"),
    "compare_curve": N_("Coverage curve"),
    "compare_least": N_("Least hubs"),
    "compare_curve_seats": N_("Coverage curve (seats)"),
    "compare_least_seats": N_("Least hubs (seats)"),
    "compare_named_gaps": N_("Named gaps"),
    "compare_staff_by_site": N_("Staff by site"),
}

# Columns whose values are ids: always written as text.
ID_COLUMNS = {"id", "stop_ids"}

MAX_SHEET_NAME = 31  # characters Excel allows in a sheet name
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
MIN_WIDTH, MAX_WIDTH = 6, 60  # column widths, in characters of the default font
PADDING = 2  # characters added to the widest cell of a column
FIXED_CREATED = datetime(2000, 1, 1)  # stamped as creation date, for identical files


def write_workbook(tables: Mapping[str, pd.DataFrame], path: str | Path) -> Path:
    """Write ``tables`` (name -> table or layer) to the workbook ``path``, one sheet each in
    the given order, titled and headed in the language in use; return ``path``."""
    path = Path(path)
    book = xlsxwriter.Workbook(str(path))
    book.set_properties({"created": FIXED_CREATED})
    header_format = book.add_format({"bold": True})
    used: set[str] = set()
    for name, table in tables.items():
        title = sheet_name(_(SHEETS[name]) if name in SHEETS else name, used)
        used.add(title.lower())
        _write_sheet(book.add_worksheet(title), with_coordinates(table), header_format)
    book.close()
    return path


def _write_sheet(sheet, table: pd.DataFrame, header_format) -> None:
    """Header row, then one row per table row; frozen header, filter, column widths."""
    for col, column in enumerate(table.columns):
        header = heading(str(column))
        sheet.write_string(0, col, header, header_format)
        width = text_width(header)
        as_text = is_id_column(str(column))
        for row, value in enumerate(table[column].tolist(), start=1):
            width = max(width, _write_cell(sheet, row, col, value, as_text))
        sheet.set_column(col, col, min(max(width + PADDING, MIN_WIDTH), MAX_WIDTH))
    sheet.freeze_panes(1, 0)
    if len(table.columns):
        sheet.autofilter(0, 0, len(table), len(table.columns) - 1)


def _write_cell(sheet, row: int, col: int, value: object, as_text: bool) -> int:
    """Write one value with its type; return its width in characters (0 for an empty cell)."""
    if is_missing(value):
        return 0
    if as_text or isinstance(value, str):
        text = id_text(value) if as_text else str(value)
        sheet.write_string(row, col, text)
        return text_width(text)
    if isinstance(value, bool):
        sheet.write_boolean(row, col, value)
        return 5
    if isinstance(value, Real):
        number = float(value)
        if not math.isfinite(number):
            text = "inf" if number > 0 else "-inf"
            sheet.write_string(row, col, text)
            return len(text)
        sheet.write_number(row, col, number)
        return len(f"{number:.10g}")
    text = str(value)
    sheet.write_string(row, col, text)
    return text_width(text)


def with_coordinates(table: pd.DataFrame) -> pd.DataFrame:
    """The table without its geometry; point layers get two coordinate columns: ``lon``,
    ``lat`` (degrees) in a geographic CRS, else ``x``, ``y`` (CRS unit, e.g. metres)."""
    if not isinstance(table, gpd.GeoDataFrame) or table.geometry.name not in table.columns:
        return table
    geometry = table.geometry
    frame = pd.DataFrame(table.drop(columns=geometry.name))
    points = len(geometry) > 0 and bool((geometry.geom_type == "Point").all())
    if points:
        geographic = geometry.crs is not None and geometry.crs.is_geographic
        x, y = ("lon", "lat") if geographic else ("x", "y")
        digits = 7 if geographic else 2
        frame[x] = geometry.x.round(digits).to_numpy()
        frame[y] = geometry.y.round(digits).to_numpy()
    return frame


def is_id_column(column: str) -> bool:
    """Whether a column holds ids (``id``, ``*_id``, ``stop_ids``): written as text."""
    return column in ID_COLUMNS or column.endswith("_id")


def id_text(value: object) -> str:
    """An id as text; a whole number read as a float loses its ``.0``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def is_missing(value: object) -> bool:
    """None, NaN, NA or NaT: written as an empty cell."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def text_width(text: str) -> int:
    """Display width of ``text`` in characters of the default font: wide (CJK) characters
    count 2; for a multi-line text, its longest line."""
    return max(
        (
            sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)
            for line in text.splitlines() or [""]
        ),
        default=0,
    )


def sheet_name(title: str, used: Iterable[str] = ()) -> str:
    """A valid sheet name for ``title``: forbidden characters replaced, at most 31
    characters, not (case-insensitively) among ``used`` (lower-case names)."""
    base = SHEET_NAME_FORBIDDEN.sub("-", title).strip("'") or "sheet"
    taken = set(used)
    name = base[:MAX_SHEET_NAME]
    number = 2
    while name.lower() in taken:
        tail = f" ({number})"
        name = base[: MAX_SHEET_NAME - len(tail)] + tail
        number += 1
    return name
