"""Pseudocosts (``optimizer.solve.pseudocosts``): changes per unit moved, the mean for sites
not yet seen, and the product score the site search branches by."""

from __future__ import annotations

import numpy as np
import pytest

from optimizer.solve.pseudocosts import LEAST_CHANGE, Pseudocosts


def test_changes_are_per_unit_moved_and_unseen_sites_take_the_mean():
    costs = Pseudocosts(4)
    costs.record(0, 0.0, 0.25, 1.0)  # closing moved 0.25: 4 per unit
    costs.record(0, 0.0, 0.5, 1.0)  # 2 per unit; mean 3
    costs.record(0, 1.0, 0.75, 0.5)  # opening moved 0.25: 2 per unit
    costs.record(1, 1.0, 0.5, 3.0)  # 6 per unit
    costs.record(2, 1.0, 0.5, -1.0)  # a bound that improved counts as no change
    y = np.array([0.5, 0.5, 0.5, 0.2])
    sites = np.arange(4)
    assert costs.reliable(sites).tolist() == [True, False, False, False]
    # closing: only site 0 seen (3 per unit); opening: sites 0, 1, 2 seen (2, 6, 0: mean 8/3)
    want = np.array(
        [
            (3 * 0.5) * (2 * 0.5),
            (3 * 0.5) * (6 * 0.5),  # closing unseen: the mean
            (3 * 0.5) * LEAST_CHANGE,  # opening seen with no change
            (3 * 0.2) * (8 / 3 * 0.8),  # both unseen: the means
        ]
    )
    assert costs.score(sites, y) == pytest.approx(want)
    assert costs.best(sites, y) == 1


def test_without_any_change_recorded_the_score_favours_the_most_fractional_site():
    costs = Pseudocosts(3)
    y = np.array([0.1, 0.45, 0.9])
    assert costs.best(np.arange(3), y) == 1
    assert costs.best(np.array([0, 2]), y) == 0  # 0.1 * 0.9 against 0.9 * 0.1: the first
    assert not costs.reliable(np.arange(3)).any()
