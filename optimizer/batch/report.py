"""The combined outputs of a batch: results table, regions layers, trade-off chart, report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from geodata.i18n import gettext as _  # noqa: E402
from optimizer.batch.task import COMBINED_LAYERS, FAILED, TaskResult  # noqa: E402
from optimizer.config.batch import Batch, value_text  # noqa: E402
from optimizer.outputs.blocks import Block  # noqa: E402
from optimizer.outputs.maps import (  # noqa: E402
    cjk_font,
    drawable_text,  # noqa: E402
    sized_font,
)
from optimizer.outputs.report import write_reports  # noqa: E402

# Sweep keys that set how many sites open: the chart's x axis shows their effect, so they do
# not split the chart's series.
COUNT_KEYS = ("hub.count", "hub.about", "hub.new", "clinic.count", "clinic.about", "model.p")

# Columns of the results table shown in the report, per plan kind (all are in results.csv).
REPORT_COLUMNS = {
    "county": (
        "hubs",
        "new_hubs",
        "clinics",
        "hub_share",
        "clinic_share",
        "mean_minutes",
        "person_years",
        "first_year_hub_share",
    ),
    "sites": ("sites_open", "objective", "radius_share", "mean_minutes", "max_minutes"),
}


def results_table(batch: Batch, results: list[TaskResult]) -> pd.DataFrame:
    """One row per task: region, swept values, status, error, seconds and the plan's figures."""
    rows = []
    for task, result in zip(batch.tasks, results, strict=True):
        row: dict[str, Any] = {"plan": result.index + 1}
        if task.region is not None:
            row["region"] = task.region.name
        for key in batch.sweep_keys:
            value = task.scenario.values[key] if task.scenario is not None else None
            row[key] = value_text(value) if isinstance(value, list) else value
        row["status"] = result.status
        row["error"] = result.error
        row["seconds"] = round(result.seconds, 2)
        row.update(result.metrics)
        row["folder"] = result.folder if result.planned else ""
        rows.append(row)
    return pd.DataFrame(rows)


def write_combined(
    batch: Batch, results: list[TaskResult], folder: Path, formats: list[str]
) -> list[Path]:
    """Write results.csv, regions.gpkg (many regions), tradeoff.png and the report."""
    table = results_table(batch, results)
    written = [folder / "results.csv"]
    table.to_csv(written[0], index=False, encoding="utf-8")
    if any(task.region is not None for task in batch.tasks) and "gpkg" in formats:
        path = write_region_layers(batch, results, folder / "regions.gpkg")
        if path is not None:
            written.append(path)
    chart = None
    if "png" in formats and (table["status"] != FAILED).any():
        chart = tradeoff_chart(batch, table, folder / "tradeoff.png")
        written.append(chart)
    blocks = report_blocks(batch, table, chart.name if chart else None)
    written += write_reports(blocks, folder)
    return written


def write_region_layers(batch: Batch, results: list[TaskResult], path: Path) -> Path | None:
    """Each plan layer of every solved region in one GeoPackage layer, with a ``region``
    column (and the swept values when there is a sweep too); None when none was solved."""
    done = [(t, r) for t, r in zip(batch.tasks, results, strict=True) if r.planned]
    if not done:
        return None
    for name in COMBINED_LAYERS[batch.kind]:
        parts = []
        for task, result in done:
            layer = result.layers[name].copy()
            front = {"region": task.region.name if task.region else ""}
            for key in batch.sweep_keys:
                value = task.scenario.values[key] if task.scenario else ""
                front[key] = value_text(value)
            for position, (column, value) in enumerate(front.items()):
                layer.insert(position, column, value)
            parts.append(layer)
        combined = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=parts[0].crs)
        combined.to_file(path, layer=name, driver="GPKG", engine="pyogrio")
    return path


def tradeoff_chart(batch: Batch, table: pd.DataFrame, path: Path) -> Path:
    """Coverage (county plans, MCLP/LSCP) or mean travel (other site plans) against the
    number of sites opened, one point per solved plan, one line per region and value of the
    swept keys that do not set a count."""
    ok = table[table["status"] != FAILED].copy()
    if batch.kind == "county":
        x, xlabel = "hubs", _("hubs open (county hospital included)")
        y, ylabel = "hub_share", _("share of population within the hub radius")
    elif "radius_share" in ok.columns and ok["radius_share"].notna().any():
        x, xlabel = "sites_open", _("sites open")
        y, ylabel = "radius_share", _("share of population within the radius")
    else:
        x, xlabel = "sites_open", _("sites open")
        y, ylabel = "mean_minutes", _("mean travel per person (minutes)")
    series = [k for k in batch.sweep_keys if k not in COUNT_KEYS]
    if "region" in ok.columns:
        series.insert(0, "region")
    font = cjk_font()
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    groups = ok.groupby(series, sort=False, dropna=False) if series else [((), ok)]
    for number, (key, group) in enumerate(groups, start=1):
        values = key if isinstance(key, tuple) else (key,)
        label = ", ".join(f"{k}={value_text(v)}" for k, v in zip(series, values, strict=True))
        group = group.sort_values(x)
        fallback = _("series {n}").format(n=number)
        ax.plot(group[x], group[y], marker="o", label=drawable_text(label, font, fallback))
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    low, high = ok[x].min(), ok[x].max()
    ax.set_xlim(low - max(1, (high - low) * 0.05), high + max(1, (high - low) * 0.05))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if y.endswith("share"):
        ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    title = _("trade-off over {n} plan(s)").format(n=len(ok))
    ax.set_title(
        drawable_text(f"{batch.name}: {title}", font, title), fontproperties=sized_font(font, 10)
    )
    ax.grid(alpha=0.3)
    if series and len(ok) > 1 and ok[series].drop_duplicates().shape[0] <= 12:
        ax.legend(prop=sized_font(font, 8))
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def report_blocks(batch: Batch, table: pd.DataFrame, chart: str | None) -> list[Block]:
    """The batch report: counts, chart, results table, failures and links to each plan."""
    failed = table[table["status"] == FAILED]
    early = table[(table["status"] != FAILED) & (table["status"] != "ok")]
    counts = _("{n} plan(s) from {config}: {solved} solved, {failed} failed").format(
        n=len(table), config=batch.source.name, solved=len(table) - len(failed), failed=len(failed)
    )
    if len(early):
        counts += _("; {n} not proven optimal (status names the limit).").format(n=len(early))
    else:
        counts += _(".")
    if batch.sweep_keys:
        counts += " " + _("Swept: {keys}.").format(keys=", ".join(batch.sweep_keys))
    blocks = [Block("h1", batch.name), Block("p", counts)]
    if chart is not None:
        blocks.append(Block("image", _("trade-off chart"), target=chart))
    keys = [c for c in ("plan", "region", *batch.sweep_keys, "status") if c in table.columns]
    shown = keys + [c for c in REPORT_COLUMNS[batch.kind] if c in table.columns]
    blocks += [
        Block("h2", _("Results")),
        Block("p", _("Every figure of every plan is in results.csv.")),
        Block("table", table=_shares_as_percent(table[shown])),
    ]
    problem = _("plan {n} ({label}): {error}")
    for rows, heading in ((failed, _("Failed plans")), (early, _("Plans not proven optimal"))):
        if len(rows):
            blocks.append(Block("h2", heading))
            for row in rows.to_dict("records"):
                text = problem.format(n=row["plan"], label=_label(row, keys), error=row["error"])
                blocks.append(Block("warning", text))
    blocks.append(Block("h2", _("Each scenario") if batch.sweep_keys else _("Each region")))
    page = "report.html" if batch.kind == "county" else ""
    for row in table[table["status"] != FAILED].to_dict("records"):
        text = _("plan {n}: {label}").format(n=row["plan"], label=_label(row, keys))
        blocks.append(Block("link", text, target=f"{row['folder']}/{page}"))
    return blocks


def _shares_as_percent(table: pd.DataFrame) -> pd.DataFrame:
    """The table with its ``*_share`` columns (0-1) written as percentages."""
    out = table.copy()
    for column in [c for c in out.columns if str(c).endswith("_share")]:
        out[column] = [f"{v:.1%}" if pd.notna(v) else "" for v in out[column]]
    return out


def _label(row: dict[str, Any], keys: list[str]) -> str:
    """``region / key=value, ...`` of one results row."""
    parts = [str(row["region"])] if "region" in row else []
    parts += [f"{k}={row[k]}" for k in keys if k not in ("plan", "region", "status")]
    return " / ".join(parts) or _("plan")
