"""A synthetic county (made-up villages, sites, roads and boundary) for examples and tests.

Nothing here is real data: places, names, populations and roads are drawn from a seeded random
generator around a point in southern Zhejiang, in UTM zone 50N (EPSG:32650, metres).
Run ``python -m geodata.synthetic --out county.gpkg`` to write one to a GeoPackage.
"""

from .county import SyntheticCounty, synthetic_county

__all__ = ["SyntheticCounty", "synthetic_county"]
