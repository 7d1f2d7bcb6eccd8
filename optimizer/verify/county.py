"""Independent check of a county plan against its inputs.

Recomputes from the travel times (minutes), the demand and sites layers and the spec, never
from the model, every claim a ``CountyPlan`` makes: which sites may host which level, the
hard and share coverage targets, each district and primary-care assignment, staffing
against the quotas and pools, counts, the budget, fixed and barred sites and the summary.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np

from geodata.travel import TravelTimes
from optimizer.county_spec import CountyPlan, CountySpec, LevelSpec
from optimizer.errors import VerificationError
from optimizer.verify.roaming import check_roaming

ABS_TOL = 1e-5  # persons, minutes, staff
REL_TOL = 1e-6


def _close(a: float, b: float, scale: float = 1.0) -> bool:
    return abs(a - b) <= ABS_TOL + REL_TOL * max(scale, abs(a), abs(b))


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
    problems: list[str] = []
    demand = demand.reset_index(drop=True)
    sites = sites.reset_index(drop=True)
    names = np.asarray(demand["id"], dtype=str)
    site_ids = np.asarray(sites["id"], dtype=str)
    kind = np.asarray(sites["kind"], dtype=str)
    pop = demand["population"].to_numpy(dtype=float)
    n, m = pop.size, site_ids.size
    total = float(pop.sum())
    tt = _Travel(travel)

    layer = plan.sites.reset_index(drop=True)
    if np.asarray(layer["site_id"], dtype=str).tolist() != site_ids.tolist():
        raise VerificationError(["the sites layer does not list the input sites in order"])
    assign = plan.assignments.reset_index(drop=True)
    if np.asarray(assign["demand_id"], dtype=str).tolist() != names.tolist():
        raise VerificationError(["the assignments do not list each demand unit once, in order"])

    level = np.asarray(layer["level"], dtype=str)
    is_hub = level == "hub"
    is_open = is_hub | (level == "clinic")
    if not np.isin(level, ["hub", "clinic", ""]).all():
        problems.append(
            f"unknown site levels {sorted(set(level.tolist()) - {'hub', 'clinic', ''})}"
        )

    hub_fixed, can_hub, hub_barred = _level_sites(spec.hub, kind, site_ids)
    clinic_fixed, can_clinic, clinic_barred = _level_sites(spec.clinic, kind, site_ids)
    existing = hub_fixed | clinic_fixed
    may_hub = can_hub & ~hub_barred
    may_clinic = (can_clinic | can_hub) & ~clinic_barred
    may_open = may_hub | may_clinic

    # levels, fixed and barred sites
    for mask, what in (
        (is_hub & ~may_hub, "hub at a site that may not host a hub"),
        (is_open & ~is_hub & ~may_clinic, "clinic at a site that may not host a clinic"),
        (hub_fixed & ~is_hub, "fixed hub not open as a hub"),
        (clinic_fixed & ~is_open, "fixed clinic not open"),
        (hub_barred & is_hub, "barred hub open as a hub"),
        (clinic_barred & is_open & ~is_hub, "barred clinic open as a clinic"),
    ):
        if mask.any():
            problems.append(f"{what}: {_ids(mask, site_ids)}")
    want_status = np.where(is_open & existing, "existing", np.where(is_open, "new", "closed"))
    status = np.asarray(layer["status"], dtype=str)
    if (status != want_status).any():
        problems.append(f"wrong status at sites {_ids(status != want_status, site_ids)}")

    # counts and budget
    new_hub = is_hub & ~hub_fixed
    clinic = is_open & ~is_hub
    new_clinic = clinic & ~existing
    for what, value, rng in (
        ("hub.count", int(is_hub.sum()), spec.hub.count),
        ("hub.new", int(new_hub.sum()), spec.hub.new),
        ("clinic.count", int(clinic.sum()), spec.clinic.count),
        ("clinic.new", int(new_clinic.sum()), spec.clinic.new),
    ):
        if rng is not None and not rng[0] <= value <= rng[1]:
            problems.append(f"{what}: {value} outside {rng[0]}..{rng[1]}")

    def costs(lv: LevelSpec) -> np.ndarray:
        if lv.cost_column is None:
            return np.zeros(m)
        return sites[lv.cost_column].to_numpy(dtype=float)

    build_cost = float(costs(spec.hub)[new_hub].sum() + costs(spec.clinic)[new_clinic].sum())
    if spec.budget is not None and build_cost > spec.budget * (1 + REL_TOL) + ABS_TOL:
        problems.append(f"build cost {build_cost:g} exceeds the budget {spec.budget:g}")

    roamed = roamable = np.zeros(n, dtype=bool)
    roaming_cost = 0.0
    if spec.roaming is not None:
        if stop_travel is None or plan.routes is None:
            raise VerificationError(["roaming plan without routes or village x village minutes"])
        facts = check_roaming(
            plan,
            demand,
            sites,
            travel,
            stop_travel,
            spec.roaming,
            ~tt.reached(spec.clinic.radius, may_open),
        )
        problems += facts.problems
        roamed, roamable, roaming_cost = facts.roamed, facts.roamable, facts.cost

    # coverage targets
    coverage_value = 0.0
    covered_pop = {}
    for name, lv, may, open_ in (
        ("hub", spec.hub, may_hub, is_hub),
        ("clinic", spec.clinic, may_open, is_open),
    ):
        target = tt.reached(lv.radius, may)
        covered = tt.reached(lv.radius, open_)
        covered_pop[name] = float(pop[covered].sum())
        if name == "clinic":
            target, covered = target | roamable, covered | roamed
        if lv.share is None:
            missed = target & ~covered
            if missed.any():
                problems.append(
                    f"{name} radius {lv.radius:g} min: units {_ids(missed, names)} are not "
                    "covered though an eligible site could reach them"
                )
        else:
            got = float(pop[target & covered].sum())
            coverage_value += got
            wanted = lv.share * float(pop[target].sum())
            if got < wanted - ABS_TOL - REL_TOL * wanted:
                problems.append(
                    f"{name} share: {got:g} persons within {lv.radius:g} min, below the "
                    f"{lv.share:g} target of {wanted:g}"
                )

    # districts and primary-care assignments
    district_limit = spec.district_minutes or spec.hub.radius
    service_limit = spec.service_minutes or district_limit
    site_pos = {s: k for k, s in enumerate(site_ids)}
    person_minutes = 0.0
    served = np.zeros(m)
    district_pop = np.zeros(m)
    district_units = np.zeros(m, dtype=int)
    for what, id_col, min_col, limit, may, open_, load in (
        ("district", "hub_id", "hub_minutes", district_limit, may_hub, is_hub, district_pop),
        ("service", "site_id", "minutes", service_limit, may_open, is_open, served),
    ):
        reachable = tt.reached(limit, may)
        chosen = np.asarray(assign[id_col], dtype=str)
        claimed = assign[min_col].to_numpy(dtype=float)
        bad: list[str] = []
        for i in range(n):
            sid = chosen[i]
            if not sid or sid == "nan":
                if reachable[i] and not (what == "service" and roamed[i]):
                    bad.append(f"{names[i]} unassigned though a site is within {limit:g} min")
                continue
            if what == "service" and roamed[i]:
                bad.append(f"{names[i]} is served by roaming and also assigned to {sid}")
            j = site_pos.get(sid)
            if j is None:
                bad.append(f"{names[i]} assigned to unknown site {sid}")
                continue
            if not open_[j]:
                bad.append(f"{names[i]} assigned to {sid}, which is not open at this level")
            t = tt.minutes(i, j)
            if not t <= limit + ABS_TOL:
                bad.append(f"{names[i]} assigned to {sid} at {t:g} min, beyond {limit:g} min")
            if np.isfinite(t) and not _close(claimed[i], t):
                bad.append(f"{names[i]} reports {claimed[i]:g} min to {sid}, travel says {t:g}")
            if np.isfinite(t):
                person_minutes += pop[i] * t
            load[j] += pop[i]
            if what == "district":
                district_units[j] += 1
        if what == "service":
            lv_col = np.asarray(assign["level"], dtype=str)
            pos = np.array([site_pos.get(s, -1) for s in chosen])
            want = np.where(pos >= 0, level[np.maximum(pos, 0)], "")
            if (lv_col != want).any():
                bad.append("the assignment level does not match the site level")
        problems += [f"{what}: {b}" for b in bad[:10]]

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
    for col, want in (("population_served", served), ("district_population", district_pop)):
        got = layer[col].to_numpy(dtype=float)
        if not np.allclose(got, want, rtol=REL_TOL, atol=ABS_TOL):
            problems.append(f"sites.{col} misreported at {_ids(~np.isclose(got, want), site_ids)}")
    dist = plan.districts
    if sorted(np.asarray(dist["hub_id"], dtype=str)) != sorted(site_ids[is_hub]):
        problems.append("the districts table does not list exactly the hubs")
    else:
        for hid, p, k in zip(dist["hub_id"], dist["population"], dist["n_units"], strict=True):
            j = site_pos[str(hid)]
            if not _close(float(p), district_pop[j]) or int(k) != district_units[j]:
                problems.append(f"district {hid}: population or unit count misreported")

    # staffing
    shortfall_total = 0.0
    table = plan.staffing.set_index("staff_type") if len(plan.staffing) else None
    for rule in spec.staff:
        if rule.name not in layer.columns or f"shortfall_{rule.name}" not in layer.columns:
            problems.append(f"staff {rule.name}: no columns in the sites layer")
            continue
        staff = layer[rule.name].to_numpy(dtype=float)
        short = layer[f"shortfall_{rule.name}"].to_numpy(dtype=float)
        level_min = np.where(is_hub, rule.min_hub, np.where(is_open, rule.min_clinic, 0.0))
        need = np.where(is_open, rule.per_person * served + level_min, 0.0)
        tol = ABS_TOL + REL_TOL * np.abs(need)
        for mask, what in (
            (staff < -tol, "negative staff"),
            (short < -tol, "negative shortfall"),
            (staff < need - short - tol, "staff below need minus reported shortfall"),
            (staff > need + tol, "staff above need"),
            (~is_open & ((np.abs(staff) > tol) | (np.abs(short) > tol)), "staff at closed site"),
        ):
            if mask.any():
                problems.append(f"staff {rule.name}: {what} at {_ids(mask, site_ids)}")
        if np.isfinite(rule.pool) and staff.sum() > rule.pool * (1 + REL_TOL) + ABS_TOL:
            problems.append(f"staff {rule.name}: {staff.sum():g} planned, pool {rule.pool:g}")
        shortfall_total += float(short.sum())
        if table is None or rule.name not in table.index:
            problems.append(f"staffing table: no row for {rule.name}")
            continue
        row = table.loc[rule.name]
        for col, want in (
            ("need", need.sum()),
            ("planned", staff.sum()),
            ("shortfall", short.sum()),
        ):
            if not _close(float(row[col]), float(want), 1.0):
                problems.append(f"staffing {rule.name}.{col}: {row[col]:g}, recomputed {want:g}")

    # summary
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
        if not _close(float(got), want, 1.0):
            problems.append(f"summary {item}: {got!r}, recomputed {want!r}")

    # stage records: each records the plan's own value, no better than the stage's proven
    # bound, and at least as good as the value later stages were held to
    recomputed = {
        "coverage": coverage_value,
        "new_sites": float(new_hub.sum() + new_clinic.sum()),
        "cost": build_cost + roaming_cost,
        "travel": person_minutes,
        "shortfall": shortfall_total,
    }
    problems += _stage_problems(plan, spec, recomputed)

    if problems:
        raise VerificationError(problems)


def _stage_problems(plan: CountyPlan, spec: CountySpec, recomputed: dict[str, float]) -> list[str]:
    """What the stage records claim that the plan does not hold: the recorded value, the
    stage's bound, the value later stages held (within ``spec.tolerance``) and the gap."""
    problems = []
    for rec in plan.stages:
        if rec.stage not in recomputed or not np.isfinite(rec.objective):
            continue
        want = recomputed[rec.stage]
        sign = -1.0 if rec.stage == "coverage" else 1.0  # minimised form
        if not _close(want, rec.objective, 1.0):
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
