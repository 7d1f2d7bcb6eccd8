"""Pseudocosts for branching on binary site columns.

A site's pseudocosts are the bound changes seen per unit of its LP value moved when a
node fixed it closed or open; a node branches on the site whose two children promise the
largest change, scored by the product of the two (as in SCIP).
"""

from __future__ import annotations

import numpy as np

LEAST_CHANGE = 1e-6  # floor of each factor of a score, so one zero side does not erase it


class Pseudocosts:
    """Per site, the sums and counts of bound changes per unit moved, closing (row 0) and
    opening (row 1). Changes are in the caller's objective units, made non-negative."""

    def __init__(self, n_sites: int) -> None:
        self.total = np.zeros((2, n_sites))
        self.count = np.zeros((2, n_sites))

    def record(self, site: int, value: float, lp_value: float, change: float) -> None:
        """A child fixing ``site`` at ``value`` (0 or 1) moved the bound by ``change``
        from its parent, where the site's LP value was ``lp_value``."""
        moved = lp_value if value < 0.5 else 1.0 - lp_value
        side = int(value > 0.5)
        self.total[side, site] += max(change, 0.0) / max(moved, LEAST_CHANGE)
        self.count[side, site] += 1

    def reliable(self, sites: np.ndarray) -> np.ndarray:
        """Whether each of ``sites`` has a change recorded both ways."""
        return self.count[:, sites].min(axis=0) >= 1

    def score(self, sites: np.ndarray, y: np.ndarray) -> np.ndarray:
        """For each of ``sites`` (LP values ``y`` over every site), the product of the
        expected bound changes of closing and of opening it; a site without changes
        recorded one way takes the mean of the sites that have them (1 when none has)."""
        seen = self.count > 0
        average = self.total / np.maximum(self.count, 1)
        mean = np.ones(2)
        for side in (0, 1):
            if seen[side].any():
                mean[side] = average[side, seen[side]].mean()
        per_unit = np.where(seen[:, sites], average[:, sites], mean[:, None])
        down = np.maximum(per_unit[0] * y[sites], LEAST_CHANGE)
        up = np.maximum(per_unit[1] * (1.0 - y[sites]), LEAST_CHANGE)
        return down * up

    def best(self, sites: np.ndarray, y: np.ndarray) -> int:
        """The site of ``sites`` with the highest score (ties: the first)."""
        return int(sites[np.argmax(self.score(sites, y))])
