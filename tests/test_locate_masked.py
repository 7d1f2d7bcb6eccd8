"""``numpy.ma`` masked cost matrices: a masked pair is unreachable, exactly like ``inf``."""

from __future__ import annotations

import numpy as np
import pytest

from optimizer import locate
from optimizer.verify import VerificationError, verify_locate

PROBLEMS = {
    "lscp": {"radius": 25},
    "mclp": {"p": 2, "radius": 15},
    "p-median": {"p": 3},
    "p-center": {"p": 3},
}


def masked_instance(seed: int, n: int = 12, m: int = 7):
    """Costs 5..40 with about a third of the pairs masked; under the mask lie costs of 0 (and
    a NaN), so a solver that ignored the mask would open other sites."""
    rng = np.random.default_rng(seed)
    data = rng.integers(5, 40, size=(n, m)).astype(float)
    mask = rng.random((n, m)) < 0.35
    mask[:, 0] = True  # the best site under the mask is unreachable from everyone
    kept = rng.integers(1, m, size=n)
    mask[np.arange(n), kept] = False  # every unit keeps a site within 20
    data[np.arange(n), kept] = rng.integers(5, 21, size=n)
    data[mask] = 0.0
    data[np.nonzero(mask)[0][0], np.nonzero(mask)[1][0]] = np.nan
    weights = rng.integers(1, 6, size=n).astype(float)
    return np.ma.masked_array(data, mask=mask), np.where(mask, np.inf, data), weights


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("problem", list(PROBLEMS))
def test_masked_pairs_are_unreachable_like_inf(problem, seed):
    masked, with_inf, w = masked_instance(seed)
    options = PROBLEMS[problem]
    a = locate(problem, masked, weights=w, **options)
    b = locate(problem, with_inf, weights=w, **options)
    assert a.status == b.status == "optimal"
    assert a.objective == pytest.approx(b.objective)
    assert list(a.open_sites) == list(b.open_sites)
    assert list(a.assignment) == list(b.assignment)
    assert 0 not in a.open_sites  # site 0 is masked for every unit
    verify_locate(a, masked, weights=w, **options)
    verify_locate(a, with_inf, weights=w, **options)


@pytest.mark.parametrize("problem", ["lscp", "p-median"])
def test_the_verifier_honours_the_mask(problem):
    masked, _, w = masked_instance(0)
    options = PROBLEMS[problem]
    unmasked = np.nan_to_num(masked.data, nan=1.0)  # what ignoring the mask would solve
    ignored = locate(problem, unmasked, weights=w, **options)
    assert 0 in ignored.open_sites  # the zero costs under the mask draw the plan to site 0
    with pytest.raises(VerificationError):
        verify_locate(ignored, masked, weights=w, **options)


def test_masked_integer_costs_and_an_empty_mask():
    masked, with_inf, w = masked_instance(1)
    ints = np.ma.masked_array(np.nan_to_num(masked.data).astype(int), mask=masked.mask)
    a = locate("p-median", ints, weights=w, p=3)
    b = locate("p-median", with_inf, weights=w, p=3)
    assert a.objective == pytest.approx(b.objective) and list(a.open_sites) == list(b.open_sites)
    plain = np.ma.masked_array(np.arange(12.0).reshape(4, 3) + 1)  # nothing masked
    c = locate("p-median", plain, p=1)
    assert c.objective == locate("p-median", plain.data, p=1).objective
