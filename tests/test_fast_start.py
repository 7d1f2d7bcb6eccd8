"""Fast start: the command line's help and version, and the package imports, load no heavy library.

Each check runs in a fresh interpreter, so modules this test session imported do not count.
No wall-time assertions: which modules load is what decides the start-up time.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

import geodata
import optimizer

HEAVY = (
    "pyomo",
    "highspy",
    "numba",
    "scipy",
    "geopandas",
    "shapely",
    "pyogrio",
    "pandas",
    "matplotlib",
    "dask",
    "folium",
)
LOADED = f"import sys; print(sorted(m for m in {HEAVY!r} if m in sys.modules))"


def python(*args: str) -> subprocess.CompletedProcess:
    """``python *args`` in a fresh interpreter, its output captured."""
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )


@pytest.mark.parametrize(
    "statement",
    [
        "import optimizer.cli",
        "import optimizer",
        "import geodata",
        "from geodata.errors import InputError",
    ],
)
def test_import_loads_no_heavy_library(statement):
    done = python("-c", f"{statement}; {LOADED}")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def imported(importtime_log: str) -> set[str]:
    """The top-level packages named in a ``python -X importtime`` log."""
    names = set()
    for line in importtime_log.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            names.add(name.split(".")[0])
    return names


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--help"], ["Usage: healthplan", "solve", "version", "Place county health facilities"]),
        (["version"], ["healthplan ", "(HiGHS "]),
    ],
)
def test_help_and_version_load_no_heavy_library(args, expected):
    done = python("-X", "importtime", "-m", "optimizer", *args)
    assert done.returncode == 0, done.stderr
    for fragment in expected:
        assert fragment in done.stdout
    names = imported(done.stderr)
    assert "optimizer" in names and "typer" in names  # the log is read correctly
    assert names.isdisjoint(HEAVY), sorted(names & set(HEAVY))


def test_version_names_the_installed_highs():
    from importlib.metadata import version

    done = python("-m", "optimizer", "version")
    assert done.returncode == 0, done.stderr
    assert f"(HiGHS {version('highspy')})" in done.stdout


@pytest.mark.parametrize("package", [optimizer, geodata], ids=lambda p: p.__name__)
def test_every_public_name_resolves(package):
    for name in package.__all__:
        assert getattr(package, name) is not None, name
        assert name in dir(package)


def test_public_names_are_those_of_their_modules():
    from optimizer.plan.sites import plan_sites
    from optimizer.results import LocateResult, SitePlan, SiteSummary
    from optimizer.solve.locate import PROBLEMS, locate
    from optimizer.verify import VerificationError, verify_locate

    assert optimizer.locate is locate and optimizer.plan_sites is plan_sites
    assert optimizer.PROBLEMS is PROBLEMS
    assert optimizer.LocateResult is LocateResult and optimizer.SitePlan is SitePlan
    assert optimizer.SiteSummary is SiteSummary
    assert optimizer.VerificationError is VerificationError
    assert optimizer.verify_locate is verify_locate

    from geodata import InputError, TravelTimes, read_demand, synthetic_county
    from geodata.errors import InputError as error
    from geodata.inputs import read_demand as reader
    from geodata.travel import TravelTimes as travel

    assert InputError is error and read_demand is reader and TravelTimes is travel
    assert callable(synthetic_county)


@pytest.mark.parametrize("package", ["optimizer", "geodata"])
def test_unknown_names_raise_attribute_error(package):
    done = python("-c", f"import {package}; {package}.no_such_name")
    assert "AttributeError" in done.stderr
    assert f"module '{package}' has no attribute 'no_such_name'" in done.stderr
