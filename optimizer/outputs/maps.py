"""A static overview map of a plan (PNG, drawn with matplotlib's Agg canvas), and the pieces
the county map shares with it: the font, layers drawn as matplotlib collections, labels
spread apart with adjustText, the title with the plan's figures, scale bar and north arrow.

The figure is drawn on its own Agg canvas, so the caller's pyplot backend is left alone.
Layers are drawn as collections rather than with ``GeoDataFrame.plot``, which redraws the
whole figure after each layer. Every text a planner reads is in the language in use
(``geodata.i18n``); where no font with Chinese glyphs is installed the map is drawn in
English and sites are labelled by id.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from itertools import cycle
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from adjustText import adjust_text
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.path import Path as MplPath
from matplotlib.text import Text
from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar
from pyproj import CRS

from geodata.errors import HealthplanWarning
from geodata.i18n import N_, use_language
from geodata.i18n import gettext as _
from optimizer.results import SitePlan

# Fonts with Chinese glyphs, most preferred first; matched against installed font names.
CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans CJK",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "Heiti SC",
)

# File names of CJK fonts looked for on the system when matplotlib's font cache predates them.
CJK_FILES = ("notosanscjk", "notoserifcjk", "sourcehansans", "wqy-zenhei", "wqy-microhei")

SITE_MARKERS = ("s", "^", "D", "p", "h", "v", "P", "o")
SITE_COLOURS = ("#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf", "#e377c2")

# Site kinds as the plans name them; other kinds are shown as they are written.
KIND_NAMES = {
    "county_hospital": N_("county hospital"),
    "township_centre": N_("township health centre"),
    "community_centre": N_("community health centre"),
    "candidate": N_("candidate site"),
}

# Drawing order, bottom to top.
Z_AREA, Z_OUTLINE, Z_REACH, Z_LINK, Z_ROUTE = 0, 1, 1.5, 2, 2.5
Z_DEMAND, Z_RING, Z_CLOSED, Z_SITE, Z_MARK, Z_LEADER, Z_LABEL = 3, 3.5, 4, 5, 6, 6.5, 7

LABEL_BOX = {
    "boxstyle": "square,pad=0.08",
    "facecolor": "white",
    "edgecolor": "none",
    "alpha": 0.75,
}
SITE_CLEARANCE = 7.0  # points: the radius of an open site's marker (size 110 points^2)
LABEL_ITERATIONS = 100  # adjustText rounds (a fixed count keeps the PNG byte-identical)
LEADER_POINTS = 8.0  # a label farther than this (points) beyond its marker gets a line to it


@lru_cache(maxsize=1)
def _installed_cjk_font() -> FontProperties | None:
    """The first installed font of ``CJK_FONTS``; fonts installed after matplotlib built its
    font cache are found by file name and added."""
    for attempt in range(2):
        installed = {font.name: font.fname for font in font_manager.fontManager.ttflist}
        for wanted in CJK_FONTS:
            for name, fname in sorted(installed.items()):
                if name.startswith(wanted):
                    return FontProperties(fname=fname)
        if attempt == 0:
            for fname in sorted(font_manager.findSystemFonts()):
                if any(key in Path(fname).name.lower() for key in CJK_FILES):
                    font_manager.fontManager.addfont(fname)
    return None


def cjk_font() -> FontProperties | None:
    """A font that renders Chinese, or None (with a HealthplanWarning) when none is
    installed."""
    font = _installed_cjk_font()
    if font is None:
        warnings.warn(
            _(
                "no font with Chinese glyphs is installed (install fonts-noto-cjk); maps are "
                "drawn in English and sites are labelled by id"
            ),
            HealthplanWarning,
            stacklevel=2,
        )
    return font


@contextmanager
def map_language(font: FontProperties | None) -> Iterator[None]:
    """The language in use, or English inside the block when ``font`` is None (no CJK font)."""
    with use_language(None if font is not None else "en"):
        yield


def drawable_text(text: str, font: FontProperties | None, fallback: str) -> str:
    """``text``, or ``fallback`` when ``text`` needs a CJK font that is not installed."""
    return text if font is not None or text.isascii() else fallback


def sized_font(font: FontProperties | None, size: float, weight: str = "normal") -> FontProperties:
    """A copy of ``font`` at ``size`` points (the default font when ``font`` is None)."""
    sized = FontProperties() if font is None else font.copy()
    sized.set_size(size)
    sized.set_weight(weight)
    return sized


def kind_name(kind: str) -> str:
    """A site kind in the language in use (unknown kinds as written)."""
    return _(KIND_NAMES[kind]) if kind in KIND_NAMES else kind


def percent(share: float) -> str:
    """A share (0..1) as a percentage with one decimal ("95.3%"; "-" for NaN)."""
    return "-" if share != share else f"{100 * share:.1f}%"


def new_figure() -> tuple[Figure, Axes]:
    """A 10 x 10 inch figure on its own Agg canvas, and its axes."""
    fig = Figure(figsize=(10, 10), dpi=120)
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def save(fig: Figure, path: Path) -> Path:
    """Write ``fig`` as a PNG, cropped to what is drawn."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Glyph .* missing from")
        fig.savefig(path, bbox_inches="tight", metadata={"Software": None})
    return path


def xy(points: gpd.GeoSeries | gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The x and y coordinates of point geometries."""
    geometry = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
    return shapely.get_x(geometry.to_numpy()), shapely.get_y(geometry.to_numpy())


def draw_points(ax: Axes, points: gpd.GeoDataFrame, **style) -> None:
    """A scatter of point geometries (nothing when empty); ``style`` as for ``ax.scatter``."""
    if len(points):
        x, y = xy(points)
        ax.scatter(x, y, **style)


def draw_rings(
    ax: Axes,
    points: gpd.GeoDataFrame,
    colour: str,
    size: float,
    zorder: float,
    label: str,
    width: float = 1.0,
) -> None:
    """Hollow circles around ``points`` (nothing when empty), with a legend ``label``."""
    draw_points(
        ax,
        points,
        marker="o",
        facecolors="none",
        edgecolors=colour,
        linewidths=width,
        s=size,
        zorder=zorder,
        label=label,
    )


def line_parts(geometries: Sequence) -> list[np.ndarray]:
    """The coordinate arrays of every line part of ``geometries`` (polygons: their rings)."""
    geometries = np.asarray(geometries, dtype=object)
    polygonal = shapely.get_type_id(geometries) >= 3
    geometries = np.where(polygonal, shapely.boundary(geometries), geometries)
    parts = shapely.get_parts(geometries[~shapely.is_missing(geometries)])
    parts = parts[shapely.get_type_id(parts) == 1]  # LineStrings (rings come as lines)
    return [shapely.get_coordinates(part) for part in parts]


def draw_lines(ax: Axes, geometries: Sequence, **style) -> None:
    """Lines (and polygon outlines) as one LineCollection; ``style`` as for LineCollection."""
    parts = line_parts(geometries)
    if parts:
        ax.add_collection(LineCollection(parts, **style), autolim=True)


def polygon_path(geometry) -> MplPath:
    """One compound path of a (multi)polygon: outer rings counter-clockwise, holes clockwise."""
    codes, vertices = [], []
    for polygon in shapely.get_parts(shapely.orient_polygons(geometry)):
        for ring in (polygon.exterior, *polygon.interiors):
            coords = np.asarray(ring.coords)[:, :2]
            vertices.append(coords)
            ring_codes = np.full(len(coords), MplPath.LINETO, dtype=MplPath.code_type)
            ring_codes[0], ring_codes[-1] = MplPath.MOVETO, MplPath.CLOSEPOLY
            codes.append(ring_codes)
    if not vertices:
        return MplPath(np.empty((0, 2)))
    return MplPath(np.concatenate(vertices), np.concatenate(codes))


def draw_polygons(ax: Axes, geometries: Sequence, **style) -> None:
    """Polygons as one PathCollection; ``style`` as for PathCollection (facecolors, ...)."""
    paths = [polygon_path(g) for g in geometries if g is not None and not g.is_empty]
    if paths:
        ax.add_collection(PathCollection(paths, **style), autolim=True)
        ax.autoscale_view()


@dataclass(frozen=True)
class Label:
    """A text at a point: ``clearance`` (points) is kept free around the point (the radius
    of its marker), and ``leader`` draws a thin line to the point when the text moved away."""

    text: str
    x: float
    y: float
    font: FontProperties
    colour: str
    clearance: float = 0.0
    leader: bool = False
    kind: str = "site"  # the text's gid: "hub", "clinic", "district" or "site"


def place_labels(ax: Axes, labels: Sequence[Label]) -> list[Text]:
    """Draw ``labels`` spread apart with adjustText so that they overlap neither each other
    nor the markers of their points. Call after everything else is drawn and the axes limits
    are set. Each text starts just above its marker."""
    if not labels:
        return []
    ax.apply_aspect()
    to_display = ax.transData
    to_data = to_display.inverted()
    pixels = ax.figure.dpi / 72.0
    anchors = to_display.transform([(label.x, label.y) for label in labels])
    starts = []
    for label, (px, py) in zip(labels, anchors, strict=True):
        lift = (label.clearance + 0.7 * label.font.get_size()) * pixels if label.clearance else 0
        starts.append(to_data.transform((px, py + lift)))
    texts = [
        ax.text(
            x,
            y,
            label.text,
            fontproperties=label.font,
            color=label.colour,
            ha="center",
            va="center",
            zorder=Z_LABEL,
            bbox=LABEL_BOX,
            gid=label.kind,
        )
        for label, (x, y) in zip(labels, starts, strict=True)
    ]
    # the points around each marker that no text may cover
    ring = np.array([(0, 0), (1, 0), (-1, 0), (0, 1), (0, -1)], dtype=float)
    keep_clear = np.concatenate(
        [
            to_data.transform((px, py) + ring * label.clearance * pixels)
            for label, (px, py) in zip(labels, anchors, strict=True)
            if label.clearance
        ]
        or [np.empty((0, 2))]
    )
    adjust_text(
        texts,
        x=keep_clear[:, 0],
        y=keep_clear[:, 1],
        target_x=[label.x for label in labels],
        target_y=[label.y for label in labels],
        ax=ax,
        avoid_self=False,
        prevent_crossings=False,
        iter_lim=LABEL_ITERATIONS,
        expand=(1.1, 1.25),
        force_text=(0.3, 0.5),
        force_static=(0.3, 0.5),
        ensure_inside_axes=True,
    )
    _draw_leaders(ax, texts, labels)
    return texts


def _draw_leaders(ax: Axes, texts: Sequence[Text], labels: Sequence[Label]) -> None:
    """A thin line from the nearest edge of each text whose label asks for a leader to its
    point, when they lie more than ``LEADER_POINTS`` beyond the marker apart."""
    renderer = ax.figure.canvas.get_renderer()
    to_data = ax.transData.inverted()
    pixels = ax.figure.dpi / 72.0
    for text, label in zip(texts, labels, strict=True):
        if not label.leader:
            continue
        box = text.get_window_extent(renderer).padded(2)
        px, py = ax.transData.transform((label.x, label.y))
        ex, ey = np.clip(px, box.x0, box.x1), np.clip(py, box.y0, box.y1)
        if np.hypot(px - ex, py - ey) <= (label.clearance + LEADER_POINTS) * pixels:
            continue
        start = to_data.transform((ex, ey))
        ax.add_line(
            Line2D(
                [start[0], label.x],
                [start[1], label.y],
                color=label.colour,
                linewidth=0.6,
                zorder=Z_LEADER,
                solid_capstyle="butt",
            )
        )


def draw_title(ax: Axes, title: str, figures: Sequence[str], font: FontProperties | None) -> None:
    """The map title, and under it the plan's key figures (one line per item)."""
    ax.set_title("\n".join(figures), fontproperties=sized_font(font, 10), pad=8)
    ax.annotate(
        title,
        xy=(0.5, 1.0),
        xycoords="axes fraction",
        xytext=(0, 12 + 14 * len(figures)),
        textcoords="offset points",
        ha="center",
        va="bottom",
        fontproperties=sized_font(font, 15, "bold"),
    )


def finish_frame(ax: Axes, crs: CRS | None, font: FontProperties | None) -> None:
    """Equal aspect without ticks, the legend beside the map, a scale bar (projected CRS
    only), the north arrow and the coordinate system under the map."""
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.legend(
        loc="upper left",
        bbox_to_anchor=(1.01, 1),
        prop=sized_font(font, 9),
        frameon=False,
        title=_("Legend"),
        title_fontproperties=sized_font(font, 10, "bold"),
        alignment="left",
    )
    if crs is not None:
        ax.set_xlabel(
            _("coordinate system: {crs}").format(crs=crs.name),
            fontproperties=sized_font(font, 7),
            color="#555555",
            loc="right",
        )
        if crs.is_projected:
            scale_bar(ax, crs.axis_info[0].unit_conversion_factor, font)
    north_arrow(ax, font)


def scale_bar(ax: Axes, metres_per_unit: float, font: FontProperties | None = None) -> None:
    """A bar of a round length (1, 2 or 5 x 10^k km, about a fifth of the width), lower left."""
    x0, x1 = ax.get_xlim()
    target_km = (x1 - x0) * metres_per_unit / 1000 / 5
    if target_km <= 0:
        return
    power = 10 ** math.floor(math.log10(target_km))
    length_km = max((s * power for s in (1, 2, 5) if s * power <= target_km), default=power)
    bar = AnchoredSizeBar(
        ax.transData,
        length_km * 1000 / metres_per_unit,
        _("{length} km").format(length=f"{length_km:g}"),
        "lower left",
        pad=0.5,
        size_vertical=(x1 - x0) / 250,
        frameon=True,
        fontproperties=sized_font(font, 9),
    )
    bar.patch.set_alpha(0.8)
    ax.add_artist(bar)


def north_arrow(ax: Axes, font: FontProperties | None = None) -> None:
    """An arrow pointing up with an N, right of the lower-right corner, outside the map where
    no label can cover it."""
    ax.annotate(
        _("N"),
        xy=(1.05, 0.12),
        xytext=(1.05, 0.03),
        xycoords="axes fraction",
        ha="center",
        va="center",
        fontproperties=sized_font(font, 12, "bold"),
        arrowprops={"facecolor": "black", "width": 4, "headwidth": 10},
    )


def plot_plan(plan: SitePlan, path: str | Path, *, title: str | None = None) -> Path:
    """Draw the plan and save it as a PNG.

    Demand points are sized by population; assignment lines are thin grey; open sites get a
    marker per kind (required sites ringed) and their names; closed candidates are faint;
    unassigned demand is red. The title is followed by the plan's figures; a scale bar (in
    km) is drawn when the plan's CRS is metric.

    Args:
        plan: the plan to draw, in its own (preferably metric) CRS.
        path: PNG file to write.
        title: map title; defaults to the problem and the number of open sites.

    Returns:
        ``path``.
    """
    return save(plan_figure(plan, title=title), Path(path))


def plan_figure(plan: SitePlan, *, title: str | None = None) -> Figure:
    """The figure ``plot_plan`` saves (labels: texts with gid "site")."""
    font = cjk_font()
    with map_language(font):
        fig, ax = new_figure()
        sites = plan.sites
        open_sites = sites[sites["open"].astype(bool)]
        if len(plan.assignment_lines):
            draw_lines(
                ax, plan.assignment_lines.geometry, colors="#999999", linewidths=0.4, zorder=Z_LINK
            )
        _plot_demand(ax, plan)
        closed = sites[~sites["open"].astype(bool)]
        draw_rings(ax, closed, "#bbbbbb", 30, Z_CLOSED, _("candidate site not opened"))
        _plot_open_sites(ax, open_sites, font)
        ax.margins(0.08)
        ax.autoscale_view()
        ax.set_aspect("equal")
        default = _("{problem}: {sites} sites open").format(
            problem=plan.result.problem, sites=len(open_sites)
        )
        draw_title(ax, drawable_text(title or default, font, default), _figures(plan), font)
        finish_frame(ax, sites.crs, font)
        x, y = xy(open_sites)
        labels = [
            Label(
                drawable_text(str(name), font, str(site_id)),
                xi,
                yi,
                sized_font(font, 9),
                "#111111",
                clearance=SITE_CLEARANCE,
                leader=True,
            )
            for (name, site_id), xi, yi in zip(
                open_sites[["name", "site_id"]].to_numpy(), x, y, strict=True
            )
        ]
        place_labels(ax, labels)
    return fig


def _figures(plan: SitePlan) -> list[str]:
    """The site plan's key figures for the title."""
    s = plan.summary
    parts = [
        _("open sites: {sites}").format(sites=s.sites_open),
        _("population assigned: {share}").format(share=percent(s.population_assigned_share)),
    ]
    if s.mean_minutes_per_person == s.mean_minutes_per_person:
        parts.append(
            _("mean trip: {minutes} min").format(minutes=f"{s.mean_minutes_per_person:.1f}")
        )
    return ["  ·  ".join(parts)]


def _plot_demand(ax: Axes, plan: SitePlan) -> None:
    """Demand points sized by population; unassigned ones in red."""
    demand = plan.assignments
    if not len(demand):
        return
    population = demand["population"].astype(float).clip(lower=0)
    largest = float(population.max()) or 1.0
    sizes = (4 + 60 * (population / largest) ** 0.5).to_numpy()
    assigned = (demand["site_id"].fillna("").astype(str) != "").to_numpy()
    draw_points(
        ax,
        demand[assigned],
        s=sizes[assigned],
        c="#555555",
        alpha=0.6,
        linewidths=0,
        zorder=Z_DEMAND,
        label=_("demand unit (size = population)"),
    )
    draw_points(
        ax,
        demand[~assigned],
        s=sizes[~assigned] + 10,
        c="#d62728",
        marker="x",
        zorder=Z_RING,
        label=_("demand unit not assigned"),
    )


def _plot_open_sites(ax: Axes, open_sites: gpd.GeoDataFrame, font: FontProperties | None) -> None:
    """Open sites: one marker and colour per kind, and a ring for required sites."""
    if not len(open_sites):
        return
    kinds = open_sites["kind"].fillna("site").astype(str)
    styles = zip(cycle(SITE_MARKERS), cycle(SITE_COLOURS), strict=False)
    for number, (kind, (marker, colour)) in enumerate(
        zip(sorted(kinds.unique()), styles, strict=False), start=1
    ):
        fallback = _("kind {number}").format(number=number)
        draw_points(
            ax,
            open_sites[kinds == kind],
            marker=marker,
            c=colour,
            edgecolors="black",
            s=110,
            zorder=Z_SITE,
            label=_("open: {kind}").format(kind=drawable_text(kind_name(kind), font, fallback)),
        )
    required = open_sites[open_sites["required"].astype(bool)]
    draw_rings(ax, required, "#d62728", 320, Z_MARK, _("required site"), width=1.5)
