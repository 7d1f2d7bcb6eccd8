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
    if status == "node_limit":
        return (
            f"{what} reached its node limit: this is the best plan found, with a gap of "
            f"{gap_text(gap)} to the proven bound; raise solve.node_limit for a proven optimum"
        )
    if status == "iteration_limit":
        return (
            f"{what} reached an iteration limit: this is the best plan found, with a gap of "
            f"{gap_text(gap)} to the proven bound"
        )
    if status == "mip_gap":
        return (
            f"{what} stopped at the requested mip_gap: the plan is within {gap_text(gap)} of "
            "the proven bound; set solve.mip_gap = 0 for a proven optimum"
        )
    if status == "interrupted":
        return (
            f"{what} was interrupted: this is the best plan found so far, with a gap of "
            f"{gap_text(gap)} to the proven bound"
        )
    if status == "no_solution":
        return f"{what} found no plan within its limits; the previous stage's plan is kept"
    return f"{what} ended with status {status!r}"


def stages_warning(records: list) -> str:
    """One sentence for the county stages (``StageRecord``) that stopped early and what the
    later stages held of them ("" if every stage is proven optimal)."""
    parts = []
    for r in records:
        if not r.stopped_early:
            continue
        text = solve_warning(r.status, r.gap, f"stage {r.stage}")
        if math.isfinite(r.held):
            better = "more" if r.stage == "coverage" else "less"
            text += (
                f"; later stages held {r.stage} at {number_text(r.held)} or {better}, and the "
                f"plan gives {number_text(r.objective)}"
            )
        parts.append(text)
    return "; ".join(parts)


def number_text(value: float) -> str:
    """A stage value for a sentence: thousands separated from 1,000 up, else 4 digits."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"
