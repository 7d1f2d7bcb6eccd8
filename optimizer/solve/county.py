"""County stages: the county model solved stage by stage, each holding the earlier stages'
values, and read back as arrays (``CountySolution``), as ``locate`` returns ``LocateResult``."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from geodata.errors import InputError
from geodata.i18n import gettext as _
from models.county import MAXIMISED, STAGES, CountyInput, CountyModel, build_county_model
from models.county_terms import PHASE_STAGE, STAFF_STAGES
from optimizer.county_spec import CountySpec, StageRecord
from optimizer.solve.highs import relative_gap
from optimizer.solve.highs_run import MipSolution
from optimizer.solve.staged import StagedModel

# Statuses of a stage solve that come with a plan.
FOUND = ("optimal", "time_limit", "node_limit", "iteration_limit", "interrupted")

# Largest relative gap of a stage still called "optimal" (a larger one: "mip_gap").
PROVEN_GAP = 1e-6

# Largest coefficient of a row holding an earlier stage's optimum. Rows scaled further down
# (e.g. to 1e3) leave HiGHS unable to improve later stages within their time limit.
HELD_TARGET = 1e5

# Slack (persons) of the shortfall held while hires and moves are settled.
SETTLE_SLACK = 1e-6

# Relative slack of the bound a stage's restricted plan gives its whole solve (rounding only).
CUTOFF_SLACK = 1e-9

# Least time (seconds) left for a stage's whole solve after its restricted one.
MIN_REST_SECONDS = 1.0

# Longest solve (seconds) of each trial that looks for the settings blocking a plan.
TRIAL_SECONDS = 10.0


@dataclass
class CountySolution:
    """A solved county model as arrays over the sites (m) and demand units (n).

    Attributes:
        is_hub: per site, True when it is a hub.
        is_open: per site, True when it is open (hub or clinic).
        hub_of: per demand unit, the site index of its hub (-1: none).
        site_of: per demand unit, the site index of its primary-care site (-1: none).
        staff: per staff type, the planned staff per site (persons): those on post who
            stay, those moved in and those hired.
        shortfall: per staff type, the shortfall per site (persons).
        moved_in, moved_out, hired: per staff type, per site (persons).
        crews: with roaming crews, per staff type the crews' need (crew x vehicles in
            service), those moved to them and those hired for them (persons).
        in_service: with roaming crews, the vehicles in service.
        hub_year, site_year: with phases, per site the year position (0 = the first year)
            it is a hub / open for primary care by, -1 for sites open before the period
            and the number of years for sites the plan leaves closed.
        build_cost: cost of the new hubs and clinics (yuan).
        person_minutes: population-weighted minutes to the primary-care sites.
        drive: with roaming, how many times each route of the pool is driven per cycle.
        roamed: with roaming, per demand unit, True when a roaming vehicle serves it.
    """

    is_hub: np.ndarray
    is_open: np.ndarray
    hub_of: np.ndarray
    site_of: np.ndarray
    staff: dict[str, np.ndarray]
    shortfall: dict[str, np.ndarray]
    moved_in: dict[str, np.ndarray]
    moved_out: dict[str, np.ndarray]
    hired: dict[str, np.ndarray]
    build_cost: float
    person_minutes: float
    drive: np.ndarray | None = None
    roamed: np.ndarray | None = None
    crews: dict[str, tuple[float, float, float]] | None = None
    in_service: int | None = None
    hub_year: np.ndarray | None = None
    site_year: np.ndarray | None = None


def solve_stages(
    data: CountyInput, spec: CountySpec
) -> tuple[CountySolution | None, list[StageRecord]]:
    """Solve the spec's stages in order, each holding the earlier stages' values (relative
    slack ``spec.tolerance``); the last plan found (None when none) and one record per stage
    solved.

    Raises:
        InputError: a stage name that is not one of ``STAGES``.
    """
    known = (*STAGES, PHASE_STAGE) if data.phasing is not None else STAGES
    unknown = [stage for stage in spec.stages if stage not in known]
    if unknown:
        raise InputError(
            _("stage {stage} is unknown; use some of {stages}").format(
                stage=repr(unknown[0]), stages=", ".join(known)
            )
        )
    model = build_county_model(data)
    has_share = any(units.size for units in model.cov_units.values())
    stages = [stage for stage in spec.stages if stage != "coverage" or has_share]
    settle = [s for s in STAFF_STAGES if data.staff and model.objectives[s].any()]
    staged = StagedModel(
        model.matrix,
        {stage: (model.objectives[stage], stage in MAXIMISED) for stage in stages + settle},
        model.offsets,
    )
    solved: list[tuple[str, MipSolution, float]] = []  # stage, solution, value held
    # stages after the last one that places sites staff the plan the earlier ones chose
    placing = [k for k, stage in enumerate(stages) if stage != "shortfall"]
    head = stages[: placing[-1] + 1] if placing else []
    schedule = None
    if model.phasing is not None and PHASE_STAGE in head:
        opened = model.phasing.opened
        schedule = (head.index(PHASE_STAGE), opened.index(np.arange(opened.size)))
    finished = _in_turn(staged, head, spec, solved, schedule)
    if finished and staged.values is not None and (data.staff or len(head) < len(stages)):
        staged.fix(model.plan_columns())
    if finished:
        finished = _in_turn(staged, stages[len(head) :], spec, solved)
    if finished and settle and staged.values is not None:
        # hires and moves are settled holding the shortfall within SETTLE_SLACK persons
        if "shortfall" in stages:
            staged.hold("shortfall", SETTLE_SLACK, HELD_TARGET)
        finished = _in_turn(staged, settle, spec, solved)
    if staged.values is None or (not finished and solved[-1][1].status == "infeasible"):
        return None, _records(model, solved, None)
    values = model.settled(staged.values)
    return read_solution(model, data, values), _records(model, solved, values)


def _in_turn(
    staged: StagedModel,
    stages: list[str],
    spec: CountySpec,
    solved: list[tuple[str, MipSolution, float]],
    schedule: tuple[int, np.ndarray] | None = None,
) -> bool:
    """Solve ``stages`` in order, each holding the earlier ones (appended to ``solved``);
    False when one finds no plan or a stop is requested. With ``schedule`` (the position of
    the person-years stage and the columns of the years before the last), each later stage
    is first solved with the years fixed as the last plan has them: that plan is one of the
    whole model's, so the stage's optimum is no worse, which a row then says before the
    whole stage is solved (it cuts the search; the optimum stays)."""
    for k, stage in enumerate(stages):
        if schedule is not None and k > schedule[0] and staged.values is not None:
            sol = _restricted_first(staged, stage, spec, schedule[1])
        else:
            sol = staged.solve(
                stage, time_limit=spec.time_limit, mip_gap=spec.mip_gap, node_limit=spec.node_limit
            )
        if not (sol.status in FOUND and np.isfinite(sol.objective)):
            solved.append((stage, sol, np.nan))
            return False
        value = staged.value(stage)
        staged.hold(stage, spec.tolerance * abs(value), HELD_TARGET)
        solved.append((stage, sol, value))
        if sol.status == "interrupted":
            return False
    return True


def _restricted_first(
    staged: StagedModel, stage: str, spec: CountySpec, columns: np.ndarray
) -> MipSolution:
    """Solve ``stage`` with ``columns`` fixed as the last plan has them, bound the stage by
    that plan's value, then solve it whole within the rest of the stage's time limit. When
    the whole solve stops without a plan, the restricted plan stands (with the whole solve's
    status and bound); a stop requested during the restricted solve ends the stage there."""
    with staged.fixed(columns):
        first = staged.solve(
            stage, time_limit=spec.time_limit, mip_gap=spec.mip_gap, node_limit=spec.node_limit
        )
    found = first.status in FOUND and np.isfinite(first.objective)
    if first.status == "interrupted":
        return first
    if found:
        terms = staged.value(stage) - staged.offsets.get(stage, 0.0)
        staged.bound(stage, terms, CUTOFF_SLACK * max(1.0, abs(terms)), HELD_TARGET)
    rest = max(spec.time_limit - first.seconds, MIN_REST_SECONDS)
    sol = staged.solve(stage, time_limit=rest, mip_gap=spec.mip_gap, node_limit=spec.node_limit)
    sol = replace(sol, seconds=sol.seconds + first.seconds)
    if found and sol.status in FOUND and not np.isfinite(sol.objective):
        sol = replace(sol, objective=first.objective)  # the restricted plan stands
    return sol


def most_coverage(data: CountyInput, spec: CountySpec) -> dict[str, np.ndarray] | None:
    """The coverage units a plan of ``data`` leaves out when it covers the most it can, per
    coverage tag ("h" hub, "c" clinic): demand indices; None when no plan is found (each
    balance count tried for at most ``TRIAL_SECONDS``)."""
    counts = [None]
    if data.balance is not None:
        rng = data.hub_target.count or (1, int((data.can_hub & ~data.barred_hub).sum()))
        counts = list(range(rng[0], rng[1] + 1))
    for k in counts:
        model = build_county_model(replace(data, n_hubs=k))
        staged = StagedModel(model.matrix, {"coverage": (model.objectives["coverage"], True)})
        seconds = min(spec.time_limit, TRIAL_SECONDS)
        sol = staged.solve("coverage", time_limit=seconds, mip_gap=1e-4)
        if sol.status in ("optimal", "time_limit"):
            return {tag: _left_out(model, staged.values, tag) for tag in ("h", "c")}
    return None


def _left_out(model: CountyModel, values: np.ndarray, tag: str) -> np.ndarray:
    """The demand indices whose coverage indicator of level ``tag`` is 0 in ``values``."""
    units = model.cov_units[tag]
    if not units.size:
        return units
    return units[model.block(values, f"cov_{tag}") < 0.5]


def read_solution(model: CountyModel, data: CountyInput, values: np.ndarray) -> CountySolution:
    """The open sites, assignments, staff and figures of the plan ``values`` of ``model``."""
    n, m = data.population.size, data.can_hub.size
    is_hub = np.zeros(m, dtype=bool)
    is_hub[model.hub_sites] = model.block(values, "hub") > 0.5
    is_open = np.zeros(m, dtype=bool)
    is_open[model.site_sites] = model.block(values, "site") > 0.5
    n_types, n_prim = len(model.staff_names), model.site_sites.size
    blocks, crew = {}, {}
    for name in ("stay", "move_in", "hire", "short"):
        per_site = np.zeros((m, n_types))
        cells = model.block(values, name).reshape(-1, n_types) if n_types else np.zeros((0, 0))
        if n_types:
            per_site[model.site_sites] = cells[:n_prim]
        blocks[name] = np.where(per_site.T > 0, per_site.T, 0.0)  # (types, sites)
        crew[name] = np.maximum(cells[n_prim:].sum(axis=0), 0.0)  # the crews' cell
    whole = np.array([rule.whole for rule in data.staff], dtype=bool)
    for name in ("stay", "move_in", "hire"):  # whole persons read back as whole numbers
        blocks[name][whole] = np.rint(blocks[name][whole])
        crew[name] = np.where(whole, np.rint(crew[name]), crew[name])
    on_post = data.staff_on_post
    stay = np.where(np.isin(np.arange(m), model.site_sites), blocks["stay"], on_post)
    planned = stay + blocks["move_in"] + blocks["hire"]
    names = model.staff_names
    crews = in_service = None
    if model.matrix.blocks["in_service"].size:
        in_service = int(round(float(model.block(values, "in_service")[0])))
        per_vehicle = np.array([data.roaming.crew.get(name, 0.0) for name in names])
        need = per_vehicle * in_service
        need = np.maximum(np.where(whole, np.ceil(need - 1e-9), need), 0.0)
        crews = {
            name: (float(need[t]), float(crew["move_in"][t]), float(crew["hire"][t]))
            for t, name in enumerate(names)
        }
    hub_year = site_year = None
    if model.phasing is not None:
        first = model.phasing.years_open(values)
        n_hub = model.hub_sites.size
        hub_year, site_year = np.full(m, -1), np.full(m, -1)
        hub_year[model.hub_sites] = np.where(data.existing_hub[model.hub_sites], -1, first[:n_hub])
        before = data.existing_site | data.existing_hub
        site_year[model.site_sites] = np.where(before[model.site_sites], -1, first[n_hub:])
    drive = roamed = None
    if model.roam_of is not None:
        drive = np.rint(model.block(values, "drive")).astype(int)
        roamed = np.zeros(n, dtype=bool)
        can = model.roam_of >= 0
        roamed[can] = values[model.roam_of[can]] > 0.5
    return CountySolution(
        is_hub=is_hub,
        is_open=is_open,
        hub_of=_chosen(
            model.block(values, "dist"), data.district_pairs.demand, data.district_pairs.site, n
        ),
        site_of=_chosen(
            model.block(values, "serve"), data.service_pairs.demand, data.service_pairs.site, n
        ),
        staff=dict(zip(names, planned, strict=True)),
        shortfall=dict(zip(names, blocks["short"], strict=True)),
        moved_in=dict(zip(names, blocks["move_in"], strict=True)),
        moved_out=dict(zip(names, on_post - stay, strict=True)),
        hired=dict(zip(names, blocks["hire"], strict=True)),
        build_cost=float(model.build_cost @ values),
        person_minutes=float(model.objectives["travel"] @ values),
        drive=drive,
        roamed=roamed,
        crews=crews,
        in_service=in_service,
        hub_year=hub_year,
        site_year=site_year,
    )


def _chosen(assigned: np.ndarray, demand: np.ndarray, site: np.ndarray, n: int) -> np.ndarray:
    """Per demand unit, the site of its pair (``demand``, ``site``) whose binary assignment
    is 1 (-1: none)."""
    out = np.full(n, -1, dtype=np.int64)
    chosen = assigned > 0.5
    out[demand[chosen]] = site[chosen]
    return out


def _records(
    model: CountyModel,
    solved: list[tuple[str, MipSolution, float]],
    values: np.ndarray | None,
) -> list[StageRecord]:
    """Stage records of the plan ``values``: each stage objective's value in that plan, its
    gap to the stage's bound, and the value later stages held (nan for the last stage).
    Without a plan (None) the stages' own values are recorded."""
    records = []
    for k, (stage, sol, held) in enumerate(solved):
        value = sol.objective
        if values is not None:
            value = float(model.objectives[stage] @ values) + model.offsets.get(stage, 0.0)
        status = sol.status
        if status == "optimal" and sol.gap > PROVEN_GAP:
            status = "mip_gap"
        records.append(
            StageRecord(
                stage=stage,
                status=status,
                objective=value,
                bound=sol.bound,
                gap=relative_gap(value, sol.bound),
                seconds=sol.seconds + sol.seconds_compile,
                held=held if k + 1 < len(solved) else np.nan,
            )
        )
    return records
