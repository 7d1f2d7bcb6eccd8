"""The static maps (map.png): names of hubs, clinics and districts in the planner's language,
labels that do not overlap, routes under the sites, the missing-font fallback and
byte-identical output."""

from __future__ import annotations

import itertools
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString

import geodata
from geodata.errors import HealthplanWarning
from geodata.i18n import gettext as _
from geodata.i18n import use_language
from optimizer.county_spec import DEFAULT_STAFF, CountySpec, LevelSpec, StaffRule
from optimizer.outputs import county_map, maps
from optimizer.outputs.county_map import county_figure, district_name, plot_county
from optimizer.outputs.maps import plan_figure, plot_plan
from optimizer.plan.county import plan_county
from optimizer.plan.districts import district_polygons
from tests.plan_samples import sample_plan


@pytest.fixture(scope="module")
def county():
    """A small planned county with district polygons and one roaming route per vehicle."""
    data = geodata.synthetic_county(60, 12, seed=3)
    travel = geodata.straight_line_minutes(data.demand, data.sites, speed_kmh=30, max_minutes=60)
    spec = CountySpec(
        hub=LevelSpec(radius=20, kinds=("township_centre",), fixed_kinds=("county_hospital",)),
        clinic=LevelSpec(radius=10, kinds=("candidate", "township_centre"), share=0.8),
        district_minutes=60,
        staff=(StaffRule("doctors", 3.6 / 1000, 5, 2, 100.0), *DEFAULT_STAFF[1:]),
    )
    plan = plan_county(data.demand, data.sites, travel, spec)
    names = dict(zip(plan.districts["hub_id"], plan.districts["name"], strict=True))
    plan.districts = district_polygons(plan.assignments, names=names)
    points = plan.assignments.geometry.to_numpy()
    plan.routes = gpd.GeoDataFrame(
        {"vehicle": [1, 2]},
        geometry=[LineString(points[:4]), LineString(points[4:8])],
        crs=plan.sites.crs,
    )
    plan.assignments["roaming"] = False
    return plan


def cjk(text: str) -> bool:
    """Whether ``text`` holds CJK characters or full-width punctuation."""
    return any("\u2e80" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef" for ch in text)


def labels(figure, kind: str) -> list:
    """The label texts of one kind ("hub", "clinic", "district", "site") on the map."""
    return [t for t in figure.axes[0].texts if t.get_gid() == kind]


def test_hub_and_clinic_labels_are_the_chinese_names_of_the_open_sites(county):
    with use_language("zh"):
        figure = county_figure(county, title="示范县")
    sites = county.sites
    for level in ("hub", "clinic"):
        drawn = sorted(t.get_text() for t in labels(figure, level))
        assert drawn == sorted(sites.loc[sites["level"] == level, "name"])
        assert all(cjk(text) for text in drawn)
    assert not set(sites["site_id"]) & {t.get_text() for t in figure.axes[0].texts}


def test_districts_are_named_after_their_hubs(county):
    with use_language("zh"):
        figure = county_figure(county)
        expected = sorted(district_name(name) for name in county.districts["name"])
        assert district_name("黄田镇卫生院") == _("{name} district").format(name="黄田镇")
    assert sorted(t.get_text() for t in labels(figure, "district")) == expected
    assert len(expected) == len(county.districts)


def test_labels_do_not_overlap(county):
    figure = county_figure(county)
    renderer = figure.canvas.get_renderer()
    boxes = [
        t.get_window_extent(renderer) for kind in ("hub", "district") for t in labels(figure, kind)
    ]
    assert len(boxes) >= 4
    for a, b in itertools.combinations(boxes, 2):
        assert not a.overlaps(b), (a, b)


def test_hub_labels_leave_the_hub_markers_visible(county):
    figure = county_figure(county)
    ax = figure.axes[0]
    renderer = figure.canvas.get_renderer()
    hubs = county.sites[county.sites["level"] == "hub"]
    centres = ax.transData.transform([(p.x, p.y) for p in hubs.geometry])
    for text in labels(figure, "hub"):
        box = text.get_window_extent(renderer)
        assert not any(box.contains(x, y) for x, y in centres), text.get_text()


def test_routes_are_drawn_under_the_sites_and_labels(county):
    figure = county_figure(county)
    ax = figure.axes[0]
    by_label = {artist.get_label(): artist for artist in [*ax.collections, *ax.lines]}
    route_label = _("roaming route, vehicle {vehicle}").format(vehicle=1)
    routes = by_label[route_label]
    sites = [a for name, a in by_label.items() if name.startswith(("hub", "clinic"))]
    assert sites
    assert all(routes.get_zorder() < site.get_zorder() for site in sites)
    assert all(routes.get_zorder() < t.get_zorder() for t in ax.texts)


def test_title_carries_the_county_and_the_key_figures(county):
    with use_language("en"):
        figure = county_figure(county, title="示范县 plan")
    ax = figure.axes[0]
    texts = [t.get_text() for t in ax.texts] + [ax.get_title()]
    assert "示范县 plan" in texts
    figures = ax.get_title()
    summary = county.summary
    assert f"hubs: {summary.hubs}" in figures and f"clinics: {summary.clinics}" in figures
    assert f"within {summary.hub_radius:g} min of a hub: {100 * summary.hub_share:.1f}%" in (
        figures
    )


def test_legend_and_scale_bar_follow_the_language(county):
    for language in ("en", "zh"):
        with use_language(language):
            figure = county_figure(county)
            legend = [t.get_text() for t in figure.axes[0].get_legend().get_texts()]
            assert _("hub (existing site)") in legend or _("hub (new site)") in legend
            assert _("Legend") == figure.axes[0].get_legend().get_title().get_text()


def test_without_a_cjk_font_the_map_warns_and_falls_back_to_ids(county, tmp_path, monkeypatch):
    monkeypatch.setattr(maps, "_installed_cjk_font", lambda: None)
    with use_language("zh"), pytest.warns(HealthplanWarning):
        figure = county_figure(county, title="示范县")
    ax = figure.axes[0]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    texts = [t.get_text() for t in ax.texts] + [ax.get_title(), ax.get_xlabel(), *legend]
    assert not [text for text in texts if cjk(text)]
    hubs = county.sites.loc[county.sites["level"] == "hub", "site_id"]
    assert sorted(t.get_text() for t in labels(figure, "hub")) == sorted(hubs)
    with use_language("zh"), pytest.warns(HealthplanWarning):
        path = plot_county(county, tmp_path / "map.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.warns(HealthplanWarning):
        assert plot_plan(sample_plan(), tmp_path / "site.png").stat().st_size > 10_000


def test_same_plan_gives_the_same_png_bytes(county, tmp_path):
    first = plot_county(county, tmp_path / "a.png", title="示范县")
    second = plot_county(county, tmp_path / "b.png", title="示范县")
    assert first.read_bytes() == second.read_bytes()


def test_site_map_names_the_open_sites(tmp_path):
    plan = sample_plan()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        figure = plan_figure(plan, title="示例县")
    open_names = plan.sites.loc[plan.sites["open"].astype(bool), "name"]
    assert sorted(t.get_text() for t in labels(figure, "site")) == sorted(open_names)


def test_district_names_drop_the_institution_ending():
    with use_language("en"):
        assert district_name("黄田镇卫生院") == "黄田镇 district"
        assert district_name("松源街道社区卫生服务中心") == "松源街道 district"
        assert district_name("卫生院") == "卫生院 district"
        assert district_name("Hub A") == "Hub A district"
    assert county_map.MAX_LABELS >= 20


def test_a_phased_plan_labels_each_site_with_the_year_it_opens_or_becomes_a_hub(county):
    sites = county.sites.copy()
    hubs, clinics = sites["level"] == "hub", sites["level"] == "clinic"
    sites["hub_year"] = pd.Series(np.where(hubs, 2023, 0), dtype="Int64").where(hubs.to_numpy())
    first = clinics.to_numpy().nonzero()[0][:1]  # one clinic opens in the period
    sites["open_year"] = pd.Series([pd.NA] * len(sites), dtype="Int64")
    sites.loc[sites.index[first], "open_year"] = 2022
    phased = type(county)(**{**county.__dict__, "sites": sites})
    with use_language("zh"):
        figure = county_figure(phased)
    drawn = sorted(t.get_text() for t in labels(figure, "hub"))
    assert drawn == sorted(f"{name}（2023年）" for name in sites.loc[hubs, "name"])
    clinic_texts = {t.get_text() for t in labels(figure, "clinic")}
    name = sites["name"].iloc[first[0]]
    assert f"{name}（2022年）" in clinic_texts
    assert sum(text.endswith("年）") for text in clinic_texts) == 1
    with use_language("en"):
        figure = county_figure(phased)
    assert f"{name} (2022)" in {t.get_text() for t in labels(figure, "clinic")}
