"""A config's files read once into the frames and travel minutes a plan is made from.

Every file a config names is read here and only here, each once: the demand layer gives the
canonical demand points, their display labels (township + name) and, when it holds polygons,
the unit areas the district map is drawn from; the sites layer gives the canonical sites and
the cost and staff columns a county config names. Names in the config are resolved to ids
once, against these frames (see ``optimizer.inputs.names``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

import geodata
from geodata.errors import ConfigError, HealthplanWarning, InputError
from geodata.fields import parse_numbers
from geodata.i18n import N_
from geodata.i18n import gettext as _
from geodata.layers import Source, read_any
from geodata.messages import listing
from geodata.postgis import DatabaseUrl
from geodata.tables import with_population
from optimizer.config.county import CountyConfig, CountySitesConfig
from optimizer.config.site import (
    Config,
    DemandConfig,
    RowsSource,
    SitesConfig,
    TravelConfig,
    is_pbf,
)
from optimizer.county_spec import CountySpec
from optimizer.inputs.names import resolve_names
from optimizer.inputs.spec import county_spec, existing_staff, phases_spec, resolve_villages

Progress = Callable[[str], None]

# Points this far (metres) outside the boundary polygons still count as inside: boundaries
# are often generalised, and a health centre may sit just across the line.
BOUNDARY_TOLERANCE_M = 1000.0

# The message for sites or demand units outside the boundary, by what they are.
OUTSIDE_MESSAGES = {
    "site": N_(
        "{path}: {n} site(s) lie more than {km} km outside the boundary: {names}; fix "
        "their coordinates or CRS, or give the right boundary file"
    ),
    "demand unit": N_(
        "{path}: {n} demand unit(s) lie more than {km} km outside the boundary: {names}; fix "
        "their coordinates or CRS, or give the right boundary file"
    ),
}


@dataclass
class Inputs:
    """What a config's files hold, in the demand's metric CRS.

    Attributes:
        demand: canonical demand units (``id, name, population``, points).
        sites: canonical sites (``id, name, kind, capacity, fixed_cost``, points), with the
            cost and existing-staff columns a county config names, as numbers.
        travel: demand x site minutes up to the config's longest trip.
        labels: display name per demand unit: township + name when the demand layer has a
            ``township`` column, else the name.
        areas: per demand unit its polygon when the demand layer holds polygons (townships),
            else None.
        boundary: the county boundary polygons (county plans with ``[boundary]``).
        spec: a county config with its names resolved (county plans).
        stop_travel: village x village minutes up to ``roaming.leg_minutes`` (roaming).
        seats: the township seats named by ``compare.seats_layer`` with their minutes to
            the sites.
    """

    demand: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    travel: geodata.TravelTimes
    labels: np.ndarray
    areas: gpd.GeoSeries | None = None
    boundary: gpd.GeoDataFrame | None = None
    spec: CountySpec | None = None
    stop_travel: geodata.TravelTimes | None = None
    seats: tuple[gpd.GeoDataFrame, geodata.TravelTimes] | None = None


@contextmanager
def config_section(name: str) -> Iterator[None]:
    """Prefix data errors with the config section that names the data, e.g. ``[demand]``."""
    try:
        yield
    except InputError as exc:
        raise type(exc)(f"[{name}] {exc}") from exc


def read_site_inputs(config: Config, progress: Progress | None = None) -> Inputs:
    """The demand, sites and travel minutes of a site-plan config.

    ``progress`` is called with "reading demand", "reading sites" and "travel times".
    """
    step = progress or (lambda _name: None)
    step("reading demand")
    demand, frame = read_demand_layer(config.demand)
    if config.demand.population_raster is not None:
        areas = unit_areas(demand, frame, config.demand.id)
        demand = with_raster_population(demand, areas, config.demand, None)
    step("reading sites")
    s = config.sites
    with config_section("sites"):
        raw, source = rows(s)
        sites = site_frame(raw, source, s, demand.crs, capacity=s.capacity, fixed_cost=s.fixed_cost)
    step("travel times")
    with config_section("travel"):
        travel = travel_times(config.travel, demand, sites, config.longest_trip())
    return Inputs(demand, sites, travel, labels=unit_labels(demand, frame, config.demand.id))


def read_county_inputs(
    config: CountyConfig, progress: Progress | None = None, source: str | Path = "config"
) -> Inputs:
    """The demand, sites, boundary and travel minutes of a county config, with its spec.

    ``progress`` is called with "reading demand", "reading sites" and "travel times";
    ``source`` (the config file) is named in errors about names and columns.

    Raises:
        ConfigError: unknown or ambiguous names, missing or non-numeric site columns.
        InputError: unreadable or invalid files, points outside the boundary.
    """
    step = progress or (lambda _name: None)
    d, s = config.demand, config.sites
    step("reading demand")
    demand, frame = read_demand_layer(d)
    labels = unit_labels(demand, frame, d.id)
    with config_section("demand"):
        areas = unit_areas(demand, frame, d.id)

    step("reading sites")
    with config_section("sites"):
        raw, site_source = rows(s)
        sites = site_frame(raw, site_source, s, demand.crs)
        sites = with_site_columns(sites, raw, config, source)
    spec = county_spec(config, sites, source)
    if config.compare is not None:
        with config_section("compare"):
            check_compare_names(config, demand, sites, labels, source)
    boundary = None
    if config.boundary is not None:
        with config_section("boundary"):
            b = config.boundary
            boundary = read_boundary(b.path, b.layer, b.sql)
            for layer, what in ((sites, "site"), (demand, "demand unit")):
                check_inside(layer, boundary, what, config.boundary.path)
    if d.population_raster is not None:
        demand = with_raster_population(demand, areas, d, boundary)
    if spec.roaming is not None:
        spec = replace(spec, roaming=resolve_villages(spec.roaming, demand, source))
    if config.phases is not None:
        spec = replace(spec, phases=phases_spec(config.phases, demand, frame, source))

    step("travel times")
    t, limit = config.travel, config.longest_trip()
    stop_travel = seats = roads = None
    with config_section("travel"):
        if t.mode == "network":
            roads = read_roads(t, demand)
        travel = travel_times(t, demand, sites, limit, roads)
        if spec.roaming is not None:
            stop_travel = travel_times(t, demand, demand, spec.roaming.leg_minutes, roads)
    if config.compare is not None and config.compare.seats_layer is not None:
        with config_section("compare"):
            seat_config = d.model_copy(
                update={
                    "layer": config.compare.seats_layer,
                    "id": config.compare.seats_id,
                    "population_table": None,
                    "sql": None,
                }
            )
            towns, _ = read_demand_layer(seat_config)
        with config_section("travel"):
            seats = (towns, travel_times(t, towns, sites, limit, roads))
    return Inputs(demand, sites, travel, labels, areas, boundary, spec, stop_travel, seats)


def rows(s: RowsSource) -> tuple[pd.DataFrame, Source]:
    """The table a rows section (``[demand]``, ``[sites]``) names, as read (see
    ``geodata.layers.read_any``)."""
    return read_any(
        s.path, s.layer, sheet=s.sheet, encoding=s.encoding, sql=s.sql, header_row=s.header_row
    )


def read_demand_layer(d: DemandConfig) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """The ``[demand]`` section's units in metres, and the file's table as read (with the
    population joined from ``population_table`` when the section names one, and its geometry
    converted to WGS84 when ``crs`` is GCJ-02 or BD-09)."""
    with config_section("demand"):
        frame, source = rows(d)
        if d.population_table is not None:
            frame = with_population(
                frame,
                source,
                d.population_table,
                id=d.id,
                key=d.id if d.population_key is None else d.population_key,
                population=d.population,
                sheet=d.population_sheet,
                encoding=d.population_encoding,
                header_row=d.population_header_row,
            )
        demand = geodata.demand_frame(
            frame,
            source,
            id=d.id,
            name=d.name,
            population=None if d.population_raster is not None else d.population,
            lon=d.lon,
            lat=d.lat,
            crs=d.crs,
        )
        if isinstance(frame, gpd.GeoDataFrame) and geodata.chinese_crs_name(d.crs) is not None:
            frame = frame.set_geometry(geodata.chinese_to_wgs84(frame.geometry, d.crs))
        return geodata.to_metric(demand), frame


def with_raster_population(
    demand: gpd.GeoDataFrame,
    areas: gpd.GeoSeries | None,
    d: DemandConfig,
    boundary: gpd.GeoDataFrame | None,
) -> gpd.GeoDataFrame:
    """``demand`` with each unit's persons from ``demand.population_raster``: the raster
    population of its own polygon (``areas``), else of its Voronoi cell among the demand
    points clipped to the boundary (or to the points' hull widened by 5 km); rescaled to
    ``demand.population_total`` when given. Warns how many raster persons no unit takes."""
    raster = d.population_raster
    assert raster is not None
    with config_section("demand"):
        shares = None
        if areas is None:
            if boundary is not None:
                clip = boundary.to_crs(demand.crs).union_all()
            else:
                clip = geodata.around(demand.geometry)
            areas = geodata.voronoi_catchments(demand.geometry, clip)
            shares = geodata.shared_counts(demand.geometry)
        found = geodata.raster_population(areas, raster, total=d.population_total, shares=shares)
    demand = demand.copy()
    demand["population"] = found.population
    share = found.outside / found.raster_total if found.raster_total else 0.0
    figures = dict(
        raster=raster,
        total=f"{found.raster_total:,.0f}",
        outside=f"{found.outside:,.0f}",
        share=f"{share:.1%}",
    )
    if d.population_total is not None:
        message = _(
            "{raster}: population from the raster ({total} persons); {outside} persons "
            "({share}) lie outside every demand unit's catchment; rescaled by {scale} to "
            "population_total {population_total}"
        ).format(
            **figures,
            scale=f"{found.scale:.4g}",
            population_total=f"{d.population_total:,.0f}",
        )
    else:
        message = _(
            "{raster}: population from the raster ({total} persons); {outside} persons "
            "({share}) lie outside every demand unit's catchment"
        ).format(**figures)
    warnings.warn(message, HealthplanWarning, stacklevel=2)
    return demand


def site_frame(
    frame: pd.DataFrame,
    source: Source,
    s: SitesConfig | CountySitesConfig,
    crs: object,
    **columns: str | None,
) -> gpd.GeoDataFrame:
    """The ``[sites]`` section ``s`` of a read table as canonical sites (plus the optional
    ``columns``) in the CRS ``crs``."""
    sites = geodata.sites_frame(
        frame,
        source,
        id=s.id,
        name=s.name,
        kind=s.kind,
        lon=s.lon,
        lat=s.lat,
        crs=s.crs,
        **columns,
    )
    return geodata.to_metric(sites, crs=crs)


def unit_labels(demand: gpd.GeoDataFrame, frame: pd.DataFrame, id_column: str) -> np.ndarray:
    """Display names of the demand units: township + name when the layer has a township
    column, else the name."""
    names = demand["name"].astype(str)
    if "township" not in frame.columns:
        return names.to_numpy()
    township = frame.set_index(frame[id_column].astype(str))["township"].astype(str)
    return (demand["id"].astype(str).map(township).fillna("") + names).to_numpy()


def unit_areas(
    demand: gpd.GeoDataFrame, frame: pd.DataFrame, id_column: str
) -> gpd.GeoSeries | None:
    """Each demand unit's own polygon (in the demand's CRS) when the layer holds polygons
    (townships) for every unit; None otherwise."""
    if not isinstance(frame, gpd.GeoDataFrame) or frame.crs is None:
        return None
    if not frame.geom_type.isin(["Polygon", "MultiPolygon"]).all():
        return None
    polygons = frame.to_crs(demand.crs).set_index(frame[id_column].astype(str)).geometry
    areas = polygons.reindex(demand["id"].astype(str))
    return None if areas.isna().any() else areas


def with_site_columns(
    sites: gpd.GeoDataFrame, raw: pd.DataFrame, config: CountyConfig, source: str | Path
) -> gpd.GeoDataFrame:
    """Sites with the cost and existing-staff columns the config names, as numbers.

    Raises:
        ConfigError: a named column the sites layer lacks, or one with a cell that is not a
            number >= 0.
    """
    wanted: dict[str, str] = {}
    for key in ("hub", "clinic"):
        column = getattr(config, key).cost_column
        if column is not None:
            wanted[column] = f"{key}.cost_column"
    for name, staff in config.staff.items():
        if staff.existing_column is not None:
            wanted[staff.existing_column] = f"staff.{name}.existing_column"
    if not wanted:
        return sites
    sites = sites.copy()
    problems = []
    for column, key in wanted.items():
        if column not in raw.columns:
            problems.append(
                _("{source}: {key}: the sites have no column {column}").format(
                    source=source, key=key, column=repr(column)
                )
            )
            continue
        values = parse_numbers(raw[column])
        if np.isnan(values).any() or (values < 0).any():
            problems.append(
                _("{source}: {key}: column {column} needs a number >= 0 in every row").format(
                    source=source, key=key, column=repr(column)
                )
            )
            continue
        sites[column] = values
    if problems:
        raise ConfigError("\n".join(problems))
    for name, staff in config.staff.items():
        existing_staff(sites, name, staff.existing_column)
    return sites


def check_compare_names(
    config: CountyConfig,
    demand: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    labels: np.ndarray,
    source: str | Path,
) -> None:
    """Check the sites and units ``[compare]`` names before anything is solved.

    Raises:
        ConfigError: a plan hub or named unit that matches no site or unit, or several.
    """
    compare = config.compare
    if compare is None:
        return
    site_ids, site_names = sites["id"].astype(str), sites["name"].astype(str)
    resolve_names(compare.plan_hubs, site_ids, site_names, what="compare.plan_hubs", source=source)
    resolve_names(
        compare.named_gaps,
        demand["id"].astype(str),
        labels,
        demand["name"].astype(str),
        what="compare.named_gaps",
        noun="demand unit",
        source=source,
    )


def read_roads(t: TravelConfig, demand: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The road line layer of a spatial file (GeoPackage, shapefile, GeoJSON, ...) or of a
    PostGIS table or query; or the driven ways of an OpenStreetMap .osm.pbf extract within
    ``t.osm_margin_km`` km of the demand's convex hull (columns ``speed_kmh`` and
    ``direction``)."""
    if is_pbf(t.roads):
        area = geodata.osm_demand_area(demand, t.osm_margin_km)
        return geodata.read_osm_roads(t.roads, t.osm_class_speeds(), area)
    roads, source = read_any(t.roads, t.roads_layer, sql=t.roads_sql)
    if not isinstance(roads, gpd.GeoDataFrame):
        raise source.error(_("has no geometry; give a line layer of roads as travel.roads"))
    roads.attrs["source"] = str(source)
    return roads


def travel_times(
    t: TravelConfig,
    demand: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    limit: float,
    roads: gpd.GeoDataFrame | None = None,
) -> geodata.TravelTimes:
    """Demand x site minutes by the [travel] mode, up to ``limit`` minutes (``roads``: the
    road layer when already read, for network travel)."""
    if t.mode == "straight-line":
        return geodata.straight_line_minutes(
            demand, sites, speed_kmh=t.speed_kmh, circuity=t.circuity, max_minutes=limit
        )
    if t.mode == "network":
        osm = is_pbf(t.roads)
        return geodata.network_minutes(
            demand,
            sites,
            read_roads(t, demand) if roads is None else roads,
            speed_column="speed_kmh" if osm else t.speed_column,
            class_column=None if osm else t.class_column,
            class_speeds=None if osm else t.class_speeds,
            direction_column="direction" if osm else None,
            default_speed_kmh=t.default_speed_kmh,
            access_speed_kmh=t.access_speed_kmh,
            max_minutes=limit,
        )
    return geodata.table_minutes(
        t.table,
        demand["id"].tolist(),
        sites["id"].tolist(),
        origin=t.origin,
        destination=t.destination,
        minutes=t.minutes,
        max_minutes=limit,
        sheet=t.table_sheet,
        encoding=t.table_encoding,
        layer=t.table_layer,
        sql=t.table_sql,
    )


def read_boundary(
    path: Path | DatabaseUrl, layer: str | None, sql: str | None = None
) -> gpd.GeoDataFrame:
    """The county boundary polygons of a spatial file or of a PostGIS table or query."""
    frame, src = read_any(path, layer, sql=sql)
    if not isinstance(frame, gpd.GeoDataFrame):
        raise src.error(_("has no geometry; give a polygon layer as boundary.path"))
    kinds = set(frame.geometry.geom_type.dropna())
    if not kinds or not kinds <= {"Polygon", "MultiPolygon"}:
        raise src.error(_("needs polygons (the county area)"))
    if frame.crs is None:
        raise src.error(_("has no CRS"))
    return frame


def check_inside(
    layer: gpd.GeoDataFrame, boundary: gpd.GeoDataFrame, what: str, path: Path | DatabaseUrl
) -> None:
    """Refuse points (in a metric CRS) farther than ``BOUNDARY_TOLERANCE_M`` outside the
    boundary: their coordinates, CRS or the boundary file are wrong. ``what`` ("site" or
    "demand unit") picks the message in ``OUTSIDE_MESSAGES``."""
    area = boundary.to_crs(layer.crs).union_all().buffer(BOUNDARY_TOLERANCE_M)
    outside = np.flatnonzero(~layer.geometry.covered_by(area).to_numpy())
    if outside.size:
        named = [f"{layer['id'].iloc[k]} {layer['name'].iloc[k]}" for k in outside]
        raise InputError(
            _(OUTSIDE_MESSAGES[what]).format(
                path=path,
                n=outside.size,
                km=f"{BOUNDARY_TOLERANCE_M / 1000:g}",
                names=listing(named),
            )
        )
