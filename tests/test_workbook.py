"""``plan.xlsx``: one sheet per table, read back with another reader (python-calamine) than
the writer (XlsxWriter), equals the CSV files and GeoPackage layers of the same run; ids stay
text, numbers are numbers; sheet names and headers follow the output language; header rows
are frozen and bold, columns are as wide as their text (checked with openpyxl)."""

from __future__ import annotations

import io
import math
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest
import test_error_catalogue as catalogue
from python_calamine import CalamineWorkbook
from shapely.geometry import Point

import geodata
from geodata.i18n import gettext, use_language
from optimizer.config import load
from optimizer.outputs.labels import heading
from optimizer.outputs.workbook import (
    SHEETS,
    is_id_column,
    sheet_name,
    text_width,
    write_workbook,
)
from optimizer.run import run, write

# Tables whose cells are text already in the plan (figures formatted by the comparison).
TEXT_TABLES = {"compare_plan_fixed"}

# 12-digit village codes (统计用区划代码) with a leading zero: must come back unchanged.
CODE = "0331261{:05d}"

# the error catalogue's configs, writing the workbook (site plan: in English)
FORMATS = 'formats = ["csv", "gpkg", "xlsx"]'
SITE_CONFIG = catalogue.SITE_CONFIG.replace('formats = ["csv"]', FORMATS)
COUNTY_CONFIG = catalogue.COUNTY_CONFIG.replace(
    "[solve]",
    """[roaming]
vehicles = 1
bases = ["S001"]
days = 10
visits = 1
may = "all"
rounds = 5
[compare]
plan_hubs = ["S002"]
hub_counts = [1, 2]
named_gaps = ["{gap}"]
[solve]""",
).replace('formats = ["csv"]', f'{FORMATS}\nlanguage = "zh"')


@pytest.fixture(scope="module")
def county() -> geodata.SyntheticCounty:
    made = geodata.synthetic_county(40, 10, seed=3)
    made.demand["id"] = [CODE.format(i) for i in range(len(made.demand))]
    return made


@pytest.fixture(scope="module")
def county_run(county, tmp_path_factory):
    """A small county plan (roaming and comparison included) solved once, written in Chinese."""
    folder = tmp_path_factory.mktemp("county")
    catalogue.Case(county, folder).write_county()
    config = folder / "plan.toml"
    config.write_text(COUNTY_CONFIG.replace("{gap}", CODE.format(3)), encoding="utf-8")
    solved = run(load(config))
    write(solved, folder / "out", inputs=[config])
    return solved, folder


@pytest.fixture(scope="module")
def site_out(county, tmp_path_factory) -> Path:
    """A p-median site plan from CSV tables, written in English."""
    folder = tmp_path_factory.mktemp("site")
    case = catalogue.Case(county, folder)
    case.config = SITE_CONFIG
    result = case.run(out=folder / "out")  # in English (--lang en)
    assert result.exit_code == 0, result.output
    return folder / "out"


def read_sheets(path: Path) -> dict[str, list[list]]:
    """Every sheet's cells, read with python-calamine."""
    book = CalamineWorkbook.from_path(str(path))
    return {
        name: book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        for name in book.sheet_names
    }


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """A table as its CSV file gives it back: every cell text, missing values empty."""
    buffer = io.StringIO(frame.to_csv(index=False))
    return pd.read_csv(buffer, dtype=str, keep_default_na=False)


def expected_tables(out: Path) -> dict[str, pd.DataFrame]:
    """Every CSV file and GeoPackage layer of ``out`` as text, keyed by table name; a point
    layer with its longitude and latitude (degrees, 7 decimals), as the workbook gives them."""
    tables = {}
    for layer, _ in pyogrio.list_layers(out / "plan.gpkg"):
        if layer == "assignment_lines":
            continue
        frame = pyogrio.read_dataframe(out / "plan.gpkg", layer=layer)
        table = pd.DataFrame(frame.drop(columns="geometry"))
        if (frame.geom_type == "Point").all():
            table["lon"], table["lat"] = frame.geometry.x.round(7), frame.geometry.y.round(7)
        tables[layer] = as_text(table)
    for path in out.glob("*.csv"):
        tables[path.stem] = pd.read_csv(path, dtype=str, keep_default_na=False)
    return tables


def same_cell(text: str, cell: object, column: str, table: str = "") -> bool:
    """Whether a workbook cell holds the value of a CSV cell, with the right type."""
    if text == "":
        return cell == ""
    if is_id_column(column) or table in TEXT_TABLES:
        return isinstance(cell, str) and cell == text
    if text in ("True", "False"):
        return isinstance(cell, bool) and str(cell) == text
    try:
        number = float(text)
    except ValueError:
        return cell == text
    if not math.isfinite(number):
        return cell == text
    return (
        isinstance(cell, int | float)
        and not isinstance(cell, bool)
        and math.isclose(cell, number, rel_tol=1e-14, abs_tol=1e-12)
    )


def shown_width(value: object) -> int:
    """Characters a cell shows: numbers in Excel's General format (10 digits at most)."""
    if isinstance(value, float | int) and not isinstance(value, bool):
        return len(f"{value:.10g}")
    return text_width(str(value))


def assert_workbook_matches(out: Path, language: str) -> dict[str, list[list]]:
    """Every sheet of ``out/plan.xlsx`` equals the matching table, header translated."""
    tables = expected_tables(out)
    sheets = read_sheets(out / "plan.xlsx")
    with use_language(language):
        titles = {sheet_name(gettext(SHEETS[key])): key for key in tables}
        assert sorted(sheets) == sorted(titles)
        for title, rows in sheets.items():
            table = tables[titles[title]]
            header, *body = rows
            assert header == [heading(c) for c in table.columns], title
            assert len(body) == len(table), title
            for row, values in zip(body, table.itertuples(index=False), strict=True):
                for cell, text, column in zip(row, values, table.columns, strict=True):
                    assert same_cell(text, cell, column, titles[title]), (title, column, text)
    return sheets


def test_county_workbook_equals_the_csv_files_and_layers(county_run) -> None:
    solved, folder = county_run
    sheets = assert_workbook_matches(folder / "out", "zh")
    assert len(sheets) >= 15  # layers, tables, timetable and the comparison's tables
    assert "plan.xlsx" in (folder / "out" / "manifest.json").read_text(encoding="utf-8")


def test_county_workbook_is_in_chinese(county_run, county) -> None:
    _, folder = county_run
    sheets = read_sheets(folder / "out" / "plan.xlsx")
    assert list(sheets)[:4] == ["汇总", "机构点位", "服务分配", "片区"]
    for title in ("人员配置", "智慧流动医院排班", "智慧流动医院停靠点", "求解记录", "对比-次中心"):
        assert title in sheets
    assert sheets["片区"][0] == ["次中心编码", "名称", "人口（人）", "需求单元数"]
    sites = sheets["机构点位"][0]
    assert {"机构编码", "服务人口（人）", "执业（助理）医师", "执业（助理）医师缺口"} <= set(sites)
    assert sheets["次中心覆盖曲线"][0][1] == "30 分钟内人口（人）"
    assignments = sheets["服务分配"]
    ids = [row[0] for row in assignments[1:]]
    assert ids == county.demand["id"].tolist()
    assert all(len(i) == 12 and i.startswith("0") for i in ids)
    assert {type(row[1]) for row in assignments[1:]} == {str}  # names
    assert {type(row[2]) for row in assignments[1:]} == {float}  # population


def test_county_workbook_in_english(county_run, tmp_path) -> None:
    solved, _ = county_run
    out = tmp_path / "en"
    write(replace(solved, language="en"), out)
    sheets = assert_workbook_matches(out, "en")
    assert list(sheets)[:4] == ["Summary", "Sites", "Assignments", "Districts"]
    assert "Roaming timetable" in sheets and "Solve record" in sheets
    assert sheets["Districts"][0] == ["Hub ID", "Name", "Population (persons)", "Demand units"]
    assert "Doctors: shortfall" in sheets["Sites"][0]


def test_site_workbook_equals_the_csv_and_layers(site_out, county) -> None:
    sheets = assert_workbook_matches(site_out, "en")
    assert list(sheets) == ["Summary", "Sites", "Assignments"]
    header = sheets["Sites"][0]
    assert header[:3] == ["Site ID", "Name", "Kind"]
    assert "Population served (persons)" in header
    assert [row[0] for row in sheets["Assignments"][1:]] == county.demand["id"].tolist()
    opened = [row[header.index("Open")] for row in sheets["Sites"][1:]]
    assert {type(v) for v in opened} == {bool} and sum(opened) == 3


def column_width(sheet, column: int) -> float:
    """Width of a column (1-based); openpyxl keeps a run of equal columns under its first."""
    for dimension in sheet.column_dimensions.values():
        if dimension.min <= column <= dimension.max:
            return dimension.width
    raise AssertionError(f"{sheet.title}: no width for column {column}")


def test_frozen_bold_header_and_widths(county_run) -> None:
    _, folder = county_run
    book = openpyxl.load_workbook(folder / "out" / "plan.xlsx")
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title
        for cell in sheet[1]:
            assert cell.font.b, (sheet.title, cell.value)
            letter = cell.column_letter
            width = column_width(sheet, cell.column)
            longest = max(shown_width(c.value) for c in sheet[letter] if c.value is not None)
            assert min(longest, 58) <= width <= 60, (sheet.title, cell.value, width)
    assignments = book.worksheets[2]
    names = [c.value for c in assignments["B"][1:]]
    assert column_width(assignments, 2) >= 2 * max(map(len, names))


def test_cell_types_and_sheet_names(tmp_path) -> None:
    table = pd.DataFrame(
        {
            "site_id": [331126100201, 331126100202, np.nan],  # numeric ids: text all the same
            "demand_id": ["033126100201", "=SUM(1)", None],
            "open": [True, False, True],
            "population": [1200.5, np.nan, np.inf],
            "visits": np.array([1, 2, 3], dtype="int64"),
            "remark": ["=1+1", "卫生院", ""],
        }
    )
    layer = gpd.GeoDataFrame(
        {"demand_id": ["a", "b", "c"]},
        geometry=[Point(500_000, 3_400_000), Point(500_001.5, 3_400_002), Point(0, 0)],
        crs="EPSG:4547",
    )
    path = write_workbook(
        {"a/very:long*sheet name that Excel would refuse": table, "a:b": table, "A/B": layer},
        tmp_path / "t.xlsx",
    )
    sheets = read_sheets(path)
    assert list(sheets) == ["a-very-long-sheet name that Exc", "a-b", "A-B (2)"]
    first, second = "a-very-long-sheet name that Exc", "A-B (2)"
    rows = sheets[first]
    assert [r[0] for r in rows[1:]] == ["331126100201", "331126100202", ""]
    assert [r[1] for r in rows[1:]] == ["033126100201", "=SUM(1)", ""]
    assert [r[2] for r in rows[1:]] == [True, False, True]
    assert [r[3] for r in rows[1:]] == [1200.5, "", "inf"]
    assert [r[4] for r in rows[1:]] == [1.0, 2.0, 3.0]
    assert [r[5] for r in rows[1:]] == ["=1+1", "卫生院", ""]
    book = openpyxl.load_workbook(path)
    assert book[first]["B3"].data_type == "s"  # text, not a formula
    assert sheets[second][0] == [heading(c) for c in ("demand_id", "x", "y")]
    assert sheets[second][2][1:] == [500_001.5, 3_400_002.0]


def test_english_headers_and_unknown_columns_keep_their_name() -> None:
    with use_language("en"):
        assert heading("population_served") == "Population served (persons)"
        assert heading("shortfall_midwives") == "midwives: shortfall"
        assert heading("existing_doctors") == "Doctors: on post"
        assert heading("within 10 min with the plan") == "Within 10 min with the plan"
        assert heading("road_class") == "road_class"
    assert text_width("卫生院 A") == 8
    assert sheet_name("x", ["x"]) == "x (2)"


def test_chinese_headers() -> None:
    with use_language("zh"):
        assert heading("population_served") == "服务人口（人）"
        assert heading("existing_doctors") == "执业（助理）医师在岗"
        assert heading("within 10 min now") == "现状 10 分钟内"
        assert heading("road_class") == "road_class"
