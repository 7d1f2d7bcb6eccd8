"""Published m-CTP optima reproduced by the roaming route search (``benchmarks/mctp.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from geodata.mctp import read_optima

BENCH = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "mctp"

pytestmark = pytest.mark.skipif(not BENCH.is_dir(), reason="m-CTP instances not present")


@pytest.mark.parametrize(
    "name",
    [
        "A1-1-25-75-4-250",
        "B1-1-25-75-4-250",
        "A1-5-25-75-4-250",
        "A1-1-25-75-8",  # too many routes to list: exact pricing
        "B1-5-25-75-6",
        "B1-1-50-50-4-500",  # 50 vertices
    ],
)
def test_published_optimum_reproduced_and_proven(name):
    from benchmarks.mctp import solve

    row = solve(BENCH / f"{name}.ctp", time_limit=60.0)
    optimum = read_optima(BENCH / "optima.csv")[name].optimum
    assert row["bound"] <= optimum
    assert row["objective"] == pytest.approx(optimum, rel=1e-9)
    assert row["status"] == "optimal"
