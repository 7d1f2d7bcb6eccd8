"""``locate``: solve a classic location problem on a demand x site cost matrix."""

from __future__ import annotations

import math
import time

import numpy as np
import scipy.sparse as sp

from geodata.errors import InfeasibleError, InputError, SolverError
from geodata.i18n import gettext as _
from models.components import cover_parts
from models.covering import (
    cover_from,
    coverage_groups,
    greedy_cover,
    improve_cover,
    max_cover_model,
    set_cover_model,
)
from models.facility import facility_location_model
from models.pairs import CostPairs, cost_pairs
from models.reduction import dominated_sites, reduce_set_cover, weighted_groups
from optimizer import interrupt
from optimizer.results import LocateResult
from optimizer.solve import highs
from optimizer.solve.benders import solve_p_median
from optimizer.solve.site_search import SearchOutcome, branch_and_bound

PROBLEMS = ("lscp", "mclp", "p-median", "p-center", "capacitated")
DEFAULT_TIME_LIMIT = 300.0  # seconds
DEFAULT_MIP_GAP = 0.0
_NONE = np.zeros(0, np.int64)  # no site indices


def locate(
    problem: str,
    cost: np.ndarray | sp.sparray | sp.spmatrix,
    *,
    weights: np.ndarray | None = None,
    p: int | None = None,
    radius: float | None = None,
    capacities: np.ndarray | None = None,
    fixed_costs: np.ndarray | None = None,
    required: np.ndarray | list[int] | None = None,
    barred: np.ndarray | list[int] | None = None,
    single_source: bool = False,
    time_limit: float | None = None,
    mip_gap: float | None = None,
) -> LocateResult:
    """Solve a location problem exactly (or to ``mip_gap``) with HiGHS.

    Args:
        problem: "lscp" (fewest sites, or least fixed cost, covering every demand unit
            within ``radius``), "mclp" (``p`` sites covering the most weight within
            ``radius``), "p-median" (``p`` sites minimising total weight x cost to the
            nearest open site), "p-center" (``p`` sites minimising the largest cost from a
            demand unit of positive weight to its nearest open site) or "capacitated"
            (fixed costs plus weight x cost, capacities on weight served, demand split
            unless ``single_source``; ``p`` optional).
        cost: demand x site costs (minutes, km or money): a dense array where ``inf``
            marks an unreachable pair (a ``numpy.ma`` masked array: masked pairs are
            unreachable too, like ``inf``, whatever value lies under the mask), or a scipy
            sparse matrix whose stored entries are the reachable pairs.
        weights: demand weights (persons); default 1 each.
        p: number of sites to open, required sites included.
        radius: coverage radius in cost units; for p-median, p-center and capacitated an
            optional cap on usable pairs.
        capacities: per-site capacity in weight units (``inf`` = none); capacitated only.
        fixed_costs: per-site opening cost; lscp and capacitated.
        required: site indices that must be open.
        barred: site indices that must stay closed.
        single_source: capacitated only: each demand unit served by one site.
        time_limit: seconds for the whole solve (default 300).
        mip_gap: relative optimality gap accepted (default 0: prove optimality).

    Returns:
        A LocateResult with objective recomputed from the chosen sites.

    Raises:
        InputError: bad arguments (the message names the argument and the entry).
        InfeasibleError: demand units that no usable site reaches (listed), or too little
            capacity.
        SolverError: the time limit passed before any feasible plan was found.
        Interrupted: a stop was requested (``optimizer.interrupt``) before any plan was
            found; with a plan, the result has status "interrupted" instead.
    """
    spec = _validate(
        problem,
        cost,
        weights,
        p,
        radius,
        capacities,
        fixed_costs,
        required,
        barred,
        single_source,
        time_limit,
        mip_gap,
    )
    began = time.perf_counter()
    solver = _SOLVERS[spec["problem"]]
    with interrupt.solving():
        return solver(spec, began)


# ---------------------------------------------------------------------------- validation


def _indices(name: str, values, n_sites: int) -> np.ndarray:
    if values is None:
        return np.zeros(0, dtype=np.int64)
    arr = np.asarray(values)
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if arr.dtype == bool:
        if arr.size != n_sites:
            raise InputError(
                _("{name}: a boolean mask must have one entry per site ({n})").format(
                    name=name, n=n_sites
                )
            )
        return np.flatnonzero(arr)
    if not np.issubdtype(arr.dtype, np.integer):
        raise InputError(
            _("{name}: give site indices as integers 0..{last}").format(name=name, last=n_sites - 1)
        )
    bad = arr[(arr < 0) | (arr >= n_sites)]
    if bad.size:
        raise InputError(
            _(
                "{name}: site index {index} is outside 0..{last} (the cost matrix has {n} site "
                "columns)"
            ).format(name=name, index=int(bad[0]), last=n_sites - 1, n=n_sites)
        )
    return np.unique(arr.astype(np.int64))


def _per_site(name: str, values, n_sites: int, *, allow_inf: bool) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        raise InputError(
            _("{name}: values must be numbers, one per site").format(name=name)
        ) from None
    if arr.size != n_sites:
        raise InputError(
            _("{name}: got {got} values for {n} sites; give one per site").format(
                name=name, got=arr.size, n=n_sites
            )
        )
    bad = np.flatnonzero(np.isnan(arr) | (arr < 0) | (~allow_inf & np.isinf(arr)))
    if bad.size:
        j = int(bad[0])
        if allow_inf:
            message = _("{name}: site {site} has {value}; each value must be >= 0 (inf for none)")
        else:
            message = _("{name}: site {site} has {value}; each value must be a finite number >= 0")
        raise InputError(message.format(name=name, site=j, value=arr[j]))
    return arr


def _validate(
    problem,
    cost,
    weights,
    p,
    radius,
    capacities,
    fixed_costs,
    required,
    barred,
    single_source,
    time_limit,
    mip_gap,
) -> dict:
    if problem not in PROBLEMS:
        raise InputError(
            _("problem {problem} is unknown; use one of {problems}").format(
                problem=repr(problem), problems=", ".join(PROBLEMS)
            )
        )
    if problem in ("lscp", "mclp") and radius is None:
        raise InputError(_("{problem} needs a radius (in the cost's unit)").format(problem=problem))
    if radius is not None and not (
        isinstance(radius, (int, float, np.number)) and math.isfinite(radius) and radius > 0
    ):
        raise InputError(_("radius must be a number > 0, got {radius}").format(radius=repr(radius)))
    pairs = cost_pairs(cost, None if radius is None else float(radius))
    n, m = pairs.n_demand, pairs.n_sites
    if weights is None:
        w = np.ones(n)
    else:
        try:
            w = np.asarray(weights, dtype=float).reshape(-1)
        except (TypeError, ValueError):
            raise InputError(_("weights: values must be numbers, one per demand unit")) from None
        if w.size != n:
            raise InputError(
                _("weights: got {got} values for {n} demand units; give one each").format(
                    got=w.size, n=n
                )
            )
        bad = np.flatnonzero(~np.isfinite(w) | (w < 0))
        if bad.size:
            raise InputError(
                _(
                    "weights: demand unit {unit} has {value}; weights must be finite and >= 0"
                ).format(unit=int(bad[0]), value=w[bad[0]])
            )
    req = _indices("required", required, m)
    bar = _indices("barred", barred, m)
    both = np.intersect1d(req, bar)
    if both.size:
        raise InputError(
            _("site {site} is both required and barred; choose one").format(site=int(both[0]))
        )
    usable = m - bar.size
    if problem in ("mclp", "p-median", "p-center") and p is None:
        raise InputError(
            _("{problem} needs p, the number of sites to open").format(problem=problem)
        )
    if p is not None and problem == "lscp":
        raise InputError(
            _(
                "p does not apply to 'lscp', which opens the fewest sites covering every unit; "
                "leave p out, or use 'mclp' to cover the most weight with p sites"
            )
        )
    if p is not None:
        if isinstance(p, bool) or not float(p).is_integer():
            raise InputError(_("p must be a whole number, got {p}").format(p=repr(p)))
        p = int(p)
        if not 1 <= p <= usable:
            raise InputError(
                _("p = {p} is outside 1..{usable}: there are {m} sites, {barred} barred").format(
                    p=p, usable=usable, m=m, barred=bar.size
                )
            )
        if req.size > p:
            raise InputError(
                _("{n} sites are required but p = {p}; raise p or require fewer").format(
                    n=req.size, p=p
                )
            )
    if capacities is not None and problem != "capacitated":
        raise InputError(
            _("capacities apply only to problem 'capacitated', not {problem}").format(
                problem=repr(problem)
            )
        )
    if fixed_costs is not None and problem not in ("lscp", "capacitated"):
        raise InputError(
            _("fixed_costs apply to 'lscp' and 'capacitated', not {problem}").format(
                problem=repr(problem)
            )
        )
    if single_source and problem != "capacitated":
        raise InputError(_("single_source applies only to problem 'capacitated'"))
    cap = (
        _per_site("capacities", capacities, m, allow_inf=True)
        if capacities is not None
        else np.full(m, np.inf)
    )
    fixed = (
        _per_site("fixed_costs", fixed_costs, m, allow_inf=False)
        if fixed_costs is not None
        else None
    )
    tl = DEFAULT_TIME_LIMIT if time_limit is None else time_limit
    if not (isinstance(tl, (int, float)) and tl > 0):
        raise InputError(
            _("time_limit must be a number of seconds > 0, got {value}").format(
                value=repr(time_limit)
            )
        )
    gap = DEFAULT_MIP_GAP if mip_gap is None else mip_gap
    if not (isinstance(gap, (int, float)) and 0 <= gap < 1):
        raise InputError(_("mip_gap must be in [0, 1), got {value}").format(value=repr(mip_gap)))
    usable_pairs = pairs.without_sites(bar)
    return dict(
        problem=problem,
        pairs=usable_pairs,
        weights=w,
        p=p,
        radius=radius,
        capacities=cap,
        fixed_costs=fixed,
        required=req,
        barred=bar,
        single_source=bool(single_source),
        time_limit=float(tl),
        mip_gap=float(gap),
    )


def _require_reach(
    pairs: CostPairs, units: np.ndarray | None = None, radius: float | None = None
) -> None:
    missing = pairs.unreached()
    if units is not None:
        missing = np.intersect1d(missing, units)
    if missing.size:
        shown = ", ".join(str(int(i)) for i in missing[:20])
        if missing.size > 20:
            shown = _("{names} and {n} more").format(names=shown, n=missing.size - 20)
        if radius is not None:
            message = _(
                "{n} demand unit(s) cannot reach any usable site within the radius {radius}: "
                "{units}. Add a candidate site near them, widen the radius or travel limit, or "
                "leave them out of the demand."
            )
        else:
            message = _(
                "{n} demand unit(s) cannot reach any usable site: {units}. Add a candidate site "
                "near them, widen the radius or travel limit, or leave them out of the demand."
            )
        raise InfeasibleError(
            message.format(
                n=missing.size, radius=f"{radius:g}" if radius is not None else "", units=shown
            ),
            demand=missing,
        )


# ---------------------------------------------------------------------------- helpers


def _open_mask(x: np.ndarray, n_sites: int) -> np.ndarray:
    return x[:n_sites] > 0.5


def _gap(objective: float, bound: float) -> float:
    if not (np.isfinite(objective) and np.isfinite(bound)):
        return np.inf
    return abs(objective - bound) / max(abs(objective), 1e-9)


def _finish(
    spec,
    status,
    objective,
    bound,
    is_open,
    assignment,
    began,
    solve_seconds,
    details,
    allocation=None,
) -> LocateResult:
    if status == "optimal":
        bound = objective if abs(objective - bound) <= 1e-6 * max(1.0, abs(objective)) else bound
    return LocateResult(
        problem=spec["problem"],
        status=status,
        objective=float(objective),
        bound=float(bound),
        gap=_gap(objective, bound),
        open_sites=np.flatnonzero(is_open),
        assignment=assignment,
        allocation=allocation,
        seconds_build=time.perf_counter() - began - solve_seconds,
        seconds_solve=solve_seconds,
        details=details,
    )


def _checked(sol: highs.Solution, what: str) -> highs.Solution:
    if sol.x is None:
        if sol.status == "infeasible":
            raise _infeasible(what)
        if sol.status == "interrupted":
            raise interrupt.Interrupted(
                _("{problem}: stopped after {seconds} s, no plan yet").format(
                    problem=what, seconds=f"{sol.seconds:.1f}"
                )
            )
        raise SolverError(
            _(
                "{problem}: no feasible plan found before the time limit ({seconds} s); raise "
                "time_limit or relax the targets (fewer required sites, a larger radius)"
            ).format(problem=what, seconds=f"{sol.seconds:.1f}")
        )
    return sol


def _infeasible(what: str) -> InfeasibleError:
    """The error for a model HiGHS proves infeasible; ``what`` names the problem."""
    return InfeasibleError(
        _("{problem}: the targets cannot all be met (HiGHS: infeasible)").format(problem=what)
    )


def _size(sol: highs.Solution | SearchOutcome) -> dict:
    return {
        "columns": sol.n_cols,
        "rows": sol.n_rows,
        "nonzeros": sol.n_nonzeros,
        "nodes": sol.nodes,
    }


# ---------------------------------------------------------------------------- problems


def _solve_lscp(spec, began) -> LocateResult:
    """Set covering: groups of units with the same sites in reach, sites forced or
    dominated out, then each independent part by branch and bound over its sites
    (``optimizer.solve.site_search``), LP solutions rounded to covers."""
    pairs, m = spec["pairs"], spec["pairs"].n_sites
    _require_reach(pairs, radius=spec["radius"])
    site_cost = spec["fixed_costs"] if spec["fixed_costs"] is not None else np.ones(m)
    groups = coverage_groups(pairs, spec["weights"], spec["required"])
    fixed = np.union1d(spec["required"], spec["barred"])
    reduced = reduce_set_cover(groups, m, site_cost=site_cost, fixed=fixed)
    settled = np.union1d(np.union1d(fixed, reduced.forced), reduced.closed)
    parts = cover_parts(reduced.groups, m, np.setdiff1d(np.arange(m), settled))
    is_open = np.zeros(m, dtype=bool)
    is_open[spec["required"]] = True
    is_open[reduced.forced] = True
    bound = float(site_cost[is_open].sum())
    solve_seconds, optimal = 0.0, True
    size = {"columns": 0, "rows": 0, "nonzeros": 0, "nodes": 0}
    step = 1.0 if np.all(site_cost == np.round(site_cost)) else 0.0
    for part in parts:
        n, part_cost = part.sites.size, site_cost[part.sites]
        model = set_cover_model(part.groups, n, site_cost=part_cost, required=_NONE, barred=_NONE)
        remaining = spec["time_limit"] - (time.perf_counter() - began)
        out = branch_and_bound(
            model,
            np.arange(n),
            value=lambda is_open, part_cost=part_cost: float(part_cost[is_open].sum()),
            rounding=lambda y, part=part, part_cost=part_cost: cover_from(
                part.groups, part.sites.size, y, site_cost=part_cost
            ),
            start=np.ones(n, dtype=bool),
            step=step,
            time_limit=remaining,
            mip_gap=spec["mip_gap"],
        )
        is_open[part.sites[out.is_open]] = True
        bound += out.bound
        solve_seconds += out.seconds
        optimal &= out.status == "optimal"
        size = {key: size[key] + value for key, value in _size(out).items()}
    assignment, _minutes = pairs.nearest_open(is_open)
    objective = float(site_cost[is_open].sum())
    details = size | {
        "demand_groups": groups.n_groups,
        "rows_after_reduction": reduced.groups.n_groups,
        "sites_forced": int(reduced.forced.size),
        "sites_dominated": int(reduced.closed.size),
        "independent_parts": len(parts),
    }
    stopped = "interrupted" if interrupt.requested() else "time_limit"
    status = "optimal" if optimal else stopped
    return _finish(
        spec, status, objective, bound, is_open, assignment, began, solve_seconds, details
    )


def _solve_mclp(spec, began) -> LocateResult:
    """Maximal covering: a greedy plan improved by swaps; when it covers every unit some
    site reaches, no plan covers more. Otherwise branch and bound over the sites
    (``optimizer.solve.site_search``) from that plan, LP solutions rounded to their p
    largest sites and improved by swaps; the root alone proves the plan when a rounded
    plan meets the LP bound."""
    pairs, m, w, p = spec["pairs"], spec["pairs"].n_sites, spec["weights"], spec["p"]
    groups = coverage_groups(pairs, w, spec["required"])
    by_required = (groups.group_of < 0) & (np.diff(pairs.indptr) > 0)
    groups = weighted_groups(groups)
    free = np.ones(m, dtype=bool)
    free[spec["required"]] = False
    free[spec["barred"]] = False
    closed = dominated_sites(groups, m, free=free, keep_at_least=p - spec["required"].size)
    allowed = free.copy()
    allowed[closed] = False
    details = {"demand_groups": groups.n_groups, "sites_dominated": int(closed.size)}
    heuristic_began = time.perf_counter()
    plan = greedy_cover(groups, m, p, required=spec["required"], allowed=allowed)
    plan = improve_cover(groups, m, plan, allowed=allowed)
    reachable = float(w[np.diff(pairs.indptr) > 0].sum())
    if plan.sum() == p and _covered(pairs, w, plan) >= reachable:
        seconds = time.perf_counter() - heuristic_began
        details |= _NO_MODEL | {"proven_by": "reach"}
        return _mclp_result(spec, "optimal", plan, reachable, began, seconds, details)
    model = max_cover_model(
        groups,
        m,
        p=p,
        required=spec["required"],
        barred=np.union1d(spec["barred"], closed),
        covered_by_required=float(w[by_required].sum()),
    )
    step = 1.0 if np.all(w == np.round(w)) else 0.0
    remaining = spec["time_limit"] - (time.perf_counter() - began)
    out = branch_and_bound(
        model,
        np.arange(m),
        value=lambda is_open: _covered(pairs, w, is_open),
        rounding=lambda y: improve_cover(
            groups, m, _rounded(y, p, spec["required"], allowed), allowed=allowed
        ),
        start=plan,
        step=step,
        time_limit=remaining,
        mip_gap=spec["mip_gap"],
    )
    if out.status == "infeasible":
        raise _infeasible("mclp")
    seconds = time.perf_counter() - heuristic_began
    proven_by = "lp" if out.nodes <= 1 else "branch"
    details |= _size(out) | {"lp_bound": out.root}
    details["proven_by"] = proven_by if out.status == "optimal" else None
    return _mclp_result(spec, out.status, out.is_open, out.bound, began, seconds, details)


_NO_MODEL = {"columns": 0, "rows": 0, "nonzeros": 0, "nodes": 0}


def _covered(pairs: CostPairs, w: np.ndarray, is_open: np.ndarray) -> float:
    """The weight of the demand units within reach of an open site."""
    return float(w[pairs.nearest_open(is_open)[0] >= 0].sum())


def _rounded(y: np.ndarray, p: int, required: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """The required sites and the allowed ones of largest LP value ``y`` (ties: the lowest
    index), p in all."""
    is_open = np.zeros(y.size, dtype=bool)
    is_open[required] = True
    order = np.flatnonzero(allowed)[np.argsort(-y[allowed], kind="stable")]
    is_open[order[: max(p - int(is_open.sum()), 0)]] = True
    return is_open


def _mclp_result(spec, status, is_open, bound, began, seconds, details) -> LocateResult:
    """The maximal-covering result of the plan ``is_open``: the weight it covers, each
    unit's nearest open site within the radius, and ``bound``."""
    assignment, _minutes = spec["pairs"].nearest_open(is_open)
    objective = float(spec["weights"][assignment >= 0].sum())
    return _finish(spec, status, objective, bound, is_open, assignment, began, seconds, details)


def _solve_p_median(spec, began) -> LocateResult:
    pairs, w = spec["pairs"], spec["weights"]
    _require_reach(pairs)
    remaining = spec["time_limit"] - (time.perf_counter() - began)
    out = solve_p_median(
        pairs,
        w,
        p=spec["p"],
        required=spec["required"],
        barred=spec["barred"],
        time_limit=remaining,
        mip_gap=spec["mip_gap"],
    )
    if out.status == "infeasible":
        raise InfeasibleError(
            _(
                "p-median: no {p} usable sites reach every demand unit; raise p, add candidate "
                "sites or widen the radius"
            ).format(p=spec["p"])
        )
    if out.status == "no_solution" and interrupt.requested():
        raise interrupt.Interrupted(_("p-median: stopped before any plan was found"))
    if out.status == "no_solution":
        raise SolverError(
            _(
                "p-median: no plan reaching every demand unit found before the time limit "
                "({seconds} s); raise time_limit or p"
            ).format(seconds=f"{out.seconds_solve:.1f}")
        )
    assignment, _minutes = pairs.nearest_open(out.is_open)
    return _finish(
        spec,
        out.status,
        out.objective,
        out.bound,
        out.is_open,
        assignment,
        began,
        out.seconds_solve,
        out.details,
    )


def _solve_p_center(spec, began) -> LocateResult:
    pairs, m, w, p = spec["pairs"], spec["pairs"].n_sites, spec["weights"], spec["p"]
    active = np.flatnonzero(w > 0)
    _require_reach(pairs, active)
    pairs = pairs.select(w[pairs.demand] > 0)
    if not active.size:  # no unit of positive weight: every plan has the largest cost 0
        is_open = np.zeros(m, dtype=bool)
        is_open[spec["required"]] = True
        is_open = _pad_open(pairs, w, is_open, p, spec["barred"])
        assignment_all, _minutes = spec["pairs"].nearest_open(is_open)
        details = {"decision_solves": 0, "candidate_radii": 0}
        return _finish(spec, "optimal", 0.0, 0.0, is_open, assignment_all, began, 0.0, details)
    nearest_any = pairs.cost[pairs.indptr[active]]
    radii = np.unique(pairs.cost)
    radii = radii[radii >= nearest_any.max()]
    lo, hi = 0, radii.size - 1  # radii[hi] is feasible: every unit reaches its own nearest
    best_open, proven = None, True
    solve_seconds, decisions = 0.0, 0
    ones = np.ones(pairs.n_demand)
    while True:
        mid = (lo + hi) // 2 if best_open is not None else hi
        cover = pairs.within(radii[mid])
        groups = coverage_groups(cover, ones, spec["required"])
        model = set_cover_model(
            groups, m, site_cost=np.ones(m), required=spec["required"], barred=spec["barred"]
        )
        remaining = spec["time_limit"] - (time.perf_counter() - began)
        sol = highs.solve(model, time_limit=remaining, mip_gap=0.0)
        solve_seconds += sol.seconds
        decisions += 1
        fits = sol.x is not None and _open_mask(sol.x, m).sum() <= p
        if fits:
            hi = mid
            best_open = _open_mask(sol.x, m)
        elif best_open is None:
            _checked(sol, "p-center")
            raise SolverError(_("p-center: could not cover every demand unit with p sites"))
        else:
            if not (sol.status == "infeasible" or sol.bound > p + 1e-6):
                proven = False
            lo = mid + 1
        if lo >= hi or time.perf_counter() - began >= spec["time_limit"]:
            break
        if interrupt.requested():
            break
    is_open = _pad_open(pairs, w, best_open, p, spec["barred"])
    assignment_all, _minutes = spec["pairs"].nearest_open(is_open)
    _sites, nearest = pairs.nearest_open(is_open)
    objective = float(nearest[active].max())
    status = "optimal" if proven and lo >= hi else "time_limit"
    if status != "optimal" and interrupt.requested():
        status = "interrupted"
    bound = float(radii[lo]) if proven else float(nearest_any.max())
    details = {"decision_solves": decisions, "candidate_radii": int(radii.size)}
    return _finish(
        spec, status, objective, bound, is_open, assignment_all, began, solve_seconds, details
    )


def _pad_open(pairs, w, is_open, p, barred) -> np.ndarray:
    """Open more sites until p are open, each time the one that most cuts weighted cost."""
    is_open = is_open.copy()
    closed = np.ones(pairs.n_sites, dtype=bool)
    closed[barred] = False
    while is_open.sum() < p:
        _sites, nearest = pairs.nearest_open(is_open)
        gain = np.bincount(
            pairs.site,
            weights=w[pairs.demand] * np.maximum(nearest[pairs.demand] - pairs.cost, 0.0),
            minlength=pairs.n_sites,
        )
        gain[~closed | is_open] = -1.0
        is_open[int(np.argmax(gain))] = True
    return is_open


def _solve_capacitated(spec, began) -> LocateResult:
    pairs, m, w = spec["pairs"], spec["pairs"].n_sites, spec["weights"]
    _require_reach(pairs)
    cap = spec["capacities"].copy()
    cap[spec["barred"]] = 0.0
    if np.isfinite(cap).all() and cap.sum() < w.sum():
        raise InfeasibleError(
            _(
                "the usable sites hold {capacity} in all but the demand weighs {demand}; add "
                "capacity or candidate sites"
            ).format(capacity=f"{cap.sum():g}", demand=f"{w.sum():g}")
        )
    fixed = spec["fixed_costs"] if spec["fixed_costs"] is not None else np.zeros(m)
    model = facility_location_model(
        pairs,
        w,
        fixed_costs=fixed,
        capacities=spec["capacities"],
        required=spec["required"],
        barred=spec["barred"],
        p=spec["p"],
        single_source=spec["single_source"],
    )
    sol = _checked(
        highs.solve(model, time_limit=spec["time_limit"], mip_gap=spec["mip_gap"]), "capacitated"
    )
    is_open = _open_mask(sol.x, m)
    frac = sol.x[m:]
    frac = np.where(frac > 1e-9, frac, 0.0)
    used = frac > 0
    objective = float(np.dot(w[pairs.demand] * pairs.cost, frac) + fixed[is_open].sum())
    # main site of each unit: the one serving the largest share
    assignment = np.full(pairs.n_demand, -1, dtype=np.int64)
    order = np.lexsort((-frac, pairs.demand))
    d_sorted = pairs.demand[order]
    first = np.ones(d_sorted.size, dtype=bool)
    first[1:] = d_sorted[1:] != d_sorted[:-1]
    assignment[d_sorted[first]] = pairs.site[order][first]
    allocation = (pairs.demand[used], pairs.site[used], frac[used])
    return _finish(
        spec,
        sol.status,
        objective,
        sol.bound,
        is_open,
        assignment,
        began,
        sol.seconds,
        _size(sol),
        allocation=allocation,
    )


_SOLVERS = {
    "lscp": _solve_lscp,
    "mclp": _solve_mclp,
    "p-median": _solve_p_median,
    "p-center": _solve_p_center,
    "capacitated": _solve_capacitated,
}
