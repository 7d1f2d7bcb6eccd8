"""Loading and checking TOML run configs: every error names the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from geodata.errors import ConfigError, InputError
from optimizer.config.site import OUTPUT_FORMATS, Config, check_config, load_config

VALID = """\
name = "示例县 30分钟健康圈"

[demand]
path = "data/villages.gpkg"
layer = "villages"

[sites]
path = "data/sites.gpkg"
kind = "kind"
required = ["s1", 102]

[model]
problem = "p-median"
p = 8
"""


def write(tmp_path: Path, text: str, name: str = "plan.toml") -> Path:
    """Write a config beside touched data files (data/villages.gpkg, data/sites.gpkg)."""
    (tmp_path / "data").mkdir(exist_ok=True)
    for data in ("villages.gpkg", "sites.gpkg", "roads.gpkg", "od.csv"):
        (tmp_path / "data" / data).touch()
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert "Traceback" not in message
    return message


def replace(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new)


def test_valid_config_loads_with_defaults_and_absolute_paths(tmp_path):
    config = load_config(write(tmp_path, VALID))
    assert config.name == "示例县 30分钟健康圈"
    assert config.demand.path == tmp_path.resolve() / "data" / "villages.gpkg"
    assert config.sites.required == ["s1", "102"]
    assert config.travel.mode == "straight-line"
    assert config.model.time_limit == 60
    assert config.model.mip_gap == 0
    assert config.output.formats == list(OUTPUT_FORMATS)
    assert config.output.crs == "EPSG:4326"


def test_relative_paths_resolve_against_the_config_folder(tmp_path, monkeypatch):
    path = write(tmp_path, VALID)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    config = load_config(Path("..") / path.name)
    assert config.sites.path == tmp_path.resolve() / "data" / "sites.gpkg"


def test_missing_config_file(tmp_path):
    message = error_of(tmp_path / "nope.toml")
    assert "nope.toml" in message and "not found" in message


def test_config_not_utf8(tmp_path):
    path = tmp_path / "gbk.toml"
    path.write_bytes('name = "示例县"\n'.encode("gbk"))
    assert "not UTF-8" in error_of(path)


def test_malformed_toml_names_line_and_column(tmp_path):
    path = write(tmp_path, replace(VALID, "[model]", "[model"))
    message = error_of(path)
    assert str(path) in message
    assert "line 12, column 7" in message and "invalid TOML" in message


def test_unknown_key_lists_the_allowed_keys_of_its_section(tmp_path):
    message = error_of(write(tmp_path, replace(VALID, "p = 8", "p = 8\nradios = 30")))
    assert "plan.toml: model.radios: unknown key (allowed: problem, p, radius," in message
    assert "time_limit" in message


def test_unknown_section(tmp_path):
    message = error_of(write(tmp_path, VALID + "\n[solver]\nthreads = 4\n"))
    assert "plan.toml: solver: unknown section or key (allowed: name, demand, sites" in message


def test_bad_problem_lists_the_allowed_problems(tmp_path):
    message = error_of(write(tmp_path, replace(VALID, '"p-median"', '"pmedian"')))
    assert "model.problem: 'pmedian' is not allowed" in message
    assert "lscp, mclp, p-median, p-center or capacitated" in message


def test_bad_travel_mode_and_output_format(tmp_path):
    text = VALID + '\n[travel]\nmode = "walking"\n\n[output]\nformats = ["gpkg", "kml"]\n'
    message = error_of(write(tmp_path, text))
    assert "travel.mode: 'walking' is not allowed (allowed: straight-line, network or table)" in (
        message
    )
    allowed = "(allowed: gpkg, shp, geojson, csv, png, xlsx or pdf)"
    assert f"output.formats[1]: 'kml' is not allowed {allowed}" in message


def test_missing_section_and_key(tmp_path):
    text = replace(VALID, '[model]\nproblem = "p-median"\np = 8\n', "")
    text = replace(text, 'path = "data/sites.gpkg"\n', "")
    message = error_of(write(tmp_path, text))
    assert "plan.toml: model: required section is missing" in message
    assert "plan.toml: sites.path: required key is missing" in message


def test_values_out_of_range_are_listed_each(tmp_path):
    text = replace(VALID, "p = 8", "p = 0\ntime_limit = -5\nmip_gap = 1.5\nuse_capacity = 3")
    message = error_of(write(tmp_path, text))
    lines = message.splitlines()
    assert len(lines) == 4
    assert any(line.startswith(f"{tmp_path / 'plan.toml'}: model.p: ") for line in lines)
    assert "model.time_limit: Input should be greater than 0 (got -5)" in message
    assert "model.mip_gap: Input should be less than 1 (got 1.5)" in message
    assert "model.use_capacity: " in message


def test_bad_crs(tmp_path):
    text = replace(VALID, 'layer = "villages"', 'layer = "villages"\ncrs = "EPSG:999999"')
    assert "demand.crs: unknown CRS 'EPSG:999999'" in error_of(write(tmp_path, text))


@pytest.mark.parametrize(
    ("given", "canonical"),
    [("GCJ-02", "GCJ-02"), ("gcj02", "GCJ-02"), ("bd-09", "BD-09"), ("BD09", "BD-09")],
)
def test_chinese_offsets_are_point_crs_names(tmp_path, given, canonical):
    text = replace(VALID, 'layer = "villages"', f'layer = "villages"\ncrs = "{given}"')
    text = replace(text, 'kind = "kind"', f'kind = "kind"\ncrs = "{given}"')
    config = load_config(write(tmp_path, text))
    assert config.demand.crs == config.sites.crs == canonical


def test_chinese_offsets_are_not_output_crs(tmp_path):
    text = VALID + '\n[output]\ncrs = "GCJ-02"\n'
    message = error_of(write(tmp_path, text))
    assert "output.crs: 'GCJ-02' is an offset of input longitude/latitude" in message
    assert "EPSG:4326" in message


@pytest.mark.parametrize("problem", ["mclp", "p-median", "p-center"])
def test_p_is_required(tmp_path, problem):
    text = replace(VALID, 'problem = "p-median"\np = 8', f'problem = "{problem}"\nradius = 30')
    assert f"model.p: required for problem '{problem}'" in error_of(write(tmp_path, text))


@pytest.mark.parametrize("problem", ["lscp", "mclp"])
def test_radius_is_required(tmp_path, problem):
    text = replace(VALID, 'problem = "p-median"', f'problem = "{problem}"')
    assert f"model.radius: required for problem '{problem}' (minutes)" in error_of(
        write(tmp_path, text)
    )


def test_network_mode_needs_roads_and_table_mode_needs_a_table(tmp_path):
    network = error_of(write(tmp_path, VALID + '\n[travel]\nmode = "network"\n'))
    assert "travel.roads: required for mode 'network'" in network
    table = error_of(write(tmp_path, VALID + '\n[travel]\nmode = "table"\n'))
    assert "travel.table: required for mode 'table'" in table


def test_keys_of_another_travel_mode_are_rejected(tmp_path):
    text = VALID + '\n[travel]\nmode = "network"\nroads = "data/roads.gpkg"\ncircuity = 1.4\n'
    message = error_of(write(tmp_path, text))
    assert "travel.circuity: only used when mode = 'straight-line' (mode is 'network')" in message


def test_referenced_files_must_exist_and_the_message_shows_the_resolved_path(tmp_path):
    text = VALID + '\n[travel]\nmode = "table"\ntable = "data/missing_od.csv"\n'
    text = replace(text, "data/sites.gpkg", "../sites_elsewhere.gpkg")
    message = error_of(write(tmp_path, text))
    assert f"travel.table: file not found: {tmp_path.resolve() / 'data' / 'missing_od.csv'}" in (
        message
    )
    assert f"sites.path: file not found: {tmp_path.resolve().parent / 'sites_elsewhere.gpkg'}" in (
        message
    )


def test_capacity_and_fixed_cost_settings_need_their_problem_and_column(tmp_path):
    text = replace(VALID, "p = 8", "p = 8\nuse_capacity = true\nuse_fixed_costs = true")
    message = error_of(write(tmp_path, text))
    assert "model.use_capacity: applies only to problem 'capacitated'" in message
    assert "model.use_fixed_costs: applies only to problems 'lscp' and 'capacitated'" in message
    assert "sites.capacity: name the capacity column" in message
    assert "sites.fixed_cost: name the fixed-cost column" in message


def test_p_with_lscp_is_refused(tmp_path):
    text = replace(VALID, 'problem = "p-median"\np = 8', 'problem = "lscp"\np = 8\nradius = 30')
    assert "model.p: does not apply to problem 'lscp'" in error_of(write(tmp_path, text))


def test_site_both_required_and_barred(tmp_path):
    text = replace(VALID, 'required = ["s1", 102]', 'required = ["s1"]\nbarred = ["s1", "s9"]')
    assert "sites.barred: site 's1' is also listed in sites.required" in error_of(
        write(tmp_path, text)
    )


def test_max_minutes_below_radius(tmp_path):
    text = replace(VALID, "p = 8", "p = 8\nradius = 30") + "\n[travel]\nmax_minutes = 20\n"
    assert "travel.max_minutes: 20.0 is below model.radius 30.0" in error_of(write(tmp_path, text))


def test_config_error_is_an_input_error(tmp_path):
    with pytest.raises(InputError):
        load_config(tmp_path / "missing.toml")


def test_check_config_on_a_config_built_in_code(tmp_path):
    config = Config.model_validate(
        {
            "name": "code",
            "demand": {"path": tmp_path / "none.gpkg"},
            "sites": {"path": tmp_path / "none.gpkg"},
            "model": {"problem": "mclp", "p": 3},
        }
    )
    with pytest.raises(ConfigError, match=r"config: model.radius: required"):
        check_config(config)


def test_utf8_file_with_byte_order_mark_loads(tmp_path):
    path = write(tmp_path, VALID)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert load_config(path).name == "示例县 30分钟健康圈"


def test_sheet_and_encoding_keys(tmp_path):
    text = replace(VALID, 'layer = "villages"', 'sheet = 0\nencoding = "GBK"')
    text = replace(text, 'kind = "kind"', 'kind = "kind"\nsheet = "医疗点"')
    text += '\n[travel]\nmode = "table"\ntable = "data/od.csv"\ntable_sheet = "od"\n'
    config = load_config(write(tmp_path, text))
    assert (config.demand.sheet, config.demand.encoding) == (0, "GBK")
    assert (config.sites.sheet, config.travel.table_sheet) == ("医疗点", "od")
    bad = replace(text, 'encoding = "GBK"', 'encoding = "gbkk"')
    bad = replace(bad, 'table_sheet = "od"', 'table_encoding = "utf-9"')
    message = error_of(write(tmp_path, bad))
    assert "demand.encoding: unknown encoding 'gbkk'" in message
    assert "travel.table_encoding: unknown encoding 'utf-9'" in message
    other_mode = error_of(write(tmp_path, VALID + '\n[travel]\ntable_sheet = "od"\n'))
    assert "travel.table_sheet: only used when mode = 'table'" in other_mode


def test_population_table_keys(tmp_path):
    keys = 'population_key = "code"\npopulation_sheet = "人口"'
    message = error_of(write(tmp_path, replace(VALID, 'layer = "villages"', keys)))
    assert "demand.population_key: only used with demand.population_table" in message
    assert "demand.population_sheet: only used with demand.population_table" in message
    table = 'population_table = "data/pop.xlsx"\n' + keys
    message = error_of(write(tmp_path, replace(VALID, 'layer = "villages"', table)))
    assert f"demand.population_table: file not found: {tmp_path.resolve() / 'data'}" in message
    (tmp_path / "data" / "pop.xlsx").touch()
    config = load_config(write(tmp_path, replace(VALID, 'layer = "villages"', table)))
    assert config.demand.population_table == tmp_path.resolve() / "data" / "pop.xlsx"
    assert (config.demand.population_key, config.demand.population_sheet) == ("code", "人口")
