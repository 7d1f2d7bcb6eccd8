"""A phased county plan's outputs: phasing.csv, the workbook's phasing sheet, the chart
phasing.png, the report's phasing section (in English and Chinese) and the sites' opening
years in the GIS layers; a plan without phases writes none of them."""

from __future__ import annotations

import struct
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest
from python_calamine import CalamineWorkbook

import geodata
from geodata.i18n import use_language
from optimizer.county_spec import PHASING_COLUMNS, CountySpec, LevelSpec, PhasesSpec
from optimizer.outputs.county_export import write_county_outputs
from optimizer.outputs.labels import heading, value_text
from optimizer.outputs.phasing_chart import plot_phasing
from optimizer.outputs.report import markdown_report, report_blocks
from optimizer.plan.county import plan_county
from optimizer.plan.county_result import CountyRun
from optimizer.plan.districts import district_polygons

FORMATS = ("gpkg", "shp", "csv", "png", "xlsx")
YEARS = [2021, 2022, 2023]
PHASING = pd.DataFrame(
    {
        "year": YEARS,
        "population": [100_000.0, 101_000.0, 102_500.0],
        "hub_population": [50_000.0, 61_000.0, 72_000.0],
        "share_within_hub_radius": [0.5, 61_000 / 101_000, 72_000 / 102_500],
        "clinic_population": [80_000.0, 85_000.0, 90_000.0],
        "share_within_clinic_radius": [0.8, 85_000 / 101_000, 90_000 / 102_500],
        "hubs": [2, 3, 3],
        "clinics": [5, 6, 7],
        "new_hubs": [0, 1, 0],
        "new_clinics": [1, 1, 0],
        "spending": [1_200_000.0, 3_500_000.0, 0.0],
        "budget": [2_000_000.0, np.nan, 1_000_000.0],
        "hired_doctors": [3.0, 2.0, 1.0],
    }
)


@pytest.fixture(scope="module")
def county_run() -> CountyRun:
    """A small county plan solved once, with district polygons, not phased."""
    county = geodata.synthetic_county(40, 10, seed=3)
    travel = geodata.straight_line_minutes(
        county.demand, county.sites, speed_kmh=30, max_minutes=60
    )
    spec = CountySpec(
        hub=LevelSpec(radius=20, kinds=("township_centre",), fixed_kinds=("county_hospital",)),
        clinic=LevelSpec(radius=10, kinds=("candidate", "township_centre"), share=0.8),
        district_minutes=60,
    )
    plan = plan_county(county.demand, county.sites, travel, spec)
    names = dict(zip(plan.districts["hub_id"], plan.districts["name"], strict=True))
    plan.districts = district_polygons(plan.assignments, None, names=names)
    return CountyRun(name="Test county", spec=spec, plan=plan, boundary=None, travel=travel)


def site_years(sites: pd.DataFrame) -> pd.DataFrame:
    """The sites with ``open_year`` (new open sites, one per year in turn; nullable integers)
    and ``hub_year`` (hubs that are not fixed: the first in 2021, the others in 2022)."""
    sites = sites.copy()
    new = (sites["status"] == "new").to_numpy()
    open_year = pd.array([pd.NA] * len(sites), dtype="Int64")
    open_year[new] = [YEARS[k % len(YEARS)] for k in range(int(new.sum()))]
    sites["open_year"] = open_year
    upgraded = np.flatnonzero(((sites["level"] == "hub") & (sites["status"] == "new")).to_numpy())
    hub_year = np.full(len(sites), np.nan)
    hub_year[upgraded] = [2021.0] + [2022.0] * (len(upgraded) - 1)
    sites["hub_year"] = hub_year
    return sites


@pytest.fixture(scope="module")
def phased(county_run: CountyRun) -> CountyRun:
    plan = replace(county_run.plan, phasing=PHASING.copy(), sites=site_years(county_run.plan.sites))
    return replace(county_run, plan=plan)


@pytest.fixture(scope="module")
def written(phased: CountyRun, tmp_path_factory) -> dict[str, Path]:
    """The phased plan written in English and in Chinese."""
    folders = {}
    for lang in ("en", "zh"):
        out = tmp_path_factory.mktemp(f"phased_{lang}") / "out"
        with use_language(lang):
            write_county_outputs(phased, out, formats=FORMATS, title="Test county")
        folders[lang] = out
    return folders


def test_the_plan_has_upgrades_and_new_sites_to_date(phased: CountyRun) -> None:
    sites = phased.plan.sites
    assert sites["hub_year"].notna().sum() >= 2
    assert sites["open_year"].notna().sum() >= 3


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_phasing_csv_holds_the_table(written, lang) -> None:
    read = pd.read_csv(written[lang] / "phasing.csv", encoding="utf-8")
    assert list(read.columns) == list(PHASING.columns)
    pd.testing.assert_frame_equal(read, PHASING, check_dtype=False)


@pytest.mark.parametrize(
    ("lang", "title", "after", "before"),
    [
        ("en", "Phasing", "Staffing", "Solve record"),
        ("zh", "分年度实施", "人员配置", "求解记录"),
    ],
)
def test_the_workbook_has_a_phasing_sheet(written, lang, title, after, before) -> None:
    book = CalamineWorkbook.from_path(str(written[lang] / "plan.xlsx"))
    names = book.sheet_names
    assert title in names
    assert names.index(after) < names.index(title) < names.index(before)
    rows = book.get_sheet_by_name(title).to_python(skip_empty_area=False)
    with use_language(lang):
        assert rows[0] == [heading(c) for c in PHASING.columns]
    assert [int(row[0]) for row in rows[1:]] == YEARS
    assert [float(row[10]) for row in rows[1:]] == PHASING["spending"].tolist()
    assert rows[2][11] == ""  # no own budget in 2022: an empty cell


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_chart_is_a_png_linked_from_the_report(written, lang) -> None:
    width, height = png_size(written[lang] / "phasing.png")
    assert 500 <= width <= 2000 and 300 <= height <= 1500
    alt = {"en": "phasing chart", "zh": "分年度实施图"}[lang]
    assert f"![{alt}](phasing.png)" in (written[lang] / "report.md").read_text(encoding="utf-8")
    page = (written[lang] / "report.html").read_text(encoding="utf-8")
    assert f'<img src="phasing.png" alt="{alt}">' in page


def section(text: str, heading_line: str) -> str:
    """The Markdown from ``heading_line`` to the next second-level heading."""
    start = text.index(heading_line)
    end = text.find("\n## ", start + 1)
    return text[start : end if end >= 0 else None]


@pytest.mark.parametrize(
    ("lang", "title", "staffing", "stages", "texts"),
    [
        (
            "en",
            "Phasing",
            "Staffing",
            "Solve record",
            [
                "phased over 2021-2023 and spends 4,700,000 yuan in all; the last new hub or "
                "clinic opens in 2022.",
                "Doctors: hired",
                "Year it becomes a hub",
                f"{61_000 / 101_000:.1%}",  # the 2022 share within the hub radius
            ],
        ),
        (
            "zh",
            "分年度实施",
            "人员配置",
            "求解记录",
            [
                "规划分 2021—2023 年实施，共支出 4,700,000 元；最后新增的次中心或基层医疗卫生"
                "机构于 2022 年启用。",
                "执业（助理）医师新招聘",
                "成为次中心年份",
                f"{61_000 / 101_000:.1%}",
            ],
        ),
    ],
)
def test_the_report_has_the_phasing_section(written, lang, title, staffing, stages, texts) -> None:
    md = (written[lang] / "report.md").read_text(encoding="utf-8")
    html = (written[lang] / "report.html").read_text(encoding="utf-8")
    assert md.index(f"## {staffing}") < md.index(f"## {title}") < md.index(f"## {stages}")
    assert f"<h2>{title}</h2>" in html
    part = section(md, f"## {title}")
    for year in YEARS:
        assert f"| {year} |" in part
        assert f"<td>{year}</td>" in html
    for text in texts:
        assert text in part
    assert "phasing.csv" in md


def test_the_sites_table_lists_each_site_by_its_years(written, phased) -> None:
    part = section((written["en"] / "report.md").read_text(encoding="utf-8"), "## Phasing")
    sites = phased.plan.sites
    dated = sites[sites["open_year"].notna() | sites["hub_year"].notna()]
    cells = [[cell.strip() for cell in line.strip("|").split("|")] for line in part.splitlines()]
    rows = [row for row in cells if row[0] in set(sites["site_id"])]
    assert sorted(row[0] for row in rows) == sorted(dated["site_id"])
    for row in rows:
        site = sites.set_index("site_id").loc[row[0]]
        assert row[-2:] == [
            "" if pd.isna(site[c]) else str(int(site[c])) for c in ("open_year", "hub_year")
        ]
    first = [min(int(cell) for cell in row[-2:] if cell) for row in rows]
    assert first == sorted(first)  # ordered by the first year a site is dated


def test_the_layers_carry_the_years(written, phased) -> None:
    sites = phased.plan.sites.set_index("site_id")
    for layer in (
        pyogrio.read_dataframe(written["en"] / "shp" / "sites.shp"),
        pyogrio.read_dataframe(written["en"] / "plan.gpkg", layer="sites"),
    ):
        assert {"open_year", "hub_year"} <= set(layer.columns)
        read = layer.set_index("site_id")
        for column in ("open_year", "hub_year"):
            expected = pd.to_numeric(sites[column]).astype(float)
            got = pd.to_numeric(read.loc[expected.index, column]).astype(float)
            np.testing.assert_array_equal(got.to_numpy(), expected.to_numpy())


def test_a_plan_without_phases_has_no_phasing_outputs(county_run, tmp_path) -> None:
    assert county_run.plan.phasing is None
    with use_language("en"):
        write_county_outputs(county_run, tmp_path / "out", formats=FORMATS, title="Test county")
    out = tmp_path / "out"
    assert not (out / "phasing.csv").exists()
    assert not (out / "phasing.png").exists()
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "## Phasing" not in md and "phasing" not in md
    assert "Phasing" not in CalamineWorkbook.from_path(str(out / "plan.xlsx")).sheet_names


def test_report_blocks_take_the_chart_file(phased) -> None:
    with use_language("en"):
        with_chart = markdown_report(
            report_blocks(phased.plan, phased.spec, title="T", phasing_file="chart.png")
        )
        without = markdown_report(report_blocks(phased.plan, phased.spec, title="T"))
    assert "](chart.png)" in section(with_chart, "## Phasing")
    assert "](chart.png)" not in without and "## Phasing" in without
    none_opens = replace(phased.plan, phasing=PHASING.assign(new_hubs=0, new_clinics=0))
    with use_language("en"):
        text = markdown_report(report_blocks(none_opens, phased.spec, title="T"))
    assert "no hub or clinic opens in the period" in section(text, "## Phasing")
    assert "the last new hub or clinic opens" in section(without, "## Phasing")


def test_every_phasing_column_has_a_heading_in_both_languages() -> None:
    for lang in ("en", "zh"):
        with use_language(lang):
            for column in [*PHASING_COLUMNS, "hired_doctors", "open_year", "hub_year"]:
                assert heading(column) != column, (lang, column)
            if lang == "zh":
                assert all(not heading(c).isascii() for c in PHASING_COLUMNS), lang
                assert value_text("person_years") == "覆盖人·年"


def test_a_chart_without_budgets_or_spending_is_drawn(tmp_path) -> None:
    flat = PHASING.assign(budget=np.nan, spending=0.0)
    path = plot_phasing(flat, tmp_path / "flat.png")
    width, height = png_size(path)
    assert width > 400 and height > 250
    budgeted = plot_phasing(PHASING, tmp_path / "budgeted.png")
    assert budgeted.read_bytes() != path.read_bytes()


def test_a_solved_phased_plan_is_written_with_its_table_chart_and_years(tmp_path) -> None:
    """A plan solved with [phases] (the model's own phasing table and site years)."""
    county = geodata.synthetic_county(40, 10, seed=3)
    travel = geodata.straight_line_minutes(
        county.demand, county.sites, speed_kmh=30, max_minutes=60
    )
    population = county.demand["population"].to_numpy(dtype=float)
    phases = PhasesSpec(
        years=(2024, 2025, 2026),
        population=np.vstack([population, 1.01 * population, 1.02 * population]),
        budget=np.array([2e6, np.inf, 2e6]),
        hires={"doctors": (5.0, 5.0, 5.0)},
    )
    spec = CountySpec(
        hub=LevelSpec(radius=20, kinds=("township_centre",), fixed_kinds=("county_hospital",)),
        clinic=LevelSpec(
            radius=10, kinds=("candidate", "township_centre"), share=0.8, cost_column="fixed_cost"
        ),
        district_minutes=60,
        phases=phases,
    )
    plan = plan_county(county.demand, county.sites, travel, spec)
    assert plan.phasing is not None and "hired_doctors" in plan.phasing.columns
    names = dict(zip(plan.districts["hub_id"], plan.districts["name"], strict=True))
    plan.districts = district_polygons(plan.assignments, None, names=names)
    solved = CountyRun(name="Phased", spec=spec, plan=plan, boundary=None, travel=travel)
    out = tmp_path / "out"
    with use_language("zh"):
        write_county_outputs(solved, out, formats=("csv", "shp", "png"), title="Phased")
    read = pd.read_csv(out / "phasing.csv", encoding="utf-8")
    pd.testing.assert_frame_equal(read, plan.phasing, check_dtype=False)
    md = (out / "report.md").read_text(encoding="utf-8")
    part = section(md, "## 分年度实施")
    assert all(f"| {year} |" in part for year in phases.years)
    assert "](phasing.png)" in part
    png_size(out / "phasing.png")
    layer = pyogrio.read_dataframe(out / "shp" / "sites.shp").set_index("site_id")
    expected = plan.sites.set_index("site_id")["open_year"].astype(float)
    got = layer.loc[expected.index, "open_year"].astype(float)
    np.testing.assert_array_equal(got.to_numpy(), expected.to_numpy())
    assert expected.notna().any()
    html = (out / "map.html").read_text(encoding="utf-8")
    assert '"open_year"' in html and '"hub_year"' in html  # popup fields of the sites
    opened = plan.sites["open_year"].dropna().astype(int).astype(str)
    assert all(f'"open_year": "{year}"' in html for year in opened)
