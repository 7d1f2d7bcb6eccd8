"""Result types returned by the location solvers."""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd


@dataclass
class LocateResult:
    """Outcome of one location solve on a cost matrix.

    Attributes:
        problem: "lscp", "mclp", "p-median", "p-center" or "capacitated".
        status: "optimal", "time_limit" (incumbent without proof) or "infeasible".
        objective: objective value recomputed from the chosen sites (units of the cost).
        bound: best proven bound on the objective (equals objective when optimal).
        gap: relative gap |objective - bound| / max(|objective|, 1e-9).
        open_sites: indices of the open sites, ascending.
        assignment: site index per demand unit, -1 where none.
        allocation: for split demand (capacitated), the fraction of each demand unit's
            weight served by each site as (demand, site, fraction) arrays; None otherwise.
        seconds_build: seconds spent building the model.
        seconds_solve: seconds spent in HiGHS.
        details: model size and solver counters; for mclp ``proven_by`` says what proved
            the plan: "reach" (it covers every unit some site reaches), "lp" (it meets the
            LP bound) or "mip".
    """

    problem: str
    status: str
    objective: float
    bound: float
    gap: float
    open_sites: np.ndarray
    assignment: np.ndarray
    allocation: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    seconds_build: float = 0.0
    seconds_solve: float = 0.0
    details: dict = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        """Total seconds (build + solve)."""
        return self.seconds_build + self.seconds_solve


@dataclass
class SiteSummary:
    """The figures of a site plan and its solve.

    Attributes:
        problem: the location problem solved ("p-median", "mclp", ...).
        status: the solve status ("optimal", "time_limit", ...).
        objective: objective value (units of the cost, usually minutes or persons).
        bound: best proven bound on the objective.
        gap: relative gap between objective and bound.
        radius_minutes: the coverage radius (minutes), None when the problem has none.
        sites_open: number of open sites.
        demand_units: number of demand units.
        demand_units_assigned: demand units assigned to an open site.
        population: total population (persons).
        population_assigned: population of the assigned units (persons).
        mean_minutes_per_person: population-weighted mean minutes to the assigned site
            (NaN when nobody is assigned).
        max_minutes: largest minutes of an assigned unit (NaN when nobody is assigned).
        travel_source: where the travel times came from.
        verified: the plan passed the independent check.
        warning: why the solve is not proven ("" when it is).
    """

    problem: str
    status: str
    objective: float
    bound: float
    gap: float
    radius_minutes: float | None
    sites_open: int
    demand_units: int
    demand_units_assigned: int
    population: float
    population_assigned: float
    mean_minutes_per_person: float
    max_minutes: float
    travel_source: str
    verified: bool = True
    warning: str = ""

    @property
    def population_assigned_share(self) -> float:
        """Share of the population assigned to an open site (0..1; NaN for no population)."""
        return self.population_assigned / self.population if self.population else np.nan

    def to_frame(self) -> pd.DataFrame:
        """The summary as the two-column ``item, value`` table written to ``summary.csv``."""
        items = [
            ("problem", self.problem),
            ("status", self.status),
            ("objective", self.objective),
            ("bound", self.bound),
            ("gap", self.gap),
            ("radius_minutes", self.radius_minutes if self.radius_minutes is not None else ""),
            ("sites_open", self.sites_open),
            ("demand_units", self.demand_units),
            ("demand_units_assigned", self.demand_units_assigned),
            ("population", self.population),
            ("population_assigned", self.population_assigned),
            ("population_assigned_share", self.population_assigned_share),
            ("mean_minutes_per_person", self.mean_minutes_per_person),
            ("max_minutes", self.max_minutes),
            ("travel_source", self.travel_source),
            ("verified", "yes" if self.verified else "no"),
        ]
        if self.warning:
            items.append(("warning", self.warning))
        return pd.DataFrame(items, columns=["item", "value"])


@dataclass
class SitePlan:
    """A location plan as GIS layers.

    Attributes:
        result: the underlying solve.
        sites: one row per input site: ``site_id, name, kind, open, required, barred,
            n_assigned, population_served`` and the site geometry.
        assignments: one row per demand unit: ``demand_id, name, population, site_id,
            site_name, minutes`` (site_id empty and minutes NaN when unassigned) and the
            demand point.
        assignment_lines: one LineString per assigned demand unit, from the demand point to
            its site, with ``demand_id, site_id, minutes, population``.
        summary: the figures of the plan and the solve (``summary.to_frame()`` gives the
            ``item, value`` table of ``summary.csv``).
    """

    result: LocateResult
    sites: gpd.GeoDataFrame
    assignments: gpd.GeoDataFrame
    assignment_lines: gpd.GeoDataFrame
    summary: SiteSummary
