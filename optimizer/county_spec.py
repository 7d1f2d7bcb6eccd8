"""What a county plan asks for (``CountySpec``) and what it returns (``CountyPlan``)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from models.county_terms import STAGES, StaffRule

if TYPE_CHECKING:
    from optimizer.solve.roaming import RoutePool

# Facility norms from the national standards for 社区卫生服务中心 and 二级综合医院 (the level a
# 县域医疗卫生次中心 is built to); docs/staffing.md gives the source of each figure.
DEFAULT_STAFF = (
    StaffRule("doctors", 3 / 10000, min_hub=6, min_clinic=6),
    StaffRule("nurses", 2 / 10000, min_hub=40, min_clinic=9),
    StaffRule("beds", 0.0, min_hub=100, min_clinic=5),
    StaffRule("gps", 2 / 10000),
    StaffRule("public_health", 1 / 10000),
)


@dataclass
class LevelSpec:
    """One service level: who may host it, its radius (minutes) and targets.

    ``kinds`` are site kinds that may host the level; ``fixed`` site ids (and sites whose
    kind is in ``fixed_kinds``) are open at this level already; ``barred`` ids may not be.
    A new site costs its ``cost_column`` value, else ``cost`` (yuan), else nothing.
    """

    radius: float
    kinds: tuple[str, ...]
    share: float | None = None
    count: tuple[int, int] | None = None
    new: tuple[int, int] | None = None
    fixed: tuple[str, ...] = ()
    fixed_kinds: tuple[str, ...] = ()
    barred: tuple[str, ...] = ()
    cost_column: str | None = None
    cost: float | None = None  # yuan per new site when no cost column is named


@dataclass
class RoamingSpec:
    """Roaming hospital vehicles visiting villages on a regular circuit.

    ``bases`` are site ids a vehicle day starts and ends at; a base that is a possible (not
    yet open) site works only when the plan opens it. ``base_vehicles`` gives the vehicles
    per base (default: every base may use the whole fleet). A day lasts ``day_minutes``
    (travel + service); each stop takes ``service_minutes`` + ``service_per_1000`` per 1,000
    residents. A roaming village needs ``visits`` visits per cycle of ``days`` working days.
    ``may`` and ``must`` are "all", "unreached" (units beyond the clinic radius of every
    possible site), "none" or a tuple of demand ids. ``day_cost`` is yuan per vehicle-day;
    ``leg_minutes`` the longest single leg a route may drive (minutes). With
    ``cover_minutes`` > 0 a stop serves every village within that many minutes of it
    (covering stops); 0: a village is served only by a stop at it. ``max_stops`` and
    ``max_minutes`` limit a route's stops and its travel minutes (service not counted).
    ``route_cost`` "vehicle_day": a route costs ``day_cost``; "minutes": its travel minutes.
    ``rounds`` bounds the column-generation rounds; ``time_limit`` (seconds) is a safety
    stop for the route search, reported when it acts (results then depend on machine speed).
    ``prove``: with limited routes (covering stops, stop or travel limits, routes costing
    their minutes), a gap the closing search leaves goes to branch and price until the plan
    is proven or the time limit stops it.
    """

    vehicles: int
    bases: tuple[str, ...]
    days: int = 20
    day_minutes: float = 480.0
    service_minutes: float = 30.0
    service_per_1000: float = 0.0
    visits: int = 2
    may: str | tuple[str, ...] = "unreached"
    must: str | tuple[str, ...] = "none"
    base_vehicles: tuple[int, ...] | None = None
    day_cost: float = 0.0
    leg_minutes: float = 60.0
    cover_minutes: float = 0.0
    max_stops: int | None = None
    max_minutes: float | None = None
    route_cost: str = "vehicle_day"
    rounds: int = 60
    time_limit: float = 300.0
    prove: bool = False
    crew: dict[str, float] = field(default_factory=dict)  # staff type -> persons per vehicle


@dataclass
class RoamingRecord:
    """How the route pool was made: column-generation ``rounds``, ``pool`` size, the routes
    ``kept`` for the county model (those some master LP or the best integer solution drives),
    the root master LP value over the pool (``lp_value``), a proven lower bound on the master
    LP over every route (``lp_bound``: the LP value itself when ``exact``, i.e. exact pricing
    proved that no route has negative reduced cost; otherwise a Lagrangian or Farley bound
    from the exact pricing's most prize per base), the proven lower bound on every plan's
    route-master cost (``bound``: ``lp_bound`` rounded up to ``cost_unit``, the common divisor
    of the whole-yuan costs, or of the costs counted in vehicle-day costs (nan when neither
    is whole), raised by the vehicle-day
    ``split`` when one ran, and by the ``closed`` search), the integer master objective and
    its ``gap`` to ``bound``,
    seconds, whether the safety time limit ended pricing or a solve (``timed_out``), exact
    pricing calls, their seconds and how many the label budget stopped (``exact_stopped``:
    their completion bound stood in), and the integer master's dual bound (``pool_bound``:
    a bound for plans using the pool's routes only)."""

    rounds: int
    pool: int
    kept: int
    initial_pool: int
    lp_bound: float
    objective: float
    gap: float
    exact: bool
    seconds: float
    lp_value: float = float("nan")
    timed_out: bool = False
    pool_bound: float = float("nan")
    bound: float = float("nan")
    cost_unit: float = float("nan")
    exact_calls: int = 0
    exact_seconds: float = 0.0
    exact_stopped: int = 0
    split: str = "none"
    closed: str = "none"


INDICATOR_COLUMNS = ["staff_type", "per_1000", "target", "on_post", "planned", "gap"]

# The phasing table, one row per year; then one column "hired_<type>" per staff type with
# yearly hiring caps.
PHASING_COLUMNS = [
    "year",
    "population",
    "hub_population",
    "share_within_hub_radius",
    "clinic_population",
    "share_within_clinic_radius",
    "hubs",
    "clinics",
    "new_hubs",
    "new_clinics",
    "spending",
    "budget",
]


@dataclass
class PhasesSpec:
    """Openings phased over the plan period.

    ``years`` are the calendar years of the period, in order; the plan's targets hold in the
    last. ``population`` (years x demand units, persons) is each unit's population in each
    year. ``budget`` gives yuan per year (inf: no yearly limit) and ``total`` yuan over the
    period (None: no limit); spending is the build cost of the sites opening in a year.
    ``hires`` gives per staff type the most hires per year (persons).
    """

    years: tuple[int, ...]
    population: np.ndarray
    budget: np.ndarray
    total: float | None = None
    hires: dict[str, tuple[float, ...]] = field(default_factory=dict)


@dataclass
class CountySpec:
    """The planner's targets for one county (minutes, persons, yuan)."""

    hub: LevelSpec
    clinic: LevelSpec
    district_minutes: float | None = None  # default: the hub radius
    service_minutes: float | None = None  # default: the district limit
    balance: float | None = None  # each district within +-balance of the mean population
    budget: float | None = None
    staff: tuple[StaffRule, ...] = DEFAULT_STAFF
    existing_staff: dict[str, str] = field(default_factory=dict)  # type -> site column
    indicators: dict[str, float] = field(default_factory=dict)  # type -> staff per resident
    stages: tuple[str, ...] = STAGES
    tolerance: float = 1e-6  # relative slack when an earlier stage's optimum is held
    time_limit: float = 60.0  # seconds per stage
    mip_gap: float = 0.0
    node_limit: int | None = None  # branch-and-bound nodes per stage (None: no limit)
    roaming: RoamingSpec | None = None
    phases: PhasesSpec | None = None

    def planned_demand(self, demand: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        """``demand`` with the population the plan's targets hold for: the final year's of
        a phased plan, else its own."""
        if self.phases is None:
            return demand
        if self.phases.population.shape[1] != len(demand):
            raise ValueError("the phases' population has another number of demand units")
        return demand.assign(population=self.phases.population[-1])


@dataclass
class StageRecord:
    """One objective stage as the written plan has it.

    ``objective`` is the stage objective's value in the final plan and ``gap`` its relative
    gap to ``bound``, the stage solve's proven bound. ``status`` is "optimal" (proven),
    "mip_gap" (stopped within the requested ``mip_gap``), "time_limit", "node_limit",
    "interrupted" or "no_solution". ``held`` is the value later stages were held to (the
    stage's best plan, within the spec's tolerance), nan when no later stage ran; a stage
    that stopped early may end better than ``held`` because later stages kept searching.
    ``seconds`` is the stage's compile and solve time.
    """

    stage: str
    status: str
    objective: float
    bound: float
    gap: float
    seconds: float
    held: float = float("nan")

    @property
    def stopped_early(self) -> bool:
        """True when the stage's optimum is not proven (a limit or a gap stopped it)."""
        return self.status != "optimal"


@dataclass
class RoamingSummary:
    """The roaming figures of a county plan: villages served by roaming and their population
    (persons), vehicle-days used and available in a cycle, the roaming cost (yuan), what
    fixed clinics serving the same villages would take (new sites, build cost in yuan,
    villages no clinic reaches) and the route pool's record (size, column-generation rounds,
    master LP value and bounds, integer master objective and gap, whether the safety time
    limit ended the route search)."""

    roaming_villages: int
    roaming_population: float
    vehicle_days_used: int
    vehicle_days_fleet: int
    roaming_cost: float
    clinic_alternative_sites: int
    clinic_alternative_cost: float
    roaming_beyond_clinics: int
    route_pool: int
    route_rounds: int
    route_lp_value: float
    route_lp_bound: float
    route_bound: float
    route_master_objective: float
    route_master_gap: float
    route_search_timed_out: bool

    def to_frame(self) -> pd.DataFrame:
        """The roaming rows of ``summary.csv`` (``item, value``)."""
        rows = []
        for f in fields(self):
            value = getattr(self, f.name)
            rows.append((f.name, int(value) if isinstance(value, bool) else value))
        return pd.DataFrame(rows, columns=["item", "value"])


@dataclass
class CountySummary:
    """The figures of a county plan: hubs and clinics (all and new), the population
    (persons), the hub and clinic radii (minutes) with the population within them of an
    open hub or site, the build cost (yuan), the person-minutes to the assigned sites, the
    staff shortfall (staff), the demand units beyond every possible hub or clinic, the
    warning ("" when every stage is proven) and, with roaming, the roaming figures."""

    hubs: int
    new_hubs: int
    clinics: int
    new_clinics: int
    population: float
    hub_radius: float
    hub_population: float
    clinic_radius: float
    clinic_population: float
    build_cost: float
    person_minutes: float
    staff_shortfall: float
    units_beyond_hub_radius: int
    units_beyond_clinic_radius: int
    warning: str = ""
    roaming: RoamingSummary | None = None

    @property
    def hub_share(self) -> float:
        """Share of the population within the hub radius of a hub (0..1; NaN for none)."""
        return self.hub_population / self.population if self.population else np.nan

    @property
    def clinic_share(self) -> float:
        """Share of the population within the clinic radius of an open site (0..1; NaN
        for no population)."""
        return self.clinic_population / self.population if self.population else np.nan

    @property
    def population_within(self) -> dict[str, float]:
        """The population within each radius (persons), keyed by the summary item
        (``population_within_<radius>_min_of_hub``, then ``..._of_clinic``)."""
        return {
            f"population_within_{self.hub_radius:g}_min_of_hub": self.hub_population,
            f"population_within_{self.clinic_radius:g}_min_of_clinic": self.clinic_population,
        }

    def to_frame(self) -> pd.DataFrame:
        """The summary as the two-column ``item, value`` table written to ``summary.csv``:
        the county rows, the warning (if any), then the roaming rows (if any)."""
        hub = f"within_{self.hub_radius:g}_min_of_hub"
        clinic = f"within_{self.clinic_radius:g}_min_of_clinic"
        rows = [
            ("hubs", self.hubs),
            ("new_hubs", self.new_hubs),
            ("clinics", self.clinics),
            ("new_clinics", self.new_clinics),
            ("population", self.population),
            (f"population_{hub}", self.hub_population),
            (f"share_{hub}", self.hub_share),
            (f"population_{clinic}", self.clinic_population),
            (f"share_{clinic}", self.clinic_share),
            ("build_cost", self.build_cost),
            ("person_minutes", self.person_minutes),
            ("staff_shortfall", self.staff_shortfall),
            ("units_beyond_hub_radius", self.units_beyond_hub_radius),
            ("units_beyond_clinic_radius", self.units_beyond_clinic_radius),
        ]
        if self.warning:
            rows.append(("warning", self.warning))
        frame = pd.DataFrame(rows, columns=["item", "value"])
        if self.roaming is None:
            return frame
        return pd.concat([frame, self.roaming.to_frame()], ignore_index=True)


@dataclass
class CountyPlan:
    """The plan as layers: ``sites``, ``assignments``, ``districts`` (attributes; polygons are
    added by ``optimizer.plan.districts``), the typed ``summary`` (``summary.to_frame()``
    gives the ``item, value`` table), the ``staffing`` and county ``indicators`` tables and
    the solve record ``stages``;
    with roaming also ``routes``, ``stops``, ``timetable`` and the route-pool record
    ``roaming``. ``unreachable`` maps a level to the demand ids it cannot serve.
    """

    sites: gpd.GeoDataFrame
    assignments: gpd.GeoDataFrame
    districts: pd.DataFrame
    staffing: pd.DataFrame
    summary: CountySummary
    stages: list[StageRecord]
    unreachable: dict[str, list[str]]
    # county indicators: staff_type, per_1000, target, on_post, planned, gap (persons)
    indicators: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=INDICATOR_COLUMNS)
    )
    routes: gpd.GeoDataFrame | None = None  # one row per vehicle-day driven
    stops: gpd.GeoDataFrame | None = None  # one row per stop of a vehicle-day
    timetable: pd.DataFrame | None = None  # vehicle x day -> base, stops, minutes
    roaming: RoamingRecord | None = None
    phasing: pd.DataFrame | None = None  # one row per year (PHASING_COLUMNS); None: no phases
    # the route pool the roaming routes were chosen from (reused by a plan re-solved alike)
    route_pool: RoutePool | None = field(default=None, repr=False, compare=False)
