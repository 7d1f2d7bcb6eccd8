"""healthplan optimizer: solve location plans with HiGHS and hand them back as GIS layers."""

from optimizer.plan.sites import plan_sites
from optimizer.results import LocateResult, SitePlan
from optimizer.solve.locate import PROBLEMS, locate
from optimizer.verify import VerificationError, verify_locate

__all__ = [
    "PROBLEMS",
    "LocateResult",
    "SitePlan",
    "VerificationError",
    "locate",
    "plan_sites",
    "verify_locate",
]
