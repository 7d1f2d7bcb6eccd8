"""Error messages of bad configs in the planner's language: ``healthplan solve --lang zh``
gives them in Chinese, naming the file and the key as written; ``--lang en`` gives the
English text unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import optimizer.cli as cli
from geodata.i18n import set_language

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "geodata" / "data" / "synthetic.gpkg"

runner = CliRunner()

COUNTY = f"""\
name = "示范县"

[demand]
path = "{DATA}"
layer = "villages"

[sites]
path = "{DATA}"
layer = "sites"

[travel]
speed_kmh = 30

[hub]
radius = 30
kinds = ["township_centre"]
fixed_kinds = ["county_hospital"]
count = [6, 13]

[clinic]
radius = 15
kinds = ["township_centre", "candidate"]
fixed_kinds = ["township_centre"]
share = 0.9

[solve]
time_limit = 20
"""

# (what is wrong, the config text, what both languages name, the English text, a Chinese
# word of the message)
CASES = {
    "unknown key": (
        COUNTY.replace("radius = 30\n", "radius = 30\nradious = 30\n"),
        "hub.radious",
        "unknown key (allowed: radius, kinds,",
        "未知的键",
    ),
    "radius below 0": (
        COUNTY.replace("radius = 30\n", "radius = -5\n"),
        "hub.radius",
        "Input should be greater than 0 (got -5)",
        "应大于 0",
    ),
    "missing site name": (
        COUNTY.replace("count = [6, 13]\n", 'count = [6, 13]\nfixed = ["不存在卫生院"]\n'),
        "hub.fixed",
        "'不存在卫生院' is neither a site id nor a site name",
        "既不是机构点位编码，也不是机构点位名称",
    ),
    "infeasible county target": (
        COUNTY.replace("count = [6, 13]\n", "count = [1, 1]\n"),
        "hub.count 1..1",
        "No plan meets all targets.",
        "无可行方案",
    ),
}


@pytest.fixture(autouse=True)
def _environment_language():
    yield
    set_language(None)  # the command sets it for the process; later tests use the default


def solve(tmp_path: Path, text: str, language: str):
    config = tmp_path / "县域规划.toml"
    config.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    return runner.invoke(cli.app, ["solve", str(config), "--out", str(out), "--lang", language])


@pytest.mark.parametrize("case", list(CASES))
def test_bad_config_message_in_chinese_and_in_english(tmp_path, case):
    text, key, english, chinese = CASES[case]
    zh = solve(tmp_path, text, "zh")
    en = solve(tmp_path, text, "en")
    for result in (zh, en):
        assert result.exit_code in (1, 2), result.output
        assert "Traceback" not in result.output
        assert key in result.stderr
    if case != "infeasible county target":  # the solve names no file, only the settings
        assert "县域规划.toml" in zh.stderr and "县域规划.toml" in en.stderr
    assert chinese in zh.stderr, zh.stderr
    assert english not in zh.stderr
    assert english in en.stderr, en.stderr
    assert chinese not in en.stderr
