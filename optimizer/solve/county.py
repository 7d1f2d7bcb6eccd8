"""County stages: the county model solved stage by stage, each holding the earlier stages'
values, and read back as arrays (``CountySolution``), as ``locate`` returns ``LocateResult``."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pyomo.environ as pyo

from geodata.errors import InputError
from geodata.i18n import gettext as _
from models.county import STAGES, CountyInput, build_county_model, settle_coverage
from optimizer.county_spec import CountySpec, StageRecord
from optimizer.solve.highs import relative_gap
from optimizer.solve.pyomo_highs import PyomoSolution, StagedModel, solve_pyomo

# Statuses of a stage solve that come with a plan.
FOUND = ("optimal", "time_limit", "node_limit", "iteration_limit", "interrupted")

# Largest relative gap of a stage still called "optimal" (a larger one: "mip_gap").
PROVEN_GAP = 1e-6

# Largest coefficient of a row holding an earlier stage's optimum. Rows scaled further down
# (e.g. to 1e3) leave HiGHS unable to improve later stages within their time limit.
HELD_TARGET = 1e5

# Stage objectives maximised (the others are minimised).
SENSES = {"coverage": pyo.maximize}

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
        staff: per staff type, the planned staff per site (persons).
        shortfall: per staff type, the shortfall per site (persons).
        build_cost: cost of the new hubs and clinics (yuan).
        person_minutes: population-weighted minutes to the primary-care sites.
        staff_shortfall: the shortfall over all types and sites (persons).
        drive: with roaming, how many times each route of the pool is driven per cycle.
        roamed: with roaming, per demand unit, True when a roaming vehicle serves it.
    """

    is_hub: np.ndarray
    is_open: np.ndarray
    hub_of: np.ndarray
    site_of: np.ndarray
    staff: dict[str, np.ndarray]
    shortfall: dict[str, np.ndarray]
    build_cost: float
    person_minutes: float
    staff_shortfall: float
    drive: np.ndarray | None = None
    roamed: np.ndarray | None = None


def solve_stages(
    data: CountyInput, spec: CountySpec
) -> tuple[CountySolution | None, list[StageRecord]]:
    """Solve the spec's stages in order, each holding the earlier stages' values (relative
    slack ``spec.tolerance``); the last plan found (None when none) and one record per stage
    solved.

    Raises:
        InputError: a stage name that is not one of ``STAGES``.
    """
    model = build_county_model(data)
    unknown = [stage for stage in spec.stages if stage not in STAGES]
    if unknown:
        raise InputError(
            _("stage {stage} is unknown; use some of {stages}").format(
                stage=repr(unknown[0]), stages=", ".join(STAGES)
            )
        )
    stages = [
        stage
        for stage in spec.stages
        if stage != "coverage" or len(model.cov_h_units) or len(model.cov_c_units)
    ]
    staged = StagedModel(
        model,
        {
            stage: (getattr(model, f"stage_{stage}"), SENSES.get(stage, pyo.minimize))
            for stage in stages
        },
    )
    solved: list[tuple[str, PyomoSolution, float]] = []  # stage, solution, value held
    for stage in stages:
        sol = staged.solve(
            stage, time_limit=spec.time_limit, mip_gap=spec.mip_gap, node_limit=spec.node_limit
        )
        if not (sol.status in FOUND and np.isfinite(sol.objective)):
            staged.load()
            if solved and sol.status != "infeasible":
                # the last plan found is the previous stage's
                records = _records(model, solved + [(stage, sol, np.nan)])
                return read_solution(model, data), records
            return None, _records(model, solved + [(stage, sol, np.nan)], final=False)
        value = staged.value(stage)
        staged.hold(stage, spec.tolerance * abs(value), HELD_TARGET)
        solved.append((stage, sol, value))
        if sol.status == "interrupted":
            break
    staged.load()
    records = _records(model, solved)
    return read_solution(model, data), records


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
        model.objective = pyo.Objective(expr=model.stage_coverage, sense=pyo.maximize)
        sol = solve_pyomo(model, time_limit=min(spec.time_limit, TRIAL_SECONDS), mip_gap=1e-4)
        if sol.status in ("optimal", "time_limit"):
            return {tag: _left_out(getattr(model, f"cov_{tag}")) for tag in ("h", "c")}
    return None


def _left_out(cov: pyo.Var) -> np.ndarray:
    """The demand indices whose coverage indicator ``cov`` is 0."""
    return np.array([i for i in cov if pyo.value(cov[i]) < 0.5], dtype=np.int64)


def read_solution(model: pyo.ConcreteModel, data: CountyInput) -> CountySolution:
    """The open sites, assignments, staff and figures of a solved county model."""
    n, m = data.population.size, data.can_hub.size
    is_hub = np.zeros(m, dtype=bool)
    for j in model.H:
        is_hub[j] = pyo.value(model.hub[j]) > 0.5
    is_open = np.zeros(m, dtype=bool)
    for j in model.C:
        is_open[j] = pyo.value(model.site[j]) > 0.5
    staff: dict[str, np.ndarray] = {}
    shortfall: dict[str, np.ndarray] = {}
    for rule in data.staff:
        staff[rule.name] = np.zeros(m)
        shortfall[rule.name] = np.zeros(m)
        for j in model.C:
            staff[rule.name][j] = pyo.value(model.staff[j, rule.name])
            shortfall[rule.name][j] = pyo.value(model.short[j, rule.name])
    drive = roamed = None
    if data.roaming is not None:
        drive = np.array([round(pyo.value(model.drive[r])) for r in model.R], dtype=int)
        roamed = np.zeros(n, dtype=bool)
        for i in model.RV:
            roamed[i] = pyo.value(model.roam[i]) > 0.5
    return CountySolution(
        is_hub=is_hub,
        is_open=is_open,
        hub_of=_chosen(model.dist, model.D, n),
        site_of=_chosen(model.serve, model.S, n),
        staff=staff,
        shortfall=shortfall,
        build_cost=float(pyo.value(model.build_cost)),
        person_minutes=float(pyo.value(model.stage_travel)),
        staff_shortfall=float(pyo.value(model.stage_shortfall)),
        drive=drive,
        roamed=roamed,
    )


def _chosen(var: pyo.Var, keys, n: int) -> np.ndarray:
    """Per demand unit, the site index of the binary assignment ``var`` over (i, j) ``keys``
    that is 1 (-1: none)."""
    out = np.full(n, -1, dtype=np.int64)
    for i, j in keys:
        if pyo.value(var[i, j]) > 0.5:
            out[i] = j
    return out


def _records(
    model: pyo.ConcreteModel, solved: list[tuple[str, PyomoSolution, float]], final: bool = True
) -> list[StageRecord]:
    """Stage records of the plan the model holds: each stage objective's value in that plan,
    its gap to the stage's bound, and the value later stages held (nan for the last stage).
    With ``final`` false (no plan) the stages' own values are recorded."""
    if final:
        settle_coverage(model)
    records = []
    for k, (stage, sol, held) in enumerate(solved):
        value = float(pyo.value(getattr(model, f"stage_{stage}"))) if final else sol.objective
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
