"""The comparison with the plan (``optimizer.plan.compare``) as report blocks and the
coverage curve as a PNG."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from geodata.i18n import gettext as _
from optimizer.outputs.blocks import Block
from optimizer.outputs.labels import readable
from optimizer.plan.compare import Comparison


def plot_curve(
    curves: dict[str, pd.DataFrame], path: str | Path, *, plan_count: int | None = None
) -> Path:
    """Coverage curves as a PNG: share of the population within the radius per hub count,
    one line per demand level (and a dashed one of the share of the reachable population)."""
    path = Path(path)
    fig = Figure(figsize=(7, 4), dpi=120)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    x = np.array([], dtype=int)
    for k, (level, curve) in enumerate(curves.items()):
        x = np.union1d(x, curve["hubs besides those by kind"].to_numpy())
        colour = f"C{k}"
        steps = curve["hubs besides those by kind"].to_numpy()
        share = 100 * curve["share of population"].to_numpy()
        reach = 100 * curve["share of reachable population"].to_numpy()
        name = _(level)
        everyone = _("{level}: all residents").format(level=name)
        ax.plot(steps, share, marker="o", color=colour, label=everyone)
        reachable = _("{level}: residents a possible hub reaches").format(level=name)
        ax.plot(steps, reach, marker="s", linestyle="--", color=colour, label=reachable)
    if plan_count is not None:
        label = _("plan: about {n}").format(n=plan_count)
        ax.axvline(plan_count, color="#d62728", linestyle=":", label=label)
    ax.set_xlabel(_("hubs (sub-centres) besides those by kind"))
    ax.set_ylabel(_("% of population within the hub radius"))
    ax.set_xticks(x)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    fig.savefig(path, bbox_inches="tight")
    return path


def comparison_blocks(comparison: Comparison, curve_file: str | None = None) -> list[Block]:
    """The comparison as report blocks: findings, then each table under its file name."""
    blocks = [Block("h2", _("Compared with the plan"))]
    blocks += [Block("p", text) for text in comparison.findings]
    if curve_file is not None:
        blocks.append(Block("image", _("coverage curve"), target=curve_file))
    for name, table in comparison.tables.items():
        blocks += [Block("link", name, target=name), Block("table", table=readable(table))]
    return blocks
