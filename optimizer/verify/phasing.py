"""Independent check of a phased county plan's years.

Recomputes from the sites layer's ``open_year`` and ``hub_year``, the build costs, the
yearly populations and the travel times every row of the phasing table: what is open by
each year, the year's spending against its budget, the population within each level's
radius, the hires against the yearly caps; and that the final year is the plan.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimizer.county_spec import CountyPlan, PhasesSpec
from optimizer.verify.tolerance import ABS_TOL, REL_TOL, close

# Per demand unit, whether a site of the mask is within the radius (minutes).
Reached = Callable[[float, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class SiteFacts:
    """What the verifier of the county plan found per site: hubs and open sites of the
    plan, the sites fixed as hubs and open before the period, the build costs (yuan)."""

    is_hub: np.ndarray
    is_open: np.ndarray
    hub_fixed: np.ndarray
    existing: np.ndarray
    hub_cost: np.ndarray
    clinic_cost: np.ndarray


def phasing_problems(
    plan: CountyPlan,
    phases: PhasesSpec,
    facts: SiteFacts,
    radii: tuple[float, float],
    reached: Reached,
    roamed: np.ndarray,
) -> tuple[list[str], float]:
    """Every claim of the phasing table and of the sites' years that the inputs do not
    bear out, and the plan's person-years (persons within the hub radius plus within the
    clinic radius or served by roaming, ``roamed``, summed over the years)."""
    table = plan.phasing
    if table is None or "open_year" not in plan.sites or "hub_year" not in plan.sites:
        return ["a phased plan needs the phasing table and the sites' open_year, hub_year"], 0.0
    years = list(phases.years)
    if [int(y) for y in table["year"]] != years:
        return [f"phasing years {table['year'].tolist()} are not the period {years}"], 0.0
    open_year = _years(plan.sites["open_year"])
    hub_year = _years(plan.sites["hub_year"])
    problems = _year_problems(open_year, hub_year, facts, years, plan.sites["site_id"])
    new_site = ~facts.existing
    person_years = 0.0
    hub_radius, clinic_radius = radii
    for y, year in enumerate(years):
        row = table.iloc[y]
        pop = phases.population[y]
        hub = facts.hub_fixed | (hub_year <= year)
        site = facts.existing | (open_year <= year) | hub
        by_hub = reached(hub_radius, hub)
        by_site = reached(clinic_radius, site)
        spending = (
            facts.hub_cost[hub_year == year].sum()
            + facts.clinic_cost[new_site & (open_year == year)].sum()
            - facts.clinic_cost[new_site & (hub_year == year)].sum()
        )
        want = {
            "population": pop.sum(),
            "hub_population": pop[by_hub].sum(),
            "clinic_population": pop[by_site].sum(),
            "hubs": hub.sum(),
            "clinics": (site & ~hub).sum(),
            "new_hubs": (hub_year == year).sum(),
            "new_clinics": ((open_year == year) & (hub_year != year)).sum(),
            "spending": spending,
        }
        for column, value in want.items():
            if not close(float(row[column]), float(value)):
                problems.append(f"phasing {year}: {column} {row[column]!r}, recomputed {value!r}")
        budget = phases.budget[y]
        if spending > budget * (1 + REL_TOL) + ABS_TOL:
            problems.append(f"phasing {year}: spending {spending:g} exceeds the budget {budget:g}")
        person_years += float(pop[by_hub].sum() + pop[by_site | roamed].sum())
    if not ((hub == facts.is_hub).all() and (site == facts.is_open).all()):
        problems.append(f"phasing {years[-1]}: the sites open in the last year are not the plan's")
    problems += _hire_problems(plan, phases, table)
    return problems, person_years


def _years(column: pd.Series) -> np.ndarray:
    """A year column as floats (inf: no year), so that ``year <= y`` means open by y."""
    values = pd.to_numeric(column, errors="coerce").astype(float).to_numpy()
    return np.where(np.isnan(values), np.inf, values)


def _year_problems(
    open_year: np.ndarray,
    hub_year: np.ndarray,
    facts: SiteFacts,
    years: list[int],
    site_ids: pd.Series,
) -> list[str]:
    """Opening years on sites that do not open in the period, missing or outside it, and
    hubs made before their site opens."""
    ids = np.asarray(site_ids, dtype=str)
    problems = []
    new_open = facts.is_open & ~facts.existing
    new_hub = facts.is_hub & ~facts.hub_fixed
    for name, year, opens in (("open_year", open_year, new_open), ("hub_year", hub_year, new_hub)):
        given = np.isfinite(year)
        wrong = (given != opens) | (given & ~np.isin(year, years))
        if wrong.any():
            problems.append(f"sites {', '.join(ids[wrong][:10])}: {name} does not fit the plan")
    early = np.isfinite(hub_year) & ~facts.existing & (hub_year < open_year)
    if early.any():
        problems.append(f"sites {', '.join(ids[early][:10])}: a hub before the site opens")
    return problems


def _hire_problems(plan: CountyPlan, phases: PhasesSpec, table: pd.DataFrame) -> list[str]:
    """Hires per year above the year's cap, or not adding up to the plan's hires."""
    problems = []
    hired = dict(zip(plan.staffing["staff_type"], plan.staffing["hired"], strict=True))
    for name, caps in phases.hires.items():
        column = f"hired_{name}"
        if column not in table:
            problems.append(f"phasing: no column {column}")
            continue
        per_year = table[column].to_numpy(dtype=float)
        over = (per_year > np.asarray(caps) + ABS_TOL) | (per_year < -ABS_TOL)
        if over.any():
            problems.append(f"phasing: {column} outside 0..the yearly cap in some years")
        if not close(float(per_year.sum()), float(hired.get(name, 0.0))):
            problems.append(
                f"phasing: {column} adds up to {per_year.sum():g}, the plan hires "
                f"{hired.get(name, 0.0):g}"
            )
    return problems
