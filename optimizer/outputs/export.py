"""Write a :class:`~optimizer.results.SitePlan` to GIS files, atomically.

Everything is first written to a hidden staging folder beside the output folder; only when
all files are complete does that folder replace the output folder, in one atomic exchange
(see ``optimizer.outputs.swap``). A failed, interrupted or killed run leaves the previous outputs as
they were and no partial files in the output folder.

Layout of the output folder::

    plan.gpkg                  layers sites, assignments, assignment_lines
    shp/<layer>.shp            one shapefile per layer, UTF-8 with a .cpg file
    geojson/<layer>.geojson    one GeoJSON file per layer
    summary.csv                the plan summary (item, value), UTF-8
    plan.xlsx                  workbook: summary, sites, assignments (see
                               optimizer.outputs.workbook)
    map.png                    overview map (see optimizer.outputs.maps)
    manifest.json              written last: tool, version and every file of the folder

An existing output folder is replaced only when it is empty or holds a healthplan manifest
and nothing the manifest does not list; never when it is (or holds) the current folder or
a file the run reads. Layers are stamped with a fixed date (GDAL's ``OGR_CURRENT_DATE``
config option and the shapefile ``DBF_DATE_LAST_UPDATE`` option), so the same plan gives
the same bytes.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path, PurePosixPath

import geopandas as gpd
import pyogrio

from geodata.errors import InputError
from optimizer.config.site import OUTPUT_FORMATS
from optimizer.outputs.maps import plot_plan
from optimizer.outputs.swap import recover, replace_folder, staging_name
from optimizer.outputs.workbook import write_workbook
from optimizer.results import SitePlan
from optimizer.versions import installed_version

LAYERS = ("sites", "assignments", "assignment_lines")

# Shapefile (dBASE) field names hold at most 10 characters. Columns longer than that are
# renamed with this table; any other long column is cut to 10 characters (made unique with
# a numeric suffix). GeoPackage, GeoJSON and CSV keep the full names.
SHAPEFILE_NAMES = {
    "population_served": "pop_served",
    "assigned_population": "assign_pop",
    "fixed_cost_used": "fixed_used",
}

# Written last into every output folder; lists the folder's files, so that a later run
# replaces the folder only when it holds nothing else.
MANIFEST = "manifest.json"
TOOL = "healthplan"

# GDAL stamps GeoPackage tables and dBASE headers with the date they were written; this
# fixed date instead makes equal plans give byte-identical files.
FIXED_DATE = "2000-01-01"

SHOWN_ENTRIES = 5  # foreign entries named in a refusal


def write_outputs(
    plan: SitePlan,
    out_dir: str | Path,
    *,
    formats: Iterable[str] = OUTPUT_FORMATS,
    crs: str = "EPSG:4326",
    title: str | None = None,
    inputs: Iterable[str | Path] = (),
    alongside: AbstractContextManager | None = None,
) -> list[Path]:
    """Write the plan's layers, summary and map into ``out_dir``, replacing it atomically.

    Args:
        plan: the plan to write.
        out_dir: output folder; created if missing. An existing folder is replaced only if it
            is empty or holds nothing but the files an earlier run listed in its manifest.
        formats: any of "gpkg", "shp", "geojson", "csv", "png", "xlsx".
        crs: CRS of the written layers (the map keeps the plan's metric CRS).
        title: map title.
        inputs: files the run read (config, demand, sites ...); none may lie in ``out_dir``.
        alongside: entered just before the folder swap (see :func:`write_atomically`).

    Returns:
        The written files, inside ``out_dir`` (the manifest last).

    Raises:
        InputError: unknown format, or ``out_dir`` cannot be replaced (see
            :func:`check_out_folder`).
    """
    return write_atomically(
        out_dir,
        formats,
        lambda folder, fmts: _write_all(plan, folder, fmts, crs, title),
        inputs=inputs,
        alongside=alongside,
    )


def write_atomically(
    out_dir: str | Path,
    formats: Iterable[str],
    write: Callable[[Path, list[str]], list[Path]],
    *,
    inputs: Iterable[str | Path] = (),
    alongside: AbstractContextManager | None = None,
) -> list[Path]:
    """Check ``formats`` and ``out_dir``, let ``write`` fill a staging folder, add the
    manifest, then swap the staging folder in for ``out_dir``.

    ``alongside`` (e.g. a database transaction writing the same plan) is entered once the
    staging folder is complete and left once it is swapped in: a failure on entering leaves
    ``out_dir`` as it was, a failed swap reaches its exit as an exception. A failure leaves
    ``out_dir`` as it was and no staging folder behind.

    Raises:
        InputError: unknown format, or ``out_dir`` cannot be replaced (see
            :func:`check_out_folder`).
    """
    out_dir = Path(out_dir)
    formats = list(dict.fromkeys(formats))
    unknown = [f for f in formats if f not in OUTPUT_FORMATS]
    if unknown:
        raise InputError(
            f"output formats: unknown {', '.join(map(repr, unknown))} "
            f"(allowed: {', '.join(OUTPUT_FORMATS)})"
        )
    check_location(out_dir, inputs)
    recover(out_dir)
    check_replaceable(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = staging_name(out_dir)
    try:
        staging.mkdir()
        with fixed_file_dates():
            written = write(staging, formats)
        written.append(write_manifest(staging))
        with alongside if alongside is not None else nullcontext():
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


def check_out_folder(out_dir: str | Path, inputs: Iterable[str | Path] = ()) -> None:
    """Refuse an output folder that a run must not replace (see :func:`check_location` and
    :func:`check_replaceable`); callers check before a long solve, the writer again."""
    check_location(Path(out_dir), inputs)
    check_replaceable(Path(out_dir))


def check_location(out_dir: Path, inputs: Iterable[str | Path] = ()) -> None:
    """Refuse a file, the current folder or a folder holding it, and a folder that holds one
    of ``inputs`` (compared both as given and with symlinks resolved)."""
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{out_dir}: output path is a file; choose a folder")
    folder = out_dir.resolve()
    cwd = Path.cwd().resolve()
    if folder == cwd or folder in cwd.parents:
        what = "the current folder" if folder == cwd else "a folder holding the current folder"
        raise InputError(
            f"{out_dir}: {what} cannot be an output folder (the output folder is replaced as "
            "a whole); give a new folder name such as out/plan"
        )
    folders = {folder, Path(os.path.abspath(out_dir))}
    for given in inputs:
        for path in {Path(given).resolve(), Path(os.path.abspath(given))}:
            if any(path == f or f in path.parents for f in folders):
                raise InputError(
                    f"{out_dir}: output folder holds {given}, which this run reads; the "
                    "output folder is replaced as a whole, which would delete it; choose "
                    "another output folder (e.g. out/plan) or move the input out of it"
                )


def check_replaceable(out_dir: Path) -> None:
    """Refuse to replace a folder unless it is empty or holds a healthplan manifest and
    nothing the manifest does not list (symlinks never count as listed)."""
    if not out_dir.is_dir():
        return
    listed = read_manifest(out_dir)
    if listed is None:
        entries = sorted(p.name + ("/" if p.is_dir() else "") for p in out_dir.iterdir())
        if entries:
            raise InputError(
                f"{out_dir}: output folder is not empty ({_shown(entries)}) and holds no "
                f"{MANIFEST} of an earlier healthplan run, so replacing it could delete your "
                "files; choose a new or empty folder, or move those files elsewhere (outputs "
                "of an older healthplan have no manifest: delete such a folder yourself)"
            )
        return
    foreign = _unlisted(out_dir, listed)
    if foreign:
        raise InputError(
            f"{out_dir}: output folder holds files that no healthplan run wrote "
            f"({_shown(foreign)}); replacing it would delete them; choose a new or empty "
            "folder, or move those files elsewhere"
        )


def _shown(entries: list[str]) -> str:
    more = len(entries) - SHOWN_ENTRIES
    return ", ".join(entries[:SHOWN_ENTRIES]) + (f" and {more} more" if more > 0 else "")


def write_manifest(folder: Path) -> Path:
    """Write ``manifest.json`` listing every file in ``folder`` (relative, sorted); no dates,
    so equal outputs give equal manifests."""
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    manifest = {"tool": TOOL, "version": installed_version(TOOL), "files": files}
    path = folder / MANIFEST
    path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def read_manifest(folder: Path) -> set[str] | None:
    """The files a healthplan manifest in ``folder`` lists; None without a valid one."""
    path = folder / MANIFEST
    if path.is_symlink() or not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(data, dict) or data.get("tool") != TOOL:
        return None
    files = data.get("files")
    if not isinstance(files, list) or not all(isinstance(f, str) and _relative(f) for f in files):
        return None
    return set(files)


def _relative(name: str) -> bool:
    """A plain relative path below the folder (no absolute path, no ``..``)."""
    path = PurePosixPath(name)
    return (
        path.as_posix() == name
        and not path.is_absolute()
        and bool(path.parts)
        and ".." not in path.parts
    )


def _unlisted(out_dir: Path, listed: set[str]) -> list[str]:
    """Entries of ``out_dir`` (recursively; a foreign folder once, with a slash) that are not
    listed files, folders holding them or the manifest; symlinks are always foreign."""
    folders = {p.as_posix() for f in listed for p in PurePosixPath(f).parents if p.parts}
    foreign = []
    for root, dirs, files in os.walk(out_dir):
        base = Path(root)
        keep = []
        for name in sorted(dirs):
            rel = (base / name).relative_to(out_dir).as_posix()
            if rel in folders and not (base / name).is_symlink():
                keep.append(name)
            else:
                foreign.append(rel + "/")
        dirs[:] = keep
        for name in sorted(files):
            rel = (base / name).relative_to(out_dir).as_posix()
            if (base / name).is_symlink() or (rel not in listed and rel != MANIFEST):
                foreign.append(rel)
    return sorted(foreign)


@contextmanager
def fixed_file_dates() -> Iterator[None]:
    """Let GDAL stamp the GeoPackages written inside the block with :data:`FIXED_DATE`
    instead of the current time; the previous setting comes back afterwards."""
    before = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": f"{FIXED_DATE}T00:00:00.000Z"})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": before})


def _write_all(
    plan: SitePlan, folder: Path, formats: list[str], crs: str, title: str | None
) -> list[Path]:
    """Write every requested format into ``folder``; return the files written."""
    layers = {name: to_crs(getattr(plan, name), name, crs) for name in LAYERS}
    written = write_layers(layers, folder, formats, SHAPEFILE_NAMES)
    if "csv" in formats:
        path = folder / "summary.csv"
        plan.summary.to_frame().to_csv(path, index=False, encoding="utf-8")
        written.append(path)
    if "xlsx" in formats:
        tables = {"summary": plan.summary.to_frame(), "sites": layers["sites"]}
        tables["assignments"] = layers["assignments"]
        written.append(write_workbook(tables, folder / "plan.xlsx"))
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
                path,
                driver="ESRI Shapefile",
                encoding="UTF-8",
                engine="pyogrio",
                layer_options={"DBF_DATE_LAST_UPDATE": FIXED_DATE},
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
