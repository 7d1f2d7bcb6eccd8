"""Config -> inputs: every file a config names is read once, names resolve by one rule, and
reading a layer leaves the caller's table as it was."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from table_samples import VILLAGES, excel_plan

import geodata
import geodata.layers
from geodata.errors import ConfigError, HealthplanWarning
from optimizer.config import load
from optimizer.inputs import read_county_inputs, read_site_inputs
from optimizer.inputs.names import resolve_names
from optimizer.run import run

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def reads(monkeypatch) -> Counter:
    """(file name, layer) of every table read from now on, counted."""
    seen: Counter = Counter()
    for name in ("read_layer", "read_csv", "read_sheet"):
        original = getattr(geodata.layers, name)

        def counting(path, *args, _original=original, **kwargs):
            seen[(Path(path).name, args[0] if args else None)] += 1
            return _original(path, *args, **kwargs)

        monkeypatch.setattr(geodata.layers, name, counting)
    return seen


@pytest.mark.parametrize("example", ["county", "qingyuan", "yaan"])
def test_a_county_configs_files_are_each_read_once(example, reads) -> None:
    """county: network roads shared by the site and the roaming minutes; qingyuan: township
    seats, boundary, roaming; yaan: its own layers."""
    config = load(ROOT / "examples" / f"{example}.toml")
    inputs = read_county_inputs(config, source=example)
    assert reads and max(reads.values()) == 1, reads
    assert len(inputs.labels) == len(inputs.demand)
    assert inputs.spec is not None


def test_a_whole_county_run_reads_each_file_once(reads) -> None:
    """Planning, districts and the comparison use what the inputs step read."""
    config = load(ROOT / "examples" / "kangbashi.toml")
    done = run(config, source="kangbashi")
    assert max(reads.values()) == 1, reads
    assert {("kangbashi.gpkg", layer) for layer in ("demand", "sites", "boundary")} <= set(reads)
    assert done.county is not None and len(done.county.plan.districts) > 0


def test_a_site_configs_files_are_each_read_once(reads) -> None:
    inputs = read_site_inputs(load(ROOT / "examples" / "synthetic.toml"))
    assert sorted(reads.values()) == [1, 1, 1], reads  # villages, sites, roads
    assert inputs.travel.minutes.shape == (len(inputs.demand), len(inputs.sites))


def test_workbook_sheets_and_a_population_table_are_each_read_once(tmp_path, reads) -> None:
    """Villages, sites and travel minutes on three sheets of one workbook, populations in a
    GBK CSV joined by code."""
    with pytest.warns(HealthplanWarning, match=r"pop\.csv.*'331126100204'.*population 0"):
        inputs = read_site_inputs(load(excel_plan(tmp_path)))
    assert dict(reads) == {
        ("plan.xlsx", "村"): 1,
        ("plan.xlsx", 1): 1,
        ("plan.xlsx", "od"): 1,
        ("pop.csv", None): 1,
    }
    assert inputs.demand["id"].tolist() == [str(v[0]) for v in VILLAGES]
    assert inputs.demand["population"].tolist() == [1200.0, 850.0, 2345.0, 0.0]
    assert inputs.sites["name"].tolist() == ["竹口镇卫生院", "左溪镇卫生院"]
    assert inputs.travel.minutes.shape == (4, 2)


IDS = ["A", "B", "C", "D"]
NAMES = ["甲", "乙", "乙", "A"]
LABELS = ["东乡甲", "东乡乙", "西乡乙", "北乡A"]


def test_an_id_wins_over_a_name_and_a_unique_name_gives_its_id() -> None:
    assert resolve_names(["A", "甲", "西乡乙"], IDS, NAMES, LABELS, what="k") == ["A", "A", "C"]


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("乙", r"cfg: hub\.fixed: '乙' names 2 sites \(B, C\); use the id"),
        ("丙", r"cfg: hub\.fixed: '丙' is neither a site id nor a site name"),
    ],
)
def test_a_name_that_is_missing_or_shared_is_an_error(key, message) -> None:
    with pytest.raises(ConfigError, match=message):
        resolve_names([key], IDS, NAMES, what="hub.fixed", source="cfg")


def test_every_bad_name_is_listed_at_once() -> None:
    with pytest.raises(ConfigError) as caught:
        resolve_names(["乙", "丙", "B"], IDS, NAMES, what="k", noun="village")
    assert str(caught.value).count("\n") == 1 and "village" in str(caught.value)


def test_reading_polygons_as_points_leaves_the_callers_table_alone() -> None:
    squares = [shapely.box(x, 0, x + 100, 100) for x in (0, 500)]
    frame = gpd.GeoDataFrame({"id": ["a", "b"]}, geometry=squares, crs="EPSG:32650")
    source = geodata.layers.Source(Path("towns.gpkg"), "towns")
    demand = geodata.demand_frame(frame, source, population=None)
    assert set(demand.geom_type) == {"Point"}
    assert set(frame.geom_type) == {"Polygon"}
    assert frame.geometry.iloc[1].equals(squares[1])
