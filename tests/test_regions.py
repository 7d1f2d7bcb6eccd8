"""The committed example regions are what ``python -m geodata.regions`` builds, and keep the
public facts: township codes and names, unit counts, census county totals."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geodata.errors import InputError
from geodata.regions import REGIONS, build_region
from geodata.regions.__main__ import LAYERS, write_region

ROOT = Path(__file__).resolve().parents[1]
SOURCES = Path(__file__).resolve().parents[2] / "shared" / "geodata-sources"
DATA = ROOT / "geodata" / "data"
needs_sources = pytest.mark.skipif(
    not SOURCES.is_dir(), reason=f"shared data folder {SOURCES} is missing"
)


@needs_sources
@pytest.mark.parametrize("key", sorted(REGIONS))
def test_rebuild_matches_committed(key: str, tmp_path: Path) -> None:
    built = write_region(SOURCES, REGIONS[key], tmp_path)
    for layer in LAYERS:
        ours = gpd.read_file(built, layer=layer)
        committed = gpd.read_file(DATA / f"{key}.gpkg", layer=layer)
        pd.testing.assert_frame_equal(
            pd.DataFrame(ours.drop(columns="geometry")),
            pd.DataFrame(committed.drop(columns="geometry")),
        )
        assert ours.geometry.geom_equals_exact(committed.geometry, tolerance=1e-9).all(), layer


@needs_sources
@pytest.mark.parametrize("key", sorted(REGIONS))
def test_facts_kept(key: str) -> None:
    region = REGIONS[key]
    path = DATA / f"{key}.gpkg"
    townships = gpd.read_file(path, layer="townships")
    demand = gpd.read_file(path, layer="demand")
    facts_t = pd.read_csv(SOURCES / region.folder / "townships_2023.csv", dtype=str)
    facts_v = pd.read_csv(SOURCES / region.folder / "villages_2023.csv", dtype=str)
    assert townships.crs.to_epsg() == 4326 and demand.crs.to_epsg() == 4326
    pairs = sorted(zip(townships["township_code9"], townships["name"], strict=True))
    assert pairs == sorted(zip(facts_t["township_code9"], facts_t["township_name"], strict=True))
    assert sorted(demand["id"]) == sorted(facts_v["village_code12"])
    assert dict(zip(demand["id"], demand["name"], strict=True)) == dict(
        zip(facts_v["village_code12"], facts_v["village_name"], strict=True)
    )
    counts = facts_t.set_index("township_code9")
    for column, fact in (
        ("n_communities", "n_urban_communities_2023"),
        ("n_villages", "n_rural_villages_2023"),
    ):
        got = townships.set_index("township_code9")[column]
        assert (got == counts.loc[got.index, fact].astype(int)).all(), column
    census = pd.read_csv(SOURCES / "leiii-census-county-2020" / "census_county_2020_subset.csv")
    census.index = census["区划代码"].astype(int).astype(str)
    for code in region.counties:
        units = demand[demand["county_code6"] == code]
        assert units["population"].sum() == census.at[code, "人口数_合计"]
        urban = units.loc[units["unit_type"] == "urban_community", "population"].sum()
        rural = units.loc[units["unit_type"] == "rural_village", "population"].sum()
        if urban and rural:
            assert (urban, rural) == (census.at[code, "城镇人口"], census.at[code, "乡村人口"])
    by_township = demand.groupby("township_code9")["population"].sum()
    got = townships.set_index("township_code9")["population"]
    assert np.array_equal(got.to_numpy(), by_township.reindex(got.index).fillna(0).to_numpy())
    assert demand["synthetic"].str.contains("population").all()
    published = set(facts_v.loc[facts_v["lon_wgs84"].notna(), "village_code12"])
    kept = set(demand.loc[demand["synthetic"] == "population", "id"])
    assert kept <= published and len(kept) >= len(published) // 2
    boundary = gpd.read_file(path, layer="boundary").union_all()
    assert demand.within(boundary.buffer(1e-9)).all()


def test_missing_sources_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="townships_2023.csv: file not found"):
        build_region(tmp_path, REGIONS["qingyuan"])


@pytest.mark.parametrize("key", sorted(REGIONS))
def test_staff_on_post_follows_the_documented_rule(key: str) -> None:
    """Hospitals per resident of their county, centres 80 % of the national norms for their
    township, candidates none (geodata/data/SOURCES.md)."""
    path = DATA / f"{key}.gpkg"
    sites = gpd.read_file(path, layer="sites")
    demand = gpd.read_file(path, layer="demand")
    townships = gpd.read_file(path, layer="townships").set_index("township_code9")
    county_pop = demand.groupby("county_code6")["population"].sum()
    hospitals = sites[sites["kind"] == "county_hospital"]
    want = np.round(1.5e-3 * hospitals["county_code6"].map(county_pop).to_numpy())
    assert (hospitals["doctors_on_post"].to_numpy() == want).all()
    centres = sites[sites["kind"] == "township_centre"]
    pop = centres["township_code9"].map(townships["population"]).to_numpy(dtype=float)
    assert (centres["nurses_on_post"].to_numpy() == np.round(0.8 * (9 + 2e-4 * pop))).all()
    candidates = sites[sites["kind"] == "candidate"]
    assert (candidates.filter(like="_on_post").to_numpy() == 0).all()
    assert set(sites.loc[sites["kind"] != "candidate", "synthetic"]) == {"location,staff"}
