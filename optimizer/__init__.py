"""healthplan optimizer: solve location plans with HiGHS and hand them back as GIS layers."""

from optimizer.locate import PROBLEMS, locate
from optimizer.results import LocateResult, SitePlan

__all__ = ["PROBLEMS", "LocateResult", "SitePlan", "locate"]
