"""Warnings for plans that are not proven optimal, shared by summaries, screens and reports."""

from __future__ import annotations

import math

from geodata.i18n import gettext as _

CLEAN = ("optimal",)


def gap_text(gap: float) -> str:
    """``"2.35%"``, or "unknown" when there is no finite bound."""
    return f"{gap:.2%}" if math.isfinite(gap) else _("unknown")


def solve_warning(status: str, gap: float, what: str | None = None) -> str:
    """A sentence for a planner when ``status`` is not "optimal" ("" when it is).

    ``gap`` is the relative gap between the plan and the proven bound; ``what`` names what
    was solved (default "the solve").
    """
    if status in CLEAN:
        return ""
    texts = {
        "time_limit": _(
            "{what} reached its time limit: this is the best plan found, with a gap of {gap} to "
            "the proven bound; raise the time limit (or accept a mip_gap) for a proven optimum"
        ),
        "node_limit": _(
            "{what} reached its node limit: this is the best plan found, with a gap of {gap} to "
            "the proven bound; raise solve.node_limit for a proven optimum"
        ),
        "iteration_limit": _(
            "{what} reached an iteration limit: this is the best plan found, with a gap of "
            "{gap} to the proven bound"
        ),
        "mip_gap": _(
            "{what} stopped at the requested mip_gap: the plan is within {gap} of the proven "
            "bound; set solve.mip_gap = 0 for a proven optimum"
        ),
        "interrupted": _(
            "{what} was interrupted: this is the best plan found so far, with a gap of {gap} to "
            "the proven bound"
        ),
        "no_solution": _(
            "{what} found no plan within its limits; the previous stage's plan is kept"
        ),
    }
    text = texts.get(status, _("{what} ended with status {status}"))
    what = _("the solve") if what is None else what
    return text.format(what=what, gap=gap_text(gap), status=repr(status))


def stages_warning(records: list) -> str:
    """One sentence for the county stages (``StageRecord``) that stopped early and what the
    later stages held of them ("" if every stage is proven optimal)."""
    parts = []
    for r in records:
        if not r.stopped_early:
            continue
        text = solve_warning(r.status, r.gap, _("stage {stage}").format(stage=r.stage))
        if math.isfinite(r.held):
            held = (
                _("later stages held {stage} at {held} or more, and the plan gives {value}")
                if r.stage in ("coverage", "person_years")
                else _("later stages held {stage} at {held} or less, and the plan gives {value}")
            )
            text += _("; ") + held.format(
                stage=r.stage, held=number_text(r.held), value=number_text(r.objective)
            )
        parts.append(text)
    return _("; ").join(parts)


def number_text(value: float) -> str:
    """A stage value for a sentence: thousands separated from 1,000 up, else 4 digits."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"
