"""Compare a county plan with what the five-year plan itself says (the ``[compare]`` section).

Three questions, each asked when its key is set:

- ``plan_hubs``: the hubs the plan names against the optimiser's hubs (population within the
  hub radius, person-minutes to the nearest hub), an independent maximal-covering check of the
  optimum, and the whole county plan solved again with the plan's hubs fixed.
- ``hub_counts`` / ``plan_hub_count``: the least number of hubs (beyond the sites that are
  hubs by kind) for a full hub-radius circle, and the most population within the radius for
  each number of hubs in the range (the coverage curve).
- ``named_gaps``: demand units the plan names as outside the clinic radius, the units beyond
  it with the existing sites only and with the plan, and each open site's staff by quota.

Every figure is recomputed from the travel minutes; the covering optima come from
``optimizer.locate`` and pass ``optimizer.verify_locate``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geodata.i18n import N_
from geodata.i18n import gettext as _
from geodata.travel import TravelTimes
from optimizer.config.county import CompareConfig
from optimizer.county_spec import CountyPlan, CountySpec
from optimizer.inputs.names import resolve_names
from optimizer.plan.county import plan_county
from optimizer.solve.locate import locate
from optimizer.verify import verify_locate


@dataclass
class Comparison:
    """Findings (sentences), tables by CSV file name, and the coverage curve (if asked)."""

    findings: list[str] = field(default_factory=list)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    curves: dict[str, pd.DataFrame] = field(default_factory=dict)  # demand level -> curve
    plan_fixed: CountyPlan | None = None  # the plan re-solved with the plan's hubs fixed


def compare_plan(
    config: CompareConfig,
    plan: CountyPlan,
    spec: CountySpec,
    demand: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    travel: TravelTimes,
    *,
    labels: np.ndarray | None = None,
    seats: tuple[gpd.GeoDataFrame, TravelTimes] | None = None,
    stop_travel: TravelTimes | None = None,
    source: str | Path = "config",
) -> Comparison:
    """Answer the questions ``config`` asks about ``plan`` (see the module docstring).

    Args:
        labels: one display name per demand unit (e.g. township + village); default the names.
        seats: township seats as demand units with their travel minutes to ``sites``; the
            least number and the curve are then also given at township level.
        stop_travel: village x village minutes, needed when ``spec`` has roaming.

    Raises:
        ConfigError: a plan hub or named unit that matches no site or unit.
    """
    out = Comparison()
    labels = demand["name"].astype(str).to_numpy() if labels is None else labels
    if config.plan_hubs:
        _plan_hubs(config, plan, spec, demand, sites, travel, out, source, stop_travel)
    if config.hub_counts is not None or config.plan_hub_count is not None:
        _hub_counts(config, spec, demand, sites, travel, out, N_("villages"), "")
        if seats is not None:
            seats_level = N_("township seats")
            _hub_counts(config, spec, seats[0], sites, seats[1], out, seats_level, "_seats")
    if config.named_gaps:
        _named_gaps(config, plan, spec, demand, travel, labels, out, source)
    return out


def population_within(
    travel: TravelTimes, population: np.ndarray, open_sites: np.ndarray, radius: float
) -> np.ndarray:
    """Per unit, True when an open site is within ``radius`` minutes."""
    return travel.within(open_sites, radius)


def nearest(travel: TravelTimes, open_sites: np.ndarray) -> np.ndarray:
    """Per unit, minutes to the nearest open site (inf: none within the travel limit)."""
    pairs = travel.minutes.tocoo()
    keep = open_sites[pairs.col]
    out = np.full(travel.minutes.shape[0], np.inf)
    np.minimum.at(out, pairs.row[keep], pairs.data[keep])
    return out


def _hub_figures(
    travel: TravelTimes, population: np.ndarray, hubs: np.ndarray, radius: float
) -> dict[str, float]:
    """Population within ``radius`` of a hub and population-weighted minutes to the nearest."""
    minutes = nearest(travel, hubs)
    reached = np.isfinite(minutes)
    total = float(population.sum())
    within = float(population[minutes <= radius].sum())
    person_minutes = float((population[reached] * minutes[reached]).sum())
    people = float(population[reached].sum())
    return {
        f"population within {radius:g} min": within,
        f"share within {radius:g} min": within / total if total else np.nan,
        "person-minutes to nearest hub": person_minutes,
        "mean minutes to nearest hub": person_minutes / people if people else np.nan,
        "longest minutes to nearest hub": float(minutes[reached].max()) if reached.any() else 0,
        "population beyond the travel limit": total - people,
    }


def _plan_hubs(
    config, plan, spec, demand, sites, travel, out: Comparison, source, stop_travel=None
) -> None:
    population = demand["population"].to_numpy(dtype=float)
    site_ids = sites["id"].astype(str).to_numpy()
    names = dict(zip(site_ids, sites["name"].astype(str), strict=True))
    wanted = resolve_names(
        config.plan_hubs,
        site_ids,
        sites["name"].astype(str),
        what="compare.plan_hubs",
        source=source,
    )
    radius = spec.hub.radius
    optimum = plan.sites["level"].to_numpy() == "hub"
    planned = np.isin(site_ids, wanted) | _by_kind(sites, spec.hub.fixed_kinds)
    rows = {
        "optimiser": _hub_figures(travel, population, optimum, radius),
        "plan's hubs": _hub_figures(travel, population, planned, radius),
    }
    table = pd.DataFrame(rows).rename_axis("figure").reset_index()
    table["plan minus optimiser"] = table["plan's hubs"] - table["optimiser"]
    out.tables["compare_hubs.csv"] = table
    only_opt = [names[i] for i in site_ids[optimum & ~planned]]
    only_plan = [names[i] for i in site_ids[planned & ~optimum]]
    gain = rows["optimiser"][f"population within {radius:g} min"] - float(
        rows["plan's hubs"][f"population within {radius:g} min"]
    )
    out.findings.append(
        _(
            "The optimiser's {n} hubs reach {gain} persons more within {radius} minutes than "
            "the plan's {planned}. Only in the optimum: {only_optimum}; only in the plan: "
            "{only_plan}."
        ).format(
            n=int(optimum.sum()),
            gain=f"{gain:+,.0f}",
            radius=f"{radius:g}",
            planned=int(planned.sum()),
            only_optimum=_(", ").join(only_opt) or _("none"),
            only_plan=_(", ").join(only_plan) or _("none"),
        )
    )
    out.tables["compare_hub_sites.csv"] = pd.DataFrame(
        {
            "site_id": site_ids[optimum | planned],
            "name": [names[i] for i in site_ids[optimum | planned]],
            "optimiser": optimum[optimum | planned],
            "plan": planned[optimum | planned],
        }
    )
    check = _max_cover(spec, sites, travel, population, int(optimum.sum()), radius)
    if check is not None:
        best = float(population[check].sum())
        out.findings.append(
            _(
                "Independent check: the most population any {n} hubs can bring within {radius} "
                "minutes is {best} (maximal covering location)."
            ).format(n=int(optimum.sum()), radius=f"{radius:g}", best=f"{best:,.0f}")
        )
    fixed_spec = replace(
        spec,
        hub=replace(spec.hub, fixed=tuple(dict.fromkeys([*spec.hub.fixed, *wanted]))),
    )
    fixed = plan_county(demand, sites, travel, fixed_spec, stop_travel, route_pool=plan.route_pool)
    out.plan_fixed = fixed
    out.tables["compare_plan_fixed.csv"] = _changes(plan, fixed)
    out.findings.append(
        _(
            "With the plan's hubs fixed the whole plan was solved again; the table "
            "compare_plan_fixed.csv lists what changes (districts, travel, staff)."
        )
    )


def _by_kind(sites: gpd.GeoDataFrame, kinds) -> np.ndarray:
    return sites["kind"].astype(str).isin(list(kinds)).to_numpy()


def _max_cover(spec, sites, travel, population, p: int, radius: float) -> np.ndarray | None:
    """Units within ``radius`` of the best ``p`` hubs (maximal covering), or None if p is 0."""
    allowed, required = _hub_candidates(spec, sites)
    if p < len(required) or p == 0 or p > len(allowed):
        return None
    cost = travel.minutes.tocsc()[:, allowed].tocsr()
    req = [int(np.flatnonzero(allowed == j)[0]) for j in required]
    result = locate("mclp", cost, weights=population, p=p, radius=radius, required=req)
    verify_locate(result, cost, weights=population, p=p, radius=radius, required=req)
    open_sites = np.zeros(len(sites), dtype=bool)
    open_sites[allowed[list(result.open_sites)]] = True
    return population_within(travel, population, open_sites, radius)


def _hub_candidates(spec: CountySpec, sites: gpd.GeoDataFrame) -> tuple[np.ndarray, list[int]]:
    """Site indices that may be hubs, and those that are hubs already (fixed or by kind)."""
    ids = sites["id"].astype(str).to_numpy()
    by_kind = _by_kind(sites, spec.hub.fixed_kinds)
    fixed = by_kind | np.isin(ids, list(spec.hub.fixed))
    may = (_by_kind(sites, spec.hub.kinds) | fixed) & ~np.isin(ids, list(spec.hub.barred))
    allowed = np.flatnonzero(may)
    return allowed, [int(j) for j in np.flatnonzero(fixed)]


def _changes(plan: CountyPlan, fixed: CountyPlan) -> pd.DataFrame:
    """Side-by-side figures of the optimiser's plan and the plan with the plan's hubs fixed."""

    def figures(p: CountyPlan) -> dict[str, object]:
        hubs = p.sites[p.sites["level"] == "hub"]
        units = p.assignments
        pop = units["population"].to_numpy(dtype=float)
        hub_minutes = units["hub_minutes"].to_numpy(dtype=float)
        ok = np.isfinite(hub_minutes)
        district = p.districts["population"].to_numpy(dtype=float)
        row: dict[str, object] = {
            "hubs": ", ".join(hubs["name"].astype(str)),
            **p.summary.population_within,
            "mean minutes to own hub": float((pop[ok] * hub_minutes[ok]).sum() / pop[ok].sum())
            if ok.any()
            else np.nan,
            "largest district (persons)": float(district.max()) if len(district) else 0.0,
            "smallest district (persons)": float(district.min()) if len(district) else 0.0,
        }
        for staff in p.staffing.itertuples():
            row[f"{staff.staff_type} need"] = float(staff.need)
        return row

    table = pd.DataFrame({"optimiser": figures(plan), "plan's hubs fixed": figures(fixed)})
    return table.rename_axis("figure").reset_index().map(_shown)


def _shown(value: object) -> str:
    """A table cell as text: numbers rounded to one decimal with thousands separators."""
    if isinstance(value, float | np.floating):
        return f"{value:,.1f}"
    return str(value)


def _hub_counts(
    config, spec, demand, sites, travel, out: Comparison, level: str, suffix: str
) -> None:
    population = demand["population"].to_numpy(dtype=float)
    radius = spec.hub.radius
    allowed, required = _hub_candidates(spec, sites)
    kind_hub = _by_kind(sites, spec.hub.fixed_kinds)
    by_kind = int(kind_hub.sum())
    cost = travel.minutes.tocsc()[:, allowed].tocsr()
    req = [int(np.flatnonzero(allowed == j)[0]) for j in required]
    reach = population_within(travel, population, _mask(allowed, len(sites)), radius)
    total = float(population.sum())
    reachable = float(population[reach].sum())
    least_cost = cost[reach]
    least = locate("lscp", least_cost, radius=radius, required=req)
    verify_locate(least, least_cost, radius=radius, required=req)
    n_least = len(least.open_sites) - by_kind
    out.findings.append(
        _(
            "Demand at {level}: least number of hubs besides the {by_kind} that are hubs by kind "
            "for a full {radius}-minute circle: {n} (every one some possible hub can reach: "
            "{people} persons, {share}; {beyond} {level} are beyond {radius} minutes of every "
            "possible hub)."
        ).format(
            level=_(level),
            by_kind=by_kind,
            radius=f"{radius:g}",
            n=n_least,
            people=f"{reachable:,.0f}",
            share=f"{reachable / total:.1%}",
            beyond=int((~reach).sum()),
        )
    )
    if config.plan_hub_count is not None:
        verdict = (
            _("enough")
            if config.plan_hub_count >= n_least
            else _("{n} short").format(n=n_least - config.plan_hub_count)
        )
        out.findings.append(
            _("The plan asks for about {n}: {verdict} for the full circle.").format(
                n=config.plan_hub_count, verdict=verdict
            )
        )
    low, high = config.hub_counts or (config.plan_hub_count, config.plan_hub_count)
    rows = []
    for k in range(low, high + 1):
        p = by_kind + k
        if p < len(req) or p > len(allowed):
            continue
        result = locate("mclp", cost, weights=population, p=p, radius=radius, required=req)
        verify_locate(result, cost, weights=population, p=p, radius=radius, required=req)
        opened = _mask(allowed[list(result.open_sites)], len(sites))
        within = float(population[population_within(travel, population, opened, radius)].sum())
        rows.append(
            {
                "hubs besides those by kind": k,
                f"population within {radius:g} min": within,
                "share of population": within / total if total else np.nan,
                "share of reachable population": within / reachable if reachable else np.nan,
                "hubs": ", ".join(sites["name"].astype(str).to_numpy()[opened & ~kind_hub]),
            }
        )
    curve = pd.DataFrame(rows)
    if len(curve):
        previous = curve[f"population within {radius:g} min"].shift(1)
        curve.insert(
            2, "gain over one fewer", curve[f"population within {radius:g} min"] - previous
        )
    out.curves[level] = curve
    at_plan = (
        curve[curve["hubs besides those by kind"] == config.plan_hub_count] if len(curve) else curve
    )
    if len(at_plan):
        best = float(at_plan[f"population within {radius:g} min"].iloc[0])
        out.findings.append(
            _(
                "With {n} hubs and demand at {level}, at most {best} persons ({share}) are "
                "within {radius} minutes (maximal covering; the county plan above can reach "
                "fewer when every unit must also join a district within districts.max_minutes)."
            ).format(
                n=config.plan_hub_count,
                level=_(level),
                best=f"{best:,.0f}",
                share=f"{best / total:.1%}",
                radius=f"{radius:g}",
            )
        )
    out.tables[f"compare_curve{suffix}.csv"] = curve
    out.tables[f"compare_least{suffix}.csv"] = pd.DataFrame(
        {
            "site_id": sites["id"].astype(str).to_numpy()[allowed[list(least.open_sites)]],
            "name": sites["name"].astype(str).to_numpy()[allowed[list(least.open_sites)]],
            "kind": sites["kind"].astype(str).to_numpy()[allowed[list(least.open_sites)]],
        }
    )


def _mask(indices: np.ndarray, n: int) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    mask[indices] = True
    return mask


def _named_gaps(config, plan, spec, demand, travel, labels, out: Comparison, source) -> None:
    population = demand["population"].to_numpy(dtype=float)
    ids = demand["id"].astype(str).to_numpy()
    radius = spec.clinic.radius
    sites = plan.sites
    open_now = (sites["status"].to_numpy() == "existing") & (sites["level"].to_numpy() != "")
    open_plan = sites["level"].to_numpy() != ""
    before = nearest(travel, open_now)
    after = nearest(travel, open_plan)
    rows = []
    for i in _unit_rows(config.named_gaps, demand, labels, source):
        rows.append(
            {
                "unit": labels[i],
                "demand_id": ids[i],
                "population": population[i],
                "minutes to nearest existing site": before[i],
                f"within {radius:g} min now": bool(before[i] <= radius),
                "minutes with the plan": after[i],
                f"within {radius:g} min with the plan": bool(after[i] <= radius),
            }
        )
    out.tables["compare_named_gaps.csv"] = pd.DataFrame(rows)
    people = population > 0
    gap_now, gap_plan = (before > radius) & people, (after > radius) & people
    out.findings.append(
        f"With the existing sites only, {int(gap_now.sum())} units "
        f"({population[gap_now].sum():,.0f} persons) are beyond {radius:g} minutes "
        "(units without residents left out): "
        f"{', '.join(labels[gap_now]) or 'none'}. With the plan: {int(gap_plan.sum())} "
        f"({', '.join(labels[gap_plan]) or 'none'})."
    )
    new = sites[(sites["status"] == "new") & (sites["level"] != "")]
    out.findings.append(
        f"New sites: {', '.join(new['name'].astype(str)) or 'none'}; existing sites kept: "
        f"{int(open_now.sum())}."
    )
    staff = [t for t in plan.staffing["staff_type"] if t in sites.columns]
    columns = ["site_id", "name", "level", "status", "population_served", *staff]
    out.tables["compare_staff_by_site.csv"] = pd.DataFrame(sites[open_plan][columns])


def _unit_rows(keys: list[str], demand, labels: np.ndarray, source) -> list[int]:
    """Row of each named demand unit (by id, display label or unique name).

    Raises:
        ConfigError: a key that matches no unit or several.
    """
    ids = demand["id"].astype(str)
    found = resolve_names(
        keys,
        ids,
        labels,
        demand["name"].astype(str),
        what="compare.named_gaps",
        noun="demand unit",
        source=source,
    )
    row = {key: k for k, key in enumerate(ids)}
    return [row[key] for key in found]
