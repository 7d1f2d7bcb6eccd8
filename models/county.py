"""The county plan: hubs, clinics, districts and staffing quotas in one sparse matrix model.

Notation (every set is sparse, built from reachable pairs only):

    I             demand units i (villages, communities) with population pop[i] (persons)
    J             sites j: existing facilities and candidates
    H ⊆ J         sites that may host a hub (county sub-centre; the county hospital is one)
    C ⊆ J         sites that may be a primary-care site (clinic or hub)
    NH[i], NC[i]  hubs / primary-care sites within the hub / clinic radius of i (minutes)
    D             district pairs (i, j), j in H, within the district travel limit
    S             service pairs (i, j), j in C, within the service travel limit
    T             staff types t (facility norms, pools; ``models.staffing``)

Variables:

    hub[j]        1 when site j is a hub (fixed 1 for existing hubs, 0 for barred)
    site[j]       1 when site j is open for primary care; a hub is one too (site >= hub)
    covh[i]       share of unit i within the hub radius of an open hub (targets by share)
    covc[i]       same for the clinic radius and open primary-care sites
    dist[i, j]    1 when unit i belongs to the district of hub j
    serve[i, j]   1 when unit i's primary care is at site j
    stay, move_in, hire, short [j, t]   staff of type t at site j kept, moved in, hired and
                  short of the need (persons; ``models.staffing``)

Constraints:

    site[j] >= hub[j]                                     a hub also serves as a clinic
    sum_{j in NH[i]} hub[j] >= 1          (hard hub target, units that can be reached)
    covh[i] <= sum_{j in NH[i]} hub[j];  sum pop covh >= share * pop(target units)
    (same two for clinics with site[j] and NC[i])
    sum_j dist[i, j] = 1,  dist[i, j] <= hub[j]             one district per unit
    sum_j serve[i, j] = 1, serve[i, j] <= site[j]           one primary-care site per unit
    (the "<= hub[j]" and "<= site[j]" rows of sites fixed open are left out)
    (1-b) P/K hub[j] <= sum_i pop[i] dist[i, j] <= (1+b) P/K hub[j]    balance, K hubs
    stay + move_in + hire + short >= need[j, t], moves balance, hires within the pools
    where need[j, t] = ratio[t] sum_i pop[i] serve[i,j]
                       + min_hub[t] hub[j] + min_clinic[t] (site[j] - hub[j])
    counts and new counts per level within their ranges; build cost <= budget

Stage objectives (solved in order, each keeping the earlier optima):

    coverage    max sum_i pop[i] (covh[i] + covc[i])      (share targets only)
    new_sites   min number of new hubs + new clinics
    cost        min build cost of new hubs and clinics (yuan)
    travel      min sum pop[i] minutes[i,j] (dist[i,j] + serve[i,j])   (person-minutes)
    shortfall   min sum_{j,t} short[j, t]                            (persons)
    hiring      min sum_{j,t} hire_cost[t] hire[j, t]                (yuan)
    moves       min sum_{j,t} move_in[j, t] + hire[j, t]             (persons placed)

With roaming (``models.roaming``), a village served by roaming (roam[i] = 1) counts as covered
at the clinic level (``+ roam[i]`` in the clinic coverage rows) and takes no primary-care
site (``sum_j serve[i, j] + roam[i] = 1``); the cost stage adds the vehicle-day cost.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from models.county_terms import STAGES, StaffRule
from models.matrix import MatrixModel, Terms, VariableBlock, yuan_scale
from models.pairs import CostPairs
from models.phasing import (
    PhasingColumns,
    PhasingInput,
    PlanColumns,
    add_phasing,
    coverage_reach,
)
from models.roaming import RoamingInput, add_roaming
from models.staffing import STAFF_BLOCKS, StaffingInput, add_staffing

__all__ = [
    "STAGES",
    "CountyInput",
    "CountyModel",
    "LevelTarget",
    "StaffRule",
    "build_county_model",
]


@dataclass
class LevelTarget:
    """Coverage target and counts for one level (hub or clinic).

    ``share`` None means every reachable unit must be within the radius; otherwise the
    least share (0..1) of the target population. ``count`` and ``new`` are inclusive
    (min, max) ranges of open and of newly opened sites at this level, None = free.
    """

    share: float | None = None
    count: tuple[int, int] | None = None
    new: tuple[int, int] | None = None


@dataclass
class CountyInput:
    """Everything the county model needs, as arrays over demand units and sites."""

    population: np.ndarray
    hub_pairs: CostPairs  # pairs within the hub radius, to hub-eligible sites
    clinic_pairs: CostPairs  # pairs within the clinic radius, to primary-care sites
    district_pairs: CostPairs  # pairs within the district limit, to hub-eligible sites
    service_pairs: CostPairs  # pairs within the service limit, to primary-care sites
    can_hub: np.ndarray
    can_clinic: np.ndarray
    existing_hub: np.ndarray
    existing_site: np.ndarray
    barred_hub: np.ndarray
    barred_site: np.ndarray
    hub_cost: np.ndarray  # yuan, paid when a site becomes a new hub
    clinic_cost: np.ndarray  # yuan, paid when a site opens as a new clinic
    hub_target: LevelTarget
    clinic_target: LevelTarget
    hub_target_units: np.ndarray  # units the hub coverage target applies to
    clinic_target_units: np.ndarray
    budget: float | None = None
    balance: float | None = None
    n_hubs: int | None = None  # fixed hub count, needed for balance
    staff: list[StaffRule] = field(default_factory=list)
    on_post: np.ndarray | None = None  # (staff types, sites): staff on post, persons
    roaming: RoamingInput | None = None
    phasing: PhasingInput | None = None  # openings phased over the plan period

    @property
    def n_sites(self) -> int:
        return int(self.can_hub.size)

    @property
    def staff_on_post(self) -> np.ndarray:
        """Staff on post per staff type and site (persons); zeros when none are given."""
        if self.on_post is not None:
            return self.on_post
        return np.zeros((len(self.staff), self.n_sites))


# Stages whose objective is maximised (the others are minimised).
MAXIMISED = ("coverage", "person_years")


@dataclass
class CountyModel:
    """The county plan as a matrix model, with one objective (cost per column) per stage.

    Blocks of ``matrix`` (columns in this order): ``hub`` (one per site of ``hub_sites``),
    ``site`` (one per site of ``site_sites``), with roaming ``drive`` (one per route of the
    pool) and ``roam`` (the column of each unit in ``roam_of``), ``cov_h`` / ``cov_c`` (one
    per unit of ``cov_units["h"]`` / ``["c"]``, share targets only), ``dist`` / ``serve``
    (one per district / service pair, in pair order), ``stay``, ``move_in``, ``hire`` and
    ``short`` (site-major: site ``site_sites[k]`` and the t-th staff type at
    ``k * len(staff_names) + t``).
    """

    matrix: MatrixModel
    objectives: dict[str, np.ndarray]
    build_cost: np.ndarray  # per column, yuan: the cost of the new hubs and clinics
    hub_sites: np.ndarray
    site_sites: np.ndarray
    cov_units: dict[str, np.ndarray]
    reach: dict[str, tuple[np.ndarray, np.ndarray]]  # (cov position, column) of reaching terms
    staff_names: list[str]
    need_rows: sp.csr_array  # staffing need rows: staff + short - need per site and type
    short_whole: np.ndarray  # per shortfall column, True when it counts whole posts
    roam_of: np.ndarray | None = None  # per demand unit, its roam column (-1: none)
    phasing: PhasingColumns | None = None  # the yearly openings, with [phases]
    offsets: dict[str, float] = field(default_factory=dict)  # constant part per stage

    def block(self, values: np.ndarray, name: str) -> np.ndarray:
        """The values of block ``name``."""
        return values[self.matrix.blocks[name].slice()]

    def plan_columns(self) -> np.ndarray:
        """The columns of everything but the staffing blocks (sites, assignments, coverage,
        roaming): fixed, they leave only who is hired and moved to settle."""
        staffing = np.zeros(self.matrix.n_cols, dtype=bool)
        for name in STAFF_BLOCKS:
            staffing[self.matrix.blocks[name].slice()] = True
        return np.flatnonzero(~staffing)

    def settled(self, values: np.ndarray) -> np.ndarray:
        """``values`` with every share-coverage indicator (and every yearly coverage column
        of a phased plan) set to whether the plan reaches its unit (a solve only needs
        enough indicators at 1 to meet its targets, so a plan from a later stage may cover
        more than its indicators say) and every shortfall to the need its site's staff
        leave unmet (a stage stopped early may leave more)."""
        out = values.copy()
        # a shortfall column only needs to cover the need not met; it is read as that
        gap = values[self.matrix.blocks["short"].slice()] - np.maximum(self.need_rows @ values, 0)
        gap = np.where(self.short_whole, np.ceil(gap - 1e-6), gap)  # whole posts: rounded up
        out[self.matrix.blocks["short"].slice()] = np.maximum(gap, 0.0)
        for tag in ("h", "c"):
            units = self.cov_units[tag]
            if units.size:
                rows, cols = self.reach[tag]
                reached = np.bincount(rows, weights=values[cols], minlength=units.size)
                out[self.matrix.blocks[f"cov_{tag}"].slice()] = (reached >= 0.5).astype(float)
        if self.phasing is not None:
            self.phasing.settle(out, self.matrix.blocks)
        return out


def build_county_model(data: CountyInput) -> CountyModel:
    """State the county plan as a matrix model with one objective per stage."""
    model = MatrixModel()
    pop = data.population.astype(float)
    hubs = np.flatnonzero(data.can_hub)
    prim = np.flatnonzero(data.can_clinic | data.can_hub)
    hub_open = data.existing_hub[hubs]
    hub = model.add_variables(
        "hub",
        hubs.size,
        lower=hub_open.astype(float),
        upper=np.where(data.barred_hub[hubs] & ~hub_open, 0.0, 1.0),
        integer=True,
    )
    site_open = data.existing_site[prim] | data.existing_hub[prim]
    site_barred = ~site_open & data.barred_site[prim] & ~data.can_hub[prim]
    site = model.add_variables(
        "site",
        prim.size,
        lower=site_open.astype(float),
        upper=np.where(site_barred, 0.0, 1.0),
        integer=True,
    )
    hub_of = _columns_of(hub, hubs, data.n_sites)
    site_of = _columns_of(site, prim, data.n_sites)
    hub_cols, site_cols = hub_of[hubs], site_of[prim]
    only_hub = data.barred_site[hubs] & ~data.existing_site[hubs]
    model.add_each("hub_is_site", [(site_of[hubs], 1.0), (hub_cols, -1.0)], lower=0.0)
    model.add_each(
        "no_clinic", [(site_of[hubs[only_hub]], 1.0), (hub_cols[only_hub], -1.0)], upper=0.0
    )

    roaming = add_roaming(model, data.roaming, site_of) if data.roaming is not None else None
    roam_of = roaming.roam_of if roaming is not None else None
    cov_units, reach = {}, {}
    for tag, pairs, col_of, target, units, roam in (
        ("h", data.hub_pairs, hub_of, data.hub_target, data.hub_target_units, None),
        ("c", data.clinic_pairs, site_of, data.clinic_target, data.clinic_target_units, roam_of),
    ):
        cov_units[tag], reach[tag] = _coverage(model, tag, pairs, col_of, target, units, pop, roam)

    # districts and primary care: every reachable unit assigned once, to an open site
    dist = _assignment(model, "dist", "one_district", data.district_pairs, None)
    _open_rows(model, "district_open", dist, data.district_pairs, hub_of, data.existing_hub)
    if data.balance is not None and data.n_hubs:
        mean = float(pop.sum()) / data.n_hubs
        pairs = data.district_pairs
        row_of = np.full(data.n_sites, -1, dtype=np.int64)
        row_of[hubs] = np.arange(hubs.size)
        for name, factor, bounds in (
            ("balance_hi", 1 + data.balance, {"upper": 0.0}),
            ("balance_lo", 1 - data.balance, {"lower": 0.0}),
        ):
            model.add_triples(
                name,
                hubs.size,
                np.concatenate([row_of[pairs.site], np.arange(hubs.size)]),
                np.concatenate([dist.index(np.arange(pairs.n_pairs)), hub_cols]),
                np.concatenate([pop[pairs.demand], np.full(hubs.size, -factor * mean)]),
                **bounds,
            )
    serve = _assignment(model, "serve", "one_site", data.service_pairs, roam_of)
    always_open = np.zeros(data.n_sites, dtype=bool)
    always_open[prim[site_open]] = True
    _open_rows(model, "serve_open", serve, data.service_pairs, site_of, always_open)

    # counts: open clinics are open sites that are not hubs; "new" counts what opens now
    new_hub, new_site = ~hub_open, ~site_open
    new_and_hub = prim[new_site & data.can_hub[prim]]
    new_hubs: Terms = [(hub_cols[new_hub], 1.0)]
    new_clinics: Terms = [(site_cols[new_site], 1.0), (hub_of[new_and_hub], -1.0)]
    build_cost: Terms = [
        (hub_cols[new_hub], data.hub_cost[hubs[new_hub]].astype(float)),
        (site_cols[new_site], data.clinic_cost[prim[new_site]].astype(float)),
        (hub_of[new_and_hub], -data.clinic_cost[new_and_hub].astype(float)),
    ]
    for name, terms, rng in (
        ("hub_count", [(hub_cols, 1.0)], data.hub_target.count),
        ("new_hubs", new_hubs, data.hub_target.new),
        ("clinic_count", [(site_cols, 1.0), (hub_cols, -1.0)], data.clinic_target.count),
        ("new_clinics", new_clinics, data.clinic_target.new),
    ):
        if rng is not None:
            model.add_sum(name, terms, lower=rng[0], upper=rng[1])
    if data.n_hubs is not None:
        model.add_sum("hub_number", [(hub_cols, 1.0)], lower=data.n_hubs, upper=data.n_hubs)
    if data.budget is not None:
        scale = yuan_scale(data.budget)
        scaled = [(cols, np.asarray(vals) / scale) for cols, vals in build_cost]
        model.add_sum("budget", scaled, upper=data.budget / scale)

    staffing = add_staffing(
        model,
        StaffingInput(
            data.staff,
            data.staff_on_post,
            always_open,
            data.service_pairs,
            **_crews(data, roaming.drive if roaming is not None else None),
        ),
        serve,
        site_of,
        hub_of,
        prim,
        pop,
    )

    phasing = None
    if data.phasing is not None:
        fixed_hub = np.zeros(data.n_sites, dtype=bool)
        fixed_hub[hubs[hub_open]] = True
        reaching = {
            "h": coverage_reach(data.hub_pairs, hub_of, fixed_hub, None),
            "c": coverage_reach(data.clinic_pairs, site_of, always_open, roam_of),
        }
        hires = _all(staffing.hire).reshape(-1, len(data.staff)) if data.staff else None
        phasing = add_phasing(
            model,
            data.phasing,
            _plan_columns(model, hub, site, build_cost, site_of[hubs], only_hub),
            reaching,
            [hires[:, t] for t in range(len(data.staff))] if hires is not None else [],
        )

    n = model.n_cols
    coverage = np.zeros(n)
    for tag in ("h", "c"):
        if cov_units[tag].size:
            coverage[model.blocks[f"cov_{tag}"].slice()] = pop[cov_units[tag]]
    cost = _dense(n, build_cost)
    travel = np.zeros(n)
    for block, pairs in ((dist, data.district_pairs), (serve, data.service_pairs)):
        travel[block.slice()] = pop[pairs.demand] * pairs.cost
    objectives = {
        "coverage": coverage,
        "new_sites": _dense(n, new_hubs + new_clinics),
        "cost": cost.copy(),
        "travel": travel,
        "shortfall": _dense(n, [(_all(staffing.short), 1.0)]),
        "hiring": _dense(n, [(_all(staffing.hire), staffing.hire_cost)]),
        "moves": _dense(n, [(_all(staffing.move_in), 1.0), (_all(staffing.hire), 1.0)]),
    }
    if roaming is not None:
        objectives["cost"][roaming.drive.slice()] += roaming.day_cost
    if phasing is not None:
        objectives["person_years"] = phasing.person_years
    return CountyModel(
        matrix=model,
        objectives=objectives,
        build_cost=cost,
        hub_sites=hubs,
        site_sites=prim,
        cov_units=cov_units,
        reach=reach,
        staff_names=[r.name for r in data.staff],
        need_rows=_widened(staffing.need_rows, n),
        short_whole=staffing.whole,
        roam_of=roam_of,
        phasing=phasing,
        offsets={"person_years": phasing.always} if phasing is not None else {},
    )


def _plan_columns(
    model: MatrixModel,
    hub: VariableBlock,
    site: VariableBlock,
    build_cost: Terms,
    site_of_hub: np.ndarray,
    only_hub: np.ndarray,
) -> PlanColumns:
    """The hub and site blocks (the model's first columns) as phasing copies them."""
    if hub.start != 0 or site.start != hub.size:
        raise ValueError("the hub and site blocks must be the model's first columns")
    size = hub.size + site.size
    (hub_lower, hub_upper), (site_lower, site_upper) = model.bounds(hub), model.bounds(site)
    return PlanColumns(
        lower=np.concatenate([hub_lower, site_lower]),
        upper=np.concatenate([hub_upper, site_upper]),
        cost=_dense(model.n_cols, build_cost)[:size],
        hub_cols=hub.index(np.arange(hub.size)),
        site_of_hub=site_of_hub,
        only_hub=only_hub,
    )


def _widened(rows: sp.csr_array, n_cols: int) -> sp.csr_array:
    """``rows`` over ``n_cols`` columns (columns added after them have no terms)."""
    return sp.csr_array((rows.data, rows.indices, rows.indptr), shape=(rows.shape[0], n_cols))


def _crews(data: CountyInput, drive: VariableBlock | None) -> dict:
    """The roaming crews' terms of the staffing input (none without roaming)."""
    if data.roaming is None or drive is None:
        return {}
    crew = np.array([data.roaming.crew.get(rule.name, 0.0) for rule in data.staff])
    return {
        "crew": crew,
        "drive": drive,
        "days": data.roaming.days,
        "vehicles": data.roaming.vehicles,
    }


def _all(block: VariableBlock) -> np.ndarray:
    """Every column of ``block``."""
    return block.index(np.arange(block.size))


def _columns_of(block: VariableBlock, sites: np.ndarray, n_sites: int) -> np.ndarray:
    """Per site, its column in ``block`` (one column per site of ``sites``; -1: none)."""
    out = np.full(n_sites, -1, dtype=np.int64)
    out[sites] = block.index(np.arange(sites.size))
    return out


def _dense(n_cols: int, terms: Terms) -> np.ndarray:
    """The terms as a vector over all columns (coefficients of a repeated column add up)."""
    out = np.zeros(n_cols)
    for cols, vals in terms:
        np.add.at(out, cols, vals)
    return out


def _spans(indptr: np.ndarray, units: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For demand ``units`` of pairs sliced by ``indptr``: (position of the unit in ``units``,
    pair index) of every pair of theirs, unit by unit."""
    starts = indptr[units]
    counts = indptr[units + 1] - starts
    first = np.cumsum(counts) - counts
    index = np.arange(int(counts.sum())) - np.repeat(first - starts, counts)
    return np.repeat(np.arange(units.size), counts), index


def _coverage(
    model: MatrixModel,
    tag: str,
    pairs: CostPairs,
    col_of: np.ndarray,
    target: LevelTarget,
    units: np.ndarray,
    pop: np.ndarray,
    roam_of: np.ndarray | None,
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """Hard or share coverage of ``units`` by the open sites of one level (``col_of``: each
    site's column) or by roaming (``roam_of``: each unit's roam column, -1 none). Returns the
    units with a coverage indicator (share targets) and the (position, column) of the terms
    reaching each."""
    units = np.asarray(units, dtype=np.int64)
    can = np.diff(pairs.indptr)[units] > 0
    if roam_of is not None:
        can |= roam_of[units] >= 0
    units = units[can]
    rows, index = _spans(pairs.indptr, units)
    cols = col_of[pairs.site[index]]
    if roam_of is not None:
        roams = np.flatnonzero(roam_of[units] >= 0)
        rows, cols = np.concatenate([rows, roams]), np.concatenate([cols, roam_of[units[roams]]])
    if target.share is None:
        model.add_triples(f"reach_{tag}", units.size, rows, cols, 1.0, lower=1.0)
        return np.zeros(0, dtype=np.int64), (rows[:0], cols[:0])
    cov = model.add_variables(f"cov_{tag}", units.size, upper=1.0)
    cov_cols = cov.index(np.arange(units.size))
    model.add_triples(
        f"reach_{tag}",
        units.size,
        np.concatenate([rows, np.arange(units.size)]),
        np.concatenate([cols, cov_cols]),
        np.concatenate([np.full(rows.size, -1.0), np.ones(units.size)]),
        upper=0.0,
    )
    if units.size:  # nobody a possible site reaches: the share target holds trivially
        wanted = float(target.share) * float(pop[units].sum())
        model.add_sum(f"share_{tag}", [(cov_cols, pop[units])], lower=wanted)
    return units, (rows, cols)


def _assignment(
    model: MatrixModel, name: str, row_name: str, pairs: CostPairs, roam_of: np.ndarray | None
) -> VariableBlock:
    """Binary assignment columns, one per pair, and one row per unit with pairs: its
    assignments (plus its roam column, if any) sum to 1."""
    block = model.add_variables(name, pairs.n_pairs, upper=1.0, integer=True)
    has = np.diff(pairs.indptr) > 0
    row_of = np.cumsum(has) - 1
    rows, cols = row_of[pairs.demand], block.index(np.arange(pairs.n_pairs))
    if roam_of is not None:
        roams = np.flatnonzero(has & (roam_of >= 0))
        rows, cols = np.concatenate([rows, row_of[roams]]), np.concatenate([cols, roam_of[roams]])
    model.add_triples(row_name, int(has.sum()), rows, cols, 1.0, lower=1.0, upper=1.0)
    return block


def _open_rows(
    model: MatrixModel,
    name: str,
    block: VariableBlock,
    pairs: CostPairs,
    col_of: np.ndarray,
    always_open: np.ndarray,
) -> None:
    """An assignment only to an open site: x[i, j] <= open[j], left out for sites that are
    ``always_open`` (fixed open)."""
    k = np.flatnonzero(~always_open[pairs.site])
    model.add_each(name, [(block.index(k), 1.0), (col_of[pairs.site[k]], -1.0)], upper=0.0)
