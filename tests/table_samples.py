"""A small site plan whose inputs are kept the way planners keep them: villages and sites in an
Excel workbook, populations in a GBK CSV, travel minutes on a sheet."""

from __future__ import annotations

from pathlib import Path

import openpyxl

# code (a number in Excel), name, lon, lat
VILLAGES = [
    (331126100201, "竹口村", 119.10, 27.60),
    (331126100202, "黄田村", 119.12, 27.61),
    (331126100203, "荷地村", 119.15, 27.58),
    (331126100204, "左溪村", 119.30, 27.70),
]
SITES = [("S1", "竹口镇卫生院", 119.11, 27.60), ("S2", "左溪镇卫生院", 119.29, 27.69)]
POPULATION = '村代码,常住人口\n331126100201,"1,200"\n331126100202,850\n331126100203,2345\n'

CONFIG = """\
name = "表格县"

[demand]
path = "plan.xlsx"
sheet = "村"
header_row = 3
id = "代码"
name = "名称"
population = "常住人口"
lon = "经度"
lat = "纬度"
population_table = "pop.csv"
population_key = "村代码"

[sites]
path = "plan.xlsx"
sheet = 1
lon = "lon"
lat = "lat"

[travel]
mode = "table"
table = "plan.xlsx"
table_sheet = "od"

[model]
problem = "p-median"
p = 1

[output]
formats = ["gpkg", "csv"]
"""


def xlsx(path: Path, sheets: dict[str, list[tuple]]) -> Path:
    """A workbook written with openpyxl: per sheet the header row and data rows as cells."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(list(row))
    book.save(path)
    return path


def excel_plan(folder: Path) -> Path:
    """Write the workbook, the GBK population table and the config; the config's path.

    Village 331126100204 has no population row (a warning; population 0). The villages' sheet
    has a title above its column names.
    """
    od = [("origin", "destination", "minutes")]
    for code, _, x, y in VILLAGES:
        for site, _, sx, sy in SITES:
            od.append((code, site, round((abs(x - sx) + abs(y - sy)) * 100, 1)))
    xlsx(
        folder / "plan.xlsx",
        {
            "村": [("庆元县村庄名录",), (), ("代码", "名称", "经度", "纬度"), *VILLAGES],
            "点": [("id", "name", "lon", "lat"), *SITES],
            "od": od,
        },
    )
    (folder / "pop.csv").write_text(POPULATION, encoding="gbk")
    config = folder / "plan.toml"
    config.write_text(CONFIG, encoding="utf-8")
    return config
