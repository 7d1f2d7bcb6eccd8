"""The TOML county-plan configuration: hubs, clinics, districts, staffing and stages.

A county-plan config is recognised by its ``[hub]`` section. Besides ``name``, ``budget``
and the ``[demand]``, ``[travel]`` and ``[output]`` sections of a run config it has
``[sites]`` (with a kind column), ``[boundary]`` (optional), ``[hub]``, ``[clinic]``,
``[districts]``, ``[staff.<type>]`` tables, ``[solve]`` and ``[roaming]`` (optional).
:func:`load_county_config` reports every problem in one :class:`~geodata.errors.ConfigError`.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, field_validator, model_validator

from geodata.errors import ConfigError
from models.county_terms import STAGES, StaffRule
from optimizer.config.site import (
    CrsName,
    DemandConfig,
    FilePath,
    OutputConfig,
    Section,
    TravelConfig,
    read_toml,
    travel_checks,
    validate,
)
from optimizer.county_spec import DEFAULT_STAFF, CountySpec, LevelSpec, RoamingSpec

Stage = Literal["coverage", "new_sites", "cost", "travel", "shortfall"]
Range = tuple[int, int]

# Trips beyond this many minutes are not computed unless travel.max_minutes says otherwise
# or a radius or district limit is longer.
DEFAULT_MAX_MINUTES = 60.0


class CountySitesConfig(Section):
    """Where existing facilities and candidate sites come from; ``kind`` tells them apart."""

    path: FilePath
    layer: str | None = None
    id: str = "id"  # column names ...
    name: str = "name"
    kind: str = "kind"  # e.g. county_hospital, township_centre, candidate
    lon: str | None = None  # CSV coordinate columns
    lat: str | None = None
    crs: CrsName | None = None


class BoundaryConfig(Section):
    """The county area (polygons) that district polygons are clipped to."""

    path: FilePath
    layer: str | None = None


class LevelConfig(Section):
    """One service level (hub or clinic): hosts, radius (minutes), target and counts."""

    radius: float = Field(gt=0)  # minutes
    kinds: list[str] = Field(min_length=1)  # site kinds that may host this level
    fixed_kinds: list[str] = Field(default_factory=list)  # kinds open at this level already
    fixed: list[str] = Field(default_factory=list)  # site ids or names kept open
    barred: list[str] = Field(default_factory=list)  # site ids or names never opened
    share: float | None = Field(default=None, gt=0, le=1)  # None: every unit (hard target)
    count: Range | None = None  # [min, max] open sites at this level, fixed ones included
    about: int | None = Field(default=None, ge=1)  # about N: N-1..N+1 open sites
    new: Range | None = None  # [min, max] newly opened sites
    cost_column: str | None = None  # sites column with the build cost (yuan)
    max_minutes: float | None = Field(default=None, gt=0)  # clinic: longest trip to own site

    @field_validator("count", "new")
    @classmethod
    def _range(cls, value: Range | None) -> Range | None:
        if value is not None and not 0 <= value[0] <= value[1]:
            raise ValueError(f"must be [min, max] with 0 <= min <= max, got {list(value)}")
        return value

    @model_validator(mode="after")
    def _count_or_about(self) -> LevelConfig:
        if self.count is not None and self.about is not None:
            raise ValueError("give count or about, not both")
        return self

    def count_range(self) -> Range | None:
        """The allowed number of open sites, from ``count`` or ``about``."""
        if self.about is not None:
            return (self.about - 1, self.about + 1)
        return self.count


class DistrictsConfig(Section):
    """How demand units are grouped into hub districts."""

    max_minutes: float | None = Field(default=None, gt=0)  # default: the hub radius
    balance: float | None = Field(default=None, gt=0, lt=1)  # +-share of the mean population


class StaffConfig(Section):
    """One staff type: ratio per 1,000 or 10,000 residents, minimum per site, pool."""

    per_1000: float | None = Field(default=None, ge=0)
    per_10000: float | None = Field(default=None, ge=0)
    min_hub: float = Field(default=0.0, ge=0)  # persons at every hub
    min_clinic: float = Field(default=0.0, ge=0)  # persons at every other clinic
    pool: float | None = Field(default=None, ge=0)  # persons the county can staff in all
    existing_column: str | None = None  # sites column with the staff on post
    hire_up_to: float | None = Field(default=None, ge=0)  # pool = staff on post + this

    @model_validator(mode="after")
    def _one_ratio_one_pool(self) -> StaffConfig:
        if self.per_1000 is not None and self.per_10000 is not None:
            raise ValueError("give per_1000 or per_10000, not both")
        if self.pool is not None and self.hire_up_to is not None:
            raise ValueError("give pool or hire_up_to, not both")
        if self.hire_up_to is not None and self.existing_column is None:
            raise ValueError("hire_up_to needs existing_column (the staff on post per site)")
        return self


class SolveConfig(Section):
    """Objective stages (lexicographic, in the order listed) and solver limits."""

    stages: list[Stage] = Field(default_factory=lambda: list(STAGES), min_length=1)
    time_limit: float = Field(default=60.0, gt=0)  # seconds per stage
    mip_gap: float = Field(default=0.0, ge=0, lt=1)  # relative
    node_limit: int | None = Field(default=None, ge=1)  # branch-and-bound nodes per stage

    @model_validator(mode="after")
    def _unique(self) -> SolveConfig:
        repeated = sorted({s for s in self.stages if self.stages.count(s) > 1})
        if repeated:
            raise ValueError(f"stages listed twice: {', '.join(repeated)}")
        return self


VillageRule = Literal["all", "unreached", "none"] | list[str]


class RoamingConfig(Section):
    """Roaming hospital vehicles: fleet, bases, working day, visits and which villages roam."""

    vehicles: int = Field(ge=1)
    bases: list[str] = Field(min_length=1)  # site ids or names vehicles start from
    base_vehicles: list[int] | None = None  # vehicles per base (default: the whole fleet)
    days: int = Field(default=20, ge=1)  # working days per cycle
    day_minutes: float = Field(default=480.0, gt=0)  # travel + service per vehicle-day
    service_minutes: float = Field(default=30.0, ge=0)  # per stop ...
    service_per_1000: float = Field(default=0.0, ge=0)  # ... plus this per 1,000 residents
    visits: int = Field(default=2, ge=1)  # visits per cycle to a roaming village
    may: VillageRule = "unreached"  # villages that may be served by roaming
    must: VillageRule = "none"  # villages that must be
    day_cost: float = Field(default=0.0, ge=0)  # yuan per vehicle-day in every cycle
    leg_minutes: float = Field(default=60.0, gt=0)  # longest single drive of a route
    rounds: int = Field(default=60, ge=0)  # column-generation rounds at most
    time_limit: float = Field(default=300.0, gt=0)  # safety stop (s) for the route search

    @model_validator(mode="after")
    def _fleet(self) -> RoamingConfig:
        if self.base_vehicles is not None:
            if len(self.base_vehicles) != len(self.bases):
                raise ValueError(
                    f"base_vehicles lists {len(self.base_vehicles)} numbers for "
                    f"{len(self.bases)} bases; give one per base"
                )
            if any(not 1 <= v <= self.vehicles for v in self.base_vehicles):
                raise ValueError(f"base_vehicles must each be between 1 and {self.vehicles}")
        if self.visits > self.days:
            raise ValueError(f"visits {self.visits} is more than the {self.days} days per cycle")
        if len(set(self.bases)) != len(self.bases):
            raise ValueError("bases lists a site twice")
        return self


class CompareConfig(Section):
    """What to compare the optimiser's plan with (all optional)."""

    plan_hubs: list[str] = Field(default_factory=list)  # hub site ids or names the plan names
    plan_hub_count: int | None = Field(default=None, ge=0)  # hubs the plan asks for (beyond
    # the sites that are hubs by kind)
    hub_counts: tuple[int, int] | None = None  # [min, max] hubs for the coverage curve
    named_gaps: list[str] = Field(default_factory=list)  # unit ids, names or township+name
    seats_layer: str | None = None  # point layer of township seats in the demand file: the
    # least number and the curve are also given with the seats as demand units
    seats_id: str = "id"  # its id column (name and population as in [demand])

    @field_validator("hub_counts")
    @classmethod
    def _range(cls, value: tuple[int, int] | None) -> tuple[int, int] | None:
        if value is not None and not 0 <= value[0] <= value[1]:
            raise ValueError(f"must be [min, max] with 0 <= min <= max, got {list(value)}")
        return value


class CountyConfig(Section):
    """A whole county-plan configuration (paths absolute once loaded)."""

    name: str
    budget: float | None = Field(default=None, ge=0)  # yuan for all new hubs and clinics
    demand: DemandConfig
    sites: CountySitesConfig
    boundary: BoundaryConfig | None = None
    travel: TravelConfig = Field(default_factory=TravelConfig)
    hub: LevelConfig
    clinic: LevelConfig
    districts: DistrictsConfig = Field(default_factory=DistrictsConfig)
    staff: dict[str, StaffConfig] = Field(default_factory=dict)
    solve: SolveConfig = Field(default_factory=SolveConfig)
    compare: CompareConfig | None = None
    roaming: RoamingConfig | None = None
    output: OutputConfig = Field(default_factory=OutputConfig)


def is_county_config(raw: dict) -> bool:
    """True when parsed TOML describes a county plan (it has a ``[hub]`` section)."""
    return "hub" in raw


def load_county_config(path: str | Path, raw: dict[str, Any] | None = None) -> CountyConfig:
    """Read, validate and check a county-plan TOML file (``raw``: its TOML, when already
    parsed).

    Raises:
        ConfigError: every problem found, one per line as ``file: section.key: message``.
    """
    path = Path(path)
    config = validate(CountyConfig, read_toml(path) if raw is None else raw, path)
    check_county_config(config, source=path)
    return config


def check_county_config(config: CountyConfig, *, source: str | Path = "config") -> None:
    """Cross-field checks of a county config.

    Raises:
        ConfigError: one line per problem, ``source: section.key: message``.
    """
    found: list[tuple[str, str]] = []
    defaults = {rule.name: rule for rule in DEFAULT_STAFF}
    for name, staff in config.staff.items():
        if name not in defaults and staff.per_1000 is None and staff.per_10000 is None:
            found.append(
                (f"staff.{name}", "a new staff type needs per_1000 or per_10000 (per residents)")
            )
        elif staff.pool == 0 and _asks_for_staff(staff, defaults.get(name)):
            found.append(
                (
                    f"staff.{name}.pool",
                    f"is 0 but the quota asks for {name}; give the number of {name} the county "
                    "can staff (persons), or leave pool out for no limit",
                )
            )
    if config.districts.balance is not None and config.hub.count_range() is None:
        found.append(("districts.balance", "needs hub.count or hub.about (hub numbers to try)"))
    if config.hub.max_minutes is not None:
        found.append(("hub.max_minutes", "applies to [clinic] only; use districts.max_minutes"))
    limit = config.travel.max_minutes
    if limit is not None:
        for key, value in _limits(config).items():
            if value > limit:
                found.append(
                    ("travel.max_minutes", f"{limit:g} is below {key} {value:g}; raise it")
                )
    found += travel_checks(config.travel)
    files = {
        "demand.path": config.demand.path,
        "sites.path": config.sites.path,
        "travel.roads": config.travel.roads,
        "travel.table": config.travel.table,
        "boundary.path": config.boundary.path if config.boundary else None,
    }
    for key, file in files.items():
        if file is not None and not file.is_file():
            found.append((key, f"file not found: {file}"))
    if found:
        raise ConfigError("\n".join(f"{source}: {key}: {message}" for key, message in found))


def _asks_for_staff(staff: StaffConfig, default: StaffRule | None) -> bool:
    """True when a staff type's ratio or site minimums ask for any staff."""
    if staff.per_1000 is not None:
        ratio = staff.per_1000
    elif staff.per_10000 is not None:
        ratio = staff.per_10000
    else:
        ratio = default.per_person if default is not None else 0.0
    return ratio > 0 or staff.min_hub > 0 or staff.min_clinic > 0


def _limits(config: CountyConfig) -> dict[str, float]:
    """Every travel limit of the plan (minutes) by config key."""
    out = {"hub.radius": config.hub.radius, "clinic.radius": config.clinic.radius}
    if config.districts.max_minutes is not None:
        out["districts.max_minutes"] = config.districts.max_minutes
    if config.clinic.max_minutes is not None:
        out["clinic.max_minutes"] = config.clinic.max_minutes
    if config.roaming is not None:
        out["roaming.leg_minutes"] = config.roaming.leg_minutes
    return out


def county_max_minutes(config: CountyConfig) -> float:
    """Longest trip worth computing (minutes): travel.max_minutes, else the longest limit."""
    if config.travel.max_minutes is not None:
        return config.travel.max_minutes
    return max(DEFAULT_MAX_MINUTES, *_limits(config).values())


def staff_rules(config: CountyConfig, sites: pd.DataFrame) -> tuple[StaffRule, ...]:
    """The staff rules: the defaults, overridden or extended by ``[staff.<type>]`` tables.

    Raises:
        ConfigError: an ``existing_column`` the sites layer lacks or holds non-numbers.
    """
    rules = {rule.name: rule for rule in DEFAULT_STAFF}
    for name, staff in config.staff.items():
        base = rules.get(name, StaffRule(name, 0.0))
        per_person = base.per_person
        if staff.per_1000 is not None:
            per_person = staff.per_1000 / 1000
        elif staff.per_10000 is not None:
            per_person = staff.per_10000 / 10000
        pool = float("inf") if staff.pool is None else staff.pool
        if staff.hire_up_to is not None:
            pool = existing_staff(sites, name, staff.existing_column).sum() + staff.hire_up_to
        rules[name] = StaffRule(name, per_person, staff.min_hub, staff.min_clinic, pool)
    return tuple(rules.values())


def existing_staff(sites: pd.DataFrame, name: str, column: str | None) -> np.ndarray:
    """Staff of one type on post per site (persons; zeros when no column is named)."""
    if column is None:
        return np.zeros(len(sites))
    if column not in sites.columns:
        raise ConfigError(f"staff.{name}.existing_column: the sites have no column {column!r}")
    values = pd.to_numeric(sites[column], errors="coerce")
    if values.isna().any():
        raise ConfigError(
            f"staff.{name}.existing_column: column {column!r} holds empty or non-numeric cells"
        )
    return values.to_numpy(dtype=float)


def resolve_sites(
    keys: list[str], sites: pd.DataFrame, what: str, source: str | Path = "config"
) -> tuple[str, ...]:
    """Site ids for a list of site ids or names.

    Raises:
        ConfigError: a key that is neither an id nor a name, or a name that several sites share.
    """
    ids = sites["id"].astype(str)
    names = sites["name"].astype(str)
    out: list[str] = []
    problems: list[str] = []
    for key in keys:
        if (ids == key).any():
            out.append(key)
            continue
        match = ids[names == key].tolist()
        if len(match) == 1:
            out.append(match[0])
        elif match:
            problems.append(f"{key!r} names {len(match)} sites ({', '.join(match)}); use the id")
        else:
            problems.append(f"{key!r} is neither a site id nor a site name")
    if problems:
        raise ConfigError("\n".join(f"{source}: {what}: {p}" for p in problems))
    return tuple(out)


def county_spec(
    config: CountyConfig, sites: pd.DataFrame, source: str | Path = "config"
) -> CountySpec:
    """The config as a CountySpec; fixed and barred names are resolved against ``sites``.

    Raises:
        ConfigError: unknown or ambiguous site names, or a bad existing-staff column.
    """

    def level(key: str, cfg: LevelConfig) -> LevelSpec:
        fixed = resolve_sites(cfg.fixed, sites, f"{key}.fixed", source)
        barred = resolve_sites(cfg.barred, sites, f"{key}.barred", source)
        kinds = dict(zip(sites["id"].astype(str), sites["kind"].astype(str), strict=True))
        for site in barred:
            if site in fixed or kinds.get(site) in cfg.fixed_kinds:
                how = f"{key}.fixed" if site in fixed else f"{key}.fixed_kinds ({kinds[site]})"
                raise ConfigError(
                    f"{source}: {key}.barred: site {site} is also fixed open by {how}; "
                    f"remove it from one of them"
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
        )

    return CountySpec(
        hub=level("hub", config.hub),
        clinic=level("clinic", config.clinic),
        district_minutes=config.districts.max_minutes,
        service_minutes=config.clinic.max_minutes,
        balance=config.districts.balance,
        budget=config.budget,
        staff=staff_rules(config, sites),
        existing_staff={
            name: s.existing_column for name, s in config.staff.items() if s.existing_column
        },
        stages=tuple(config.solve.stages),
        time_limit=config.solve.time_limit,
        mip_gap=config.solve.mip_gap,
        node_limit=config.solve.node_limit,
        roaming=roaming_spec(config.roaming, sites, source),
    )


def roaming_spec(
    config: RoamingConfig | None, sites: pd.DataFrame, source: str | Path = "config"
) -> RoamingSpec | None:
    """The ``[roaming]`` section as a RoamingSpec with bases resolved to site ids (village
    lists are resolved against the demand by :func:`resolve_villages`).

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
        rounds=config.rounds,
        time_limit=config.time_limit,
    )


def resolve_villages(
    spec: RoamingSpec, demand: pd.DataFrame, source: str | Path = "config"
) -> RoamingSpec:
    """``spec`` with listed ``may`` / ``must`` villages (ids or unique names) as demand ids.

    Raises:
        ConfigError: a village that is neither an id nor a unique name.
    """
    ids = demand["id"].astype(str)
    names = demand["name"].astype(str)
    problems: list[str] = []
    resolved = {}
    for key in ("may", "must"):
        value = getattr(spec, key)
        if isinstance(value, str):
            continue
        out = []
        for item in value:
            match = ids[names == item].tolist()
            if (ids == item).any():
                out.append(item)
            elif len(match) == 1:
                out.append(match[0])
            elif match:
                problems.append(f"roaming.{key}: {item!r} names {len(match)} villages; use the id")
            else:
                problems.append(f"roaming.{key}: {item!r} is neither a village id nor a name")
        resolved[key] = tuple(out)
    if problems:
        raise ConfigError("\n".join(f"{source}: {p}" for p in problems))
    return replace(spec, **resolved)
