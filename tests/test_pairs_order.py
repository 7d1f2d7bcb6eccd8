"""cost_pairs sorts dense and sparse input the same way: by demand, then cost, then site."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from geodata.errors import InputError
from models import pairs as pairs_module
from models.pairs import cost_pairs


@pytest.mark.parametrize("seed", range(30))
def test_dense_and_sparse_give_the_same_sorted_pairs(seed):
    rng = np.random.default_rng(seed)
    n, m = rng.integers(1, 12, size=2)
    dense = rng.integers(0, 4, size=(n, m)).astype(float)  # many ties
    dense[rng.random((n, m)) < 0.3] = np.inf
    rows, cols = np.nonzero(np.isfinite(dense))
    sparse = sp.csr_array((dense[rows, cols], (rows, cols)), shape=dense.shape)
    a, b = cost_pairs(dense), cost_pairs(sparse)
    order = np.lexsort((cols, dense[rows, cols], rows))
    for pairs in (a, b):
        assert np.array_equal(pairs.demand, rows[order])
        assert np.array_equal(pairs.site, cols[order])
        assert np.array_equal(pairs.cost, dense[rows, cols][order])
        assert np.array_equal(
            pairs.indptr, np.concatenate([[0], np.cumsum(np.isfinite(dense).sum(axis=1))])
        )


def test_dense_errors_name_the_first_bad_entry():
    dense = np.zeros((3, 3))
    dense[1, 2] = -1.0
    dense[2, 0] = np.nan
    with pytest.raises(InputError, match=r"demand 2, site 0\] is NaN"):
        cost_pairs(dense)
    dense[2, 0] = 0.0
    with pytest.raises(InputError, match=r"demand 1, site 2\] is negative"):
        cost_pairs(dense)


@pytest.mark.parametrize("share", [0.0, 1.0])  # rows sorted whole / pairs sorted alone
@pytest.mark.parametrize("seed", range(20))
def test_radius_filter_equals_filtering_all_pairs(seed, share, monkeypatch):
    monkeypatch.setattr(pairs_module, "DENSE_SHARE", share)
    rng = np.random.default_rng(seed)
    n, m = rng.integers(1, 12, size=2)
    dense = rng.integers(0, 6, size=(n, m)).astype(float)
    dense[rng.random((n, m)) < 0.3] = np.inf
    rows, cols = np.nonzero(np.isfinite(dense))
    sparse = sp.csr_array((dense[rows, cols], (rows, cols)), shape=dense.shape)
    radius = float(rng.integers(0, 6))
    want = cost_pairs(dense).within(radius)
    for got in (cost_pairs(dense, radius), cost_pairs(sparse, radius)):
        for field in ("demand", "site", "cost", "indptr"):
            assert np.array_equal(getattr(got, field), getattr(want, field))


@pytest.mark.parametrize("block", [1, 5, 17])
def test_dense_sort_in_row_blocks_equals_one_sort(monkeypatch, block):
    rng = np.random.default_rng(block)
    dense = rng.integers(0, 4, size=(23, 7)).astype(float)
    dense[rng.random(dense.shape) < 0.3] = np.inf
    dense[4] = np.inf  # a row without pairs
    whole = cost_pairs(dense)
    monkeypatch.setattr(pairs_module, "SORT_BLOCK", block)
    blocked = cost_pairs(dense)
    for field in ("demand", "site", "cost", "indptr"):
        assert np.array_equal(getattr(blocked, field), getattr(whole, field))
