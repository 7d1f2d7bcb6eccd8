"""Inputs from and outputs to PostGIS, against a real server started for the session (see
``postgis_server``): plans read from a table or a query equal plans read from a GeoPackage,
plan layers written in one transaction read back with their Chinese names, and no password
appears in messages or output files."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
import sqlalchemy
from postgis_server import Server
from typer.testing import CliRunner

import geodata
import optimizer.cli as cli
from geodata.errors import InputError
from geodata.postgis import DatabaseUrl, mask_password
from optimizer.config import load
from optimizer.outputs.postgis import postgis_transaction, write_postgis
from optimizer.run import run

runner = CliRunner()

CONFIG = """\
name = "postgis"
[demand]
{demand}
[sites]
{sites}
kind = "kind"
[travel]
mode = "straight-line"
speed_kmh = 30
[model]
problem = "p-median"
p = 3
[output]
formats = ["gpkg", "csv"]
{output}
"""


def engine(server: Server) -> sqlalchemy.Engine:
    return sqlalchemy.create_engine(
        server.url().replace("postgresql://", "postgresql+psycopg://"),
        poolclass=sqlalchemy.pool.NullPool,
    )


@pytest.fixture(scope="module")
def county() -> geodata.SyntheticCounty:
    return geodata.synthetic_county(40, 10, seed=3)


@pytest.fixture(scope="module")
def loaded(postgis: Server, county: geodata.SyntheticCounty, tmp_path_factory) -> Path:
    """The county's villages and sites in schema 数据 of the server, and in a GeoPackage."""
    folder = tmp_path_factory.mktemp("postgis")
    county.demand.to_file(folder / "county.gpkg", layer="villages")
    county.sites.to_file(folder / "county.gpkg", layer="sites")
    db = engine(postgis)
    with db.begin() as conn:
        conn.exec_driver_sql('CREATE SCHEMA IF NOT EXISTS "数据"')
        county.demand.to_postgis("villages", conn, schema="数据", if_exists="replace")
        county.sites.to_postgis("sites", conn, schema="数据", if_exists="replace")
    db.dispose()
    return folder


def write_config(folder: Path, demand: str, sites: str, output: str = "") -> Path:
    path = folder / "plan.toml"
    path.write_text(CONFIG.format(demand=demand, sites=sites, output=output), encoding="utf-8")
    return path


def open_sites(path: Path) -> list[str]:
    plan = run(load(path)).plan
    return sorted(plan.sites.loc[plan.sites["open"], "site_id"].astype(str))


def test_plans_from_a_table_and_a_query_equal_the_geopackage_plan(postgis, loaded, tmp_path):
    url = postgis.url()
    gpkg = write_config(
        tmp_path,
        f'path = "{loaded / "county.gpkg"}"\nlayer = "villages"',
        f'path = "{loaded / "county.gpkg"}"\nlayer = "sites"',
    )
    expected = open_sites(gpkg)
    by_layer = write_config(
        tmp_path,
        f'path = "{url}"\nlayer = "数据.villages"',
        f'path = "{url}"\nlayer = "数据.sites"',
    )
    assert open_sites(by_layer) == expected
    by_sql = write_config(
        tmp_path,
        f'path = "{url}"\nsql = "SELECT * FROM 数据.villages ORDER BY id"',
        f'path = "{url}"\nsql = "SELECT id, name, kind, geometry FROM 数据.sites WHERE true"',
    )
    assert open_sites(by_sql) == expected


def test_outputs_written_to_postgis_read_back_with_chinese_names(postgis, loaded, tmp_path):
    url = postgis.url()
    config = write_config(
        tmp_path,
        f'path = "{url}"\nlayer = "数据.villages"',
        f'path = "{url}"\nlayer = "数据.sites"',
        f'postgis = "{url}"\nschema = "规划"',
    )
    result = runner.invoke(cli.app, ["solve", str(config), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    expected = gpd.read_file(tmp_path / "out" / "plan.gpkg", layer="sites")
    db = engine(postgis)
    with db.connect() as conn:
        sites = gpd.read_postgis('SELECT * FROM "规划".sites', conn, geom_col="geometry")
        tables = set(
            conn.exec_driver_sql(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = '规划'"
            ).scalars()
        )
    db.dispose()
    assert tables == {"sites", "assignments", "assignment_lines"}
    assert list(sites["name"]) == list(expected["name"])
    assert any(not name.isascii() for name in sites["name"])
    assert list(sites["open"]) == list(expected["open"])
    assert sites.crs.to_epsg() == 4326


def test_a_failed_write_leaves_the_previous_tables(postgis):
    url = DatabaseUrl(postgis.url())
    old = gpd.GeoDataFrame(
        {"name": ["旧站"]}, geometry=[shapely.Point(110.0, 39.6)], crs="EPSG:4326"
    )
    write_postgis({"sites": old, "districts": old}, url, "transaction")
    new = old.assign(name=["新站"])
    broken = old.assign(name=["站\x00"])  # PostgreSQL text holds no NUL
    with pytest.raises(InputError) as caught:
        write_postgis({"sites": new, "districts": broken}, url, "transaction")
    message = str(caught.value)
    assert "'transaction.districts'" in message and "no table of the plan was changed" in message
    assert postgis.password not in message
    db = engine(postgis)
    with db.connect() as conn:
        for table in ("sites", "districts"):
            names = conn.exec_driver_sql(f"SELECT name FROM transaction.{table}").scalars()
            assert list(names) == ["旧站"]
    db.dispose()


def test_a_failure_after_the_tables_are_written_rolls_them_back(postgis):
    url = DatabaseUrl(postgis.url())
    old = gpd.GeoDataFrame(
        {"name": ["旧站"]}, geometry=[shapely.Point(110.0, 39.6)], crs="EPSG:4326"
    )
    write_postgis({"sites": old}, url, "rollback")
    with pytest.raises(OSError, match="swap failed"):
        with postgis_transaction({"sites": old.assign(name=["新站"])}, url, "rollback") as done:
            assert done == ["rollback.sites"]
            raise OSError("swap failed")  # as a failed folder swap would
    db = engine(postgis)
    with db.connect() as conn:
        names = conn.exec_driver_sql("SELECT name FROM rollback.sites").scalars()
        assert list(names) == ["旧站"]
    db.dispose()


def test_a_failed_database_write_leaves_the_earlier_folder(postgis, loaded, tmp_path):
    good = postgis.url()
    inputs = (f'path = "{good}"\nlayer = "数据.villages"', f'path = "{good}"\nlayer = "数据.sites"')
    out = tmp_path / "out"
    first = write_config(tmp_path, *inputs, f'postgis = "{good}"\nschema = "folder"')
    result = runner.invoke(cli.app, ["solve", str(first), "--out", str(out)])
    assert result.exit_code == 0, result.output
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    bad = good.replace(postgis.password, postgis.password + "-wrong")
    second = write_config(tmp_path, *inputs, f'postgis = "{bad}"\nschema = "folder"')
    second.write_text(second.read_text().replace("p = 3", "p = 5"))
    result = runner.invoke(cli.app, ["solve", str(second), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def all_text(folder: Path) -> str:
    return "\n".join(
        p.read_bytes().decode("utf-8", errors="replace") for p in folder.rglob("*") if p.is_file()
    )


@pytest.mark.parametrize("wrong", ["password", "port"])
def test_no_password_in_messages_or_files(postgis, loaded, tmp_path, wrong):
    good = postgis.url()
    if wrong == "password":
        bad = good.replace(postgis.password, postgis.password + "-wrong")
    else:
        bad = postgis.url(port=1)
    config = write_config(
        tmp_path,
        f'path = "{good}"\nlayer = "数据.villages"',
        f'path = "{good}"\nlayer = "数据.sites"',
        f'postgis = "{bad}"',
    )
    out = tmp_path / "out"
    result = runner.invoke(cli.app, ["solve", str(config), "--out", str(out), "--lang", "en"])
    assert result.exit_code == 2, result.output
    assert "cannot connect to the database" in result.stderr
    assert mask_password(bad) in " ".join(result.stderr.split())
    secrets = {postgis.password, postgis.password + "-wrong"}
    for text in (result.output, result.stderr, all_text(out)):
        assert not any(secret in text for secret in secrets)
    # the folder outputs of a run reading from the database hold no password either
    good_config = write_config(
        tmp_path,
        f'path = "{good}"\nlayer = "数据.villages"',
        f'path = "{good}"\nsql = "SELECT * FROM 数据.sites"',
    )
    result = runner.invoke(cli.app, ["solve", str(good_config), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert postgis.password not in result.output + result.stderr + all_text(out)


def test_missing_table_and_password_from_the_environment(postgis, loaded, monkeypatch):
    url = postgis.url(password=False)
    monkeypatch.setenv("PGPASSWORD", postgis.password)
    frame, _ = geodata.layers.read_any(url, "数据.sites")
    assert len(frame) == 10
    with pytest.raises(InputError, match="no table '数据.nothing' \\(layer\\)"):
        geodata.layers.read_any(url, "数据.nothing")
    assert isinstance(frame, pd.DataFrame)


def test_travel_minutes_from_a_table_and_a_query(postgis, loaded, county, tmp_path):
    """An origin-destination table in PostGIS gives the same plan as the same table as CSV."""
    table = pd.DataFrame(
        [
            (i, j, float((k * 7 + m * 3) % 40 + 5))
            for k, i in enumerate(county.demand["id"])
            for m, j in enumerate(county.sites["id"])
        ],
        columns=["origin", "destination", "minutes"],
    )
    table.to_csv(tmp_path / "od.csv", index=False)
    db = engine(postgis)
    with db.begin() as conn:
        table.to_sql("od", conn, schema="数据", if_exists="replace", index=False)
    db.dispose()
    url = postgis.url()
    demand = f'path = "{loaded / "county.gpkg"}"\nlayer = "villages"'
    sites = f'path = "{loaded / "county.gpkg"}"\nlayer = "sites"'
    plans = []
    for travel in (
        f'table = "{tmp_path / "od.csv"}"',
        f'table = "{url}"\ntable_layer = "数据.od"',
        f'table = "{url}"\ntable_sql = "SELECT * FROM 数据.od WHERE minutes >= 0"',
    ):
        config = write_config(tmp_path, demand, sites).read_text(encoding="utf-8")
        config = config.replace(
            'mode = "straight-line"\nspeed_kmh = 30', f'mode = "table"\n{travel}'
        )
        (tmp_path / "plan.toml").write_text(config, encoding="utf-8")
        plan = run(load(tmp_path / "plan.toml")).plan
        plans.append((sorted(plan.sites.loc[plan.sites["open"], "site_id"]), plan.result.objective))
    assert plans[1] == plans[0] and plans[2] == plans[0]


REGIONS = CONFIG.replace("p = 3", 'p = 2\n[regions]\ncolumn = "county"').replace("{output}", "")


def test_regions_by_a_column_of_database_tables_equal_those_of_a_geopackage(postgis, tmp_path):
    """Each region's rows are cut by a query on the server, as they are cut from the file."""
    layers: dict[str, list[gpd.GeoDataFrame]] = {"villages": [], "sites": []}
    for k in range(2):
        county = geodata.synthetic_county(20, 6, seed=20 + k)
        for name, frame in (("villages", county.demand), ("sites", county.sites)):
            frame = frame.copy()
            frame["geometry"] = frame.geometry.translate(k * 80_000, 0)
            frame["id"] = f"c{k}-" + frame["id"]
            frame.insert(0, "county", f"县{k}")
            layers[name].append(frame)
    db = engine(postgis)
    with db.begin() as conn:
        conn.exec_driver_sql('CREATE SCHEMA IF NOT EXISTS "省"')
        for name, parts in layers.items():
            frame = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True))
            frame.to_file(tmp_path / "province.gpkg", layer=name)
            frame.to_postgis(name, conn, schema="省", if_exists="replace")
    db.dispose()
    url = postgis.url()
    gpkg = tmp_path / "province.gpkg"
    sources = [
        (f'path = "{gpkg}"\nlayer = "villages"', f'path = "{gpkg}"\nlayer = "sites"'),
        (
            f'path = "{url}"\nlayer = "省.villages"',
            f'path = "{url}"\nsql = "SELECT * FROM 省.sites"',
        ),
    ]
    results = []
    for demand, sites in sources:
        config = tmp_path / "province.toml"
        config.write_text(REGIONS.format(demand=demand, sites=sites), encoding="utf-8")
        out = tmp_path / f"out{len(results)}"
        result = runner.invoke(cli.app, ["solve", str(config), "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert postgis.password not in result.output
        for written in out.rglob("*"):
            if written.is_file():
                assert postgis.password.encode() not in written.read_bytes(), written
        combined = gpd.read_file(out / "regions.gpkg", layer="assignments")
        results.append(combined.drop(columns="geometry").sort_values("demand_id"))
    assert sorted(results[1]["region"].unique()) == ["县0", "县1"]
    pd.testing.assert_frame_equal(
        results[0].reset_index(drop=True), results[1].reset_index(drop=True)
    )
