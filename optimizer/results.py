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
        details: model size and solver counters.
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
        summary: a two-column table ``item, value`` describing the plan and the solve.
    """

    result: LocateResult
    sites: gpd.GeoDataFrame
    assignments: gpd.GeoDataFrame
    assignment_lines: gpd.GeoDataFrame
    summary: pd.DataFrame
