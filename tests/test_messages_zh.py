"""Errors and warnings of the geodata readers in the planner's language: under
``use_language("zh")`` a bad input gives the Chinese message, naming the same file and column,
with no English sentence left; otherwise the English message is the one it always was."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

import geodata
from geodata import i18n
from geodata.errors import HealthplanWarning, InputError

CHINESE = re.compile(r"[\u4e00-\u9fff]")
QUOTED = re.compile(r"'[^']*'")
ENGLISH_WORDS = re.compile(r"\b[A-Za-z]{2,}(?: [A-Za-z]{2,}){2,}\b")  # three words in a row


def error(read, language: str) -> str:
    with i18n.use_language(language), pytest.raises(InputError) as caught:
        read()
    return str(caught.value)


def assert_chinese(message: str, *names: str) -> None:
    """Chinese text that names every one of `names` and holds no English sentence."""
    assert CHINESE.search(message), message
    for name in names:
        assert name in message, (name, message)
    rest = QUOTED.sub("", message)
    for name in names:
        rest = rest.replace(name, "")
    assert not ENGLISH_WORDS.search(rest), message


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_missing_file(tmp_path):
    path = tmp_path / "villages.csv"
    english = error(lambda: geodata.read_demand(path), "en")
    assert english == f"{path}: file not found; check the path and the working directory"
    chinese = error(lambda: geodata.read_demand(path), "zh")
    assert_chinese(chinese, str(path))
    assert "找不到" in chinese


def test_unknown_column(tmp_path):
    path = write_csv(tmp_path / "villages.csv", "id,name,pop,lon,lat\nV1,竹口村,120,119.1,27.6\n")
    english = error(lambda: geodata.read_demand(path), "en")
    assert english.startswith(
        f"{path}: no column 'population' (given as population=); its columns are 'id', "
        "'name', 'pop', 'lon', 'lat'; pass population= with one of them; if the column names "
        "sit below a title, give their row as header_row"
    )
    chinese = error(lambda: geodata.read_demand(path), "zh")
    assert_chinese(chinese, str(path), "'population'", "population=", "'pop'", "header_row")


def test_bad_population_cell(tmp_path):
    path = write_csv(
        tmp_path / "villages.csv",
        "id,name,population,lon,lat\nV1,竹口村,120,119.1,27.6\nV2,黄田村,一百,119.2,27.7\n",
    )
    english = error(lambda: geodata.read_demand(path), "en")
    assert english == (
        f"{path}: column 'population' (population, persons): not a number on line 3 "
        "(id 'V2') (values '一百'); fix these cells"
    )
    chinese = error(lambda: geodata.read_demand(path), "zh")
    assert_chinese(chinese, str(path), "'population'", "'V2'", "'一百'")
    assert "第 3 行" in chinese


def test_gcj02_polygon_layer_in_metres(tmp_path):
    path = tmp_path / "villages.gpkg"
    gpd.GeoDataFrame(
        {"id": ["V1"], "name": ["竹口村"], "population": [120]},
        geometry=[shapely.box(500_000, 3_000_000, 501_000, 3_001_000)],
        crs="EPSG:32650",
    ).to_file(path, layer="villages")
    english = error(lambda: geodata.read_demand(path, crs="GCJ-02"), "en")
    assert english == (
        f"{path}: crs = 'GCJ-02' applies to longitude/latitude in degrees, "
        "but the layer is in the projected CRS EPSG:32650 (metres); drop crs to use the "
        "layer's own CRS, or give the GCJ-02 / BD-09 longitude/latitude"
    )
    chinese = error(lambda: geodata.read_demand(path, crs="GCJ-02"), "zh")
    assert_chinese(chinese, str(path), "GCJ-02", "EPSG:32650")


def test_gcj02_warning(tmp_path):
    path = write_csv(
        tmp_path / "villages.csv", "id,name,population,lon,lat\nV1,竹口村,120,119.1,27.6\n"
    )
    for language in ("en", "zh"):
        with i18n.use_language(language), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            geodata.read_demand(path, crs="GCJ-02")
        (message,) = [str(w.message) for w in caught if w.category is HealthplanWarning]
        if language == "en":
            assert message == (
                f"{path}: coordinates converted from GCJ-02 to WGS84 (Amap/Tencent coordinates)"
            )
        else:
            assert_chinese(message, str(path), "GCJ-02", "WGS84")
