"""The same config run twice gives byte-identical GeoPackage attribute tables and summaries."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from test_error_catalogue import Case

import geodata


def layer_tables(gpkg: Path) -> dict[str, list[tuple]]:
    """Every row of every layer table (attributes and geometry blobs), in file order.

    The ``gpkg_*`` metadata tables are left out: they hold the time the file was written.
    """
    with sqlite3.connect(gpkg) as db:
        layers = [row[0] for row in db.execute("SELECT table_name FROM gpkg_contents")]
        return {
            name: db.execute(f'SELECT * FROM "{name}" ORDER BY rowid').fetchall()
            for name in sorted(layers)
        }


def run_twice(case: Case, tmp_path: Path, formats: str) -> tuple[Path, Path]:
    case.config = case.config.replace('formats = ["csv"]', f"formats = {formats}")
    outs = []
    for k in (1, 2):
        result = case.run(out=tmp_path / f"run{k}")
        assert result.exit_code == 0, result.output
        outs.append(tmp_path / f"run{k}")
    return outs[0], outs[1]


@pytest.mark.parametrize("kind", ["site", "county"])
def test_same_config_gives_identical_layers_and_summaries(kind, tmp_path):
    case = Case(geodata.synthetic_county(40, 10, seed=3), tmp_path)
    if kind == "county":
        case.write_county()
    first, second = run_twice(case, tmp_path, '["gpkg", "csv"]')
    tables = layer_tables(first / "plan.gpkg")
    expected = {"site": 3, "county": 3}[kind]
    assert len(tables) == expected and all(len(rows) > 0 for rows in tables.values())
    assert layer_tables(second / "plan.gpkg") == tables
    csvs = sorted(p.name for p in first.glob("*.csv"))
    assert "summary.csv" in csvs
    for name in csvs:
        if name == "stages.csv":  # the solve record keeps each stage's seconds
            continue
        assert (second / name).read_bytes() == (first / name).read_bytes(), name
