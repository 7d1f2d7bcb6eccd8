"""The example that reads a planner's own files (examples/qingyuan_own_data.toml): Amap
(GCJ-02) points in a GBK CSV and an Excel population table give back the Qingyuan villages,
their 12-digit codes, names, populations and WGS84 points."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
from typer.testing import CliRunner

import optimizer.cli as cli

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "geodata" / "data" / "qingyuan.gpkg"


def test_the_own_data_example_reads_back_the_qingyuan_villages(tmp_path):
    config = ROOT / "examples" / "qingyuan_own_data.toml"
    result = CliRunner().invoke(cli.app, ["solve", str(config), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "converted from GCJ-02 to WGS84" in " ".join(result.stderr.split())
    got = gpd.read_file(tmp_path / "out" / "plan.gpkg", layer="assignments")
    want = gpd.read_file(SOURCE, layer="demand")
    assert got["demand_id"].tolist() == want["id"].tolist()  # 12-digit codes, as text
    assert got["name"].tolist() == want["name"].tolist()
    assert got["population"].tolist() == np.round(want["population"].to_numpy(float)).tolist()
    metric = want.estimate_utm_crs()
    apart = got.to_crs(metric).distance(want.to_crs(metric), align=False)
    assert apart.max() < 0.05  # metres: the CSV keeps 7 decimals (1 cm)
