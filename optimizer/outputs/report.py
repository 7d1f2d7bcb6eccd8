"""The county plan report, in Markdown and in HTML, built from one list of blocks.

Sections: coverage at each radius, warnings about unreachable units, sites opened and kept,
districts, staffing (need vs pool and shortfall, by type and by site), the phasing over the
plan period (when the plan is phased), roaming vehicles (when the plan has them) and the solve
record.
"""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import pandas as pd

from geodata.i18n import gettext as _
from geodata.i18n import language
from optimizer.county_spec import CountyPlan, CountySpec
from optimizer.notices import stages_warning
from optimizer.outputs.blocks import Block
from optimizer.outputs.labels import readable, value_text
from optimizer.outputs.report_roaming import roaming_blocks

SHOWN_UNITS = 50  # unreachable units listed by name; the rest are counted
RADII = (5.0, 10.0, 15.0, 20.0, 30.0, 45.0, 60.0)  # minutes, besides the plan's own radii


def report_blocks(
    plan: CountyPlan,
    spec: CountySpec,
    *,
    title: str,
    map_file: str | None = None,
    phasing_file: str | None = None,
) -> list[Block]:
    """The report's content, independent of its format; ``map_file`` and ``phasing_file``
    are the map and the phasing chart beside the report (None: not drawn)."""
    blocks = [Block("h1", title)]
    blocks += _coverage(plan, spec)
    if map_file is not None:
        blocks.append(Block("image", _("map"), target=map_file))
    blocks += _sites(plan)
    blocks += _districts(plan, spec)
    blocks += _staffing(plan)
    blocks += phasing_blocks(plan, phasing_file)
    blocks += roaming_blocks(plan, spec)
    blocks += _stages(plan)
    return blocks


def markdown_report(blocks: list[Block]) -> str:
    """The blocks as Markdown (GitHub tables)."""
    out: list[str] = []
    for block in blocks:
        if block.kind == "h1":
            out.append(f"# {block.text}")
        elif block.kind == "h2":
            out.append(f"## {block.text}")
        elif block.kind == "p":
            out.append(block.text)
        elif block.kind == "warning":
            out.append(f"> **{_('Warning:')}** {block.text}")
        elif block.kind == "image":
            out.append(f"![{block.text}]({block.target})")
        elif block.kind == "link":
            out.append(f"- [{block.text}]({block.target})")
        elif block.kind == "table" and block.table is not None:
            out.append(_markdown_table(block.table))
    return "\n\n".join(out) + "\n"


HTML_PAGE = """<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
body {{ font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC",
  sans-serif; max-width: 60em; margin: 2em auto; padding: 0 1em; }}
table {{ border-collapse: collapse; margin: 0.5em 0 1.5em; }}
th, td {{ border: 1px solid #ccc; padding: 0.2em 0.6em; }}
td.num {{ text-align: right; }}
th {{ background: #f0f0f0; }}
.warning {{ background: #fff3cd; border-left: 4px solid #d39e00; padding: 0.5em 1em; }}
img {{ max-width: 100%; }}
@media print {{
  @page {{ size: A4; margin: 18mm 15mm 18mm 15mm; }}
  body {{ max-width: none; margin: 0; padding: 0; font-size: 10pt; }}
  h1, h2, p:has(+ table) {{ break-after: avoid; }}
  table {{ width: 100%; font-size: 8.5pt; }}
  tr, img, .warning {{ break-inside: avoid; }}
  img {{ display: block; width: 100%; max-height: 250mm; object-fit: contain; }}
  a {{ color: inherit; text-decoration: none; }}
}}
</style>
</head>
<body>
{body}
</body>
</html>
"""


def html_report(blocks: list[Block]) -> str:
    """The blocks as one self-contained HTML page (the map is linked, not embedded)."""
    body: list[str] = []
    title = ""
    for block in blocks:
        text = html.escape(block.text)
        if block.kind == "h1":
            title = text
            body.append(f"<h1>{text}</h1>")
        elif block.kind == "h2":
            body.append(f"<h2>{text}</h2>")
        elif block.kind == "p":
            body.append(f"<p>{text}</p>")
        elif block.kind == "warning":
            warning = html.escape(_("Warning:"))
            body.append(f'<p class="warning"><strong>{warning}</strong> {text}</p>')
        elif block.kind == "image":
            source, alt = html.escape(block.target, quote=True), html.escape(block.text, quote=True)
            body.append(f'<p><img src="{source}" alt="{alt}"></p>')
        elif block.kind == "link":
            target = html.escape(block.target, quote=True)
            body.append(f'<p><a href="{target}">{text}</a></p>')
        elif block.kind == "table" and block.table is not None:
            body.append(_html_table(block.table))
    lang = "zh-CN" if language() == "zh" else "en"
    return HTML_PAGE.format(title=title, body="\n".join(body), lang=lang)


def write_reports(blocks: list[Block], folder: Path) -> list[Path]:
    """Write ``report.md`` and ``report.html`` (UTF-8) into ``folder``; return both paths."""
    pages = {"report.md": markdown_report(blocks), "report.html": html_report(blocks)}
    for name, text in pages.items():
        (folder / name).write_text(text, encoding="utf-8")
    return [folder / name for name in pages]


def _coverage(plan: CountyPlan, spec: CountySpec) -> list[Block]:
    summary = plan.summary
    total = float(summary.population)
    rows = []
    for level, target, population, share in (
        ("hub", spec.hub, summary.hub_population, summary.hub_share),
        ("clinic", spec.clinic, summary.clinic_population, summary.clinic_share),
    ):
        rows.append(
            {
                _("level"): value_text(level),
                _("radius (min)"): target.radius,
                _("population within"): float(population),
                _("share within"): _percent(share),
                _("target"): _("every reachable unit")
                if target.share is None
                else _(">= {share} of reachable population").format(share=f"{target.share:.0%}"),
                _("units beyond every possible site"): len(plan.unreachable.get(level, [])),
            }
        )
    text = _("Population {population} in {units} demand units.").format(
        population=f"{total:,.0f}", units=len(plan.assignments)
    )
    blocks = [
        Block("h2", _("Coverage")),
        Block("p", text),
        Block("table", table=pd.DataFrame(rows)),
    ]
    return blocks + _radii(plan, spec) + _unreachable(plan, spec)


def _radii(plan: CountyPlan, spec: CountySpec) -> list[Block]:
    """Population share within each radius of the nearest open hub and primary-care site."""
    units = plan.assignments
    columns = {
        "nearest_hub_minutes": _("share within, hub"),
        "nearest_site_minutes": _("share within, hub or clinic"),
    }
    if not set(columns) <= set(units.columns):
        return []
    population = units["population"].to_numpy(dtype=float)
    total = float(population.sum())
    rows = []
    for radius in sorted({*RADII, spec.hub.radius, spec.clinic.radius}):
        row: dict[str, object] = {_("minutes"): radius}
        for column, label in columns.items():
            within = units[column].to_numpy(dtype=float) <= radius
            row[label] = _percent(float(population[within].sum()) / total if total else np.nan)
        rows.append(row)
    return [
        Block("p", _("Population within each travel time of the nearest open site:")),
        Block("table", table=pd.DataFrame(rows)),
    ]


def _unreachable(plan: CountyPlan, spec: CountySpec) -> list[Block]:
    """A warning per level listing units that no possible site reaches within its radius."""
    units = plan.assignments.set_index("demand_id")
    blocks = []
    for level, target in (("hub", spec.hub), ("clinic", spec.clinic)):
        ids = plan.unreachable.get(level, [])
        if not ids:
            continue
        people = float(units.loc[ids, "population"].sum())
        text = (
            _(
                "{n} unit(s) ({people} persons) are beyond {radius} minutes of every possible "
                "hub; the hub target leaves them out: {units}."
            )
            if level == "hub"
            else _(
                "{n} unit(s) ({people} persons) are beyond {radius} minutes of every possible "
                "clinic; the clinic target leaves them out: {units}."
            )
        )
        blocks.append(
            Block(
                "warning",
                text.format(
                    n=len(ids),
                    people=f"{people:,.0f}",
                    radius=f"{target.radius:g}",
                    units=_listed(units, ids),
                ),
            )
        )
    for key, text in (
        ("district", _("{n} unit(s) have no district within the travel limit: {units}.")),
        ("service", _("{n} unit(s) have no primary-care site within the travel limit: {units}.")),
    ):
        ids = plan.unreachable.get(key, [])
        if ids:
            blocks.append(Block("warning", text.format(n=len(ids), units=_listed(units, ids))))
    return blocks


def _listed(units: pd.DataFrame, ids: list[str]) -> str:
    """``name (id)`` of the first ``SHOWN_UNITS`` units, and how many more there are."""
    listed = _(", ").join(f"{units.at[i, 'name']} ({i})" for i in ids[:SHOWN_UNITS])
    if len(ids) > SHOWN_UNITS:
        return _("{listed} and {n} more").format(listed=listed, n=len(ids) - SHOWN_UNITS)
    return listed


def _sites(plan: CountyPlan) -> list[Block]:
    sites = plan.sites
    open_sites = sites[sites["level"] != ""]
    counts = _("hubs {hubs}; clinics {clinics}.").format(
        hubs=level_counts(plan, "hub"), clinics=level_counts(plan, "clinic")
    )
    columns = ["site_id", "name", "kind", "level", "status", "population_served"]
    ordered = open_sites.sort_values(["level", "status", "site_id"], ascending=[False, True, True])
    return [
        Block("h2", _("Sites opened and kept")),
        Block("p", counts),
        Block("table", table=readable(pd.DataFrame(ordered[columns]))),
    ]


def level_counts(plan: CountyPlan, level: str) -> str:
    """E.g. "13: 1 kept, 12 upgraded from existing sites, 0 on new sites" (for hubs)."""
    sites = plan.sites
    at = sites[sites["level"] == level]
    new_level = {"hub": plan.summary.new_hubs, "clinic": plan.summary.new_clinics}[level]
    built = int((at["status"] == "new").sum())
    text = _("{n}: {kept} kept, {upgraded} upgraded from existing sites, {built} on new sites")
    return text.format(n=len(at), kept=len(at) - new_level, upgraded=new_level - built, built=built)


def _districts(plan: CountyPlan, spec: CountySpec) -> list[Block]:
    table = pd.DataFrame(plan.districts[["hub_id", "name", "population", "n_units"]]).copy()
    mean = float(table["population"].mean()) if len(table) else 0.0
    table["vs mean"] = [
        _percent(p / mean - 1, signed=True) if mean else "" for p in table["population"]
    ]
    table = readable(table).rename(columns={"vs mean": _("vs mean")})
    text = _("{n} districts; mean population {mean}.").format(n=len(table), mean=f"{mean:,.0f}")
    if spec.balance is not None:
        text += " " + _("Balance target: within +-{share} of the mean.").format(
            share=f"{spec.balance:.0%}"
        )
    return [Block("h2", _("Districts")), Block("p", text), Block("table", table=table)]


def _staffing(plan: CountyPlan) -> list[Block]:
    tables = [
        (
            _(
                "County indicators: staff of every institution against the ratio to the "
                "county's population (on post plus the plan's hires)."
            ),
            plan.indicators,
        ),
        (
            _(
                "Facility norms: need (ratio x population served + minimum per site) against "
                "the staff on post, moved and hired, within the pool."
            ),
            plan.staffing,
        ),
    ]
    blocks = [Block("h2", _("Staffing"))]
    for text, table in tables:
        if len(table):
            blocks += [Block("p", text), Block("table", table=readable(table))]
    rows = []
    for _row, site in plan.sites[plan.sites["level"] != ""].iterrows():
        for staff_type in plan.staffing["staff_type"]:
            short = float(site.get(f"shortfall_{staff_type}", 0.0))
            if short > 1e-6:
                rows.append(
                    {
                        "site_id": site["site_id"],
                        "name": site["name"],
                        "level": site["level"],
                        "staff_type": staff_type,
                        "staffed": float(site[staff_type]),
                        "shortfall": short,
                    }
                )
    if rows:
        blocks += [
            Block("p", _("Shortfall by site and type:")),
            Block("table", table=readable(pd.DataFrame(rows))),
        ]
    else:
        blocks.append(Block("p", _("No site is short of staff.")))
    return blocks


def phasing_blocks(plan: CountyPlan, chart_file: str | None = None) -> list[Block]:
    """The phasing over the plan period: the years, the spending and the last opening, the
    table by year, the chart (``chart_file``) and the sites opening or becoming hubs by year;
    nothing when the plan is not phased."""
    phasing = plan.phasing
    if phasing is None or not len(phasing):
        return []
    years = [int(year) for year in phasing["year"]]
    opened = np.flatnonzero(
        phasing["new_hubs"].to_numpy(dtype=float) + phasing["new_clinics"].to_numpy(dtype=float)
    )
    text = (
        _(
            "The plan is phased over {first}-{last} and spends {spending} yuan in all; the "
            "last new hub or clinic opens in {year}."
        )
        if len(opened)
        else _(
            "The plan is phased over {first}-{last} and spends {spending} yuan in all; no "
            "hub or clinic opens in the period."
        )
    )
    text = text.format(
        first=years[0],
        last=years[-1],
        spending=f"{float(phasing['spending'].sum()):,.0f}",
        year=years[opened[-1]] if len(opened) else "",
    )
    table = phasing.copy()
    table["year"] = [str(year) for year in years]
    for column in ("share_within_hub_radius", "share_within_clinic_radius"):
        if column in table.columns:
            table[column] = [_percent(float(share)) for share in table[column]]
    blocks = [Block("h2", _("Phasing")), Block("p", text), Block("table", table=readable(table))]
    if chart_file is not None:
        blocks.append(Block("image", _("phasing chart"), target=chart_file))
    return blocks + _sites_by_year(plan)


def _sites_by_year(plan: CountyPlan) -> list[Block]:
    """The sites opening in the period or becoming hubs in it, by year."""
    sites = plan.sites
    columns = [c for c in ("open_year", "hub_year") if c in sites.columns]
    if not columns:
        return []
    years = pd.DataFrame({c: pd.to_numeric(sites[c], errors="coerce") for c in columns})
    dated = years.notna().any(axis=1).to_numpy()
    if not dated.any():
        return []
    table = pd.DataFrame(sites.loc[dated, ["site_id", "name", "kind", "level", "status"]])
    order = years[dated].min(axis=1).to_numpy()
    for column in columns:
        table[column] = [
            "" if pd.isna(year) else str(int(year)) for year in years.loc[dated, column]
        ]
    table = table.iloc[np.lexsort((table["site_id"].to_numpy(), order))]
    return [
        Block("p", _("Sites opening or becoming hubs in the period:")),
        Block("table", table=readable(table)),
    ]


def _stages(plan: CountyPlan) -> list[Block]:
    table = pd.DataFrame(
        [
            {
                "stage": r.stage,
                "status": r.status,
                "objective": r.objective,
                "bound": r.bound,
                "gap": _percent(r.gap),
                "held": r.held if np.isfinite(r.held) else "",
                "seconds": round(r.seconds, 2),
            }
            for r in plan.stages
        ]
    )
    warning = stages_warning(plan.stages)
    return [
        Block("h2", _("Solve record")),
        *([Block("warning", warning)] if warning else []),
        Block(
            "p",
            _(
                "Objectives solved in order; each later stage holds the value an earlier stage "
                "reached (column held by later stages). The objective column is the written "
                "plan's value; a stage that stopped early may end better than the value held."
            ),
        ),
        Block("table", table=readable(table)),
    ]


def _percent(value: float, *, signed: bool = False) -> str:
    if value is None or not np.isfinite(value):
        return ""
    return f"{value:+.1%}" if signed else f"{value:.1%}"


def _cell(value: object) -> str:
    if isinstance(value, bool | np.bool_):
        return _("yes") if value else _("no")
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating):
        if not np.isfinite(value):
            return ""
        return (
            f"{value:,.0f}" if abs(value) >= 100 or float(value).is_integer() else f"{value:,.2f}"
        )
    return str(value)


def _is_number(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _markdown_table(table: pd.DataFrame) -> str:
    header = "| " + " | ".join(map(str, table.columns)) + " |"
    rule = "|" + "|".join("---:" if _is_number(table[c]) else "---" for c in table.columns) + "|"
    rows = [
        "| " + " | ".join(_cell(v).replace("|", "\\|") for v in row) + " |"
        for row in table.itertuples(index=False)
    ]
    return "\n".join([header, rule, *rows])


def _html_table(table: pd.DataFrame) -> str:
    numeric = [_is_number(table[c]) for c in table.columns]
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in table.columns)
    rows = []
    for row in table.itertuples(index=False):
        cells = "".join(
            f'<td class="num">{html.escape(_cell(v))}</td>'
            if num
            else f"<td>{html.escape(_cell(v))}</td>"
            for v, num in zip(row, numeric, strict=True)
        )
        rows.append(f"<tr>{cells}</tr>")
    return f"<table>\n<tr>{head}</tr>\n" + "\n".join(rows) + "\n</table>"
