"""A static map of a county plan (PNG): districts shaded, hubs and clinics, demand points."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from pyproj import CRS

from geodata.travel import TravelTimes
from optimizer.county_spec import CountyPlan, CountySpec
from optimizer.outputs.maps import (
    cjk_font,
    drawable_text,
    label_sites,
    north_arrow,
    rings,
    scale_bar,
    sized_font,
)

MAX_LABELS = 30  # every open site is named when there are at most this many; else hubs only
REACH_MARGIN_M = 1500.0  # metres around the units a site reaches (non-circular reach areas)

# (level, status) -> marker, colour, size (points^2), legend label
SITE_STYLES = {
    ("hub", "existing"): ("s", "#d62728", 150, "hub, existing"),
    ("hub", "new"): ("s", "#ff9896", 150, "hub, new"),
    ("clinic", "existing"): ("^", "#1f77b4", 70, "clinic, existing"),
    ("clinic", "new"): ("^", "#aec7e8", 70, "clinic, new"),
}


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

    District polygons are shaded one colour each; hubs are squares and clinics triangles (pale
    when new); closed candidates are faint rings; demand points are sized by population, and
    units beyond a level's radius of every possible site are red crosses. Roaming day-routes
    are lines, one colour per vehicle, over green rings at the villages they serve.

    Args:
        plan: the plan, with district polygons, in a metric CRS.
        path: PNG file to write.
        boundary: county outline drawn on top of the districts, any CRS.
        title: map title; defaults to the numbers of hubs and clinics.
        reach: reach polygons of the open sites (see ``reach_areas``); their union is
            outlined per level.
        hub_radius: units beyond this many minutes of every open hub are ringed in orange.

    Returns:
        ``path``.
    """
    path = Path(path)
    font = cjk_font()
    sites = plan.sites
    fig = Figure(figsize=(10, 10), dpi=120)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    _draw_districts(ax, plan.districts)
    _draw_boundary(ax, boundary, sites.crs)
    _draw_reach(ax, reach, sites.crs)
    _draw_demand(ax, plan.assignments, hub_radius)
    _draw_routes(ax, plan)
    _draw_sites(ax, sites)
    _label_sites(ax, sites, font)
    _frame(ax, sites, title, font)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Glyph .* missing from")
        fig.savefig(path, bbox_inches="tight")
    return path


def _draw_districts(ax: Axes, districts: pd.DataFrame) -> None:
    """District polygons, one pastel colour each (nothing when the table has no geometry)."""
    if isinstance(districts, gpd.GeoDataFrame) and len(districts):
        palette = colormaps["Pastel1"].colors + colormaps["Pastel2"].colors
        colours = [palette[k % len(palette)] for k in range(len(districts))]
        districts.plot(ax=ax, color=colours, edgecolor="#666666", linewidth=0.8, zorder=0)


def _draw_boundary(ax: Axes, boundary: gpd.GeoDataFrame | None, crs: CRS | None) -> None:
    """The county outline, moved to the plan's ``crs`` (nothing without one)."""
    if boundary is not None and len(boundary) and crs is not None:
        boundary.to_crs(crs).boundary.plot(ax=ax, color="black", linewidth=1.2, zorder=1)


def _draw_reach(ax: Axes, reach: gpd.GeoDataFrame | None, crs: CRS | None) -> None:
    """The outline of the union of the reach areas per (level, minutes): hubs dashed red,
    clinics dotted blue."""
    if reach is None or not len(reach):
        return
    for (level, minutes), group in reach.to_crs(crs).groupby(["level", "minutes"]):
        colour = "#d62728" if level == "hub" else "#1f77b4"
        outline = gpd.GeoSeries([shapely.union_all(group.geometry.to_numpy())], crs=crs)
        outline.boundary.plot(
            ax=ax,
            color=colour,
            linewidth=0.8,
            linestyle="--" if level == "hub" else ":",
            zorder=1,
            label=f"{level} reach, {minutes:g} min",
        )


def _draw_demand(ax: Axes, demand: gpd.GeoDataFrame, hub_radius: float | None) -> None:
    """Demand points sized by population, rings at the units beyond ``hub_radius`` (minutes)
    of every open hub, and crosses at the units beyond a radius of every possible site."""
    if not len(demand):
        return
    population = demand["population"].astype(float).clip(lower=0)
    sizes = 3 + 40 * (population / (float(population.max()) or 1.0)) ** 0.5
    demand.plot(
        ax=ax,
        markersize=sizes.to_numpy(),
        color="#555555",
        alpha=0.6,
        zorder=2,
        label="village (size = population)",
    )
    if hub_radius is not None and "nearest_hub_minutes" in demand:
        _draw_beyond_hubs(ax, demand, hub_radius)
    _draw_unreachable(ax, demand)


def _draw_beyond_hubs(ax: Axes, demand: gpd.GeoDataFrame, hub_radius: float) -> None:
    """Orange rings at the units beyond ``hub_radius`` (minutes) of every open hub."""
    minutes = demand["nearest_hub_minutes"].astype(float).fillna(np.inf)
    beyond = demand[minutes > hub_radius]
    rings(ax, beyond, "#ff7f0e", 45, 3, f"beyond {hub_radius:g} min of every open hub", width=1.2)


def _draw_unreachable(ax: Axes, demand: gpd.GeoDataFrame) -> None:
    """Red crosses at the units the ``unreachable`` column marks (beyond a level's radius of
    every possible site)."""
    far = demand["unreachable"].astype(str) != "" if "unreachable" in demand else None
    if far is not None and far.any():
        demand[far].plot(
            ax=ax,
            marker="x",
            color="#d62728",
            markersize=40,
            zorder=3,
            label="beyond a radius of every possible site",
        )


def _draw_sites(ax: Axes, sites: gpd.GeoDataFrame) -> None:
    """Closed candidates as faint rings, then hubs and clinics in their ``SITE_STYLES``."""
    closed = sites[sites["level"] == ""]
    rings(ax, closed, "#aaaaaa", 25, 4, "not opened")
    for (level, status), (marker, colour, size, label) in SITE_STYLES.items():
        group = sites[(sites["level"] == level) & (sites["status"] == status)]
        if len(group):
            group.plot(
                ax=ax,
                marker=marker,
                color=colour,
                edgecolor="black",
                markersize=size,
                zorder=5,
                label=label,
            )


def _label_sites(ax: Axes, sites: gpd.GeoDataFrame, font: FontProperties | None) -> None:
    """Names of the open sites, or of the hubs only when more than ``MAX_LABELS`` are open."""
    open_sites = sites[sites["level"] != ""]
    labelled = open_sites if len(open_sites) <= MAX_LABELS else sites[sites["level"] == "hub"]
    label_sites(ax, labelled, font, zorder=6)


def _frame(
    ax: Axes, sites: gpd.GeoDataFrame, title: str | None, font: FontProperties | None
) -> None:
    """Equal aspect without ticks, the title (default: hub and clinic counts), the legend
    beside the map, a scale bar (projected CRS only) and the north arrow."""
    ax.set_aspect("equal")
    ax.margins(0.05)
    ax.set_xticks([])
    ax.set_yticks([])
    n_hubs = int((sites["level"] == "hub").sum())
    n_clinics = int((sites["level"] == "clinic").sum())
    default_title = f"county plan: {n_hubs} hubs, {n_clinics} clinics"
    ax.set_title(
        drawable_text(title or default_title, font, default_title),
        fontproperties=sized_font(font, 14),
    )
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), prop=sized_font(font, 9), frameon=False)
    if sites.crs is not None and sites.crs.is_projected:
        scale_bar(ax, sites.crs.axis_info[0].unit_conversion_factor)
    north_arrow(ax)


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
    """Roaming day-routes (one colour per vehicle) and the villages served by roaming."""
    routes = plan.routes
    if routes is None or not len(routes):
        return
    routes = routes.to_crs(plan.sites.crs)
    palette = colormaps["tab10"].colors
    for vehicle, group in routes.groupby("vehicle"):
        group.plot(
            ax=ax,
            color=palette[(int(vehicle) - 1) % len(palette)],
            linewidth=1.0,
            alpha=0.7,
            zorder=3,
            label=f"roaming vehicle {vehicle}",
        )
    roamed = plan.assignments[plan.assignments["roaming"]]
    rings(ax, roamed, "#2ca02c", 45, 3, "served by roaming")
