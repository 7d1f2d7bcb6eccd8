"""Open a data file as a table of attributes, with its geometry when the format has one.

A CSV file is read with pandas, every cell as text (so ids such as ``"0012"`` keep their zeros):
UTF-8 with or without a byte-order mark, else GB18030 (a superset of GBK), or the encoding the
caller names. A workbook (.xlsx, .xlsm, .xls, .ods) is read with python-calamine, one sheet,
every cell turned into the text a CSV export would hold (a number stored as 331126100201.0
reads "331126100201"). Every other file goes through pyogrio: GeoPackage, shapefile (its
``.cpg`` file names the encoding), GeoJSON and any other format GDAL reads. A
``postgresql://`` URL names a PostGIS database: one table (``layer``) or query (``sql``) is
read from it (see ``geodata.postgis``).
"""

from __future__ import annotations

import codecs
import datetime as dt
import io
import math
import warnings
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pyogrio.errors

from .errors import HealthplanWarning, InputError
from .i18n import gettext as _
from .i18n import ngettext
from .messages import listing
from .postgis import DatabaseUrl, is_database_url, read_postgis

CSV_SUFFIXES = (".csv",)
SHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
# Tried in order when a CSV file's encoding is not given: GB18030 is a superset of GBK and
# GB2312, the encodings Excel and WPS use for "CSV" on Chinese Windows.
DETECTED_ENCODINGS = ("utf-8-sig", "gb18030")

Sheet = str | int
SHOWN_SQL = 60  # characters of a query named in messages


@dataclass(frozen=True)
class Source:
    """Where a frame was read from, used to name files and rows in error messages."""

    path: Path | DatabaseUrl
    layer: str | None = None
    csv: bool = False
    sheet: str | None = None
    sql: str | None = None

    def __str__(self) -> str:
        if self.sql is not None:
            query = " ".join(self.sql.split())
            shown = query if len(query) <= SHOWN_SQL else query[: SHOWN_SQL - 3] + "..."
            return _("{path} (sql '{sql}')").format(path=self.path, sql=shown)
        if self.sheet is not None:
            return _("{path} (sheet '{sheet}')").format(path=self.path, sheet=self.sheet)
        if self.layer:
            return _("{path} (layer '{layer}')").format(path=self.path, layer=self.layer)
        return str(self.path)

    def row(self, label: object) -> str:
        """A row as the user finds it: the line of a CSV file, the row number of a sheet, or
        the 1-based feature number."""
        if self.sheet is not None:
            return _("row {row}").format(row=int(label) + 2)
        if self.csv:
            return _("line {line}").format(line=int(label) + 2)
        return _("feature {feature}").format(feature=int(label) + 1)

    def error(self, message: str) -> InputError:
        return InputError(_("{source}: {message}").format(source=self, message=message))


def existing(path: str | Path) -> Path:
    """The path as a Path, or an InputError when nothing is there."""
    path = Path(path)
    if not path.exists():
        raise InputError(
            _("{path}: file not found; check the path and the working directory").format(path=path)
        )
    return path


def is_csv(path: Path) -> bool:
    return path.suffix.lower() in CSV_SUFFIXES


def is_sheet(path: Path) -> bool:
    """Whether the file is a workbook read by sheet (Excel, WPS or OpenDocument)."""
    return path.suffix.lower() in SHEET_SUFFIXES


def check_encoding(name: str) -> str:
    """The encoding name as given, or ValueError when Python knows no such encoding."""
    try:
        codecs.lookup(name)
    except LookupError:
        raise ValueError(
            _("unknown encoding {name} (use e.g. 'utf-8', 'gbk' or 'gb18030')").format(
                name=repr(name)
            )
        ) from None
    return name


def decode_text(data: bytes, source: Source, encoding: str | None = None) -> str:
    """The text of a file's bytes: in `encoding` when given, else the first of
    ``DETECTED_ENCODINGS`` that decodes every byte. A byte-order mark is dropped."""
    if encoding is not None:
        try:
            check_encoding(encoding)
        except ValueError as exc:
            raise source.error(_("encoding: {problem}").format(problem=exc)) from None
        try:
            return data.decode(encoding).removeprefix("\ufeff")
        except UnicodeDecodeError as exc:
            raise source.error(
                _(
                    "not valid {encoding} text ({reason} at byte {byte}); give the "
                    "encoding it was saved in as encoding=, or save it as UTF-8 CSV"
                ).format(encoding=encoding, reason=exc.reason, byte=exc.start)
            ) from None
    for name in DETECTED_ENCODINGS:
        try:
            return data.decode(name)
        except UnicodeDecodeError:
            continue
    raise source.error(
        _(
            "is neither UTF-8 nor GBK/GB18030 text; save it as UTF-8 CSV (Excel: 'CSV UTF-8'), "
            "or give the encoding it was saved in as encoding="
        )
    )


def read_csv(
    path: Path, *, encoding: str | None = None, header_row: int = 1
) -> tuple[pd.DataFrame, Source]:
    """Read a CSV file as text cells; an empty cell is missing (NaN), any other text is kept.

    The text is decoded with `encoding` when given, else as UTF-8 (with or without BOM) or
    GB18030/GBK, whichever decodes the whole file (see ``decode_text``). Line `header_row`
    (1-based) holds the column names; the lines above it (a title) are skipped. Blank lines
    are dropped but the index keeps each row's place, so ``Source.row`` names the right line
    of the file.
    """
    source = Source(path, csv=True)
    try:
        text = decode_text(path.read_bytes(), source, encoding)
        frame = pd.read_csv(
            io.StringIO(text),
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            skip_blank_lines=False,
            skiprows=header_row - 1,
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, OSError) as exc:
        raise source.error(
            _("cannot be read as CSV ({problem}); check the file").format(problem=exc)
        ) from None
    if header_row > 1:
        frame.index += header_row - 1
    return frame.dropna(how="all"), source


def read_layer(path: Path, layer: str | None) -> tuple[pd.DataFrame, Source]:
    """Read one layer of a spatial file; a GeoDataFrame, or a DataFrame when it has no geometry.

    A file with several layers needs `layer`; the message lists the layers it has.
    """
    try:
        layers = [str(name) for name in pyogrio.list_layers(path)[:, 0]]
    except (pyogrio.errors.DataSourceError, OSError) as exc:
        raise InputError(
            _(
                "{path}: cannot be read as a spatial file ({problem}); give a GeoPackage, "
                "shapefile, GeoJSON or CSV file"
            ).format(path=path, problem=exc)
        ) from None
    if layer is None and len(layers) > 1:
        raise InputError(
            _("{path}: has layers {layers}; pass layer= to choose one").format(
                path=path, layers=listing(layers, quote=True)
            )
        )
    if layer is not None and layer not in layers:
        raise InputError(
            _("{path}: no layer '{layer}'; its layers are {layers}; pass one as layer=").format(
                path=path, layer=layer, layers=listing(layers, quote=True)
            )
        )
    source = Source(path, layer)
    try:
        frame = gpd.read_file(path, layer=layer if layer is not None else layers[0])
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, OSError) as exc:
        raise source.error(
            _("cannot be read ({problem}); check the file").format(problem=exc)
        ) from None
    _check_shapefile_text(path, frame, source)
    _check_declared_encoding(path, frame, source)
    return frame.reset_index(drop=True), source


def _check_shapefile_text(path: Path, frame: pd.DataFrame, source: Source) -> None:
    """Refuse non-ASCII text in a shapefile that does not say its encoding.

    Without a ``.cpg`` file (or a code page in the .dbf) GDAL decodes text as ISO-8859-1, which
    silently garbles Chinese names.
    """
    if path.suffix.lower() != ".shp" or any(path.with_suffix(s).exists() for s in (".cpg", ".CPG")):
        return
    if pyogrio.read_info(path)["encoding"] != "ISO-8859-1":
        return
    text = frame.select_dtypes(include=["object", "string"])
    if not all(text[c].dropna().astype(str).map(str.isascii).all() for c in text.columns):
        raise source.error(
            _(
                "has no .cpg file saying how its text is encoded, and its text is not plain "
                "ASCII; add {cpg} holding the encoding, e.g. UTF-8 or GBK"
            ).format(cpg=path.with_suffix(".cpg").name)
        )


def _check_declared_encoding(path: Path, frame: pd.DataFrame, source: Source) -> None:
    """Warn when a shapefile's declared encoding garbles text that is really UTF-8.

    A ``.cpg`` file saying GBK (or CP936, a code page mark in the .dbf, ``SHAPE_ENCODING``)
    beside a .dbf whose text is UTF-8 makes GDAL turn every Chinese name into mojibake, and
    nothing fails. The text fields are read once more as UTF-8: when that succeeds and some
    values differ from what GDAL read with the declared encoding, a
    :class:`HealthplanWarning` names the file, the encoding and the fix. Genuine GBK text is
    not valid UTF-8 and is left alone.
    """
    if path.suffix.lower() != ".shp":
        return
    declared, fix = _declared_encoding(path)
    text = list(frame.select_dtypes(include=["object", "string"]).columns)
    if declared is None or not text:
        return
    try:
        as_utf8 = pyogrio.read_dataframe(path, columns=text, read_geometry=False, encoding="UTF-8")
    except UnicodeDecodeError:
        return  # not UTF-8: the declared encoding may well be right
    garbled: list[tuple[str, str, str]] = []
    for column in text:
        right, wrong = as_utf8[column].reset_index(drop=True), frame[column].reset_index(drop=True)
        differs = (right != wrong) & ~(right.isna() & wrong.isna())
        if differs.any():
            row = int(differs.to_numpy().argmax())
            garbled.append((str(column), str(right[row]).strip(), str(wrong[row]).strip()))
    if garbled:
        names = ", ".join(f"'{column}'" for column, _right, _wrong in garbled)
        right, wrong = garbled[0][1:]
        message = ngettext(
            "{source}: its text encoding is declared as {declared}, but the text of field "
            "{names} is UTF-8, so names read garbled ('{right}' reads as '{wrong}'); {fix}",
            "{source}: its text encoding is declared as {declared}, but the text of fields "
            "{names} is UTF-8, so names read garbled ('{right}' reads as '{wrong}'); {fix}",
            len(garbled),
        )
        warnings.warn(
            message.format(
                source=source, declared=declared, names=names, right=right, wrong=wrong, fix=fix
            ),
            HealthplanWarning,
            stacklevel=4,
        )


def _declared_encoding(path: Path) -> tuple[str | None, str]:
    """How GDAL is told a shapefile's text encoding (None: UTF-8 or not declared at all),
    and how to make it UTF-8."""
    cpg = next(
        (p for p in (path.with_suffix(".cpg"), path.with_suffix(".CPG")) if p.exists()), None
    )
    override = pyogrio.get_gdal_config_option("SHAPE_ENCODING")
    if override is not None:
        if _is_utf8(str(override)) or not str(override):
            return None, ""
        return (
            _("{encoding} by the SHAPE_ENCODING setting").format(encoding=override),
            _("set SHAPE_ENCODING=UTF-8 (or unset it and give the file a .cpg saying UTF-8)"),
        )
    name = path.with_suffix(".cpg").name if cpg is None else cpg.name
    fix = _(
        "write UTF-8 into {cpg}, or set the encoding GDAL reads it with "
        "(environment variable SHAPE_ENCODING=UTF-8 overrides the .cpg)"
    ).format(cpg=name)
    if cpg is not None:
        text = cpg.read_bytes().decode("ascii", errors="replace").strip()
        if _is_utf8(text):
            return None, ""
        return _("{encoding} in {cpg}").format(encoding=text, cpg=cpg.name), fix
    if pyogrio.read_info(path)["encoding"] in ("ISO-8859-1", "UTF-8"):
        return None, ""  # no declaration (see _check_shapefile_text) or UTF-8
    return _("the code page mark of {dbf}").format(dbf=path.with_suffix(".dbf").name), fix


def _is_utf8(name: str) -> bool:
    return name.replace("-", "").replace("_", "").upper() == "UTF8"


def read_sheet(
    path: Path, sheet: Sheet | None = None, header_row: int | None = None
) -> tuple[pd.DataFrame, Source]:
    """Read one sheet of a workbook (.xlsx, .xlsm, .xls, .ods) as text cells, like ``read_csv``.

    `sheet` is a sheet name or a 0-based index; without it the workbook's only sheet that
    holds cells is read. The header is row `header_row` (1-based, as the spreadsheet numbers
    it; the rows above, such as a title, are skipped), by default the first row that holds
    cells. Numbers become the
    shortest text that reads back as the same number, whole numbers without ".0"; dates
    become ISO text; empty cells are missing. The index keeps each row's place, so
    ``Source.row`` names the sheet's row number.
    """
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
        names = [str(name) for name in book.sheet_names]
    except (CalamineError, OSError, ValueError) as exc:
        raise InputError(
            _(
                "{path}: cannot be read as a workbook ({problem}); save it again as .xlsx, "
                "or as CSV"
            ).format(path=path, problem=exc)
        ) from None
    name = _sheet_name(path, book, names, sheet)
    source = Source(path, sheet=name)
    try:
        content = book.get_sheet_by_name(name)
        rows = content.to_python()
    except (CalamineError, OSError, ValueError) as exc:
        raise source.error(
            _("cannot be read ({problem}); check the file").format(problem=exc)
        ) from None
    if not rows:
        raise source.error(_("is empty; give a sheet with a header row and data rows"))
    top = content.start[0] if content.start is not None else 0  # 0-based row of rows[0]
    skip = 0 if header_row is None else header_row - 1 - top
    if not 0 <= skip < len(rows):
        raise source.error(
            _(
                "row {row} holds no cells (rows {first} to {last} do); "
                "give the row that holds the column names as header_row"
            ).format(row=header_row, first=top + 1, last=top + len(rows))
        )
    header = _header([cell_text(cell) for cell in rows[skip]])
    body = [[cell_text(cell) for cell in row] for row in rows[skip + 1 :]]
    first = top + skip  # Source.row(first) names the sheet row below the header
    frame = pd.DataFrame(
        body, columns=header, index=pd.RangeIndex(first, first + len(body)), dtype=object
    ).astype(str)  # the string dtype read_csv gives, empty cells missing
    return frame.dropna(how="all"), source


def _sheet_name(path: Path, book: object, names: list[str], sheet: Sheet | None) -> str:
    """The name of the sheet asked for, or an InputError listing the sheets there are."""
    which = ", ".join(f"{k}: '{n}'" for k, n in enumerate(names))
    if sheet is None:
        filled = [n for n in names if book.get_sheet_by_name(n).to_python(nrows=1)]
        if len(filled) == 1 or (not filled and names):
            return filled[0] if filled else names[0]
        raise InputError(
            _(
                "{path}: sheets {filled} all hold cells; name one as sheet= "
                "(its sheets are {sheets})"
            ).format(path=path, filled=listing(filled, quote=True), sheets=which)
        )
    if isinstance(sheet, int) and not isinstance(sheet, bool):
        if 0 <= sheet < len(names):
            return names[sheet]
        message = _(
            "{path}: no sheet {sheet} (0-based index); its sheets are {sheets}; give one of "
            "these names or 0-based indices as sheet="
        )
    elif str(sheet) in names:
        return str(sheet)
    else:
        message = _(
            "{path}: no sheet '{sheet}'; its sheets are {sheets}; give one of these names or "
            "0-based indices as sheet="
        )
    raise InputError(message.format(path=path, sheet=sheet, sheets=which))


def _header(cells: list[object]) -> list[str]:
    """Column names of a header row: an empty cell becomes "Unnamed: k" and a repeated name
    gets ".1", ".2", ... as pandas does for CSV files."""
    seen: dict[str, int] = {}
    names = []
    for k, cell in enumerate(cells):
        name = f"Unnamed: {k}" if cell is None else str(cell)
        if name in seen:
            seen[name] += 1
            name = f"{name}.{seen[name]}"
        else:
            seen[name] = 0
        names.append(name)
    return names


def cell_text(value: object) -> str | None:
    """A workbook cell as the text a CSV export holds; None for an empty cell.

    Whole numbers lose their ".0" (331126100201.0 -> "331126100201"); other numbers take the
    shortest text that reads back as the same float; booleans read "TRUE"/"FALSE"; dates and
    times ISO 8601.
    """
    if value is None or (isinstance(value, str) and value == ""):
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 2**63:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


def read_any(
    path: str | Path | DatabaseUrl,
    layer: str | None = None,
    *,
    sheet: Sheet | None = None,
    encoding: str | None = None,
    sql: str | None = None,
    header_row: int | None = None,
) -> tuple[pd.DataFrame, Source]:
    """Read a CSV file, a workbook sheet, a spatial layer, or a PostGIS table or query (see
    the module docstring).

    `sheet` (name or 0-based index) applies to workbooks only, `encoding` to CSV files only,
    `header_row` (1-based row of the column names) to workbooks and CSV files, `sql` to
    database URLs only.
    """
    if is_database_url(path):
        for key, value in (("sheet", sheet), ("encoding", encoding), ("header_row", header_row)):
            if value is not None:
                raise InputError(
                    _("{url}: {key}= applies to files only; drop it").format(
                        url=DatabaseUrl(path), key=key
                    )
                )
        url = DatabaseUrl(path)
        return read_postgis(url, layer, sql), Source(url, layer, sql=sql)
    if sql is not None:
        raise InputError(
            _("{path}: sql= applies to postgresql:// URLs only; drop it").format(path=path)
        )
    path = existing(path)
    if encoding is not None and not is_csv(path):
        raise InputError(
            _("{path}: encoding= applies to CSV files only; drop encoding='{encoding}'").format(
                path=path, encoding=encoding
            )
        )
    if is_sheet(path):
        if layer is not None:
            raise InputError(
                _("{path}: a workbook has sheets, not layers; use sheet='{layer}'").format(
                    path=path, layer=layer
                )
            )
        return read_sheet(path, sheet, header_row)
    if sheet is not None:
        raise InputError(
            _(
                "{path}: sheet= applies to workbooks (.xlsx, .xls, .ods) only; drop sheet={sheet}"
            ).format(path=path, sheet=repr(sheet))
        )
    if is_csv(path):
        if layer is not None:
            raise InputError(
                _("{path}: a CSV file has no layers; drop layer='{layer}'").format(
                    path=path, layer=layer
                )
            )
        return read_csv(path, encoding=encoding, header_row=header_row or 1)
    if header_row is not None:
        raise InputError(
            _("{path}: header_row= applies to workbooks and CSV files only; drop it").format(
                path=path
            )
        )
    return read_layer(path, layer)
