"""Textbook Pyomo statements of the classic location models, over reachable pairs only.

These are the readable reference formulations: each function returns a ``ConcreteModel``
whose sets, parameters, variables and constraints follow the mathematics in its docstring.
They share no code with the fast matrix models (``models.covering``, ``models.median``,
``models.facility``) and so serve as an independent second statement of each problem.

Common notation (every set is sparse, built from a ``CostPairs``):

    I            demand units i (villages, communities), 0..n_demand-1
    J            candidate sites j, 0..n_sites-1
    P            reachable pairs (i, j), i.e. the pairs listed in ``pairs``
    N[i]         sites that reach demand unit i (within the radius, for covering models)
    c[i, j]      cost of pair (i, j) in the caller's unit (minutes, km, yuan)
    w[i]         weight of demand unit i (persons)
    y[j]         1 when site j is open (binary); fixed at 1 for required, 0 for barred sites

A demand unit that no site reaches gets ``Constraint.Infeasible`` wherever the model needs
it served, so solving reports the model infeasible rather than silently dropping the unit.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyomo.environ as pyo

from models.pairs import CostPairs

Sites = Sequence[int] | np.ndarray


def _sites_of(pairs: CostPairs) -> dict[int, list[int]]:
    """N[i]: the sites listed for each demand unit (in cost order)."""
    site = pairs.site.tolist()
    ptr = pairs.indptr.tolist()
    return {i: site[ptr[i] : ptr[i + 1]] for i in range(pairs.n_demand)}


def _demands_of(pairs: CostPairs) -> dict[int, list[int]]:
    """The demand units listed for each site."""
    order = np.argsort(pairs.site, kind="stable")
    counts = np.bincount(pairs.site, minlength=pairs.n_sites)
    ptr = np.concatenate([[0], np.cumsum(counts)]).tolist()
    demand = pairs.demand[order].tolist()
    return {j: demand[ptr[j] : ptr[j + 1]] for j in range(pairs.n_sites)}


def _site_model(pairs: CostPairs, required: Sites, barred: Sites) -> pyo.ConcreteModel:
    """Sets I and J and the binary site variables y, with required and barred sites fixed."""
    required = np.asarray(required, dtype=np.int64)
    barred = np.asarray(barred, dtype=np.int64)
    both = np.intersect1d(required, barred)
    if both.size:
        raise ValueError(f"site {int(both[0])} is both required and barred; choose one")
    model = pyo.ConcreteModel()
    model.I = pyo.Set(initialize=range(pairs.n_demand))
    model.J = pyo.Set(initialize=range(pairs.n_sites))
    model.y = pyo.Var(model.J, domain=pyo.Binary)
    for j in required.tolist():
        model.y[j].fix(1)
    for j in barred.tolist():
        model.y[j].fix(0)
    return model


def _add_pairs(model: pyo.ConcreteModel, pairs: CostPairs) -> None:
    """Set P of reachable pairs, the cost parameter c and the neighbourhoods N[i]."""
    keys = list(zip(pairs.demand.tolist(), pairs.site.tolist(), strict=True))
    model.P = pyo.Set(dimen=2, initialize=keys)
    model.c = pyo.Param(model.P, initialize=dict(zip(keys, pairs.cost.tolist(), strict=True)))
    model.N = pyo.Set(model.I, initialize=_sites_of(pairs))


def _add_weights(model: pyo.ConcreteModel, weights: np.ndarray) -> None:
    """w[i]: weight of demand unit i (persons)."""
    w = np.asarray(weights, dtype=float)
    model.w = pyo.Param(model.I, initialize=dict(enumerate(w.tolist())))


def _add_count(model: pyo.ConcreteModel, p: int) -> None:
    """Open exactly p sites."""
    model.p = pyo.Param(initialize=int(p))
    model.count = pyo.Constraint(expr=pyo.quicksum(model.y[j] for j in model.J) == model.p)


def _add_assignment(model: pyo.ConcreteModel, units: pyo.Set, *, integer: bool) -> None:
    """x[i, j]: share of unit i served by site j; serve each unit in full from open sites."""
    model.x = pyo.Var(model.P, domain=pyo.Binary if integer else pyo.UnitInterval)

    def serve(m, i):
        if not m.N[i]:
            return pyo.Constraint.Infeasible
        return pyo.quicksum(m.x[i, j] for j in m.N[i]) == 1

    model.serve = pyo.Constraint(units, rule=serve)
    model.link = pyo.Constraint(model.P, rule=lambda m, i, j: m.x[i, j] <= m.y[j])


def lscp(
    pairs: CostPairs,
    *,
    radius: float,
    fixed_costs: np.ndarray | None = None,
    required: Sites = (),
    barred: Sites = (),
) -> pyo.ConcreteModel:
    """Location set covering: the cheapest set of sites that covers every demand unit.

        min  sum_j f_j y_j
        s.t. sum_{j in N[i]} y_j >= 1      for every i in I  (N[i] = {j : c_ij <= radius})
             y_j in {0, 1}

    ``radius`` is in cost units; ``fixed_costs`` f_j (money, default 1 each: fewest sites).
    Objective: total fixed cost of the open sites, required ones included.
    """
    model = _site_model(pairs, required, barred)
    f = np.ones(pairs.n_sites) if fixed_costs is None else np.asarray(fixed_costs, dtype=float)
    model.f = pyo.Param(model.J, initialize=dict(enumerate(f.tolist())))
    model.N = pyo.Set(model.I, initialize=_sites_of(pairs.within(radius)))

    def cover(m, i):
        if not m.N[i]:
            return pyo.Constraint.Infeasible
        return pyo.quicksum(m.y[j] for j in m.N[i]) >= 1

    model.cover = pyo.Constraint(model.I, rule=cover)
    model.objective = pyo.Objective(expr=pyo.quicksum(model.f[j] * model.y[j] for j in model.J))
    return model


def mclp(
    pairs: CostPairs,
    weights: np.ndarray,
    *,
    radius: float,
    p: int,
    required: Sites = (),
    barred: Sites = (),
) -> pyo.ConcreteModel:
    """Maximal covering: open p sites to cover the most demand weight.

        max  sum_i w_i z_i
        s.t. z_i <= sum_{j in N[i]} y_j    for every i in I  (N[i] = {j : c_ij <= radius})
             sum_j y_j = p
             0 <= z_i <= 1, y_j in {0, 1}

    ``radius`` is in cost units; ``weights`` w_i in persons. Objective: persons covered.
    """
    model = _site_model(pairs, required, barred)
    _add_weights(model, weights)
    model.N = pyo.Set(model.I, initialize=_sites_of(pairs.within(radius)))
    model.z = pyo.Var(model.I, domain=pyo.UnitInterval)
    model.cover = pyo.Constraint(
        model.I, rule=lambda m, i: m.z[i] <= pyo.quicksum(m.y[j] for j in m.N[i])
    )
    _add_count(model, p)
    model.objective = pyo.Objective(
        expr=pyo.quicksum(model.w[i] * model.z[i] for i in model.I), sense=pyo.maximize
    )
    return model


def p_median(
    pairs: CostPairs,
    weights: np.ndarray,
    *,
    p: int,
    required: Sites = (),
    barred: Sites = (),
) -> pyo.ConcreteModel:
    """p-median (ReVelle and Swain 1970): open p sites, least total weighted cost.

        min  sum_{(i,j) in P} w_i c_ij x_ij
        s.t. sum_{j in N[i]} x_ij = 1      for every i in I
             x_ij <= y_j                   for every (i, j) in P
             sum_j y_j = p
             0 <= x_ij <= 1, y_j in {0, 1}

    With y binary some optimal x puts each unit on its cheapest open site, so x may stay
    continuous. Objective: persons x cost units (e.g. person-minutes).
    """
    model = _site_model(pairs, required, barred)
    _add_weights(model, weights)
    _add_pairs(model, pairs)
    _add_assignment(model, model.I, integer=False)
    _add_count(model, p)
    model.objective = pyo.Objective(
        expr=pyo.quicksum(model.w[i] * model.c[i, j] * model.x[i, j] for i, j in model.P)
    )
    return model


def p_center(
    pairs: CostPairs,
    weights: np.ndarray,
    *,
    p: int,
    required: Sites = (),
    barred: Sites = (),
) -> pyo.ConcreteModel:
    """p-center: open p sites so the largest cost from a unit to its site is least.

        min  W
        s.t. W >= sum_{j in N[i]} c_ij x_ij   for every i in I+ = {i : w_i > 0}
             sum_{j in N[i]} x_ij = 1         for every i in I+
             x_ij <= y_j                      for every (i, j) in P, i in I+
             sum_j y_j = p
             0 <= x_ij <= 1, y_j in {0, 1}, W >= 0

    Units of zero weight are ignored. With y binary, sum_j c_ij x_ij is at least unit i's
    cost to its cheapest open site, so x may stay continuous. Objective W: cost units.
    """
    w = np.asarray(weights, dtype=float)
    active = pairs.select(w[pairs.demand] > 0)
    model = _site_model(pairs, required, barred)
    _add_weights(model, w)
    model.I_plus = pyo.Set(initialize=lambda m: [i for i in m.I if m.w[i] > 0])
    _add_pairs(model, active)
    _add_assignment(model, model.I_plus, integer=False)
    _add_count(model, p)
    model.W = pyo.Var(domain=pyo.NonNegativeReals)
    model.worst = pyo.Constraint(
        model.I_plus,
        rule=lambda m, i: m.W >= pyo.quicksum(m.c[i, j] * m.x[i, j] for j in m.N[i]),
    )
    model.objective = pyo.Objective(expr=model.W)
    return model


def capacitated(
    pairs: CostPairs,
    weights: np.ndarray,
    *,
    fixed_costs: np.ndarray | None = None,
    capacities: np.ndarray | None = None,
    p: int | None = None,
    single_source: bool = False,
    required: Sites = (),
    barred: Sites = (),
) -> pyo.ConcreteModel:
    """Capacitated facility location with fixed costs (split or single-source).

        min  sum_{(i,j) in P} w_i c_ij x_ij + sum_j f_j y_j
        s.t. sum_{j in N[i]} x_ij = 1               for every i in I
             sum_{i : (i,j) in P} w_i x_ij <= Q_j y_j  for every j with finite Q_j
             x_ij <= y_j                            for every (i, j) in P
             sum_j y_j = p                          only when p is given
             0 <= x_ij <= 1 (x_ij binary when single-source), y_j in {0, 1}

    ``fixed_costs`` f_j in the objective's unit (default 0); ``capacities`` Q_j in persons
    (``inf`` or default: uncapacitated). Objective: w c (e.g. person-minutes) plus f.
    """
    model = _site_model(pairs, required, barred)
    _add_weights(model, weights)
    _add_pairs(model, pairs)
    f = np.zeros(pairs.n_sites) if fixed_costs is None else np.asarray(fixed_costs, dtype=float)
    model.f = pyo.Param(model.J, initialize=dict(enumerate(f.tolist())))
    _add_assignment(model, model.I, integer=single_source)
    q = np.full(pairs.n_sites, np.inf) if capacities is None else np.asarray(capacities, float)
    capped = np.flatnonzero(np.isfinite(q))
    model.J_capped = pyo.Set(initialize=capped.tolist())
    model.Q = pyo.Param(model.J_capped, initialize={j: float(q[j]) for j in capped.tolist()})
    model.served_by = pyo.Set(model.J, initialize=_demands_of(pairs))
    model.capacity = pyo.Constraint(
        model.J_capped,
        rule=lambda m, j: (
            pyo.quicksum(m.w[i] * m.x[i, j] for i in m.served_by[j]) <= m.Q[j] * m.y[j]
        ),
    )
    if p is not None:
        _add_count(model, p)
    model.objective = pyo.Objective(
        expr=pyo.quicksum(model.w[i] * model.c[i, j] * model.x[i, j] for i, j in model.P)
        + pyo.quicksum(model.f[j] * model.y[j] for j in model.J)
    )
    return model
