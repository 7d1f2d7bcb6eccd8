"""Seeded random planar location instances (Euclidean km in a square region)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

SIDE_KM = 100.0
LAYOUTS = ("uniform", "clustered")


@dataclass
class PlanarInstance:
    """Demand points with integer population, candidate sites, and their distances (km)."""

    name: str
    demand_xy: np.ndarray  # n x 2, km
    site_xy: np.ndarray  # m x 2, km
    population: np.ndarray  # n, persons
    cost: np.ndarray  # n x m, km

    @property
    def n_demand(self) -> int:
        return int(self.demand_xy.shape[0])

    @property
    def n_sites(self) -> int:
        return int(self.site_xy.shape[0])


def _clustered_points(rng: np.random.Generator, n: int) -> np.ndarray:
    """Villages around market towns: Gaussian clusters (sd 2-6 km) clipped to the region."""
    n_towns = max(5, n // 60)
    towns = rng.uniform(0.0, SIDE_KM, size=(n_towns, 2))
    spread = rng.uniform(2.0, 6.0, size=n_towns)
    which = rng.integers(0, n_towns, size=n)
    points = towns[which] + rng.normal(size=(n, 2)) * spread[which, None]
    return np.clip(points, 0.0, SIDE_KM)


def planar_instance(
    n_demand: int, n_sites: int, *, layout: str = "clustered", seed: int = 0
) -> PlanarInstance:
    """A random instance: demand uniform or clustered, sites uniform, populations 50-3000."""
    if layout not in LAYOUTS:
        raise ValueError(f"layout {layout!r} is unknown; use one of {', '.join(LAYOUTS)}")
    rng = np.random.default_rng([seed, n_demand, n_sites, LAYOUTS.index(layout)])
    if layout == "uniform":
        demand = rng.uniform(0.0, SIDE_KM, size=(n_demand, 2))
    else:
        demand = _clustered_points(rng, n_demand)
    sites = rng.uniform(0.0, SIDE_KM, size=(n_sites, 2))
    population = np.round(rng.lognormal(mean=6.0, sigma=0.8, size=n_demand)).clip(50, 3000)
    diff = demand[:, None, :] - sites[None, :, :]
    cost = np.sqrt((diff**2).sum(axis=2))
    name = f"{layout} {n_demand}x{n_sites}"
    return PlanarInstance(name, demand, sites, population, cost)


def coverage_radius(inst: PlanarInstance, sites_in_reach: float = 15.0) -> float:
    """Radius (km, 0.1 km steps) giving about ``sites_in_reach`` sites per demand point.

    Never below the largest nearest-site distance, so that every point can be covered.
    """
    density = inst.n_sites / SIDE_KM**2
    target = math.sqrt(sites_in_reach / (math.pi * density))
    needed = float(inst.cost.min(axis=1).max())
    return math.ceil(max(target, needed) * 10.0) / 10.0
