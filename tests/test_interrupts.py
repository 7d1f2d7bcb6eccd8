"""Solver limits and signals: time limits keep the best plan with its gap, Ctrl-C and SIGTERM stop
the solve, and a killed run never damages the outputs of an earlier run."""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import geodata
import optimizer.cli as cli

runner = CliRunner()

CONFIG = """\
name = "hard capacitated plan"
[demand]
path = "hard.gpkg"
layer = "villages"
[sites]
path = "hard.gpkg"
layer = "sites"
kind = "kind"
capacity = "capacity"
fixed_cost = "fixed_cost"
[travel]
mode = "straight-line"
max_minutes = 60
[model]
problem = "capacitated"
use_capacity = true
use_fixed_costs = true
single_source = true
time_limit = 120
[output]
formats = {formats}
"""
ALL_FORMATS = '["gpkg", "shp", "geojson", "csv", "png"]'


@pytest.fixture(scope="module")
def hard(tmp_path_factory) -> Path:
    """A single-source capacitated plan HiGHS needs several seconds to prove optimal.

    600 villages, 60 sites with equal capacities (2.7 x the population in all) and fixed costs
    of the order of the travel cost, so many plans are close.
    """
    folder = tmp_path_factory.mktemp("hard")
    county = geodata.synthetic_county(600, 60, seed=5)
    sites = county.sites.copy()
    sites["capacity"] = float(county.demand["population"].sum()) * 1.15 / (len(sites) * 0.25)
    sites["fixed_cost"] = 100_000.0 * (1 + np.arange(len(sites)) % 7)
    county.demand.to_file(folder / "hard.gpkg", layer="villages")
    sites.to_file(folder / "hard.gpkg", layer="sites")
    return folder


def config(folder: Path, formats: str = '["gpkg", "csv"]') -> Path:
    path = folder / "hard.toml"
    path.write_text(CONFIG.format(formats=formats), encoding="utf-8")
    return path


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def summary(folder: Path) -> dict[str, str]:
    table = pd.read_csv(folder / "summary.csv", dtype=str, keep_default_na=False)
    return dict(zip(table["item"], table["value"], strict=True))


def quick_run(folder: Path, out: Path) -> dict[str, bytes]:
    """Outputs of a quick run (a p-median plan of the same data) in ``out``; their bytes."""
    path = folder / "quick.toml"
    text = CONFIG.format(formats='["gpkg", "csv"]').split("[model]")[0]
    path.write_text(text + '[model]\nproblem = "p-median"\np = 10\n', encoding="utf-8")
    result = runner.invoke(cli.app, ["solve", str(path), "--out", str(out), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert summary(out)["problem"] == "p-median"
    return snapshot(out)


@pytest.fixture(scope="module")
def earlier(hard) -> Path:
    """The outputs of an earlier run, copied into each test's output folder."""
    quick_run(hard, hard / "earlier")
    return hard / "earlier"


def previous_run(earlier: Path, out: Path) -> dict[str, bytes]:
    shutil.copytree(earlier, out)
    return snapshot(out)


def test_time_limit_keeps_the_best_plan_with_its_gap_and_a_warning(hard, tmp_path):
    """HiGHS has a plan of this instance after about 0.5 s and proves it optimal after about
    5.5 s (on 2 cores): a limit of 2.5 s leaves a wide margin on either side."""
    out = tmp_path / "out"
    result = runner.invoke(
        cli.app,
        ["solve", str(config(hard)), "--out", str(out), "--time-limit", "2.5", "--lang", "en"],
    )
    assert result.exit_code == 0, result.output
    assert "time_limit" in result.stdout and "warning" in result.stdout
    items = summary(out)
    assert items["status"] == "time_limit"
    gap = float(items["gap"])
    assert 0 < gap <= 1
    assert abs(float(items["objective"]) - float(items["bound"])) > 0
    assert f"gap of {gap:.2%}" in items["warning"]
    assert "raise the time limit" in items["warning"]


def test_no_plan_within_the_time_limit_says_what_to_relax(hard, tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(
        cli.app,
        ["solve", str(config(hard)), "--out", str(out), "--time-limit", "0.001", "--lang", "en"],
    )
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "no feasible plan found before the time limit" in result.stderr
    assert "raise time_limit or relax the targets" in result.stderr
    assert not out.exists()


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a running process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start(folder: Path, out: Path, *args: str, formats: str = '["gpkg", "csv"]'):
    command = [
        sys.executable,
        "-m",
        "optimizer",
        "solve",
        str(config(folder, formats)),
        "--lang",
        "en",
    ]
    return subprocess.Popen(
        [*command, "--out", str(out), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        cwd=folder,
    )


@pytest.fixture(scope="module")
def startup() -> float:
    """CPU seconds a new process takes to import the command and the planner on this machine
    (2-4 s): the solve of ``hard`` starts shortly after and runs for 5 s or more."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-c", "import optimizer.cli, optimizer.run"], check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def wait_for_solving(process: subprocess.Popen, startup: float) -> None:
    """Wait until the process has used 2 s of CPU past its ``startup`` (imports), beyond
    reading and travel times (under 0.5 s), inside the solve."""
    while cpu_seconds(process.pid) < startup + 2.0:
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)


def stop(process: subprocess.Popen, signum: int) -> tuple[int, str, str, float]:
    process.send_signal(signum)
    sent = time.perf_counter()
    stdout, stderr = process.communicate(timeout=60)
    return process.returncode, stdout, stderr, time.perf_counter() - sent


def beside(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name != out.name)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL])
def test_signal_mid_solve_stops_and_leaves_the_previous_outputs(
    hard, earlier, startup, tmp_path, signum
):
    out = tmp_path / "runs" / "out"
    before = previous_run(earlier, out)
    process = start(hard, out)
    wait_for_solving(process, startup)
    code, _, stderr, seconds = stop(process, signum)
    assert snapshot(out) == before
    assert beside(out) == []
    if signum == signal.SIGKILL:
        assert code == -signal.SIGKILL
        return
    assert code == 128 + signum, stderr
    assert seconds < 10
    assert "Traceback" not in stderr
    assert "stopped before the plan was written" in stderr
    assert "--keep-incumbent" in stderr


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_ctrl_c_with_keep_incumbent_writes_the_best_plan_flagged_interrupted(
    hard, earlier, startup, tmp_path
):
    out = tmp_path / "runs" / "out"
    previous_run(earlier, out)
    process = start(hard, out, "--keep-incumbent")
    wait_for_solving(process, startup)
    code, stdout, stderr, seconds = stop(process, signal.SIGINT)
    assert code == 130, stderr
    assert seconds < 10
    items = summary(out)
    assert items["status"] == "interrupted"
    assert f"gap of {float(items['gap']):.2%}" in items["warning"]
    assert "interrupted" in stdout and "warning" in stdout
    assert beside(out) == []


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM])
def test_kill_while_writing_keeps_the_previous_outputs_whole(hard, earlier, tmp_path, signum):
    out = tmp_path / "runs" / "out"
    before = previous_run(earlier, out)
    process = start(hard, out, "--time-limit", "3", formats=ALL_FORMATS)
    while not beside(out):  # the staging folder appears when writing starts
        assert process.poll() is None, process.communicate()
        time.sleep(0.002)
    code, _, stderr, _ = stop(process, signum)
    assert code == (-signal.SIGKILL if signum == signal.SIGKILL else 128 + signum), stderr
    assert snapshot(out) == before
    left = beside(out)
    if signum == signal.SIGKILL:  # nothing runs after SIGKILL: a hidden staging folder stays
        assert len(left) == 1 and left[0].startswith(".out.") and left[0].endswith(".tmp")
        quick_run(hard, out)  # the next run removes it
    assert beside(out) == []
