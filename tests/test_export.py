"""Writing a plan: Chinese names survive every format, and writes are atomic."""

from __future__ import annotations

import json
import warnings

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from plan_samples import sample_plan

import optimizer.outputs.export as export
from geodata.errors import InputError
from optimizer.outputs.export import shapefile_columns, write_outputs
from optimizer.outputs.maps import plot_plan

SITE_NAMES = ["县人民医院", "石门镇卫生院", "候选点·甲"]
VILLAGE_NAMES = ["张家村", "李家湾", "王庄", "赵家岭", "深山坳"]


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """All formats of the sample plan, written once for the module."""
    out = tmp_path_factory.mktemp("export") / "plan"
    files = write_outputs(sample_plan(), out, title="示例县")
    return out, files


def test_every_listed_file_exists_inside_out_dir(written):
    out, files = written
    assert files and all(f.is_file() and out in f.parents for f in files)
    names = {f.relative_to(out).as_posix() for f in files}
    assert {"plan.gpkg", "summary.csv", "map.png", "shp/sites.shp", "shp/sites.cpg"} <= names
    assert {f"geojson/{layer}.geojson" for layer in export.LAYERS} <= names


def test_gpkg_keeps_chinese_names_in_all_layers(written):
    out, _ = written
    layers = pyogrio.list_layers(out / "plan.gpkg")[:, 0].tolist()
    assert sorted(layers) == sorted(export.LAYERS)
    sites = gpd.read_file(out / "plan.gpkg", layer="sites")
    assert sites["name"].tolist() == SITE_NAMES
    assert "population_served" in sites.columns
    assignments = gpd.read_file(out / "plan.gpkg", layer="assignments")
    assert assignments["name"].tolist() == VILLAGE_NAMES
    assert assignments["site_name"].tolist()[:2] == ["县人民医院", "县人民医院"]


def test_outputs_are_reprojected_to_wgs84(written):
    out, _ = written
    sites = gpd.read_file(out / "plan.gpkg", layer="sites")
    assert sites.crs.to_epsg() == 4326
    x, y = sites.geometry.iloc[0].x, sites.geometry.iloc[0].y
    assert 113 < x < 115 and 30 < y < 31.5


def test_shapefile_is_utf8_with_cpg_and_short_column_names(written):
    out, _ = written
    for layer in export.LAYERS:
        cpg = out / "shp" / f"{layer}.cpg"
        assert cpg.read_text(encoding="ascii").strip().upper() == "UTF-8"
    sites = gpd.read_file(out / "shp" / "sites.shp")
    assert sites["name"].tolist() == SITE_NAMES
    assert all(len(column) <= 10 for column in sites.columns)
    assert sites["pop_served"].tolist()[:2] == [2000.0, 750.0]
    assignments = gpd.read_file(out / "shp" / "assignments.shp")
    assert assignments["name"].tolist() == VILLAGE_NAMES


def test_geojson_and_csv_keep_chinese(written):
    out, _ = written
    lines = gpd.read_file(out / "geojson" / "assignments.geojson")
    assert lines["name"].tolist() == VILLAGE_NAMES
    summary = pd.read_csv(out / "summary.csv", encoding="utf-8")
    assert summary.columns.tolist() == ["item", "value"]
    assert "示例县道路网" in summary["value"].tolist()


def test_map_is_a_png(written):
    out, _ = written
    assert (out / "map.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_map_draws_chinese_names_without_warnings(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plot_plan(sample_plan(), tmp_path / "map.png", title="示例县 p-median")
    assert (tmp_path / "map.png").stat().st_size > 10_000


def test_only_requested_formats(tmp_path):
    files = write_outputs(sample_plan(), tmp_path / "out", formats=["csv", "geojson"])
    assert sorted(f.relative_to(tmp_path / "out").as_posix() for f in files) == [
        "geojson/assignment_lines.geojson",
        "geojson/assignments.geojson",
        "geojson/sites.geojson",
        "manifest.json",
        "summary.csv",
    ]


def test_unknown_format(tmp_path):
    with pytest.raises(InputError, match="unknown 'kml' .allowed: gpkg, shp, geojson, csv, png"):
        write_outputs(sample_plan(), tmp_path / "out", formats=["kml"])


def test_rewrite_replaces_the_previous_outputs(tmp_path):
    out = tmp_path / "out"
    write_outputs(sample_plan(), out, formats=["shp", "csv"])
    write_outputs(sample_plan(), out, formats=["csv"])
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "summary.csv"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_failure_midway_keeps_old_outputs_and_leaves_no_temp_folder(tmp_path, monkeypatch):
    out = tmp_path / "out"
    write_outputs(sample_plan(), out, formats=["csv", "geojson"])
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}

    def broken_map(*args, **kwargs):
        raise RuntimeError("disk full while drawing")

    monkeypatch.setattr(export, "plot_plan", broken_map)
    with pytest.raises(RuntimeError, match="disk full"):
        write_outputs(sample_plan(), out)
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_failure_on_first_run_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(export, "plot_plan", lambda *a, **k: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        write_outputs(sample_plan(), tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_refuses_to_replace_a_folder_with_other_files(tmp_path):
    (tmp_path / "notes.docx").write_text("keep me")
    with pytest.raises(InputError, match="notes.docx.*choose a new or empty folder"):
        write_outputs(sample_plan(), tmp_path)
    assert (tmp_path / "notes.docx").read_text() == "keep me"


def test_manifest_lists_every_file_without_dates(tmp_path):
    files = write_outputs(sample_plan(), tmp_path / "a", formats=["csv", "shp"])
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest == {
        "tool": "healthplan",
        "version": manifest["version"],
        "files": sorted(f.relative_to(tmp_path / "a").as_posix() for f in files[:-1]),
    }
    assert files[-1].name == "manifest.json" and "shp/sites.dbf" in manifest["files"]
    write_outputs(sample_plan(), tmp_path / "b", formats=["csv", "shp"])
    assert (tmp_path / "b" / "manifest.json").read_bytes() == files[-1].read_bytes()


def test_an_empty_folder_is_used(tmp_path):
    (tmp_path / "out").mkdir()
    write_outputs(sample_plan(), tmp_path / "out", formats=["csv"])
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["manifest.json", "summary.csv"]


@pytest.mark.parametrize(
    ("entry", "shown"),
    [("plan.gpkg", "plan.gpkg"), ("summary.csv", "summary.csv"), ("shp/a.shp", "shp/")],
)
def test_a_folder_without_manifest_is_kept_even_with_output_names(tmp_path, entry, shown):
    out = tmp_path / "data"
    (out / entry).parent.mkdir(parents=True)
    (out / entry).write_text("the user's data")
    with pytest.raises(InputError, match=rf"data: .*not empty \({shown}\).*no manifest.json"):
        write_outputs(sample_plan(), out, formats=["csv"])
    assert (out / entry).read_text() == "the user's data"
    assert sorted(p.name for p in out.iterdir()) == [shown.rstrip("/")]


@pytest.mark.parametrize("extra", ["notes.docx", "shp/mine.shp", "old/"])
def test_a_file_the_manifest_does_not_list_stops_the_write(tmp_path, extra):
    out = tmp_path / "out"
    write_outputs(sample_plan(), out, formats=["csv", "shp"])
    if extra.endswith("/"):
        (out / extra).mkdir()
    else:
        (out / extra).write_text("mine")
    with pytest.raises(InputError, match=f"no healthplan run wrote \\({extra}\\).*choose a new"):
        write_outputs(sample_plan(), out, formats=["csv"])
    assert (out / extra).exists() and (out / "shp" / "sites.shp").is_file()


def test_a_symlink_is_never_an_output(tmp_path):
    out = tmp_path / "out"
    write_outputs(sample_plan(), out, formats=["csv"])
    (tmp_path / "mine.csv").write_text("mine")
    (out / "summary.csv").unlink()
    (out / "summary.csv").symlink_to(tmp_path / "mine.csv")
    with pytest.raises(InputError, match=r"no healthplan run wrote \(summary.csv\)"):
        write_outputs(sample_plan(), out, formats=["csv"])
    assert (tmp_path / "mine.csv").read_text() == "mine"


@pytest.mark.parametrize(
    "manifest",
    [
        "not json",
        '{"tool": "other", "files": ["summary.csv"]}',
        '{"tool": "healthplan", "files": ["../summary.csv"]}',
        '{"tool": "healthplan", "files": "summary.csv"}',
        "[1, 2]",
    ],
)
def test_a_folder_with_a_foreign_manifest_is_kept(tmp_path, manifest):
    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.json").write_text(manifest)
    with pytest.raises(InputError, match="no manifest.json of an earlier healthplan run"):
        write_outputs(sample_plan(), out, formats=["csv"])
    assert (out / "manifest.json").read_text() == manifest


def test_an_input_inside_the_folder_is_never_replaced(tmp_path):
    out = tmp_path / "out"
    write_outputs(sample_plan(), out, formats=["gpkg", "csv"])  # listed in its manifest
    with pytest.raises(InputError, match=r"out: output folder holds .*plan.gpkg, which this run"):
        write_outputs(sample_plan(), out, formats=["csv"], inputs=[out / "plan.gpkg"])
    assert (out / "plan.gpkg").is_file()


def test_inputs_are_compared_through_symlinks(tmp_path):
    out = tmp_path / "out"
    write_outputs(sample_plan(), out, formats=["gpkg", "csv"])
    (tmp_path / "link.gpkg").symlink_to(out / "plan.gpkg")  # an input that points inside
    with pytest.raises(InputError, match="link.gpkg, which this run reads"):
        write_outputs(sample_plan(), out, formats=["csv"], inputs=[tmp_path / "link.gpkg"])
    (tmp_path / "alias").symlink_to(out)  # an output folder that points at the inputs
    with pytest.raises(InputError, match="alias: output folder holds"):
        write_outputs(sample_plan(), tmp_path / "alias", inputs=[out / "summary.csv"])
    assert (out / "plan.gpkg").is_file()


@pytest.mark.parametrize("name", [".", "", "./"])
def test_the_current_folder_is_never_an_output_folder(tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match="the current folder cannot be an output folder.*out/"):
        write_outputs(sample_plan(), name, formats=["csv"])
    assert list(tmp_path.iterdir()) == []


def test_a_folder_holding_the_current_folder_is_never_an_output_folder(tmp_path, monkeypatch):
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    with pytest.raises(InputError, match="a folder holding the current folder cannot be"):
        write_outputs(sample_plan(), "..", formats=["csv"])
    assert [p.name for p in tmp_path.iterdir()] == ["work"]


def test_refuses_a_file_as_output_folder(tmp_path):
    (tmp_path / "out").write_text("x")
    with pytest.raises(InputError, match="output path is a file"):
        write_outputs(sample_plan(), tmp_path / "out")


def test_shapefile_column_names_are_short_and_unique():
    columns = ["population_served", "population_a", "population_b", "site_id", "geometry"]
    mapping = shapefile_columns(columns)
    assert mapping["population_served"] == "pop_served"
    assert mapping["site_id"] == "site_id"
    assert all(len(name) <= 10 for name in mapping.values())
    assert len({name.lower() for name in mapping.values()}) == len(columns)


def test_map_uses_a_cjk_font_when_one_is_installed(tmp_path, monkeypatch):
    from matplotlib import font_manager

    import optimizer.outputs.maps as maps

    stand_in = font_manager.FontProperties(fname=font_manager.findfont("DejaVu Sans"))
    monkeypatch.setattr(maps, "cjk_font", lambda: stand_in)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plot_plan(sample_plan(), tmp_path / "map.png")
    assert (tmp_path / "map.png").stat().st_size > 10_000
