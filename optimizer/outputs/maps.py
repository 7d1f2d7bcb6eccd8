"""A static overview map of a plan (PNG, drawn with matplotlib's Agg canvas).

The figure is drawn on its own Agg canvas, so the caller's pyplot backend is left alone.
"""

from __future__ import annotations

import math
import warnings
from functools import lru_cache
from itertools import cycle
from pathlib import Path

import geopandas as gpd
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

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

SITE_MARKERS = ("s", "^", "D", "p", "h", "v", "P", "o")
SITE_COLOURS = ("#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf", "#e377c2")


# File names of CJK fonts looked for on the system when matplotlib's font cache predates them.
CJK_FILES = ("notosanscjk", "notoserifcjk", "sourcehansans", "wqy-zenhei", "wqy-microhei")


@lru_cache(maxsize=1)
def cjk_font() -> FontProperties | None:
    """A font that renders Chinese, or None (with a warning) when no CJK font is installed.

    Fonts installed after matplotlib built its font cache are found by file name and added.
    """
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
    warnings.warn(
        "no CJK font found (install fonts-noto-cjk); Chinese labels are drawn as ids",
        stacklevel=2,
    )
    return None


def plot_plan(plan: SitePlan, path: str | Path, *, title: str | None = None) -> Path:
    """Draw the plan and save it as a PNG.

    Demand points are sized by population; assignment lines are thin grey; open sites get a
    marker per kind (required sites ringed); closed candidates are faint; unassigned demand
    is red. A scale bar (in km) is drawn when the plan's CRS is metric.

    Args:
        plan: the plan to draw, in its own (preferably metric) CRS.
        path: PNG file to write.
        title: map title; defaults to the problem and the number of open sites.

    Returns:
        ``path``.
    """
    path = Path(path)
    font = cjk_font()
    sites = plan.sites
    open_sites = sites[sites["open"].astype(bool)]
    fig = Figure(figsize=(10, 10), dpi=120)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    if len(plan.assignment_lines):
        plan.assignment_lines.plot(ax=ax, color="#999999", linewidth=0.4, zorder=1)
    _plot_demand(ax, plan)
    closed = sites[~sites["open"].astype(bool)]
    rings(ax, closed, "#bbbbbb", 30, 2, "closed candidate")
    _plot_open_sites(ax, open_sites, font)
    ax.set_aspect("equal")
    ax.margins(0.08)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    default_title = f"{plan.result.problem}: {len(open_sites)} sites open ({plan.result.status})"
    ax.set_title(
        drawable_text(title or default_title, font, default_title),
        fontproperties=sized_font(font, 14),
    )
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), prop=sized_font(font, 9), frameon=False)
    crs = sites.crs
    if crs is not None and crs.is_projected:
        scale_bar(ax, crs.axis_info[0].unit_conversion_factor)
    north_arrow(ax)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Glyph .* missing from")
        fig.savefig(path, bbox_inches="tight")
    return path


def _plot_demand(ax: Axes, plan: SitePlan) -> None:
    """Demand points sized by population; unassigned ones in red."""
    demand = plan.assignments
    if not len(demand):
        return
    population = demand["population"].astype(float).clip(lower=0)
    largest = float(population.max()) or 1.0
    sizes = 4 + 60 * (population / largest) ** 0.5
    assigned = demand["site_id"].fillna("").astype(str) != ""
    if assigned.any():
        demand[assigned].plot(
            ax=ax,
            markersize=sizes[assigned].to_numpy(),
            color="#555555",
            alpha=0.6,
            zorder=3,
            label="demand (size = population)",
        )
    if (~assigned).any():
        demand[~assigned].plot(
            ax=ax,
            markersize=sizes[~assigned].to_numpy() + 10,
            color="#d62728",
            marker="x",
            zorder=4,
            label="unassigned demand",
        )


def _plot_open_sites(ax: Axes, open_sites: gpd.GeoDataFrame, font: FontProperties | None) -> None:
    """Open sites: one marker and colour per kind, a ring for required sites, name labels."""
    if not len(open_sites):
        return
    kinds = open_sites["kind"].fillna("site").astype(str)
    styles = zip(cycle(SITE_MARKERS), cycle(SITE_COLOURS), strict=False)
    for number, (kind, (marker, colour)) in enumerate(
        zip(sorted(kinds.unique()), styles, strict=False), start=1
    ):
        group = open_sites[kinds == kind]
        group.plot(
            ax=ax,
            marker=marker,
            color=colour,
            edgecolor="black",
            markersize=110,
            zorder=5,
            label=f"open: {drawable_text(kind, font, f'kind {number}')}",
        )
    required = open_sites[open_sites["required"].astype(bool)]
    rings(ax, required, "#d62728", 320, 6, "required site", width=1.5)
    label_sites(ax, open_sites, font, zorder=7)


def drawable_text(text: str, font: FontProperties | None, fallback: str) -> str:
    """``text``, or ``fallback`` when ``text`` needs a CJK font that is not installed."""
    return text if font is not None or text.isascii() else fallback


def sized_font(font: FontProperties | None, size: float) -> FontProperties | None:
    """A copy of ``font`` at ``size`` points (None stays None: the default font)."""
    if font is None:
        return FontProperties(size=size)
    sized = font.copy()
    sized.set_size(size)
    return sized


def scale_bar(ax: Axes, metres_per_unit: float) -> None:
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
        f"{length_km:g} km",
        "lower left",
        pad=0.5,
        size_vertical=(x1 - x0) / 250,
        frameon=True,
        fontproperties=FontProperties(size=8),
    )
    bar.patch.set_alpha(0.8)
    ax.add_artist(bar)


def north_arrow(ax: Axes) -> None:
    """An arrow pointing up with an N, in the upper-right corner (axes coordinates)."""
    ax.annotate(
        "N",
        xy=(0.95, 0.97),
        xytext=(0.95, 0.88),
        xycoords="axes fraction",
        ha="center",
        va="center",
        fontsize=12,
        fontweight="bold",
        arrowprops={"facecolor": "black", "width": 4, "headwidth": 10},
    )


def rings(
    ax,
    points: gpd.GeoDataFrame,
    colour: str,
    size: float,
    zorder: int,
    label: str,
    width: float = 1.0,
) -> None:
    """Hollow circles around ``points`` (nothing when empty), with a legend ``label``."""
    if len(points):
        points.plot(
            ax=ax,
            marker="o",
            facecolor="none",
            edgecolor=colour,
            linewidth=width,
            markersize=size,
            zorder=zorder,
            label=label,
        )


def label_sites(
    ax: Axes, sites: gpd.GeoDataFrame, font: FontProperties | None, zorder: int
) -> None:
    """Each site's name (its id where the font cannot draw the name) beside its point."""
    for _, row in sites.iterrows():
        ax.annotate(
            drawable_text(str(row["name"]), font, str(row["site_id"])),
            xy=(row.geometry.x, row.geometry.y),
            xytext=(6, 6),
            textcoords="offset points",
            fontproperties=sized_font(font, 8),
            zorder=zorder,
        )
