"""Fuzzing the public API: generated configs (TOML text), geodata and matrices, valid and not.
The only exceptions that may escape are the project's own documented errors."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import geodata
from geodata.errors import HealthplanError, HealthplanWarning
from optimizer import PROBLEMS, locate, plan_sites, verify_locate
from optimizer.config.county import load_county_config
from optimizer.config.site import load_config
from optimizer.county_spec import CountySpec, LevelSpec
from optimizer.plan.county import plan_county
from optimizer.run import run

# NaN coordinates are part of the generated input; shapely warns about them while building
pytestmark = pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")

FAST = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SLOW = settings(FAST, max_examples=25)

numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=32),
    st.integers(min_value=-5, max_value=50),
)


@FAST
@given(
    problem=st.sampled_from([*PROBLEMS, "p-medain", ""]),
    cost=st.lists(st.lists(numbers, min_size=3, max_size=3), min_size=1, max_size=5),
    weights=st.none() | st.lists(numbers, min_size=0, max_size=6),
    p=st.none() | st.integers(min_value=-1, max_value=5) | st.floats(allow_nan=True),
    radius=st.none() | numbers,
)
def test_locate_raises_only_project_errors(problem, cost, weights, p, radius):
    cost = np.asarray(cost, dtype=float)
    try:
        result = locate(problem, cost, weights=weights, p=p, radius=radius, time_limit=10)
    except HealthplanError:
        return
    verify_locate(result, cost, weights=weights, p=p, radius=radius)


def toml_value(value: object) -> str:
    """A TOML literal for a generated value (strings and lists via JSON, which TOML reads)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not np.isfinite(value):
        return "nan" if np.isnan(value) else ("inf" if value > 0 else "-inf")
    return json.dumps(value, ensure_ascii=False)


SITE_KEYS = {
    "demand": ["path", "layer", "id", "name", "population", "lon", "lat", "crs", "x"],
    "sites": ["path", "layer", "id", "kind", "capacity", "required", "barred", "crs"],
    "travel": ["mode", "max_minutes", "speed_kmh", "circuity", "roads", "table", "bogus"],
    "model": ["problem", "p", "radius", "use_capacity", "time_limit", "mip_gap", "radious"],
    "output": ["formats", "crs", "folder"],
    "hub": ["radius", "kinds", "fixed_kinds", "count", "about", "share", "new", "barred"],
    "clinic": ["radius", "kinds", "share", "max_minutes", "count"],
    "staff.doctors": ["per_1000_served", "pool", "min_hub", "hire_up_to", "max_transfer", "fte"],
    "solve": ["stages", "time_limit", "mip_gap"],
}
values = st.one_of(
    st.sampled_from(["data.gpkg", "villages", "id", "p-median", "lscp", "EPSG:4326", "EPSG:1"]),
    st.sampled_from(["straight-line", "network", "gpkg", "coverage", "township_centre"]),
    st.text(max_size=6),
    numbers,
    st.booleans(),
    st.lists(st.one_of(st.integers(-2, 9), st.sampled_from(["S1", "gpkg", "csv"])), max_size=3),
)
sections = st.dictionaries(
    st.sampled_from(list(SITE_KEYS)),
    st.dictionaries(st.sampled_from(sorted({k for v in SITE_KEYS.values() for k in v})), values),
    max_size=6,
)


def toml_text(name: object, tables: dict[str, dict[str, object]]) -> str:
    lines = [] if name is None else [f"name = {toml_value(name)}"]
    for section, keys in tables.items():
        lines.append(f"[{section}]")
        lines += [f"{key} = {toml_value(value)}" for key, value in keys.items()]
    return "\n".join(lines) + "\n"


@FAST
@given(name=st.none() | values, tables=sections, garbage=st.text(max_size=20) | st.just(""))
def test_config_loading_raises_only_config_errors(tmp_path, name, tables, garbage):
    path = tmp_path / "fuzz.toml"
    path.write_text(toml_text(name, tables) + garbage, encoding="utf-8")
    for load in (load_config, load_county_config):
        try:
            load(path)
        except HealthplanError:
            pass


coordinates = st.floats(min_value=-2e7, max_value=2e7) | st.just(float("nan"))
rows = st.fixed_dictionaries(
    {
        "id": st.one_of(st.sampled_from(["V1", "V2", "V3", "", "村1"]), st.integers(0, 4)),
        "population": st.one_of(numbers, st.sampled_from(["12", "many", "", "-1"])),
        "x": coordinates,
        "y": coordinates,
        "shape": st.sampled_from(["point", "point", "point", "empty", "polygon", "line", "none"]),
    }
)


def shape(row: dict) -> shapely.Geometry | None:
    x, y = row["x"], row["y"]
    return {
        "point": shapely.Point(x, y),
        "empty": shapely.Point(),
        "polygon": shapely.box(x, y, x + 10, y + 10),
        "line": shapely.LineString([(x, y), (x + 1, y + 1)]),
        "none": None,
    }[row["shape"]]


def layer(rows_: list[dict], crs: str | None) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "id": [r["id"] for r in rows_],
            "name": [f"村{k}" for k in range(len(rows_))],
            "population": [r["population"] for r in rows_],
            "kind": ["candidate"] * len(rows_),
        },
        geometry=[shape(r) for r in rows_],
        crs=crs,
    )


crs_choice = st.sampled_from(["EPSG:4326", "EPSG:32650", None])
CENTRES = {"EPSG:4326": (119.1, 27.6, 0.2), "EPSG:32650": (700000.0, 3050000.0, 20000.0)}
FLAWS = ["duplicate id", "empty id", "nan", "negative", "text", "empty", "line", "none", "far"]


@st.composite
def tidy(draw, n_max: int) -> list[dict]:
    """Mostly valid rows in ``crs`` (unique ids, people, points near a county), with up to
    two flaws, so that many examples get as far as the solver."""
    crs = draw(st.sampled_from(sorted(CENTRES)))
    x0, y0, spread = CENTRES[crs]
    n = draw(st.integers(1, n_max))
    out = [
        {
            "id": f"P{k}",
            "population": draw(st.integers(0, 5000)),
            "x": x0 + draw(st.floats(-1, 1)) * spread,
            "y": y0 + draw(st.floats(-1, 1)) * spread,
            "shape": "point",
            "crs": crs,
        }
        for k in range(n)
    ]
    for flaw in draw(st.lists(st.sampled_from(FLAWS), max_size=2)):
        row = out[draw(st.integers(0, n - 1))]
        if flaw == "duplicate id":
            row["id"] = out[0]["id"]
        elif flaw == "empty id":
            row["id"] = ""
        elif flaw in ("nan", "negative", "text"):
            row["population"] = {"nan": float("nan"), "negative": -3, "text": "many"}[flaw]
        elif flaw in ("empty", "line", "none"):
            row["shape"] = flaw
        else:
            row["x"], row["y"] = row["x"] * 1e5, row["y"] * 1e5
    return out


def with_crs(rows_: list[dict], fallback: str | None) -> str | None:
    return rows_[0].get("crs", fallback) if rows_ else fallback


SITE_RUN = """\
name = "fuzz"
[demand]
path = "d.gpkg"
[sites]
path = "s.gpkg"
[travel]
max_minutes = {limit}
[model]
problem = "{problem}"
p = {p}
radius = {limit}
time_limit = 10
"""


@SLOW
@given(
    demand=st.lists(rows, min_size=0, max_size=6) | tidy(12),
    sites=st.lists(rows, min_size=0, max_size=4) | tidy(6),
    crs=crs_choice,
    problem=st.sampled_from(PROBLEMS),
    p=st.integers(1, 3),
    limit=st.sampled_from([5, 60, 600]),
)
def test_run_config_on_generated_files_raises_only_project_errors(
    tmp_path, demand, sites, crs, problem, p, limit
):
    for name, rows_ in (("d.gpkg", demand), ("s.gpkg", sites)):
        path = tmp_path / name
        path.unlink(missing_ok=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            layer(rows_, with_crs(rows_, crs)).to_file(path)
    config = tmp_path / "run.toml"
    config.write_text(SITE_RUN.format(problem=problem, p=p, limit=limit), encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HealthplanWarning)
        try:
            run(load_config(config))
            event("planned")
        except HealthplanError as exc:
            event(type(exc).__name__)


def frames(draw_rows: list[dict], crs: str | None) -> gpd.GeoDataFrame:
    frame = layer(draw_rows, crs)
    frame["population"] = pd.to_numeric(frame["population"], errors="coerce")
    return frame


@SLOW
@given(
    demand=st.lists(rows, min_size=1, max_size=6) | tidy(12),
    sites=st.lists(rows, min_size=1, max_size=4) | tidy(6),
    crs=crs_choice,
    drop=st.sampled_from([None, None, None, "id", "name", "population", "kind"]),
    county=st.booleans(),
)
def test_plan_api_on_generated_frames_raises_only_project_errors(demand, sites, crs, drop, county):
    d, s = frames(demand, with_crs(demand, crs)), frames(sites, with_crs(sites, crs))
    if drop is not None:
        d = d.drop(columns=[drop]) if drop in d.columns else d
        s = s.drop(columns=[drop])
    try:
        travel = geodata.straight_line_minutes(d, s, speed_kmh=30, max_minutes=60)
        if county:
            spec = CountySpec(
                hub=LevelSpec(radius=30, kinds=("candidate",), count=(1, 2)),
                clinic=LevelSpec(radius=20, kinds=("candidate",), share=0.5),
                time_limit=10,
            )
            plan_county(d, s, travel, spec)
        else:
            plan_sites(d, s, travel, "p-median", p=1, time_limit=10)
        event("planned")
    except HealthplanError as exc:
        event(type(exc).__name__)


def test_fuzz_module_reads_back_its_toml(tmp_path):
    """The TOML writer used above produces files the loader parses (else the fuzzing of
    configs would only ever test the TOML parser)."""
    path = tmp_path / "c.toml"
    path.write_text(
        toml_text("测试", {"model": {"problem": "lscp", "radius": 30.0, "use_capacity": True}}),
        encoding="utf-8",
    )
    with pytest.raises(HealthplanError, match="demand: required section is missing"):
        load_config(path)
    assert Path(path).read_text(encoding="utf-8").startswith('name = "测试"')


@pytest.fixture(scope="module")
def county_file(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("fuzz_county")
    c = geodata.synthetic_county(30, 8, seed=4)
    for name, frame in (("villages", c.demand), ("sites", c.sites), ("boundary", c.boundary)):
        frame.to_file(folder / "county.gpkg", layer=name)
    return folder


COUNTY_RUN = """\
name = "fuzz county"
{top}
[demand]
path = "county.gpkg"
layer = "villages"
[sites]
path = "county.gpkg"
layer = "sites"
[boundary]
path = "county.gpkg"
layer = "boundary"
[travel]
max_minutes = 90
[hub]
kinds = ["township_centre"]
fixed_kinds = ["county_hospital"]
{hub}
[clinic]
kinds = ["township_centre", "candidate"]
{clinic}
[staff.doctors]
{staff}
[solve]
time_limit = 5
[output]
formats = ["csv"]
"""
level_keys = st.dictionaries(
    st.sampled_from(["radius", "share", "count", "about", "new", "fixed", "barred"]),
    st.one_of(
        st.sampled_from([10, 20, 30, 45, 0.5, 1, 0, -1]),
        st.lists(st.integers(-1, 6), min_size=2, max_size=2),
        st.lists(st.sampled_from(["S001", "S002", "S005", "S099", "城关"]), max_size=2),
    ),
)


@SLOW
@given(
    hub=level_keys,
    clinic=level_keys,
    staff=st.dictionaries(
        st.sampled_from(["per_1000_served", "pool", "min_hub", "min_clinic", "max_transfer"]),
        st.sampled_from([0, 1, 3.6, 50, -2]),
    ),
    budget=st.none() | st.sampled_from([0, 1e6, 1e9]),
)
def test_county_runs_on_generated_configs_raise_only_project_errors(
    county_file, hub, clinic, staff, budget
):
    hub.setdefault("radius", 30)
    clinic.setdefault("radius", 20)

    def keys(table: dict) -> str:
        return "\n".join(f"{k} = {toml_value(v)}" for k, v in table.items())

    top = "" if budget is None else f"budget = {budget}"
    text = COUNTY_RUN.format(top=top, hub=keys(hub), clinic=keys(clinic), staff=keys(staff))
    path = county_file / "fuzz.toml"
    path.write_text(text, encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HealthplanWarning)
        try:
            run(load_county_config(path), source=path)
            event("planned")
        except HealthplanError as exc:
            event(type(exc).__name__)
