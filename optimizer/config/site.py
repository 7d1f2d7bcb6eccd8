"""The TOML run configuration: schema, loading and checks.

A config file has a top-level ``name`` and the sections ``[demand]``, ``[sites]``,
``[travel]``, ``[model]`` and ``[output]``. Relative paths resolve against the folder that
holds the config file. :func:`load_config` turns every problem into one
:class:`~geodata.errors.ConfigError` that lists each as ``file: section.key: message``.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, TypeVar, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pyproj import CRS
from pyproj.exceptions import CRSError

from geodata.chinese_crs import chinese_crs_name
from geodata.errors import ConfigError
from geodata.i18n import gettext as _
from geodata.i18n import ngettext
from geodata.layers import check_encoding
from geodata.postgis import DatabaseUrl, is_database_url

Problem = Literal["lscp", "mclp", "p-median", "p-center", "capacitated"]
TravelMode = Literal["straight-line", "network", "table"]
OutputFormat = Literal["gpkg", "shp", "geojson", "csv", "png", "xlsx", "pdf"]
OUTPUT_FORMATS: tuple[str, ...] = get_args(OutputFormat)

NEEDS_P = ("mclp", "p-median", "p-center")
NEEDS_RADIUS = ("lscp", "mclp")
USES_FIXED_COSTS = ("lscp", "capacitated")

# Keys of [travel] that only one mode reads; setting them under another mode is an error.
MODE_KEYS = {
    "straight-line": ("speed_kmh", "circuity"),
    "network": (
        "roads",
        "roads_layer",
        "roads_sql",
        "speed_column",
        "class_column",
        "class_speeds",
        "default_speed_kmh",
        "access_speed_kmh",
        "osm_margin_km",
    ),
    "table": (
        "table",
        "table_layer",
        "table_sql",
        "origin",
        "destination",
        "minutes",
        "table_sheet",
        "table_encoding",
    ),
}


# Default speeds (km/h) of OpenStreetMap `highway` classes for roads read from an .osm.pbf
# extract. They follow the design speeds (设计速度) by highway grade of the Chinese highway
# standard JTG B01-2014 (公路工程技术标准): 高速公路 100-120, 一级公路 60-100, 二级公路 60-80,
# 三级公路 30-40, 四级公路 20-30. Each entry names the grade row it is taken from. A tagged
# `maxspeed` wins over these; [travel.class_speeds] overrides any class; classes missing here
# (footway, path, cycleway, steps, ...) are not driven unless class_speeds gives them a speed.
OSM_CLASS_SPEEDS: dict[str, float] = {
    "motorway": 100.0,  # 高速公路 row (100-120), its lower value
    "motorway_link": 60.0,  # 一级公路 row (60-100), its lower value: ramps are slower
    "trunk": 80.0,  # 一级公路 row (60-100), its middle value
    "trunk_link": 60.0,  # 一级公路 row (60-100), its lower value
    "primary": 60.0,  # 二级公路 row (60-80), its lower value
    "primary_link": 40.0,  # 三级公路 row (30-40), its upper value
    "secondary": 40.0,  # 三级公路 row (30-40), its upper value
    "secondary_link": 30.0,  # 三级公路 row (30-40), its lower value
    "tertiary": 30.0,  # 三级公路 row (30-40), its lower value
    "tertiary_link": 30.0,  # 三级公路 row (30-40), its lower value
    "unclassified": 30.0,  # 四级公路 row (20-30), its upper value
    "road": 30.0,  # 四级公路 row (20-30), its upper value (class unknown)
    "residential": 20.0,  # 四级公路 row (20-30), its lower value
    "living_street": 20.0,  # 四级公路 row (20-30), its lower value
    "service": 20.0,  # 四级公路 row (20-30), its lower value
    "track": 15.0,  # below the 四级公路 row: no grade covers unpaved tracks
}


def is_pbf(path: Path | str) -> bool:
    """True for an OpenStreetMap extract (name ending in .osm.pbf or .pbf)."""
    return str(path).lower().endswith(".pbf")


def _resolve(value: Path, info: ValidationInfo) -> Path:
    """Make a relative path absolute against the config file's folder (if known)."""
    value = value.expanduser()
    base = (info.context or {}).get("base")
    if base is not None and not value.is_absolute():
        value = (Path(base) / value).resolve()
    return value


def _path_or_url(value: Any, info: ValidationInfo) -> Path | DatabaseUrl:
    """A ``postgresql://`` URL as a :class:`DatabaseUrl`, anything else as a resolved path."""
    if is_database_url(value):
        return DatabaseUrl(value)
    if isinstance(value, str | Path):
        return _resolve(Path(value), info)
    raise ValueError(
        _("must be a file path or a postgresql:// URL as text (got {type})").format(
            type=type(value).__name__
        )
    )


def _database_url(value: Any) -> DatabaseUrl:
    """A ``postgresql://`` URL, or ValueError."""
    if not is_database_url(value):
        raise ValueError(_("must be a postgresql://user@host:port/database URL"))
    return DatabaseUrl(value)


def _check_crs(value: str) -> str:
    """Reject a CRS string that pyproj cannot read."""
    if chinese_crs_name(value) is not None:
        raise ValueError(
            _(
                "{value} is an offset of input longitude/latitude (for [demand] and [sites]); "
                "give a CRS pyproj knows, e.g. 'EPSG:4326'"
            ).format(value=repr(value))
        )
    try:
        CRS.from_user_input(value)
    except CRSError as exc:
        raise ValueError(
            _("unknown CRS {value} (use e.g. 'EPSG:4326' or 'EPSG:4547')").format(value=repr(value))
        ) from exc
    return value


def _check_point_crs(value: str) -> str:
    """A CRS of input points: "GCJ-02" or "BD-09" (any spelling, made canonical) or a CRS
    pyproj reads."""
    chinese = chinese_crs_name(value)
    if chinese is not None:
        return chinese
    try:
        CRS.from_user_input(value)
    except CRSError as exc:
        raise ValueError(
            _(
                "unknown CRS {value} (use e.g. 'EPSG:4326', 'EPSG:4547', or 'GCJ-02' / 'BD-09' "
                "for Amap/Tencent / Baidu longitude/latitude)"
            ).format(value=repr(value))
        ) from exc
    return value


M = TypeVar("M", bound=BaseModel)

FilePath = Annotated[Path, AfterValidator(_resolve)]
# a data file, or a PostGIS database (postgresql://...) read by layer = "schema.table" or sql
DataPath = Annotated[Path | DatabaseUrl, PlainValidator(_path_or_url)]
CrsName = Annotated[str, AfterValidator(_check_crs)]
DatabaseUrlText = Annotated[DatabaseUrl, PlainValidator(lambda value: _database_url(value))]
PointCrsName = Annotated[str, AfterValidator(_check_point_crs)]
Encoding = Annotated[str, AfterValidator(check_encoding)]
SheetName = str | int  # a workbook sheet's name, or its 0-based index


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RowsSource(Section):
    """Where rows with an id and a name come from: a file or a database table or query."""

    # GeoPackage, shapefile, GeoJSON, CSV, workbook (.xlsx, .xls, .ods) or postgresql:// URL
    path: DataPath
    layer: str | None = None  # layer of a multi-layer file, or "schema.table" of a database
    sql: str | None = None  # query whose rows are read (database URLs)
    sheet: SheetName | None = None  # sheet of a workbook
    encoding: Encoding | None = None  # text encoding of a CSV file (default: detected)
    header_row: int | None = Field(default=None, ge=1)  # row of the column names (title above)
    id: str = "id"  # column names ...
    name: str = "name"


class DemandConfig(RowsSource):
    """Where the demand units (villages, communities) come from and which columns to read."""

    population: str = "population"  # persons (a column of population_table when given)
    lon: str | None = None  # CSV coordinate columns
    lat: str | None = None
    crs: PointCrsName | None = None  # CRS of the coordinates when the file does not say
    # persons per unit from a raster (GeoTIFF, any CRS) instead of the population column
    population_raster: FilePath | None = None
    population_total: float | None = Field(default=None, gt=0)  # census total to rescale to
    # population joined from another table (CSV or workbook) by code
    population_table: FilePath | None = None
    population_key: str | None = None  # its code column (default: the id column's name)
    population_sheet: SheetName | None = None
    population_encoding: Encoding | None = None
    population_header_row: int | None = Field(default=None, ge=1)


class SitesConfig(RowsSource):
    """Where the existing and candidate sites come from, and which are forced open or barred."""

    model_config = ConfigDict(coerce_numbers_to_str=True)

    kind: str | None = None
    capacity: str | None = None  # beds
    fixed_cost: str | None = None  # cost of opening
    lon: str | None = None
    lat: str | None = None
    crs: PointCrsName | None = None
    required: list[str] = Field(default_factory=list)  # site ids kept open
    barred: list[str] = Field(default_factory=list)  # site ids kept closed


class TravelConfig(Section):
    """How travel minutes between demand and sites are computed."""

    mode: TravelMode = "straight-line"
    max_minutes: float | None = Field(default=None, gt=0)  # longest trip kept (minutes)
    # straight-line: distance x circuity / speed
    speed_kmh: float = Field(default=30.0, gt=0)
    circuity: float = Field(default=1.3, ge=1)
    # network: shortest paths on a road line layer
    roads: DataPath | None = None
    roads_layer: str | None = None
    roads_sql: str | None = None  # query giving the roads (database URLs)
    speed_column: str | None = None  # column of speeds (km/h), or ...
    class_column: str | None = None  # ... a road-class column with class_speeds (km/h)
    class_speeds: dict[str, float] | None = None
    default_speed_kmh: float = Field(default=30.0, gt=0)
    access_speed_kmh: float = Field(default=5.0, gt=0)  # from a point to the nearest road
    # roads from an OpenStreetMap .osm.pbf: the area read around the demand (km)
    osm_margin_km: float = Field(default=5.0, ge=0)
    # table: origin-destination table (CSV, workbook, Parquet or postgresql:// URL) and columns
    table: DataPath | None = None
    table_layer: str | None = None  # "schema.table" of a database
    table_sql: str | None = None  # or a query of a database
    origin: str = "origin"
    destination: str = "destination"
    minutes: str = "minutes"
    table_sheet: SheetName | None = None  # sheet of a workbook table
    table_encoding: Encoding | None = None  # text encoding of a CSV table

    def osm_class_speeds(self) -> dict[str, float]:
        """Speeds (km/h) of OpenStreetMap highway classes: ``OSM_CLASS_SPEEDS`` (JTG B01-2014)
        with ``class_speeds`` overriding any class."""
        return {**OSM_CLASS_SPEEDS, **(self.class_speeds or {})}

    @field_validator("class_speeds")
    @classmethod
    def _positive_speeds(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        for road_class, speed in (value or {}).items():
            if not speed > 0:
                raise ValueError(
                    _("speed of road class {road_class} must be > 0, got {speed}").format(
                        road_class=repr(road_class), speed=speed
                    )
                )
        return value


class ModelConfig(Section):
    """Which location problem to solve and the solver limits."""

    problem: Problem
    p: int | None = Field(default=None, ge=1)  # sites to open, required ones included
    radius: float | None = Field(default=None, gt=0)  # minutes
    use_capacity: bool = False
    use_fixed_costs: bool = False
    single_source: bool = False
    time_limit: float = Field(default=60.0, gt=0)  # seconds
    mip_gap: float = Field(default=0.0, ge=0, lt=1)  # relative


class OutputConfig(Section):
    """Which files to write and in which coordinate reference system, and optionally the
    PostGIS database and schema the plan's layers also go to."""

    formats: list[OutputFormat] = Field(default_factory=lambda: list(OUTPUT_FORMATS))
    crs: CrsName = "EPSG:4326"
    postgis: DatabaseUrlText | None = None  # postgresql://user@host:port/database
    schema_: str = Field(default="public", alias="schema", min_length=1)
    # language of the report, maps and summary (default: "zh" when the demand names are
    # Chinese, else "en")
    language: Literal["zh", "en"] | None = None


class Config(Section):
    """A whole run configuration. Paths are absolute once loaded with :func:`load_config`."""

    name: str
    demand: DemandConfig
    sites: SitesConfig
    travel: TravelConfig = Field(default_factory=TravelConfig)
    model: ModelConfig
    output: OutputConfig = Field(default_factory=OutputConfig)

    # Trips beyond this many minutes are not computed when neither travel.max_minutes nor
    # model.radius says otherwise: two hours covers any trip to a county facility.
    DEFAULT_MAX_MINUTES: ClassVar[float] = 120.0

    def longest_trip(self) -> float:
        """Longest trip worth computing (minutes): travel.max_minutes, else model.radius, else
        ``DEFAULT_MAX_MINUTES``."""
        if self.travel.max_minutes is not None:
            return self.travel.max_minutes
        if self.model.radius is not None:
            return self.model.radius
        return self.DEFAULT_MAX_MINUTES

    def with_time_limit(self, seconds: float) -> Config:
        """A copy whose solve stops after ``seconds`` (``model.time_limit``)."""
        return self.model_copy(
            update={"model": self.model.model_copy(update={"time_limit": seconds})}
        )


def with_language(config: M, language: str) -> M:
    """A copy of a site or county config whose outputs are in ``language`` ("zh", "en")."""
    output = config.output.model_copy(update={"language": language})  # type: ignore[attr-defined]
    return config.model_copy(update={"output": output})


def load_config(path: str | Path, raw: dict[str, Any] | None = None) -> Config:
    """Read, validate and check a TOML config file (``raw``: its TOML, when already parsed).

    Raises:
        ConfigError: the file is missing, is not valid TOML, or holds unknown keys, wrong
            values or inconsistent settings; the message lists every problem found.
    """
    path = Path(path)
    raw = read_toml(path) if raw is None else raw
    config = validate(Config, raw, path)
    check_config(config, source=path)
    return config


def input_files(config: BaseModel) -> list[Path]:
    """Every file a loaded config (site, county or any section of one) names: demand, sites,
    roads, travel table, boundary."""
    found: list[Path] = []
    for name in type(config).model_fields:
        value = getattr(config, name)
        if isinstance(value, dict):
            items = list(value.values())
        else:
            items = list(value) if isinstance(value, list | tuple) else [value]
        for item in items:
            if isinstance(item, Path):
                found.append(item)
            elif isinstance(item, BaseModel):
                found += input_files(item)
    return found


def read_toml(path: Path) -> dict[str, Any]:
    """The parsed TOML of a config file.

    Raises:
        ConfigError: the file is missing, unreadable, not UTF-8 or not valid TOML.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(_("{path}: config file not found").format(path=path)) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            _("{path}: config file is not UTF-8 text ({reason})").format(
                path=path, reason=exc.reason
            )
        ) from None
    except OSError as exc:
        raise ConfigError(
            _("{path}: cannot read config file ({reason})").format(path=path, reason=exc.strerror)
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(_toml_message(path, exc)) from None


def validate(schema: type[M], raw: dict[str, Any], path: Path) -> M:
    """``raw`` validated as ``schema``, relative paths resolved against the file's folder.

    Raises:
        ConfigError: one line per problem, ``file: section.key: message``.
    """
    try:
        return schema.model_validate(raw, context={"base": path.resolve().parent})
    except ValidationError as exc:
        lines = [
            f"{path}: {error_where(err['loc'])}: {error_message(err, schema)}"
            for err in exc.errors()
        ]
        raise ConfigError("\n".join(lines)) from None


def check_config(config: Config, *, source: str | Path = "config") -> None:
    """Cross-field checks: settings each problem and travel mode needs, and that files exist.

    Raises:
        ConfigError: one line per problem, ``source: section.key: message``.
    """
    problems = [f"{source}: {key}: {message}" for key, message in _cross_checks(config)]
    if problems:
        raise ConfigError("\n".join(problems))


def _cross_checks(config: Config) -> list[tuple[str, str]]:
    """(key, message) for every inconsistency pydantic's per-field checks cannot see."""
    found: list[tuple[str, str]] = []
    model, travel, sites = config.model, config.travel, config.sites
    if model.problem in NEEDS_P and model.p is None:
        found.append(
            (
                "model.p",
                _("required for problem {problem} (number of sites)").format(
                    problem=repr(model.problem)
                ),
            )
        )
    if model.problem == "lscp" and model.p is not None:
        found.append(
            (
                "model.p",
                _(
                    "does not apply to problem 'lscp' (it opens the fewest sites covering every "
                    "unit); remove p, or use problem 'mclp' to cover the most people with p sites"
                ),
            )
        )
    if model.problem in NEEDS_RADIUS and model.radius is None:
        found.append(
            (
                "model.radius",
                _("required for problem {problem} (minutes)").format(problem=repr(model.problem)),
            )
        )
    if model.use_capacity and model.problem != "capacitated":
        found.append(("model.use_capacity", _("applies only to problem 'capacitated'")))
    if model.use_fixed_costs and model.problem not in USES_FIXED_COSTS:
        found.append(
            ("model.use_fixed_costs", _("applies only to problems 'lscp' and 'capacitated'"))
        )
    if model.single_source and model.problem != "capacitated":
        found.append(("model.single_source", _("applies only to problem 'capacitated'")))
    if model.use_capacity and sites.capacity is None:
        found.append(("sites.capacity", _("name the capacity column (model.use_capacity is true)")))
    if model.use_fixed_costs and sites.fixed_cost is None:
        found.append(
            ("sites.fixed_cost", _("name the fixed-cost column (model.use_fixed_costs is true)"))
        )
    for key in sorted(set(sites.required) & set(sites.barred)):
        found.append(
            (
                "sites.barred",
                _("site {site} is also listed in sites.required").format(site=repr(key)),
            )
        )
    if (
        model.radius is not None
        and travel.max_minutes is not None
        and travel.max_minutes < model.radius
    ):
        found.append(
            (
                "travel.max_minutes",
                _(
                    "{max_minutes} is below model.radius {radius}; "
                    "raise it or leave it out (it then defaults to the radius)"
                ).format(max_minutes=travel.max_minutes, radius=model.radius),
            )
        )
    found += travel_checks(travel)
    found += demand_checks(config.demand)
    found += source_checks(
        {
            "demand.path": config.demand.path,
            "demand.population_table": config.demand.population_table,
            "sites.path": config.sites.path,
            "travel.roads": travel.roads,
            "travel.table": travel.table,
        },
        config,
    )
    return found


# Per key that may name a database, the keys giving its table and its query.
DATABASE_KEYS = {
    "demand.path": ("demand.layer", "demand.sql"),
    "sites.path": ("sites.layer", "sites.sql"),
    "travel.roads": ("travel.roads_layer", "travel.roads_sql"),
    "boundary.path": ("boundary.layer", "boundary.sql"),
    "travel.table": ("travel.table_layer", "travel.table_sql"),
}


def _value(config: BaseModel, dotted: str) -> Any:
    section, key = dotted.split(".")
    part = getattr(config, section, None)
    return None if part is None else getattr(part, key, None)


def source_checks(
    paths: dict[str, Path | DatabaseUrl | None], config: BaseModel
) -> list[tuple[str, str]]:
    """(key, message) for a missing file, a database URL where none is read, a database
    without exactly one of layer and sql, and sql beside a file."""
    found: list[tuple[str, str]] = []
    for key, path in paths.items():
        if isinstance(path, Path) and not path.is_file():
            found.append((key, _("file not found: {path}").format(path=path)))
        layer_key, sql_key = DATABASE_KEYS.get(key, (None, None))
        if isinstance(path, DatabaseUrl):
            if layer_key is None:
                message = _("a database URL cannot be read here ({url}); give a file")
                found.append((key, message.format(url=path)))
            elif (_value(config, layer_key) is None) == (_value(config, sql_key) is None):
                found.append(
                    (
                        key,
                        _(
                            "a database ({url}) needs one of {layer_key} = 'schema.table' or "
                            "{sql_key} = 'SELECT ...'"
                        ).format(url=path, layer_key=layer_key, sql_key=sql_key),
                    )
                )
        elif sql_key is not None and _value(config, sql_key) is not None:
            found.append(
                (sql_key, _("applies to postgresql:// URLs only, not to {path}").format(path=path))
            )
    return found


def demand_checks(demand: DemandConfig) -> list[tuple[str, str]]:
    """(key, message) for [demand] keys that need another: population_table keys without a
    population_table, a census total without a raster to spread it over, a missing raster."""
    found: list[tuple[str, str]] = []
    if demand.population_table is None:
        found += [
            (f"demand.{key}", _("only used with demand.population_table"))
            for key in (
                "population_key",
                "population_sheet",
                "population_encoding",
                "population_header_row",
            )
            if key in demand.model_fields_set
        ]
    if demand.population_table is not None and demand.population_raster is not None:
        found.append(
            (
                "demand.population_raster",
                _("and demand.population_table both give the population; keep one"),
            )
        )
    if demand.population_total is not None and demand.population_raster is None:
        found.append(
            (
                "demand.population_total",
                _("rescales a population raster; give demand.population_raster too"),
            )
        )
    raster = demand.population_raster
    if raster is not None and not raster.is_file():
        found.append(("demand.population_raster", _("file not found: {path}").format(path=raster)))
    return found


def travel_checks(travel: TravelConfig) -> list[tuple[str, str]]:
    """(key, message) for [travel] keys of another mode and a missing roads or table key."""
    found: list[tuple[str, str]] = []
    for mode, keys in MODE_KEYS.items():
        if mode == travel.mode:
            continue
        for key in keys:
            if key in travel.model_fields_set:
                message = _("only used when mode = {mode} (mode is {current})").format(
                    mode=repr(mode), current=repr(travel.mode)
                )
                found.append((f"travel.{key}", message))
    if travel.mode == "network" and travel.roads is None:
        found.append(("travel.roads", _("required for mode 'network' (road line layer)")))
    if travel.mode == "network" and travel.roads is not None:
        pbf = is_pbf(travel.roads)
        only_pbf = ("osm_margin_km",)
        only_layers = ("roads_layer", "speed_column", "class_column")
        for key in only_layers if pbf else only_pbf:
            if key in travel.model_fields_set:
                message = (
                    _("only used when roads is a line layer")
                    if pbf
                    else _("only used when roads is an OpenStreetMap .osm.pbf extract")
                )
                found.append((f"travel.{key}", message))
    if travel.mode == "table" and travel.table is None:
        found.append(("travel.table", _("required for mode 'table' (origin-destination table)")))
    return found


def _toml_message(path: Path, exc: tomllib.TOMLDecodeError) -> str:
    """``file: line L, column C: invalid TOML: reason`` from a tomllib error."""
    text = str(exc)
    match = re.search(r"\(at line (\d+), column (\d+)\)", text)
    if match is None:
        return _("{path}: invalid TOML: {reason}").format(path=path, reason=text)
    reason = text[: match.start()].strip()
    return _("{path}: line {line}, column {column}: invalid TOML: {reason}").format(
        path=path, line=match[1], column=match[2], reason=reason
    )


def error_where(loc: tuple[Any, ...]) -> str:
    """``section.key[index]`` from a pydantic error location."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or _("(top level)")


def error_message(err: dict[str, Any], root: type[BaseModel] = Config) -> str:
    """A planner-readable message for one pydantic error, with the allowed values or keys."""
    kind, loc = err["type"], err["loc"]
    if kind == "extra_forbidden":
        fields = _model_at(loc[:-1], root).model_fields
        allowed = ", ".join(field.alias or name for name, field in fields.items())
        if len(loc) == 1:
            return _("unknown section or key (allowed: {allowed})").format(allowed=allowed)
        return _("unknown key (allowed: {allowed})").format(allowed=allowed)
    if kind == "missing":
        return _("required section is missing") if len(loc) == 1 else _("required key is missing")
    if kind == "literal_error":
        allowed = err["ctx"]["expected"].replace("'", "")
        return _("{value} is not allowed (allowed: {allowed})").format(
            value=repr(err["input"]), allowed=allowed
        )
    if kind == "value_error":
        return err["msg"].removeprefix("Value error, ")
    message = pydantic_message(err)
    if "input" in err:
        return _("{message} (got {value})").format(message=message, value=repr(err["input"]))
    return message


def pydantic_message(err: dict[str, Any]) -> str:
    """Pydantic's message for a type or range error, in the language in use where the
    catalogue has it (the common kinds), else pydantic's English text."""
    kind, ctx = err["type"], err.get("ctx") or {}
    fixed = {
        "int_type": _("Input should be a valid integer"),
        "int_parsing": _("Input should be a valid integer, unable to parse string as an integer"),
        "int_from_float": _("Input should be a valid integer, got a number with a fractional part"),
        "float_type": _("Input should be a valid number"),
        "float_parsing": _("Input should be a valid number, unable to parse string as a number"),
        "finite_number": _("Input should be a finite number"),
        "bool_type": _("Input should be a valid boolean"),
        "bool_parsing": _("Input should be a valid boolean, unable to interpret input"),
        "string_type": _("Input should be a valid string"),
        "list_type": _("Input should be a valid list"),
        "tuple_type": _("Input should be a valid tuple"),
        "dict_type": _("Input should be a valid dictionary"),
    }
    if kind in fixed:
        return fixed[kind]
    bounds = {
        "greater_than": ("gt", _("Input should be greater than {limit}")),
        "greater_than_equal": ("ge", _("Input should be greater than or equal to {limit}")),
        "less_than": ("lt", _("Input should be less than {limit}")),
        "less_than_equal": ("le", _("Input should be less than or equal to {limit}")),
    }
    if kind in bounds and bounds[kind][0] in ctx:
        key, text = bounds[kind]
        limit = ctx[key]
        if isinstance(limit, float) and limit.is_integer():
            limit = int(limit)  # as pydantic writes it
        return text.format(limit=limit)
    if kind == "model_type" and "class_name" in ctx:
        return _("Input should be a valid dictionary or instance of {class_name}").format(
            class_name=ctx["class_name"]
        )
    if kind == "string_too_short" and "min_length" in ctx:
        n = ctx["min_length"]
        return ngettext(
            "String should have at least {n} character",
            "String should have at least {n} characters",
            n,
        ).format(n=n)
    if kind == "too_short" and ctx.get("field_type") == "List" and "min_length" in ctx:
        n, got = ctx["min_length"], ctx.get("actual_length")
        return ngettext(
            "List should have at least {n} item after validation, not {got}",
            "List should have at least {n} items after validation, not {got}",
            n,
        ).format(n=n, got=got)
    return err["msg"]


def _model_at(loc: tuple[Any, ...], root: type[BaseModel]) -> type[BaseModel]:
    """The config model class that a location (without its last key) points into."""
    model = root
    for part in loc:
        if part not in model.model_fields:
            continue
        annotation = model.model_fields[part].annotation
        for arg in get_args(annotation):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                annotation = arg
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
    return model
