"""One ``healthplan solve`` parses its config's TOML once (and runs a county config's
cross-checks once): the command line reads the file,
decides the kind of plan from the parsed table and hands that table on to the loaders.

Every ``tomllib.load`` / ``tomllib.loads`` call during the run is counted (the parsers are
looked up on the ``tomllib`` module at call time, so patching the module catches every
caller). The batch route (``examples/sweep.toml``) hands the table on the same way to
``load_batch``; it is left out here because its run takes half a minute.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

import optimizer.cli as cli

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def parses(monkeypatch) -> list[str]:
    """The parser calls made from now on (their function names)."""
    calls: list[str] = []
    for name in ("load", "loads"):
        original = getattr(tomllib, name)

        def counting(*args, _original=original, _name=name, **kwargs):
            calls.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(tomllib, name, counting)
    return calls


@pytest.mark.parametrize("example", ["kangbashi", "synthetic"])
def test_a_solve_parses_its_toml_once(example, parses, tmp_path) -> None:
    config = ROOT / "examples" / f"{example}.toml"
    result = CliRunner().invoke(cli.app, ["solve", str(config), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert len(parses) == 1, f"the TOML was parsed {len(parses)} times: {parses}"


def test_a_county_solve_runs_its_cross_checks_once(monkeypatch, tmp_path) -> None:
    import optimizer.config.county as county_config

    calls: list[str] = []
    original = county_config.check_county_config

    def counting(config, **kwargs):
        calls.append(str(kwargs.get("source", "")))
        return original(config, **kwargs)

    monkeypatch.setattr(county_config, "check_county_config", counting)
    config = ROOT / "examples" / "kangbashi.toml"
    result = CliRunner().invoke(cli.app, ["solve", str(config), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert len(calls) == 1, f"the cross-checks ran {len(calls)} times"
