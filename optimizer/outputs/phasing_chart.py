"""The phased plan as a chart (PNG): spending per year as bars with the yearly budget, and the
share of the population within the hub and clinic radius per year on a second axis."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from geodata.i18n import N_
from geodata.i18n import gettext as _
from optimizer.outputs.maps import cjk_font, drawable_text, map_language, save, sized_font

YUAN_PER_UNIT = 10_000.0  # spending is drawn in units of 10,000 yuan (万元)
BAR_WIDTH = 0.6  # of one year
SPENDING_COLOUR = "#9ecae1"
BUDGET_COLOUR = "#222222"
SHARE_STYLES = (  # column, colour, marker, legend label
    ("share_within_hub_radius", "#d62728", "s", N_("population within the hub radius")),
    ("share_within_clinic_radius", "#1f77b4", "^", N_("population within the clinic radius")),
)


def plot_phasing(phasing: pd.DataFrame, path: str | Path, *, title: str | None = None) -> Path:
    """The phasing table (``optimizer.county_spec.PHASING_COLUMNS``) as a PNG: bars of each
    year's spending in 10,000 yuan, a mark at each year's own budget (years without one have
    none) and, on the right axis, the share of the population within the hub and the clinic
    radius at the end of each year (percent). Titled ``title`` (default "Phasing"); drawn in
    English when no font with Chinese glyphs is installed."""
    path = Path(path)
    font = cjk_font()
    with map_language(font):
        fig = Figure(figsize=(8, 4.5), dpi=120)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        years = phasing["year"].astype(int).to_numpy()
        x = np.arange(len(years), dtype=float)
        spending = phasing["spending"].to_numpy(dtype=float) / YUAN_PER_UNIT
        bars = ax.bar(
            x, spending, width=BAR_WIDTH, color=SPENDING_COLOUR, label=_("spending"), zorder=2
        )
        handles = [bars]
        budget = phasing["budget"].to_numpy(dtype=float) / YUAN_PER_UNIT
        given = np.isfinite(budget)
        if given.any():
            half = BAR_WIDTH / 2 + 0.08
            marks = ax.hlines(
                budget[given],
                x[given] - half,
                x[given] + half,
                colors=BUDGET_COLOUR,
                linewidth=2,
                label=_("yearly budget"),
                zorder=3,
            )
            handles.append(marks)
        ax.set_xticks(x, [str(year) for year in years])
        ax.set_xlim(-0.6, len(years) - 0.4)
        top = np.nanmax(np.concatenate([spending, budget[given], [0.0]]))
        ax.set_ylim(0, top * 1.15 if top > 0 else 1.0)
        ax.set_xlabel(_("year"), fontproperties=sized_font(font, 10))
        ax.set_ylabel(_("spending (10,000 yuan)"), fontproperties=sized_font(font, 10))
        ax.grid(axis="y", alpha=0.3, zorder=0)

        shares = ax.twinx()
        for column, colour, marker, label in SHARE_STYLES:
            if column in phasing.columns:
                share = 100 * phasing[column].to_numpy(dtype=float)
                (line,) = shares.plot(
                    x, share, color=colour, marker=marker, label=_(label), zorder=4
                )
                handles.append(line)
        shares.set_ylim(0, 105)
        shares.set_ylabel(
            _("% of population within the radius"), fontproperties=sized_font(font, 10)
        )

        fig.legend(
            handles=handles,
            loc="upper center",
            bbox_to_anchor=(0.5, 0.0),
            ncols=2,
            frameon=False,
            prop=sized_font(font, 9),
        )
        default = _("Phasing")
        heading = drawable_text(title or default, font, default)
        ax.set_title(heading, fontproperties=sized_font(font, 13, "bold"), pad=10)
        for axis in (ax, shares):
            for tick in axis.get_xticklabels() + axis.get_yticklabels():
                tick.set_fontproperties(sized_font(font, 9))
        return save(fig, path)
