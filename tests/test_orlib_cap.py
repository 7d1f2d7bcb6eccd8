"""OR-Library capacitated (cap41, cap61-64) and uncapacitated (capa) optima are reproduced."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from geodata.orlib import read_cap, read_cap_optima
from optimizer import locate
from optimizer.verify import verify_locate

CAP = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "orlib" / "cap"
OPTIMA = read_cap_optima(CAP / "capopt.txt")


@pytest.mark.parametrize(
    "name, key",
    [
        ("cap41", "cap41"),
        ("cap61", "cap61"),
        ("cap62", "cap62"),
        ("cap63", "cap63"),
        ("cap64", "cap64"),
        ("capa", "capa-uncapacitated"),
    ],
)
def test_cap_optimum(name, key):
    inst = read_cap(CAP / f"{name}.txt")
    if name == "capa":
        assert np.isinf(inst.capacity).all()  # the file's capacity field is the word "capacity"
    kwargs = dict(weights=inst.demand, capacities=inst.capacity, fixed_costs=inst.fixed_cost)
    result = locate("capacitated", inst.unit_cost, **kwargs)
    verify_locate(result, inst.unit_cost, **kwargs)
    assert result.status == "optimal"
    assert result.objective == pytest.approx(OPTIMA[key], abs=1e-3)
    assert result.bound == pytest.approx(OPTIMA[key], abs=1e-3)
