"""The three example regions (庆元县, 雅安市, 康巴什区) built from public facts; see ``build``."""

from .build import build_region, read_facts
from .spec import REGIONS, Region

__all__ = ["REGIONS", "Region", "build_region", "read_facts"]
