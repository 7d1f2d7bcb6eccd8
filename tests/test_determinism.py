"""The same config run twice gives byte-identical output files.

Only the timing tables differ: ``stages.csv``, the solve record of ``report.md`` /
``report.html`` and the solve-record sheet of ``plan.xlsx`` hold each county stage's seconds;
they are compared with those cells left out.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
from plan_samples import sample_plan
from python_calamine import CalamineWorkbook
from test_error_catalogue import Case

import geodata
from geodata.i18n import LANGUAGES, use_language
from optimizer.outputs.export import FIXED_DATE, write_outputs
from optimizer.outputs.labels import heading, value_text

ALL_FORMATS = '["gpkg", "shp", "geojson", "csv", "png", "xlsx"]'
TIMING_TABLES = {"stages.csv", "report.md", "report.html", "plan.xlsx"}


def run_twice(case: Case, tmp_path: Path, formats: str) -> tuple[Path, Path]:
    case.config = case.config.replace('formats = ["csv"]', f"formats = {formats}")
    outs = []
    for k in (1, 2):
        result = case.run(out=tmp_path / f"run{k}")
        assert result.exit_code == 0, result.output
        outs.append(tmp_path / f"run{k}")
    return outs[0], outs[1]


def files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def stage_names(folder: Path) -> list[str]:
    lines = (folder / "stages.csv").read_text(encoding="utf-8").splitlines()
    return [line.split(",", 1)[0] for line in lines[1:]]


def without_seconds(path: Path, stages: list[str]) -> str:
    """A timing table with the seconds of every stage left out."""
    if path.suffix == ".xlsx":
        return workbook_without_seconds(path)
    text = path.read_text(encoding="utf-8")
    if path.name == "stages.csv":
        return pd.read_csv(path).drop(columns="seconds").to_csv(index=False)
    for stage in map(value_text, stages):  # as the report shows it
        if path.suffix == ".md":
            pattern = rf"(?m)^(\| {stage} \|.*\| )[\d.,]+( \|)$"
        else:
            pattern = rf'(<tr><td>{stage}</td>.*<td class="num">)[\d.,]+(</td></tr>)'
        text, found = re.subn(pattern, r"\1-\2", text)
        assert found == 1, f"{path.name}: no solve-record row for stage {stage}"
    return text


def workbook_without_seconds(path: Path) -> str:
    """Every sheet's cells, the columns headed "seconds" (in any language) left out."""
    headers = set()
    for language in LANGUAGES:
        with use_language(language):
            headers.add(heading("seconds"))
    book = CalamineWorkbook.from_path(str(path))
    sheets = {}
    for name in book.sheet_names:
        rows = book.get_sheet_by_name(name).to_python()
        drop = {i for i, header in enumerate(rows[0] if rows else []) if header in headers}
        sheets[name] = [[c for i, c in enumerate(row) if i not in drop] for row in rows]
    return repr(sheets)


@pytest.mark.parametrize("kind", ["site", "county"])
def test_same_config_gives_byte_identical_outputs(kind, tmp_path):
    case = Case(geodata.synthetic_county(40, 10, seed=3), tmp_path)
    if kind == "county":
        case.write_county()
    first, second = run_twice(case, tmp_path, ALL_FORMATS)
    names = files(first)
    assert files(second) == names
    expected = {"plan.gpkg", "shp/sites.dbf", "geojson/sites.geojson", "summary.csv"}
    expected |= {"map.png", "manifest.json", "plan.xlsx"}
    if kind == "county":
        expected |= {"map.html", "staffing.csv"} | TIMING_TABLES
    assert expected <= set(names)
    stages = stage_names(first) if kind == "county" else []
    for name in names:
        a, b = first / name, second / name
        if name in TIMING_TABLES and kind == "county":
            assert without_seconds(a, stages) == without_seconds(b, stages), name
        else:
            assert a.read_bytes() == b.read_bytes(), name


def test_layers_carry_a_fixed_date_and_the_gdal_setting_is_restored(tmp_path):
    before = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    write_outputs(sample_plan(), tmp_path / "out", formats=["gpkg", "shp"])
    assert pyogrio.get_gdal_config_option("OGR_CURRENT_DATE") == before
    with sqlite3.connect(tmp_path / "out" / "plan.gpkg") as db:
        stamps = {row[0] for row in db.execute("SELECT last_change FROM gpkg_contents")}
    assert stamps == {f"{FIXED_DATE}T00:00:00.000Z"}
    header = (tmp_path / "out" / "shp" / "sites.dbf").read_bytes()[1:4]
    year, month, day = map(int, FIXED_DATE.split("-"))
    assert tuple(header) == (year - 1900, month, day)
