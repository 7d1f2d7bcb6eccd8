"""Scenario sweeps and many regions: grid expansion, brute-force check of every scenario,
a failing scenario, regions split by a column or listed, Dask against the serial run."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import geodata
import optimizer.batch.run as batch_module
import optimizer.cli as cli
from geodata.errors import ConfigError, InputError
from geodata.synthetic import synthetic_county
from optimizer.batch.run import run_batch
from optimizer.config.batch import load_batch, parse_sweep_option
from optimizer.outputs.export import write_manifest

runner = CliRunner()
REPO = Path(__file__).resolve().parents[1]

SITE_PLAN = """\
name = "测试县 sweep"

[demand]
path = "county.gpkg"
layer = "villages"

[sites]
path = "county.gpkg"
layer = "sites"
kind = "kind"

[travel]
mode = "straight-line"
speed_kmh = 30
circuity = 1.3
max_minutes = 60

[model]
problem = "mclp"
p = 2
radius = 10

[output]
formats = ["gpkg", "csv"]
"""

SWEEP = """
[sweep]
"model.p" = [1, 2, 3]
model.radius = [8, 15]
"""

COUNTY_PLAN = """\
name = "测试 province"

[regions]
column = "county"

[demand]
path = "province.gpkg"
layer = "villages"

[sites]
path = "province.gpkg"
layer = "sites"
kind = "kind"

[travel]
mode = "straight-line"
max_minutes = 45

[hub]
radius = 20
kinds = ["township_centre"]
fixed_kinds = ["county_hospital"]
share = 0.5
count = [2, 3]

[clinic]
radius = 10
kinds = ["township_centre", "candidate"]
fixed_kinds = ["township_centre"]
share = 0.5

[solve]
stages = ["coverage", "new_sites", "travel"]

[output]
formats = ["gpkg", "csv"]
"""


def write_county(folder: Path, seed: int = 3) -> Path:
    county = synthetic_county(40, 9, seed=seed)
    path = folder / "county.gpkg"
    county.demand.to_file(path, layer="villages", driver="GPKG")
    county.sites.to_file(path, layer="sites", driver="GPKG")
    return path


@pytest.fixture(scope="module")
def sweep_config(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("sweep")
    write_county(folder)
    path = folder / "sweep.toml"
    path.write_text(SITE_PLAN + SWEEP, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def serial(sweep_config, tmp_path_factory):
    out = tmp_path_factory.mktemp("serial") / "out"
    return run_batch(load_batch(sweep_config), out, workers=0), out


def test_manifests_list_every_file_of_the_batch_and_of_each_plan(serial):
    run, out = serial
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    found = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert manifest["files"] == [name for name in found if name != "manifest.json"]
    for result in run.results:
        assert f"{result.folder}/manifest.json" in manifest["files"]


def brute_force_mclp(cost: np.ndarray, weight: np.ndarray, p: int, radius: float) -> float:
    """Largest weight within ``radius`` of some ``p`` sites, by trying every set."""
    covers = cost <= radius
    return max(
        float(weight[covers[:, list(combo)].any(axis=1)].sum())
        for combo in itertools.combinations(range(cost.shape[1]), p)
    )


def test_grid_expands_first_key_slowest_with_unique_folders(sweep_config):
    batch = load_batch(sweep_config)
    values = [task.scenario.values for task in batch.tasks]
    assert values == [
        {"model.p": p, "model.radius": r} for p, r in itertools.product([1, 2, 3], [8, 15])
    ]
    folders = [task.folder for task in batch.tasks]
    assert len(set(folders)) == 6 and folders[0] == "scenarios/model.p-1_model.radius-8"
    for task, value in zip(batch.tasks, values, strict=True):
        assert task.raw["model"]["p"] == value["model.p"]
        assert task.raw["model"]["radius"] == value["model.radius"]


def test_every_scenario_matches_brute_force(sweep_config, serial):
    run, out = serial
    county = synthetic_county(40, 9, seed=3)
    demand, sites = county.demand, county.sites
    travel = geodata.straight_line_minutes(
        demand, sites, speed_kmh=30, circuity=1.3, max_minutes=60
    )
    pairs = travel.minutes.tocoo()
    cost = np.full(pairs.shape, np.inf)
    cost[pairs.row, pairs.col] = pairs.data
    weight = demand["population"].to_numpy(dtype=float)
    table = pd.read_csv(out / "results.csv")
    assert len(table) == 6 and (table["status"] == "ok").all()
    for task, row in zip(run.batch.tasks, table.to_dict("records"), strict=True):
        p, radius = task.scenario.values["model.p"], task.scenario.values["model.radius"]
        best = brute_force_mclp(cost, weight, p, radius)
        assert row["objective"] == pytest.approx(best, rel=1e-9)
        assert row["radius_share"] == pytest.approx(best / weight.sum(), rel=1e-9)
        assert row["sites_open"] == p
        folder = out / row["folder"]
        assert (folder / "plan.gpkg").is_file() and (folder / "summary.csv").is_file()
        assert len(gpd.read_file(folder / "plan.gpkg", layer="assignments")) == len(demand)


def test_report_links_every_scenario_and_shows_the_chart(serial):
    run, out = serial
    report = (out / "report.md").read_text(encoding="utf-8")
    html = (out / "report.html").read_text(encoding="utf-8")
    for task in run.batch.tasks:
        assert f"]({task.folder}/)" in report
        assert f'href="{task.folder}/"' in html
    assert not (out / "tradeoff.png").exists()  # png not among the formats


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def cluster():
    """A Dask scheduler and two single-threaded workers on 127.0.0.1, as subprocesses."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "distributed.cli.dask_scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-dashboard",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    try:
        for _ in range(2):
            procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "distributed.cli.dask_worker",
                        address,
                        "--nthreads",
                        "1",
                        "--no-nanny",
                        "--no-dashboard",
                        "--host",
                        "127.0.0.1",
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        from distributed import Client

        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
        yield address
    finally:
        for proc in procs:  # workers and scheduler keep no state worth a graceful stop
            proc.kill()
            proc.wait()


def comparable(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "results.csv").drop(columns=["seconds", "solve_seconds"])


def test_sweep_on_a_dask_cluster_equals_the_serial_run(sweep_config, serial, cluster, tmp_path):
    _, serial_out = serial
    run = run_batch(load_batch(sweep_config), tmp_path / "out", scheduler=cluster)
    assert not run.failed
    pd.testing.assert_frame_equal(comparable(tmp_path / "out"), comparable(serial_out))
    for task in run.batch.tasks:
        a = gpd.read_file(serial_out / task.folder / "plan.gpkg", layer="sites")
        b = gpd.read_file(tmp_path / "out" / task.folder / "plan.gpkg", layer="sites")
        pd.testing.assert_frame_equal(a, b)


def test_failed_scenario_is_reported_and_the_others_kept(sweep_config, tmp_path):
    """On the embedded local cluster (one worker process)."""
    text = sweep_config.read_text(encoding="utf-8").replace(
        '"model.p" = [1, 2, 3]', '"model.p" = [2, 50]'
    )
    assert '"model.p" = [2, 50]' in text
    config = sweep_config.with_name("failing.toml")
    config.write_text(text, encoding="utf-8")
    run = run_batch(load_batch(config), tmp_path / "out", workers=1)
    table = pd.read_csv(tmp_path / "out" / "results.csv")
    assert list(table["status"]) == ["ok", "ok", "failed", "failed"]
    failed = table[table["status"] == "failed"]
    assert failed["error"].str.contains("50").all()
    assert len(run.failed) == 2
    for row in table[table["status"] == "ok"].to_dict("records"):
        assert (tmp_path / "out" / row["folder"] / "plan.gpkg").is_file()
    report = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert report.count("> **Warning:** plan ") == 2
    assert "2 solved, 2 failed" in report


def test_cli_exit_code_3_when_some_scenarios_fail(sweep_config, tmp_path):
    result = runner.invoke(
        cli.app,
        [
            "solve",
            str(sweep_config),
            "--out",
            str(tmp_path / "out"),
            "--workers",
            "0",
            "--sweep",
            "model.p=[2, 50]",
            "--sweep",
            "model.radius=15",
        ],
    )
    assert result.exit_code == 3, result.output
    table = pd.read_csv(tmp_path / "out" / "results.csv")
    # --sweep replaces the config's values of model.p and adds nothing for model.radius
    assert list(table["model.p"]) == [2, 50] and list(table["model.radius"]) == [15, 15]
    assert list(table["status"]) == ["ok", "failed"]
    assert "1 solved, 1 failed" in result.output


def test_unreachable_scheduler_is_a_clear_error_and_keeps_earlier_outputs(
    sweep_config, tmp_path, monkeypatch
):
    monkeypatch.setattr(batch_module, "CONNECT_TIMEOUT", "2s")
    port = free_port()  # nobody listens on it
    out = tmp_path / "out"
    out.mkdir()
    (out / "results.csv").write_text("earlier run\n", encoding="utf-8")
    write_manifest(out)  # as an earlier run leaves it
    address = f"tcp://127.0.0.1:{port}"
    result = runner.invoke(
        cli.app, ["solve", str(sweep_config), "--out", str(out), "--scheduler", address]
    )
    assert result.exit_code == 2, result.output
    assert f"--scheduler {address}: cannot reach the Dask scheduler" in result.output
    assert "check the address (tcp://HOST:PORT)" in result.output
    assert "Traceback" not in result.output
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "results.csv"]
    assert (out / "results.csv").read_text(encoding="utf-8") == "earlier run\n"
    assert not list(tmp_path.glob(".out.*"))  # no staging folder left behind


def test_an_input_inside_the_output_folder_stops_the_batch_before_any_plan(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    write_county(data)
    config = tmp_path / "sweep.toml"
    config.write_text((SITE_PLAN + SWEEP).replace("county.gpkg", "data/county.gpkg"), "utf-8")
    with pytest.raises(InputError, match="data: output folder holds .*county.gpkg, which this"):
        run_batch(load_batch(config), data, workers=0)
    assert sorted(p.name for p in data.iterdir()) == ["county.gpkg"]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def staging_folders(out: Path) -> list[Path]:
    return sorted(out.parent.glob(f".{out.name}.*.tmp"))


@pytest.mark.parametrize(
    ("workers", "moment", "signum"),
    [
        ("2", "staging", signal.SIGTERM),
        ("2", "plan", signal.SIGTERM),
        ("0", "plan", signal.SIGTERM),
        ("2", "plan", signal.SIGINT),
    ],
    ids=["dask-starting", "dask-mid-sweep", "serial-mid-sweep", "ctrl-c-to-the-group"],
)
def test_signal_stops_a_sweep_cleans_its_staging_folder_and_keeps_earlier_outputs(
    sweep_config, serial, tmp_path, workers, moment, signum
):
    """SIGTERM (to the process, as ``kill`` sends it) or SIGINT (to its whole process group,
    workers included, as Ctrl-C in a terminal) once the staging folder exists (the local
    cluster is starting) or once the first plan is written into it (workers busy): exit
    128 + signal, "stopped" on the screen and no traceback, the staging folder removed, the
    earlier outputs byte for byte as they were."""
    _, serial_out = serial
    out = tmp_path / "runs" / "out"
    shutil.copytree(serial_out, out)
    before = snapshot(out)
    command = [sys.executable, "-m", "optimizer", "solve", str(sweep_config), "--out", str(out)]
    process = subprocess.Popen(
        [*command, "--workers", workers],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        cwd=sweep_config.parent,
        env={**os.environ, "PYTHONPATH": str(REPO)},  # this checkout's code, not an install
        start_new_session=True,  # its own process group, as a command run in a terminal
    )
    try:
        while True:  # poll for the moment; the process must still be running when it comes
            assert process.poll() is None, process.communicate()
            found = staging_folders(out)
            if found and (moment == "staging" or any((found[0] / "scenarios").glob("[!.]*"))):
                break
            time.sleep(0.005)
        if signum == signal.SIGINT:
            os.killpg(process.pid, signum)
        else:
            process.send_signal(signum)
        stdout, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 128 + signum, stderr
    assert "Traceback" not in stderr
    assert "stopped after " in stderr and f"{out} is untouched" in stderr.replace("\n", "")
    assert staging_folders(out) == []
    assert sorted(p.name for p in out.parent.iterdir()) == ["out"]
    assert snapshot(out) == before


def write_province(folder: Path, counties: int = 3) -> list[gpd.GeoDataFrame]:
    villages, sites = [], []
    for k in range(counties):
        county = synthetic_county(30, 9, seed=10 + k)
        for frame, out in ((county.demand, villages), (county.sites, sites)):
            frame = frame.copy()
            frame["geometry"] = frame.geometry.translate(k * 80_000, 0)
            frame["id"] = f"c{k}-" + frame["id"]
            frame.insert(0, "county", f"县{k}")
            out.append(frame)
    path = folder / "province.gpkg"
    pd.concat(villages).pipe(gpd.GeoDataFrame).to_file(path, layer="villages", driver="GPKG")
    pd.concat(sites).pipe(gpd.GeoDataFrame).to_file(path, layer="sites", driver="GPKG")
    return villages


def test_regions_by_column_equal_each_county_planned_alone(tmp_path):
    villages = write_province(tmp_path)
    config = tmp_path / "province.toml"
    config.write_text(COUNTY_PLAN, encoding="utf-8")
    run = run_batch(load_batch(config), tmp_path / "out", workers=0)
    assert not run.failed
    combined = gpd.read_file(tmp_path / "out" / "regions.gpkg", layer="assignments")
    assert sorted(combined["region"].unique()) == ["县0", "县1", "县2"]
    assert len(combined) == sum(len(v) for v in villages)
    table = pd.read_csv(tmp_path / "out" / "results.csv")
    for k, row in enumerate(table.to_dict("records")):
        alone = tmp_path / f"alone{k}"
        alone.mkdir()
        villages[k].to_file(alone / "province.gpkg", layer="villages", driver="GPKG")
        sites = gpd.read_file(tmp_path / "province.gpkg", layer="sites")
        sites[sites["county"] == f"县{k}"].to_file(
            alone / "province.gpkg", layer="sites", driver="GPKG"
        )
        (alone / "plan.toml").write_text(
            COUNTY_PLAN.replace('[regions]\ncolumn = "county"\n', ""), encoding="utf-8"
        )
        result = runner.invoke(
            cli.app, ["solve", str(alone / "plan.toml"), "--out", str(alone / "out")]
        )
        assert result.exit_code == 0, result.output
        single = gpd.read_file(alone / "out" / "plan.gpkg", layer="sites")
        mine = gpd.read_file(tmp_path / "out" / row["folder"] / "plan.gpkg", layer="sites")
        pd.testing.assert_frame_equal(single, mine)
        part = combined[combined["region"] == f"县{k}"].drop(columns="region")
        theirs = gpd.read_file(alone / "out" / "plan.gpkg", layer="assignments")
        pd.testing.assert_frame_equal(part.reset_index(drop=True), theirs)


def test_listed_regions_merge_their_values_into_the_config(tmp_path):
    for name, seed in (("north", 1), ("south", 2)):
        (tmp_path / name).mkdir()
        write_county(tmp_path / name, seed)
    text = SITE_PLAN.replace('path = "county.gpkg"', 'path = "north/county.gpkg"') + (
        '\n[[regions.list]]\nname = "北"\n'
        '\n[[regions.list]]\nname = "南"\ndemand.path = "south/county.gpkg"\n'
        'sites.path = "south/county.gpkg"\nmodel.p = 3\n'
    )
    config = tmp_path / "regions.toml"
    config.write_text(text, encoding="utf-8")
    batch = load_batch(config)
    assert [t.folder for t in batch.tasks] == ["regions/北", "regions/南"]
    assert batch.tasks[1].raw["model"] == {"problem": "mclp", "p": 3, "radius": 10}
    assert batch.tasks[1].raw["demand"]["layer"] == "villages"
    run = run_batch(batch, tmp_path / "out", workers=0)
    table = pd.read_csv(tmp_path / "out" / "results.csv")
    assert list(table["region"]) == ["北", "南"] and list(table["sites_open"]) == [2, 3]
    assert not run.failed


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('[sweep]\n"model.radios" = [10, 20]\n', "model.p=2, model.radios=10: "),
        ('[sweep]\n"model.p" = []\n', "sweep.model.p: give a non-empty list"),
        ('[sweep]\n"model.p" = [2, 2]\n', "value 2 is listed twice"),
        ('[sweep]\n"model.p" = [0, 2]\n', "model.p=0"),
        ('[regions]\ncolumn = "nope"\n', "regions.column: "),
        ('[regions]\ncolum = "county"\n', "regions.colum: unknown key"),
    ],
)
def test_bad_sweep_or_regions_is_a_config_error(sweep_config, tmp_path, extra, message):
    text = sweep_config.read_text(encoding="utf-8").split("[sweep]")[0]
    if "radios" in extra:
        extra = extra.replace("[sweep]\n", '[sweep]\n"model.p" = [2]\n')
    config = sweep_config.with_name("bad.toml")
    config.write_text(text + extra, encoding="utf-8")
    with pytest.raises(ConfigError, match=message.replace(".", r"\.").replace("[", r"\[")):
        load_batch(config)


def test_sweep_option_parses_toml_values():
    assert parse_sweep_option("hub.count=[[6, 6], [8, 8]]") == ("hub.count", [[6, 6], [8, 8]])
    assert parse_sweep_option('model.problem="mclp"') == ("model.problem", ["mclp"])
    with pytest.raises(ConfigError, match="KEY=VALUES"):
        parse_sweep_option("hub.radius")
    with pytest.raises(ConfigError, match="not a TOML value"):
        parse_sweep_option("model.problem=mclp")


def test_sweep_example_expands_to_six_checked_county_plans():
    batch = load_batch(Path(__file__).resolve().parents[1] / "examples" / "sweep.toml")
    assert batch.kind == "county" and batch.sweep_keys == ("hub.count", "hub.radius")
    assert [t.raw["hub"]["count"] for t in batch.tasks[::2]] == [[4, 4], [7, 7], [10, 10]]
    assert [t.raw["hub"]["radius"] for t in batch.tasks[:2]] == [20, 30]


@pytest.mark.parametrize(("values", "wanted"), [(["x'y", "x'y", "z"], "x'y"), ([1, 1, 2], 1)])
def test_region_rows_are_cut_by_an_sql_filter(tmp_path, values, wanted):
    from shapely.geometry import Point

    from optimizer.batch.task import _extract

    frame = gpd.GeoDataFrame(
        {"region": values, "id": ["a", "b", "c"]},
        geometry=[Point(0, 0), Point(1, 1), Point(2, 2)],
        crs="EPSG:32650",
    )
    frame.to_file(tmp_path / "in.gpkg", layer="units", driver="GPKG")
    (tmp_path / "scratch").mkdir()
    path, layer = _extract(tmp_path / "in.gpkg", "units", "region", wanted, tmp_path / "scratch")
    assert list(gpd.read_file(path, layer=layer)["id"]) == ["a", "b"]
    path, layer = _extract(tmp_path / "in.gpkg", "units", "county", wanted, tmp_path / "scratch")
    assert (path, layer) == (str(tmp_path / "in.gpkg"), "units")  # no such column: used whole
