"""Tables planners keep in Excel, WPS or GBK CSV: workbook sheets, text encodings, 12-digit
village codes, thousands separators, and a population table joined by code."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from table_samples import xlsx

from geodata import HealthplanWarning, InputError, read_demand, read_sites, table_minutes
from geodata.layers import read_any
from geodata.tables import with_population

CODES = ["331126100201", "331126100202", "0123"]
NAMES = ["竹口村", "黄田村", "荷地村"]
# name, population as stored (a number, or text with separators), lon, lat
ROWS = [
    (331126100201, "竹口村", 12345, 119.10, 27.60),
    (331126100202, "黄田村", "1,234", 119.12, 27.61),
    ("0123", "荷地村", "１２，３４５", 119.15, 27.58),
]
HEADER = ["code", "名称", "pop", "lon", "lat"]


def xls(path: Path, rows: list[tuple], sheet: str = "村") -> Path:
    """An Excel 97-2003 workbook written with xlwt."""
    xlwt = pytest.importorskip("xlwt")
    book = xlwt.Workbook(encoding="utf-8")
    page = book.add_sheet(sheet)
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            page.write(r, c, cell)
    book.save(str(path))
    return path


def villages_book(tmp_path: Path, name: str = "villages.xlsx") -> Path:
    return xlsx(tmp_path / name, {"说明": [("县级村庄名录",)], "村": [HEADER, *ROWS]})


def read_villages(path: Path, **options) -> pd.DataFrame:
    return read_demand(path, id="code", name="名称", population="pop", **options)


def test_xlsx_sheet_by_name_or_index_keeps_codes_names_and_separated_numbers(tmp_path):
    path = villages_book(tmp_path)
    for sheet in ("村", 1):
        demand = read_villages(path, sheet=sheet)
        assert demand["id"].tolist() == CODES
        assert demand["name"].tolist() == NAMES
        assert demand["population"].tolist() == [12345.0, 1234.0, 12345.0]
        assert demand.crs.to_epsg() == 4326
        assert demand.attrs["source"] == f"{path} (sheet '村')"


def test_a_workbook_cell_reads_as_the_text_a_csv_holds(tmp_path):
    path = xlsx(
        tmp_path / "cells.xlsx",
        {"Sheet": [("code", "x", "flag"), (331126100201, 0.1, True), ("0123", 2.5e-7, None)]},
    )
    frame, source = read_any(path)
    assert frame.to_dict("list") == {
        "code": ["331126100201", "0123"],
        "x": ["0.1", "2.5e-07"],
        "flag": ["TRUE", np.nan],
    }
    assert str(source) == f"{path} (sheet 'Sheet')"


def test_rows_are_named_by_the_sheets_row_numbers(tmp_path):
    rows = [HEADER, *ROWS[:2], (), ("V9", "空村", "many", 119.2, 27.6)]
    path = xlsx(tmp_path / "bad.xlsx", {"村": rows})
    with pytest.raises(InputError) as caught:
        read_villages(path)
    message = str(caught.value)
    assert "bad.xlsx (sheet '村')" in message and "not a number on row 5 (id 'V9')" in message


def test_column_names_below_a_title_are_read_from_header_row(tmp_path):
    title = [("浙江省庆元县行政村人口统计表（2023年）",), (), ("单位：人",)]
    rows = [*title, HEADER, *ROWS[:2], ("V9", "空村", "many", 119.2, 27.6)]
    path = xlsx(tmp_path / "titled.xlsx", {"村": rows})
    with pytest.raises(InputError, match="give their row as header_row"):
        read_villages(path)
    with pytest.raises(InputError) as caught:
        read_villages(path, header_row=4)
    assert "not a number on row 7 (id 'V9')" in str(caught.value)  # the sheet's own numbering
    good = xlsx(tmp_path / "good.xlsx", {"村": [*title, HEADER, *ROWS]})
    demand = read_villages(good, header_row=4)
    assert demand["id"].tolist() == CODES and demand["name"].tolist() == NAMES
    with pytest.raises(InputError, match="row 9 holds no cells \\(rows 1 to 7 do\\)"):
        read_villages(good, header_row=9)
    body = "V1,甲村,12,119.1,27.6\nV2,乙村,x,119.1,27.6\n"
    text = "县村庄名录\n" + ",".join(HEADER) + "\n" + body
    csv = tmp_path / "titled.csv"
    csv.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match="give their row as header_row"):
        read_villages(csv)
    with pytest.raises(InputError) as caught:
        read_villages(csv, header_row=2)
    assert "not a number on line 4 (id 'V2')" in str(caught.value)
    layer = tmp_path / "villages.gpkg"
    demand.to_file(layer)
    with pytest.raises(InputError, match="header_row= applies to workbooks and CSV files only"):
        read_any(layer, header_row=2)


def test_xls_written_by_xlwt(tmp_path):
    path = xls(tmp_path / "villages.xls", [HEADER, *ROWS])
    demand = read_villages(path)
    assert demand["id"].tolist() == CODES
    assert demand["name"].tolist() == NAMES
    assert demand["population"].tolist() == [12345.0, 1234.0, 12345.0]


def test_ods(tmp_path):
    pytest.importorskip("odf")
    path = tmp_path / "villages.ods"
    frame = pd.DataFrame(ROWS, columns=HEADER).astype({"code": str})
    frame.to_excel(path, engine="odf", index=False, sheet_name="村")
    demand = read_villages(path)
    assert demand["id"].tolist() == CODES and demand["name"].tolist() == NAMES


def test_sites_from_a_workbook(tmp_path):
    rows = [
        ("id", "name", "kind", "beds", "lon", "lat"),
        ("S1", "竹口镇卫生院", "centre", "1,200", 119.1, 27.6),
    ]
    sites = read_sites(xlsx(tmp_path / "s.xlsx", {"s": rows}), kind="kind", capacity="beds")
    assert sites["name"].tolist() == ["竹口镇卫生院"] and sites["capacity"].tolist() == [1200.0]


@pytest.mark.parametrize(
    ("sheet", "fragment"),
    [("乡镇", "no sheet '乡镇'"), (5, "no sheet 5 (0-based index)")],
)
def test_a_missing_sheet_names_the_file_the_sheet_and_the_sheets_there_are(
    tmp_path, sheet, fragment
):
    path = villages_book(tmp_path)
    with pytest.raises(InputError) as caught:
        read_villages(path, sheet=sheet)
    message = str(caught.value)
    assert str(path) in message and fragment in message and "0: '说明', 1: '村'" in message


def test_without_a_sheet_several_filled_sheets_are_an_error_and_one_is_read(tmp_path):
    with pytest.raises(InputError, match=r"sheets '说明', '村' all hold cells; name one"):
        read_villages(villages_book(tmp_path))
    path = xlsx(tmp_path / "one.xlsx", {"村": [HEADER, *ROWS], "Sheet2": []})
    assert read_villages(path)["id"].tolist() == CODES


def test_sheet_and_layer_and_encoding_only_where_they_apply(tmp_path):
    path = villages_book(tmp_path)
    with pytest.raises(InputError, match="sheets, not layers"):
        read_any(path, "村")
    with pytest.raises(InputError, match="encoding= applies to CSV files only"):
        read_any(path, sheet="村", encoding="gbk")
    csv = tmp_path / "v.csv"
    csv.write_text("id\nV1\n", encoding="utf-8")
    with pytest.raises(InputError, match="sheet= applies to workbooks"):
        read_any(csv, sheet=0)


def test_a_file_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "v.xlsx"
    path.write_text("code,pop\n", encoding="utf-8")
    with pytest.raises(InputError, match="v.xlsx: cannot be read as a workbook"):
        read_any(path)


CSV_TEXT = (
    "code,名称,pop,lon,lat\n"
    '331126100201,竹口村,"12,345",119.10,27.60\n'
    "331126100202,黄田村,1234,119.12,27.61\n"
    "0123,荷地村,１２，３４５,119.15,27.58\n"
)


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-8"])
def test_csv_encodings_are_detected(tmp_path, encoding):
    path = tmp_path / "villages.csv"
    path.write_text(CSV_TEXT, encoding=encoding)
    demand = read_villages(path)
    assert demand["id"].tolist() == CODES
    assert demand["name"].tolist() == NAMES
    assert demand["population"].tolist() == [12345.0, 1234.0, 12345.0]
    assert read_any(path)[0].columns[0] == "code"  # no BOM left in the first name


def test_a_named_csv_encoding(tmp_path):
    path = tmp_path / "villages.csv"
    path.write_text(CSV_TEXT, encoding="gbk")
    assert read_villages(path, encoding="gbk")["name"].tolist() == NAMES
    with pytest.raises(InputError, match=r"villages.csv: not valid utf-8 text .* encoding="):
        read_villages(path, encoding="utf-8")
    with pytest.raises(InputError, match=r"villages.csv: encoding: unknown encoding 'gbkk'"):
        read_villages(path, encoding="gbkk")


def test_travel_table_in_a_workbook_and_in_gbk(tmp_path):
    rows = [("起点", "终点", "分钟"), (331126100201, "S1", "1,5"), (331126100201, "S2", 12.5)]
    book = xlsx(tmp_path / "od.xlsx", {"说明": [("OD",)], "od": rows})
    with pytest.raises(InputError, match="'分钟'"):  # "1,5" is no number
        table_minutes(book, ["331126100201"], ["S1", "S2"], **od_columns(), sheet="od")
    rows[1] = (331126100201, "S1", 15)
    xlsx(book, {"说明": [("OD",)], "od": rows})
    travel = table_minutes(book, ["331126100201"], ["S1", "S2"], **od_columns(), sheet=1)
    assert travel.minutes.toarray().tolist() == [[15.0, 12.5]]
    csv = tmp_path / "od.csv"
    csv.write_text("起点,终点,分钟\n331126100201,S1,15\n", encoding="gbk")
    travel = table_minutes(csv, ["331126100201"], ["S1"], **od_columns())
    assert travel.minutes.toarray().tolist() == [[15.0]]


def od_columns() -> dict[str, str]:
    return {"origin": "起点", "destination": "终点", "minutes": "分钟"}


@pytest.fixture
def points(tmp_path) -> tuple[pd.DataFrame, object]:
    """Village points without population, as read from a CSV file."""
    path = tmp_path / "points.csv"
    path.write_text(
        "code,名称,lon,lat\n331126100201,竹口村,119.1,27.6\n0123,荷地村,119.2,27.5\n",
        encoding="utf-8",
    )
    return read_any(path)


def test_population_table_joined_by_code(tmp_path, points):
    frame, source = points
    table = xlsx(
        tmp_path / "pop.xlsx",
        {"人口": [("村代码", "常住人口"), ("0123", "2,345"), (331126100201, 1200), ("9", 5)]},
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        joined = with_population(
            frame, source, table, id="code", key="村代码", population="常住人口"
        )
    assert joined["常住人口"].tolist() == [1200.0, 2345.0]
    assert "常住人口" not in frame.columns  # the caller's table is left as it was


def test_population_table_missing_codes_are_named_in_a_warning(tmp_path, points):
    frame, source = points
    table = tmp_path / "pop.csv"
    table.write_text("村代码,常住人口\n0123,50\n", encoding="gbk")
    with pytest.warns(HealthplanWarning) as caught:
        joined = with_population(
            frame, source, table, id="code", key="村代码", population="常住人口"
        )
    message = str(caught[0].message)
    assert "pop.csv" in message and "'331126100201'" in message and "population 0" in message
    assert joined["常住人口"].tolist() == [0.0, 50.0]


def test_population_table_code_on_two_rows_is_an_error(tmp_path, points):
    frame, source = points
    rows = [("村代码", "常住人口"), ("0123", 50), ("V7", 1), ("0123", 60)]
    table = xlsx(tmp_path / "pop.xlsx", {"人口": rows})
    with pytest.raises(InputError) as caught:
        with_population(frame, source, table, id="code", key="村代码", population="常住人口")
    message = str(caught.value)
    assert "pop.xlsx (sheet '人口')" in message
    assert "'0123' on row 2, row 4" in message and "one row per code" in message


def test_population_table_bad_cells_and_columns(tmp_path, points):
    frame, source = points
    table = tmp_path / "pop.csv"
    table.write_text("村代码,常住人口\n0123,many\n331126100201,1\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"pop.csv: .*not a number on line 2 \(id '0123'\)"):
        with_population(frame, source, table, id="code", key="村代码", population="常住人口")
    with pytest.raises(InputError, match=r"no column 'pop' \(given as population=\)"):
        with_population(frame, source, table, id="code", key="村代码", population="pop")
