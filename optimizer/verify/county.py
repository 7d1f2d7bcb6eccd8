"""Independent check of a county plan against its inputs.

Recomputes from the travel times (minutes), the demand and sites layers and the spec, never
from the model, every claim a ``CountyPlan`` makes: which sites may host which level, the
hard and share coverage targets, each district and primary-care assignment, staffing
against the quotas and pools, counts, the budget, fixed and barred sites and the summary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd

from geodata.travel import TravelTimes
from models.county_terms import StaffRule
from optimizer.county_spec import CountyPlan, CountySpec, LevelSpec
from optimizer.errors import VerificationError
from optimizer.verify.phasing import SiteFacts, phasing_problems
from optimizer.verify.roaming import RoamingFacts, check_roaming
from optimizer.verify.tolerance import ABS_TOL, REL_TOL, close


def _ids(mask: np.ndarray, names: np.ndarray, limit: int = 10) -> str:
    return ", ".join(names[np.flatnonzero(mask)[:limit]].tolist())


class _Travel:
    """Reachable pairs of the travel matrix as arrays, with lookups by (demand, site)."""

    def __init__(self, travel: TravelTimes) -> None:
        coo = travel.minutes.tocoo()
        self.shape = coo.shape
        self.row = np.asarray(coo.row, dtype=np.int64)
        self.col = np.asarray(coo.col, dtype=np.int64)
        self.val = np.asarray(coo.data, dtype=float)
        keep = np.isfinite(self.val)
        self.row, self.col, self.val = self.row[keep], self.col[keep], self.val[keep]
        self.lookup = {
            (i, j): v
            for i, j, v in zip(self.row.tolist(), self.col.tolist(), self.val.tolist(), strict=True)
        }

    def reached(self, radius: float, sites: np.ndarray) -> np.ndarray:
        """Per demand unit: some site in the boolean mask ``sites`` is within ``radius``."""
        ok = (self.val <= radius) & sites[self.col]
        out = np.zeros(self.shape[0], dtype=bool)
        out[self.row[ok]] = True
        return out

    def minutes(self, i: int, j: int) -> float:
        """Minutes from unit i to site j; inf when not reachable."""
        return self.lookup.get((i, j), np.inf)


def _mask(ids, site_ids: np.ndarray) -> np.ndarray:
    return np.isin(site_ids, np.asarray(list(ids), dtype=str))


def _level_sites(level: LevelSpec, kind: np.ndarray, site_ids: np.ndarray):
    """(fixed, eligible, barred) masks of one level from the spec."""
    fixed = _mask(level.fixed, site_ids) | np.isin(kind, list(level.fixed_kinds))
    eligible = np.isin(kind, list(level.kinds)) | fixed
    barred = _mask(level.barred, site_ids)
    return fixed, eligible, barred


@dataclass(frozen=True)
class _Allowed:
    """Masks over the sites from the spec: fixed and barred at each level, and where each
    level may open (a clinic also where a hub may be)."""

    hub_fixed: np.ndarray
    hub_barred: np.ndarray
    clinic_fixed: np.ndarray
    clinic_barred: np.ndarray
    existing: np.ndarray
    may_hub: np.ndarray
    may_clinic: np.ndarray
    may_open: np.ndarray


def _allowed(spec: CountySpec, kind: np.ndarray, site_ids: np.ndarray) -> _Allowed:
    """Which sites the spec fixes, bars and lets open at each level."""
    hub_fixed, can_hub, hub_barred = _level_sites(spec.hub, kind, site_ids)
    clinic_fixed, can_clinic, clinic_barred = _level_sites(spec.clinic, kind, site_ids)
    may_hub = can_hub & ~hub_barred
    may_clinic = (can_clinic | can_hub) & ~clinic_barred
    return _Allowed(
        hub_fixed=hub_fixed,
        hub_barred=hub_barred,
        clinic_fixed=clinic_fixed,
        clinic_barred=clinic_barred,
        existing=hub_fixed | clinic_fixed,
        may_hub=may_hub,
        may_clinic=may_clinic,
        may_open=may_hub | may_clinic,
    )


@dataclass(frozen=True)
class _Opened:
    """Masks over the sites from the plan's sites layer: its ``level`` column, hubs, open
    sites (hubs and clinics), clinics, and the hubs and clinics that are not fixed."""

    level: np.ndarray
    is_hub: np.ndarray
    is_open: np.ndarray
    clinic: np.ndarray
    new_hub: np.ndarray
    new_clinic: np.ndarray


def _opened(layer: pd.DataFrame, allowed: _Allowed) -> _Opened:
    """What the plan opens at each site."""
    level = np.asarray(layer["level"], dtype=str)
    is_hub = level == "hub"
    is_open = is_hub | (level == "clinic")
    clinic = is_open & ~is_hub
    return _Opened(
        level=level,
        is_hub=is_hub,
        is_open=is_open,
        clinic=clinic,
        new_hub=is_hub & ~allowed.hub_fixed,
        new_clinic=clinic & ~allowed.existing,
    )


class _Assignment(NamedTuple):
    """One assignment of every demand unit (``what``: district or service): the site ids
    chosen ("" or "nan" when none), the minutes claimed, the limit (minutes), the units
    some site that may open at the level reaches within it, the sites open at the level,
    and the units served by roaming instead (service only)."""

    what: str
    chosen: np.ndarray
    claimed: np.ndarray
    limit: float
    reachable: np.ndarray
    open_: np.ndarray
    roamed: np.ndarray


class _Loads(NamedTuple):
    """What the assignments put on the sites: persons per hub's district, demand units per
    district, persons per site's primary care, and person-minutes over both assignments."""

    district_pop: np.ndarray
    district_units: np.ndarray
    served: np.ndarray
    person_minutes: float


def verify_county(
    plan: CountyPlan,
    demand: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    travel: TravelTimes,
    spec: CountySpec,
    stop_travel: TravelTimes | None = None,
) -> None:
    """Raise VerificationError (listing every finding) unless ``plan`` meets ``spec``.

    With ``spec.roaming``, ``stop_travel`` (village x village minutes) is needed to recompute
    the routes; roamed villages count as covered at the clinic level.
    """
    demand = spec.planned_demand(demand.reset_index(drop=True))
    sites = sites.reset_index(drop=True)
    names = np.asarray(demand["id"], dtype=str)
    site_ids = np.asarray(sites["id"], dtype=str)
    pop = demand["population"].to_numpy(dtype=float)
    total = float(pop.sum())
    tt = _Travel(travel)
    layer, assign = _ordered_layers(plan, names, site_ids)
    allowed = _allowed(spec, np.asarray(sites["kind"], dtype=str), site_ids)
    opened = _opened(layer, allowed)

    problems = _level_problems(opened.level)
    problems += _site_problems(layer, allowed, opened, site_ids)
    problems += _count_problems(spec, opened)
    build_cost = _build_cost(spec, sites, opened)
    problems += _budget_problems(spec, build_cost)
    facts = _roaming_facts(plan, demand, sites, travel, spec, stop_travel, tt, allowed)
    problems += facts.problems
    reach = _reach(spec, tt, allowed, opened, facts)
    problems += _coverage_problems(reach, pop, names)
    site_pos = {s: k for k, s in enumerate(site_ids)}
    district, service = _assignments(assign, spec, tt, allowed, opened, facts.roamed)
    problems += _assignment_problems(district, service, assign, names, site_pos, opened.level, tt)
    loads = _loads((district, service), pop, site_ids.size, site_pos, tt)
    problems += _balance_problems(spec, opened.is_hub, loads.district_pop, total, site_ids)
    problems += _load_problems(layer, loads, site_ids)
    problems += _district_problems(plan, opened.is_hub, loads, site_pos, site_ids)
    staffing, shortfall_total = _staffing_problems(
        plan, spec, sites, layer, opened, loads.served, site_ids
    )
    problems += staffing
    problems += _summary_problems(
        plan,
        spec,
        is_hub=opened.is_hub,
        new_hub=opened.new_hub,
        clinic=opened.clinic,
        new_clinic=opened.new_clinic,
        total=total,
        covered_pop={r.name: float(pop[r.by_sites].sum()) for r in reach},
        build_cost=build_cost,
        person_minutes=loads.person_minutes,
        shortfall_total=shortfall_total,
    )
    # stage records: each records the plan's own value, no better than the stage's proven
    # bound, and at least as good as the value later stages were held to
    recomputed = {
        "coverage": _coverage_value(reach, pop),
        "new_sites": float(opened.new_hub.sum() + opened.new_clinic.sum()),
        "cost": build_cost + facts.cost,
        "travel": loads.person_minutes,
        "shortfall": shortfall_total,
    }
    if spec.phases is not None:
        found, recomputed["person_years"] = phasing_problems(
            plan,
            spec.phases,
            SiteFacts(
                opened.is_hub,
                opened.is_open,
                allowed.hub_fixed,
                allowed.existing,
                _costs(spec.hub, sites),
                _costs(spec.clinic, sites),
            ),
            (spec.hub.radius, spec.clinic.radius),
            tt.reached,
            facts.roamed if facts.roamed is not None else np.zeros(names.size, dtype=bool),
        )
        problems += found
    problems += _stage_problems(plan, spec, recomputed)

    if problems:
        raise VerificationError(problems)


def _ordered_layers(
    plan: CountyPlan, names: np.ndarray, site_ids: np.ndarray
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The plan's sites layer and assignments, checked to list the sites and the demand
    units in the inputs' order (else VerificationError)."""
    layer = plan.sites.reset_index(drop=True)
    if np.asarray(layer["site_id"], dtype=str).tolist() != site_ids.tolist():
        raise VerificationError(["the sites layer does not list the input sites in order"])
    assign = plan.assignments.reset_index(drop=True)
    if np.asarray(assign["demand_id"], dtype=str).tolist() != names.tolist():
        raise VerificationError(["the assignments do not list each demand unit once, in order"])
    return layer, assign


def _level_problems(level: np.ndarray) -> list[str]:
    """Site levels other than hub, clinic or none."""
    problems: list[str] = []
    if not np.isin(level, ["hub", "clinic", ""]).all():
        problems.append(
            f"unknown site levels {sorted(set(level.tolist()) - {'hub', 'clinic', ''})}"
        )
    return problems


def _site_problems(
    layer: pd.DataFrame, allowed: _Allowed, opened: _Opened, site_ids: np.ndarray
) -> list[str]:
    """Levels at sites that may not host them, fixed sites not open, barred sites open, and
    the status column (existing, new or closed)."""
    problems: list[str] = []
    is_hub, is_open = opened.is_hub, opened.is_open
    for mask, what in (
        (is_hub & ~allowed.may_hub, "hub at a site that may not host a hub"),
        (is_open & ~is_hub & ~allowed.may_clinic, "clinic at a site that may not host a clinic"),
        (allowed.hub_fixed & ~is_hub, "fixed hub not open as a hub"),
        (allowed.clinic_fixed & ~is_open, "fixed clinic not open"),
        (allowed.hub_barred & is_hub, "barred hub open as a hub"),
        (allowed.clinic_barred & is_open & ~is_hub, "barred clinic open as a clinic"),
    ):
        if mask.any():
            problems.append(f"{what}: {_ids(mask, site_ids)}")
    want_status = np.where(
        is_open & allowed.existing, "existing", np.where(is_open, "new", "closed")
    )
    status = np.asarray(layer["status"], dtype=str)
    if (status != want_status).any():
        problems.append(f"wrong status at sites {_ids(status != want_status, site_ids)}")
    return problems


def _count_problems(spec: CountySpec, opened: _Opened) -> list[str]:
    """Hub and clinic counts (all and new) outside the spec's ranges."""
    problems: list[str] = []
    for what, value, rng in (
        ("hub.count", int(opened.is_hub.sum()), spec.hub.count),
        ("hub.new", int(opened.new_hub.sum()), spec.hub.new),
        ("clinic.count", int(opened.clinic.sum()), spec.clinic.count),
        ("clinic.new", int(opened.new_clinic.sum()), spec.clinic.new),
    ):
        if rng is not None and not rng[0] <= value <= rng[1]:
            problems.append(f"{what}: {value} outside {rng[0]}..{rng[1]}")
    return problems


def _costs(level: LevelSpec, sites: pd.DataFrame) -> np.ndarray:
    """Yuan to build each site at ``level`` (0 without a cost column)."""
    if level.cost_column is None:
        return np.full(len(sites), level.cost or 0.0)
    return sites[level.cost_column].to_numpy(dtype=float)


def _build_cost(spec: CountySpec, sites: pd.DataFrame, opened: _Opened) -> float:
    """Yuan to build the new hubs and clinics (a level without a cost column costs 0)."""
    return float(
        _costs(spec.hub, sites)[opened.new_hub].sum()
        + _costs(spec.clinic, sites)[opened.new_clinic].sum()
    )


def _budget_problems(spec: CountySpec, build_cost: float) -> list[str]:
    """The build cost (yuan) above the budget."""
    problems: list[str] = []
    if spec.budget is not None and build_cost > spec.budget * (1 + REL_TOL) + ABS_TOL:
        problems.append(f"build cost {build_cost:g} exceeds the budget {spec.budget:g}")
    return problems


def _roaming_facts(
    plan: CountyPlan,
    demand: pd.DataFrame,
    sites: pd.DataFrame,
    travel: TravelTimes,
    spec: CountySpec,
    stop_travel: TravelTimes | None,
    tt: _Travel,
    allowed: _Allowed,
) -> RoamingFacts:
    """The roaming check's findings, roamed and roamable villages and vehicle-day cost
    (yuan); none roam without ``spec.roaming``."""
    if spec.roaming is None:
        none = np.zeros(len(demand), dtype=bool)
        return RoamingFacts(roamed=none, roamable=none)
    if stop_travel is None or plan.routes is None:
        raise VerificationError(["roaming plan without routes or village x village minutes"])
    return check_roaming(
        plan,
        demand,
        sites,
        travel,
        stop_travel,
        spec.roaming,
        ~tt.reached(spec.clinic.radius, allowed.may_open),
    )


class _Reach(NamedTuple):
    """One level's coverage: the units some site that may open at the level reaches within
    its radius, the units the plan covers (at the clinic level also by roaming, and
    roamable units join the target) and the units an open site of the level covers."""

    name: str
    level: LevelSpec
    target: np.ndarray
    covered: np.ndarray
    by_sites: np.ndarray


def _reach(
    spec: CountySpec, tt: _Travel, allowed: _Allowed, opened: _Opened, facts: RoamingFacts
) -> list[_Reach]:
    """The hub level's and the clinic level's coverage."""
    levels = []
    for name, lv, may, open_ in (
        ("hub", spec.hub, allowed.may_hub, opened.is_hub),
        ("clinic", spec.clinic, allowed.may_open, opened.is_open),
    ):
        target = tt.reached(lv.radius, may)
        covered = by_sites = tt.reached(lv.radius, open_)
        if name == "clinic":
            target, covered = target | facts.roamable, covered | facts.roamed
        levels.append(_Reach(name, lv, target, covered, by_sites))
    return levels


def _coverage_problems(reach: list[_Reach], pop: np.ndarray, names: np.ndarray) -> list[str]:
    """Hard targets: units an eligible site could reach but the plan leaves uncovered;
    share targets: persons covered below the share of those an eligible site could reach."""
    problems: list[str] = []
    for name, lv, target, covered, _ in reach:
        if lv.share is None:
            missed = target & ~covered
            if missed.any():
                problems.append(
                    f"{name} radius {lv.radius:g} min: units {_ids(missed, names)} are not "
                    "covered though an eligible site could reach them"
                )
        else:
            got = float(pop[target & covered].sum())
            wanted = lv.share * float(pop[target].sum())
            if got < wanted - ABS_TOL - REL_TOL * wanted:
                problems.append(
                    f"{name} share: {got:g} persons within {lv.radius:g} min, below the "
                    f"{lv.share:g} target of {wanted:g}"
                )
    return problems


def _coverage_value(reach: list[_Reach], pop: np.ndarray) -> float:
    """The coverage stage's value (persons): those covered within the share targets."""
    value = 0.0
    for r in reach:
        if r.level.share is not None:
            value += float(pop[r.target & r.covered].sum())
    return value


def _assignments(
    assign: pd.DataFrame,
    spec: CountySpec,
    tt: _Travel,
    allowed: _Allowed,
    opened: _Opened,
    roamed: np.ndarray,
) -> tuple[_Assignment, _Assignment]:
    """The district (hub) and service (primary care) assignments of the plan, with their
    limits: ``district_minutes`` (default the hub radius) and ``service_minutes`` (default
    the district limit)."""
    district_limit = spec.district_minutes or spec.hub.radius
    service_limit = spec.service_minutes or district_limit
    return (
        _Assignment(
            "district",
            np.asarray(assign["hub_id"], dtype=str),
            assign["hub_minutes"].to_numpy(dtype=float),
            district_limit,
            tt.reached(district_limit, allowed.may_hub),
            opened.is_hub,
            np.zeros(len(assign), dtype=bool),
        ),
        _Assignment(
            "service",
            np.asarray(assign["site_id"], dtype=str),
            assign["minutes"].to_numpy(dtype=float),
            service_limit,
            tt.reached(service_limit, allowed.may_open),
            opened.is_open,
            roamed,
        ),
    )


def _assignment_problems(
    district: _Assignment,
    service: _Assignment,
    assign: pd.DataFrame,
    names: np.ndarray,
    site_pos: dict[str, int],
    level: np.ndarray,
    tt: _Travel,
) -> list[str]:
    """The first 10 findings of each assignment, prefixed with its name; the service
    assignment's include the level column's."""
    service_bad = _unit_problems(service, names, site_pos, tt)
    service_bad += _level_match_problems(assign, site_pos, level)
    return [f"district: {b}" for b in _unit_problems(district, names, site_pos, tt)[:10]] + [
        f"service: {b}" for b in service_bad[:10]
    ]


def _unit_problems(
    a: _Assignment, names: np.ndarray, site_pos: dict[str, int], tt: _Travel
) -> list[str]:
    """Per unit: unassigned though a site is within the limit, assigned as well as roamed,
    to an unknown site or one not open at the level, beyond the limit (minutes), or with
    minutes that are not the travel times'."""
    bad: list[str] = []
    for i in range(names.size):
        sid = a.chosen[i]
        if not sid or sid == "nan":
            if a.reachable[i] and not a.roamed[i]:
                bad.append(f"{names[i]} unassigned though a site is within {a.limit:g} min")
            continue
        if a.roamed[i]:
            bad.append(f"{names[i]} is served by roaming and also assigned to {sid}")
        j = site_pos.get(sid)
        if j is None:
            bad.append(f"{names[i]} assigned to unknown site {sid}")
            continue
        if not a.open_[j]:
            bad.append(f"{names[i]} assigned to {sid}, which is not open at this level")
        t = tt.minutes(i, j)
        if not t <= a.limit + ABS_TOL:
            bad.append(f"{names[i]} assigned to {sid} at {t:g} min, beyond {a.limit:g} min")
        if np.isfinite(t) and not close(a.claimed[i], t):
            bad.append(f"{names[i]} reports {a.claimed[i]:g} min to {sid}, travel says {t:g}")
    return bad


def _level_match_problems(
    assign: pd.DataFrame, site_pos: dict[str, int], level: np.ndarray
) -> list[str]:
    """The assignments' level column against the level of each unit's service site."""
    bad: list[str] = []
    chosen = np.asarray(assign["site_id"], dtype=str)
    lv_col = np.asarray(assign["level"], dtype=str)
    pos = np.array([site_pos.get(s, -1) for s in chosen])
    want = np.where(pos >= 0, level[np.maximum(pos, 0)], "")
    if (lv_col != want).any():
        bad.append("the assignment level does not match the site level")
    return bad


def _loads(
    assignments: tuple[_Assignment, ...],
    pop: np.ndarray,
    n_sites: int,
    site_pos: dict[str, int],
    tt: _Travel,
) -> _Loads:
    """Persons and units the district assignment puts on each hub, persons the service
    assignment puts on each site, and person-minutes summed over both, unit by unit."""
    m = n_sites
    loads = {"district": np.zeros(m), "service": np.zeros(m)}
    district_units = np.zeros(m, dtype=int)
    person_minutes = 0.0
    for a in assignments:
        for i in range(pop.size):
            sid = a.chosen[i]
            j = None if not sid or sid == "nan" else site_pos.get(sid)
            if j is None:
                continue
            t = tt.minutes(i, j)
            if np.isfinite(t):
                person_minutes += pop[i] * t
            loads[a.what][j] += pop[i]
            if a.what == "district":
                district_units[j] += 1
    return _Loads(loads["district"], district_units, loads["service"], person_minutes)


def _balance_problems(
    spec: CountySpec,
    is_hub: np.ndarray,
    district_pop: np.ndarray,
    total: float,
    site_ids: np.ndarray,
) -> list[str]:
    """Districts whose persons lie outside ``spec.balance`` of the mean district."""
    problems: list[str] = []
    if spec.balance is not None and is_hub.any():
        mean = total / int(is_hub.sum())
        off = is_hub & (
            (district_pop > (1 + spec.balance) * mean * (1 + REL_TOL) + ABS_TOL)
            | (district_pop < (1 - spec.balance) * mean * (1 - REL_TOL) - ABS_TOL)
        )
        if off.any():
            problems.append(
                f"districts outside +-{spec.balance:g} of the mean: {_ids(off, site_ids)}"
            )
    return problems


def _load_problems(layer: pd.DataFrame, loads: _Loads, site_ids: np.ndarray) -> list[str]:
    """The sites layer's persons served and district persons against the assignments'."""
    problems: list[str] = []
    for col, want in (
        ("population_served", loads.served),
        ("district_population", loads.district_pop),
    ):
        got = layer[col].to_numpy(dtype=float)
        if not np.allclose(got, want, rtol=REL_TOL, atol=ABS_TOL):
            problems.append(f"sites.{col} misreported at {_ids(~np.isclose(got, want), site_ids)}")
    return problems


def _district_problems(
    plan: CountyPlan,
    is_hub: np.ndarray,
    loads: _Loads,
    site_pos: dict[str, int],
    site_ids: np.ndarray,
) -> list[str]:
    """The districts table: one row per hub, with the persons and units assigned to it."""
    problems: list[str] = []
    dist = plan.districts
    if sorted(np.asarray(dist["hub_id"], dtype=str)) != sorted(site_ids[is_hub]):
        problems.append("the districts table does not list exactly the hubs")
    else:
        for hid, p, k in zip(dist["hub_id"], dist["population"], dist["n_units"], strict=True):
            j = site_pos[str(hid)]
            if not close(float(p), loads.district_pop[j]) or int(k) != loads.district_units[j]:
                problems.append(f"district {hid}: population or unit count misreported")
    return problems


def _staffing_problems(
    plan: CountyPlan,
    spec: CountySpec,
    sites: pd.DataFrame,
    layer: pd.DataFrame,
    opened: _Opened,
    served: np.ndarray,
    site_ids: np.ndarray,
) -> tuple[list[str], float]:
    """Per staff rule: its columns in the sites layer, the staff (persons) per site against
    the need from ``served`` (persons), the staff on post (the input sites' column), moves
    and hires, the roaming crews (crew x the vehicles of the timetable), the pool, and the
    staffing table's row. Also the shortfall over every rule (persons)."""
    problems: list[str] = []
    total = 0.0
    table = plan.staffing.set_index("staff_type") if len(plan.staffing) else None
    in_service = 0
    if plan.timetable is not None and len(plan.timetable):
        in_service = int(plan.timetable["vehicle"].nunique())
    per_vehicle = spec.roaming.crew if spec.roaming is not None else {}
    for rule in spec.staff:
        if rule.name not in layer.columns or f"shortfall_{rule.name}" not in layer.columns:
            problems.append(f"staff {rule.name}: no columns in the sites layer")
            continue
        column = spec.existing_staff.get(rule.name)
        on_post = sites[column].to_numpy(dtype=float) if column else np.zeros(len(sites))
        figures = _StaffFigures.read(rule, layer, on_post)
        if figures is None:
            problems.append(f"staff {rule.name}: no hired or moved columns in the sites layer")
            continue
        level_min = np.where(
            opened.is_hub, rule.min_hub, np.where(opened.is_open, rule.min_clinic, 0.0)
        )
        need = np.where(opened.is_open, rule.per_person * served + level_min, 0.0)
        crew_need = per_vehicle.get(rule.name, 0.0) * in_service
        if rule.whole:  # whole posts: the need rounded up
            need = np.ceil(need - ABS_TOL)
            crew_need = float(np.ceil(crew_need - ABS_TOL))
        crew = _crew_figures(rule, table, figures, crew_need)
        problems += crew.problems
        problems += _staff_site_problems(rule, figures, need, opened.is_open, site_ids, crew)
        problems += _staff_table_problems(rule, table, figures, need, crew)
        total += float(figures.short.sum()) + crew.short
    return problems, total


@dataclass
class _Crews:
    """One staff type's roaming crews (persons): their need, those moved to them and those
    hired for them (as the staffing table gives them), the shortfall, and what is wrong."""

    need: float = 0.0
    moved: float = 0.0
    hired: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def short(self) -> float:
        return max(self.need - self.moved - self.hired, 0.0)


def _crew_figures(
    rule: StaffRule, table: pd.DataFrame | None, f: _StaffFigures, need: float
) -> _Crews:
    """The crews of ``rule`` needing ``need`` persons: the staffing table's moved and hired
    beyond the sites' are the crews'; none may be negative, and the table's ``crews`` is
    the need."""
    if table is None or rule.name not in table.index:
        return _Crews(need)
    row = table.loc[rule.name]
    stated = float(row["crews"]) if "crews" in table.columns else 0.0
    crews = _Crews(
        need,
        float(row["moved"]) - float(f.moved_in.sum()),
        float(row["hired"]) - float(f.hired.sum()),
    )
    if not close(stated, need):
        crews.problems.append(f"staff {rule.name}: roaming crews {stated:g}, recomputed {need:g}")
    if min(crews.moved, crews.hired) < -ABS_TOL:
        crews.problems.append(f"staff {rule.name}: negative staff for the roaming crews")
    if crews.moved + crews.hired > need + ABS_TOL:
        crews.problems.append(
            f"staff {rule.name}: {crews.moved + crews.hired:g} moved or hired beyond the sites, "
            f"the roaming crews need {need:g}"
        )
    return crews


@dataclass
class _StaffFigures:
    """One staff type per site (persons): on post, moved in and out, hired, planned and the
    reported shortfall."""

    on_post: np.ndarray
    moved_in: np.ndarray
    moved_out: np.ndarray
    hired: np.ndarray
    planned: np.ndarray
    short: np.ndarray

    @classmethod
    def read(cls, rule: StaffRule, layer: pd.DataFrame, on_post: np.ndarray):
        """The figures of ``rule`` from the layer (None when a column it needs is missing):
        without staff on post everyone planned is hired; moves are listed only for types
        whose staff may move."""
        planned = layer[rule.name].to_numpy(dtype=float)
        zeros = np.zeros_like(planned)

        def column(prefix: str, default: np.ndarray | None) -> np.ndarray | None:
            name = f"{prefix}{rule.name}"
            return layer[name].to_numpy(dtype=float) if name in layer.columns else default

        has_staff = bool(on_post.any())
        hired = column("hired_", None if has_staff else planned)
        moves = has_staff and rule.max_transfer > 0
        moved_in = column("moved_in_", None if moves else zeros)
        moved_out = column("moved_out_", None if moves else zeros)
        if hired is None or moved_in is None or moved_out is None:
            return None
        short = layer[f"shortfall_{rule.name}"].to_numpy(dtype=float)
        return cls(on_post, moved_in, moved_out, hired, planned, short)


def _staff_site_problems(
    rule: StaffRule,
    f: _StaffFigures,
    need: np.ndarray,
    is_open: np.ndarray,
    site_ids: np.ndarray,
    crew: _Crews,
) -> list[str]:
    """One rule's staff per site (persons): whole numbers unless counted in full-time
    equivalents, on post less those moved out plus those moved in and hired, moves within
    the share allowed, the shortfall equal to the need not met, no staff placed beyond the
    need, none at closed sites; and in all, moves that balance and the pool."""
    problems: list[str] = []
    tol = ABS_TOL + REL_TOL * np.abs(need)
    movable = rule.max_transfer * f.on_post
    if rule.whole:
        movable = np.floor(movable + 1e-9)
    gap = np.maximum(need - f.planned, 0.0)
    enough = need
    placed = f.moved_in + f.hired
    checks = [
        ((f.planned < -tol) | (f.hired < -tol) | (f.moved_in < -tol), "negative staff"),
        ((f.moved_out < -tol) | (f.moved_out > movable + tol), "moved out beyond the share"),
        (np.abs(f.planned - (f.on_post - f.moved_out + placed)) > tol, "planned != kept + in"),
        (np.abs(f.short - gap) > tol, "shortfall is not the need not met"),
        ((placed > tol) & (f.planned > enough + tol), "staff placed beyond need"),
        (~is_open & ((placed > tol) | (np.abs(f.short) > tol)), "staff placed at closed site"),
    ]
    if rule.whole:
        figures = np.stack([f.planned, f.hired, f.moved_in, f.moved_out])
        checks.append(((np.abs(figures - np.round(figures)) > ABS_TOL).any(axis=0), "part posts"))
    for mask, what in checks:
        if mask.any():
            problems.append(f"staff {rule.name}: {what} at {_ids(mask, site_ids)}")
    moved_in = float(f.moved_in.sum()) + crew.moved
    if not close(moved_in, float(f.moved_out.sum())):
        problems.append(f"staff {rule.name}: {moved_in:g} moved in, {f.moved_out.sum():g} out")
    planned = float(f.planned.sum()) + crew.moved + crew.hired
    if np.isfinite(rule.pool) and planned > rule.pool * (1 + REL_TOL) + ABS_TOL:
        problems.append(f"staff {rule.name}: {planned:g} planned, pool {rule.pool:g}")
    return problems


def _staff_table_problems(
    rule: StaffRule, table: pd.DataFrame | None, f: _StaffFigures, need: np.ndarray, crew: _Crews
) -> list[str]:
    """The staffing table's row of one rule: need, on post, moved, hired, planned and
    shortfall (persons), hiring cost (yuan)."""
    problems: list[str] = []
    if table is None or rule.name not in table.index:
        problems.append(f"staffing table: no row for {rule.name}")
        return problems
    row = table.loc[rule.name]
    for col, want in (
        ("need", need.sum()),
        ("on_post", f.on_post.sum()),
        ("moved", f.moved_in.sum() + crew.moved),
        ("hired", f.hired.sum() + crew.hired),
        ("planned", f.planned.sum() + crew.moved + crew.hired),
        ("shortfall", f.short.sum() + crew.short),
        ("hiring_cost", rule.hire_cost * (f.hired.sum() + crew.hired)),
    ):
        if not close(float(row[col]), float(want), 1.0):
            problems.append(f"staffing {rule.name}.{col}: {row[col]:g}, recomputed {want:g}")
    return problems


def _summary_problems(
    plan: CountyPlan,
    spec: CountySpec,
    *,
    is_hub: np.ndarray,
    new_hub: np.ndarray,
    clinic: np.ndarray,
    new_clinic: np.ndarray,
    total: float,
    covered_pop: dict[str, float],
    build_cost: float,
    person_minutes: float,
    shortfall_total: float,
) -> list[str]:
    """The summary items against the recomputed counts, persons (``total``, ``covered_pop``
    per level), build cost (yuan), person-minutes and staff shortfall (persons)."""
    problems: list[str] = []
    summary = plan.summary
    checks = {
        "hubs": float(is_hub.sum()),
        "new_hubs": float(new_hub.sum()),
        "clinics": float(clinic.sum()),
        "new_clinics": float(new_clinic.sum()),
        "population": total,
        "hub_radius": float(spec.hub.radius),
        "hub_population": covered_pop["hub"],
        "clinic_radius": float(spec.clinic.radius),
        "clinic_population": covered_pop["clinic"],
        "build_cost": build_cost,
        "person_minutes": person_minutes,
        "staff_shortfall": shortfall_total,
    }
    for item, want in checks.items():
        got = getattr(summary, item)
        if not close(float(got), want, 1.0):
            problems.append(f"summary {item}: {got!r}, recomputed {want!r}")
    return problems


def _stage_problems(plan: CountyPlan, spec: CountySpec, recomputed: dict[str, float]) -> list[str]:
    """What the stage records claim that the plan does not hold: the recorded value, the
    stage's bound, the value later stages held (within ``spec.tolerance``) and the gap."""
    problems = []
    for rec in plan.stages:
        if rec.stage not in recomputed or not np.isfinite(rec.objective):
            continue
        want = recomputed[rec.stage]
        sign = -1.0 if rec.stage in ("coverage", "person_years") else 1.0  # minimised form
        if not close(want, rec.objective, 1.0):
            problems.append(f"stage {rec.stage}: objective {rec.objective!r}, plan gives {want!r}")
        if np.isfinite(rec.bound) and sign * (want - rec.bound) < -_slack(rec.bound, 0.0):
            problems.append(
                f"stage {rec.stage}: plan gives {want!r}, beyond its bound {rec.bound!r}"
            )
        if np.isfinite(rec.held) and sign * (want - rec.held) > _slack(rec.held, spec.tolerance):
            problems.append(
                f"stage {rec.stage}: plan gives {want!r}, worse than the {rec.held!r} "
                "later stages held"
            )
        if np.isfinite(rec.bound):
            gap = abs(rec.objective - rec.bound) / max(abs(rec.objective), 1.0)
            if not abs(gap - rec.gap) <= 1e-9 + REL_TOL * gap:
                problems.append(f"stage {rec.stage}: gap {rec.gap!r}, recomputed {gap!r}")
        if rec.status == "optimal" and rec.gap > 1e-6 + spec.tolerance:
            problems.append(f"stage {rec.stage}: status optimal with a gap of {rec.gap:.3g}")
    return problems


def _slack(value: float, tolerance: float) -> float:
    """Room for a held value (relative ``tolerance``) and for solver rounding."""
    return tolerance * max(1.0, abs(value)) + ABS_TOL + 1e-6 * abs(value)
