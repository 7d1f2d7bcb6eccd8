"""``plan_county``: hubs, clinics, districts and staffing for one county, solved in stages."""

from __future__ import annotations

from dataclasses import replace

import geopandas as gpd
import numpy as np

from geodata.errors import InfeasibleError, InputError, Interrupted, SolverError
from geodata.frames import check_layer
from geodata.i18n import gettext as _
from geodata.travel import TravelTimes
from models.county import MAXIMISED, CountyInput, LevelTarget
from models.pairs import CostPairs, cost_pairs
from models.phasing import PhasingInput
from optimizer import interrupt
from optimizer.county_spec import CountyPlan, CountySpec, LevelSpec, StageRecord
from optimizer.inputs.spec import existing_staff
from optimizer.plan.county_layers import county_layers
from optimizer.plan.roaming_layers import add_roaming_layers
from optimizer.plan.sites import check_alignment
from optimizer.solve.county import TRIAL_SECONDS, most_coverage, solve_stages
from optimizer.solve.roaming import RoutePool, prepare_roaming
from optimizer.verify.county import verify_county


def _joined(parts: list[str]) -> str:
    """Settings or figures listed one after the other, separated as the language does."""
    return _("; ").join(parts)


def _ids_to_mask(ids, site_ids: np.ndarray, what: str) -> np.ndarray:
    mask = np.zeros(site_ids.size, dtype=bool)
    position = {s: k for k, s in enumerate(site_ids)}
    unknown = [s for s in ids if s not in position]
    if unknown:
        raise InputError(
            _("{key}: unknown site id(s) {ids}").format(key=what, ids=", ".join(map(str, unknown)))
        )
    mask[[position[s] for s in ids]] = True
    return mask


def _restrict(pairs: CostPairs, radius: float, allowed: np.ndarray) -> CostPairs:
    return pairs.select((pairs.cost <= radius) & allowed[pairs.site])


def county_input(
    demand, sites, travel: TravelTimes, spec: CountySpec
) -> tuple[CountyInput, dict[str, np.ndarray]]:
    """The county model's input arrays for ``spec`` over the demand units and sites, and for
    each kind of pair ("hub", "clinic", "district", "service") the demand indices that no
    possible site reaches within its limit (minutes).

    Raises:
        InputError: a fixed or barred site id that is not among the sites, or a missing
            build-cost column.
    """
    site_ids = np.asarray(sites["id"], dtype=str)
    kind = np.asarray(sites["kind"], dtype=str)
    pop = demand["population"].to_numpy(dtype=float)
    hub_fixed = _ids_to_mask(spec.hub.fixed, site_ids, "hub.fixed") | np.isin(
        kind, spec.hub.fixed_kinds
    )
    clinic_fixed = _ids_to_mask(spec.clinic.fixed, site_ids, "clinic.fixed") | np.isin(
        kind, spec.clinic.fixed_kinds
    )
    can_hub = np.isin(kind, spec.hub.kinds) | hub_fixed
    can_clinic = np.isin(kind, spec.clinic.kinds) | clinic_fixed
    barred_hub = _ids_to_mask(spec.hub.barred, site_ids, "hub.barred")
    barred_site = _ids_to_mask(spec.clinic.barred, site_ids, "clinic.barred")
    for what, a, b in (("hub", hub_fixed, barred_hub), ("clinic", clinic_fixed, barred_site)):
        both = np.flatnonzero(a & b)
        if both.size:
            raise InputError(
                _(
                    "{fixed} and {barred}: site {site} is in both (directly or through "
                    "{fixed_kinds}); remove it from one of them"
                ).format(
                    fixed=f"{what}.fixed",
                    barred=f"{what}.barred",
                    site=site_ids[both[0]],
                    fixed_kinds=f"{what}.fixed_kinds",
                )
            )
    pairs = cost_pairs(travel.minutes)
    district_limit = spec.district_minutes or spec.hub.radius
    service_limit = spec.service_minutes or district_limit
    # sites that may open for primary care: as a clinic unless barred, or as a hub
    may_open = (can_clinic & ~barred_site) | (can_hub & ~barred_hub)
    hub_pairs = _restrict(pairs, spec.hub.radius, can_hub & ~barred_hub)
    clinic_pairs = _restrict(pairs, spec.clinic.radius, may_open)
    district_pairs = _restrict(pairs, district_limit, can_hub & ~barred_hub)
    service_pairs = _restrict(pairs, service_limit, may_open)

    def cost(level: LevelSpec) -> np.ndarray:
        if level.cost_column is None:
            return np.full(site_ids.size, level.cost or 0.0)
        if level.cost_column not in sites.columns:
            raise InputError(
                _("sites: no column {column} for build costs").format(
                    column=repr(level.cost_column)
                )
            )
        return sites[level.cost_column].to_numpy(dtype=float)

    n = pop.size
    everyone = np.arange(n)
    unreachable = {
        "hub": hub_pairs.unreached(),
        "clinic": clinic_pairs.unreached(),
        "district": district_pairs.unreached(),
        "service": service_pairs.unreached(),
    }
    data = CountyInput(
        population=pop,
        hub_pairs=hub_pairs,
        clinic_pairs=clinic_pairs,
        district_pairs=district_pairs,
        service_pairs=service_pairs,
        can_hub=can_hub,
        can_clinic=can_clinic,
        existing_hub=hub_fixed,
        existing_site=clinic_fixed,
        barred_hub=barred_hub,
        barred_site=barred_site,
        hub_cost=cost(spec.hub),
        clinic_cost=cost(spec.clinic),
        hub_target=LevelTarget(spec.hub.share, spec.hub.count, spec.hub.new),
        clinic_target=LevelTarget(spec.clinic.share, spec.clinic.count, spec.clinic.new),
        hub_target_units=np.setdiff1d(everyone, unreachable["hub"]),
        clinic_target_units=np.setdiff1d(everyone, unreachable["clinic"]),
        budget=spec.budget,
        balance=spec.balance,
        staff=list(spec.staff),
        on_post=_on_post(spec, sites),
        phasing=_phasing(spec),
    )
    return data, unreachable


def _phasing(spec: CountySpec) -> PhasingInput | None:
    """The phasing arrays of ``spec.phases`` (None without phases): per staff rule the most
    hires over the period."""
    phases = spec.phases
    if phases is None:
        return None
    hires = [sum(phases.hires.get(rule.name, (np.inf,))) for rule in spec.staff]
    return PhasingInput(phases.population, phases.budget, np.asarray(hires, dtype=float))


def _on_post(spec: CountySpec, sites: gpd.GeoDataFrame) -> np.ndarray:
    """Staff on post per staff rule and site (persons), from the columns the spec names."""
    out = np.zeros((len(spec.staff), len(sites)))
    for t, rule in enumerate(spec.staff):
        out[t] = existing_staff(sites, rule.name, spec.existing_staff.get(rule.name))
    return out


def _check_targets(spec: CountySpec, data: CountyInput, site_ids: np.ndarray) -> None:
    """Contradictory settings, explained before any solve."""
    for name, level, fixed in (
        ("hub", spec.hub, data.existing_hub),
        ("clinic", spec.clinic, data.existing_site),
    ):
        for what, rng in (("count", level.count), ("new", level.new)):
            if rng is not None and rng[0] > rng[1]:
                raise InfeasibleError(
                    _("{key}: minimum {low} is above maximum {high}").format(
                        key=f"{name}.{what}", low=rng[0], high=rng[1]
                    )
                )
        if level.count is not None and fixed.sum() > level.count[1] and name == "hub":
            raise InfeasibleError(
                _(
                    "hub.count: {n} sites are fixed as hubs ({ids}) but at most {most} are allowed"
                ).format(
                    n=int(fixed.sum()), ids=", ".join(site_ids[fixed][:10]), most=level.count[1]
                )
            )
        if level.share is not None and not 0 <= level.share <= 1:
            raise InputError(
                _("{key} must be between 0 and 1, got {share}").format(
                    key=f"{name}.share", share=level.share
                )
            )
    open_for_good = data.existing_hub | data.existing_site
    for t, rule in enumerate(spec.staff):
        if rule.pool < 0:
            raise InputError(_("staff {name}: pool must be >= 0").format(name=rule.name))
        if rule.pool == 0 and (rule.per_person > 0 or rule.min_hub > 0 or rule.min_clinic > 0):
            raise InputError(
                _(
                    "staff {name}: pool is 0 but the quota asks for {name}; give the number the "
                    "county can staff (persons), or no pool (inf) for no limit"
                ).format(name=rule.name)
            )
        on_post = data.staff_on_post[t]
        at_closable = (on_post > 0) & ~open_for_good & (data.can_hub | data.can_clinic)
        if at_closable.any():
            raise InputError(
                _(
                    "staff {name}: sites {ids} have staff on post but are candidates that may "
                    "stay closed; mark them existing (their kind or fixed) or clear their staff"
                ).format(name=rule.name, ids=", ".join(site_ids[at_closable][:10]))
            )
        if rule.pool < on_post.sum():
            raise InfeasibleError(
                _(
                    "staff {name}: the pool of {pool:g} is below the {on_post:g} on post; raise "
                    "pool (staff on post plus hires) or use hire_up_to"
                ).format(name=rule.name, pool=rule.pool, on_post=on_post.sum())
            )
    if spec.budget is not None and spec.budget < 0:
        raise InputError(_("budget must be >= 0, got {budget}").format(budget=spec.budget))
    if spec.budget is not None:
        _check_budget(spec, data)


def _check_budget(spec: CountySpec, data: CountyInput) -> None:
    """A budget below the cheapest new sites that ``hub.new`` and ``clinic.new`` ask for at
    least, explained before any solve (a new site pays its level's build cost)."""
    hub_new = data.can_hub & ~data.existing_hub & ~data.barred_hub
    clinic_new = data.can_clinic & ~data.existing_site & ~data.existing_hub & ~data.barred_site
    parts, least = [], 0.0
    for part, level, allowed, cost in (
        (_("{n} new hub(s) cost at least {cost}"), spec.hub, hub_new, data.hub_cost),
        (_("{n} new clinic(s) cost at least {cost}"), spec.clinic, clinic_new, data.clinic_cost),
    ):
        need = level.new[0] if level.new is not None else 0
        prices = np.sort(cost[allowed])
        if need <= 0 or prices.size < need:  # too few sites: the solve explains it
            continue
        least += float(prices[:need].sum())
        parts.append(part.format(n=need, cost=f"{prices[:need].sum():,.0f}"))
    if least > spec.budget:
        raise InfeasibleError(
            _(
                "budget: {budget} yuan is below the cheapest plan the counts allow "
                "({costs} yuan); raise the budget or lower hub.new or clinic.new"
            ).format(budget=f"{spec.budget:,.0f}", costs=_joined(parts))
        )


def plan_county(
    demand: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    travel: TravelTimes,
    spec: CountySpec,
    stop_travel: TravelTimes | None = None,
    *,
    route_pool: RoutePool | None = None,
) -> CountyPlan:
    """Place hubs and clinics, form districts and staff every open site, in stages.

    With ``spec.roaming``, day-routes of roaming vehicles are chosen in the same model;
    ``stop_travel`` then gives the village x village minutes (demand ids as rows and columns).
    ``route_pool`` (an earlier plan's ``CountyPlan.route_pool``) is taken instead of a new
    route search when the route search would read the same inputs (it then finds the same
    pool); the plan keeps its own pool in ``route_pool``.

    A stage that runs out of time (or is interrupted, see ``optimizer.interrupt``) keeps the
    best plan it found, or the previous stage's plan, and its record says so; the plan's
    ``summary.warning`` then says why (and ``summary.csv`` has a ``warning`` row).

    Raises:
        InputError: unknown site ids, contradictory or out-of-range settings.
        InfeasibleError: no plan meets the targets; the message names the settings to relax.
        SolverError: the first stage found no plan within the time limit.
        Interrupted: stopped before any plan was found.
    """
    with interrupt.solving():
        return _plan_county(demand, sites, travel, spec, stop_travel, route_pool)


def _plan_county(
    demand: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    travel: TravelTimes,
    spec: CountySpec,
    stop_travel: TravelTimes | None,
    earlier: RoutePool | None,
) -> CountyPlan:
    costs = [c for c in (spec.hub.cost_column, spec.clinic.cost_column) if c is not None]
    check_layer(demand, "demand", ("id", "name", "population"), ("population",))
    demand = spec.planned_demand(demand)
    check_layer(sites, "sites", ("id", "name", "kind", *costs), costs)
    check_alignment(demand, sites, travel)
    site_ids = np.asarray(sites["id"], dtype=str)
    data, unreachable = county_input(demand, sites, travel, spec)
    _check_targets(spec, data, site_ids)
    times = pool_record = pool = None
    if spec.roaming is not None:
        times, pool_record, pool = prepare_roaming(
            data, spec.roaming, demand, sites, travel, stop_travel, unreachable, earlier
        )
    counts = [None]
    if spec.balance is not None:
        if spec.hub.count is None:
            raise InputError(_("balance needs hub.count (the range of hub numbers to try)"))
        counts = list(range(spec.hub.count[0], spec.hub.count[1] + 1))
    best = None
    all_records: list[StageRecord] = []
    for k in counts:
        data.n_hubs = k
        solution, records = solve_stages(data, spec)
        all_records += records
        if solution is None:
            if interrupt.requested():
                break
            continue
        key = tuple((-r.objective if r.stage in MAXIMISED else r.objective) for r in records)
        if best is None or key < best[0]:
            best = (key, solution, records)
        if interrupt.requested():
            break
    if best is None:
        if interrupt.requested():
            raise Interrupted(_("county plan: stopped before any plan was found"))
        if any(r.status == "no_solution" for r in all_records):
            raise SolverError(
                _(
                    "county plan: no plan found within the time limit of {seconds} s per stage; "
                    "raise solve.time_limit (or --time-limit), or relax the targets (a smaller "
                    "hub or clinic share, a wider count range, a larger budget)"
                ).format(seconds=f"{spec.time_limit:g}")
            )
        explained = _explain_budgets(data, spec) if data.phasing is not None else None
        raise InfeasibleError(explained or _explain(data, spec, site_ids, demand, unreachable))
    _count, solution, records = best
    plan = county_layers(solution, data, spec, demand, sites, travel, records, unreachable)
    if times is not None:
        add_roaming_layers(plan, solution, data, times, demand, sites, pool_record)
        plan.route_pool = pool
    verify_county(plan, demand, sites, travel, spec, stop_travel)
    return plan


def _explain_budgets(data: CountyInput, spec: CountySpec) -> str | None:
    """Why no schedule meets the yearly budgets when a plan meets the final-year targets:
    the cheapest such plan against the budgets of the whole period, else the first year
    whose budget alone blocks every schedule; None when the final-year targets themselves
    cannot be met (each trial solve takes at most ``TRIAL_SECONDS``)."""
    phases = spec.phases
    assert phases is not None and data.phasing is not None
    trial = replace(spec, stages=("cost",), time_limit=min(spec.time_limit, TRIAL_SECONDS))
    cheapest, _records = solve_stages(replace(data, phasing=None), trial)
    if cheapest is None:
        return None
    budget = data.phasing.budget
    first, last = phases.years[0], phases.years[-1]
    if cheapest.build_cost > budget.sum() * (1 + 1e-9):
        return _(
            "No opening schedule meets the yearly budgets: the cheapest plan that meets the "
            "targets of {last} costs {cost} yuan, but the budgets of {first}-{last} add up to "
            "{total} yuan; raise them by {more} yuan or more, or relax the targets."
        ).format(
            first=first,
            last=last,
            cost=f"{cheapest.build_cost:,.0f}",
            total=f"{budget.sum():,.0f}",
            more=f"{cheapest.build_cost - budget.sum():,.0f}",
        )
    for y, year in enumerate(phases.years):
        if not np.isfinite(budget[y]):
            continue
        lifted = replace(data.phasing, budget=np.where(np.arange(budget.size) == y, np.inf, budget))
        solution, _records = solve_stages(replace(data, phasing=lifted), trial)
        if solution is not None:
            return _(
                "No opening schedule meets the yearly budgets: the budget of {year} ({budget} "
                "yuan) is binding; with it lifted a schedule exists (a site must open by then "
                "that it cannot pay for). Raise it, or move money to it from later years."
            ).format(year=year, budget=f"{budget[y]:,.0f}")
    return _(
        "No opening schedule meets the yearly budgets, though the budgets of {first}-{last} "
        "({total} yuan) cover the cheapest plan ({cost} yuan): no single year's budget is to "
        "blame; the sites cannot be split over the years within them. Raise the budgets."
    ).format(
        first=first,
        last=last,
        total=f"{budget.sum():,.0f}",
        cost=f"{cheapest.build_cost:,.0f}",
    )


def _relaxations(data: CountyInput, spec: CountySpec) -> list[tuple[str, dict, str | None]]:
    """Each setting that may block a plan: (label, the CountyInput change that drops it, tag of
    the coverage level it concerns or None)."""
    out: list[tuple[str, dict, str | None]] = []
    radius_labels = {
        "hub": _("hub radius: every unit a possible hub reaches within {radius} min"),
        "clinic": _("clinic radius: every unit a possible clinic reaches within {radius} min"),
    }
    for name, tag, field, level in (
        ("hub", "h", "hub_target", spec.hub),
        ("clinic", "c", "clinic_target", spec.clinic),
    ):
        target = getattr(data, field)
        if target.share is None:
            label = radius_labels[name].format(radius=f"{level.radius:g}")
            out.append((label, {field: replace(target, share=0.0)}, tag))
        elif target.share > 0:
            label = _("{key} {share} of the population within {radius} min").format(
                key=f"{name}.share", share=f"{target.share:g}", radius=f"{level.radius:g}"
            )
            out.append((label, {field: replace(target, share=0.0)}, tag))
        for what in ("count", "new"):
            rng = getattr(target, what)
            if rng is not None:
                out.append(
                    (
                        f"{name}.{what} {rng[0]}..{rng[1]}",
                        {field: replace(target, **{what: None})},
                        None,
                    )
                )
    district_limit = spec.district_minutes or spec.hub.radius
    service_limit = spec.service_minutes or district_limit
    for label, field in (
        (
            _("district_minutes {minutes}: each unit joins a hub within it").format(
                minutes=f"{district_limit:g}"
            ),
            "district_pairs",
        ),
        (
            _("service_minutes {minutes}: each unit uses an open site within it").format(
                minutes=f"{service_limit:g}"
            ),
            "service_pairs",
        ),
    ):
        pairs = getattr(data, field)
        if pairs.n_pairs:
            out.append((label, {field: pairs.select(np.zeros(pairs.n_pairs, dtype=bool))}, None))
    if data.budget is not None:
        label = _("budget {budget} yuan").format(budget=f"{data.budget:g}")
        out.append((label, {"budget": None}, None))
    if data.balance is not None:
        label = _("balance: districts within +-{share} of the mean population").format(
            share=f"{data.balance:.0%}"
        )
        out.append((label, {"balance": None, "n_hubs": None}, None))
    return out


def _explain(data, spec, site_ids, demand, unreachable) -> str:
    """Say in planners' terms why no plan meets the targets: which settings block a plan on
    their own and, for a coverage target, which villages cannot all be reached."""
    names = np.asarray(demand["id"], dtype=str)
    lines = [_("No plan meets all targets.")]
    missed_lines = {
        "hub": _(
            "with the other settings, {n} unit(s) cannot all be within the hub radius: {ids}."
        ),
        "clinic": _(
            "with the other settings, {n} unit(s) cannot all be within the clinic radius: {ids}."
        ),
    }
    settings = _relaxations(data, spec)
    blocking = []
    for label, change, tag in settings:
        left_out = most_coverage(replace(data, **change), spec)
        if left_out is None:
            continue
        blocking.append(label)
        if tag is not None:
            missed = left_out[tag]
            level = "hub" if tag == "h" else "clinic"
            if missed.size:
                lines.append(
                    missed_lines[level].format(n=len(missed), ids=", ".join(names[missed[:15]]))
                )
    if blocking:
        lines.append(
            _("relaxing any one of these would allow a plan: {settings}.").format(
                settings=_joined(blocking)
            )
        )
    elif settings:
        lines.append(
            _("no single setting is to blame; these block a plan together: {settings}.").format(
                settings=_joined([label for label, _change, _tag in settings])
            )
        )
    if spec.hub.share is None and unreachable["hub"].size:
        lines.append(
            _(
                "({n} unit(s) beyond {radius} minutes of every possible hub are left out of the "
                "hub target: {ids}.)"
            ).format(
                n=unreachable["hub"].size,
                radius=f"{spec.hub.radius:g}",
                ids=", ".join(names[unreachable["hub"][:15]]),
            )
        )
    text = lines[0]
    for line in lines[1:]:
        text = _("{text} {sentence}").format(text=text, sentence=line)
    return text
