"""Staffing in the county model: staff on post kept or moved, hires and shortfall per site.

Notation (added to the county model's), per staff type t and primary-care site j:

    e[j, t]        staff on post (persons)
    need[j, t]     ratio[t] sum_i pop[i] serve[i, j] + min_hub[t] hub[j]
                   + min_clinic[t] (site[j] - hub[j])                    (persons; 0 if closed)
    stay[j, t]     staff on post who stay: e - floor(max_transfer[t] e) <= stay <= e
    move_in[j, t]  staff moved in from other sites
    hire[j, t]     staff hired
    short[j, t]    shortfall against the need (persons)

stay, move_in, hire and short are whole persons unless the type counts full-time
equivalents: a need of 3.2 posts then takes 4, or is 1 short with 3.

Constraints:

    stay + move_in + hire + short >= need                 the need met or reported short
    move_in + hire <= M[j, t] site[j]                     only open sites take staff; M is
                                                          the most the site could need
    sum_j move_in[j, t] = sum_j (e[j, t] - stay[j, t])    every move lands at a site
    sum_j hire[j, t] <= pool[t] - staff on post anywhere  hires within the pool

With roaming crews (crew[t] persons per vehicle) the crews are one more cell, with no one
on post and the need crew[t] v, where v, the vehicles in service, is whole and
sum_r drive[r] / days <= v <= sum_r drive[r] (a vehicle drives at most every day).

Stage objectives: ``shortfall`` min sum short (persons); then, with the sites and
assignments fixed, ``hiring`` min sum hire_cost[t] hire (yuan) and ``moves`` min sum
move_in + hire (persons placed), so no site takes staff beyond its need.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from models.county_terms import StaffRule
from models.matrix import MatrixModel, VariableBlock
from models.pairs import CostPairs

# The blocks this module adds.
STAFF_BLOCKS = ("stay", "move_in", "hire", "short", "in_service")


@dataclass
class StaffingInput:
    """Staff rules and who is on post, over the county model's sites.

    ``on_post[t]`` is the staff of the t-th rule on post per site (persons); ``fixed_open``
    marks sites open in every plan; ``service_pairs`` are the primary-care pairs whose
    ``serve`` columns carry the population served.
    """

    rules: list[StaffRule]
    on_post: np.ndarray  # (types, sites), persons
    fixed_open: np.ndarray
    service_pairs: CostPairs
    crew: np.ndarray | None = None  # per type, persons per roaming vehicle in service
    drive: VariableBlock | None = None  # the roaming route-day columns
    days: int = 1  # working days of a vehicle per cycle
    vehicles: int = 0  # the roaming fleet

    @property
    def has_crews(self) -> bool:
        return self.crew is not None and bool(self.crew.any()) and self.drive is not None


@dataclass
class StaffingColumns:
    """The staffing blocks (site-major: site ``prim[k]`` and type t at ``k * types + t``;
    with roaming crews one more cell after the sites, the crews) and the stage objectives'
    terms."""

    stay: VariableBlock
    move_in: VariableBlock
    hire: VariableBlock
    short: VariableBlock
    hire_cost: np.ndarray  # per hire column, yuan
    # the need rows over every column: stay + move_in + hire + short - need (>= 0)
    need_rows: sp.csr_array
    whole: np.ndarray  # per cell (site-major), True when the type counts whole posts


def add_staffing(
    model: MatrixModel,
    data: StaffingInput,
    serve: VariableBlock,
    site_of: np.ndarray,
    hub_of: np.ndarray,
    prim: np.ndarray,
    pop: np.ndarray,
) -> StaffingColumns:
    """Add the staffing blocks and rows for the primary-care sites ``prim`` (site and hub
    columns ``site_of``, ``hub_of`` per site; ``pop`` persons per demand unit)."""
    n_types, n = len(data.rules), prim.size
    cells = n + int(data.has_crews)  # the sites, then the crews
    on_post = np.zeros(cells * n_types)
    on_post[: n * n_types] = data.on_post[:, prim].T.reshape(-1)  # site-major
    whole = np.tile([rule.whole for rule in data.rules], cells)
    share = np.tile([rule.max_transfer for rule in data.rules], cells)
    movable = np.where(whole, np.floor(share * on_post + 1e-9), share * on_post)
    size = cells * n_types
    stay = model.add_variables("stay", size, lower=on_post - movable, upper=on_post, integer=whole)
    move_in = model.add_variables("move_in", size, integer=whole)
    hire = model.add_variables("hire", size, integer=whole)
    short = model.add_variables("short", size, integer=whole)
    in_service = model.add_variables(
        "in_service", int(data.has_crews), upper=float(data.vehicles), integer=True
    )

    pairs = data.service_pairs
    position = np.full(site_of.size, -1, dtype=np.int64)
    position[prim] = np.arange(n)
    at_hub = np.flatnonzero(hub_of[prim] >= 0)
    reach_pop = np.bincount(position[pairs.site], weights=pop[pairs.demand], minlength=n)
    cell = np.arange(n)
    rows, cols, vals = [], [], []
    for t, rule in enumerate(data.rules):
        base = cell * n_types + t
        rows += [base, base, base, base, position[pairs.site] * n_types + t, base, base[at_hub]]
        cols += [
            stay.index(base),
            move_in.index(base),
            hire.index(base),
            short.index(base),
            serve.index(np.arange(pairs.n_pairs)),
            site_of[prim],
            hub_of[prim[at_hub]],
        ]
        vals += [
            np.ones(n),
            np.ones(n),
            np.ones(n),
            np.ones(n),
            -rule.per_person * pop[pairs.demand],
            np.full(n, -rule.min_clinic),
            np.full(at_hub.size, -(rule.min_hub - rule.min_clinic)),
        ]
        if data.has_crews:  # the crews' cell: crew x vehicles in service
            k = np.array([n * n_types + t])
            rows += [k, k, k, k, k]
            cols += [stay.index(k), move_in.index(k), hire.index(k), short.index(k)]
            cols += [in_service.index(np.zeros(1, dtype=np.int64))]
            vals += [np.ones(1)] * 4 + [np.array([-float(data.crew[t])])]
    need_rows = sp.csr_array((size, model.n_cols))
    if rows:
        r, c, v = _joined(rows, cols, vals)
        model.add_triples("staff_need", size, r, c, v, lower=0.0)
        need_rows = sp.csr_array((v, (r, c)), shape=need_rows.shape)

    # only an open site takes staff: at most what it could need
    closable = np.flatnonzero(~data.fixed_open[prim])
    rows, cols, vals = [], [], []
    for t, rule in enumerate(data.rules):
        most = np.ceil(rule.per_person * reach_pop[closable] + max(rule.min_hub, rule.min_clinic))
        base = closable * n_types + t
        k = np.arange(closable.size) * n_types + t
        rows += [k, k, k]
        cols += [move_in.index(base), hire.index(base), site_of[prim[closable]]]
        vals += [np.ones(closable.size), np.ones(closable.size), -most]
    if rows:
        model.add_triples(
            "staff_open", closable.size * n_types, *_joined(rows, cols, vals), upper=0.0
        )

    if data.has_crews:  # a vehicle in service drives on some day, at most every day
        driven = data.drive.index(np.arange(data.drive.size))
        v = in_service.index(np.zeros(1, dtype=np.int64))
        model.add_sum("in_service_days", [(v, float(data.days)), (driven, -1.0)], lower=0.0)
        model.add_sum("in_service_driven", [(v, 1.0), (driven, -1.0)], upper=0.0)
    every = np.arange(cells)
    for t, rule in enumerate(data.rules):
        base = every * n_types + t
        moved = [(move_in.index(base), 1.0), (stay.index(base), 1.0)]
        model.add_sum(
            f"staff_moves_{rule.name}",
            moved,
            lower=on_post[base].sum(),
            upper=on_post[base].sum(),
        )
        if np.isfinite(rule.pool):
            room = rule.pool - float(data.on_post[t].sum())
            model.add_sum(f"staff_pool_{rule.name}", [(hire.index(base), 1.0)], upper=room)
    hire_cost = np.tile([rule.hire_cost for rule in data.rules], cells).astype(float)
    return StaffingColumns(stay, move_in, hire, short, hire_cost, need_rows, whole)


def _joined(*parts: list[np.ndarray]) -> tuple[np.ndarray, ...]:
    """Each list of arrays as one array."""
    return tuple(np.concatenate(part) for part in parts)
