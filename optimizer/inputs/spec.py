"""A county config and the sites and villages it names, as the ``CountySpec`` the planner
solves: site and village names resolved to ids, staff rules with the staff on post."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from geodata.errors import ConfigError
from geodata.i18n import gettext as _
from models.county_terms import PHASE_STAGE, STAGES, StaffRule
from optimizer.config.county import (
    CountyConfig,
    LevelConfig,
    PhasesConfig,
    RoamingConfig,
    VillageRule,
)
from optimizer.county_spec import DEFAULT_STAFF, CountySpec, LevelSpec, PhasesSpec, RoamingSpec
from optimizer.inputs.names import resolve_names


def county_spec(
    config: CountyConfig, sites: pd.DataFrame, source: str | Path = "config"
) -> CountySpec:
    """The config as a CountySpec; fixed, barred and base names are resolved against ``sites``
    (roaming village lists against the demand by :func:`resolve_villages`).

    Raises:
        ConfigError: unknown or ambiguous site names, or a bad existing-staff column.
    """
    return CountySpec(
        hub=level_spec("hub", config.hub, sites, source),
        clinic=level_spec("clinic", config.clinic, sites, source),
        district_minutes=config.districts.max_minutes,
        service_minutes=config.clinic.max_minutes,
        balance=config.districts.balance,
        budget=_total_budget(config),
        staff=staff_rules(config, sites),
        existing_staff={
            name: s.existing_column for name, s in config.staff.items() if s.existing_column
        },
        indicators={name: i.per_person() for name, i in config.indicators.items()},
        stages=_stages(config),
        time_limit=config.solve.time_limit,
        mip_gap=config.solve.mip_gap,
        node_limit=config.solve.node_limit,
        roaming=roaming_spec(config.roaming, sites, source),
    )


def _total_budget(config: CountyConfig) -> float | None:
    """Yuan for all new hubs and clinics: ``budget``, or ``[phases] budget`` when that is
    one amount for the whole period."""
    phases = config.phases
    if phases is not None and phases.budget is not None and not isinstance(phases.budget, list):
        return float(phases.budget)
    return config.budget


def _stages(config: CountyConfig) -> tuple[str, ...]:
    """The config's stages; with ``[phases]`` and no ``person_years`` listed, person-years
    come before the first of cost, travel and shortfall (after the plan's targets)."""
    stages = list(config.solve.stages)
    if config.phases is None or PHASE_STAGE in stages:
        return tuple(stages)
    later = [k for k, stage in enumerate(stages) if stage in STAGES[2:]]
    stages.insert(later[0] if later else len(stages), PHASE_STAGE)
    return tuple(stages)


def phases_spec(
    phases: PhasesConfig,
    demand: pd.DataFrame,
    frame: pd.DataFrame,
    source: str | Path = "config",
) -> PhasesSpec:
    """The ``[phases]`` section over the demand units: the population of every year
    (persons; the demand's population is the first year's unless ``population_columns``
    gives each year's from the demand file ``frame``), the budgets (yuan) and the yearly
    hiring caps of the staff types (persons).

    Raises:
        ConfigError: a population column that is missing or not numeric, or a unit whose
            type has no growth rate.
    """
    years = np.asarray(phases.years)
    ids = demand["id"].astype(str).to_numpy()
    if phases.population_columns:
        population = np.stack(
            [
                _numbers(
                    frame,
                    phases.population_columns[str(y)],
                    ids,
                    f"phases.population_columns.{y}",
                    source,
                )
                for y in years
            ]
        )
    else:
        base = demand["population"].to_numpy(dtype=float)
        population = (
            base * (1.0 + _growth(phases, frame, ids, source)) ** (years - years[0])[:, None]
        )
    if isinstance(phases.budget, list):
        budget = np.asarray(phases.budget, dtype=float)
    else:
        cap = np.inf if phases.year_cap is None else phases.year_cap
        budget = np.full(years.size, cap)
    hires = {
        name: tuple(caps) if isinstance(caps, list) else (float(caps),) * years.size
        for name, caps in phases.hires.items()
    }
    return PhasesSpec(tuple(int(y) for y in years), population, budget, hires=hires)


def _numbers(frame: pd.DataFrame, column: str, ids: np.ndarray, key: str, source) -> np.ndarray:
    """A numeric demand column (persons), naming the first unit with an empty or non-numeric
    cell."""
    if column not in frame.columns:
        raise ConfigError(
            _("{source}: {key}: the demand has no column {column}").format(
                source=source, key=key, column=repr(column)
            )
        )
    values = pd.to_numeric(pd.Series(np.asarray(frame[column])), errors="coerce")
    bad = np.flatnonzero(values.isna().to_numpy() | (values.to_numpy() < 0))
    if bad.size:
        raise ConfigError(
            _(
                "{source}: {key}: unit {id} has {value!r} in column {column}; give persons "
                "(a number >= 0)"
            ).format(
                source=source,
                key=key,
                id=ids[bad[0]],
                value=frame[column].iloc[[bad[0]]].tolist()[0],
                column=repr(column),
            )
        )
    return values.to_numpy(dtype=float)


def _growth(phases: PhasesConfig, frame: pd.DataFrame, ids: np.ndarray, source) -> np.ndarray:
    """Per demand unit, its population growth per year (0.01 = 1 %)."""
    if not isinstance(phases.growth, dict):
        return np.full(ids.size, float(phases.growth))
    column = phases.unit_type
    if column not in frame.columns:
        raise ConfigError(
            _("{source}: {key}: the demand has no column {column}").format(
                source=source, key="phases.unit_type", column=repr(column)
            )
        )
    kinds = np.asarray(frame[column]).astype(str)
    unknown = np.flatnonzero(~np.isin(kinds, list(phases.growth)))
    if unknown.size:
        raise ConfigError(
            _(
                "{source}: phases.growth: unit {id} is of type {kind} ({column}), which has no "
                "growth rate; add {kind} = <rate> to phases.growth"
            ).format(
                source=source, id=ids[unknown[0]], kind=repr(str(kinds[unknown[0]])), column=column
            )
        )
    return np.array([phases.growth[k] for k in kinds])


def resolve_sites(
    keys: list[str], sites: pd.DataFrame, what: str, source: str | Path = "config"
) -> tuple[str, ...]:
    """Site ids for a list of site ids or names (see ``resolve_names``)."""
    ids, names = sites["id"].astype(str), sites["name"].astype(str)
    return tuple(resolve_names(keys, ids, names, what=what, source=source))


def level_spec(
    key: str, cfg: LevelConfig, sites: pd.DataFrame, source: str | Path = "config"
) -> LevelSpec:
    """The ``[hub]`` or ``[clinic]`` section (``key``) with its site names resolved.

    Raises:
        ConfigError: unknown or ambiguous names, or a site both barred and fixed open.
    """
    fixed = resolve_sites(cfg.fixed, sites, f"{key}.fixed", source)
    barred = resolve_sites(cfg.barred, sites, f"{key}.barred", source)
    kinds = dict(zip(sites["id"].astype(str), sites["kind"].astype(str), strict=True))
    for site in barred:
        if site in fixed or kinds.get(site) in cfg.fixed_kinds:
            how = f"{key}.fixed" if site in fixed else f"{key}.fixed_kinds ({kinds[site]})"
            raise ConfigError(
                _(
                    "{source}: {key}: site {site} is also fixed open by {how}; "
                    "remove it from one of them"
                ).format(source=source, key=f"{key}.barred", site=site, how=how)
            )
    return LevelSpec(
        radius=cfg.radius,
        kinds=tuple(cfg.kinds),
        share=cfg.share,
        count=cfg.count_range(),
        new=cfg.new,
        fixed=fixed,
        fixed_kinds=tuple(cfg.fixed_kinds),
        barred=barred,
        cost_column=cfg.cost_column,
        cost=cfg.cost,
    )


def staff_rules(config: CountyConfig, sites: pd.DataFrame) -> tuple[StaffRule, ...]:
    """The staff rules: the defaults, overridden or extended by ``[staff.<type>]`` tables
    (a key a table leaves out keeps the default type's value).

    Raises:
        ConfigError: an ``existing_column`` the sites layer lacks or holds non-numbers.
    """
    rules = {rule.name: rule for rule in DEFAULT_STAFF}
    for name, staff in config.staff.items():
        base = rules.get(name, StaffRule(name, 0.0))
        per_person = base.per_person
        if staff.per_1000_served is not None:
            per_person = staff.per_1000_served / 1000
        elif staff.per_10000_served is not None:
            per_person = staff.per_10000_served / 10000
        pool = float("inf") if staff.pool is None else staff.pool
        if staff.hire_up_to is not None:
            pool = existing_staff(sites, name, staff.existing_column).sum() + staff.hire_up_to
        rules[name] = StaffRule(
            name,
            per_person,
            base.min_hub if staff.min_hub is None else staff.min_hub,
            base.min_clinic if staff.min_clinic is None else staff.min_clinic,
            pool,
            max_transfer=staff.max_transfer,
            hire_cost=staff.hire_cost,
            whole=not staff.fte,
        )
    return tuple(rules.values())


def existing_staff(sites: pd.DataFrame, name: str, column: str | None) -> np.ndarray:
    """Staff of one type on post per site (persons; zeros when no column is named)."""
    if column is None:
        return np.zeros(len(sites))
    if column not in sites.columns:
        raise ConfigError(
            _("{key}: the sites have no column {column}").format(
                key=f"staff.{name}.existing_column", column=repr(column)
            )
        )
    values = pd.to_numeric(sites[column], errors="coerce")
    if values.isna().any():
        raise ConfigError(
            _("{key}: column {column} holds empty or non-numeric cells").format(
                key=f"staff.{name}.existing_column", column=repr(column)
            )
        )
    return values.to_numpy(dtype=float)


def roaming_spec(
    config: RoamingConfig | None, sites: pd.DataFrame, source: str | Path = "config"
) -> RoamingSpec | None:
    """The ``[roaming]`` section as a RoamingSpec with bases resolved to site ids.

    Raises:
        ConfigError: unknown or ambiguous base names.
    """
    if config is None:
        return None

    def rule(value: VillageRule) -> str | tuple[str, ...]:
        return value if isinstance(value, str) else tuple(value)

    return RoamingSpec(
        vehicles=config.vehicles,
        bases=resolve_sites(config.bases, sites, "roaming.bases", source),
        base_vehicles=tuple(config.base_vehicles) if config.base_vehicles else None,
        days=config.days,
        day_minutes=config.day_minutes,
        service_minutes=config.service_minutes,
        service_per_1000=config.service_per_1000,
        visits=config.visits,
        may=rule(config.may),
        must=rule(config.must),
        day_cost=config.day_cost,
        leg_minutes=config.leg_minutes,
        cover_minutes=config.cover_minutes,
        max_stops=config.max_stops,
        max_minutes=config.max_minutes,
        route_cost=config.route_cost,
        rounds=config.rounds,
        prove=config.prove,
        time_limit=config.time_limit,
        crew=dict(config.crew),
    )


def resolve_villages(
    spec: RoamingSpec, demand: pd.DataFrame, source: str | Path = "config"
) -> RoamingSpec:
    """``spec`` with listed ``may`` / ``must`` villages (ids or unique names) as demand ids.

    Raises:
        ConfigError: a village that is neither an id nor a unique name.
    """
    ids, names = demand["id"].astype(str), demand["name"].astype(str)
    resolved = {}
    problems: list[str] = []
    for key in ("may", "must"):
        value = getattr(spec, key)
        if isinstance(value, str):
            continue
        try:
            what = f"roaming.{key}"
            resolved[key] = tuple(
                resolve_names(value, ids, names, what=what, noun="village", source=source)
            )
        except ConfigError as exc:
            problems.append(str(exc))
    if problems:
        raise ConfigError("\n".join(problems))
    return replace(spec, **resolved)
