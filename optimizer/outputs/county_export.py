"""Write a county plan to GIS files, tables, a map and a report, atomically.

As with :func:`optimizer.outputs.export.write_outputs`, everything is written to a temporary folder
beside the output folder, which then replaces the output folder by rename; the same rules
say when an existing folder may be replaced (a manifest, no input inside).

Layout of the output folder::

    plan.gpkg                  layers sites, assignments, districts (and, with roaming
                               vehicles, routes and stops)
    shp/<layer>.shp            one shapefile per layer, UTF-8 with a .cpg file
    geojson/<layer>.geojson    one GeoJSON file per layer
    summary.csv                plan summary (item, value)
    staffing.csv               need, on post, moved, hired, planned, pool and shortfall per type
    indicators.csv             county indicators: target, on post, planned and gap per type
    phasing.csv                with phases: per year population, population and share within
                               the hub and clinic radius, hubs and clinics (all, new),
                               spending, budget (yuan) and hires per staff type
    stages.csv                 solve record: stage, status, objective, bound, gap, seconds
    timetable.csv              with roaming: vehicle x day -> base, route, stops, minutes
    compare_*.csv              with [compare]: the comparison's tables
    plan.xlsx                  workbook: one sheet per layer and table above (see
                               optimizer.outputs.workbook)
    map.png                    districts, hubs, clinics and demand points
    phasing.png                with phases: spending and budget per year, share within the
                               hub and clinic radius
    report.md, report.html     the plan report (always written)
    report.pdf                 the HTML report printed on A4 (see optimizer.outputs.pdf)
    manifest.json              written last: tool, version and every file of the folder
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import asdict
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geodata.errors import InputError
from geodata.i18n import gettext as _
from optimizer.config.site import OUTPUT_FORMATS
from optimizer.outputs.blocks import Block
from optimizer.outputs.compare import comparison_blocks, plot_curve
from optimizer.outputs.county_map import plot_county, reach_areas
from optimizer.outputs.export import (
    SHAPEFILE_NAMES,
    to_crs,
    write_atomically,
    write_layers,
)
from optimizer.outputs.pdf import write_pdf
from optimizer.outputs.phasing_chart import plot_phasing
from optimizer.outputs.report import report_blocks, write_reports
from optimizer.outputs.web_map import write_web_map
from optimizer.outputs.workbook import write_workbook
from optimizer.plan.county_result import CountyRun

LAYERS = ("sites", "assignments", "districts")

# Shapefile field names (at most 10 characters) for county columns; see shapefile_names.
COUNTY_SHAPEFILE_NAMES = {
    **SHAPEFILE_NAMES,
    "district_population": "dist_pop",
    "hub_minutes": "hub_min",
    "unreachable": "unreach",
    "nearest_hub_minutes": "near_hub",
    "nearest_site_minutes": "near_site",
    "public_health": "pub_health",
    "arrival_minute": "arrive_min",
    "departure_minute": "depart_min",
    "served_by_stop": "served_by",
}


SHAPEFILE_PREFIXES = (
    ("shortfall_", "sf_"),
    ("existing_", "ex_"),
    ("hired_", "hi_"),
    ("moved_in_", "in_"),
    ("moved_out_", "out_"),
)


def shapefile_names(columns: Iterable[str]) -> dict[str, str]:
    """Short names for county columns: ``shortfall_<type>`` -> ``sf_<type>``,
    ``existing_<type>`` -> ``ex_<type>``, ``hired_`` -> ``hi_``, ``moved_in_`` -> ``in_``,
    ``moved_out_`` -> ``out_``, others from ``COUNTY_SHAPEFILE_NAMES``."""
    names = dict(COUNTY_SHAPEFILE_NAMES)
    for column in columns:
        for prefix, short in SHAPEFILE_PREFIXES:
            if column.startswith(prefix):
                kind = column.removeprefix(prefix)
                names[column] = short + COUNTY_SHAPEFILE_NAMES.get(kind, kind)
    return names


def write_county_outputs(
    run: CountyRun,
    out_dir: str | Path,
    *,
    formats: Iterable[str] = OUTPUT_FORMATS,
    crs: str = "EPSG:4326",
    title: str | None = None,
    inputs: Iterable[str | Path] = (),
    alongside: AbstractContextManager | None = None,
) -> list[Path]:
    """Write the plan's layers, tables, map and report into ``out_dir``, replacing it atomically.

    Args:
        run: the solved county plan.
        out_dir: output folder; created if missing. An existing folder is replaced only if it
            is empty or holds nothing but the files an earlier run listed in its manifest.
        formats: any of "gpkg", "shp", "geojson", "csv", "png", "xlsx", "pdf"; the report is
            always written (Markdown and HTML; "pdf" prints it when a browser is installed).
        crs: CRS of the written layers (the map keeps the plan's metric CRS).
        title: map and report title; defaults to the plan's name.
        inputs: files the run read (config, demand, sites ...); none may lie in ``out_dir``.
        alongside: entered just before the folder swap (see
            :func:`optimizer.outputs.export.write_atomically`).

    Returns:
        The written files, inside ``out_dir`` (the manifest last).

    Raises:
        InputError: unknown format, or ``out_dir`` cannot be replaced (see
            :func:`optimizer.outputs.export.check_out_folder`).
    """
    label = title or run.name
    return write_atomically(
        out_dir,
        formats,
        lambda folder, fmts: _write_all(run, folder, fmts, crs, label),
        inputs=inputs,
        alongside=alongside,
    )


def _write_all(
    run: CountyRun, folder: Path, formats: list[str], crs: str, title: str
) -> list[Path]:
    """Write every requested format and the report into ``folder``; return the files."""
    plan = run.plan
    names = list(LAYERS)
    if plan.routes is not None and len(plan.routes):
        names += ["routes", "stops"]
    layers = {name: to_crs(as_layer(getattr(plan, name)), name, crs) for name in names}
    written = write_layers(
        layers,
        folder,
        formats,
        shapefile_names([c for layer in layers.values() for c in layer.columns]),
    )
    tables = {
        "summary.csv": plan.summary.to_frame(),
        "staffing.csv": plan.staffing,
        "stages.csv": pd.DataFrame([asdict(r) for r in plan.stages]),
    }
    if len(plan.indicators):
        tables["indicators.csv"] = plan.indicators
    if plan.phasing is not None:
        tables["phasing.csv"] = plan.phasing
    if plan.timetable is not None:
        tables["timetable.csv"] = plan.timetable
    comparison = run.comparison
    if comparison is not None:
        tables.update(comparison.tables)
    if "csv" in formats:
        for name, table in tables.items():
            table.to_csv(folder / name, index=False, encoding="utf-8")
            written.append(folder / name)
    if "xlsx" in formats:
        sheets = workbook_tables(layers, tables)
        written.append(write_workbook(sheets, folder / "plan.xlsx"))
    map_file = curve_file = phasing_file = None
    if "png" in formats:
        reach = _reach(run)
        path = plot_county(
            plan,
            folder / "map.png",
            boundary=run.boundary,
            title=title,
            reach=reach,
            hub_radius=run.spec.hub.radius,
        )
        web = write_web_map(
            plan, folder / "map.html", boundary=run.boundary, reach=reach, title=title
        )
        written += [path, web]
        map_file = path.name
        if comparison is not None and any(len(c) for c in comparison.curves.values()):
            curve = plot_curve(
                comparison.curves, folder / "compare_curve.png", plan_count=run.plan_hub_count
            )
            written.append(curve)
            curve_file = curve.name
        if plan.phasing is not None and len(plan.phasing):
            chart = plot_phasing(plan.phasing, folder / "phasing.png", title=title)
            written.append(chart)
            phasing_file = chart.name
    blocks = report_blocks(
        plan, run.spec, title=title, map_file=map_file, phasing_file=phasing_file
    )
    blocks = [blocks[0], *_links(folder, written), *blocks[1:]]
    if comparison is not None:
        blocks += comparison_blocks(comparison, curve_file)
    written += write_reports(blocks, folder)
    if "pdf" in formats:
        pdf = write_pdf(folder)
        if pdf is not None:
            written.append(pdf)
    return written


def workbook_tables(
    layers: dict[str, pd.DataFrame], tables: dict[str, pd.DataFrame]
) -> dict[str, pd.DataFrame]:
    """The workbook's sheets in reading order: summary, the layers, staffing, the county
    indicators, the phasing, the roaming timetable, then the solve record and the
    comparison's tables (CSV names without ``.csv``)."""
    by_name = {name.removesuffix(".csv"): table for name, table in tables.items()}
    first = {"summary": by_name.pop("summary")}
    middle = {
        name: by_name.pop(name)
        for name in ("staffing", "indicators", "phasing", "timetable")
        if name in by_name
    }
    last = {"stages": by_name.pop("stages"), **by_name}
    return {**first, **layers, **middle, **last}


def _reach(run: CountyRun) -> gpd.GeoDataFrame | None:
    """Reach areas of the open sites: circles for straight-line travel, else hulls."""
    if run.travel is None:
        return None
    return reach_areas(run.plan, run.spec, run.travel, km_per_minute=run.km_per_minute)


def _links(folder: Path, written: list[Path]) -> list[Block]:
    """Report links to the interactive map and the tables written beside the report."""
    labels = {
        "map.html": _("interactive map ({file})"),
        "map.png": _("map ({file})"),
        "plan.gpkg": _("GIS layers ({file})"),
        "plan.xlsx": _("workbook of the tables ({file})"),
        "summary.csv": _("summary table ({file})"),
        "staffing.csv": _("staffing table ({file})"),
        "indicators.csv": _("county indicators ({file})"),
        "phasing.csv": _("phasing table ({file})"),
        "stages.csv": _("solve record ({file})"),
    }
    names = {p.name for p in written if p.parent == folder}
    found = [
        Block("link", label.format(file=name), target=name)
        for name, label in labels.items()
        if name in names
    ]
    return [Block("h2", _("Files")), *found] if found else []


def as_layer(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    """A plan table as a layer; a districts table without polygons is refused."""
    if not isinstance(frame, gpd.GeoDataFrame):
        raise InputError("plan districts have no polygons; add them with district_polygons")
    return frame
