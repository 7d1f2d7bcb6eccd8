"""Warnings for plans that are not proven optimal, shared by summaries, screens and reports."""

from __future__ import annotations

import math

CLEAN = ("optimal",)


def gap_text(gap: float) -> str:
    """``"2.35%"``, or ``"unknown"`` when there is no finite bound."""
    return f"{gap:.2%}" if math.isfinite(gap) else "unknown"


def solve_warning(status: str, gap: float, what: str = "the solve") -> str:
    """A sentence for a planner when ``status`` is not "optimal" ("" when it is).

    ``gap`` is the relative gap between the plan and the proven bound.
    """
    if status in CLEAN:
        return ""
    if status == "time_limit":
        return (
            f"{what} reached its time limit: this is the best plan found, with a gap of "
            f"{gap_text(gap)} to the proven bound; raise the time limit (or accept a mip_gap) "
            "for a proven optimum"
        )
    if status == "interrupted":
        return (
            f"{what} was interrupted: this is the best plan found so far, with a gap of "
            f"{gap_text(gap)} to the proven bound"
        )
    if status == "no_solution":
        return f"{what} found no plan within its time limit; the previous stage's plan is kept"
    return f"{what} ended with status {status!r}"


def stages_warning(records: list) -> str:
    """One sentence for the county stages (``StageRecord``) that are not optimal ("" if none)."""
    parts = [solve_warning(r.status, r.gap, f"stage {r.stage}") for r in records]
    return "; ".join(p for p in parts if p)
