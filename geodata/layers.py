"""Open a data file as a table of attributes, with its geometry when the format has one.

A CSV file is read with pandas, every cell as text (so ids such as ``"0012"`` keep their zeros),
UTF-8 with or without a byte-order mark. Every other file goes through pyogrio: GeoPackage,
shapefile (its ``.cpg`` file names the encoding), GeoJSON and any other format GDAL reads.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pyogrio.errors

from .errors import HealthplanWarning, InputError
from .messages import listing

CSV_SUFFIXES = (".csv",)


@dataclass(frozen=True)
class Source:
    """Where a frame was read from, used to name files and rows in error messages."""

    path: Path
    layer: str | None = None
    csv: bool = False

    def __str__(self) -> str:
        return f"{self.path} (layer '{self.layer}')" if self.layer else str(self.path)

    def row(self, label: object) -> str:
        """A row as the user finds it: the line of a CSV file, or the 1-based feature number."""
        return f"line {int(label) + 2}" if self.csv else f"feature {int(label) + 1}"

    def error(self, message: str) -> InputError:
        return InputError(f"{self}: {message}")


def existing(path: str | Path) -> Path:
    """The path as a Path, or an InputError when nothing is there."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: file not found; check the path and the working directory")
    return path


def is_csv(path: Path) -> bool:
    return path.suffix.lower() in CSV_SUFFIXES


def read_csv(path: Path) -> tuple[pd.DataFrame, Source]:
    """Read a CSV file as text cells; an empty cell is missing (NaN), any other text is kept.

    Blank lines are dropped but the index keeps each row's place, so ``Source.row`` names the
    right line of the file.
    """
    source = Source(path, csv=True)
    try:
        frame = pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            skip_blank_lines=False,
            encoding="utf-8-sig",
        )
    except UnicodeDecodeError as exc:
        raise source.error(
            f"not UTF-8 text ({exc.reason} at byte {exc.start}); save the file as UTF-8 CSV"
        ) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, OSError) as exc:
        raise source.error(f"cannot be read as CSV ({exc}); check the file") from None
    return frame.dropna(how="all"), source


def read_layer(path: Path, layer: str | None) -> tuple[pd.DataFrame, Source]:
    """Read one layer of a spatial file; a GeoDataFrame, or a DataFrame when it has no geometry.

    A file with several layers needs `layer`; the message lists the layers it has.
    """
    try:
        layers = [str(name) for name in pyogrio.list_layers(path)[:, 0]]
    except (pyogrio.errors.DataSourceError, OSError) as exc:
        raise InputError(
            f"{path}: cannot be read as a spatial file ({exc}); give a GeoPackage, shapefile, "
            "GeoJSON or CSV file"
        ) from None
    if layer is None and len(layers) > 1:
        raise InputError(
            f"{path}: has layers {listing(layers, quote=True)}; pass layer= to choose one"
        )
    if layer is not None and layer not in layers:
        raise InputError(
            f"{path}: no layer '{layer}'; its layers are {listing(layers, quote=True)}; "
            "pass one as layer="
        )
    source = Source(path, layer)
    try:
        frame = gpd.read_file(path, layer=layer if layer is not None else layers[0])
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, OSError) as exc:
        raise source.error(f"cannot be read ({exc}); check the file") from None
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
            "has no .cpg file saying how its text is encoded, and its text is not plain ASCII; "
            f"add {path.with_suffix('.cpg').name} holding the encoding, e.g. UTF-8 or GBK"
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
        names = ", ".join(f"'{column}'" for column, _, _ in garbled)
        _, right, wrong = garbled[0]
        warnings.warn(
            f"{source}: its text encoding is declared as {declared}, but the text of "
            f"{'field' if len(garbled) == 1 else 'fields'} {names} is UTF-8, so names read "
            f"garbled ('{right}' reads as '{wrong}'); {fix}",
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
            f"{override} by the SHAPE_ENCODING setting",
            "set SHAPE_ENCODING=UTF-8 (or unset it and give the file a .cpg saying UTF-8)",
        )
    name = path.with_suffix(".cpg").name if cpg is None else cpg.name
    fix = (
        f"write UTF-8 into {name}, or set the encoding GDAL reads it with "
        "(environment variable SHAPE_ENCODING=UTF-8 overrides the .cpg)"
    )
    if cpg is not None:
        text = cpg.read_bytes().decode("ascii", errors="replace").strip()
        return (None, "") if _is_utf8(text) else (f"{text} in {cpg.name}", fix)
    if pyogrio.read_info(path)["encoding"] in ("ISO-8859-1", "UTF-8"):
        return None, ""  # no declaration (see _check_shapefile_text) or UTF-8
    return f"the code page mark of {path.with_suffix('.dbf').name}", fix


def _is_utf8(name: str) -> bool:
    return name.replace("-", "").replace("_", "").upper() == "UTF8"


def read_any(path: str | Path, layer: str | None = None) -> tuple[pd.DataFrame, Source]:
    """Read a CSV file or a spatial layer (see the module docstring)."""
    path = existing(path)
    if is_csv(path):
        if layer is not None:
            raise InputError(f"{path}: a CSV file has no layers; drop layer='{layer}'")
        return read_csv(path)
    return read_layer(path, layer)
