"""Write the Qingyuan data as a county health commission keeps it (the files beside this
script): villages with Amap (GCJ-02) coordinates in a GBK CSV, and populations in an Excel
workbook with a notes sheet, thousands separators and 12-digit codes stored as numbers.

    python examples/data/make_qingyuan_own_data.py
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
from openpyxl import Workbook

from geodata.chinese_crs import wgs84_to_gcj02

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parents[1] / "geodata" / "data" / "qingyuan.gpkg"


def main() -> None:
    villages = gpd.read_file(SOURCE, layer="demand")
    lon, lat = wgs84_to_gcj02(villages.geometry.x.to_numpy(), villages.geometry.y.to_numpy())
    table = villages[["id", "township", "name"]].rename(
        columns={"id": "村代码", "township": "乡镇", "name": "村名"}
    )
    table["经度"] = np.round(lon, 7)
    table["纬度"] = np.round(lat, 7)
    table.to_csv(HERE / "qingyuan_villages_amap.csv", index=False, encoding="gbk")

    book = Workbook()
    notes = book.active
    notes.title = "说明"
    notes.append(["庆元县各村常住人口（示例数据，见 geodata/data/SOURCES.md）"])
    sheet = book.create_sheet("人口")
    sheet.append(["村代码", "村名", "常住人口"])
    for code, name, people in zip(
        villages["id"], villages["name"], villages["population"], strict=True
    ):
        sheet.append([int(code), name, f"{round(float(people)):,}"])
    book.save(HERE / "qingyuan_population.xlsx")


if __name__ == "__main__":
    main()
