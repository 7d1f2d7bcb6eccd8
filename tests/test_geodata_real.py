"""Smoke test on real data: the 19 townships of Qingyuan County (庆元县), Zhejiang."""

from __future__ import annotations

from pathlib import Path

from geodata import read_demand, straight_line_minutes, to_metric

SHARED = Path(__file__).resolve().parents[2] / "shared"
TOWNSHIPS = SHARED / "geodata-sources" / "qingyuan" / "townships_2023.csv"


def test_qingyuan_townships():
    demand = read_demand(
        TOWNSHIPS,
        id="township_code9",
        name="township_name",
        population=None,
        lon="lon_wgs84",
        lat="lat_wgs84",
    )
    assert len(demand) == 19
    assert demand["id"].iloc[0] == "331126001" and demand["name"].iloc[0] == "松源街道"
    assert demand["name"].str.endswith(("街道", "镇", "乡")).all()
    assert (demand["population"] == 1.0).all()
    projected = to_metric(demand)
    assert projected.crs.to_epsg() == 32650
    times = straight_line_minutes(demand, demand, speed_kmh=40, max_minutes=60)
    pairs = times.to_frame()
    same = pairs[pairs.demand_id == pairs.site_id]
    assert len(same) == 19 and (same.minutes == 0.0).all()  # stored zeros, not gaps
    assert len(pairs) > 19 and pairs.minutes.max() <= 60
