"""Scenario sweeps and many regions: the ``[sweep]`` and ``[regions]`` config sections.

A run config (site plan or county plan) may carry

- ``[sweep]``: keys naming config values by their dotted path (quoted or not), each with a
  list of values, e.g. ``"hub.radius" = [20, 30, 45]`` and ``hub.count = [[6, 6], [8, 8]]``;
  the grid of all combinations becomes the scenarios (first key varies slowest);
- ``[regions]``: ``column``, a column of the demand layer naming each unit's region (every
  other input layer holding that column is split by it too), with ``only`` to keep some
  regions; or ``[[regions.list]]`` tables, each a ``name`` plus config values that differ for
  that region (e.g. ``demand.path``), merged into the rest of the config.

Every (region, scenario) pair is one :class:`Task`, planned independently. Each task's
config is validated before anything runs, so a bad value stops the batch with one
:class:`~geodata.errors.ConfigError` naming the sweep key or region.
"""

from __future__ import annotations

import builtins
import copy
import itertools
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pyogrio
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from geodata.errors import ConfigError, InputError
from geodata.i18n import gettext as _
from geodata.layers import is_csv, is_sheet, read_any
from geodata.postgis import DatabaseUrl, is_database_url
from optimizer.config.county import CountyConfig, check_county_config, is_county_config
from optimizer.config.site import (
    Config,
    check_config,
    error_message,
    error_where,
    read_toml,
    validate,
)

BATCH_SECTIONS = ("sweep", "regions")

Kind = Literal["sites", "county"]
TIME_LIMIT_KEY = {"sites": "model.time_limit", "county": "solve.time_limit"}


class RegionEntry(BaseModel):
    """One listed region: its name and the config values that differ for it."""

    model_config = ConfigDict(extra="allow", frozen=True)

    name: str = Field(min_length=1)


class RegionsConfig(BaseModel):
    """Regions from a column of the demand layer, or listed one by one."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    column: str | None = None  # demand (and other layers') column naming the region
    only: builtins.list[str] | None = None  # plan just these regions of the column
    list: builtins.list[RegionEntry] = Field(default_factory=builtins.list)


@dataclass(frozen=True)
class Scenario:
    """One point of the sweep grid: ``values`` by dotted config key, and a folder name."""

    slug: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Region:
    """One region: its name, folder name, config overrides and, for a region column, the
    column and the value that select its rows."""

    name: str
    slug: str
    overrides: dict[str, Any] = field(default_factory=dict)
    column: str | None = None
    value: Any = None


@dataclass(frozen=True)
class Task:
    """One independent plan: the full raw config of a (region, scenario) pair.

    ``folder`` is the task's output folder relative to the batch output folder.
    """

    index: int
    kind: Kind
    raw: dict[str, Any]
    source: str  # the config file (relative paths resolve against its folder)
    folder: str
    region: Region | None
    scenario: Scenario | None


@dataclass(frozen=True)
class Batch:
    """The tasks of a config with ``[sweep]`` and/or ``[regions]``."""

    name: str
    kind: Kind
    source: Path
    sweep_keys: tuple[str, ...]
    tasks: tuple[Task, ...]
    output_formats: tuple[str, ...]


def is_batch(raw: dict[str, Any], sweep: dict[str, list[Any]] | None = None) -> bool:
    """True when a parsed config (or the command line's sweep values) asks for several plans."""
    return bool(sweep) or any(key in raw for key in BATCH_SECTIONS)


def parse_sweep_option(text: str) -> tuple[str, list[Any]]:
    """``KEY=VALUES`` of the command line, e.g. ``hub.radius=[20, 30]`` or ``model.p=6``.

    Raises:
        ConfigError: no ``=``, or the value is not a TOML value.
    """
    key, sep, value = text.partition("=")
    key = key.strip().strip('"')
    if not sep or not key:
        raise ConfigError(
            _("--sweep {text}: give KEY=VALUES, e.g. hub.radius=[20, 30, 45]").format(
                text=repr(text)
            )
        )
    try:
        parsed = tomllib.loads(f"v = {value.strip()}")["v"]
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            _(
                "--sweep {text}: {value} is not a TOML value ({reason}); "
                'quote text values: model.problem=["mclp", "lscp"]'
            ).format(text=repr(text), value=repr(value.strip()), reason=exc)
        ) from None
    return key, parsed if isinstance(parsed, list) else [parsed]


def load_batch(
    path: str | Path,
    sweep: dict[str, list[Any]] | None = None,
    *,
    time_limit: float | None = None,
    raw: dict[str, Any] | None = None,
) -> Batch:
    """Read a config with ``[sweep]`` / ``[regions]`` and check every task's config.

    ``sweep`` adds grid keys (the command line's), ``time_limit`` (seconds) overrides the
    solver time limit of every task; ``raw`` is the config's TOML when already parsed.

    Raises:
        ConfigError: a bad sweep key or value, a bad regions section, or a task config that
            fails validation (the message names the scenario or region).
    """
    path = Path(path)
    raw = read_toml(path) if raw is None else raw
    grid = _sweep_grid(raw.get("sweep", {}), path)
    for key, values in (sweep or {}).items():
        grid[key] = _values(key, values, f"--sweep {key}")
    regions_raw = raw.get("regions")
    base = {k: v for k, v in raw.items() if k not in BATCH_SECTIONS}
    kind: Kind = "county" if is_county_config(base) else "sites"
    regions = _regions(regions_raw, base, path) if regions_raw is not None else [None]
    scenarios = _scenarios(grid) if grid else [None]
    tasks = []
    for region, scenario in itertools.product(regions, scenarios):
        task_raw = copy.deepcopy(base)
        if region is not None:
            _merge(task_raw, region.overrides)
        if scenario is not None:
            for key, value in scenario.values.items():
                _set(task_raw, key, value)
        if time_limit is not None:
            _set(task_raw, TIME_LIMIT_KEY[kind], time_limit)
        folder = "/".join(
            part
            for part in (
                f"regions/{region.slug}" if region else "",
                f"scenarios/{scenario.slug}" if scenario else "",
            )
            if part
        )
        task = Task(len(tasks), kind, task_raw, str(path), folder, region, scenario)
        check_task(task)
        tasks.append(task)
    config = task_config(tasks[0])
    return Batch(
        name=config.name,
        kind=kind,
        source=path,
        sweep_keys=tuple(grid),
        tasks=tuple(tasks),
        output_formats=tuple(config.output.formats),
    )


def task_label(task: Task) -> str:
    """``region / key=value, ...`` naming the task in messages and tables."""
    parts = []
    if task.region is not None:
        parts.append(task.region.name)
    if task.scenario is not None:
        parts.append(", ".join(f"{k}={value_text(v)}" for k, v in task.scenario.values.items()))
    return " / ".join(parts)


def task_config(task: Task) -> Config | CountyConfig:
    """The validated config of a task (without cross-checks).

    Raises:
        ConfigError: the task's values do not validate; the message names the task.
    """
    schema = CountyConfig if task.kind == "county" else Config
    try:
        return validate(schema, task.raw, Path(task.source))
    except ConfigError as exc:
        raise ConfigError(f"{task_label(task)}: {exc}") from None


def check_task(task: Task) -> Config | CountyConfig:
    """The validated and cross-checked config of a task.

    Raises:
        ConfigError: naming the task (region and sweep values) and the key at fault.
    """
    config = task_config(task)
    try:
        if isinstance(config, CountyConfig):
            check_county_config(config, source=task.source)
        else:
            check_config(config, source=task.source)
    except ConfigError as exc:
        raise ConfigError(f"{task_label(task)}: {exc}") from None
    return config


def _sweep_grid(section: Any, path: Path) -> dict[str, list[Any]]:
    """The ``[sweep]`` table as {dotted key: values}."""
    if not isinstance(section, dict):
        raise ConfigError(_("{path}: sweep: must be a table of KEY = [values]").format(path=path))
    flat = _flatten(section)
    return {key: _values(key, values, f"{path}: sweep.{key}") for key, values in flat.items()}


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"hub": {"radius": v}}`` (TOML's unquoted dotted keys) as ``{"hub.radius": v}``."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _values(key: str, values: Any, where: str) -> list[Any]:
    """A sweep key's list of values, checked: a non-empty list without repeats."""
    if not isinstance(values, list) or not values:
        raise ConfigError(
            _("{where}: give a non-empty list of values, e.g. [20, 30, 45]").format(where=where)
        )
    seen: list[Any] = []
    for value in values:
        if value in seen:
            raise ConfigError(
                _("{where}: value {value} is listed twice").format(
                    where=where, value=value_text(value)
                )
            )
        seen.append(value)
    if key.split(".")[0] in BATCH_SECTIONS:
        raise ConfigError(
            _("{where}: the sweep cannot change the {section} section").format(
                where=where, section=key.split(".")[0]
            )
        )
    return list(values)


def _scenarios(grid: dict[str, list[Any]]) -> list[Scenario]:
    """Every combination of the grid's values, first key varying slowest."""
    keys = list(grid)
    out = []
    for combo in itertools.product(*(grid[k] for k in keys)):
        values = dict(zip(keys, combo, strict=True))
        slug = "_".join(f"{_slug(key)}-{_slug(value_text(v))}" for key, v in values.items())
        out.append(Scenario(slug=slug, values=values))
    return out


def _regions(section: Any, base: dict[str, Any], path: Path) -> list[Region]:
    """The regions a ``[regions]`` section names (in the order given, or sorted values)."""
    try:
        cfg = RegionsConfig.model_validate(section)
    except ValidationError as exc:
        errors = [{**e, "loc": ("regions", *e["loc"])} for e in exc.errors()]
        raise ConfigError(
            "\n".join(
                f"{path}: {error_where(e['loc'])}: {error_message(e, RegionsConfig)}"
                for e in errors
            )
        ) from None
    if (cfg.column is None) == (not cfg.list):
        raise ConfigError(
            _(
                "{path}: regions: give either column (a demand column naming each unit's region) "
                "or [[regions.list]] tables, one per region"
            ).format(path=path)
        )
    if cfg.only is not None and cfg.column is None:
        raise ConfigError(
            _("{path}: regions.only: applies only with regions.column").format(path=path)
        )
    if cfg.column is not None:
        return _column_regions(cfg, base, path)
    names = [entry.name for entry in cfg.list]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ConfigError(
            _("{path}: regions.list: names listed twice: {names}").format(
                path=path, names=", ".join(repeated)
            )
        )
    return _unique_slugs(
        [
            Region(name=e.name, slug=_slug(e.name), overrides=dict(e.model_extra or {}))
            for e in cfg.list
        ]
    )


def _column_regions(cfg: RegionsConfig, base: dict[str, Any], path: Path) -> list[Region]:
    """One region per distinct value of the demand layer's region column."""
    demand = base.get("demand") if isinstance(base.get("demand"), dict) else {}
    file = demand.get("path")
    if file is None:
        raise ConfigError(
            _("{path}: demand.path: required (the layer with the region column)").format(path=path)
        )
    if is_database_url(file):
        file = DatabaseUrl(file)
    else:
        file = Path(file) if Path(file).is_absolute() else path.resolve().parent / file
    values = region_values(
        file,
        demand.get("layer"),
        cfg.column,
        path,
        sheet=demand.get("sheet"),
        encoding=demand.get("encoding"),
        header_row=demand.get("header_row"),
        sql=demand.get("sql"),
    )
    if cfg.only is not None:
        missing = [v for v in cfg.only if v not in {str(x) for x in values}]
        if missing:
            raise ConfigError(
                _("{path}: regions.only: {values} not found in column {column} of {file}").format(
                    path=path,
                    values=", ".join(map(repr, missing)),
                    column=repr(cfg.column),
                    file=file,
                )
            )
        values = [v for v in values if str(v) in cfg.only]
    return _unique_slugs(
        [Region(name=str(v), slug=_slug(str(v)), column=cfg.column, value=v) for v in values]
    )


def region_values(
    file: Path | DatabaseUrl,
    layer: str | None,
    column: str,
    source: Path,
    *,
    sheet: str | int | None = None,
    encoding: str | None = None,
    sql: str | None = None,
    header_row: int | None = None,
) -> list[Any]:
    """The distinct, sorted values of ``column`` in a layer, a CSV file, a workbook sheet or
    a database table or query (empty cells are an error)."""
    try:
        if isinstance(file, DatabaseUrl):
            frame, src = read_any(file, layer, sql=sql)
        elif is_csv(file) or is_sheet(file):
            frame, src = read_any(file, sheet=sheet, encoding=encoding, header_row=header_row)
        else:
            frame = pyogrio.read_dataframe(file, layer=layer, columns=[column], read_geometry=False)
            src = f"{file}" + (f" layer {layer!r}" if layer else "")
    except (InputError, pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise ConfigError(f"{source}: demand.path: {exc}") from None
    except OSError as exc:
        raise ConfigError(
            _("{path}: demand.path: cannot read {file} ({reason})").format(
                path=source, file=file, reason=exc
            )
        ) from None
    if column not in frame.columns:
        raise ConfigError(
            _("{path}: regions.column: {source} has no column {column}").format(
                path=source, source=src, column=repr(column)
            )
        )
    cells = frame[column]
    empty = cells.isna() | (cells.astype(str).str.strip() == "")
    if empty.any():
        rows = ", ".join(str(i + 1) for i in cells.index[empty][:5])
        raise ConfigError(
            _(
                "{path}: regions.column: {source}: column {column} is empty in row(s) {rows}; "
                "give every demand unit its region"
            ).format(path=source, source=src, column=repr(column), rows=rows)
        )
    return sorted(cells.unique().tolist(), key=lambda v: (str(type(v)), v))


def _unique_slugs(regions: list[Region]) -> list[Region]:
    """Regions whose folder names differ (a numeric suffix where two names slug alike)."""
    seen: dict[str, int] = {}
    out = []
    for region in regions:
        slug = region.slug
        seen[slug] = seen.get(slug, 0) + 1
        if seen[slug] > 1:
            slug = f"{slug}-{seen[slug]}"
        out.append(Region(region.name, slug, region.overrides, region.column, region.value))
    return out


def _set(raw: dict[str, Any], key: str, value: Any) -> None:
    """Set ``raw[a][b][c] = value`` for the dotted key ``a.b.c`` (tables made as needed)."""
    *parents, last = key.split(".")
    node = raw
    for part in parents:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[last] = copy.deepcopy(value)


def _merge(raw: dict[str, Any], overrides: dict[str, Any]) -> None:
    """Merge nested ``overrides`` into ``raw`` (tables merged key by key, values replaced)."""
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(raw.get(key), dict):
            _merge(raw[key], value)
        else:
            raw[key] = copy.deepcopy(value)


def value_text(value: Any) -> str:
    if isinstance(value, list):
        return "-".join(value_text(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _slug(text: str) -> str:
    """A folder-safe name: word characters (any script), '.', '-' and '_' kept."""
    slug = re.sub(r"[^\w.\-]+", "-", text.strip()).strip("-.")
    return slug or "x"
