"""Write a :class:`~optimizer.results.SitePlan` to GIS files, atomically.

Everything is first written to a hidden staging folder beside the output folder; only when
all files are complete does that folder replace the output folder, in one atomic exchange
(see ``optimizer.swap``). A failed, interrupted or killed run leaves the previous outputs as
they were and no partial files in the output folder.

Layout of the output folder::

    plan.gpkg                  layers sites, assignments, assignment_lines
    shp/<layer>.shp            one shapefile per layer, UTF-8 with a .cpg file
    geojson/<layer>.geojson    one GeoJSON file per layer
    summary.csv                the plan summary (item, value), UTF-8
    map.png                    overview map (see optimizer.maps)
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

import geopandas as gpd

from geodata.errors import InputError
from optimizer.config import OUTPUT_FORMATS
from optimizer.maps import plot_plan
from optimizer.results import SitePlan
from optimizer.swap import recover, replace_folder, staging_name

LAYERS = ("sites", "assignments", "assignment_lines")

# Shapefile (dBASE) field names hold at most 10 characters. Columns longer than that are
# renamed with this table; any other long column is cut to 10 characters (made unique with
# a numeric suffix). GeoPackage, GeoJSON and CSV keep the full names.
SHAPEFILE_NAMES = {
    "population_served": "pop_served",
    "assigned_population": "assign_pop",
    "fixed_cost_used": "fixed_used",
}

# Names that a previous run leaves in the output folder; anything else there stops the write.
OUTPUT_NAMES = frozenset({"plan.gpkg", "shp", "geojson", "summary.csv", "map.png"})


def write_outputs(
    plan: SitePlan,
    out_dir: str | Path,
    *,
    formats: Iterable[str] = OUTPUT_FORMATS,
    crs: str = "EPSG:4326",
    title: str | None = None,
) -> list[Path]:
    """Write the plan's layers, summary and map into ``out_dir``, replacing it atomically.

    Args:
        plan: the plan to write.
        out_dir: output folder; created if missing. An existing folder is replaced only if it
            holds nothing but outputs of a previous run.
        formats: any of "gpkg", "shp", "geojson", "csv", "png".
        crs: CRS of the written layers (the map keeps the plan's metric CRS).
        title: map title.

    Returns:
        The written files, inside ``out_dir``.

    Raises:
        InputError: unknown format, or ``out_dir`` is a file or holds other files.
    """
    return write_atomically(
        out_dir,
        formats,
        OUTPUT_NAMES,
        lambda folder, fmts: _write_all(plan, folder, fmts, crs, title),
    )


def write_atomically(
    out_dir: str | Path,
    formats: Iterable[str],
    names: frozenset[str],
    write: Callable[[Path, list[str]], list[Path]],
) -> list[Path]:
    """Check ``formats``, let ``write`` fill a staging folder, then swap it in for ``out_dir``.

    ``names`` are the entries an earlier run leaves in ``out_dir``; anything else there stops
    the write. A failure leaves ``out_dir`` as it was and no staging folder behind.
    """
    out_dir = Path(out_dir)
    formats = list(dict.fromkeys(formats))
    unknown = [f for f in formats if f not in OUTPUT_FORMATS]
    if unknown:
        raise InputError(
            f"output formats: unknown {', '.join(map(repr, unknown))} "
            f"(allowed: {', '.join(OUTPUT_FORMATS)})"
        )
    recover(out_dir)
    check_replaceable(out_dir, names)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = staging_name(out_dir)
    try:
        staging.mkdir()
        written = write(staging, formats)
        replace_folder(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return [out_dir / path.relative_to(staging) for path in written]


def shapefile_columns(
    columns: Sequence[str], names: Mapping[str, str] = SHAPEFILE_NAMES
) -> dict[str, str]:
    """Map column names to unique shapefile field names of at most 10 characters."""
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for column in columns:
        short = names.get(column, column)[:10]
        suffix = 1
        while short.lower() in used:
            tail = str(suffix)
            short = names.get(column, column)[: 10 - len(tail)] + tail
            suffix += 1
        used.add(short.lower())
        mapping[column] = short
    return mapping


def check_replaceable(out_dir: Path, names: frozenset[str] = OUTPUT_NAMES) -> None:
    """Refuse to replace a file or a folder that holds anything but earlier outputs."""
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{out_dir}: output path is a file; choose a folder")
    if out_dir.is_dir():
        foreign = sorted(p.name for p in out_dir.iterdir() if p.name not in names)
        if foreign:
            raise InputError(
                f"{out_dir}: output folder holds files that are not plan outputs "
                f"({', '.join(foreign[:5])}); choose an empty or new folder"
            )


def _write_all(
    plan: SitePlan, folder: Path, formats: list[str], crs: str, title: str | None
) -> list[Path]:
    """Write every requested format into ``folder``; return the files written."""
    layers = {name: to_crs(getattr(plan, name), name, crs) for name in LAYERS}
    written = write_layers(layers, folder, formats, SHAPEFILE_NAMES)
    if "csv" in formats:
        path = folder / "summary.csv"
        plan.summary.to_csv(path, index=False, encoding="utf-8")
        written.append(path)
    if "png" in formats:
        path = folder / "map.png"
        plot_plan(plan, path, title=title)
        written.append(path)
    return written


def write_layers(
    layers: Mapping[str, gpd.GeoDataFrame],
    folder: Path,
    formats: Sequence[str],
    short_names: Mapping[str, str],
) -> list[Path]:
    """Write layers to plan.gpkg, shp/ (UTF-8 + .cpg, ``short_names`` for long columns) and
    geojson/ as ``formats`` ask; return the files written."""
    written: list[Path] = []
    if "gpkg" in formats:
        path = folder / "plan.gpkg"
        for name, layer in layers.items():
            layer.to_file(path, layer=name, driver="GPKG", engine="pyogrio")
        written.append(path)
    if "shp" in formats:
        (folder / "shp").mkdir()
        for name, layer in layers.items():
            path = folder / "shp" / f"{name}.shp"
            columns = shapefile_columns(list(layer.columns), short_names)
            layer.rename(columns=columns).to_file(
                path, driver="ESRI Shapefile", encoding="UTF-8", engine="pyogrio"
            )
            written.extend(path.with_suffix(ext) for ext in (".shp", ".shx", ".dbf", ".prj"))
            written.append(write_cpg(path))
    if "geojson" in formats:
        (folder / "geojson").mkdir()
        for name, layer in layers.items():
            path = folder / "geojson" / f"{name}.geojson"
            layer.to_file(path, driver="GeoJSON", engine="pyogrio")
            written.append(path)
    return written


def write_cpg(shp: Path) -> Path:
    """Make sure the shapefile has a .cpg file declaring UTF-8 (GIS programs read it)."""
    cpg = shp.with_suffix(".cpg")
    if not cpg.exists() or cpg.read_text(encoding="ascii").strip().upper() != "UTF-8":
        cpg.write_text("UTF-8", encoding="ascii")
    return cpg


def to_crs(layer: gpd.GeoDataFrame, name: str, crs: str) -> gpd.GeoDataFrame:
    """Reproject one plan layer; a layer without a CRS cannot be written correctly."""
    if layer.crs is None:
        raise InputError(f"plan layer {name!r}: has no CRS, cannot reproject to {crs}")
    return layer.to_crs(crs)
