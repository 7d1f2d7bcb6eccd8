"""Openings phased over the plan period, added to the county model.

Notation (added to the county model's), for the years y = 1..T of the period:

    x[j, y]        1 when site j is open at its level by the end of year y, for the hub and
                   site columns of the county model; x[j, T] is the county model's own column
                   (the final year's plan)
    c[j]           build cost of column j when it opens (yuan; the county model's build cost)
    B[y]           budget of year y (yuan)
    cov[i, y]      share of unit i within the level's radius of a site open in year y, per
                   level (hub, clinic); units an always-open site reaches need none
    pop[i, y]      population of unit i in year y (persons)

Constraints:

    x[j, y] <= x[j, y + 1]                              what opens stays open
    x_site[j, y] >= x_hub[j, y]                         a hub is also a primary-care site
    x_site[j, y] <= x_hub[j, y]  (sites that may only be hubs)
    sum_j c[j] (x[j, y] - x[j, y - 1]) <= B[y]          spending of year y (x[j, 0] = 0)
    cov[i, y] <= sum_{j within the radius} x[j, y] (+ roam[i] for the clinic level)
    sum_{j} hire[j, t] <= sum_y hires[t, y]              hires within the yearly caps

Stage objective ``person_years``: max sum_{i, y} pop[i, y] (covh[i, y] + covc[i, y]), the
persons within each level's radius, summed over the years (person-years; the units
always-open sites reach add a constant).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.matrix import MatrixModel, VariableBlock, yuan_scale
from models.pairs import CostPairs


@dataclass
class PhasingInput:
    """The plan period's years as arrays: ``population`` (years x demand units, persons),
    ``budget`` (yuan per year, inf: no yearly limit) and ``hires`` (per staff type of the
    county model, the most hires over the period, persons; inf: no limit)."""

    population: np.ndarray
    budget: np.ndarray
    hires: np.ndarray

    @property
    def n_years(self) -> int:
        return int(self.budget.size)


@dataclass
class PlanColumns:
    """The county model's site columns that phasing copies per year: the hub block
    followed by the site block (columns ``0 .. n - 1``), their bounds, per hub its site
    column and the hubs that may not be clinics only."""

    lower: np.ndarray
    upper: np.ndarray
    cost: np.ndarray  # yuan per column, paid when the column opens
    hub_cols: np.ndarray
    site_of_hub: np.ndarray  # per hub column, the site column of the same site
    only_hub: np.ndarray  # per hub column, True when its site may not be a clinic only

    @property
    def size(self) -> int:
        return int(self.lower.size)


@dataclass
class Reach:
    """Per level, the units whose coverage may change over the years and the terms reaching
    them: (position of the unit, plan column) pairs, plus the unit's roam column or -1; and
    the units an always-open site reaches."""

    units: np.ndarray
    rows: np.ndarray
    cols: np.ndarray
    always: np.ndarray
    roam: np.ndarray | None = None


@dataclass
class PhasingColumns:
    """The phasing blocks: ``opened`` (year-major, one copy of the plan columns per year
    but the last), per level tag ``phase_cov_<tag>`` (year-major over
    ``reach[tag].units``) and the ``person_years`` objective over every column of the model,
    with ``always``, the person-years of the units always-open sites reach."""

    opened: VariableBlock
    n_years: int
    plan_size: int
    reach: dict[str, Reach]
    person_years: np.ndarray
    always: float = 0.0

    def column(self, year: int, plan_cols: np.ndarray) -> np.ndarray:
        """The columns standing for ``plan_cols`` in year position ``year`` (0-based; the
        last year is the plan's own columns)."""
        if year == self.n_years - 1:
            return plan_cols
        return self.opened.index(year * self.plan_size + plan_cols)

    def settle(self, values: np.ndarray, blocks: dict[str, VariableBlock]) -> None:
        """Set, in place, every yearly coverage column of ``values`` to whether the plan
        reaches its unit that year (a later stage may leave it lower within the held
        slack); ``blocks`` are the model's blocks."""
        for tag, level in self.reach.items():
            n = level.units.size
            cov = blocks[f"phase_cov_{tag}"]
            for y in range(self.n_years):
                reached = np.bincount(
                    level.rows, weights=values[self.column(y, level.cols)], minlength=n
                )
                if level.roam is not None:
                    roams = np.flatnonzero(level.roam >= 0)
                    reached[roams] += values[level.roam[roams]]
                values[cov.index(y * n + np.arange(n))] = (reached >= 0.5).astype(float)

    def years_open(self, values: np.ndarray) -> np.ndarray:
        """Per plan column, the first year position it is open in ``values`` (n_years when
        it is not open in the last year either)."""
        open_by = np.stack(
            [values[self.column(y, np.arange(self.plan_size))] > 0.5 for y in range(self.n_years)]
        )
        first = np.argmax(open_by, axis=0)
        return np.where(open_by.any(axis=0), first, self.n_years)


def coverage_reach(
    pairs: CostPairs, col_of: np.ndarray, fixed: np.ndarray, roam_of: np.ndarray | None
) -> Reach:
    """The units ``pairs`` reach whose coverage depends on the plan (no always-open site,
    ``fixed``, within reach), with their (position, plan column) terms; ``col_of`` gives each
    site's plan column and ``roam_of`` each unit's roam column (-1: none)."""
    n_units = pairs.indptr.size - 1
    always = np.zeros(n_units, dtype=bool)
    always[pairs.demand[fixed[pairs.site]]] = True
    reached = np.zeros(n_units, dtype=bool)
    reached[pairs.demand] = True
    if roam_of is not None:
        reached |= roam_of >= 0
    units = np.flatnonzero(reached & ~always)
    position = np.full(n_units, -1, dtype=np.int64)
    position[units] = np.arange(units.size)
    keep = position[pairs.demand] >= 0
    roam = roam_of[units] if roam_of is not None else None
    rows, cols = position[pairs.demand[keep]], col_of[pairs.site[keep]]
    return Reach(units, rows, cols, np.flatnonzero(always), roam)


def add_phasing(
    model: MatrixModel,
    data: PhasingInput,
    plan: PlanColumns,
    reach: dict[str, Reach],
    hire_cols: list[np.ndarray],
) -> PhasingColumns:
    """Add the yearly copies of the plan columns, the spending, coverage and hiring rows;
    ``hire_cols`` lists per staff type its hire columns."""
    n_years, size = data.n_years, plan.size
    opened = model.add_variables(
        "opened",
        (n_years - 1) * size,
        lower=np.tile(plan.lower, n_years - 1),
        upper=np.tile(plan.upper, n_years - 1),
        integer=True,
    )
    columns = PhasingColumns(opened, n_years, size, reach, np.zeros(0))
    free = np.flatnonzero(plan.lower < plan.upper)
    for y in range(n_years - 1):
        now, then = columns.column(y, free), columns.column(y + 1, free)
        model.add_each(f"stays_open_{y}", [(now, 1.0), (then, -1.0)], upper=0.0)
        hubs = columns.column(y, plan.hub_cols)
        sites = columns.column(y, plan.site_of_hub)
        model.add_each(f"hub_is_site_{y}", [(sites, 1.0), (hubs, -1.0)], lower=0.0)
        only = plan.only_hub
        model.add_each(f"no_clinic_{y}", [(sites[only], 1.0), (hubs[only], -1.0)], upper=0.0)
    paid = np.flatnonzero(plan.cost)
    if paid.size:
        scale = yuan_scale(float(plan.cost.max()))
        for y in np.flatnonzero(np.isfinite(data.budget)):
            terms = [(columns.column(y, paid), plan.cost[paid] / scale)]
            if y > 0:
                terms.append((columns.column(y - 1, paid), -plan.cost[paid] / scale))
            model.add_sum(f"spending_{y}", terms, upper=float(data.budget[y]) / scale)
    for t, cols in enumerate(hire_cols):
        if np.isfinite(data.hires[t]) and cols.size:
            model.add_sum(f"hire_cap_{t}", [(cols, 1.0)], upper=float(data.hires[t]))
    weights = []
    for tag, level in reach.items():
        n = level.units.size
        cov = model.add_variables(f"phase_cov_{tag}", n_years * n, upper=1.0)
        for y in range(n_years):
            own = cov.index(y * n + np.arange(n))
            rows = [level.rows, np.arange(n)]
            cols = [columns.column(y, level.cols), own]
            vals = [np.full(level.rows.size, -1.0), np.ones(n)]
            if level.roam is not None:
                roams = np.flatnonzero(level.roam >= 0)
                rows.append(roams)
                cols.append(level.roam[roams])
                vals.append(np.full(roams.size, -1.0))
            model.add_triples(
                f"phase_reach_{tag}_{y}",
                n,
                np.concatenate(rows),
                np.concatenate(cols),
                np.concatenate(vals),
                upper=0.0,
            )
        weights.append((cov, data.population[:, level.units].reshape(-1)))
    objective = np.zeros(model.n_cols)
    for cov, pop in weights:
        objective[cov.slice()] = pop
    columns.person_years = objective
    columns.always = float(sum(data.population[:, r.always].sum() for r in reach.values()))
    return columns
