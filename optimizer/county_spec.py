"""What a county plan asks for (``CountySpec``) and what it returns (``CountyPlan``)."""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

from models.county import STAGES, StaffRule

# Staff per person served, from the plans' quotas (per 1,000 or 10,000 residents).
DEFAULT_STAFF = (
    StaffRule("doctors", 3.6 / 1000),
    StaffRule("nurses", 4.12 / 1000),
    StaffRule("beds", 7.5 / 1000),
    StaffRule("gps", 2.6 / 10000),
    StaffRule("public_health", 8.3 / 10000),
)


@dataclass
class LevelSpec:
    """One service level: who may host it, its radius (minutes) and targets.

    ``kinds`` are site kinds that may host the level; ``fixed`` site ids (and sites whose
    kind is in ``fixed_kinds``) are open at this level already; ``barred`` ids may not be.
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
    stages: tuple[str, ...] = STAGES
    tolerance: float = 1e-6  # relative slack when an earlier stage's optimum is held
    time_limit: float = 60.0  # seconds per stage
    mip_gap: float = 0.0


@dataclass
class StageRecord:
    stage: str
    status: str
    objective: float
    bound: float
    gap: float
    seconds: float


@dataclass
class CountyPlan:
    """The plan as layers: ``sites``, ``assignments``, ``districts`` (attributes; polygons are
    added by ``optimizer.districts``), the ``summary`` and ``staffing`` tables and the
    solve record ``stages``. ``unreachable`` maps a level to the demand ids it cannot serve.
    """

    sites: gpd.GeoDataFrame
    assignments: gpd.GeoDataFrame
    districts: pd.DataFrame
    staffing: pd.DataFrame
    summary: pd.DataFrame
    stages: list[StageRecord]
    unreachable: dict[str, list[str]]
