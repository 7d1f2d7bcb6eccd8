"""The healthplan command line: exit codes, red messages without tracebacks, outputs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from plan_samples import sample_plan
from table_samples import VILLAGES, excel_plan
from typer.testing import CliRunner

import optimizer.cli as cli
import optimizer.solve_cli as solve_cli
from geodata.errors import InfeasibleError, InputError, SolverError
from optimizer.outputs.export import write_outputs
from optimizer.run import SITE_STEPS, Run

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "synthetic.toml"

runner = CliRunner()

CONFIG = """\
name = "测试县"

[demand]
path = "villages.gpkg"

[sites]
path = "villages.gpkg"

[model]
problem = "p-median"
p = 2
"""


def sample_run(config, *, progress=None, source=None) -> Run:
    """A run of ``config`` that plans nothing and returns the sample plan."""
    return Run(config, None, sample_plan())


def config_file(tmp_path: Path, text: str = CONFIG) -> Path:
    (tmp_path / "villages.gpkg").write_bytes(b"not a geopackage")
    path = tmp_path / "plan.toml"
    path.write_text(text, encoding="utf-8")
    return path


def invoke(*args: str | Path):
    return runner.invoke(cli.app, [str(a) for a in args])


def assert_clean_failure(result, code: int, *fragments: str) -> None:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert "error:" in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr


def test_bad_config_exits_2_with_the_key_named(tmp_path):
    path = config_file(tmp_path, CONFIG.replace("p = 2", "p = 2\nradious = 30"))
    result = invoke("solve", path, "--out", tmp_path / "out")
    assert_clean_failure(result, 2, "model.radious: unknown key (allowed: problem, p, radius")
    assert not (tmp_path / "out").exists()


def test_missing_config_exits_2(tmp_path):
    result = invoke("solve", tmp_path / "nope.toml")
    assert_clean_failure(result, 2, "nope.toml", "not found")


def test_unreadable_data_file_exits_2_naming_the_file(tmp_path):
    result = invoke("solve", config_file(tmp_path), "--out", tmp_path / "out")
    assert_clean_failure(result, 2, "[demand]", "villages.gpkg")


def test_bad_time_limit_is_a_usage_error(tmp_path):
    result = invoke("solve", config_file(tmp_path), "--time-limit", "0")
    assert result.exit_code == 2
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (InputError("sites.gpkg: feature 3: capacity: -5 is negative"), 2),
        (InfeasibleError("2 demand unit(s) cannot reach any usable site: 深山坳, 石门"), 2),
        (SolverError("no feasible plan within the time limit of 1 s"), 1),
    ],
)
def test_errors_map_to_exit_codes(tmp_path, monkeypatch, error, code):
    def failing(config, *, progress=None, source=None):
        raise error

    monkeypatch.setattr(solve_cli, "run", failing)
    result = invoke("solve", config_file(tmp_path), "--out", tmp_path / "out")
    assert_clean_failure(result, code, str(error))


def test_success_writes_outputs_and_prints_the_summary(tmp_path, monkeypatch):
    seen = {}

    def fake_run(config, *, progress=None, source=None):
        seen["time_limit"] = config.model.time_limit
        for step in SITE_STEPS[:-1]:
            progress(step)
        return sample_run(config)

    monkeypatch.setattr(solve_cli, "run", fake_run)
    out = tmp_path / "result"
    result = invoke("solve", config_file(tmp_path), "--out", out, "--time-limit", "5")
    assert result.exit_code == 0, result.output
    assert seen["time_limit"] == 5
    expected = ["测试县", "optimal", "县人民医院 (s1)", "4 of 5 units assigned", "2,750"]
    expected.append("longest 15.5 min")
    for fragment in expected:
        assert fragment in result.stdout
    assert (out / "plan.gpkg").is_file() and (out / "map.png").is_file()
    assert (out / "shp" / "sites.cpg").is_file()


def test_unwritable_output_folder_exits_2(tmp_path, monkeypatch):
    monkeypatch.setattr(solve_cli, "run", sample_run)
    (tmp_path / "a_file").write_text("not a folder")
    result = invoke("solve", config_file(tmp_path), "--out", tmp_path / "a_file" / "out")
    assert_clean_failure(result, 2, "cannot write the outputs")


def test_version():
    result = invoke("version")
    assert result.exit_code == 0
    assert result.stdout.startswith("healthplan ")
    assert "HiGHS" in result.stdout


def solve_in(folder: Path, *args: str) -> subprocess.CompletedProcess:
    """``python -m optimizer solve *args`` run in ``folder``, its output captured."""
    return subprocess.run(
        [sys.executable, "-m", "optimizer", "solve", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=folder,
        timeout=120,
    )


def test_example_solves_end_to_end(tmp_path):
    out = tmp_path / "synthetic"
    done = solve_in(tmp_path, str(EXAMPLE), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "最优" in done.stdout  # Chinese names: the summary is in Chinese
    expected = ["plan.gpkg", "summary.csv", "map.png", "shp/sites.shp", "shp/sites.cpg"]
    expected += [f"geojson/{layer}.geojson" for layer in ("sites", "assignments")]
    for name in expected:
        assert (out / name).is_file(), name
    sites = gpd.read_file(out / "plan.gpkg", layer="sites")
    assert int(sites["open"].sum()) == 8
    assert sites.loc[sites["site_id"] == "S001", "open"].item()
    assert sites["name"].str.contains("人民医院").any()


def site_outputs(folder: Path) -> None:
    """``folder`` as an earlier run leaves it: plan.gpkg, summary.csv, shp/ and a manifest."""
    write_outputs(sample_plan(), folder, formats=["gpkg", "shp", "csv"])


@pytest.mark.parametrize("name", ["plan.gpkg", "summary.csv", "shp/sites.shp"])
def test_out_holding_an_input_exits_2_and_keeps_it(tmp_path, monkeypatch, name):
    monkeypatch.setattr(solve_cli, "run", sample_run)
    data = tmp_path / "data"
    site_outputs(data)  # earlier outputs, now read as this run's input
    before = (data / name).read_bytes()
    config = tmp_path / "plan.toml"
    config.write_text(CONFIG.replace("villages.gpkg", f"data/{name}"), encoding="utf-8")
    result = invoke("solve", config, "--out", data)
    assert_clean_failure(result, 2, f"data/{name}, which this run reads", "choose another")
    assert (data / name).read_bytes() == before


def test_config_inside_out_exits_2(tmp_path, monkeypatch):
    monkeypatch.setattr(solve_cli, "run", sample_run)
    out = tmp_path / "out"
    site_outputs(out)
    config = config_file(tmp_path)
    moved = out / "plan.toml"
    moved.write_text(CONFIG.replace("villages.gpkg", "../villages.gpkg"), encoding="utf-8")
    config.unlink()
    result = invoke("solve", moved, "--out", out)
    assert_clean_failure(result, 2, "out/plan.toml, which this run reads")
    assert moved.is_file() and (out / "plan.gpkg").is_file()


@pytest.mark.parametrize("out", [".", ""])
def test_current_folder_as_out_exits_2(tmp_path, monkeypatch, out):
    monkeypatch.setattr(solve_cli, "run", sample_run)
    config = config_file(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = invoke("solve", config, "--out", out)
    assert_clean_failure(
        result, 2, "the current folder cannot be an output folder", "such as out/plan"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.toml", "villages.gpkg"]


def test_current_folder_as_out_in_a_real_run(tmp_path):
    config = config_file(tmp_path)
    done = solve_in(tmp_path, str(config), "--out", "")
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "the current folder cannot be an output folder" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.toml", "villages.gpkg"]


def test_a_plan_read_from_an_excel_workbook_and_a_gbk_population_table(tmp_path):
    """Villages with 12-digit codes stored as numbers, sites and travel minutes on sheets."""
    out = tmp_path / "out"
    result = invoke("solve", excel_plan(tmp_path), "--out", out, "--lang", "en")
    assert result.exit_code == 0, result.output
    warning = " ".join(result.stderr.split())
    assert "warning: " in warning and "pop.csv" in warning and "'331126100204'" in warning
    assignments = gpd.read_file(out / "plan.gpkg", layer="assignments")
    assert assignments["demand_id"].tolist() == [str(v[0]) for v in VILLAGES]
    assert assignments["name"].tolist() == [v[1] for v in VILLAGES]
    assert assignments["population"].tolist() == [1200, 850, 2345, 0]
    assert set(assignments["site_id"]) == {"S1"}
    summary = pd.read_csv(out / "summary.csv").set_index("item")["value"]
    assert summary["population"] == "4395.0" and summary["status"] == "optimal"
