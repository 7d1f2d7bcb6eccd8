"""healthplan optimizer: solve location plans with HiGHS and hand them back as GIS layers.

The public names are loaded on first use (PEP 562), so ``import optimizer`` and the command
line's ``--help`` stay fast: HiGHS, Pyomo, SciPy and the GIS stack load with the first solve.
"""

from __future__ import annotations

from geodata.lazy import lazy_names

# public name -> module that defines it
_SOURCES = {
    "PROBLEMS": "optimizer.solve.locate",
    "LocateResult": "optimizer.results",
    "SitePlan": "optimizer.results",
    "SiteSummary": "optimizer.results",
    "VerificationError": "optimizer.errors",
    "locate": "optimizer.solve.locate",
    "plan_sites": "optimizer.plan.sites",
    "verify_locate": "optimizer.verify",
}

__all__ = sorted(_SOURCES)


__getattr__, __dir__ = lazy_names(__name__, _SOURCES)
