"""A phased county plan's years: the opening year of each site and the phasing table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geodata.travel import TravelTimes
from models.county import CountyInput
from optimizer.county_spec import PHASING_COLUMNS, CountySpec, PhasesSpec
from optimizer.solve.county import CountySolution


def year_columns(solution: CountySolution, years: tuple[int, ...]) -> dict[str, pd.Series]:
    """The sites layer's ``open_year`` (the year a new site opens for primary care) and
    ``hub_year`` (the year a site becomes a hub); empty for sites open before the period
    and for sites that stay closed at that level."""
    out = {}
    for name, first in (("open_year", solution.site_year), ("hub_year", solution.hub_year)):
        within = (first >= 0) & (first < len(years))
        values = np.where(within, np.asarray(years)[np.clip(first, 0, len(years) - 1)], 0)
        out[name] = pd.Series(values, dtype="Int64").where(within)
    return out


def hires_by_year(phases: PhasesSpec, hired: dict[str, float]) -> dict[str, np.ndarray]:
    """Per staff type with yearly caps, the plan's hires (persons, ``hired``) by year: as
    early as the caps allow."""
    out = {}
    for name, caps in phases.hires.items():
        left, per_year = hired.get(name, 0.0), []
        for cap in caps:
            take = min(cap, left)
            per_year.append(take)
            left -= take
        out[name] = np.array(per_year)
    return out


def phasing_table(
    solution: CountySolution,
    data: CountyInput,
    spec: CountySpec,
    travel: TravelTimes,
    hired: dict[str, float],
) -> pd.DataFrame:
    """One row per year of ``spec.phases``: population (persons), the population within the
    hub and clinic radius of a site open at that level by the end of the year and its share,
    the hubs and clinics open and opened, the spending (build cost of the year's openings,
    yuan), the year's budget (NaN: none) and the hires per type with yearly caps."""
    phases = spec.phases
    assert phases is not None and solution.hub_year is not None
    hub_year, site_year = solution.hub_year, solution.site_year
    hires = hires_by_year(phases, hired)
    rows = []
    for y, year in enumerate(phases.years):
        pop = phases.population[y]
        hub = solution.is_hub & (hub_year <= y)
        site = solution.is_open & (site_year <= y) | hub
        row = {
            "year": year,
            "population": float(pop.sum()),
            "hub_population": float(pop[travel.within(hub, spec.hub.radius)].sum()),
            "clinic_population": float(pop[travel.within(site, spec.clinic.radius)].sum()),
            "hubs": int(hub.sum()),
            "clinics": int((site & ~hub).sum()),
            "new_hubs": int((hub_year == y).sum()),
            "new_clinics": int(((site_year == y) & (hub_year != y)).sum()),
            "spending": _spending(data, hub_year, site_year, y),
            "budget": float(phases.budget[y]) if np.isfinite(phases.budget[y]) else np.nan,
        }
        total = row["population"]
        row["share_within_hub_radius"] = row["hub_population"] / total if total else np.nan
        row["share_within_clinic_radius"] = row["clinic_population"] / total if total else np.nan
        for name, per_year in hires.items():
            row[f"hired_{name}"] = float(per_year[y])
        rows.append(row)
    return pd.DataFrame(rows, columns=PHASING_COLUMNS + [f"hired_{n}" for n in hires])


def _spending(data: CountyInput, hub_year: np.ndarray, site_year: np.ndarray, y: int) -> float:
    """Build cost (yuan) of the openings in year position ``y``: new hubs pay the hub's cost,
    new primary-care sites the clinic's, and a new site that becomes a hub has its clinic
    cost replaced by the hub's."""
    new_site = (data.can_hub | data.can_clinic) & ~(data.existing_site | data.existing_hub)
    hubs = data.can_hub & ~data.existing_hub & (hub_year == y)
    return float(
        data.hub_cost[hubs].sum()
        + data.clinic_cost[new_site & (site_year == y)].sum()
        - data.clinic_cost[new_site & hubs].sum()
    )
