"""Plan one task of a batch (one region and/or scenario) and write its outputs.

:func:`run_task` is what a Dask worker (or the serial loop) calls: it never raises for a
failed plan, it returns a :class:`TaskResult` with the error message, so one bad scenario
does not lose the others.
"""

from __future__ import annotations

import copy
import tempfile
import time
import traceback
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from geodata.errors import HealthplanError
from geodata.i18n import use_language
from geodata.layers import is_csv, is_sheet, read_any
from geodata.postgis import DatabaseUrl, is_database_url, query_columns, region_query
from optimizer.config.batch import Task, check_task, task_label
from optimizer.config.county import CountyConfig
from optimizer.config.site import Config, is_pbf
from optimizer.outputs.export import to_crs
from optimizer.plan.county_result import CountyRun
from optimizer.results import SitePlan
from optimizer.run import run, write

# Layers of each plan kind gathered into the combined GeoPackage of a many-regions run.
COMBINED_LAYERS = {
    "sites": ("sites", "assignments"),
    "county": ("sites", "assignments", "districts"),
}

# (section, path key, layer key) of every input file a region column may split.
SPLIT_FILES = (
    ("demand", "path", "layer", "sql"),
    ("sites", "path", "layer", "sql"),
    ("travel", "roads", "roads_layer", "roads_sql"),
    ("boundary", "path", "layer", "sql"),
)


FAILED = "failed"


@dataclass
class TaskResult:
    """Outcome of one task: ``status`` "ok" (every solve proven optimal), "failed" (no
    plan; ``error`` says why) or the limits that stopped a solve early, e.g. "time_limit" or
    "mip_gap,time_limit" (the plan is written; ``error`` holds its warning); the plan's
    figures in ``metrics`` and, for many regions, its layers in the output CRS."""

    index: int
    label: str
    folder: str
    status: str
    error: str = ""
    seconds: float = 0.0
    metrics: dict[str, Any] = field(default_factory=dict)
    layers: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)

    @property
    def planned(self) -> bool:
        """True when the task has a written plan (proven or not)."""
        return self.status != FAILED


def run_task(task: Task, out_root: str, language: str | None = None) -> TaskResult:
    """Plan ``task`` and write its outputs into ``out_root/task.folder``.

    Every error is caught and returned as a failed result: project errors (bad data,
    infeasible targets, no solution) by their message, anything else with its type.
    ``language`` ("zh", "en"): of the messages (None: the one in use, e.g. the caller's
    when run in its process; a worker process is given it).
    """
    with use_language(language):
        return _run_task(task, out_root)


def _run_task(task: Task, out_root: str) -> TaskResult:
    start = time.perf_counter()
    label = task_label(task)
    try:
        with tempfile.TemporaryDirectory(prefix="healthplan-region-") as scratch:
            if task.region is not None and task.region.column is not None:
                task = replace(task, raw=_split_region(task, Path(scratch)))
            config = check_task(task)
            metrics, warning, layers = _plan_and_write(task, config, Path(out_root) / task.folder)
    except HealthplanError as exc:
        return _failed(task, label, str(exc), start)
    except Exception as exc:  # noqa: BLE001 - one failed plan must not stop the batch
        where = traceback.extract_tb(exc.__traceback__)[-1]
        message = f"{type(exc).__name__}: {exc} (at {Path(where.filename).name}:{where.lineno})"
        return _failed(task, label, message, start)
    proven = metrics["solve_status"] == "optimal"
    return TaskResult(
        index=task.index,
        label=label,
        folder=task.folder,
        status="ok" if proven else metrics["solve_status"],
        error="" if proven else warning,
        seconds=time.perf_counter() - start,
        metrics=metrics,
        layers=layers,
    )


def _failed(task: Task, label: str, message: str, start: float) -> TaskResult:
    return TaskResult(
        index=task.index,
        label=label,
        folder=task.folder,
        status=FAILED,
        error=message,
        seconds=time.perf_counter() - start,
    )


def _plan_and_write(
    task: Task, config: Config | CountyConfig, out_dir: Path
) -> tuple[dict[str, Any], str, dict[str, gpd.GeoDataFrame]]:
    """Plan, write the task's outputs; its metrics, its warning ("" when every solve is
    proven) and (for regions) its layers."""
    done = run(config, source=task.source)
    write(done, out_dir, title=f"{config.name}: {task_label(task)}")
    if done.county is not None:
        metrics = county_metrics(done.county)
        kind = "county"
    else:
        assert isinstance(config, Config) and isinstance(done.plan, SitePlan)
        metrics = site_metrics(done.plan, config.model.radius)
        kind = "sites"
    layers = {}
    if task.region is not None:
        layers = {
            name: to_crs(getattr(done.plan, name), name, config.output.crs)
            for name in COMBINED_LAYERS[kind]
        }
    return metrics, done.plan.summary.warning, layers


def county_metrics(run: CountyRun) -> dict[str, Any]:
    """The figures of a county plan that a results table compares (persons, minutes, yuan)
    and its solve status; for a phased plan also the person-years within the hub and clinic
    radii over the period and the first year's shares within them."""
    plan, spec = run.plan, run.spec
    summary = plan.summary
    population = float(summary.population)
    out: dict[str, Any] = {
        "hubs": int(summary.hubs),
        "new_hubs": int(summary.new_hubs),
        "clinics": int(summary.clinics),
        "new_clinics": int(summary.new_clinics),
        "population": population,
        "hub_radius": spec.hub.radius,
        "hub_share": float(summary.hub_share),
        "clinic_radius": spec.clinic.radius,
        "clinic_share": float(summary.clinic_share),
        "build_cost": float(summary.build_cost),
        "mean_minutes": float(summary.person_minutes) / population if population else np.nan,
        "staff_shortfall": float(summary.staff_shortfall),
    }
    for row in plan.staffing.itertuples(index=False):
        out[f"shortfall_{row.staff_type}"] = float(row.shortfall)
    if plan.phasing is not None and len(plan.phasing):
        years = plan.phasing
        out["person_years"] = float((years["hub_population"] + years["clinic_population"]).sum())
        out["first_year_hub_share"] = float(years["share_within_hub_radius"].iloc[0])
        out["first_year_clinic_share"] = float(years["share_within_clinic_radius"].iloc[0])
    stopped = dict.fromkeys(r.status for r in plan.stages if r.stopped_early)
    out["solve_status"] = ",".join(stopped) or "optimal"
    out["solve_seconds"] = float(sum(r.seconds for r in plan.stages))
    return out


def site_metrics(plan: SitePlan, radius: float | None) -> dict[str, Any]:
    """The figures of a site plan that a results table compares (persons, minutes) and its
    solve status."""
    summary = plan.summary
    demand = plan.assignments
    population = demand["population"].to_numpy(dtype=float)
    total = float(population.sum())
    out: dict[str, Any] = {
        "problem": summary.problem,
        "sites_open": int(summary.sites_open),
        "population": total,
        "objective": float(summary.objective),
        "gap": float(summary.gap),
        "assigned_share": float(summary.population_assigned_share),
        "mean_minutes": float(summary.mean_minutes_per_person),
        "max_minutes": float(summary.max_minutes),
    }
    if radius is not None:
        within = pd.to_numeric(demand["minutes"]).to_numpy(dtype=float) <= radius
        out["radius"] = radius
        out["radius_share"] = float(population[within].sum()) / total if total else np.nan
    out["solve_status"] = summary.status
    out["solve_seconds"] = plan.result.seconds_build + plan.result.seconds_solve
    return out


def _split_region(task: Task, scratch: Path) -> dict[str, Any]:
    """The task's raw config with every input layer holding the region column cut to the
    region's rows (written to ``scratch``); layers without the column are used whole."""
    region = task.region
    assert region is not None and region.column is not None
    raw = copy.deepcopy(task.raw)
    base = Path(task.source).resolve().parent
    done: dict[tuple[str, str | None], tuple[str, str | None]] = {}
    for section, path_key, layer_key, sql_key in SPLIT_FILES:
        table = raw.get(section)
        if not isinstance(table, dict) or table.get(path_key) is None:
            continue
        if is_database_url(table[path_key]):
            keys = (path_key, layer_key, sql_key)
            _filter_database(table, keys, region.column, region.value)
            continue
        file = Path(table[path_key]).expanduser()
        file = file if file.is_absolute() else base / file
        if section == "travel" and is_pbf(file):
            continue  # an OpenStreetMap extract is read around each region's demand anyway
        text = (
            {k: table.get(k) for k in ("sheet", "encoding", "header_row")}
            if path_key == "path"
            else {}
        )
        key = (str(file), table.get(layer_key), *text.values())
        if key not in done:
            done[key] = _extract(
                file, table.get(layer_key), region.column, region.value, scratch, **text
            )
        new_path, new_layer = done[key]
        if new_path != str(file):
            for name in text:
                table.pop(name, None)  # the part is a UTF-8 CSV or a GeoPackage layer
        table[path_key] = new_path
        if new_layer is not None:
            table[layer_key] = new_layer
    return raw


def _filter_database(
    table: dict[str, Any], keys: tuple[str, str, str], column: str, value: Any
) -> None:
    """Cut the database input of ``table`` (a config section; ``keys``: its path, layer and
    sql keys) to the region's rows by a query, when its table or query has the region
    ``column``; else leave it whole."""
    path_key, layer_key, sql_key = keys
    layer, sql = table.get(layer_key), table.get(sql_key)
    if column not in query_columns(DatabaseUrl(table[path_key]), layer, sql):
        return
    table[sql_key] = region_query(layer, sql, column, value)
    table.pop(layer_key, None)


def _extract(
    file: Path,
    layer: str | None,
    column: str,
    value: Any,
    scratch: Path,
    *,
    sheet: str | int | None = None,
    encoding: str | None = None,
    header_row: int | None = None,
) -> tuple[str, str | None]:
    """The rows of one layer (or CSV file, or workbook `sheet`) whose ``column`` equals
    ``value``, written to a scratch file; the file's own (path, layer) when the layer has no
    such column."""
    if is_csv(file) or is_sheet(file) or layer is None:
        frame, _ = read_any(file, layer, sheet=sheet, encoding=encoding, header_row=header_row)
        if column not in frame.columns:
            return str(file), layer
        part = frame[frame[column].astype(str) == str(value)]
    else:
        if column not in pyogrio.read_info(file, layer=layer)["fields"]:
            return str(file), layer
        part = gpd.read_file(file, layer=layer, where=_equals(column, value), engine="pyogrio")
    name = f"part{len(list(scratch.iterdir()))}"
    if is_csv(file) or is_sheet(file) or not isinstance(part, gpd.GeoDataFrame):
        out = scratch / f"{name}.csv"
        pd.DataFrame(part).to_csv(out, index=False, encoding="utf-8")
        return str(out), None
    out = scratch / f"{name}.gpkg"
    part.to_file(out, layer="part", driver="GPKG", engine="pyogrio")
    return str(out), "part"


def _equals(column: str, value: Any) -> str:
    """An OGR SQL filter ``"column" = value`` (text quoted)."""
    name = column.replace('"', '""')
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
        return f'"{name}" = {value}'
    text = str(value).replace("'", "''")
    return f"\"{name}\" = '{text}'"
