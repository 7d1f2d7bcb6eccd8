"""A county solution (arrays) as the plan's layers and tables."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp

from geodata.travel import TravelTimes
from models.county import CountyInput
from optimizer.county_spec import (
    INDICATOR_COLUMNS,
    CountyPlan,
    CountySpec,
    CountySummary,
    StageRecord,
)
from optimizer.notices import stages_warning
from optimizer.plan.phasing import phasing_table, year_columns
from optimizer.solve.county import CountySolution

# Fraction of a post below which a need is taken as met (rounding of the ratios).
WHOLE_SLACK = 1e-6

STAFFING_COLUMNS = [
    "staff_type",
    "need",
    "on_post",
    "moved",
    "hired",
    "planned",
    "pool",
    "shortfall",
    "sites_short",
    "hiring_cost",
]


@dataclass
class _Choices:
    """The solution's choices per site (hub, open) and per demand unit (site index of its hub
    and of its primary-care site, -1 for none, with the minutes to them, NaN for none)."""

    is_hub: np.ndarray
    is_open: np.ndarray
    hub_of: np.ndarray
    hub_minutes: np.ndarray
    site_of: np.ndarray
    site_minutes: np.ndarray

    @property
    def level(self) -> np.ndarray:
        """Per site: "hub", "clinic" or "" (closed)."""
        return np.where(self.is_hub, "hub", np.where(self.is_open, "clinic", ""))


def _minutes(site: np.ndarray, minutes: sp.csr_matrix) -> np.ndarray:
    """Per demand unit, the minutes to its site index ``site`` (NaN where -1)."""
    out = np.full(site.size, np.nan)
    rows = np.flatnonzero(site >= 0)
    if rows.size:
        out[rows] = np.asarray(minutes[rows, site[rows]]).reshape(-1)
    return out


def _choices(solution: CountySolution, minutes: sp.csr_matrix) -> _Choices:
    """The open sites and the assignments of the solution, with their minutes."""
    return _Choices(
        solution.is_hub,
        solution.is_open,
        solution.hub_of,
        _minutes(solution.hub_of, minutes),
        solution.site_of,
        _minutes(solution.site_of, minutes),
    )


def _staff(
    solution: CountySolution, data: CountyInput, sol: _Choices, served: np.ndarray
) -> tuple[dict[str, np.ndarray], pd.DataFrame]:
    """Per staff type: the planned staff and shortfall (the need not met) per site (columns
    of the sites layer;
    with staff on post also those on post, hired and, when staff may move, moved in and out)
    and the staffing table (need, on post, moved, hired, planned, pool, shortfall, sites
    short, hiring cost; with roaming crews also their need, ``crews``, the crews' staff
    counted in moved, hired, planned and shortfall)."""
    columns: dict[str, np.ndarray] = {}
    rows = []
    on_post = data.staff_on_post
    for t, rule in enumerate(data.staff):
        staff = solution.staff[rule.name]
        hired = solution.hired[rule.name]
        need = np.where(
            sol.is_open,
            rule.per_person * served
            + np.where(sol.is_hub, rule.min_hub, np.where(sol.is_open, rule.min_clinic, 0.0)),
            0.0,
        )
        if rule.whole:  # whole posts: a site needs its need rounded up
            need = np.ceil(need - WHOLE_SLACK)
        short = np.maximum(need - staff, 0.0)
        columns[rule.name] = np.round(staff, 6)
        columns[f"shortfall_{rule.name}"] = np.round(short, 6)
        if on_post[t].any():
            columns[f"existing_{rule.name}"] = on_post[t]
            columns[f"hired_{rule.name}"] = np.round(hired, 6)
            if rule.max_transfer > 0:
                columns[f"moved_in_{rule.name}"] = np.round(solution.moved_in[rule.name], 6)
                columns[f"moved_out_{rule.name}"] = np.round(solution.moved_out[rule.name], 6)
        rows.append(
            {
                "staff_type": rule.name,
                "need": float(need.sum()),
                "on_post": float(on_post[t].sum()),
                "moved": float(solution.moved_in[rule.name].sum()),
                "hired": float(hired.sum()),
                "planned": float(staff.sum()),
                "pool": rule.pool if np.isfinite(rule.pool) else np.nan,
                "shortfall": float(short.sum()),
                "sites_short": int((short > 1e-6).sum()),
                "hiring_cost": float(rule.hire_cost * hired.sum()),
            }
        )
        if solution.crews is not None:  # the roaming crews join the pools' figures
            need, moved, hired_crew = solution.crews[rule.name]
            row = rows[-1]
            row["crews"] = need
            row["moved"] += moved
            row["hired"] += hired_crew
            row["planned"] += moved + hired_crew
            row["shortfall"] += max(need - moved - hired_crew, 0.0)
            row["hiring_cost"] += rule.hire_cost * hired_crew
    order = STAFFING_COLUMNS + (["crews"] if solution.crews is not None else [])
    return columns, pd.DataFrame(rows, columns=order)


def _indicators(spec: CountySpec, data: CountyInput, solution: CountySolution) -> pd.DataFrame:
    """The county indicators: per type the target (ratio x county population), the staff on
    post at every site, those planned (on post plus hires) and the gap (persons)."""
    county = float(data.population.sum())
    names = [rule.name for rule in data.staff]
    rows = []
    for name, per_person in spec.indicators.items():
        t = names.index(name) if name in names else -1
        on_post = float(data.staff_on_post[t].sum()) if t >= 0 else 0.0
        hired = float(solution.hired[name].sum()) if t >= 0 else 0.0
        target = per_person * county
        rows.append(
            {
                "staff_type": name,
                "per_1000": per_person * 1000,
                "target": target,
                "on_post": on_post,
                "planned": on_post + hired,
                "gap": max(target - on_post - hired, 0.0),
            }
        )
    return pd.DataFrame(rows, columns=INDICATOR_COLUMNS)


def _site_layer(
    sites: gpd.GeoDataFrame,
    data: CountyInput,
    sol: _Choices,
    served: np.ndarray,
    district_pop: np.ndarray,
    columns: dict[str, np.ndarray],
) -> gpd.GeoDataFrame:
    """One row per input site: level, status (existing, new, closed), population served and
    in its district (persons) and ``columns`` (with phases the opening years, then the staff
    columns)."""
    existing = data.existing_hub | data.existing_site
    is_hub, is_open = sol.is_hub, sol.is_open
    status = np.where(
        is_hub & data.existing_hub,
        "existing",
        np.where(is_open & existing, "existing", np.where(is_open, "new", "closed")),
    )
    columns = {
        "site_id": np.asarray(sites["id"], dtype=str),
        "name": sites["name"].astype(str).to_numpy(),
        "kind": sites["kind"].astype(str).to_numpy(),
        "level": sol.level,
        "status": status,
        "population_served": served,
        "district_population": district_pop,
        **columns,
    }
    return gpd.GeoDataFrame(columns, geometry=sites.geometry.values, crs=sites.crs)


def _assignments(
    demand: gpd.GeoDataFrame, pop: np.ndarray, site_ids: np.ndarray, sol: _Choices
) -> gpd.GeoDataFrame:
    """One row per demand unit: its primary-care site and level, its hub, and the minutes
    to each (NaN when unassigned)."""
    site_of, hub_of = sol.site_of, sol.hub_of
    return gpd.GeoDataFrame(
        {
            "demand_id": demand["id"].astype(str).to_numpy(),
            "name": demand["name"].astype(str).to_numpy(),
            "population": pop,
            "site_id": np.where(site_of >= 0, site_ids[np.maximum(site_of, 0)], ""),
            "level": np.where(site_of >= 0, sol.level[np.maximum(site_of, 0)], ""),
            "minutes": sol.site_minutes,
            "hub_id": np.where(hub_of >= 0, site_ids[np.maximum(hub_of, 0)], ""),
            "hub_minutes": sol.hub_minutes,
        },
        geometry=demand.geometry.values,
        crs=demand.crs,
    )


def _districts(
    sites: gpd.GeoDataFrame, site_ids: np.ndarray, sol: _Choices, district_pop: np.ndarray
) -> pd.DataFrame:
    """One row per hub: its district's population (persons) and number of demand units."""
    hubs = np.flatnonzero(sol.is_hub)
    hub_of = sol.hub_of
    return pd.DataFrame(
        {
            "hub_id": site_ids[hubs],
            "name": sites["name"].astype(str).to_numpy()[hubs],
            "population": district_pop[hubs],
            "n_units": np.bincount(hub_of[hub_of >= 0], minlength=site_ids.size)[hubs],
        }
    )


def _summary(
    solution: CountySolution,
    data: CountyInput,
    spec: CountySpec,
    sol: _Choices,
    travel: TravelTimes,
    records: list[StageRecord],
    unreachable: dict[str, np.ndarray],
    staffing: pd.DataFrame,
) -> CountySummary:
    """The plan's figures: counts, coverage within the radii, cost, travel and shortfall
    (of the staffing table)."""
    pop = data.population
    is_hub, is_open = sol.is_hub, sol.is_open
    existing = data.existing_hub | data.existing_site
    return CountySummary(
        hubs=int(is_hub.sum()),
        new_hubs=int((is_hub & ~data.existing_hub).sum()),
        clinics=int((is_open & ~is_hub).sum()),
        new_clinics=int((is_open & ~is_hub & ~existing).sum()),
        population=float(pop.sum()),
        hub_radius=spec.hub.radius,
        hub_population=float(pop[travel.within(is_hub, spec.hub.radius)].sum()),
        clinic_radius=spec.clinic.radius,
        clinic_population=float(pop[travel.within(is_open, spec.clinic.radius)].sum()),
        build_cost=solution.build_cost,
        person_minutes=solution.person_minutes,
        staff_shortfall=float(staffing["shortfall"].sum()),
        units_beyond_hub_radius=len(unreachable["hub"]),
        units_beyond_clinic_radius=len(unreachable["clinic"]),
        warning=stages_warning(records),
    )


def county_layers(
    solution: CountySolution,
    data: CountyInput,
    spec: CountySpec,
    demand: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    travel: TravelTimes,
    records: list[StageRecord],
    unreachable: dict[str, np.ndarray],
) -> CountyPlan:
    """The solution as a CountyPlan (sites, assignments, districts, staffing, summary)."""
    demand = demand.reset_index(drop=True)
    sites = sites.reset_index(drop=True).to_crs(demand.crs)
    m = len(sites)
    pop = data.population
    site_ids = np.asarray(sites["id"], dtype=str)
    minutes = travel.minutes.tocsr()
    sol = _choices(solution, minutes)
    site_of, hub_of = sol.site_of, sol.hub_of
    served = np.bincount(site_of[site_of >= 0], weights=pop[site_of >= 0], minlength=m)
    district_pop = np.bincount(hub_of[hub_of >= 0], weights=pop[hub_of >= 0], minlength=m)
    columns, staffing = _staff(solution, data, sol, served)
    ids = demand["id"].astype(str).to_numpy()
    phasing = None
    if spec.phases is not None:
        columns = {**year_columns(solution, spec.phases.years), **columns}
        hired = dict(zip(staffing["staff_type"], staffing["hired"], strict=True))
        phasing = phasing_table(solution, data, spec, travel, hired)
    return CountyPlan(
        sites=_site_layer(sites, data, sol, served, district_pop, columns),
        assignments=_assignments(demand, pop, site_ids, sol),
        districts=_districts(sites, site_ids, sol, district_pop),
        staffing=staffing,
        indicators=_indicators(spec, data, solution),
        summary=_summary(solution, data, spec, sol, travel, records, unreachable, staffing),
        stages=records,
        unreachable={k: ids[v].tolist() for k, v in unreachable.items()},
        phasing=phasing,
    )
