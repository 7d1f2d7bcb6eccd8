"""A static map of a county plan (PNG): districts shaded, hubs and clinics, demand points."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from pyproj import CRS

from geodata.i18n import N_
from geodata.i18n import gettext as _
from geodata.travel import TravelTimes
from optimizer.county_spec import CountyPlan, CountySpec
from optimizer.outputs.maps import (
    Z_AREA,
    Z_CLOSED,
    Z_DEMAND,
    Z_OUTLINE,
    Z_REACH,
    Z_RING,
    Z_ROUTE,
    Z_SITE,
    Label,
    cjk_font,
    draw_lines,
    draw_points,
    draw_polygons,
    draw_rings,
    draw_title,
    drawable_text,
    finish_frame,
    map_language,
    new_figure,
    percent,
    place_labels,
    save,
    sized_font,
    xy,
)

MAX_LABELS = 30  # every open site is named when there are at most this many; else hubs only
REACH_MARGIN_M = 1500.0  # metres around the units a site reaches (non-circular reach areas)

# Endings of institution names left out of district names ("黄田镇卫生院" -> "黄田镇片区").
INSTITUTION_ENDINGS = ("社区卫生服务中心", "中心卫生院", "卫生院", "人民医院", "医院")

# (level, status) -> marker, colour, size (points^2), legend label
SITE_STYLES = {
    ("hub", "existing"): ("s", "#d62728", 150, N_("hub (existing site)")),
    ("hub", "new"): ("s", "#ff9896", 150, N_("hub (new site)")),
    ("clinic", "existing"): ("^", "#1f77b4", 70, N_("clinic (existing site)")),
    ("clinic", "new"): ("^", "#aec7e8", 70, N_("clinic (new site)")),
}
DISTRICT_TEXT = "#333333"
# level -> size (points), weight and colour of the site names
LABEL_STYLES = {"hub": (9.5, "bold", "#7f0000"), "clinic": (8.0, "normal", "#0b3d6e")}


def plot_county(
    plan: CountyPlan,
    path: str | Path,
    *,
    boundary: gpd.GeoDataFrame | None = None,
    title: str | None = None,
    reach: gpd.GeoDataFrame | None = None,
    hub_radius: float | None = None,
) -> Path:
    """Draw the plan and save it as a PNG.

    District polygons are shaded one colour each and named after their hubs; hubs are
    squares and clinics triangles (pale when new), named; closed candidates are faint
    rings; demand points are sized by population, and units beyond a level's radius of
    every possible site are red crosses. Roaming day-routes are lines under the sites, one
    colour per vehicle, with green rings at the villages they serve. The title is followed
    by the plan's figures: hubs, clinics and the share of the population within each radius.

    Args:
        plan: the plan, with district polygons, in a metric CRS.
        path: PNG file to write.
        boundary: county outline drawn on top of the districts, any CRS.
        title: map title (e.g. the county and the plan); defaults to "county health plan".
        reach: reach polygons of the open sites (see ``reach_areas``); their union is
            outlined per level.
        hub_radius: units beyond this many minutes of every open hub are ringed in orange.

    Returns:
        ``path``.
    """
    figure = county_figure(plan, boundary=boundary, title=title, reach=reach, hub_radius=hub_radius)
    return save(figure, Path(path))


def county_figure(
    plan: CountyPlan,
    *,
    boundary: gpd.GeoDataFrame | None = None,
    title: str | None = None,
    reach: gpd.GeoDataFrame | None = None,
    hub_radius: float | None = None,
) -> Figure:
    """The figure ``plot_county`` saves (labels: texts with gid "hub", "clinic" or
    "district")."""
    font = cjk_font()
    with map_language(font):
        sites = plan.sites
        fig, ax = new_figure()
        _draw_districts(ax, plan.districts)
        _draw_boundary(ax, boundary, sites.crs)
        _draw_reach(ax, reach, sites.crs)
        _draw_routes(ax, plan)
        _draw_demand(ax, plan.assignments, hub_radius)
        _draw_sites(ax, sites)
        ax.margins(0.04)
        ax.autoscale_view()
        ax.set_aspect("equal")
        default = _("county health plan")
        draw_title(ax, drawable_text(title or default, font, default), figures(plan), font)
        finish_frame(ax, sites.crs, font)
        _label(ax, plan, font)
    return fig


def figures(plan: CountyPlan) -> list[str]:
    """The plan's key figures for the title: counts of hubs and clinics (and new sites),
    then the share of the population within each radius and the roaming villages."""
    s = plan.summary
    open_sites = plan.sites[plan.sites["level"] != ""]
    new = int((open_sites["status"] == "new").sum())
    counts = [
        _("hubs: {hubs}").format(hubs=s.hubs),
        _("clinics: {clinics}").format(clinics=s.clinics),
        _("districts: {districts}").format(districts=len(plan.districts)),
    ]
    if new:
        counts.append(_("new sites: {sites}").format(sites=new))
    reach = [
        _("within {minutes} min of a hub: {share}").format(
            minutes=f"{s.hub_radius:g}", share=percent(s.hub_share)
        ),
        _("within {minutes} min of a clinic: {share}").format(
            minutes=f"{s.clinic_radius:g}", share=percent(s.clinic_share)
        ),
    ]
    if s.roaming is not None and s.roaming.roaming_villages:
        reach.append(
            _("villages on roaming routes: {villages}").format(villages=s.roaming.roaming_villages)
        )
    return ["  ·  ".join(counts), "  ·  ".join(reach)]


def district_name(hub_name: str) -> str:
    """The name of the district of a hub: "{place} district", the place being the hub's
    name without an institution ending such as 卫生院 ("黄田镇卫生院" -> "黄田镇片区")."""
    place = hub_name
    for ending in INSTITUTION_ENDINGS:
        if place.endswith(ending) and len(place) > len(ending):
            place = place[: -len(ending)]
            break
    return _("{name} district").format(name=place)


def _draw_districts(ax: Axes, districts: pd.DataFrame) -> None:
    """District polygons, one pastel colour each (nothing when the table has no geometry)."""
    if isinstance(districts, gpd.GeoDataFrame) and len(districts):
        palette = colormaps["Pastel1"].colors + colormaps["Pastel2"].colors
        colours = [palette[k % len(palette)] for k in range(len(districts))]
        draw_polygons(
            ax,
            districts.geometry.to_numpy(),
            facecolors=colours,
            edgecolors="#666666",
            linewidths=0.8,
            zorder=Z_AREA,
        )


def _draw_boundary(ax: Axes, boundary: gpd.GeoDataFrame | None, crs: CRS | None) -> None:
    """The county outline, moved to the plan's ``crs`` (nothing without one)."""
    if boundary is not None and len(boundary) and crs is not None:
        draw_lines(
            ax,
            boundary.to_crs(crs).geometry.to_numpy(),
            colors="black",
            linewidths=1.4,
            zorder=Z_OUTLINE,
        )


def _draw_reach(ax: Axes, reach: gpd.GeoDataFrame | None, crs: CRS | None) -> None:
    """The outline of the union of the reach areas per (level, minutes): hubs dashed red,
    clinics dotted blue."""
    if reach is None or not len(reach):
        return
    for (level, minutes), group in reach.to_crs(crs).groupby(["level", "minutes"]):
        hub = level == "hub"
        label = (
            _("hub {minutes}-minute reach") if hub else _("clinic {minutes}-minute reach")
        ).format(minutes=f"{minutes:g}")
        draw_lines(
            ax,
            [shapely.union_all(group.geometry.to_numpy())],
            colors="#d62728" if hub else "#1f77b4",
            linewidths=0.9,
            linestyles="--" if hub else ":",
            zorder=Z_REACH,
            label=label,
        )


def _draw_demand(ax: Axes, demand: gpd.GeoDataFrame, hub_radius: float | None) -> None:
    """Demand points sized by population, rings at the units beyond ``hub_radius`` (minutes)
    of every open hub, and crosses at the units beyond a radius of every possible site."""
    if not len(demand):
        return
    population = demand["population"].astype(float).clip(lower=0)
    sizes = 3 + 40 * (population / (float(population.max()) or 1.0)) ** 0.5
    draw_points(
        ax,
        demand,
        s=sizes.to_numpy(),
        c="#555555",
        alpha=0.6,
        linewidths=0,
        zorder=Z_DEMAND,
        label=_("village or community (size = population)"),
    )
    if hub_radius is not None and "nearest_hub_minutes" in demand:
        minutes = demand["nearest_hub_minutes"].astype(float).fillna(np.inf)
        beyond = demand[(minutes > hub_radius).to_numpy()]
        label = _("beyond {minutes} min of every hub").format(minutes=f"{hub_radius:g}")
        draw_rings(ax, beyond, "#ff7f0e", 32, Z_RING, label, width=0.9)
    far = demand["unreachable"].astype(str) != "" if "unreachable" in demand else None
    if far is not None and far.any():
        draw_points(
            ax,
            demand[far.to_numpy()],
            marker="x",
            c="#d62728",
            s=40,
            zorder=Z_RING,
            label=_("beyond the radius of every possible site"),
        )


def _draw_sites(ax: Axes, sites: gpd.GeoDataFrame) -> None:
    """Closed candidates as faint rings, then hubs and clinics in their ``SITE_STYLES``."""
    closed = sites[(sites["level"] == "").to_numpy()]
    draw_rings(ax, closed, "#aaaaaa", 25, Z_CLOSED, _("candidate site not opened"))
    for (level, status), (marker, colour, size, label) in SITE_STYLES.items():
        group = sites[((sites["level"] == level) & (sites["status"] == status)).to_numpy()]
        draw_points(
            ax,
            group,
            marker=marker,
            c=colour,
            edgecolors="black",
            linewidths=0.8,
            s=size,
            zorder=Z_SITE,
            label=_(label),
        )


def _label(ax: Axes, plan: CountyPlan, font: FontProperties | None) -> None:
    """Names of the districts (at a point inside each), of the hubs and of the clinics
    (clinics only when at most ``MAX_LABELS`` sites are open), spread so none overlap; in a
    phased plan a site opened or made a hub in the period carries that year. Without a CJK
    font a site is labelled by its id and a district by its hub's id."""
    sites = plan.sites
    level = sites["level"].to_numpy()
    labels = []
    districts = plan.districts
    if isinstance(districts, gpd.GeoDataFrame) and len(districts):
        points = shapely.point_on_surface(districts.geometry.to_numpy())
        for (hub_id, name), point in zip(
            districts[["hub_id", "name"]].to_numpy(), points, strict=True
        ):
            text = drawable_text(district_name(str(name)), font, str(hub_id))
            font_ = sized_font(font, 10.5)
            labels.append(Label(text, point.x, point.y, font_, DISTRICT_TEXT, kind="district"))
    shown = ["hub"] if int((level != "").sum()) > MAX_LABELS else ["hub", "clinic"]
    for kind in shown:
        size, weight, colour = LABEL_STYLES[kind]
        group = sites[level == kind]
        x, y = xy(group)
        years = _years(group, "hub_year" if kind == "hub" else "open_year")
        for (site_id, name), year, xi, yi in zip(
            group[["site_id", "name"]].to_numpy(), years, x, y, strict=True
        ):
            text = drawable_text(str(name), font, str(site_id))
            if year:
                text = _("{name} ({year})").format(name=text, year=year)
            clearance = np.sqrt(SITE_STYLES[kind, "existing"][2]) / 2
            font_ = sized_font(font, size, weight)
            labels.append(
                Label(text, xi, yi, font_, colour, clearance=clearance, leader=True, kind=kind)
            )
    place_labels(ax, labels)


def _years(sites: pd.DataFrame, column: str) -> list[str]:
    """Per site, the year of ``column`` ("" when the plan is not phased or the site has
    none)."""
    if column not in sites.columns:
        return [""] * len(sites)
    return ["" if pd.isna(year) else str(int(year)) for year in sites[column]]


def reach_areas(
    plan: CountyPlan,
    spec: CountySpec,
    travel: TravelTimes,
    *,
    km_per_minute: float | None = None,
) -> gpd.GeoDataFrame:
    """The area each open site reaches within its level's radius (hubs: hub radius; other
    clinics: clinic radius), in the plan's CRS.

    With ``km_per_minute`` (straight-line travel: speed / 60 / circuity) the area is a circle;
    otherwise it is the union of discs of ``REACH_MARGIN_M`` around the site and the demand
    units it reaches (travel along roads reaches no convex area).
    """
    sites = plan.sites.reset_index(drop=True)
    units = plan.assignments.geometry.to_numpy()
    minutes = travel.minutes.tocsc()
    rows = []
    for j, site in sites.iterrows():
        level = str(site["level"])
        if not level:
            continue
        radius = spec.hub.radius if level == "hub" else spec.clinic.radius
        if km_per_minute is not None:
            area = site.geometry.buffer(radius * km_per_minute * 1000.0)
        else:
            start, end = minutes.indptr[j], minutes.indptr[j + 1]
            near = minutes.indices[start:end][minutes.data[start:end] <= radius]
            points = [site.geometry, *units[near]]
            area = shapely.union_all(shapely.buffer(np.asarray(points), REACH_MARGIN_M))
        rows.append(
            {"site_id": site["site_id"], "level": level, "minutes": radius, "geometry": area}
        )
    return gpd.GeoDataFrame(
        rows, columns=["site_id", "level", "minutes", "geometry"], crs=plan.sites.crs
    )


def _draw_routes(ax: Axes, plan: CountyPlan) -> None:
    """Roaming day-routes (one colour per vehicle), under the sites and villages, and rings
    at the villages served by roaming."""
    routes = plan.routes
    if routes is None or not len(routes):
        return
    routes = routes.to_crs(plan.sites.crs)
    palette = colormaps["tab10"].colors
    for vehicle, group in routes.groupby("vehicle"):
        draw_lines(
            ax,
            group.geometry.to_numpy(),
            colors=[palette[(int(vehicle) - 1) % len(palette)]],
            linewidths=1.3,
            alpha=0.75,
            zorder=Z_ROUTE,
            label=_("roaming route, vehicle {vehicle}").format(vehicle=vehicle),
        )
    roamed = plan.assignments[plan.assignments["roaming"].astype(bool).to_numpy()]
    draw_rings(ax, roamed, "#2ca02c", 45, Z_RING, _("village served by roaming"))
