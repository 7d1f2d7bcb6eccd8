"""The TOML county-plan configuration: hubs, clinics, districts, staffing and stages.

A county-plan config is recognised by its ``[hub]`` section. Besides ``name``, ``budget``
and the ``[demand]``, ``[travel]`` and ``[output]`` sections of a run config it has
``[sites]`` (with a kind column), ``[boundary]`` (optional), ``[hub]``, ``[clinic]``,
``[districts]``, ``[staff.<type>]`` tables, ``[solve]`` and ``[roaming]`` (optional).
:func:`load_county_config` reports every problem in one :class:`~geodata.errors.ConfigError`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from geodata.errors import ConfigError
from geodata.i18n import gettext as _
from models.county_terms import STAGES, StaffRule
from optimizer.config.site import (
    DataPath,
    DemandConfig,
    OutputConfig,
    PointCrsName,
    RowsSource,
    Section,
    TravelConfig,
    demand_checks,
    read_toml,
    source_checks,
    travel_checks,
    validate,
)
from optimizer.county_spec import DEFAULT_STAFF

Stage = Literal["coverage", "new_sites", "person_years", "cost", "travel", "shortfall"]
Range = tuple[int, int]


class CountySitesConfig(RowsSource):
    """Where existing facilities and candidate sites come from; ``kind`` tells them apart."""

    kind: str = "kind"  # e.g. county_hospital, township_centre, candidate
    lon: str | None = None  # CSV coordinate columns
    lat: str | None = None
    crs: PointCrsName | None = None


class BoundaryConfig(Section):
    """The county area (polygons) that district polygons are clipped to."""

    path: DataPath
    layer: str | None = None
    sql: str | None = None  # query giving the polygons (database URLs)


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
    cost: float | None = Field(default=None, ge=0)  # yuan per new site, the same for all
    max_minutes: float | None = Field(default=None, gt=0)  # clinic: longest trip to own site

    @field_validator("count", "new")
    @classmethod
    def _range(cls, value: Range | None) -> Range | None:
        if value is not None and not 0 <= value[0] <= value[1]:
            raise ValueError(
                _("must be [min, max] with 0 <= min <= max, got {value}").format(value=list(value))
            )
        return value

    @model_validator(mode="after")
    def _count_or_about(self) -> LevelConfig:
        if self.count is not None and self.about is not None:
            raise ValueError(_("give count or about, not both"))
        if self.cost is not None and self.cost_column is not None:
            raise ValueError(_("give cost or cost_column, not both"))
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
    """One staff type's facility norm (posts per 1,000 or 10,000 residents a site serves,
    minimum per site), staff on post, moves and hires."""

    per_1000_served: float | None = Field(default=None, ge=0)
    per_10000_served: float | None = Field(default=None, ge=0)
    min_hub: float | None = Field(default=None, ge=0)  # persons at every hub
    min_clinic: float | None = Field(default=None, ge=0)  # persons at every other clinic
    pool: float | None = Field(default=None, ge=0)  # persons in all, on post and hired
    existing_column: str | None = None  # sites column with the staff on post
    hire_up_to: float | None = Field(default=None, ge=0)  # pool = staff on post + this
    max_transfer: float = Field(default=0.0, ge=0, le=1)  # share of a site's staff that may move
    hire_cost: float = Field(default=0.0, ge=0)  # yuan per hire
    fte: bool = False  # count full-time equivalents instead of whole persons

    @model_validator(mode="before")
    @classmethod
    def _served_ratios(cls, data):
        if isinstance(data, dict):
            old = [key for key in ("per_1000", "per_10000") if key in data]
            if old:
                raise ValueError(
                    _(
                        "{key} is now {key}_served (posts per residents a site serves); a "
                        "county-wide ratio goes in [indicators.<type>]"
                    ).format(key=old[0])
                )
        return data

    @model_validator(mode="after")
    def _one_ratio_one_pool(self) -> StaffConfig:
        if self.per_1000_served is not None and self.per_10000_served is not None:
            raise ValueError(_("give per_1000_served or per_10000_served, not both"))
        if self.pool is not None and self.hire_up_to is not None:
            raise ValueError(_("give pool or hire_up_to, not both"))
        if self.hire_up_to is not None and self.existing_column is None:
            raise ValueError(_("hire_up_to needs existing_column (the staff on post per site)"))
        return self


class IndicatorConfig(Section):
    """A county-wide staffing indicator: staff of every institution per 1,000 or 10,000
    residents of the county."""

    per_1000: float | None = Field(default=None, ge=0)
    per_10000: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _one_ratio(self) -> IndicatorConfig:
        if (self.per_1000 is None) == (self.per_10000 is None):
            raise ValueError(_("give per_1000 or per_10000"))
        return self

    def per_person(self) -> float:
        """Staff per resident."""
        return self.per_1000 / 1000 if self.per_1000 is not None else self.per_10000 / 10000


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
            raise ValueError(_("stages listed twice: {stages}").format(stages=", ".join(repeated)))
        return self


VillageRule = Literal["all", "unreached", "none"] | list[str]
RouteCost = Literal["vehicle_day", "minutes"]


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
    cover_minutes: float = Field(default=0.0, ge=0)  # a stop serves villages this near (0: itself)
    max_stops: int | None = Field(default=None, ge=1)  # stops per route at most
    max_minutes: float | None = Field(default=None, gt=0)  # travel minutes per route at most
    route_cost: RouteCost = "vehicle_day"  # a route costs day_cost, or its driving minutes
    rounds: int = Field(default=60, ge=0)  # column-generation rounds at most
    time_limit: float = Field(default=300.0, gt=0)  # safety stop (s) for the route search
    prove: bool = False  # limited routes: branch and price until the plan is proven
    crew: dict[str, float] = Field(default_factory=dict)  # staff type -> persons per vehicle

    @model_validator(mode="after")
    def _fleet(self) -> RoamingConfig:
        if self.base_vehicles is not None:
            if len(self.base_vehicles) != len(self.bases):
                raise ValueError(
                    _(
                        "base_vehicles lists {numbers} numbers for {bases} bases; give one per base"
                    ).format(numbers=len(self.base_vehicles), bases=len(self.bases))
                )
            if any(not 1 <= v <= self.vehicles for v in self.base_vehicles):
                raise ValueError(
                    _("base_vehicles must each be between 1 and {vehicles}").format(
                        vehicles=self.vehicles
                    )
                )
        if self.visits > self.days:
            raise ValueError(
                _("visits {visits} is more than the {days} days per cycle").format(
                    visits=self.visits, days=self.days
                )
            )
        if len(set(self.bases)) != len(self.bases):
            raise ValueError(_("bases lists a site twice"))
        if self.cover_minutes > self.leg_minutes:
            raise ValueError(
                _(
                    "{field} {cover} is more than leg_minutes {leg}; village minutes are known "
                    "up to leg_minutes only"
                ).format(field="cover_minutes", cover=self.cover_minutes, leg=self.leg_minutes)
            )
        if self.route_cost == "minutes" and self.day_cost > 0:
            raise ValueError(
                _(
                    "{field} is {value}: a route costs its driving minutes, so day_cost "
                    '{cost} is not used; leave day_cost out or use {field} = "vehicle_day"'
                ).format(field="route_cost", value='"minutes"', cost=self.day_cost)
            )
        return self


class PhasesConfig(Section):
    """Openings phased over the plan period: the years, the budgets, the population of each
    year and the hires each year allows."""

    years: list[int] = Field(min_length=1)  # calendar years, in order; targets hold in the last
    budget: list[float] | float | None = None  # yuan per year (one per year) or in all (one)
    year_cap: float | None = Field(default=None, ge=0)  # with one budget in all: yuan per year
    growth: float | dict[str, float] = 0.0  # population growth per year (0.01 = 1 %), or per
    # unit type (the demand column unit_type)
    unit_type: str | None = None  # demand column with each unit's type
    population_columns: dict[str, str] = Field(default_factory=dict)  # year -> demand column
    hires: dict[str, list[float] | float] = Field(default_factory=dict)  # type -> persons/year

    @model_validator(mode="after")
    def _consistent(self) -> PhasesConfig:
        years = self.years
        if any(b <= a for a, b in zip(years, years[1:], strict=False)):
            raise ValueError(_("years must increase, got {years}").format(years=years))
        if isinstance(self.budget, list):
            if len(self.budget) != len(years):
                raise ValueError(
                    _("budget lists {n} amounts for {years} years; give one per year").format(
                        n=len(self.budget), years=len(years)
                    )
                )
            if self.year_cap is not None:
                raise ValueError(_("year_cap goes with one budget for the whole period"))
        amounts = self.budget if isinstance(self.budget, list) else [self.budget or 0.0]
        if any(a < 0 for a in amounts):
            raise ValueError(_("budget amounts must be >= 0 (yuan)"))
        if isinstance(self.growth, dict) and self.unit_type is None:
            raise ValueError(_("growth per unit type needs unit_type (the demand column)"))
        if self.population_columns:
            if self.growth != 0.0:
                raise ValueError(_("give growth or population_columns, not both"))
            missing = [str(y) for y in years if str(y) not in self.population_columns]
            if missing:
                raise ValueError(
                    _("population_columns has no column for {years}").format(
                        years=", ".join(missing)
                    )
                )
        for name, caps in self.hires.items():
            if isinstance(caps, list) and len(caps) != len(years):
                raise ValueError(
                    _("hires.{name} lists {n} numbers for {years} years").format(
                        name=name, n=len(caps), years=len(years)
                    )
                )
            if any(c < 0 for c in (caps if isinstance(caps, list) else [caps])):
                raise ValueError(_("hires.{name} must be >= 0 (persons)").format(name=name))
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
            raise ValueError(
                _("must be [min, max] with 0 <= min <= max, got {value}").format(value=list(value))
            )
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
    indicators: dict[str, IndicatorConfig] = Field(default_factory=dict)
    solve: SolveConfig = Field(default_factory=SolveConfig)
    compare: CompareConfig | None = None
    roaming: RoamingConfig | None = None
    phases: PhasesConfig | None = None
    output: OutputConfig = Field(default_factory=OutputConfig)

    # Trips beyond this many minutes are not computed unless travel.max_minutes says otherwise
    # or a radius or district limit is longer: an hour covers the trips a county plan weighs.
    DEFAULT_MAX_MINUTES: ClassVar[float] = 60.0

    def longest_trip(self) -> float:
        """Longest trip worth computing (minutes): travel.max_minutes, else the longest travel
        limit of the plan, at least ``DEFAULT_MAX_MINUTES``."""
        if self.travel.max_minutes is not None:
            return self.travel.max_minutes
        return max(self.DEFAULT_MAX_MINUTES, *_limits(self).values())

    def with_time_limit(self, seconds: float) -> CountyConfig:
        """A copy whose every solve stage stops after ``seconds`` (``solve.time_limit``)."""
        return self.model_copy(
            update={"solve": self.solve.model_copy(update={"time_limit": seconds})}
        )


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
        if (
            name not in defaults
            and staff.per_1000_served is None
            and staff.per_10000_served is None
        ):
            found.append(
                (
                    f"staff.{name}",
                    _(
                        "a new staff type needs per_1000_served or per_10000_served (per "
                        "residents served)"
                    ),
                )
            )
        elif staff.pool == 0 and _asks_for_staff(staff, defaults.get(name)):
            found.append(
                (
                    f"staff.{name}.pool",
                    _(
                        "is 0 but the quota asks for {name}; give the number of {name} the "
                        "county can staff (persons), or leave pool out for no limit"
                    ).format(name=name),
                )
            )
    crews = config.roaming.crew if config.roaming is not None else {}
    for name, persons in crews.items():
        if name not in defaults and name not in config.staff:
            found.append(
                (
                    f"roaming.crew.{name}",
                    _("is not a staff type; add [staff.{name}]").format(name=name),
                )
            )
        elif persons < 0:
            found.append((f"roaming.crew.{name}", _("must be >= 0 (persons per vehicle)")))
    for name in config.indicators:
        if name not in defaults and name not in config.staff:
            found.append(
                (
                    f"indicators.{name}",
                    _(
                        "{name} is not a staff type; use one of {types} or add a "
                        "[staff.{name}] table"
                    ).format(name=name, types=", ".join(sorted({*defaults, *config.staff}))),
                )
            )
    found += _phases_checks(config, defaults)
    if config.districts.balance is not None and config.hub.count_range() is None:
        found.append(("districts.balance", _("needs hub.count or hub.about (hub numbers to try)")))
    if config.hub.max_minutes is not None:
        found.append(("hub.max_minutes", _("applies to [clinic] only; use districts.max_minutes")))
    limit = config.travel.max_minutes
    if limit is not None:
        for key, value in _limits(config).items():
            if value > limit:
                message = _("{limit} is below {key} {value}; raise it").format(
                    limit=f"{limit:g}", key=key, value=f"{value:g}"
                )
                found.append(("travel.max_minutes", message))
    found += travel_checks(config.travel)
    found += demand_checks(config.demand)
    files = {
        "demand.path": config.demand.path,
        "demand.population_table": config.demand.population_table,
        "sites.path": config.sites.path,
        "travel.roads": config.travel.roads,
        "travel.table": config.travel.table,
        "boundary.path": config.boundary.path if config.boundary else None,
    }
    found += source_checks(files, config)
    if found:
        raise ConfigError("\n".join(f"{source}: {key}: {message}" for key, message in found))


def _phases_checks(config: CountyConfig, defaults: dict[str, StaffRule]) -> list[tuple[str, str]]:
    """(key, message) for phasing settings that contradict the rest of the config."""
    phases, found = config.phases, []
    if phases is None:
        if "person_years" in config.solve.stages:
            found.append(("solve.stages", _("person_years needs a [phases] section")))
        return found
    if config.budget is not None and phases.budget is not None:
        if not isinstance(phases.budget, list):
            found.append(("phases.budget", _("and budget both give the budget in all; keep one")))
    for name in phases.hires:
        if name not in defaults and name not in config.staff:
            found.append(
                (
                    f"phases.hires.{name}",
                    _("is not a staff type; add [staff.{name}]").format(name=name),
                )
            )
    return found


def _asks_for_staff(staff: StaffConfig, default: StaffRule | None) -> bool:
    """True when a staff type's ratio or site minimums ask for any staff."""
    if staff.per_1000_served is not None:
        ratio = staff.per_1000_served
    elif staff.per_10000_served is not None:
        ratio = staff.per_10000_served
    else:
        ratio = default.per_person if default is not None else 0.0
    min_hub = staff.min_hub if staff.min_hub is not None else getattr(default, "min_hub", 0.0)
    min_clinic = staff.min_clinic
    if min_clinic is None:
        min_clinic = getattr(default, "min_clinic", 0.0)
    return ratio > 0 or min_hub > 0 or min_clinic > 0


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
