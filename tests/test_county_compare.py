"""Plan comparisons against brute-force enumeration on small random counties."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest

import geodata
from geodata.errors import ConfigError
from optimizer.config.county import CompareConfig, load_county_config
from optimizer.county_spec import CountySpec, LevelSpec
from optimizer.plan.compare import compare_plan
from optimizer.run import run

RADIUS = 20.0
KANGBASHI = Path(__file__).resolve().parents[1] / "examples" / "kangbashi.toml"


def _county(seed: int) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, geodata.TravelTimes]:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 30_000, (25, 2))
    demand = gpd.GeoDataFrame(
        {
            "id": [f"V{i}" for i in range(25)],
            "name": [f"村{i}" for i in range(25)],
            "population": rng.integers(50, 2000, 25).astype(float),
        },
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
        crs="EPSG:32650",
    )
    sxy = rng.uniform(0, 30_000, (8, 2))
    sites = gpd.GeoDataFrame(
        {
            "id": [f"S{j}" for j in range(8)],
            "name": [f"卫生院{j}" for j in range(8)],
            "kind": ["county_hospital"] + ["township_centre"] * 7,
        },
        geometry=gpd.points_from_xy(sxy[:, 0], sxy[:, 1]),
        crs="EPSG:32650",
    )
    travel = geodata.straight_line_minutes(
        demand, sites, speed_kmh=30, circuity=1.5, max_minutes=90
    )
    return demand, sites, travel


def _within(travel, open_sites) -> np.ndarray:
    coo = travel.minutes.tocoo()
    dense = np.full(coo.shape, np.inf)
    dense[coo.row, coo.col] = coo.data
    return (dense[:, list(open_sites)] <= RADIUS).any(axis=1)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_curve_and_least_match_enumeration(seed: int) -> None:
    demand, sites, travel = _county(seed)
    spec = CountySpec(
        hub=LevelSpec(
            radius=RADIUS,
            kinds=("township_centre",),
            fixed_kinds=("county_hospital",),
            fixed=("S1",),
        ),
        clinic=LevelSpec(radius=10, kinds=("township_centre",)),
    )
    out = compare_plan(
        CompareConfig(hub_counts=(1, 4), plan_hub_count=2), None, spec, demand, sites, travel
    )
    pop = demand["population"].to_numpy()
    others = range(2, 8)
    for row in out.curves["villages"].itertuples(index=False):
        k = row[0]
        best = max(
            pop[_within(travel, (0, 1, *extra))].sum() for extra in combinations(others, k - 1)
        )
        assert row[1] == pytest.approx(best)
    reach = _within(travel, range(8))
    least = min(
        k
        for k in range(1, 8)
        for extra in combinations(others, k - 1)
        if (_within(travel, (0, 1, *extra)) | ~reach).all()
    )
    assert f"full {RADIUS:g}-minute circle: {least} " in out.findings[0]
    assert len(out.tables["compare_least.csv"]) == least + 1


def _with_compare(**compare):
    config = load_county_config(KANGBASHI)
    return config.model_copy(update={"compare": CompareConfig(**compare)})


@pytest.mark.parametrize(
    ("compare", "message"),
    [
        ({"named_gaps": ["青春山街道恩和社区", "不存在社区"]}, "compare.named_gaps: '不存在社区'"),
        (
            {"plan_hubs": ["无名卫生院"]},
            "compare.plan_hubs: '无名卫生院' is neither a site id nor a site name",
        ),
    ],
)
def test_unknown_names_fail_before_solving(compare, message) -> None:
    steps: list[str] = []
    with pytest.raises(ConfigError, match=message):
        run(_with_compare(**compare), progress=steps.append, source=KANGBASHI)
    assert "solving" not in steps
