"""The county plan: hubs, clinics, districts and staffing quotas in one Pyomo model.

Notation (every set is sparse, built from reachable pairs only):

    I             demand units i (villages, communities) with population pop[i] (persons)
    J             sites j: existing facilities and candidates
    H ⊆ J         sites that may host a hub (county sub-centre; the county hospital is one)
    C ⊆ J         sites that may be a primary-care site (clinic or hub)
    NH[i], NC[i]  hubs / primary-care sites within the hub / clinic radius of i (minutes)
    D             district pairs (i, j), j in H, within the district travel limit
    S             service pairs (i, j), j in C, within the service travel limit
    T             staff types t with need ratio[t] (staff per person) and pool[t] (staff)

Variables:

    hub[j]        1 when site j is a hub (fixed 1 for existing hubs, 0 for barred)
    site[j]       1 when site j is open for primary care; a hub is one too (site >= hub)
    covh[i]       share of unit i within the hub radius of an open hub (targets by share)
    covc[i]       same for the clinic radius and open primary-care sites
    dist[i, j]    1 when unit i belongs to the district of hub j
    serve[i, j]   1 when unit i's primary care is at site j
    staff[j, t]   staff of type t at site j (persons, continuous)
    short[j, t]   shortfall of type t at site j (persons)

Constraints:

    site[j] >= hub[j]                                     a hub also serves as a clinic
    sum_{j in NH[i]} hub[j] >= 1          (hard hub target, units that can be reached)
    covh[i] <= sum_{j in NH[i]} hub[j];  sum pop covh >= share * pop(target units)
    (same two for clinics with site[j] and NC[i])
    sum_j dist[i, j] = 1,  dist[i, j] <= hub[j]             one district per unit
    sum_j serve[i, j] = 1, serve[i, j] <= site[j]           one primary-care site per unit
    (the "<= hub[j]" and "<= site[j]" rows of sites fixed open are left out)
    (1-b) P/K hub[j] <= sum_i pop[i] dist[i, j] <= (1+b) P/K hub[j]    balance, K hubs
    staff[j, t] + short[j, t] = need[j, t];   sum_j staff[j, t] <= pool[t]
    where need[j, t] = ratio[t] sum_i pop[i] serve[i,j]
                       + min_hub[t] hub[j] + min_clinic[t] (site[j] - hub[j])
    (closed sites need 0; short >= 0 keeps staff within need)
    counts and new counts per level within their ranges; build cost <= budget

Stage objectives (solved in order, each keeping the earlier optima):

    coverage    max sum_i pop[i] (covh[i] + covc[i])      (share targets only)
    new_sites   min number of new hubs + new clinics
    cost        min build cost of new hubs and clinics (yuan)
    travel      min sum pop[i] minutes[i,j] (dist[i,j] + serve[i,j])   (person-minutes)
    shortfall   min sum_{j,t} short[j, t]                            (persons)

With roaming (``models.roaming``), a village served by roaming (roam[i] = 1) counts as covered
at the clinic level (``+ roam[i]`` in the clinic coverage rows) and takes no primary-care
site (``sum_j serve[i, j] + roam[i] = 1``); the cost stage adds the vehicle-day cost.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyomo.environ as pyo

from models.county_terms import STAGES, StaffRule
from models.pairs import CostPairs
from models.roaming import RoamingInput, add_roaming

__all__ = [
    "STAGES",
    "CountyInput",
    "LevelTarget",
    "StaffRule",
    "build_county_model",
    "settle_coverage",
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
    roaming: RoamingInput | None = None

    @property
    def n_sites(self) -> int:
        return int(self.can_hub.size)


def _pairs_set(pairs: CostPairs) -> list[tuple[int, int]]:
    return list(zip(pairs.demand.tolist(), pairs.site.tolist(), strict=True))


def _by_demand(pairs: CostPairs) -> dict[int, list[int]]:
    site, ptr = pairs.site.tolist(), pairs.indptr.tolist()
    return {i: site[ptr[i] : ptr[i + 1]] for i in range(pairs.n_demand) if ptr[i + 1] > ptr[i]}


def _by_site(pairs: CostPairs) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for i, j in zip(pairs.demand.tolist(), pairs.site.tolist(), strict=True):
        out.setdefault(j, []).append(i)
    return out


def _always_open(var: pyo.Var) -> bool:
    """The site variable is fixed open (an existing site): rows bounding by it are void."""
    return bool(var.fixed and var.value == 1)


def build_county_model(data: CountyInput) -> pyo.ConcreteModel:
    """State the county plan as a Pyomo model with one Expression per stage objective."""
    m = pyo.ConcreteModel()
    pop = data.population.astype(float)
    total = float(pop.sum())
    hubs = np.flatnonzero(data.can_hub).tolist()
    prim = np.flatnonzero(data.can_clinic | data.can_hub).tolist()
    m.H = pyo.Set(initialize=hubs)
    m.C = pyo.Set(initialize=prim)
    m.hub = pyo.Var(m.H, domain=pyo.Binary)
    m.site = pyo.Var(m.C, domain=pyo.Binary)
    for j in hubs:
        if data.existing_hub[j]:
            m.hub[j].fix(1)
        elif data.barred_hub[j]:
            m.hub[j].fix(0)
    for j in prim:
        if data.existing_site[j] or data.existing_hub[j]:
            m.site[j].fix(1)
        elif data.barred_site[j] and not data.can_hub[j]:
            m.site[j].fix(0)
    m.hub_is_site = pyo.Constraint(m.H, rule=lambda m, j: m.site[j] >= m.hub[j])
    barred_clinic_only = [j for j in hubs if data.barred_site[j] and not data.existing_site[j]]
    m.no_clinic = pyo.Constraint(barred_clinic_only, rule=lambda m, j: m.site[j] <= m.hub[j])

    roam: dict[int, pyo.Var] = {}
    if data.roaming is not None:
        add_roaming(m, data.roaming)
        roam = {i: m.roam[i] for i in m.RV}
    _coverage(m, "h", data.hub_pairs, m.hub, data.hub_target, data.hub_target_units, pop)
    _coverage(
        m, "c", data.clinic_pairs, m.site, data.clinic_target, data.clinic_target_units, pop, roam
    )

    # districts: every reachable unit in exactly one hub's district
    m.D = pyo.Set(dimen=2, initialize=_pairs_set(data.district_pairs))
    m.dist = pyo.Var(m.D, domain=pyo.Binary)
    d_of = _by_demand(data.district_pairs)
    m.one_district = pyo.Constraint(
        list(d_of), rule=lambda m, i: sum(m.dist[i, j] for j in d_of[i]) == 1
    )
    m.district_open = pyo.Constraint(
        [(i, j) for i, j in m.D if not _always_open(m.hub[j])],
        rule=lambda m, i, j: m.dist[i, j] <= m.hub[j],
    )
    district_of = _by_site(data.district_pairs)
    m.district_pop = pyo.Expression(
        m.H, rule=lambda m, j: sum(pop[i] * m.dist[i, j] for i in district_of.get(j, []))
    )
    if data.balance is not None and data.n_hubs:
        mean = total / data.n_hubs
        m.balance_hi = pyo.Constraint(
            m.H, rule=lambda m, j: m.district_pop[j] <= (1 + data.balance) * mean * m.hub[j]
        )
        m.balance_lo = pyo.Constraint(
            m.H, rule=lambda m, j: m.district_pop[j] >= (1 - data.balance) * mean * m.hub[j]
        )

    # primary care: every reachable unit served by exactly one open site
    m.S = pyo.Set(dimen=2, initialize=_pairs_set(data.service_pairs))
    m.serve = pyo.Var(m.S, domain=pyo.Binary)
    s_of = _by_demand(data.service_pairs)
    m.one_site = pyo.Constraint(
        list(s_of), rule=lambda m, i: sum(m.serve[i, j] for j in s_of[i]) + roam.get(i, 0) == 1
    )
    m.serve_open = pyo.Constraint(
        [(i, j) for i, j in m.S if not _always_open(m.site[j])],
        rule=lambda m, i, j: m.serve[i, j] <= m.site[j],
    )
    served_by = _by_site(data.service_pairs)
    m.served_pop = pyo.Expression(
        m.C, rule=lambda m, j: sum(pop[i] * m.serve[i, j] for i in served_by.get(j, []))
    )

    _counts(m, data, hubs, prim)
    _staffing(m, data)

    dist_min = dict(
        zip(_pairs_set(data.district_pairs), data.district_pairs.cost.tolist(), strict=True)
    )
    serve_min = dict(
        zip(_pairs_set(data.service_pairs), data.service_pairs.cost.tolist(), strict=True)
    )
    m.stage_travel = pyo.Expression(
        expr=sum(pop[i] * c * m.dist[i, j] for (i, j), c in dist_min.items())
        + sum(pop[i] * c * m.serve[i, j] for (i, j), c in serve_min.items())
    )
    m.stage_coverage = pyo.Expression(
        expr=sum(pop[i] * m.cov_h[i] for i in m.cov_h_units)
        + sum(pop[i] * m.cov_c[i] for i in m.cov_c_units)
    )
    return m


def settle_coverage(m: pyo.ConcreteModel) -> None:
    """Set every share-coverage indicator to whether the loaded plan reaches its unit: a
    solve only needs enough indicators at 1 to meet its targets, so a plan from a later
    stage may cover more than its indicators say."""
    for tag in ("h", "c"):
        cov = getattr(m, f"cov_{tag}")
        reach = getattr(m, f"reach_{tag}")
        for i in getattr(m, f"cov_{tag}_units"):
            cov[i].set_value(1.0 if pyo.value(reach[i].expr.args[1]) >= 0.5 else 0.0)


def _coverage(m, tag, pairs, var, target: LevelTarget, units: np.ndarray, pop, roam=None) -> None:
    """Hard or share coverage of ``units`` by the open sites of one level (or by roaming,
    for the units in ``roam``)."""
    roam = roam or {}
    near = _by_demand(pairs)
    units = [int(i) for i in units if int(i) in near or int(i) in roam]

    def reach(i):
        return sum(var[j] for j in near.get(i, [])) + roam.get(i, 0)

    setattr(m, f"cov_{tag}_units", pyo.Set(initialize=units if target.share is not None else []))
    cov_units = getattr(m, f"cov_{tag}_units")
    setattr(m, f"cov_{tag}", pyo.Var(cov_units, bounds=(0, 1)))
    cov = getattr(m, f"cov_{tag}")
    if target.share is None:
        setattr(
            m,
            f"reach_{tag}",
            pyo.Constraint(units, rule=lambda m, i: reach(i) >= 1),
        )
        return
    setattr(
        m,
        f"reach_{tag}",
        pyo.Constraint(cov_units, rule=lambda m, i: cov[i] <= reach(i)),
    )
    if not units:  # nobody a possible site reaches: the share target holds trivially
        return
    wanted = float(target.share) * float(pop[np.asarray(units, dtype=int)].sum())
    setattr(
        m, f"share_{tag}", pyo.Constraint(expr=sum(pop[i] * cov[i] for i in cov_units) >= wanted)
    )


def _counts(m, data: CountyInput, hubs: list[int], prim: list[int]) -> None:
    new_hub = [j for j in hubs if not data.existing_hub[j]]
    new_site = [j for j in prim if not (data.existing_site[j] or data.existing_hub[j])]
    hub_count = sum(m.hub[j] for j in hubs)
    new_hubs = sum(m.hub[j] for j in new_hub)
    # a new clinic is a newly opened primary-care site that is not a hub
    new_clinics = sum(m.site[j] - (m.hub[j] if j in m.H else 0) for j in new_site)
    clinic_count = sum(m.site[j] - (m.hub[j] if j in m.H else 0) for j in prim)
    m.stage_new_sites = pyo.Expression(expr=new_hubs + new_clinics)
    m.build_cost = pyo.Expression(
        expr=sum(float(data.hub_cost[j]) * m.hub[j] for j in new_hub)
        + sum(
            float(data.clinic_cost[j]) * (m.site[j] - (m.hub[j] if j in m.H else 0))
            for j in new_site
        )
    )
    roaming_cost = m.stage_roaming_cost if data.roaming is not None else 0.0
    m.stage_cost = pyo.Expression(expr=m.build_cost + roaming_cost)
    m.counts = pyo.ConstraintList()
    for expr, rng in (
        (hub_count, data.hub_target.count),
        (new_hubs, data.hub_target.new),
        (clinic_count, data.clinic_target.count),
        (new_clinics, data.clinic_target.new),
    ):
        if rng is not None:
            m.counts.add(pyo.inequality(rng[0], expr, rng[1]))
    if data.n_hubs is not None:
        m.counts.add(hub_count == data.n_hubs)
    if data.budget is not None:
        # divided by a power of ten: yuan amounts near 1e9 make a badly scaled row for HiGHS
        scale = 10.0 ** max(0, int(np.log10(max(data.budget, 1.0))) - 3)
        m.counts.add(m.build_cost / scale <= data.budget / scale)


def _staffing(m, data: CountyInput) -> None:
    rules = {r.name: r for r in data.staff}
    m.T = pyo.Set(initialize=list(rules))
    m.staff = pyo.Var(m.C, m.T, domain=pyo.NonNegativeReals)
    m.short = pyo.Var(m.C, m.T, domain=pyo.NonNegativeReals)

    def need(m, j, t):
        r = rules[t]
        level_min = r.min_clinic * m.site[j]
        if j in m.H:
            level_min = level_min + (r.min_hub - r.min_clinic) * m.hub[j]
        return r.per_person * m.served_pop[j] + level_min

    m.staff_need = pyo.Expression(m.C, m.T, rule=need)
    m.staff_met = pyo.Constraint(
        m.C, m.T, rule=lambda m, j, t: m.staff[j, t] + m.short[j, t] == m.staff_need[j, t]
    )
    finite = [t for t in rules if np.isfinite(rules[t].pool)]
    m.staff_pool = pyo.Constraint(
        finite, rule=lambda m, t: sum(m.staff[j, t] for j in m.C) <= rules[t].pool
    )
    m.stage_shortfall = pyo.Expression(expr=sum(m.short[j, t] for j in m.C for t in m.T))
