"""The county plan report: sections, warnings, staffing tables and HTML escaping."""

from __future__ import annotations

import pytest

import geodata
from geodata.i18n import use_language
from optimizer.county_spec import DEFAULT_STAFF, CountySpec, LevelSpec, StaffRule
from optimizer.outputs.report import html_report, level_counts, markdown_report, report_blocks
from optimizer.plan.county import plan_county

TITLE = "测试县 <plan>"


@pytest.fixture(scope="module")
def planned():
    county = geodata.synthetic_county(60, 12, seed=3)
    demand = county.demand.copy()
    demand.loc[0, "name"] = "A&B <村>"
    travel = geodata.straight_line_minutes(demand, county.sites, speed_kmh=30, max_minutes=60)
    spec = CountySpec(
        hub=LevelSpec(radius=20, kinds=("township_centre",), fixed_kinds=("county_hospital",)),
        clinic=LevelSpec(radius=10, kinds=("candidate", "township_centre"), share=0.8),
        district_minutes=60,
        staff=(StaffRule("doctors", 3.6 / 1000, 5, 2, 100.0), *DEFAULT_STAFF[1:]),
    )
    return plan_county(demand, county.sites, travel, spec), spec


@pytest.fixture(autouse=True)
def english():
    with use_language("en"):
        yield


def test_markdown_has_every_section_and_the_stages(planned) -> None:
    plan, spec = planned
    md = markdown_report(report_blocks(plan, spec, title=TITLE, map_file="map.png"))
    assert md.startswith(f"# {TITLE}\n")
    for heading in ("Coverage", "Sites opened and kept", "Districts", "Staffing", "Solve record"):
        assert f"\n## {heading}\n" in md
    for record in plan.stages:  # codes shown as words: new_sites as "new sites"
        assert f"| {record.stage.replace('_', ' ')} | {record.status} |" in md
    assert "![map](map.png)" in md
    assert f"hubs {level_counts(plan, 'hub')}" in md


def test_unreachable_units_are_listed_as_warnings(planned) -> None:
    plan, spec = planned
    md = markdown_report(report_blocks(plan, spec, title=TITLE))
    assert md.count("> **Warning:**") == 2
    for level in ("hub", "clinic"):
        ids = plan.unreachable[level]
        assert ids
        assert f"{len(ids)} unit(s)" in md
        assert all(i in md for i in ids)


def test_html_escapes_names_and_links_the_map(planned) -> None:
    plan, spec = planned
    page = html_report(report_blocks(plan, spec, title=TITLE, map_file="map.png"))
    assert "<title>测试县 &lt;plan&gt;</title>" in page
    assert "<村>" not in page
    assert '<img src="map.png" alt="map">' in page
    assert page.count("<table>") >= 4


def test_staffing_need_pool_and_shortfall_by_site(planned) -> None:
    plan, spec = planned
    md = markdown_report(report_blocks(plan, spec, title=TITLE))
    doctors = plan.staffing.set_index("staff_type").loc["doctors"]
    assert doctors["pool"] == 100 and doctors["shortfall"] > 0
    assert "| Doctors | " in md  # the staff type as a word
    assert "Shortfall by site and type:" in md
    assert "No site is short of staff." not in md


def test_the_report_in_chinese(planned) -> None:
    plan, spec = planned
    with use_language("zh"):
        blocks = report_blocks(plan, spec, title=TITLE, map_file="map.png")
        md, page = markdown_report(blocks), html_report(blocks)
    for heading in ("覆盖情况", "开设与保留的机构", "片区", "人员配置", "求解记录"):
        assert f"\n## {heading}\n" in md
    assert "| 层级 | 服务半径（分钟） | 覆盖人口 |" in md  # table headings
    for record in plan.stages:
        assert f"| {record.stage} |" not in md  # stage names and statuses translated too
    assert "| 覆盖 | 最优 |" in md and "![地图](map.png)" in md
    assert '<html lang="zh-CN">' in page and "<th>机构编码</th>" in page
